/**
 * The kill switch's ruleset (issue 14), pure: which packets each intent lets out, judged by
 * evaluating the planned rules on packets the way nft would (first matching rule wins, policy
 * drop), for fixed cases and random intents and packets; the nft text it renders; reading the
 * kernel's JSON listing back into the same plan (a real `nft -j` capture) and spotting changes;
 * intent validation; the saved state a restarted helper acts on.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { TUNNEL } from '../support/firewall.js';
import { parseIntent, TSUNAGU_FWMARK, type FirewallIntent } from '../../electron/helper/firewall/intent.js';
import { INTENT_FILE, intentAfterRestart, loadIntent, saveIntent } from '../../electron/helper/firewall/intent-store.js';
import { comparePlans, decodeListing, stoppedPackets } from '../../electron/helper/firewall/kernel-view.js';
import { LAN_NETWORKS_V4, planRuleset, renderRuleset, scriptFor, type ChainName, type Match, type RulesetPlan, type Verdict } from '../../electron/helper/firewall/rules.js';

interface Packet {
  iif: string;
  oif: string;
  saddr: string;
  daddr: string;
  proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'esp';
  sport: number;
  dport: number;
  mark: number;
  icmpv6Type?: string;
  hoplimit: number;
  ct: 'new' | 'established';
}

const family = (a: string) => (ipaddr.parse(a).kind() === 'ipv4' ? 'ip' : 'ip6');

function addressIn(a: string, values: string[]): boolean {
  const addr = ipaddr.parse(a);
  return values.some((v) => {
    if (v.includes('/')) {
      const [net, len] = ipaddr.parseCIDR(v);
      return net.kind() === addr.kind() && addr.match(net, len);
    }
    const other = ipaddr.parse(v);
    return other.kind() === addr.kind() && other.toString() === addr.toString();
  });
}

/** null: the match's protocol dependency fails (the rule cannot match this packet at all). */
function field(p: Packet, key: Match['key'], values: string[]): boolean | null {
  switch (key) {
    case 'meta oifname': return values.includes(p.oif);
    case 'meta iifname': return values.includes(p.iif);
    case 'meta mark': return values.includes(String(p.mark));
    case 'meta l4proto': return values.includes(p.proto);
    case 'ip saddr': case 'ip6 saddr': return family(p.saddr) === key.split(' ')[0] ? addressIn(p.saddr, values) : null;
    case 'ip daddr': case 'ip6 daddr': return family(p.daddr) === key.split(' ')[0] ? addressIn(p.daddr, values) : null;
    case 'ip6 hoplimit': return family(p.daddr) === 'ip6' ? values.includes(String(p.hoplimit)) : null;
    case 'udp sport': return p.proto === 'udp' ? values.includes(String(p.sport)) : null;
    case 'udp dport': return p.proto === 'udp' ? values.includes(String(p.dport)) : null;
    case 'tcp dport': return p.proto === 'tcp' ? values.includes(String(p.dport)) : null;
    case 'th dport': return p.proto === 'tcp' || p.proto === 'udp' ? values.includes(String(p.dport)) : null;
    case 'icmpv6 type': return p.proto === 'icmpv6' && p.icmpv6Type !== undefined ? values.includes(p.icmpv6Type) : null;
    case 'ct state': return values.includes(p.ct);
  }
}

/** The verdict nft reaches for a packet in one chain of the plan; 'accept' with no table. */
function verdict(plan: RulesetPlan | null, chain: ChainName, p: Packet): Verdict {
  if (plan === null) return 'accept';
  const c = plan.chains.find((x) => x.name === chain);
  if (!c) throw new Error(`no chain ${chain}`);
  for (const r of c.rules) {
    const hit = r.matches.every((x) => {
      const f = field(p, x.key, x.values);
      return f !== null && (x.op === '==' ? f : !f);
    });
    if (hit) return r.verdict;
  }
  return c.policy;
}

const OUT: Omit<Packet, 'daddr' | 'proto' | 'dport'> = { iif: '', oif: 'eth0', saddr: '198.18.20.2', sport: 40000, mark: 0, hoplimit: 64, ct: 'new' };
const out = (daddr: string, proto: Packet['proto'], dport: number, extra: Partial<Packet> = {}): Packet => ({
  ...OUT,
  saddr: family(daddr) === 'ip' ? '198.18.20.2' : '2001:db8:20::2',
  daddr,
  proto,
  dport,
  ...extra,
});


describe('what the kill switch lets out', () => {
  it('a full-tunnel session: the tunnel and the marked endpoint pass, the same traffic outside the tunnel is rejected (TCP with a reset)', () => {
    const plan = planRuleset(TUNNEL);
    expect(verdict(plan, 'output', out('198.18.22.1', 'tcp', 443, { oif: 'wg0' }))).toBe('accept');
    expect(verdict(plan, 'output', out('198.18.22.1', 'tcp', 443))).toBe('reject-tcp-reset');
    expect(verdict(plan, 'output', out('198.18.22.1', 'udp', 443))).toBe('reject-admin-prohibited');
    expect(verdict(plan, 'output', out('198.18.22.1', 'icmp', 0))).toBe('reject-admin-prohibited');
    expect(verdict(plan, 'output', out('198.18.21.1', 'udp', 51820, { mark: TSUNAGU_FWMARK }))).toBe('accept');
    // Another process (no mark) reaching the endpoint, or the endpoint on another port, is not the tunnel.
    expect(verdict(plan, 'output', out('198.18.21.1', 'udp', 51820))).toBe('reject-admin-prohibited');
    expect(verdict(plan, 'output', out('198.18.21.1', 'tcp', 22, { mark: TSUNAGU_FWMARK }))).toBe('reject-tcp-reset');
    expect(verdict(plan, 'output', out('127.0.0.1', 'udp', 53, { oif: 'lo' }))).toBe('accept');
  });

  it('a v4-only tunnel lets no IPv6 out of the physical interface, whatever the protocol', () => {
    const plan = planRuleset(TUNNEL);
    for (const proto of ['tcp', 'udp', 'icmpv6'] as const) {
      expect(verdict(plan, 'output', out('2001:db8:22::1', proto, 443, proto === 'icmpv6' ? { icmpv6Type: 'echo-request' } : {}))).not.toBe('accept');
    }
  });

  it("DNS: only the tunnel's resolvers, only through the tunnel; every other resolver is refused, inside the tunnel or out", () => {
    const plan = planRuleset(TUNNEL);
    expect(verdict(plan, 'output', out('10.64.0.1', 'udp', 53, { oif: 'wg0' }))).toBe('accept');
    expect(verdict(plan, 'output', out('10.64.0.1', 'tcp', 853, { oif: 'wg0' }))).toBe('accept');
    expect(verdict(plan, 'output', out('10.64.0.1', 'udp', 53))).toBe('reject-admin-prohibited');
    expect(verdict(plan, 'output', out('198.18.22.53', 'udp', 53, { oif: 'wg0' }))).toBe('reject-admin-prohibited');
    expect(verdict(plan, 'output', out('198.18.22.53', 'tcp', 53, { oif: 'wg0' }))).toBe('reject-admin-prohibited');
    // A tunnel that names no resolver: DNS through it to any resolver, never outside it.
    const noDns = planRuleset({ ...TUNNEL, dnsServers: [] });
    expect(verdict(noDns, 'output', out('198.18.22.53', 'udp', 53, { oif: 'wg0' }))).toBe('accept');
    expect(verdict(noDns, 'output', out('198.18.22.53', 'udp', 53))).toBe('reject-admin-prohibited');
  });

  it('an endpoint on port 53 still works for the marked tunnel process (endpoint rules come before the DNS block)', () => {
    const plan = planRuleset({ ...TUNNEL, endpoints: [{ protocol: 'udp', address: '198.18.21.1', port: 53, mark: 7 }] });
    expect(verdict(plan, 'output', out('198.18.21.1', 'udp', 53, { mark: 7 }))).toBe('accept');
    expect(verdict(plan, 'output', out('198.18.21.1', 'udp', 53))).toBe('reject-admin-prohibited');
  });

  it('allow LAN opens RFC 1918, link-local, ULA and local multicast, but never DNS on the LAN', () => {
    const closed = planRuleset(TUNNEL);
    const open = planRuleset({ ...TUNNEL, allowLan: true });
    for (const lan of ['192.168.1.10', '10.1.2.3', '172.16.0.1', '169.254.1.1', '224.0.0.251', '255.255.255.255', 'fd12::1', 'fe80::1', 'ff02::fb']) {
      expect(verdict(closed, 'output', out(lan, 'udp', 5353))).not.toBe('accept');
      expect(verdict(open, 'output', out(lan, 'udp', 5353))).toBe('accept');
      expect(verdict(open, 'output', out(lan, 'udp', 53))).toBe('reject-admin-prohibited');
    }
    for (const net of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']) expect(LAN_NETWORKS_V4).toContain(net);
    expect(verdict(open, 'output', out('198.18.22.1', 'tcp', 80))).toBe('reject-tcp-reset');
  });

  it('DHCP and NDP always pass; NDP only with hop limit 255 (link-scoped)', () => {
    for (const intent of [TUNNEL, { mode: 'lockdown', allowLan: false } as const]) {
      const plan = planRuleset(intent);
      expect(verdict(plan, 'output', out('255.255.255.255', 'udp', 67, { sport: 68 }))).toBe('accept');
      expect(verdict(plan, 'output', out('ff02::1:2', 'udp', 547, { sport: 546, saddr: 'fe80::1' }))).toBe('accept');
      expect(verdict(plan, 'output', out('ff02::1:ff00:1', 'icmpv6', 0, { icmpv6Type: 'nd-neighbor-solicit', hoplimit: 255 }))).toBe('accept');
      expect(verdict(plan, 'output', out('2001:db8:22::1', 'icmpv6', 0, { icmpv6Type: 'nd-neighbor-solicit', hoplimit: 64 }))).not.toBe('accept');
      expect(verdict(plan, 'input', { ...out('fe80::2', 'icmpv6', 0, { icmpv6Type: 'nd-router-advert', hoplimit: 255 }), iif: 'eth0', oif: '' })).toBe('accept');
    }
  });

  it('inbound: replies and the tunnel pass, anything unasked is dropped (not rejected), and the tunnel address is unreachable from outside the tunnel', () => {
    const plan = planRuleset({ ...TUNNEL, allowLan: true });
    const inbound = (p: Partial<Packet>): Packet => ({ ...out('198.18.20.2', 'tcp', 22), iif: 'eth0', oif: '', saddr: '198.18.22.1', ...p });
    expect(verdict(plan, 'input', inbound({}))).toBe('drop');
    expect(verdict(plan, 'input', inbound({ ct: 'established' }))).toBe('accept');
    expect(verdict(plan, 'input', inbound({ iif: 'wg0', daddr: '10.64.0.2' }))).toBe('accept');
    // CVE-2019-14899: even an "established" packet for the tunnel address from the LAN is dropped.
    expect(verdict(plan, 'input', inbound({ saddr: '192.168.1.5', daddr: '10.64.0.2', ct: 'established' }))).toBe('drop');
  });

  it("blocked and lockdown: nothing leaves but loopback, DHCP, NDP (and the LAN when allowed), and they are the same rules", () => {
    const blocked = planRuleset({ mode: 'blocked', allowLan: false });
    expect(blocked).toEqual(planRuleset({ mode: 'lockdown', allowLan: false }));
    expect(verdict(blocked, 'output', out('198.18.21.1', 'udp', 51820, { mark: TSUNAGU_FWMARK }))).not.toBe('accept');
    expect(verdict(blocked, 'output', out('198.18.22.1', 'tcp', 443, { oif: 'wg0' }))).not.toBe('accept');
    expect(verdict(blocked, 'forward', out('198.18.22.1', 'tcp', 443))).toBe('reject-tcp-reset');
  });

  it("'off' has no table: everything passes as it does today", () => {
    expect(planRuleset({ mode: 'off' })).toBeNull();
    expect(verdict(null, 'output', out('198.18.22.1', 'tcp', 443))).toBe('accept');
  });

  it('for any tunnel intent and any packet leaving a physical interface, only the marked endpoint, DHCP/NDP or an allowed LAN address is accepted', () => {
    const v4 = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 })).map((p) => p.join('.'));
    const v6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => ipaddr.fromByteArray(g.flatMap((x) => [x >> 8, x & 255])).toString());
    const addr = fc.oneof(v4, v6, fc.constantFrom('198.18.21.1', '10.64.0.1', '192.168.0.1', 'fd00::1', 'fe80::1'));
    const endpoint = fc.record({ protocol: fc.constantFrom('udp' as const, 'tcp' as const), address: addr, port: fc.integer({ min: 1, max: 65535 }), mark: fc.integer({ min: 1, max: 0xffffffff }) });
    const intent = fc.record({
      mode: fc.constant('tunnel' as const),
      tunnelInterfaces: fc.constantFrom('wg0', 'tun0,tun1', 'ipsec0').map((s) => s.split(',')),
      endpoints: fc.array(endpoint, { maxLength: 3 }),
      allowLan: fc.boolean(),
      dnsServers: fc.array(addr, { maxLength: 3 }),
      tunnelAddresses: fc.array(addr, { maxLength: 2 }),
    });
    const packet = fc.record({
      daddr: addr,
      proto: fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const, 'icmpv6' as const, 'esp' as const),
      dport: fc.oneof(fc.constantFrom(53, 853, 67, 547, 51820), fc.integer({ min: 1, max: 65535 })),
      sport: fc.oneof(fc.constantFrom(68, 546), fc.integer({ min: 1024, max: 65535 })),
      mark: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0xffffffff })),
      oif: fc.constantFrom('eth0', 'wlan0'),
    });
    fc.assert(
      fc.property(intent, packet, (i, p) => {
        const pkt = out(p.daddr, p.proto, p.dport, { sport: p.sport, mark: p.mark, oif: p.oif });
        if (verdict(planRuleset(i), 'output', pkt) !== 'accept') return true;
        const toEndpoint = i.endpoints.some((e) => e.protocol === p.proto && e.port === p.dport && e.mark === p.mark && addressIn(p.daddr, [e.address]));
        const dhcp = p.proto === 'udp' && ((p.sport === 68 && p.dport === 67) || (p.sport === 546 && p.dport === 547));
        const lan = i.allowLan && addressIn(p.daddr, [...LAN_NETWORKS_V4, 'fe80::/10', 'fc00::/7', 'ff02::/16', 'ff05::/16']) && !((p.proto === 'tcp' || p.proto === 'udp') && (p.dport === 53 || p.dport === 853));
        return toEndpoint || dhcp || lan;
      }),
    );
  });
});

describe('the nft script', () => {
  it('replaces the table in one transaction (declare, delete, recreate) and removes it the same way', () => {
    const text = scriptFor(TUNNEL);
    expect(text.split('\n').slice(0, 3)).toEqual(['table inet tsunagu', 'delete table inet tsunagu', 'table inet tsunagu {']);
    expect(text).toContain('policy drop;');
    expect(text).toContain('ip daddr 198.18.21.1 udp dport 51820 meta mark 1953723758 accept');
    expect(text).toContain('meta l4proto tcp counter reject with tcp reset');
    expect(scriptFor({ mode: 'off' })).toBe('table inet tsunagu\ndelete table inet tsunagu\n');
    const plan = planRuleset(TUNNEL);
    if (plan === null) throw new Error('no plan');
    for (const line of renderRuleset(plan).split('\n').filter((l) => /^\s{4}(?!type)/.test(l))) expect(line).toMatch(/ comment "[^"]+"$/);
  });

  it('a tunnel whose interface is not up yet passes only its marked endpoint packets: no tunnel, no tunnel DNS rule', () => {
    const text = scriptFor({ ...TUNNEL, tunnelInterfaces: [] });
    expect(text).toContain('ip daddr 198.18.21.1 udp dport 51820 meta mark 1953723758 accept');
    expect(text).not.toMatch(/(oif|iif)name (!= )?(\{ )?"(?!lo")/);
    expect(text).toContain('counter reject with icmpx admin-prohibited comment "dns elsewhere"');
  });

  it('normalises addresses as nft lists them', () => {
    const text = scriptFor({ ...TUNNEL, dnsServers: ['2001:DB8:0:0::53'] });
    expect(text).toContain('ip6 daddr 2001:db8::53 ');
  });
});

describe('the intent', () => {
  it('refuses what could break out of the nft text or means nothing', () => {
    const bad: unknown[] = [
      { ...TUNNEL, tunnelInterfaces: ['wg0"; flush ruleset; "'] },
      { ...TUNNEL, tunnelInterfaces: ['a-name-longer-than-15'] },
      { ...TUNNEL, endpoints: [{ protocol: 'udp', address: '198.18.21.1', port: 51820, mark: 0 }] },
      { ...TUNNEL, endpoints: [{ protocol: 'udp', address: '198.18.21.1/24', port: 51820, mark: 1 }] },
      { ...TUNNEL, endpoints: [{ protocol: 'udp', address: 'vpn.example', port: 51820, mark: 1 }] },
      { ...TUNNEL, dnsServers: ['::ffff:10.0.0.1'] },
      { ...TUNNEL, dnsServers: ['fe80::1%eth0'] },
      { mode: 'lockdown' },
      { mode: 'blocked', allowLan: false, endpoints: [] },
      { mode: 'panic' },
    ];
    for (const b of bad) {
      const r = parseIntent(b);
      expect(r.ok, JSON.stringify(b)).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('firewall-intent-invalid');
        expect(r.error.message.ja).not.toBe('');
      }
    }
    expect(parseIntent(TUNNEL).ok).toBe(true);
    expect(parseIntent({ mode: 'tunnel', tunnelInterfaces: ['ipsec0'], endpoints: [{ protocol: 'esp', address: '2001:db8::1', mark: 9 }], allowLan: true, dnsServers: [], tunnelAddresses: [] }).ok).toBe(true);
  });
});

// `nft -j list table inet tsunagu` (nftables 1.0.6) after applying { mode: 'lockdown', allowLan: false }.
const LOCKDOWN_LISTING = '{"nftables":[{"metainfo":{"version":"1.0.6","release_name":"Lester Gooch #5","json_schema_version":1}},{"table":{"family":"inet","name":"tsunagu","handle":29}},{"chain":{"family":"inet","table":"tsunagu","name":"input","handle":1,"type":"filter","hook":"input","prio":0,"policy":"drop"}},{"chain":{"family":"inet","table":"tsunagu","name":"output","handle":2,"type":"filter","hook":"output","prio":0,"policy":"drop"}},{"chain":{"family":"inet","table":"tsunagu","name":"forward","handle":3,"type":"filter","hook":"forward","prio":0,"policy":"drop"}},{"rule":{"family":"inet","table":"tsunagu","chain":"input","handle":4,"comment":"loopback","expr":[{"match":{"op":"==","left":{"meta":{"key":"iifname"}},"right":"lo"}},{"accept":null}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"input","handle":5,"comment":"replies","expr":[{"match":{"op":"in","left":{"ct":{"key":"state"}},"right":["established","related"]}},{"accept":null}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"input","handle":6,"comment":"dhcpv4 server replies","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"sport"}},"right":67}},{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"dport"}},"right":68}},{"accept":null}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"input","handle":7,"comment":"dhcpv6 server replies","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip6","field":"saddr"}},"right":{"prefix":{"addr":"fe80::","len":10}}}},{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"sport"}},"right":547}},{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"dport"}},"right":546}},{"accept":null}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"input","handle":9,"comment":"ndp","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"icmpv6","field":"type"}},"right":{"set":["nd-router-advert","nd-neighbor-solicit","nd-neighbor-advert","nd-redirect"]}}},{"match":{"op":"==","left":{"payload":{"protocol":"ip6","field":"hoplimit"}},"right":255}},{"accept":null}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"input","handle":10,"comment":"drop the rest","expr":[{"counter":{"packets":0,"bytes":0}},{"drop":null}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"output","handle":11,"comment":"loopback","expr":[{"match":{"op":"==","left":{"meta":{"key":"oifname"}},"right":"lo"}},{"accept":null}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"output","handle":14,"comment":"dns elsewhere","expr":[{"match":{"op":"==","left":{"meta":{"key":"l4proto"}},"right":{"set":["tcp","udp"]}}},{"match":{"op":"==","left":{"payload":{"protocol":"th","field":"dport"}},"right":{"set":[53,853]}}},{"counter":{"packets":0,"bytes":0}},{"reject":{"type":"icmpx","expr":"admin-prohibited"}}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"output","handle":15,"comment":"dhcpv4 client","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"sport"}},"right":68}},{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"dport"}},"right":67}},{"accept":null}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"output","handle":17,"comment":"dhcpv6 client","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip6","field":"saddr"}},"right":{"prefix":{"addr":"fe80::","len":10}}}},{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"sport"}},"right":546}},{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"dport"}},"right":547}},{"match":{"op":"==","left":{"payload":{"protocol":"ip6","field":"daddr"}},"right":{"set":["ff02::1:2","ff05::1:3"]}}},{"accept":null}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"output","handle":19,"comment":"ndp","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"icmpv6","field":"type"}},"right":{"set":["nd-router-solicit","nd-neighbor-solicit","nd-neighbor-advert"]}}},{"match":{"op":"==","left":{"payload":{"protocol":"ip6","field":"hoplimit"}},"right":255}},{"accept":null}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"output","handle":20,"comment":"reject the rest (tcp)","expr":[{"match":{"op":"==","left":{"meta":{"key":"l4proto"}},"right":"tcp"}},{"counter":{"packets":0,"bytes":0}},{"reject":{"type":"tcp reset"}}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"output","handle":21,"comment":"reject the rest","expr":[{"counter":{"packets":0,"bytes":0}},{"reject":{"type":"icmpx","expr":"admin-prohibited"}}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"forward","handle":24,"comment":"dns elsewhere","expr":[{"match":{"op":"==","left":{"meta":{"key":"l4proto"}},"right":{"set":["tcp","udp"]}}},{"match":{"op":"==","left":{"payload":{"protocol":"th","field":"dport"}},"right":{"set":[53,853]}}},{"counter":{"packets":0,"bytes":0}},{"reject":{"type":"icmpx","expr":"admin-prohibited"}}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"forward","handle":25,"comment":"reject the rest (tcp)","expr":[{"match":{"op":"==","left":{"meta":{"key":"l4proto"}},"right":"tcp"}},{"counter":{"packets":0,"bytes":0}},{"reject":{"type":"tcp reset"}}]}},{"rule":{"family":"inet","table":"tsunagu","chain":"forward","handle":26,"comment":"reject the rest","expr":[{"counter":{"packets":0,"bytes":0}},{"reject":{"type":"icmpx","expr":"admin-prohibited"}}]}}]}';

describe("reading the kernel's table back", () => {
  const lockdown: FirewallIntent = { mode: 'lockdown', allowLan: false };

  it('decodes a real listing into exactly the plan that was applied', () => {
    const decoded = decodeListing(JSON.parse(LOCKDOWN_LISTING));
    const plan = planRuleset(lockdown);
    if (!decoded.ok || plan === null) throw new Error(decoded.ok ? 'no plan' : decoded.reason);
    expect(comparePlans(plan, decoded.value)).toEqual([]);
    expect(stoppedPackets(JSON.parse(LOCKDOWN_LISTING))).toEqual({ input: 0, output: 0, forward: 0 });
  });

  it('notices a different intent, a changed policy, a missing rule and foreign expressions', () => {
    const decoded = decodeListing(JSON.parse(LOCKDOWN_LISTING));
    if (!decoded.ok) throw new Error(decoded.reason);
    const lan = planRuleset({ mode: 'lockdown', allowLan: true });
    if (lan === null) throw new Error('no plan');
    expect(comparePlans(lan, decoded.value).join('\n')).toMatch(/lan \(ip daddr\)/);

    const accepting = LOCKDOWN_LISTING.replace('"hook":"output","prio":0,"policy":"drop"', '"hook":"output","prio":0,"policy":"accept"');
    expect(accepting).not.toBe(LOCKDOWN_LISTING);
    expect(decodeListing(JSON.parse(accepting)).ok).toBe(false);

    const listing = JSON.parse(LOCKDOWN_LISTING) as { nftables: { rule?: { chain: string; comment?: string } }[] };
    const without = { nftables: listing.nftables.filter((o) => !(o.rule?.chain === 'output' && o.rule.comment === 'reject the rest')) };
    const missing = decodeListing(without);
    const plan = planRuleset(lockdown);
    if (!missing.ok || plan === null) throw new Error('decode');
    expect(comparePlans(plan, missing.value)).toContain('chain output rule 7: kernel has (nothing); expected  | counter reject-admin-prohibited | reject the rest');

    const foreign = LOCKDOWN_LISTING.replace('{"accept":null}', '{"jump":{"target":"elsewhere"}}');
    expect(decodeListing(JSON.parse(foreign)).ok).toBe(false);
  });
});

describe('the saved intent', () => {
  const isRoot = process.getuid?.() === 0;

  it('a restarted helper keeps blocking: a tunnel becomes blocked, blocked and lockdown stay, an unreadable record blocks', () => {
    const saved = (intent: FirewallIntent) => ({ ok: true as const, value: { version: 1 as const, intent, sessionId: 's1', savedAt: '2026-12-02T00:00:00.000Z' } });
    expect(intentAfterRestart(saved({ ...TUNNEL, allowLan: true }))).toEqual({ mode: 'blocked', allowLan: true });
    expect(intentAfterRestart(saved({ mode: 'lockdown', allowLan: false }))).toEqual({ mode: 'lockdown', allowLan: false });
    expect(intentAfterRestart(saved({ mode: 'off' }))).toEqual({ mode: 'off' });
    expect(intentAfterRestart({ ok: true, value: null })).toEqual({ mode: 'off' });
    expect(intentAfterRestart({ ok: false, error: { code: 'firewall-state-unreadable', message: { en: 'x', ja: 'x' }, detail: '' } })).toEqual({ mode: 'blocked', allowLan: false });
  });

  it.skipIf(!isRoot)('is written atomically as a root-only file and read back; a loosened or corrupt file is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsunagu-fw-'));
    try {
      chmodSync(dir, 0o700);
      expect(loadIntent(dir)).toEqual({ ok: true, value: null });
      const w = saveIntent(dir, TUNNEL, 'session-1', new Date('2026-12-02T08:00:00Z'));
      expect(w.ok).toBe(true);
      const file = join(dir, INTENT_FILE);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(loadIntent(dir)).toEqual({ ok: true, value: { version: 1, intent: TUNNEL, sessionId: 'session-1', uid: null, savedAt: '2026-12-02T08:00:00.000Z' } });
      expect(saveIntent(dir, { mode: 'off' }, null).ok).toBe(true);
      const off = loadIntent(dir);
      expect(off.ok && off.value?.intent).toEqual({ mode: 'off' });

      chmodSync(file, 0o644);
      const loose = loadIntent(dir);
      expect(!loose.ok && loose.error.code).toBe('firewall-state-unsafe');
      chmodSync(file, 0o600);
      writeFileSync(file, '{"version":1,"intent":{"mode":"tunnel"');
      const torn = loadIntent(dir);
      expect(!torn.ok && torn.error.code).toBe('firewall-state-unreadable');
      expect(readFileSync(file, 'utf8')).toContain('tunnel');

      chmodSync(dir, 0o777);
      const open = saveIntent(dir, TUNNEL, null);
      expect(!open.ok && open.error.code).toBe('firewall-state-unsafe');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
