import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe as suite, expect, it } from 'vitest';
import { inspectProfile, profileRoutes } from '../../shared/profiles/inspect.js';
import { describe as describeOpenVpn } from '../../shared/profiles/openvpn/describe.js';
import type { OpenVpnDirective } from '../../shared/profiles/openvpn/model.js';
import { findRouteConflict, isFullTunnel, normalizePrefix, pushedRoutes, type RouteClaim } from '../../shared/profiles/routes.js';
import { parseWireGuard } from '../../shared/profiles/wireguard/parser.js';

const SEED = join(import.meta.dirname, '../fixtures/seed');
const seedOvpn = readFileSync(join(SEED, 'client.ovpn'), 'utf8').replace(
  'ca ca.crt\ncert client.crt\nkey client.key\n',
  `<ca>\n${readFileSync(join(SEED, 'ca.crt'), 'utf8')}</ca>\n<cert>\n${readFileSync(join(SEED, 'client.crt'), 'utf8')}</cert>\n<key>\n${readFileSync(join(SEED, 'client.key'), 'utf8')}</key>\n`,
);

const PRIV = 'qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=';
const PEER1 = 'm58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=';
const PEER2 = 'zGWP9CQXnV75sP0BhZTMxo4k8UYKpZtj6oGY4SaRTW8=';

function openVpnRoutes(extra: string): string[] {
  const r = inspectProfile(`${seedOvpn}${extra}`, { fileName: 'a.ovpn' });
  if (!r.ok || !r.profile) throw new Error(JSON.stringify(r.errors.map((e) => [e.code, e.line, e.text])));
  return profileRoutes(r.profile);
}

function wireGuardRoutes(text: string): string[] {
  const r = parseWireGuard(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors.map((e) => [e.code, e.line, e.text])));
  return profileRoutes(r.profile);
}

suite('normalizePrefix', () => {
  it('clears host bits and says so', () => {
    expect(normalizePrefix('1.0.0.0/0')).toEqual({ cidr: '0.0.0.0/0', hadHostBits: true });
    expect(normalizePrefix('10.1.2.3/8')).toEqual({ cidr: '10.0.0.0/8', hadHostBits: true });
    expect(normalizePrefix('10.0.0.0/8')).toEqual({ cidr: '10.0.0.0/8', hadHostBits: false });
    expect(normalizePrefix('2001:DB8::1/32')).toEqual({ cidr: '2001:db8::/32', hadHostBits: true });
    expect(normalizePrefix('8000::/0')).toEqual({ cidr: '::/0', hadHostBits: true });
    expect(normalizePrefix('::ffff:10.1.2.3/104')).toEqual({ cidr: '::ffff:10.0.0.0/104', hadHostBits: true });
  });

  it('reads a bare address as a host route, and IPv4 the way inet_aton does', () => {
    expect(normalizePrefix('192.0.2.1')).toEqual({ cidr: '192.0.2.1/32', hadHostBits: false });
    expect(normalizePrefix('fd00::1')).toEqual({ cidr: 'fd00::1/128', hadHostBits: false });
    expect(normalizePrefix('10.1/16')?.cidr).toBe('10.0.0.0/16');
    expect(normalizePrefix('012.0.0.0/8')?.cidr).toBe('10.0.0.0/8');
  });

  it('refuses what is not a prefix', () => {
    for (const bad of ['', 'x', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', 'fe80::1%eth0/64', 'a.example', `${'1'.repeat(70)}/8`, '10.0.0.0/1e1']) {
      expect(normalizePrefix(bad), bad).toBeNull();
    }
  });

  it('is idempotent and keeps the address inside the prefix', () => {
    const v4 = fc.tuple(fc.nat(0xffffffff), fc.integer({ min: 0, max: 32 })).map(([n, bits]) => `${ipaddr.fromByteArray([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]).toString()}/${bits}`);
    const v6 = fc.tuple(fc.array(fc.oneof(fc.constant(0), fc.nat(0xffff)), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 128 })).map(([parts, bits]) => `${new ipaddr.IPv6(parts).toString()}/${bits}`);
    fc.assert(
      fc.property(fc.oneof(v4, v6), (text) => {
        const once = normalizePrefix(text);
        if (!once) throw new Error(`${text} did not parse`);
        expect(normalizePrefix(once.cidr)).toEqual({ cidr: once.cidr, hadHostBits: false });
        const [address, bits] = ipaddr.parseCIDR(text);
        const [network, sameBits] = ipaddr.parseCIDR(once.cidr);
        expect(sameBits).toBe(bits);
        expect(address.match(network, bits)).toBe(true);
        expect(once.hadHostBits).toBe(address.toString() !== network.toString());
      }),
      { numRuns: 2000 },
    );
  });
});

suite('isFullTunnel', () => {
  it('sees a full tunnel however the space is tiled', () => {
    expect(isFullTunnel(['0.0.0.0/0'])).toBe(true);
    expect(isFullTunnel(['1.0.0.0/0'])).toBe(true);
    expect(isFullTunnel(['::/0'])).toBe(true);
    expect(isFullTunnel(['fd00::1/0'])).toBe(true);
    expect(isFullTunnel(['0.0.0.0/1', '128.0.0.0/1'])).toBe(true);
    expect(isFullTunnel(['128.0.0.0/1', '10.0.0.0/8', '0.0.0.0/1'])).toBe(true);
    expect(isFullTunnel(['::/1', '8000::/1'])).toBe(true);
    expect(isFullTunnel(['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/2', '192.0.0.0/3', '224.0.0.0/3'])).toBe(true);
    expect(isFullTunnel(['10.0.0.0/8', '::/1', '8000::/1'])).toBe(true);
  });

  it('is not fooled by near misses', () => {
    expect(isFullTunnel([])).toBe(false);
    expect(isFullTunnel(['0.0.0.0/1'])).toBe(false);
    expect(isFullTunnel(['0.0.0.0/1', '128.0.0.0/2', '192.0.0.0/3', '224.0.0.0/4', '240.0.0.0/5'])).toBe(false);
    expect(isFullTunnel(['0.0.0.0/1', '::/1'])).toBe(false);
    // IPv4-mapped IPv6 space is IPv6: it does not complete IPv4.
    expect(isFullTunnel(['0.0.0.0/1', '::ffff:128.0.0.0/97'])).toBe(false);
    // openvpn's "redirect-gateway ipv6" set leaves most of IPv6 out.
    expect(isFullTunnel(['::/3', '2000::/4', '3000::/4', 'fc00::/7'])).toBe(false);
    expect(isFullTunnel(['not a prefix', '0.0.0.0/33'])).toBe(false);
  });

  it('agrees with a brute-force check on random sets of short prefixes (with host bits)', () => {
    // Prefix lengths up to 6 bits: every address's first 6 bits decide, so 64 probes per family are exact.
    const DEPTH = 6;
    const v4 = fc.tuple(fc.nat(0xffffffff), fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: DEPTH }))).map(([n, bits]) => `${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')}/${bits}`);
    const v6 = fc.tuple(fc.nat(0xffff), fc.nat(0xffff), fc.integer({ min: 0, max: DEPTH })).map(([a, b, bits]) => `${a.toString(16)}:${b.toString(16)}::/${bits}`);
    const probes = (family: 4 | 6): Array<ipaddr.IPv4 | ipaddr.IPv6> =>
      Array.from({ length: 1 << DEPTH }, (_, i) => {
        const bytes = new Array<number>(family === 4 ? 4 : 16).fill(0);
        bytes[0] = i << (8 - DEPTH);
        return ipaddr.fromByteArray(bytes);
      });
    const probes4 = probes(4);
    const probes6 = probes(6);
    const covers = (prefixes: string[], family: 4 | 6): boolean => {
      const parsed = prefixes.map((p) => ipaddr.parseCIDR(p));
      return (family === 4 ? probes4 : probes6).every((probe) => parsed.some(([address, bits]) => address.kind() === probe.kind() && probe.match(address, bits)));
    };
    let full = 0;
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 3, arbitrary: v4 }, { weight: 1, arbitrary: v6 }), { maxLength: 10 }), (prefixes) => {
        const expected = covers(prefixes, 4) || covers(prefixes, 6);
        if (expected) full++;
        expect(isFullTunnel(prefixes)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
    // Both answers must be well represented, or the property says little.
    expect(full).toBeGreaterThan(500);
    expect(full).toBeLessThan(4500);
  });
});

suite('profileRoutes: OpenVPN', () => {
  it('reads route and route-ipv6, masking host bits and defaulting the netmask to a host', () => {
    expect(openVpnRoutes('route 10.1.2.3 255.255.0.0\nroute 192.0.2.7\nroute-ipv6 2001:db8::1/48\n')).toEqual(['10.1.0.0/16', '192.0.2.7/32', '2001:db8::/48']);
  });

  it('counts routes around the tunnel too; a network only openvpn resolves may be anywhere', () => {
    expect(openVpnRoutes('route 198.51.100.0 255.255.255.0 net_gateway\nroute remote_host 255.255.255.255 net_gateway\nroute vpn_gateway\n')).toEqual(['198.51.100.0/24']);
    // Two names resolving to 0.0.0.0 and 128.0.0.0 with 128.0.0.0 masks would be a full tunnel.
    expect(openVpnRoutes('route a.example 128.0.0.0\nroute b.example 128.0.0.0\n')).toEqual(['0.0.0.0/0']);
    expect(openVpnRoutes('route intranet.example\n')).toEqual(['0.0.0.0/0']);
    expect(openVpnRoutes('route remote_host 255.0.0.0 net_gateway\n')).toEqual(['0.0.0.0/0']);
  });

  it('sees the two halves of IPv4 as a full tunnel', () => {
    const routes = openVpnRoutes('route 0.0.0.0 128.0.0.0\nroute 128.0.0.0 128.0.0.0\n');
    expect(routes).toEqual(['0.0.0.0/1', '128.0.0.0/1']);
    expect(isFullTunnel(routes)).toBe(true);
  });

  it('expands redirect-gateway by its flags', () => {
    expect(openVpnRoutes('redirect-gateway\n')).toEqual(['0.0.0.0/0']);
    expect(openVpnRoutes('redirect-gateway def1 bypass-dhcp\n')).toEqual(['0.0.0.0/1', '128.0.0.0/1']);
    expect(openVpnRoutes('redirect-gateway def1 ipv6\n')).toEqual(['0.0.0.0/1', '128.0.0.0/1', '::/3', '2000::/4', '3000::/4', 'fc00::/7']);
    expect(openVpnRoutes('redirect-gateway ipv6 !ipv4\n')).toEqual(['::/3', '2000::/4', '3000::/4', 'fc00::/7']);
    expect(openVpnRoutes('redirect-private def1\n')).toEqual([]);
    expect(isFullTunnel(openVpnRoutes('redirect-gateway def1\n'))).toBe(true);
  });

  it('walks <connection> blocks as well as the top level', () => {
    const directives: OpenVpnDirective[] = [
      { name: 'client', args: [] },
      { name: 'route', args: ['10.0.0.0', '255.0.0.0'] },
      { name: 'connection', args: [], block: [{ name: 'remote', args: ['a.example', '1194'] }, { name: 'route', args: ['172.16.0.0', '255.240.0.0'] }, { name: 'redirect-gateway', args: ['def1'] }] },
    ];
    expect(profileRoutes(describeOpenVpn(directives, { values: [], blocks: [] }))).toEqual(['10.0.0.0/8', '172.16.0.0/12', '0.0.0.0/1', '128.0.0.0/1']);
  });

  it('has no routes of its own for a profile that only pulls', () => {
    expect(openVpnRoutes('')).toEqual([]);
  });
});

suite('pushedRoutes', () => {
  it('reads pushed options like profile lines', () => {
    expect(pushedRoutes(['route 10.1.0.0 255.255.0.0', 'route-ipv6 ::/1', 'dhcp-option DNS 10.1.0.1', 'topology subnet'])).toEqual(['10.1.0.0/16', '::/1']);
    expect(pushedRoutes(['redirect-gateway def1 ipv6'])).toEqual(['0.0.0.0/1', '128.0.0.0/1', '::/3', '2000::/4', '3000::/4', 'fc00::/7']);
    expect(pushedRoutes(['  route   10.2.0.0   255.255.255.0  '])).toEqual(['10.2.0.0/24']);
  });

  it('includes the tunnel subnet (topology subnet) or peer (net30) from ifconfig', () => {
    expect(pushedRoutes(['ifconfig 10.8.0.2 255.255.255.0', 'ifconfig-ipv6 fd00:8::1000/64 fd00:8::1'])).toEqual(['10.8.0.0/24', 'fd00:8::/64']);
    expect(pushedRoutes(['ifconfig 10.8.0.6 10.8.0.5'])).toEqual(['10.8.0.5/32']);
  });

  it('accumulates redirect flags over pushes, as openvpn does', () => {
    expect(pushedRoutes(['redirect-gateway def1', 'redirect-gateway ipv6'])).toEqual(['0.0.0.0/1', '128.0.0.0/1', '::/3', '2000::/4', '3000::/4', 'fc00::/7']);
    expect(pushedRoutes(['redirect-gateway', 'redirect-gateway !ipv4'])).toEqual([]);
  });

  it('ignores junk', () => {
    expect(pushedRoutes(['', 'route', 'route 10.0.0.0 255.0.255.300', 'route-ipv6 nonsense', 'redirect-gatewayx def1'])).toEqual([]);
    // A pushed name (allow-pull-fqdn) resolves to whatever its DNS says.
    expect(pushedRoutes(['route x.example 255.255.0.0'])).toEqual(['0.0.0.0/0']);
  });
});

suite('profileRoutes: WireGuard', () => {
  const conf = (iface: string[], ...peers: string[][]): string =>
    [['[Interface]', `PrivateKey = ${PRIV}`, ...iface], ...peers.map((p) => ['[Peer]', ...p])].map((s) => s.join('\n')).join('\n');

  it('is every AllowedIPs and every Address subnet', () => {
    const routes = wireGuardRoutes(conf(['Address = 10.0.0.2/24, fd00::2/128'], [`PublicKey = ${PEER1}`, 'AllowedIPs = 192.168.0.0/16, 10.0.0.0/24'], [`PublicKey = ${PEER2}`, 'AllowedIPs = ::/1, 8000::/1']));
    expect(routes).toEqual(['10.0.0.0/24', 'fd00::2/128', '192.168.0.0/16', '::/1', '8000::/1']);
    expect(isFullTunnel(routes)).toBe(true);
  });

  it('routes no AllowedIPs with Table = off', () => {
    expect(wireGuardRoutes(conf(['Address = 10.0.0.2/32', 'Table = off'], [`PublicKey = ${PEER1}`, 'AllowedIPs = 0.0.0.0/0']))).toEqual(['10.0.0.2/32']);
  });

  it('sees a /0 written with host bits as the full tunnel it is', () => {
    const routes = wireGuardRoutes(conf([], [`PublicKey = ${PEER1}`, 'AllowedIPs = 1.0.0.0/0']));
    expect(routes).toEqual(['0.0.0.0/0']);
    expect(isFullTunnel(routes)).toBe(true);
  });
});

suite('findRouteConflict', () => {
  const claim = (uid: number, name: string, ...prefixes: string[]): RouteClaim => ({ uid, name, prefixes });
  const FULL4 = ['0.0.0.0/0'];
  const HALVES = ['0.0.0.0/1', '128.0.0.0/1'];

  it('another user: any overlap conflicts, naming the more specific network', () => {
    const theirs = claim(1001, 'alice', ...FULL4);
    expect(findRouteConflict(claim(1002, 'bob', ...HALVES), [theirs])).toEqual({ other: theirs, network: '0.0.0.0/1' });
    expect(findRouteConflict(claim(1002, 'bob', '10.1.0.0/16'), [theirs])).toEqual({ other: theirs, network: '10.1.0.0/16' });
    expect(findRouteConflict(claim(1002, 'bob', '1.0.0.0/0'), [claim(1001, 'alice', '192.0.2.0/24')])).toMatchObject({ network: '192.0.2.0/24' });
    expect(findRouteConflict(claim(1002, 'bob', '10.1.0.0/16'), [claim(1001, 'alice', '10.2.0.0/16', 'fd00::/8')])).toBeNull();
    expect(findRouteConflict(claim(1002, 'bob', ...FULL4), [claim(1001, 'alice', '::/0')])).toBeNull();
  });

  it('the same user: a split tunnel inside a full one is fine, two full tunnels or two overlapping splits are not', () => {
    const full = claim(1001, 'full', ...FULL4);
    expect(findRouteConflict(claim(1001, 'split', '10.0.0.0/8'), [full])).toBeNull();
    expect(findRouteConflict(claim(1001, 'full2', ...HALVES), [claim(1001, 'split', '10.0.0.0/8')])).toBeNull();
    expect(findRouteConflict(claim(1001, 'full2', ...HALVES), [full])).toEqual({ other: full, network: '0.0.0.0/1' });
    expect(findRouteConflict(claim(1001, 'v6full', '::/0'), [full])).toEqual({ other: full, network: '::/0' });
    const split = claim(1001, 'split', '10.0.0.0/8');
    expect(findRouteConflict(claim(1001, 'split2', '10.20.0.0/16'), [split])).toEqual({ other: split, network: '10.20.0.0/16' });
    expect(findRouteConflict(claim(1001, 'split2', '172.16.0.0/12'), [split])).toBeNull();
  });

  it('checks every running session and reports the first conflicting one', () => {
    const others = [claim(1001, 'a', '10.0.0.0/8'), claim(1003, 'b', '192.168.0.0/16'), claim(1004, 'c', '192.168.1.0/24')];
    expect(findRouteConflict(claim(1001, 'new', '192.168.1.128/25'), others)).toEqual({ other: others[1], network: '192.168.1.128/25' });
    expect(findRouteConflict(claim(1001, 'new', '172.16.0.0/12'), others)).toBeNull();
    expect(findRouteConflict(claim(1001, 'new', ...FULL4), [])).toBeNull();
  });

  it('another user never shares a network: checked against brute force on short prefixes', () => {
    const v4 = fc.tuple(fc.nat(255), fc.integer({ min: 0, max: 8 })).map(([a, bits]) => `${a}.0.0.0/${bits}`);
    let conflicts = 0;
    fc.assert(
      fc.property(fc.array(v4, { maxLength: 5 }), fc.array(v4, { maxLength: 5 }), (mine, theirs) => {
        const sharesAddress = Array.from({ length: 256 }, (_, i) => ipaddr.IPv4.parse(`${i}.0.0.0`)).some((probe) => {
          const hit = (list: string[]) => list.some((p) => probe.match(ipaddr.IPv4.parseCIDR(p)));
          return hit(mine) && hit(theirs);
        });
        const conflict = findRouteConflict(claim(1, 'mine', ...mine), [claim(2, 'theirs', ...theirs)]);
        expect(conflict !== null).toBe(sharesAddress);
        if (conflict) {
          conflicts++;
          expect(normalizePrefix(conflict.network)?.hadHostBits).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
    expect(conflicts).toBeGreaterThan(200);
    expect(conflicts).toBeLessThan(1800);
  });
});
