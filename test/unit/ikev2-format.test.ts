import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ikev2Format } from '../../shared/profiles/ikev2/format.js';
import type { Ikev2Profile } from '../../shared/profiles/ikev2/model.js';
import { rangeToCidrs, selectorPrefixes } from '../../shared/profiles/ikev2/routes.js';
import { summarizeIkev2 } from '../../shared/profiles/ikev2/summary.js';
import { readSwanctl } from '../../shared/profiles/ikev2/swanctl.js';
import { verifyIkev2Text } from '../../shared/profiles/ikev2/reread.js';
import type { ProfileFileSource } from '../../shared/profiles/openvpn/inliner.js';
import { SSWAN_DIR, SWANCTL_DIR, fixture, folder } from './ikev2-helpers.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');

function profileOf(name: string): Ikev2Profile {
  const r = readSwanctl(fixture(SWANCTL_DIR, name), { files: folder(SWANCTL_DIR) });
  if (!r.ok) throw new Error('refused');
  return r.profile;
}

function inspectFile(path: string, files?: ProfileFileSource) {
  const text = readFileSync(path, 'utf8');
  return ikev2Format.inspect({ input: text, text, options: { fileName: path.split('/').pop(), files }, fallbackName: 'VPN' });
}

describe('ikev2Format.detect', () => {
  it.each([
    [join(SWANCTL_DIR, 'psk.swanctl.conf'), true],
    [join(SWANCTL_DIR, 'seed-strongswan.conf'), true],
    [join(SSWAN_DIR, 'eap.sswan'), true],
    [join(FIXTURES, 'ikev2/mobileconfig/psk.mobileconfig'), true],
    [join(FIXTURES, 'ikev2/ipsec-conf/eap/ipsec.conf'), true],
    [join(FIXTURES, 'seed/client.ovpn'), false],
    [join(FIXTURES, 'seed/wg-client.conf'), false],
    [join(FIXTURES, 'seed/server.conf'), false],
  ])('%s → %s', (path, expected) => {
    expect(ikev2Format.detect(readFileSync(path, 'utf8'), path.split('/').pop())).toBe(expected);
  });

  it('recognises its own canonical text', () => {
    const r = inspectFile(join(SWANCTL_DIR, 'eap.swanctl.conf'), folder(SWANCTL_DIR));
    expect(r.ok && ikev2Format.detect(r.canonical ?? '', undefined)).toBe(true);
  });
});

describe('ikev2Format.inspect', () => {
  it('accepts a swanctl.conf profile with its name from the file, the companions it read and its canonical text', () => {
    const r = inspectFile(join(SWANCTL_DIR, 'cert.swanctl.conf'), folder(SWANCTL_DIR));
    expect(r).toMatchObject({ ok: true, kind: 'ikev2', name: 'cert', layer: 'L3', errors: [], inlinedFiles: ['ca.pem', 'client.pem', 'client.key'] });
    expect(r.ok && r.kind === 'ikev2' && verifyIkev2Text(r.canonical, r.profile)).toBeNull();
  });

  it('names a .sswan profile as the app does', () => {
    const r = inspectFile(join(SSWAN_DIR, 'eap.sswan'));
    expect(r).toMatchObject({ ok: true, name: 'Example Office VPN' });
  });

  it('reads the mobileconfig and ipsec.conf sub-formats through the same model and canonical text', () => {
    for (const path of [join(FIXTURES, 'ikev2/mobileconfig/eap-mschapv2.mobileconfig'), join(FIXTURES, 'ikev2/ipsec-conf/eap/ipsec.conf')]) {
      const dir = path.slice(0, path.lastIndexOf('/'));
      const r = inspectFile(path, folder(dir));
      if (!r.ok || r.kind !== 'ikev2') throw new Error(`${path}: ${r.errors.map((e) => `${e.code} ${e.message.en}`).join('; ')}`);
      const again = ikev2Format.inspect({ input: r.canonical, text: r.canonical, options: {}, fallbackName: 'VPN' });
      expect(again.profile).toEqual(r.profile);
    }
  });

  it('gives a connection named after a display name a section name the canonical text can hold', () => {
    const text = readFileSync(join(FIXTURES, 'ikev2/mobileconfig/psk.mobileconfig'), 'utf8').replace(/(<key>UserDefinedName<\/key>\s*<string>)[^<]*/, '$1vpn.example.org (Büro)');
    const r = ikev2Format.inspect({ input: text, text, options: {}, fallbackName: 'VPN' });
    if (!r.ok || r.kind !== 'ikev2') throw new Error(r.errors.map((e) => `${e.code} ${e.text}`).join('; '));
    expect(r.profile.connection).toBe('vpn-example-org-B-ro');
    expect(r.name).toBe('vpn.example.org (Büro)');
  });

  it('refuses text that is not UTF-8 with the decoder’s error', () => {
    const textError = { code: 'PROFILE_NOT_UTF8', line: 0, column: 1, text: '', message: { en: 'x', ja: 'x' } };
    const r = ikev2Format.inspect({ input: new Uint8Array([0xff]), text: '\ufffd', textError, options: {}, fallbackName: 'VPN' });
    expect(r.errors).toEqual([textError]);
  });
});

describe('routes and servers', () => {
  it('routes the children’s remote_ts', () => {
    expect(ikev2Format.routes(profileOf('psk.swanctl.conf'))).toEqual(['10.20.0.0/16', '192.168.50.0/24']);
    expect(ikev2Format.routes(profileOf('eap.swanctl.conf'))).toEqual(['0.0.0.0/0', '::/0']);
  });

  it('routes only the server when no remote_ts is given, with or without a virtual IP (charon proposes TSr = its address)', () => {
    const p = profileOf('psk.swanctl.conf');
    const noTs = { ...p, children: p.children.map((c) => ({ ...c, remoteTs: [] })) };
    expect(ikev2Format.routes({ ...noTs, vips: ['0.0.0.0'], remoteAddrs: ['198.51.100.7'] })).toEqual(['198.51.100.7/32']);
    expect(ikev2Format.routes({ ...noTs, vips: ['0.0.0.0', '::'], remoteAddrs: ['198.51.100.7', '2001:db8::7'] })).toEqual(['198.51.100.7/32', '2001:db8::7/128']);
    expect(ikev2Format.routes({ ...noTs, vips: [], remoteAddrs: ['198.51.100.7'] })).toEqual(['198.51.100.7/32']);
    // A name is known by its address once charon resolved it (the negotiated selector).
    expect(ikev2Format.routes({ ...noTs, vips: ['0.0.0.0'], remoteAddrs: ['vpn.example.com'] })).toEqual([]);
  });

  it('reads selectors as profiles write them and as charon lists negotiated ones', () => {
    const p = { remoteAddrs: ['198.51.100.7'] };
    expect(selectorPrefixes('10.0.0.0/8[udp/53]', p)).toEqual(['10.0.0.0/8']);
    expect(selectorPrefixes('10.0.0.1-10.0.0.9', p)).toEqual(['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/30', '10.0.0.8/31']);
    expect(selectorPrefixes('10.0.0.1..10.0.0.9', p)).toEqual(['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/30', '10.0.0.8/31']);
    expect(selectorPrefixes('2001:db8::1..2001:db8::3', p)).toEqual(['2001:db8::1/128', '2001:db8::2/127']);
    expect(selectorPrefixes('10.1.2.3', p)).toEqual(['10.1.2.3/32']);
    expect(selectorPrefixes('dynamic', p)).toEqual(['198.51.100.7/32']);
    expect(selectorPrefixes('not a selector', p)).toEqual([]);
    expect(selectorPrefixes('10.0.0.9..10.0.0.1', p)).toEqual([]);
  });

  it('turns address ranges into the CIDRs that cover exactly them', () => {
    expect(rangeToCidrs('10.0.0.1', '10.0.0.9')).toEqual(['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/30', '10.0.0.8/31']);
    expect(rangeToCidrs('0.0.0.0', '255.255.255.255')).toEqual(['0.0.0.0/0']);
    expect(rangeToCidrs('2001:db8::', '2001:db8::ff')).toEqual(['2001:db8::/120']);
  });

  it('lists the servers without duplicates', () => {
    expect(ikev2Format.servers({ ...profileOf('psk.swanctl.conf'), remoteAddrs: ['a.example', 'b.example', 'a.example'] })).toEqual(['a.example', 'b.example']);
  });
});

describe('summary', () => {
  it('describes an EAP profile in plain words, in English and Japanese', () => {
    const en = Object.fromEntries(summarizeIkev2(profileOf('eap.swanctl.conf'), 'en'));
    expect(en).toMatchObject({
      Server: '203.0.113.10',
      'User name': 'alice',
      'Server identity': 'vpn.example.org',
      'Key exchange': 'IKEv2',
      Traffic: 'all traffic through the VPN',
      Encryption: 'strongSwan defaults',
    });
    expect(en['Sign-in']).toBe('username and password (EAP-MSCHAPv2); server proves itself with a certificate');
    expect(en['Virtual IP']).toBe('asked from the server (IPv4), asked from the server (IPv6)');
    const ja = Object.fromEntries(summarizeIkev2(profileOf('eap.swanctl.conf'), 'ja'));
    expect(ja['通信']).toBe('すべての通信を VPN 経由');
    expect(ja['サインイン']).toContain('ユーザー名とパスワード');
  });

  it('says IKEv1 is old, that the XAuth password is asked at connect, and lists split networks and proposals', () => {
    const en = Object.fromEntries(summarizeIkev2(profileOf('ikev1-xauth.swanctl.conf'), 'en'));
    expect(en['Key exchange']).toBe('IKEv1 (old, deprecated by RFC 8247)');
    expect(en['Sign-in']).toBe('pre-shared key, then username and password (XAuth) (asked when connecting); server proves itself with the pre-shared key');
    expect(en.Traffic).toBe('only 1 network through the VPN: 172.16.0.0/12');
    expect(en.Encryption).toBe('IKE aes128-sha1-modp1024; ESP 3des-md5');
  });
});
