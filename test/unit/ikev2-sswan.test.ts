import { describe, expect, it } from 'vitest';
import { looksLikeSswan, readSswan } from '../../shared/profiles/ikev2/sswan.js';
import { SSWAN_DIR, SWANCTL_DIR, fixture } from './ikev2-helpers.js';

const read = (name: string) => readSswan(fixture(SSWAN_DIR, name));

describe('.sswan profiles', () => {
  it('recognises strongSwan app profiles by content or by extension', () => {
    expect(looksLikeSswan(fixture(SSWAN_DIR, 'eap.sswan'), undefined)).toBe(true);
    expect(looksLikeSswan('{"uuid": "x"}', 'office.sswan')).toBe(true);
    expect(looksLikeSswan('{"type": "ikev2-eap"}', 'x.json')).toBe(false);
    expect(looksLikeSswan('client\nremote vpn.example.org\n', undefined)).toBe(false);
  });

  it('imports an EAP profile with the apps’ defaults: virtual IPs, all traffic, server identity = its address', () => {
    const r = read('eap.sswan');
    if (!r.ok) throw new Error(r.errors.map((e) => e.message.en).join('; '));
    expect(r.name).toBe('Example Office VPN');
    expect(r.profile).toMatchObject({
      kind: 'ikev2',
      connection: 'Example-Office-VPN',
      version: 2,
      remoteAddrs: ['vpn.example.org'],
      remotePort: null,
      vips: ['0.0.0.0', '::'],
      local: [{ auth: 'eap', id: 'alice', eapId: 'alice', usesClientCert: false }],
      remote: { auth: 'pubkey', id: 'vpn.example.org' },
      proposals: ['aes256-sha256-ecp256'],
      children: [{ remoteTs: ['0.0.0.0/0', '::/0'], espProposals: ['aes256gcm16'] }],
      secrets: { eapPassword: null },
    });
    // remote.cert is base64 DER: it becomes the same PEM as the fixture CA.
    expect(r.profile.files.caCerts).toEqual([fixture(SWANCTL_DIR, 'ca.pem')]);
    expect(r.advisories).toEqual([]);
  });

  it('maps split tunnelling, DNS, port, identity, strict revocation and the stored password; notes what it does not apply', () => {
    const r = read('split.sswan');
    if (!r.ok) throw new Error(r.errors.map((e) => e.message.en).join('; '));
    expect(r.profile).toMatchObject({
      remoteAddrs: ['203.0.113.10'],
      remotePort: 4500,
      remote: { id: '@gw.example.net', revocation: 'strict' },
      dnsServers: ['10.20.0.53', '2001:db8::53'],
      children: [{ remoteTs: ['10.20.0.0/16', '192.168.7.0/24'] }],
      secrets: { eapPassword: 's3cret pass' },
    });
    const ignored = r.advisories.find((a) => a.code === 'IKEV2_SSWAN_IGNORED');
    expect(ignored?.severity).toBe('warning');
    expect(ignored?.message.en).toContain('split-tunneling.excluded');
    expect(ignored?.message.en).toContain('mtu');
  });

  it.each([
    ['cert-p12.sswan', 'IKEV2_PKCS12_PASSWORD', 'openssl pkcs12'],
    ['byod.sswan', 'IKEV2_SSWAN_BYOD_UNSUPPORTED', 'EAP-TNC'],
    ['no-ca.sswan', 'IKEV2_CA_MISSING', "remote.cert"],
  ])('refuses %s with %s and says what to do', (name, code, hint) => {
    const r = read(name);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.code)).toEqual([code]);
    expect(r.errors[0]?.message.en).toContain(hint);
    expect(r.errors[0]?.message.ja.length).toBeGreaterThan(10);
    expect(r.errors[0]?.line).toBeGreaterThan(0);
  });

  it('imports a certificate profile whose PKCS#12 bundle has no password: certificate, key and the bundle’s CA', () => {
    const r = read('cert-p12-nopass.sswan');
    if (!r.ok) throw new Error(r.errors.map((e) => e.message.en).join('; '));
    expect(r.profile.local).toEqual([{ auth: 'pubkey', id: null, eapId: null, xauthId: null, usesClientCert: true }]);
    expect(r.profile.files).toEqual({
      caCerts: [fixture(SWANCTL_DIR, 'ca.pem'), fixture(SWANCTL_DIR, 'ca.pem')],
      serverCerts: [],
      clientCert: fixture(SWANCTL_DIR, 'client.pem'),
      privateKey: fixture(SWANCTL_DIR, 'client.key'),
    });
    expect(r.advisories.map((a) => a.code)).toEqual(['IKEV2_PKCS12_CA_TRUSTED']);
  });

  it('refuses JSON that is broken, of an unknown type, or without a server, pointing at the line', () => {
    const broken = readSswan('{\n  "uuid": "x",\n  "type": "ikev2-eap",,\n}');
    expect(!broken.ok && broken.errors.map((e) => [e.code, e.line])).toEqual([['IKEV2_SSWAN_NOT_JSON', 3]]);
    const type = readSswan('{\n"uuid": "x",\n"type": "ikev2-psk",\n"remote": {"addr": "a.example"}\n}');
    expect(!type.ok && type.errors.map((e) => [e.code, e.line])).toEqual([['IKEV2_SSWAN_TYPE', 3]]);
    const noServer = readSswan('{"uuid": "x", "type": "ikev2-eap", "remote": {}}');
    expect(!noServer.ok && noServer.errors.map((e) => e.code)).toEqual(['IKEV2_SSWAN_FIELD_MISSING']);
  });

  it('refuses an EAP profile without a user name, and a server that is not one host', () => {
    const text = fixture(SSWAN_DIR, 'eap.sswan');
    const noUser = readSswan(text.replace('"eap_id": "alice"', '"id": "alice@example.org"'));
    expect(!noUser.ok && noUser.errors.map((e) => e.code)).toEqual(['IKEV2_SSWAN_FIELD_MISSING']);
    const range = readSswan(text.replace('"addr": "vpn.example.org"', '"addr": "10.0.0.0/8"'));
    expect(!range.ok && range.errors.map((e) => e.code)).toEqual(['IKEV2_BAD_VALUE']);
  });

  it('warns of weak proposals as for swanctl.conf', () => {
    const r = readSswan(fixture(SSWAN_DIR, 'eap.sswan').replace('aes256-sha256-ecp256', 'aes128-sha1-modp1024'));
    expect(r.ok && r.advisories.map((a) => [a.code, a.line])).toEqual([['IKEV2_WEAK_IKE_PROPOSAL', 12]]);
  });
});
