import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';

const SEED = join(import.meta.dirname, '../fixtures/seed');
const seed = (name: string) => readFileSync(join(SEED, name));
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const client = (extra: string) => `client\ndev tun\nremote vpn.example.test 1194\nremote-cert-tls server\nauth-user-pass\n<ca>\n${CA}</ca>\n${extra}`;
const latin1 = (text: string) => Uint8Array.from([...text].map((c) => c.charCodeAt(0)));
const PEER_FIRST = `[Peer]\nPublicKey = m58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=\nAllowedIPs = 0.0.0.0/0\nEndpoint = 192.0.2.1:51820\n\n[Interface]\nPrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=\nAddress = 10.0.0.2/32\nDNS = 10.0.0.1\n`;

describe('kind detection by content', () => {
  it('reads a WireGuard file whose first section is [Peer] as WireGuard, whatever its name', () => {
    for (const fileName of ['wg0.conf', 'provider.ovpn', undefined]) {
      const r = inspectProfile(PEER_FIRST, fileName === undefined ? {} : { fileName });
      expect(r.kind, String(fileName)).toBe('wireguard');
      expect(r.errors, String(fileName)).toEqual([]);
    }
  });

  it('gives a WireGuard file with broken lines WireGuard errors only, each naming its line once', () => {
    const r = inspectProfile('[Peer]\nPublicKey =\nAllowedIPs = 0.0.0.0/0\n', { fileName: 'x.ovpn' });
    expect(r.kind).toBe('wireguard');
    expect(r.errors.every((e) => e.code.startsWith('WG_'))).toBe(true);
    const empty = r.errors.find((e) => e.code === 'WG_EMPTY_VALUE');
    expect(empty?.message.en).toMatch(/^Line 2: /);
    expect(empty?.message.ja).toMatch(/^2 行目: /);
    expect(r.errors.map((e) => e.code)).not.toContain('WG_PEER_NO_PUBLIC_KEY');
  });
});

describe('a file that is not a VPN profile is told so, once', () => {
  const cases: Array<[string, Uint8Array | string, string]> = [
    ['the CA certificate', seed('ca.crt'), 'a certificate'],
    ['the client key', seed('client.key'), 'a private key'],
    ['a tls-auth key', '#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\nabcd\n-----END OpenVPN Static key V1-----\n', 'an OpenVPN key file'],
    ['an installer settings file', 'IPv4dev=eth0\npivpnUser=pi\nUNATTUPG=1\n', 'a file of NAME=value settings'],
    ['a README', '# wireguard-tools\n\nThis supplies the main userspace tooling for using WireGuard.\n', 'a text document'],
  ];
  for (const [what, bytes, looksLike] of cases) {
    it(`says so for ${what}`, () => {
      const r = inspectProfile(bytes, { fileName: 'picked.conf' });
      expect(r.ok).toBe(false);
      expect(r.errors.map((e) => e.code)).toEqual(['PROFILE_NOT_A_PROFILE']);
      expect(r.errors[0]?.message.en).toContain(`This is not a VPN profile: it looks like ${looksLike}`);
    });
  }

  it('still reads a broken profile as a profile (one known directive is enough)', () => {
    const r = inspectProfile('remote vpn.example.test 1194\nfrobnicate 1\n', { fileName: 'x.ovpn' });
    expect(r.errors.map((e) => e.code)).toContain('OVPN_UNKNOWN_DIRECTIVE');
  });
});

describe('Latin-1 profiles are read as openvpn reads them: bytes', () => {
  it('imports a profile whose comment is Latin-1', () => {
    const r = inspectProfile(latin1(`# Verbindung f\u00fcr B\u00fcro\n${client('')}`), { fileName: 'buero.ovpn' });
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('names the real blocker when a Latin-1 value names a file, and nothing it causes', () => {
    const text = `client\ndev tun\nremote vpn.example.test 1194\nauth-user-pass\nca Att\u00e4taenko.pem\n`;
    const r = inspectProfile(latin1(text), { fileName: 'x.ovpn' });
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['PROFILE_NOT_UTF8', 5]]);
    expect(r.errors[0]?.message.en).toContain("Line 5: the value 'Att\u00e4taenko.pem' of 'ca'");
    expect(r.errors[0]?.message.en).toContain('cannot find a file of that name');
    expect(r.errors[0]?.message.en.match(/Line 5/g)).toHaveLength(1);
  });
});

describe('one root cause first', () => {
  it('a missing companion file is the only error, not also "no CA" or "not a client"', () => {
    const r = inspectProfile('remote 10.11.12.13\ndev tun\nifconfig 10.8.0.2 10.8.0.1\nsecret static.key 1\n', { fileName: 'static.ovpn', files: { description: { en: 'the folder', ja: 'フォルダー' }, read: () => null } });
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['IMPORT_FILE_MISSING', 4]]);
  });
});
