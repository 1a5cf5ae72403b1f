/**
 * One list of kinds (shared/profiles/kinds.ts), derived everywhere: the format and driver
 * registries hold exactly its kinds, every schema that carries a kind accepts exactly them, and
 * detection asks the formats in an order that ends with the OpenVPN fallback.
 */
import { describe, expect, it } from 'vitest';
import { DRIVERS, planResidueCleanup, registeredPrelaunchers } from '../../electron/helper/drivers/registry.js';
import { profileRecord } from '../../electron/main/services/profile-record.js';
import { importPreview, profileSummary } from '../../shared/ipc/app-api.js';
import { provisionedSummary, request as helperRequest, sessionInfo } from '../../shared/ipc/helper-protocol.js';
import { POLICIES } from '../../shared/policy/table.js';
import { DETECTION_ORDER, detectKind, FORMATS, inspectProfile, profileRoutes, profileServers } from '../../shared/profiles/inspect.js';
import { fileStem } from '../../shared/profiles/name.js';
import { isProfileKind, PROFILE_FILE_EXTENSIONS, PROFILE_KINDS, profileFileName, profileKindSchema } from '../../shared/profiles/kinds.js';
import { fixture, SWANCTL_DIR } from './ikev2-helpers.js';
import type { z } from 'zod';

const WG = '[Interface]\nPrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=\nAddress = 10.7.0.2/32\n\n[Peer]\nPublicKey = m58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=\nAllowedIPs = 10.7.0.0/24\nEndpoint = vpn.example.net:51820\n';
const CA = '<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>\n';
const OVPN = `client\ndev tun\nremote vpn.example.org 1194\nremote 198.18.1.1 1194\nauth-user-pass\nroute 10.9.0.0 255.255.0.0\n${CA}`;

/** Every kind in the list is accepted, and a name outside it is not. */
function acceptsExactlyTheKinds(schema: z.ZodType): void {
  for (const kind of PROFILE_KINDS) expect(schema.safeParse(kind).success, kind).toBe(true);
  for (const other of ['ikev1', 'l2tp', 'OpenVPN', '', 'constructor']) expect(schema.safeParse(other).success, other).toBe(false);
}

describe('the list of kinds', () => {
  it('has no duplicates, and isProfileKind agrees with it', () => {
    expect(new Set(PROFILE_KINDS).size).toBe(PROFILE_KINDS.length);
    for (const kind of PROFILE_KINDS) expect(isProfileKind(kind)).toBe(true);
    for (const other of ['toString', 'OPENVPN', 1, null]) expect(isProfileKind(other)).toBe(false);
  });

  it('the format and driver registries hold exactly the listed kinds, each under its own name', () => {
    expect(Object.keys(FORMATS).sort()).toEqual([...PROFILE_KINDS].sort());
    expect(Object.keys(DRIVERS).sort()).toEqual([...PROFILE_KINDS].sort());
    for (const kind of PROFILE_KINDS) {
      expect(FORMATS[kind].kind).toBe(kind);
      expect(DRIVERS[kind].kind).toBe(kind);
    }
  });

  it('every schema that carries a kind accepts exactly the listed kinds', () => {
    acceptsExactlyTheKinds(profileKindSchema);
    acceptsExactlyTheKinds(profileSummary.shape.kind);
    acceptsExactlyTheKinds(importPreview.shape.items.element.shape.kind);
    acceptsExactlyTheKinds(profileRecord.shape.kind);
    acceptsExactlyTheKinds(sessionInfo.shape.kind);
    acceptsExactlyTheKinds(provisionedSummary.shape.kind);
    const connect = (kind: string) => helperRequest.safeParse({ id: 1, type: 'connect', profile: { kind, text: 'x', name: 'n' } }).success;
    for (const kind of PROFILE_KINDS) expect(connect(kind), kind).toBe(true);
    expect(connect('ikev1')).toBe(false);
  });

  it("the policy's AllowedKinds takes any subset of the kinds, by default all of them, and nothing else", () => {
    const { schema, default: all } = POLICIES.AllowedKinds;
    expect(all).toEqual([...PROFILE_KINDS]);
    expect(schema.safeParse([...PROFILE_KINDS]).success).toBe(true);
    expect(schema.safeParse([]).success).toBe(true);
    for (const kind of PROFILE_KINDS) expect(schema.safeParse([kind]).success).toBe(true);
    expect(schema.safeParse(['ikev1']).success).toBe(false);
    expect(POLICIES.AllowedKinds.description.en).toContain(PROFILE_KINDS.join(', '));
  });
});

describe('file names per kind', () => {
  const SAMPLES = { openvpn: OVPN, wireguard: WG, ikev2: fixture(SWANCTL_DIR, 'psk.swanctl.conf') } as const;

  it('every kind has its own extension; IKEv2 is .swanctl.conf, not WireGuard’s .conf', () => {
    expect(Object.keys(PROFILE_FILE_EXTENSIONS).sort()).toEqual([...PROFILE_KINDS].sort());
    expect(new Set(Object.values(PROFILE_FILE_EXTENSIONS)).size).toBe(PROFILE_KINDS.length);
    expect(profileFileName('Office', 'ikev2')).toBe('Office.swanctl.conf');
    expect(profileFileName('Office', 'wireguard')).toBe('Office.conf');
    expect(profileFileName('Office', 'openvpn')).toBe('Office.ovpn');
    expect(fileStem('/home/aiko/Office.swanctl.conf')).toBe('Office');
    expect(fileStem('Office.conf')).toBe('Office');
    expect(fileStem('Office.SWANCTL.CONF')).toBe('Office');
    expect(fileStem('Office.sswan')).toBe('Office');
  });

  it('the canonical text saved under its kind’s file name is read back as that kind', () => {
    for (const kind of PROFILE_KINDS) {
      const first = inspectProfile(SAMPLES[kind], { fileName: profileFileName('first', kind) });
      if (!first.ok) throw new Error(`${kind}: ${JSON.stringify(first.errors)}`);
      const again = inspectProfile(first.canonical, { fileName: profileFileName('Office', kind) });
      // The name comes back without the extension (no "Office.swanctl").
      expect(again, kind).toMatchObject({ ok: true, kind, name: 'Office' });
    }
  });
});

describe('detection', () => {
  it('asks every kind once, OpenVPN (which reads whatever no other format claims) last', () => {
    expect([...DETECTION_ORDER].sort()).toEqual([...PROFILE_KINDS].sort());
    expect(DETECTION_ORDER.at(-1)).toBe('openvpn');
  });

  it('by content: a wg-quick section makes WireGuard whatever the file is called, anything else is OpenVPN', () => {
    expect(detectKind(WG, 'x.ovpn')).toBe('wireguard');
    expect(detectKind(`# note\n\n${WG}`, undefined)).toBe('wireguard');
    expect(detectKind(OVPN, 'x.conf')).toBe('openvpn');
    expect(detectKind('hello', undefined)).toBe('openvpn');
  });

  it('inspectProfile uses the detected format, or the one forced', () => {
    const wg = inspectProfile(WG, { fileName: 'office.conf' });
    expect(wg).toMatchObject({ ok: true, kind: 'wireguard', name: 'office' });
    const forced = inspectProfile(WG, { kind: 'openvpn', fileName: 'office.conf' });
    expect(forced.kind).toBe('openvpn');
    expect(forced.ok).toBe(false);
    // Not a profile at all: the not-a-profile explanation, only when the kind was not forced.
    expect(inspectProfile('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').errors.map((e) => e.code)).toEqual(['PROFILE_NOT_A_PROFILE']);
  });

  it('bytes that are not UTF-8: refused as WireGuard text, read as bytes by OpenVPN', () => {
    const latin1 = new Uint8Array([...new TextEncoder().encode(WG.replace('[Peer]', '# caf')), 0xe9, 0x0a, ...new TextEncoder().encode('[Peer]\n')]);
    const r = inspectProfile(latin1, { fileName: 'x.conf' });
    expect(r.kind).toBe('wireguard');
    expect(r.errors.map((e) => e.code)).toEqual(['PROFILE_NOT_UTF8']);
    const ovpn = new Uint8Array([...new TextEncoder().encode('# caf'), 0xe9, 0x0a, ...new TextEncoder().encode(OVPN)]);
    expect(inspectProfile(ovpn, { fileName: 'x.ovpn' })).toMatchObject({ ok: true, kind: 'openvpn' });
  });
});

describe('routes and servers come from the format of the profile', () => {
  it('OpenVPN: remotes and route lines', () => {
    const r = inspectProfile(OVPN, { fileName: 'a.ovpn' });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.kind).toBe('openvpn');
    expect(profileServers(r.profile)).toEqual(['vpn.example.org', '198.18.1.1']);
    expect(profileRoutes(r.profile)).toEqual(['10.9.0.0/16']);
  });

  it('WireGuard: endpoints, addresses and AllowedIPs', () => {
    const r = inspectProfile(WG, { fileName: 'a.conf' });
    if (!r.ok || r.kind !== 'wireguard') throw new Error(JSON.stringify(r.errors));
    expect(profileServers(r.profile)).toEqual(['vpn.example.net']);
    expect(profileRoutes(r.profile)).toEqual(['10.7.0.2/32', '10.7.0.0/24']);
    expect(r.profile.interface.addresses).toEqual(['10.7.0.2/32']);
  });
});

describe('residue records are read through the registry', () => {
  const dir = '/run/tsunagu/sessions/0123456789abcdef';
  const openvpn = { kind: 'openvpn', sessionId: '0123456789abcdef', pids: [], interfaceName: null, dnsRecords: [], configPath: null };

  it("a record is checked with its own kind's schema and the session directory's name", () => {
    expect(planResidueCleanup(dir, openvpn)).toMatchObject({ kind: 'openvpn' });
    expect(planResidueCleanup(dir, { ...openvpn, sessionId: 'fedcba9876543210' })).toEqual({ problem: 'the record names another session' });
    expect(planResidueCleanup(dir, { ...openvpn, kind: 'ikev1' })).toEqual({ problem: 'the record is of no known kind' });
    expect(planResidueCleanup(dir, { ...openvpn, kind: 'toString' })).toEqual({ problem: 'the record is of no known kind' });
    expect(planResidueCleanup(dir, null)).toEqual({ problem: 'the record is of no known kind' });
    // An OpenVPN record is not a WireGuard one (its fields are checked by that kind's schema).
    const asWireGuard = planResidueCleanup(dir, { ...openvpn, kind: 'wireguard' });
    expect('problem' in asWireGuard && asWireGuard.problem).toMatch(/^not a residue record of kind wireguard/);
    expect(planResidueCleanup(dir, { ...openvpn, configPath: '/etc/shadow' })).toEqual({ problem: 'the record names a config outside its session directory' });
  });

  it('prelaunchers are taken from the registrations that have one', () => {
    const prelaunchers = registeredPrelaunchers();
    for (const kind of PROFILE_KINDS) expect(prelaunchers[kind]).toBe(DRIVERS[kind].prelaunch);
  });
});
