/**
 * Counts in words (issue 15, "3 network(s)"): i18next's plural rules, for 0, 1 and 3 in English and
 * Japanese, both where the profile engine builds its phrases (shared/i18n/counted.ts) and where the
 * renderer asks i18next with `count`. The catalog is checked too: no "(s)" anywhere, every English
 * _one has its _other, and Japanese (no plural forms) has no _one.
 */
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import { catalog } from '../../shared/i18n/catalog.js';
import { countedText, countedTexts } from '../../shared/i18n/counted.js';
import { capErrors, profileError } from '../../shared/profiles/diagnostics.js';
import { pkcs12CaAdvisory } from '../../shared/profiles/ikev2/pkcs12.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { summarizeProfile } from '../../shared/profiles/summary.js';

const COUNTS = [0, 1, 3] as const;

function wireGuard(allowedIPs: string[]): string {
  const allowed = allowedIPs.length > 0 ? `AllowedIPs = ${allowedIPs.join(', ')}\n` : '';
  return `[Interface]\nPrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=\nAddress = 10.7.0.2/32\n\n[Peer]\nPublicKey = m58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=\n${allowed}Endpoint = 198.18.1.1:51820\n`;
}

function trafficRow(allowedIPs: string[], lang: 'en' | 'ja'): string | undefined {
  const result = inspectProfile(wireGuard(allowedIPs), { fileName: 'office.conf' });
  if (!result.ok || !result.profile) throw new Error(JSON.stringify(result.errors));
  const rows = summarizeProfile(result.profile, result.name, lang);
  return rows.find(([label]) => label === (lang === 'en' ? 'Traffic' : '通信'))?.[1];
}

const NETWORKS = ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16'];

describe('the profile summary counts networks', () => {
  it.each(COUNTS)('%i networks, in English and Japanese', (n) => {
    const expected = {
      0: { en: 'no network through the VPN', ja: 'VPN を通るネットワークはありません' },
      1: { en: 'only 1 network through the VPN', ja: '1 個のネットワークのみ VPN 経由' },
      3: { en: 'only 3 networks through the VPN', ja: '3 個のネットワークのみ VPN 経由' },
    }[n];
    expect(trafficRow(NETWORKS.slice(0, n), 'en')).toBe(expected.en);
    expect(trafficRow(NETWORKS.slice(0, n), 'ja')).toBe(expected.ja);
  });
});

describe("the profile engine's counted messages", () => {
  it('more problems than are listed: 1 and 3', () => {
    const errors = (extra: number) => Array.from({ length: 50 + extra }, (_, i) => profileError('OVPN_UNKNOWN_DIRECTIVE', { line: i + 1 }, 'x', { en: 'x', ja: 'x' }));
    const summary = (extra: number) => capErrors(errors(extra)).at(-1)?.message;
    expect(summary(1)?.en).toMatch(/^…and 1 more problem, not listed\. /);
    expect(summary(3)?.en).toMatch(/^…and 3 more problems, not listed\. /);
    expect(summary(1)?.ja).toMatch(/^…ほかに 1 件の問題があります/);
    expect(summary(3)?.ja).toMatch(/^…ほかに 3 件の問題があります/);
  });

  it('CA certificates trusted from a bundle: 1 and 3', () => {
    expect(pkcs12CaAdvisory(4, 1).message).toEqual({ en: 'The CA certificate in the certificate bundle is trusted to check the server.', ja: '証明書バンドル内の 1 件の CA 証明書を、サーバーの検証に使う信頼済み証明書とします。' });
    expect(pkcs12CaAdvisory(4, 3).message.en).toBe('The 3 CA certificates in the certificate bundle are trusted to check the server.');
    expect(pkcs12CaAdvisory(4, 3).message.ja).toBe('証明書バンドル内の 3 件の CA 証明書を、サーバーの検証に使う信頼済み証明書とします。');
  });

  it('an OpenVPN option with the wrong number of values', () => {
    const result = inspectProfile('client\ndev tun\nremote vpn.example.test 1194 udp extra\nverb\n', { fileName: 'a.ovpn' });
    const messages = result.errors.filter((e) => e.code === 'OVPN_ARG_COUNT').map((e) => e.message.en);
    expect(messages).toContain("Line 3: 'remote' takes 1 to 3 values, and this line gives 4. Check the line against the OpenVPN manual.");
    expect(countedText('en', 'argCount', 1, { line: 2, name: 'verb', range: '1', given: 0 })).toBe("Line 2: 'verb' takes 1 value, and this line gives 0. Check the line against the OpenVPN manual.");
  });

  it('parameters OpenVPN ignores: 1 and 3, each language with its own words for where', () => {
    const vars = (n: number) => countedTexts('extraParams', n, { en: { line: 7, max: 16, where: "'x'" }, ja: { line: 7, max: 16, where: '「x」' } });
    expect(vars(1).en).toContain('ignores the extra one starting at \'x\'. Remove it,');
    expect(vars(3).en).toContain('ignores the 3 extra ones starting at \'x\'. Remove them,');
    expect(vars(3).ja).toContain('「x」以降の 3 個を');
  });

  it('every counted phrase reads right for 0, 1 and 3 in both languages (no "(s)", the number shown)', () => {
    const keys = [...new Set(Object.keys(catalog.en.counted).map((k) => k.replace(/_(zero|one|other)$/, '')))];
    for (const key of keys) {
      for (const n of COUNTS) {
        for (const lang of ['en', 'ja'] as const) {
          const text = countedText(lang, key as Parameters<typeof countedText>[1], n, { line: 1, max: 16, where: 'x', name: 'x', range: String(n), given: 2 });
          expect(text).not.toMatch(/\{\{|\(s\)/);
          // The count is in the words, or the phrase says "none" / "the" in its place.
          if (n === 3) expect(text).toContain('3');
        }
      }
    }
  });
});

describe('renderer strings with count', () => {
  const t = i18next.createInstance();
  void t.init({ lng: 'en', initAsync: false, showSupportNotice: false, resources: { en: { translation: catalog.en }, ja: { translation: catalog.ja } }, interpolation: { escapeValue: false } });
  const say = (lang: 'en' | 'ja', key: 'connection.tunnelIp' | 'profiles.countFiltered' | 'logs.count' | 'import.saved', count: number, vars: Record<string, string | number> = {}): string => t.t(key, { lng: lang, count, ...vars });

  it.each(COUNTS)('%i: tunnel addresses, filtered profiles, log lines', (n) => {
    expect(say('en', 'connection.tunnelIp', n)).toBe(n === 1 ? 'Tunnel IP address' : 'Tunnel IP addresses');
    expect(say('ja', 'connection.tunnelIp', n)).toBe('トンネル IP アドレス');
    expect(say('en', 'profiles.countFiltered', n, { shown: 0, total: n })).toBe(`0 of ${n} ${n === 1 ? 'profile' : 'profiles'}`);
    expect(say('ja', 'profiles.countFiltered', n, { shown: 0, total: n })).toBe(`${n} 件中 0 件のプロファイル`);
    expect(say('en', 'logs.count', n, { shown: n, total: n })).toBe(`Showing ${n} of ${n} ${n === 1 ? 'line' : 'lines'}`);
    expect(say('ja', 'logs.count', n, { shown: n, total: n })).toBe(`${n} 行中 ${n} 行を表示`);
    expect(say('en', 'import.saved', n)).toBe(n === 1 ? 'Profile saved.' : `${n} profiles saved.`);
    expect(say('ja', 'import.saved', n)).toBe(`${n} 件のプロファイルを保存しました。`);
  });

  it('the catalog: no "(s)", every English _one has an _other, Japanese has no _one', () => {
    const leaves = (node: object, path = ''): Array<[string, string]> =>
      Object.entries(node).flatMap(([k, v]): Array<[string, string]> => (typeof v === 'string' ? [[`${path}${k}`, v]] : leaves(v as object, `${path}${k}.`)));
    const en = leaves(catalog.en);
    const ja = leaves(catalog.ja);
    expect([...en, ...ja].filter(([, v]) => /\w\((s|es)\)/.test(v))).toEqual([]);
    const enKeys = new Set(en.map(([k]) => k));
    expect(en.filter(([k]) => k.endsWith('_one') && !enKeys.has(k.replace(/_one$/, '_other')))).toEqual([]);
    expect(ja.filter(([k]) => k.endsWith('_one'))).toEqual([]);
  });
});
