import { describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { DIRECTIVES } from '../../shared/profiles/openvpn/directives.js';

const pem = (label: string, body = 'MIIB') => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const CA = pem('CERTIFICATE');
const STATIC_KEY = `#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\n${'00112233445566778899aabbccddeeff\n'.repeat(16)}-----END OpenVPN Static key V1-----\n`;
const HEAD = `client\ndev tun\nremote vpn.example.test 1194\nremote-cert-tls server\n<ca>\n${CA}</ca>\n`;
/** Line of the block added after HEAD. */
const LINE = HEAD.split('\n').length;

function inspectBlock(tag: string, body: string, extra = 'auth-user-pass\n') {
  return inspectProfile(`${HEAD}${extra}<${tag}>\n${body}</${tag}>\n`, { fileName: 'p.ovpn' });
}
const codeOf = (tag: string, body: string, extra?: string) => inspectBlock(tag, body, extra).errors.map((e) => [e.code, e.line]);

describe('inline bodies are checked against their tag’s grammar', () => {
  it('every inline tag the allow-list permits has a grammar', () => {
    const inline = Object.entries(DIRECTIVES).filter(([, s]) => s.inline !== undefined).map(([n]) => n).sort();
    expect(inline).toEqual(['auth-user-pass', 'ca', 'cert', 'crl-verify', 'dh', 'extra-certs', 'http-proxy-user-pass', 'key', 'peer-fingerprint', 'pkcs12', 'secret', 'tls-auth', 'tls-crypt', 'tls-crypt-v2', 'verify-hash'].sort());
  });

  it('accepts well-formed bodies of every kind', () => {
    const good: Array<[string, string, string?]> = [
      ['cert', `Bag Attributes\n    friendlyName: me\n${pem('CERTIFICATE')}${pem('CERTIFICATE', 'MIIC')}`, `<key>\n${pem('PRIVATE KEY', 'MIIE')}</key>\n`],
      ['extra-certs', pem('CERTIFICATE')],
      ['key', `${pem('EC PARAMETERS', 'BggqhkjOPQMBBw==')}${pem('EC PRIVATE KEY', 'MHcC')}`, `<cert>\n${CA}</cert>\n`],
      ['key', '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nq83v\n-----END RSA PRIVATE KEY-----\n', `<cert>\n${CA}</cert>\n`],
      ['key', pem('ENCRYPTED PRIVATE KEY', 'MIIF'), `<cert>\n${CA}</cert>\n`],
      ['crl-verify', pem('X509 CRL', 'MIIB')],
      ['tls-auth', STATIC_KEY, 'key-direction 1\nauth-user-pass\n'],
      ['tls-crypt', STATIC_KEY],
      ['tls-crypt-v2', pem('OpenVPN tls-crypt-v2 client key', 'AAECAwQF')],
      ['pkcs12', 'MIIK\nAQID\n', ''],
      ['auth-user-pass', 'alice\n', ''],
      ['auth-user-pass', 'alice\nsecret\n', ''],
      ['peer-fingerprint', `# server\n${Array(32).fill('AB').join(':')}\n`],
    ];
    for (const [tag, body, extra] of good) expect(inspectBlock(tag, body, extra).errors, `<${tag}>`).toEqual([]);
  });

  it('refuses empty blocks with the block’s line, in English and Japanese', () => {
    const r = inspectBlock('ca', '');
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['OVPN_INLINE_EMPTY', LINE + 1]]);
    expect(r.errors[0]?.message.en).toBe(`Line ${LINE + 1}: the <ca> block is empty. It must contain one or more PEM certificates (-----BEGIN CERTIFICATE-----); paste it between <ca> and </ca>, or ask your provider for a complete profile.`);
    expect(r.errors[0]?.message.ja).toContain('<ca> ブロックが空です');
    expect(codeOf('tls-crypt', '\n  \n')).toEqual([['OVPN_INLINE_EMPTY', LINE + 1]]);
  });

  it('refuses BEGIN/END-only blocks, the wrong PEM type, broken base64 and wrong key material', () => {
    const bad: Array<[string, string]> = [
      ['cert', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n'],
      ['cert', pem('PRIVATE KEY')],
      ['cert', pem('CERTIFICATE', 'not base64!')],
      ['cert', pem('CERTIFICATE', 'AAAA')],
      ['cert', '-----BEGIN CERTIFICATE-----\nMIIB\n'],
      ['extra-certs', 'just text\n'],
      ['key', `${pem('PRIVATE KEY')}${pem('PRIVATE KEY')}`],
      ['crl-verify', pem('CERTIFICATE')],
      ['tls-crypt', 'K\n'],
      ['tls-crypt', STATIC_KEY.replace('00112233445566778899aabbccddeeff\n', '')],
      ['tls-crypt', STATIC_KEY.replace('00112233', 'zz112233')],
      ['tls-crypt', `remote evil.test 1194\n${STATIC_KEY}`],
      ['tls-crypt-v2', STATIC_KEY],
      ['pkcs12', 'MII\n'],
      ['pkcs12', 'AAAA\n'],
      ['auth-user-pass', 'alice\nsecret\nthird\n'],
      ['auth-user-pass', '\nsecret\n'],
      ['peer-fingerprint', 'AB:CD\n'],
    ];
    for (const [tag, body] of bad) {
      const r = inspectBlock(tag, body, tag === 'auth-user-pass' || tag === 'pkcs12' ? '' : undefined);
      // Only the block is reported: a broken <pkcs12> does not also mean "no way to sign in".
      const inlineErrors = r.errors.filter((e) => e.code !== 'OVPN_CERT_KEY_PAIR').map((e) => [e.code, e.line]);
      expect(inlineErrors, `<${tag}> ${JSON.stringify(body)}`).toEqual([['OVPN_INLINE_FORMAT', LINE + (tag === 'auth-user-pass' || tag === 'pkcs12' ? 0 : 1)]]);
    }
    expect(inspectBlock('tls-crypt', 'K\n').errors[0]?.message.en).toContain('the <tls-crypt> block does not hold an OpenVPN static key');
  });

  it('checks blocks inside <connection> the same way', () => {
    const r = inspectProfile(`${HEAD}auth-user-pass\n<connection>\nremote b.test 1194\n<tls-auth>\n</tls-auth>\n</connection>\n`, { fileName: 'p.ovpn' });
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['OVPN_INLINE_EMPTY', LINE + 3]]);
  });
});
