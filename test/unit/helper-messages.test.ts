/**
 * The catalogue of the helper's own log messages (shared/i18n/helper-messages.ts): every code in
 * English and Japanese with the same parameters, and rendering that fills them in one pass.
 */
import { describe, expect, it } from 'vitest';
import { helperLineText, helperMessages, isHelperMessageCode, localizedParams, placeholdersOf, renderHelperMessage, type HelperMessageCode } from '../../shared/i18n/helper-messages.js';

const codes = Object.keys(helperMessages) as HelperMessageCode[];

/** A localized parameter's halves (`message_en` / `message_ja`) count as one parameter. */
function parameters(template: string, lang: 'en' | 'ja'): string[] {
  return placeholdersOf(template).map((p) => p.replace(new RegExp(`_${lang}$`), '_*')).sort();
}

describe('helper message catalogue', () => {
  it('has codes', () => expect(codes.length).toBeGreaterThan(20));

  for (const code of codes) {
    it(`${code}: both languages, the same parameters`, () => {
      const { en, ja } = helperMessages[code];
      expect(en.trim()).not.toBe('');
      expect(ja.trim()).not.toBe('');
      // The Japanese entry's own words are Japanese (not an English copy left behind); a template of
      // parameters and punctuation only has none.
      const words = ja.replace(/\{\{\w+\}\}/g, '').replace(/[\s\p{P}\p{S}\d]/gu, '');
      if (words !== '') expect(ja).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
      expect(parameters(ja, 'ja')).toEqual(parameters(en, 'en'));
      // Only the other language's half of a localized parameter is foreign to a template.
      expect(placeholdersOf(en).filter((p) => p.endsWith('_ja'))).toEqual([]);
      expect(placeholdersOf(ja).filter((p) => p.endsWith('_en'))).toEqual([]);
    });
  }

  it('fills the parameters, in each language', () => {
    const params = { sessionId: 'abcd1234', kind: 'openvpn', name: 'Office', uid: 1000 };
    expect(renderHelperMessage('en', 'session.requested', params)).toBe('session abcd1234 (openvpn, “Office”) requested by uid 1000');
    expect(renderHelperMessage('ja', 'session.requested', params)).toBe('セッション abcd1234 (openvpn、「Office」) がユーザー ID 1000 から要求されました');
  });

  it('a localized parameter: each language takes its half', () => {
    const params = { code: 'auth-failed', ...localizedParams('message', { en: 'Wrong user name or password.', ja: 'ユーザー名またはパスワードが違います。' }) };
    expect(renderHelperMessage('en', 'session.error', params)).toBe('state error auth-failed: Wrong user name or password.');
    expect(renderHelperMessage('ja', 'session.error', params)).toBe('状態: エラー auth-failed: ユーザー名またはパスワードが違います。');
  });

  it('a value is never read as a placeholder; a missing parameter gives null (the caller falls back to the text)', () => {
    expect(renderHelperMessage('en', 'policy.problem', { problem: '{{problem}} and {{uid}}' })).toBe('policy: {{problem}} and {{uid}}');
    expect(renderHelperMessage('ja', 'session.connected', { localIp: '10.8.0.2' })).toBeNull();
    // Inherited names are not parameters.
    expect(renderHelperMessage('en', 'policy.problem', Object.create({ problem: 'inherited' }) as Record<string, string>)).toBeNull();
  });

  it('knows its own codes only', () => {
    expect(isHelperMessageCode('session.requested')).toBe(true);
    for (const other of ['session.unknown', 'toString', '__proto__', 'constructor', '']) expect(isHelperMessageCode(other)).toBe(false);
  });

  it('a log line in the UI language: coded from the catalogue, anything else as its text', () => {
    const connected = { text: 'state connected 10.8.0.2 via 192.0.2.1', code: 'session.connected', params: { localIp: '10.8.0.2', remote: '192.0.2.1' } };
    expect(helperLineText(connected, 'ja')).toBe('状態: 接続済み (192.0.2.1 経由、アドレス 10.8.0.2)');
    expect(helperLineText(connected, 'en')).toBe('state connected 10.8.0.2 via 192.0.2.1');
    // A tool's line, a newer helper's code, parameters that do not fit: the text as sent.
    expect(helperLineText({ text: 'Initialization Sequence Completed' }, 'ja')).toBe('Initialization Sequence Completed');
    expect(helperLineText({ text: 'something new', code: 'session.somethingNew', params: {} }, 'ja')).toBe('something new');
    expect(helperLineText({ text: 'state connected 10.8.0.2 via ?', code: 'session.connected', params: { localIp: '10.8.0.2' } }, 'ja')).toBe('state connected 10.8.0.2 via ?');
    expect(helperLineText({ text: 'x', code: '__proto__', params: {} }, 'ja')).toBe('x');
  });
});
