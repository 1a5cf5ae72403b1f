/**
 * The tun/tap device the helper names for an OpenVPN session (drivers/openvpn/device.ts) and how it
 * reaches openvpn: `dev NAME` + `dev-type tun|tap` after the profile in the config it runs (args.ts),
 * re-read the way openvpn reads it.
 */
import { describe, expect, it } from 'vitest';
import { checkedRunConfig, helperDirectives, openVpnArgs } from '../../electron/helper/drivers/openvpn/args.js';
import { DEVICE_NAME_RE, deviceNameFor, tunnelDeviceFor } from '../../electron/helper/drivers/openvpn/device.js';
import { interfaceNameFor } from '../../electron/helper/drivers/wireguard/names.js';
import { rereadOpenVpn } from '../../shared/profiles/openvpn/reread.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';

describe('OpenVPN device name', () => {
  it('is tso + 8 base32 characters (≤ 15 bytes), stable per session, different for ids sharing a prefix, never a WireGuard name', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `0123456789abcd${i.toString(16).padStart(4, '0')}`);
    const names = ids.map(deviceNameFor);
    for (const n of names) {
      expect(n).toMatch(DEVICE_NAME_RE);
      expect(Buffer.byteLength(n)).toBeLessThanOrEqual(15);
    }
    expect(new Set(names).size).toBe(ids.length);
    expect(deviceNameFor('a1b2c3d4e5f60718')).toBe(deviceNameFor('a1b2c3d4e5f60718'));
    const wireGuard = new Set(ids.map(interfaceNameFor));
    expect(names.some((n) => wireGuard.has(n))).toBe(false);
  });

  it('takes its type from the profile: L3 → tun, L2 → tap', () => {
    expect(tunnelDeviceFor('s1', 'L3')).toEqual({ name: deviceNameFor('s1'), type: 'tun' });
    expect(tunnelDeviceFor('s1', 'L2')).toEqual({ name: deviceNameFor('s1'), type: 'tap' });
  });
});

describe('OpenVPN device in the config openvpn runs', () => {
  const canonical = 'client\ndev tap\nremote 198.18.1.1 1194 udp\n';
  const directives = [
    { name: 'client', args: [] },
    { name: 'dev', args: ['tap'] },
    { name: 'remote', args: ['198.18.1.1', '1194', 'udp'] },
  ];

  it("comes first among the helper's lines, after the profile's own dev (openvpn keeps the last one)", () => {
    const device = tunnelDeviceFor('a1b2c3d4e5f60718', 'L2');
    const lines = helperDirectives({ directives, udpOnly: true }, { guardRoutes: false, device });
    expect(lines.slice(0, 2)).toEqual([{ name: 'dev', args: [device.name] }, { name: 'dev-type', args: ['tap'] }]);
    const checked = checkedRunConfig(canonical, { directives, udpOnly: true }, { guardRoutes: false, device });
    if (!('text' in checked)) throw new Error(checked.problem);
    const reread = rereadOpenVpn(checked.text);
    if (!reread.ok) throw new Error(reread.reason);
    const last = (name: string) => reread.directives.filter((d) => d.name === name).at(-1)?.args;
    expect(last('dev')).toEqual([device.name]);
    expect(last('dev-type')).toEqual(['tap']);
  });

  it('is left out without a device (and never on the command line, which is fixed before the profile is read)', () => {
    expect(helperDirectives({ directives, udpOnly: true }).some((d) => d.name === 'dev' || d.name === 'dev-type')).toBe(false);
    const args = openVpnArgs({ configPath: 'stdin', managementSocket: '/run/x/mgmt.sock' });
    expect(args).not.toContain('--dev');
    expect(args).not.toContain('--dev-type');
  });

  it('replaces a fixed device name a profile asked for: the review maps it to plain tun/tap first (OVPN_DEVICE_NAME_DROPPED), then the helper names it', () => {
    const inspection = inspectProfile('client\ndev myvpn\ndev-type tun\nremote 198.18.1.1 1194 udp\nauth-user-pass\n<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>\n', { fileName: 'fixed.ovpn' });
    expect(inspection.advisories.map((a) => a.code)).toContain('OVPN_DEVICE_NAME_DROPPED');
    if (inspection.kind !== 'openvpn' || !inspection.profile) throw new Error('not inspected');
    expect(inspection.profile.device).toBe('tun');
    expect(tunnelDeviceFor('s2', inspection.profile.layer)).toEqual({ name: deviceNameFor('s2'), type: 'tun' });
  });
});
