/**
 * The helper's log (electron/helper/log.ts): redaction removes secrets only, replayed on real
 * openvpn 2.6, charon and wg-quick output captured from the lab (test/fixtures/logs, see its
 * README), and coded lines keep their code and parameters, redacted and escaped like text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { renderHelperMessage } from '../../shared/i18n/helper-messages.js';
import { driverMessage, DriverLifecycle } from '../../electron/helper/drivers/lifecycle.js';
import { HelperLog, redact, stateMessage } from '../../electron/helper/log.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/logs');
const manifest = z
  .object({ files: z.record(z.string(), z.object({ secrets: z.array(z.string()), names: z.array(z.string()) })) })
  .parse(JSON.parse(readFileSync(join(FIXTURES, 'secrets.json'), 'utf8')));

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** The line without what may be removed (quoted or not), and without the marks redaction leaves. */
function withoutRemoved(line: string, removable: readonly string[]): string {
  let out = line.replace(/\[redacted(?: key)?\]/g, '');
  for (const r of removable) out = out.replace(new RegExp(`(["']?)${escapeRe(r)}\\1`, 'g'), '');
  return out;
}

describe('redaction on captured lines: every secret is gone, every line without one is unchanged', () => {
  for (const [file, { secrets, names }] of Object.entries(manifest.files)) {
    it(file, () => {
      const raw = readFileSync(join(FIXTURES, file), 'utf8');
      // The manifest says what the capture holds: each secret is really there.
      for (const s of secrets) expect(raw).toContain(s);
      const lines = raw.split('\n').filter((l) => l !== '');
      expect(lines.length).toBeGreaterThan(10);
      const leaked: string[] = [];
      const damaged: { line: string; out: string }[] = [];
      for (const line of lines) {
        const out = redact(line);
        if (secrets.some((s) => out.includes(s))) leaked.push(out);
        const holds = secrets.some((s) => line.includes(s));
        // A line without a secret stays as it is, or loses a user name only; a line with one loses
        // that and keeps every other word.
        const kept = holds ? withoutRemoved(out, []) === withoutRemoved(line, [...secrets, ...names]) : out === line || withoutRemoved(out, []) === withoutRemoved(line, names);
        if (!kept) damaged.push({ line, out });
      }
      expect(leaked).toEqual([]);
      expect(damaged).toEqual([]);
    });
  }
});

describe('redaction: prose about secrets keeps its words', () => {
  const prose = [
    // Issue 15's example: the word and what follows it stay.
    'password-prompt requested by uid 0',
    'password requested by uid 0',
    'session 6b1f0c2e (openvpn, “Lab password”) requested by uid 0',
    'AUTH: Received control message: AUTH_FAILED',
    'AUTH: Received control message: AUTH_FAILED,Data channel cipher negotiation failed (no shared cipher)',
    'The passphrase for the private key is wrong.',
    'Please enter token PIN',
    'secret handshake done; Data Channel: cipher AES-256-GCM',
    'Enter Private Key Password:',
    "Need 'Auth' username/password",
    'Using random OpenVPN auth-token server key.',
    'auth-token secret: Using 256 bit message hash \'SHA256\' for HMAC authentication',
    '  auth_token_secret_file = \'[UNDEF]\'',
    '  username = \'[UNDEF]\'',
    'the server issued a session token',
    'waiting for a username and password',
    'class = pre-shared key',
    'authentication of \'client@lab.test\' (myself) with pre-shared key',
    'PublicKey = X6ERpMfxGvMpTcSpnXVHHN6fNzxYg5g9iVG2/Rb+bCk=',
  ];
  for (const line of prose) it(line, () => expect(redact(line)).toBe(line));

  it('"Wrong password for alice": the word stays', () => expect(redact('Wrong password for alice')).toMatch(/^Wrong password for /));
});

describe('redaction: values go, the rest of the line stays', () => {
  const cases: [string, string][] = [
    ['password=hunter2 ok', 'password=[redacted] ok'],
    ['password: hunter2', 'password: [redacted]'],
    ['proxy auth: user alice, password = "p a s s", realm x', 'proxy auth: user alice, password = [redacted], realm x'],
    ['password "hunter 2"', 'password [redacted]'],
    ['password "Auth" "hunter2"', 'password "Auth" [redacted]'],
    ['password \'Private Key\' s3cret', 'password \'Private Key\' [redacted]'],
    ['MANAGEMENT: CMD \'username "Auth" "alice"\'', 'MANAGEMENT: CMD \'username "Auth" [redacted]\''],
    ['needstr "token" 123456', 'needstr "token" [redacted]'],
    ['openvpn --config x --auth-token SESS_ID_AT_abc/def+g --verb 3', 'openvpn --config x --auth-token [redacted] --verb 3'],
    ["PUSH: Received control message: 'PUSH_REPLY,route-gateway 10.8.0.1,auth-token SESS_ID_AT_6a8f,ping 10'", "PUSH: Received control message: 'PUSH_REPLY,route-gateway 10.8.0.1,auth-token [redacted],ping 10'"],
    ['>PASSWORD:Auth-Token:SESS_ID_AT_W/7Grx4BWpbT+08ZK9', '>PASSWORD:Auth-Token:[redacted]'],
    ['PrivateKey = oNqYavjECJv83RYnTn8C8OzZp2648n747tUqUGMV928=', 'PrivateKey = [redacted]'],
    ['PresharedKey=oNqYavjECJv83RYnTn8C8OzZp2648n747tUqUGMV928=', 'PresharedKey=[redacted]'],
    ['key +NqYavjECJv83RYnTn8C8OzZp2648n747tUqUGMV928= in use', 'key [redacted key] in use'],
    ['secret = "x y"', 'secret = [redacted]'],
    ['psk=abc', 'psk=[redacted]'],
    ['TLS: Username/Password authentication succeeded for username \'alice\' [CN SET]', 'TLS: Username/Password authentication succeeded for username [redacted] [CN SET]'],
    ['username "Auth" alice', 'username "Auth" [redacted]'],
    ['AUTH: user=alice ok', 'AUTH: user=[redacted] ok'],
  ];
  for (const [line, expected] of cases) it(line, () => expect(redact(line)).toBe(expected));

  it('a long line takes linear time (a tool may print anything)', () => {
    const started = performance.now();
    for (const line of [' '.repeat(200_000), `peer${' '.repeat(200_000)}x`, 'username "a" '.repeat(20_000), `password "a"${' '.repeat(200_000)}x`]) redact(line);
    // A few ms here; a lookbehind that rescanned runs of spaces took 16 s on 100,000 of them.
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('PEM blocks, whole or cut off', () => {
    expect(redact('key -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- done')).toBe('key [redacted key material] done');
    expect(redact('-----BEGIN ENCRYPTED PRIVATE KEY----- MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')).toBe('[redacted key material]');
  });
});

describe('coded lines', () => {
  it('keep the code, the parameters and the English text', () => {
    const log = new HelperLog();
    const line = log.message('info', 'session.requested', { sessionId: 'abcd1234', kind: 'openvpn', name: 'Office', uid: 1000 }, 'abcd1234', 1000);
    expect(line).toMatchObject({ level: 'info', sessionId: 'abcd1234', uid: 1000, code: 'session.requested', params: { sessionId: 'abcd1234', kind: 'openvpn', name: 'Office', uid: 1000 } });
    expect(line.text).toBe('session abcd1234 (openvpn, “Office”) requested by uid 1000');
    expect(log.recent(10, 0)).toEqual([line]);
  });

  it('parameters are redacted and escaped like text, in the parameters and in the text', () => {
    const log = new HelperLog();
    const line = log.message('warn', 'policy.problem', { problem: 'bad\nline password=hunter2 \u001b[31m' });
    expect(line.params).toEqual({ problem: 'bad\\nline password=[redacted] \\x1b[31m' });
    expect(line.text).toBe('policy: bad\\nline password=[redacted] \\x1b[31m');
    expect(JSON.stringify(line)).not.toContain('hunter2');
  });

  it('a parameter is never read as a code or a placeholder', () => {
    const log = new HelperLog();
    const line = log.message('warn', 'provisioned.problem', { problem: 'session.requested {{uid}}' });
    expect(line.code).toBe('provisioned.problem');
    expect(line.text).toBe('provisioned profile session.requested {{uid}}');
    expect(renderHelperMessage('ja', 'provisioned.problem', line.params ?? {})).toBe('組織のプロファイル: session.requested {{uid}}');
  });

  it('state changes: English as the journal had it, Japanese with the same parameters', () => {
    const log = new HelperLog();
    const connected = log.coded('info', stateMessage({ status: 'connected', localIp: '198.18.8.2', remote: '198.18.1.1', since: 0 }), 'abcd1234', 0);
    expect(connected.text).toBe('state connected 198.18.8.2 via 198.18.1.1');
    expect(renderHelperMessage('ja', 'session.connected', connected.params ?? {})).toBe('状態: 接続済み (198.18.1.1 経由、アドレス 198.18.8.2)');
    const failed = log.coded('error', stateMessage({ status: 'error', code: 'auth-failed', message: { en: 'Wrong password.', ja: 'パスワードが違います。' }, detail: 'AUTH_FAILED' }));
    expect(failed.text).toBe('state error auth-failed: Wrong password. — AUTH_FAILED');
    expect(failed.code).toBe('session.errorDetail');
    expect(renderHelperMessage('ja', 'session.errorDetail', failed.params ?? {})).toBe('状態: エラー auth-failed: パスワードが違います。 — AUTH_FAILED');
    const handshake = log.coded('info', stateMessage({ status: 'connecting', phase: 'handshake' }));
    expect(handshake).toMatchObject({ code: 'session.connecting.handshake', text: 'state connecting (handshake)' });
    expect(renderHelperMessage('ja', 'session.connecting.handshake', handshake.params ?? {})).toBe('状態: 接続中 (安全な接続を確立しています)');
    expect(log.coded('info', stateMessage({ status: 'disconnected', reason: 'requested by the user' })).text).toBe('state disconnected (requested by the user)');
  });

  it("a driver's line about its tunnel reaches the mirror marked as such", () => {
    const mirrored: [string, boolean][] = [];
    const log = new HelperLog(10, (line, fromTunnel) => mirrored.push([line.text, fromTunnel]));
    log.message('info', 'openvpn.started', { pid: 42 }, 'abcd1234', 0, true);
    log.message('info', 'helper.stopping', {});
    expect(mirrored).toEqual([['openvpn started (pid 42)', true], ['helper stopping: tearing down every session', false]]);
  });

  it('text lines have no code', () => {
    const line = new HelperLog().add('info', 'Initialization Sequence Completed', 'abcd1234', 0, true);
    expect(line.code).toBeUndefined();
    expect(line.params).toBeUndefined();
  });
});

describe("a driver's own lines (drivers/lifecycle.ts)", () => {
  const failure = { status: 'error', code: 'no-handshake', message: { en: 'No handshake.', ja: 'ハンドシェイクがありません。' } } as const;

  it('coded where the events take codes', async () => {
    const log = new HelperLog();
    const text: string[] = [];
    const life = new DriverLifecycle({
      events: { state: () => undefined, message: (level, code, params) => log.message(level, code, params, 'abcd1234', 0) },
      log: (_level, t) => text.push(t),
      workDir: '/nonexistent',
      teardown: () => Promise.resolve(),
    });
    life.begin();
    expect(life.fail(failure)).toBe(true);
    await life.stop('x');
    const [line] = log.recent(10, 0);
    expect(line).toMatchObject({ level: 'error', code: 'driver.failed', text: 'No handshake. [no-handshake]', params: { code: 'no-handshake', message_en: 'No handshake.', message_ja: 'ハンドシェイクがありません。' } });
    expect(renderHelperMessage('ja', 'driver.failed', line?.params ?? {})).toBe('ハンドシェイクがありません。 [no-handshake]');
    expect(text).toEqual([]);
  });

  it('in English through the driver\'s log where they do not', async () => {
    const text: string[] = [];
    const life = new DriverLifecycle({ events: { state: () => undefined }, log: (level, t) => text.push(`${level} ${t}`), workDir: '/nonexistent', teardown: () => Promise.resolve() });
    life.begin();
    life.fail(failure);
    await life.stop('x');
    expect(text).toEqual(['error No handshake. [no-handshake]']);
  });

  it("the driver's own redaction runs on text parameters, coded or not", () => {
    const log = new HelperLog();
    const text: string[] = [];
    const scrub = (t: string) => t.replace(/SCRV1:\S+/, 'SCRV1:[redacted]');
    driverMessage({ message: (level, code, params) => log.message(level, code, params) }, (_l, t) => text.push(t), 'warn', 'openvpn.commandRefused', { command: 'password "Auth" SCRV1:aGk=:MTIz', reply: 'ERROR' }, scrub);
    driverMessage({}, (_l, t) => text.push(t), 'warn', 'openvpn.commandRefused', { command: 'SCRV1:aGk=:MTIz', reply: 'ERROR' }, scrub);
    expect(log.recent(1, 0)[0]?.params).toEqual({ command: 'password "Auth" [redacted]', reply: 'ERROR' });
    expect(text).toEqual(["openvpn refused 'SCRV1:[redacted]': ERROR"]);
  });
});
