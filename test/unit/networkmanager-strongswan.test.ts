import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSwanctl } from '../../shared/profiles/ikev2/swanctl.js';
import { ikev2Format } from '../../shared/profiles/ikev2/format.js';
import { translateNetworkManager, type Translation } from '../../shared/profiles/networkmanager/index.js';
import type { ProfileFileSource } from '../../shared/profiles/openvpn/inliner.js';

const DIR = join(import.meta.dirname, '../fixtures/networkmanager/strongswan');
const folder: ProfileFileSource = {
  description: { en: 'the test folder', ja: 'テストフォルダー' },
  read: (name) => (existsSync(join(DIR, name)) ? readFileSync(join(DIR, name)) : null),
};
const fixture = (name: string) => readFileSync(join(DIR, name), 'utf8');
const pem = (name: string) => readFileSync(join(DIR, name), 'utf8');

function ok(t: Translation | null): Extract<Translation, { ok: true }> {
  if (!t?.ok) throw new Error(`not translated: ${JSON.stringify(t)}`);
  return t;
}
function refused(t: Translation | null): Extract<Translation, { ok: false }> {
  if (!t || t.ok) throw new Error(`not refused: ${JSON.stringify(t)}`);
  return t;
}

const vpn = (data: string, secrets = '') =>
  `[connection]\nid=office\ntype=vpn\n\n[vpn]\nservice-type=org.freedesktop.NetworkManager.strongswan\naddress=vpn.example.test\n${data}\n${secrets}`;

/** The translation read back by the IKEv2 format's own reader: the canonical text is a swanctl.conf. */
function readBack(t: Extract<Translation, { ok: true }>) {
  const r = readSwanctl(t.text);
  if (!r.ok) throw new Error(`canonical text not readable: ${JSON.stringify(r.errors)}`);
  return r.profile;
}

describe('NetworkManager strongSwan connections become IKEv2 profiles', () => {
  it('translates an EAP connection with its CA, proposals, virtual IP and saved password', () => {
    const t = ok(translateNetworkManager(fixture('corp-eap.nmconnection'), 'corp-eap.nmconnection', folder));
    expect(t.kind).toBe('ikev2');
    expect(t.name).toBe('Corp IKEv2 (EAP)');
    expect(t.files).toEqual(['ca.pem']);
    const p = readBack(t);
    expect(p.connection).toBe('Corp-IKEv2-EAP');
    expect(p.version).toBe(2);
    expect(p.remoteAddrs).toEqual(['vpn.example.test']);
    expect(p.local).toEqual([{ auth: 'eap', id: 'alice', eapId: 'alice', xauthId: null, usesClientCert: false }]);
    expect(p.remote).toEqual({ auth: 'pubkey', id: 'vpn.example.test', revocation: null });
    expect(p.proposals).toEqual(['aes256-sha256-modp2048', 'aes128gcm16-prfsha256-ecp256']);
    expect(p.children[0]?.espProposals).toEqual(['aes256gcm16', 'aes128-sha256']);
    expect(p.children[0]?.remoteTs).toEqual(['0.0.0.0/0', '::/0']);
    // [ipv6] method=ignore: no IPv6 address is requested.
    expect(p.vips).toEqual(['0.0.0.0']);
    expect(p.encap).toBe(false);
    expect(p.secrets.eapPassword).toBe('Tr0ub4dor&3');
    expect(p.files.caCerts).toEqual([pem('ca.pem')]);
    expect(p.dnsServers).toEqual(['10.1.0.53']);
  });

  it('translates a certificate connection with identities, port, selectors and forced encapsulation', () => {
    const t = ok(translateNetworkManager(fixture('corp-cert.nmconnection'), undefined, folder));
    expect(t.files.sort()).toEqual(['ca.pem', 'client.crt', 'client.key']);
    const p = readBack(t);
    expect(p.remoteAddrs).toEqual(['203.0.113.10']);
    expect(p.remotePort).toBe(4500);
    expect(p.local).toEqual([{ auth: 'pubkey', id: 'alice@example.test', eapId: null, xauthId: null, usesClientCert: true }]);
    expect(p.remote.id).toBe('CN=vpn.example.test');
    expect(p.encap).toBe(true);
    expect(p.vips).toEqual(['0.0.0.0', '::']);
    expect(p.children[0]?.localTs).toEqual(['10.99.0.0/24']);
    expect(p.children[0]?.remoteTs).toEqual(['10.0.0.0/8', '172.16.0.0/12']);
    expect(p.files.clientCert).toBe(pem('client.crt'));
    expect(p.files.privateKey).toBe(pem('client.key'));
  });

  it('passes the IKEv2 format end to end (policy, canonical text, both re-reads)', () => {
    for (const name of ['corp-eap.nmconnection', 'corp-cert.nmconnection']) {
      const t = ok(translateNetworkManager(fixture(name), name, folder));
      const r = ikev2Format.inspect({ input: t.text, text: t.text, options: { fileName: name }, fallbackName: 'VPN' });
      expect(r.errors, name).toEqual([]);
      expect(r.ok, name).toBe(true);
      expect(r.kind).toBe('ikev2');
      expect(r.canonical).toBe(t.text);
    }
  });

  it('takes a PSK from [vpn-secrets] and refuses a PSK connection whose key is not in the file', () => {
    const t = ok(translateNetworkManager(vpn('method=psk\nlocal-identity=branch-7', '[vpn-secrets]\npassword=a-long-pre-shared-key-for-tests'), undefined));
    const p = readBack(t);
    expect(p.local[0]).toEqual({ auth: 'psk', id: 'branch-7', eapId: null, xauthId: null, usesClientCert: false });
    expect(p.remote.auth).toBe('psk');
    expect(p.secrets.psk).toBe('a-long-pre-shared-key-for-tests');
    const missing = refused(translateNetworkManager(vpn('method=psk\npassword-flags=1'), undefined));
    expect(missing.errors.map((e) => e.code)).toEqual(['NM_MISSING_KEY']);
    expect(missing.errors[0]?.message.en).toContain('nmcli --show-secrets');
  });

  it('maps eap-tls, and refuses ssh-agent and smart-card keys at the method line', () => {
    const tls = ok(translateNetworkManager(vpn('method=eap-tls\nusercert=client.crt\nuserkey=client.key\ncertificate=ca.pem'), undefined, folder));
    expect(readBack(tls).local[0]?.auth).toBe('eap-tls');
    for (const method of ['agent', 'smartcard']) {
      const r = refused(translateNetworkManager(vpn(`method=${method}`), undefined, folder));
      expect(r.errors.map((e) => [e.code, e.line])).toEqual([['NM_UNSUPPORTED_VALUE', 8]]);
    }
    const source = refused(translateNetworkManager(vpn('method=cert\ncert-source=agent'), undefined, folder));
    expect(source.errors[0]?.code).toBe('NM_UNSUPPORTED_VALUE');
  });

  it('names the missing or unusable certificate files at their keyfile lines', () => {
    const r = refused(translateNetworkManager(vpn('method=cert\ncertificate=/x/nope.pem\nusercert=/x/client.crt\nuserkey=/x/client-encrypted.key'), undefined, folder));
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['NM_FILE_MISSING', 9], ['NM_FILE_UNREADABLE', 11]]);
    expect(r.errors[0]?.message.en).toContain("'nope.pem'");
    expect(r.errors[1]?.message.en).toContain('encrypted');
    const noFiles = refused(translateNetworkManager(vpn('method=cert\nusercert=client.crt\nuserkey=client.key\ncertificate=ca.pem'), undefined));
    expect(noFiles.errors.map((e) => e.code)).toEqual(['NM_FILE_MISSING', 'NM_FILE_MISSING', 'NM_FILE_MISSING']);
    expect(noFiles.errors[0]?.message.en).toContain('import the profile together with it');
  });

  it("refuses a server check against the system's authorities (no CA file), and advises on unknown keys", () => {
    const r = refused(translateNetworkManager(vpn('method=eap\nuser=bob'), undefined));
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['NM_MISSING_KEY', 5]]);
    expect(r.errors[0]?.message.en).toContain("'certificate=<CA file>'");
    const t = ok(translateNetworkManager(vpn('method=eap\nuser=bob\ncertificate=ca.pem\nfrobnicate=1'), undefined, folder));
    expect(t.advisories.map((a) => [a.code, a.line])).toEqual([['NM_KEY_UNKNOWN', 11]]);
  });

  it('ignores ike/esp unless proposal=yes, as charon-nm does', () => {
    const t = ok(translateNetworkManager(vpn('method=eap\nuser=bob\ncertificate=ca.pem\nike=3des-md5-modp1024'), undefined, folder));
    expect(readBack(t).proposals).toBeNull();
    expect(t.advisories.map((a) => a.code)).toContain('NM_KEY_IGNORED');
  });

  it('refuses a range or %any as the server address (a gateway setting)', () => {
    const text = vpn('method=eap\nuser=bob\ncertificate=ca.pem').replace('address=vpn.example.test', 'address=%any');
    const r = refused(translateNetworkManager(text, undefined, folder));
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['NM_BAD_VALUE', 7]]);
  });
});
