import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ikev2Format } from '../../shared/profiles/ikev2/format.js';
import type { Ikev2LocalRound, Ikev2Profile } from '../../shared/profiles/ikev2/model.js';
import { firstProfileDifference, rereadIkev2, verifyIkev2Text } from '../../shared/profiles/ikev2/reread.js';
import { readSswan } from '../../shared/profiles/ikev2/sswan.js';
import { readSwanctl } from '../../shared/profiles/ikev2/swanctl.js';
import { CANONICAL_HEADER, writeIkev2 } from '../../shared/profiles/ikev2/writer.js';
import { SSWAN_DIR, SWANCTL_DIR, fixture, folder } from './ikev2-helpers.js';

const CA = fixture(SWANCTL_DIR, 'ca.pem');
const CERT = fixture(SWANCTL_DIR, 'client.pem');
const KEY = fixture(SWANCTL_DIR, 'client.key');

function imported(name: string): Ikev2Profile {
  const r = readSwanctl(fixture(SWANCTL_DIR, name), { files: folder(SWANCTL_DIR) });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message.en).join('; '));
  return r.profile;
}

const FIXTURES = ['psk.swanctl.conf', 'eap.swanctl.conf', 'cert.swanctl.conf', 'p12.swanctl.conf', 'ikev1-xauth.swanctl.conf', 'aggressive.swanctl.conf', 'multi.swanctl.conf'];

describe('canonical IKEv2 text', () => {
  it.each(FIXTURES)('%s: written, read back by both readers as exactly the imported profile', (name) => {
    const profile = imported(name);
    const text = writeIkev2(profile);
    expect(text.startsWith(CANONICAL_HEADER)).toBe(true);
    expect(verifyIkev2Text(text, profile)).toBeNull();
    const again = readSwanctl(text);
    expect(again.ok && firstProfileDifference(profile, again.profile)).toBeNull();
    // One self-contained file: no companion is needed to read it again.
    expect(again.ok && again.inlinedFiles).toEqual([]);
  });

  it('holds the certificates and the key in its own tsunagu.files section, referred to by name', () => {
    const text = writeIkev2(imported('cert.swanctl.conf'));
    expect(text).toContain('certs = client-cert');
    expect(text).toContain('cacerts = ca-1');
    expect(text).toContain('file = client-key');
    expect(text).toMatch(/tsunagu \{\n {4}files \{\n {8}ca-1 = "-----BEGIN CERTIFICATE-----\n/);
    expect(text).toContain(`client-key = "${KEY}"`);
  });

  it('is detected and inspected again (as the helper does) to the same profile and the same text', () => {
    const first = ikev2Format.inspect({ input: fixture(SWANCTL_DIR, 'cert.swanctl.conf'), text: fixture(SWANCTL_DIR, 'cert.swanctl.conf'), options: { files: folder(SWANCTL_DIR) }, fallbackName: 'VPN' });
    if (!first.ok || first.kind !== 'ikev2') throw new Error('refused');
    expect(ikev2Format.detect(first.canonical, undefined)).toBe(true);
    const second = ikev2Format.inspect({ input: first.canonical, text: first.canonical, options: {}, fallbackName: 'VPN' });
    expect(second.ok).toBe(true);
    expect(second.profile).toEqual(first.profile);
    expect(second.canonical).toBe(first.canonical);
  });

  it('round-trips a .sswan profile (DNS servers, password, proposals) through the canonical text', () => {
    const r = readSswan(fixture(SSWAN_DIR, 'split.sswan'));
    if (!r.ok) throw new Error('refused');
    const text = writeIkev2(r.profile);
    expect(text).toContain('dns_servers = 10.20.0.53, 2001:db8::53');
    expect(verifyIkev2Text(text, r.profile)).toBeNull();
    const again = readSwanctl(text);
    expect(again.ok && again.profile).toEqual(r.profile);
  });

  it('refuses with IKEV2_CANONICAL_MISMATCH when the text does not say what was checked', () => {
    const profile = imported('psk.swanctl.conf');
    const text = writeIkev2(profile);
    const widened = text.replace('remote_ts = 10.20.0.0/16, 192.168.50.0/24', 'remote_ts = 0.0.0.0/0');
    const e = verifyIkev2Text(widened, profile);
    expect(e?.code).toBe('IKEV2_CANONICAL_MISMATCH');
    expect(e?.text).toContain('children[0].remoteTs');
    expect(e?.message.ja).toContain('strongSwan');
    const injected = text.replace('mode = tunnel', 'mode = tunnel\n                updown = /tmp/x');
    expect(verifyIkev2Text(injected, profile)?.text).toContain('updown');
    const stray = text.replace('secrets {', 'secrets {\n    eap-2 {\n        secret = "x"\n    }');
    expect(verifyIkev2Text(stray, profile)?.text).toContain('eap-2');
  });

  it('writes secrets that swanctl would decode (0x…, 0s…) so that they read back as the same text', () => {
    const profile = { ...imported('psk.swanctl.conf'), secrets: { psk: '0x41424344-looks-like-hex', eapPassword: null, xauthPassword: null } };
    const text = writeIkev2(profile);
    expect(text).not.toContain('0x41424344');
    expect(verifyIkev2Text(text, profile)).toBeNull();
    const again = readSwanctl(text);
    expect(again.ok && again.profile.secrets.psk).toBe('0x41424344-looks-like-hex');
  });
});

// ---------------------------------------------------------------------------------------------
// Generated profiles (built independently of the readers) and mutated canonical texts.

const free = fc.string({ minLength: 1, maxLength: 24, unit: fc.oneof(fc.constantFrom('"', '\\', '#', '{', '}', '=', ' ', ',', 'é', '日'), fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme-ascii' })) })
  .filter((s) => ![...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) && !/^%any[46]?$/i.test(s) && s.trim() === s && s !== '');
const ipv4 = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 })).map((o) => o.join('.'));
const host = fc.oneof(ipv4, fc.domain().map((d) => d.toLowerCase()).filter((d) => !/^\d+(\.\d+)*$/.test(d)));
const token = fc.constantFrom('aes256', 'aes128', 'sha256', 'sha384', 'modp2048', 'ecp256', 'aes256gcm16', 'x25519', 'prfsha256', '3des', 'md5');
const proposal = fc.array(token, { minLength: 1, maxLength: 4 }).map((t) => t.join('-'));
const proposals = fc.option(fc.array(proposal, { minLength: 1, maxLength: 3 }), { nil: null });
const cidr = fc.tuple(ipv4, fc.integer({ min: 8, max: 32 })).map(([a, bits]) => {
  const n = a.split('.').reduce((x, o) => x * 256 + Number(o), 0);
  const masked = bits === 0 ? 0 : Math.floor(n / 2 ** (32 - bits)) * 2 ** (32 - bits);
  return `${[24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256).join('.')}/${bits}`;
});
const childName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/);

const profileArb: fc.Arbitrary<Ikev2Profile> = fc
  .record({
    connection: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
    version: fc.constantFrom<1 | 2>(1, 2),
    remoteAddrs: fc.uniqueArray(host, { minLength: 1, maxLength: 2 }),
    remotePort: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: null }),
    localAddrs: fc.array(ipv4, { maxLength: 1 }),
    scheme: fc.constantFrom('psk', 'pubkey', 'eap', 'eap-tls', 'cert-eap', 'psk-xauth', 'pubkey-xauth'),
    ids: fc.tuple(fc.option(free, { nil: null }), fc.option(free, { nil: null }), fc.option(free, { nil: null })),
    remoteAuth: fc.constantFrom<'psk' | 'pubkey'>('psk', 'pubkey'),
    revocation: fc.constantFrom<'strict' | 'ifuri' | 'relaxed' | null>('strict', 'ifuri', 'relaxed', null),
    aggressive: fc.boolean(),
    vips: fc.subarray(['0.0.0.0', '::', '10.7.0.2']),
    proposals,
    encap: fc.boolean(),
    mobike: fc.boolean(),
    dpdDelay: fc.option(fc.integer({ min: 1, max: 86400 }), { nil: null }),
    children: fc.uniqueArray(fc.record({ name: childName, localTs: fc.array(cidr, { maxLength: 2 }), remoteTs: fc.array(cidr, { maxLength: 3 }), espProposals: proposals }), { minLength: 1, maxLength: 2, selector: (c) => c.name }),
    psk: free,
    eapPassword: fc.option(free, { nil: null }),
    xauthPassword: fc.option(free, { nil: null }),
    caCount: fc.integer({ min: 0, max: 2 }),
    dns: fc.subarray(['10.0.0.53', '2001:db8::53']),
  })
  .filter((g) => {
    const ikev1Only = g.scheme.endsWith('xauth');
    const ikev2Only = g.scheme.startsWith('eap') || g.scheme === 'cert-eap';
    return !(ikev1Only && g.version === 2) && !(ikev2Only && g.version === 1);
  })
  .map((g): Ikev2Profile => {
    const [id1, id2, user] = g.ids;
    const round = (auth: Ikev2LocalRound['auth'], id: string | null): Ikev2LocalRound => ({
      auth, id, eapId: auth.startsWith('eap') ? user : null, xauthId: auth === 'xauth' ? user : null, usesClientCert: auth === 'pubkey' || auth === 'eap-tls',
    });
    const local: Ikev2LocalRound[] = {
      psk: [round('psk', id1)],
      pubkey: [round('pubkey', id1)],
      eap: [round('eap-mschapv2', id1)],
      'eap-tls': [round('eap-tls', id1)],
      'cert-eap': [round('pubkey', id1), round('eap', id2)],
      'psk-xauth': [round('psk', id1), round('xauth', id2)],
      'pubkey-xauth': [round('pubkey', id1), round('xauth', id2)],
    }[g.scheme] ?? [];
    const usesCert = local.some((l) => l.usesClientCert);
    const needsPsk = local.some((l) => l.auth === 'psk') || g.remoteAuth === 'psk';
    const caCount = g.remoteAuth === 'pubkey' ? Math.max(1, g.caCount) : g.caCount;
    return {
      kind: 'ikev2',
      connection: g.connection,
      version: g.version,
      remoteAddrs: g.remoteAddrs,
      remotePort: g.remotePort,
      localAddrs: g.localAddrs,
      local,
      remote: { auth: g.remoteAuth, id: id2, revocation: g.revocation },
      aggressive: g.version === 1 && g.aggressive,
      vips: g.vips,
      proposals: g.proposals,
      encap: g.encap,
      mobike: g.mobike,
      dpdDelay: g.dpdDelay,
      children: g.children.map((c) => ({ ...c, mode: 'tunnel' as const, updown: null })),
      files: { caCerts: Array.from({ length: caCount }, () => CA), serverCerts: [], clientCert: usesCert ? CERT : null, privateKey: usesCert ? KEY : null },
      secrets: {
        psk: needsPsk ? g.psk : null,
        eapPassword: local.some((l) => l.auth.startsWith('eap') && l.auth !== 'eap-tls') ? g.eapPassword : null,
        xauthPassword: local.some((l) => l.auth === 'xauth') ? g.xauthPassword : null,
      },
      dnsServers: g.dns,
    };
  });

describe('canonical IKEv2 text, generated', () => {
  it('any profile is read back as itself by the re-reader and by the swanctl.conf reader', () => {
    fc.assert(
      fc.property(profileArb, (profile) => {
        const text = writeIkev2(profile);
        expect(rereadIkev2(text)).toEqual({ ok: true, profile });
        const again = readSwanctl(text);
        if (!again.ok) throw new Error(again.errors.map((e) => e.message.en).join('; '));
        expect(firstProfileDifference(profile, again.profile)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), what: fc.constantFrom('"', '\\', '#', '}', '{', '\n', ' = ', 'x', ',', '\\n', '0x', '\r') }),
    fc.record({ kind: fc.constant('line' as const), at: fc.nat(), what: fc.constantFrom('updown = /bin/sh', 'include x.conf', 'mode = transport', 'remote_ts = 0.0.0.0/0', 'local-3 {', '}', 'secret = "other"', 'auth = eap-md5') }),
  );

  function mutate(text: string, m: { kind: 'delete' | 'insert' | 'line'; at: number; length?: number; what?: string }): string {
    const at = m.at % (text.length + 1);
    if (m.kind === 'delete') return text.slice(0, at) + text.slice(at + (m.length ?? 1));
    if (m.kind === 'insert') return text.slice(0, at) + (m.what ?? '') + text.slice(at);
    const lines = text.split('\n');
    const i = m.at % lines.length;
    lines.splice(i, 0, m.what ?? '');
    return lines.join('\n');
  }

  it('for a mutated text, whenever both readers accept it they read the same profile (and the format never passes a difference)', () => {
    fc.assert(
      fc.property(profileArb, fc.array(mutation, { minLength: 1, maxLength: 3 }), (profile, mutations) => {
        const text = mutations.reduce((t, m) => mutate(t, m), writeIkev2(profile));
        const a = readSwanctl(text, { policy: { allowScripts: true } });
        const b = rereadIkev2(text);
        if (a.ok && b.ok) expect(firstProfileDifference(a.profile, b.profile)).toBeNull();
        const inspected = ikev2Format.inspect({ input: text, text, options: {}, fallbackName: 'VPN' });
        if (inspected.ok && inspected.kind === 'ikev2') {
          expect(verifyIkev2Text(inspected.canonical, inspected.profile)).toBeNull();
          expect(inspected.profile.children.every((c) => c.updown === null)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});
