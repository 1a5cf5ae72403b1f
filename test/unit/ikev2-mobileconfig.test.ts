import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ikev2Format } from '../../shared/profiles/ikev2/format.js';
import { looksLikeMobileconfig, readMobileconfig } from '../../shared/profiles/ikev2/mobileconfig.js';
import type { Ikev2ReadResult } from '../../shared/profiles/ikev2/result.js';
import { readSwanctl } from '../../shared/profiles/ikev2/swanctl.js';
import { writeIkev2 } from '../../shared/profiles/ikev2/writer.js';

const DIR = join(import.meta.dirname, '../fixtures/ikev2/mobileconfig');
const fixture = (name: string) => new TextDecoder().decode(readFileSync(join(DIR, name)));
const CA_PEM = readFileSync(join(import.meta.dirname, '../fixtures/networkmanager/strongswan/ca.pem'), 'utf8');

function ok(r: Ikev2ReadResult): Extract<Ikev2ReadResult, { ok: true }> {
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.errors)}`);
  return r;
}
function refused(r: Ikev2ReadResult): Extract<Ikev2ReadResult, { ok: false }> {
  if (r.ok) throw new Error('not refused');
  return r;
}

const wrap = (ike: string, outer = '') => `<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    <dict>
      <key>PayloadType</key><string>com.apple.vpn.managed</string>
      <key>PayloadUUID</key><string>1</string>
      <key>VPNType</key><string>IKEv2</string>
      <key>IKEv2</key>
      <dict>
${ike}
      </dict>
    </dict>
  </array>
  <key>PayloadType</key><string>Configuration</string>
${outer}</dict>
</plist>
`;

describe('Apple .mobileconfig IKEv2 payloads', () => {
  it('imports an EAP-MSCHAPv2 profile with its root CA, proposals, PFS, DNS and dead peer detection', () => {
    const r = ok(readMobileconfig(fixture('eap-mschapv2.mobileconfig')));
    const p = r.profile;
    expect(r.name).toBe('Example 社内 VPN');
    expect(p.connection).toBe('Example-VPN');
    expect(p.version).toBe(2);
    expect(p.remoteAddrs).toEqual(['vpn.example.test']);
    expect(p.local).toEqual([{ auth: 'eap', id: 'taro.yamada@example.test', eapId: 'taro.yamada', xauthId: null, usesClientCert: false }]);
    expect(p.remote).toEqual({ auth: 'pubkey', id: 'vpn.example.test', revocation: null });
    expect(p.secrets.eapPassword).toBe('p&ssw<rd');
    expect(p.proposals).toEqual(['aes256-sha384-ecp384']);
    expect(p.children[0]?.espProposals).toEqual(['aes256gcm16-ecp256']);
    expect(p.children[0]?.remoteTs).toEqual(['0.0.0.0/0', '::/0']);
    expect(p.vips).toEqual(['0.0.0.0', '::']);
    expect(p.dpdDelay).toBe(600);
    expect(p.mobike).toBe(true);
    expect(p.dnsServers).toEqual(['10.10.0.53', '10.10.0.54']);
    expect(p.files.caCerts).toEqual([CA_PEM]);
    const codes = r.advisories.map((a) => a.code);
    expect(codes).toContain('MOBILECONFIG_ON_DEMAND_IGNORED');
    expect(codes).toContain('MOBILECONFIG_APPLE_ONLY');
    // On Demand is named at its own line in the file.
    const lines = fixture('eap-mschapv2.mobileconfig').split('\n');
    expect(lines[(r.advisories.find((a) => a.code === 'MOBILECONFIG_ON_DEMAND_IGNORED')?.line ?? 0) - 1]).toContain('<key>OnDemandRules</key>');
    // What the IKEv2 format stores is read back as the same profile.
    const back = readSwanctl(writeIkev2(p));
    expect(back.ok && back.profile).toEqual(p);
  });

  it('imports a pre-shared-key profile (IKEv2 PSK both ways, MOBIKE off, High DPD)', () => {
    const p = ok(readMobileconfig(fixture('psk.mobileconfig'))).profile;
    expect(p.local).toEqual([{ auth: 'psk', id: 'branch-osaka', eapId: null, xauthId: null, usesClientCert: false }]);
    expect(p.remote.auth).toBe('psk');
    expect(p.secrets.psk).toBe('correct-horse-battery-staple-42');
    expect(p.mobike).toBe(false);
    expect(p.dpdDelay).toBe(60);
    expect(p.proposals).toBeNull();
  });

  it('reads a signed profile from inside its CMS signature, warning that the signature was not checked', () => {
    const text = fixture('psk-signed.mobileconfig');
    expect(looksLikeMobileconfig(text)).toBe(true);
    const r = ok(readMobileconfig(text));
    expect(r.profile).toEqual(ok(readMobileconfig(fixture('psk.mobileconfig'))).profile);
    const a = r.advisories.find((x) => x.code === 'MOBILECONFIG_SIGNATURE_NOT_VERIFIED');
    expect(a?.severity).toBe('warning');
    // A signature whose content is cut into pieces cannot be read whole: refused with the fix.
    const cut = text.slice(0, text.indexOf('</plist>') - 20);
    const bad = refused(readMobileconfig(cut));
    expect(bad.errors[0]?.code).toBe('MOBILECONFIG_SIGNED_UNREADABLE');
    expect(bad.errors[0]?.message.en).toContain('security cms -D');
  });

  it('refuses a PKCS#12 identity it cannot open, L2TP, and a profile without a VPN', () => {
    const p12 = refused(readMobileconfig(fixture('certificate-pkcs12.mobileconfig')));
    expect(p12.errors.map((e) => e.code)).toEqual(['MOBILECONFIG_PKCS12']);
    expect(p12.errors[0]?.message.en).toContain('openssl pkcs12');
    const l2tp = refused(readMobileconfig(fixture('l2tp.mobileconfig')));
    expect(l2tp.errors.map((e) => e.code)).toEqual(['IKEV2_L2TP_UNSUPPORTED']);
    expect(l2tp.errors[0]?.line).toBeGreaterThan(0);
    const wifi = refused(readMobileconfig('<?xml version="1.0"?><plist version="1.0"><dict><key>PayloadContent</key><array><dict><key>PayloadType</key><string>com.apple.wifi.managed</string></dict></array></dict></plist>'));
    expect(wifi.errors.map((e) => e.code)).toEqual(['MOBILECONFIG_NO_VPN']);
  });

  it('maps Certificate + EAP without a user name to EAP-TLS, and with one to two rounds', () => {
    const identity = (extra: string) => wrap(`<key>AuthenticationMethod</key><string>Certificate</string>
<key>PayloadCertificateUUID</key><string>ID</string><key>RemoteAddress</key><string>vpn.example.test</string>
<key>ExtendedAuthEnabled</key><integer>1</integer>${extra}`).replace('</array>', `<dict><key>PayloadType</key><string>com.apple.security.pem</string><key>PayloadUUID</key><string>ID</string><key>PayloadContent</key><data>${btoa(readFileSync(join(import.meta.dirname, '../fixtures/networkmanager/strongswan/client.crt'), 'utf8') + readFileSync(join(import.meta.dirname, '../fixtures/networkmanager/strongswan/client.key'), 'utf8'))}</data></dict></array>`);
    const tls = ok(readMobileconfig(identity(''))).profile;
    expect(tls.local.map((l) => l.auth)).toEqual(['eap-tls']);
    expect(tls.files.clientCert).toContain('BEGIN CERTIFICATE');
    expect(tls.files.privateKey).toContain('BEGIN PRIVATE KEY');
    const two = ok(readMobileconfig(identity('<key>AuthName</key><string>bob</string>'))).profile;
    expect(two.local.map((l) => [l.auth, l.eapId])).toEqual([['pubkey', null], ['eap', 'bob']]);
  });

  it('reports XML errors and bad values with their line', () => {
    const broken = refused(readMobileconfig(wrap('<key>RemoteAddress</key><string>vpn.example.test</strin>')));
    expect(broken.errors.map((e) => [e.code, e.line])).toEqual([['MOBILECONFIG_XML', 12]]);
    expect(broken.errors[0]?.message.ja).toMatch(/^12 行目: /);
    const entity = refused(readMobileconfig('<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaa">]><plist><dict/></plist>'));
    expect(entity.errors[0]?.message.en).toContain('entities');
    const dh = refused(readMobileconfig(wrap(`<key>AuthenticationMethod</key><string>SharedSecret</string><key>SharedSecret</key><string>0123456789abcdefghij</string>
<key>RemoteAddress</key><string>vpn.example.test</string>
<key>IKESecurityAssociationParameters</key><dict>
<key>DiffieHellmanGroup</key><integer>7</integer></dict>`)));
    expect(dh.errors.map((e) => [e.code, e.line])).toEqual([['MOBILECONFIG_BAD_VALUE', 15]]);
    const none = refused(readMobileconfig(wrap('<key>RemoteAddress</key><string>vpn.example.test</string><key>AuthenticationMethod</key><string>None</string>')));
    expect(none.errors.map((e) => e.code)).toEqual(['MOBILECONFIG_NO_AUTHENTICATION']);
    expect(refused(readMobileconfig('bplist00\u0000\u0001')).errors[0]?.code).toBe('MOBILECONFIG_BINARY_PLIST');
  });

  it('is told apart from other formats by content', () => {
    expect(looksLikeMobileconfig(fixture('eap-mschapv2.mobileconfig'))).toBe(true);
    expect(looksLikeMobileconfig('connections {\n}\n')).toBe(false);
    expect(looksLikeMobileconfig('<?xml version="1.0"?><plist><dict><key>CFBundleName</key><string>x</string></dict></plist>')).toBe(false);
  });
});

describe('robustness', () => {
  it('never throws on mangled property lists, and every error points at a line of the file', async () => {
    const fc = (await import('fast-check')).default;
    const source = fixture('eap-mschapv2.mobileconfig');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(source.length), fc.nat(40), fc.string({ maxLength: 12 })), { maxLength: 6 }), (edits) => {
        let text = source;
        for (const [at, cut, insert] of edits) text = text.slice(0, at) + insert + text.slice(at + cut);
        const r = readMobileconfig(text);
        const lines = text.split('\n').length;
        if (!r.ok) for (const e of r.errors) expect(e.line).toBeLessThanOrEqual(lines);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses deep nesting without running out of stack', () => {
    const deep = `<?xml version="1.0"?><plist>${'<array>'.repeat(5000)}${'</array>'.repeat(5000)}</plist>`;
    expect(refused(readMobileconfig(deep)).errors[0]?.message.en).toContain('nests deeper');
  });
});

describe('EAP without a user name', () => {
  const eap = (extra: string) => wrap(`<key>AuthenticationMethod</key><string>None</string><key>ExtendedAuthEnabled</key><integer>1</integer>
<key>RemoteAddress</key><string>vpn.example.test</string>${extra}`);
  it('signs in as the LocalIdentifier, and says so', () => {
    const r = ok(readMobileconfig(eap('<key>LocalIdentifier</key><string>carol@example.test</string>')));
    expect(r.profile.local).toEqual([{ auth: 'eap', id: 'carol@example.test', eapId: null, xauthId: null, usesClientCert: false }]);
    expect(r.advisories.map((a) => a.code)).toContain('MOBILECONFIG_EAP_IDENTITY');
  });
  it('is refused with the key to add when there is no identity at all', () => {
    const r = refused(readMobileconfig(eap('')));
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['MOBILECONFIG_MISSING_KEY', 12]]);
    expect(r.errors[0]?.message.en).toContain('<key>AuthName</key>');
  });
});

describe("Apple's Cisco IPSec payload (IKEv1)", () => {
  it('imports group PSK + XAuth as IKEv1 aggressive mode, with the advisories that say why it is weaker', () => {
    const r = ok(readMobileconfig(fixture('cisco-ipsec-xauth.mobileconfig')));
    const p = r.profile;
    expect(r.name).toBe('Osaka Office (Cisco IPSec)');
    expect(p.version).toBe(1);
    expect(p.aggressive).toBe(true);
    expect(p.local).toEqual([
      { auth: 'psk', id: 'keyid:osaka-staff', eapId: null, xauthId: null, usesClientCert: false },
      { auth: 'xauth', id: null, eapId: null, xauthId: 'tanaka', usesClientCert: false },
    ]);
    expect(p.secrets).toEqual({ psk: 'group-secret-for-osaka-staff', eapPassword: null, xauthPassword: null });
    expect(p.remoteAddrs).toEqual(['203.0.113.80']);
    expect(r.advisories.map((a) => a.code)).toEqual(expect.arrayContaining(['IKEV2_IKEV1', 'IKEV2_AGGRESSIVE_MODE']));
    const back = readSwanctl(writeIkev2(p));
    expect(back.ok && back.profile).toEqual(p);
  });
});

describe('through the IKEv2 format', () => {
  it('imports each fixture end to end (policy, canonical text, both re-reads) under the profile’s own name', () => {
    const names: Record<string, string> = {
      'eap-mschapv2.mobileconfig': 'Example 社内 VPN', 'psk.mobileconfig': 'Branch VPN', 'cisco-ipsec-xauth.mobileconfig': 'Osaka Office (Cisco IPSec)',
    };
    for (const [file, name] of Object.entries(names)) {
      const text = fixture(file);
      const r = ikev2Format.inspect({ input: text, text, options: { fileName: file }, fallbackName: 'VPN' });
      expect(r.errors, file).toEqual([]);
      expect(r.name, file).toBe(name);
    }
  });
});
