/**
 * swanctl.conf `secrets` entries the connection does not take are said, never dropped silently:
 * a shared secret for other identities, one left over beside the one taken, a key no certificate
 * of the connection uses; each with its line, in English and Japanese, and none of them in the
 * canonical text.
 */
import { describe, expect, it } from 'vitest';
import { ikev2Format } from '../../shared/profiles/ikev2/format.js';
import type { InspectResult } from '../../shared/profiles/inspect.js';
import { SWANCTL_DIR, fixture, folder } from './ikev2-helpers.js';

const PSK = fixture(SWANCTL_DIR, 'psk.swanctl.conf');
const CERT = fixture(SWANCTL_DIR, 'cert.swanctl.conf');
const OTHER_SECRET = 'bob-has-a-secret-of-his-own-77';
const UNUSED_CODES = ['IKEV2_SECRET_NOT_MATCHED', 'IKEV2_SECRET_UNUSED', 'IKEV2_KEY_UNUSED'];

function inspect(text: string): { result: InspectResult; asked: string[] } {
  const files = folder(SWANCTL_DIR);
  const result = ikev2Format.inspect({ input: text, text, options: { files, policy: { allowScripts: false } }, fallbackName: 'VPN' });
  return { result, asked: files.asked };
}

/** `text` with `entry` added at the end of its `secrets { }` section (the file's last `}`). */
function withSecret(text: string, entry: string): string {
  const end = text.lastIndexOf('}');
  return `${text.slice(0, end)}${entry}\n${text.slice(end)}`;
}

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

function unused(r: InspectResult) {
  return r.advisories.filter((a) => UNUSED_CODES.includes(a.code));
}

describe('unused swanctl secrets', () => {
  it('the fixtures as shipped take every secret they hold: no advisory', () => {
    for (const text of [PSK, CERT]) {
      const { result } = inspect(text);
      expect(result.ok).toBe(true);
      expect(unused(result)).toEqual([]);
    }
  });

  it('a PSK for identities this connection does not have: a warning on its line, not imported', () => {
    const text = withSecret(PSK, `    ike-bob {\n        id = bob@example.org\n        secret = "${OTHER_SECRET}"\n    }`);
    const { result } = inspect(text);
    if (!result.ok || result.kind !== 'ikev2') throw new Error(JSON.stringify(result.errors));
    expect(result.profile.secrets.psk).toBe('Kx9-vB2q!7mZ@w4Lr0#tY6pN');
    expect(unused(result).map((a) => [a.code, a.severity, a.line])).toEqual([['IKEV2_SECRET_NOT_MATCHED', 'warning', lineOf(text, 'ike-bob')]]);
    expect(result.advisories.find((a) => a.code === 'IKEV2_SECRET_NOT_MATCHED')?.message).toEqual({
      en: "The secret 'ike-bob' is for bob@example.org, which this connection does not use; it is not imported.",
      ja: "シークレット 'ike-bob' は bob@example.org 用で、この接続では使われないため取り込みません。",
    });
    expect(result.canonical).not.toContain(OTHER_SECRET);
  });

  it('a second PSK without identities beside the one taken: said, with the one taken', () => {
    const text = withSecret(PSK, `    ike-spare {\n        secret = "${OTHER_SECRET}"\n    }`);
    const { result } = inspect(text);
    if (!result.ok || result.kind !== 'ikev2') throw new Error(JSON.stringify(result.errors));
    expect(result.profile.secrets.psk).toBe('Kx9-vB2q!7mZ@w4Lr0#tY6pN');
    const [advisory, ...rest] = unused(result);
    expect(rest).toEqual([]);
    expect(advisory).toMatchObject({ code: 'IKEV2_SECRET_UNUSED', severity: 'info', line: lineOf(text, 'ike-spare') });
    expect(advisory?.message.en).toBe("The secret 'ike-spare' is not imported: this connection takes 'ike-office'.");
    expect(advisory?.message.ja).toBe("シークレット 'ike-spare' は取り込みません。この接続は 'ike-office' を使います。");
    expect(result.canonical).not.toContain(OTHER_SECRET);
  });

  it('a private key in a PSK profile: said, and the key file is not even read', () => {
    const text = withSecret(PSK, '    private-old {\n        file = client.key\n    }');
    const { result, asked } = inspect(text);
    expect(result.ok).toBe(true);
    expect(unused(result).map((a) => [a.code, a.line, a.message.en])).toEqual([
      ['IKEV2_KEY_UNUSED', lineOf(text, 'private-old'), "The key 'client.key' ('private-old') is not imported: this connection signs in without a certificate."],
    ]);
    expect(unused(result)[0]?.message.ja).toBe("鍵 'client.key' ('private-old') は取り込みません。この接続は証明書を使わずにサインインします。");
    expect(asked).not.toContain('client.key');
    expect(result.canonical).not.toContain('PRIVATE KEY');
  });

  it('a second key beside the certificate’s own: said, naming the key the certificate uses', () => {
    const text = withSecret(CERT, '\tprivate-old {\n\t\tfile = old.key\n\t}');
    const { result } = inspect(text);
    if (!result.ok || result.kind !== 'ikev2') throw new Error(JSON.stringify(result.errors));
    expect(result.profile.files.privateKey).toContain('PRIVATE KEY');
    expect(unused(result).map((a) => [a.code, a.line, a.message.en])).toEqual([
      ['IKEV2_KEY_UNUSED', lineOf(text, 'private-old'), "The key 'old.key' ('private-old') is not imported: this connection's certificate uses 'client.key'."],
    ]);
  });
});
