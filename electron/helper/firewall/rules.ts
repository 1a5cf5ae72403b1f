/**
 * The kill switch's nftables ruleset, from an intent (pure). One table, `inet tsunagu`, covers
 * IPv4 and IPv6 alike, so a v4-only tunnel never lets IPv6 out. Its base chains have policy drop
 * and end with a reject, so an application fails at once (TCP reset, ICMP admin-prohibited)
 * instead of waiting for a timeout; what arrives unasked is dropped.
 *
 * The table is always replaced whole in one transaction (`table` + `delete table` + the new
 * table in one `nft -f`): the kernel holds either the old rules or the new ones, never a mix.
 *
 * The plan is data (chains of rules of matches) so the same description renders the nft text and
 * is compared with what the kernel lists back (kernel-view.ts).
 *
 * Order matters and follows Mullvad's design: the tunnel's own marked packets to its endpoints
 * first (an endpoint may use port 53), then DNS (the tunnel's resolvers through the tunnel, every
 * other DNS rejected) before the tunnel and LAN rules, so DNS can leak neither to the LAN nor to
 * another resolver inside the tunnel.
 */
import { addressFamily, normalizeAddress, type Endpoint, type FirewallIntent, type TunnelIntent } from './intent.js';

export const TABLE_FAMILY = 'inet';
export const TABLE_NAME = 'tsunagu';

export type MatchKey =
  | 'meta oifname'
  | 'meta iifname'
  | 'meta mark'
  | 'meta l4proto'
  | 'ip saddr'
  | 'ip daddr'
  | 'ip6 saddr'
  | 'ip6 daddr'
  | 'ip6 hoplimit'
  | 'udp sport'
  | 'udp dport'
  | 'tcp dport'
  | 'th dport'
  | 'icmpv6 type'
  | 'ct state';

/** One match: values as nft lists them (names unquoted, numbers in decimal, prefixes `addr/len`). */
export interface Match {
  key: MatchKey;
  op: '==' | '!=';
  values: string[];
}

export type Verdict = 'accept' | 'drop' | 'reject-tcp-reset' | 'reject-admin-prohibited';

export interface RuleSpec {
  comment: string;
  matches: Match[];
  counter: boolean;
  verdict: Verdict;
}

export type ChainName = 'input' | 'output' | 'forward';

export interface ChainSpec {
  name: ChainName;
  hook: ChainName;
  priority: number;
  policy: 'drop';
  rules: RuleSpec[];
}

export interface RulesetPlan {
  chains: ChainSpec[];
}

/** Private networks and what stays on the link: RFC 1918, link-local, local multicast, broadcast. */
export const LAN_NETWORKS_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '224.0.0.0/24', '239.0.0.0/8', '255.255.255.255'];
/**
 * Link-local, unique local (fc00::/7), link- and site-local multicast. No two of either list may
 * touch: nft would merge them into a range, and the kernel's listing would no longer match the plan.
 */
export const LAN_NETWORKS_V6 = ['fe80::/10', 'fc00::/7', 'ff02::/16', 'ff05::/16'];
const DNS_PORTS = ['53', '853'];
const DHCPV6_SERVERS = ['ff02::1:2', 'ff05::1:3'];

const m = (key: MatchKey, values: readonly string[], op: Match['op'] = '=='): Match => ({ key, op, values: [...values] });
const rule = (comment: string, matches: Match[], verdict: Verdict, counter = false): RuleSpec => ({ comment, matches, verdict, counter });

function endpointRules(endpoints: readonly Endpoint[]): RuleSpec[] {
  return endpoints.map((e) => {
    const family = addressFamily(e.address);
    const address = normalizeAddress(e.address);
    const port = e.protocol === 'esp' ? [m('meta l4proto', ['esp'])] : [m(`${e.protocol} dport`, [String(e.port)])];
    const label = e.protocol === 'esp' ? `esp ${address}` : `${e.protocol} ${address} ${e.port}`;
    return rule(`endpoint ${label} (marked)`, [m(`${family} daddr`, [address]), ...port, m('meta mark', [String(e.mark)])], 'accept');
  });
}

function tunnelDnsRules(t: TunnelIntent, direction: 'meta oifname'): RuleSpec[] {
  if (t.tunnelInterfaces.length === 0) return [];
  const tunnels = m(direction, t.tunnelInterfaces);
  const dns = [m('meta l4proto', ['tcp', 'udp']), m('th dport', DNS_PORTS)];
  if (t.dnsServers.length === 0) return [rule('dns through the tunnel', [tunnels, ...dns], 'accept')];
  const out: RuleSpec[] = [];
  for (const family of ['ip', 'ip6'] as const) {
    const servers = t.dnsServers.filter((s) => addressFamily(s) === family).map(normalizeAddress);
    if (servers.length > 0) out.push(rule(`dns to the tunnel's resolvers (${family})`, [tunnels, m(`${family} daddr`, servers), ...dns], 'accept'));
  }
  return out;
}

/**
 * ICMP admin-prohibited for TCP too: a TCP reset for a connection routed into a wg-quick tunnel
 * comes back with the resolver's address on lo, and wg-quick's anti-spoofing rule (packets for
 * the tunnel address from outside the tunnel whose source is not local) drops it, so the
 * application would wait for its timeout instead of failing at once.
 */
function dnsRejectRules(): RuleSpec[] {
  return [rule('dns elsewhere', [m('meta l4proto', ['tcp', 'udp']), m('th dport', DNS_PORTS)], 'reject-admin-prohibited', true)];
}

function lanRules(direction: 'daddr' | 'saddr'): RuleSpec[] {
  return [
    rule(`lan (ip ${direction})`, [m(`ip ${direction}`, LAN_NETWORKS_V4)], 'accept'),
    rule(`lan (ip6 ${direction})`, [m(`ip6 ${direction}`, LAN_NETWORKS_V6)], 'accept'),
  ];
}

function finalReject(): RuleSpec[] {
  return [
    rule('reject the rest (tcp)', [m('meta l4proto', ['tcp'])], 'reject-tcp-reset', true),
    rule('reject the rest', [], 'reject-admin-prohibited', true),
  ];
}

/** A tunnel intent whose interface exists already (an empty set is no valid nft match). */
function hasTunnel(intent: Exclude<FirewallIntent, { mode: 'off' }>): intent is TunnelIntent {
  return intent.mode === 'tunnel' && intent.tunnelInterfaces.length > 0;
}

function outputChain(intent: Exclude<FirewallIntent, { mode: 'off' }>): RuleSpec[] {
  const rules: RuleSpec[] = [rule('loopback', [m('meta oifname', ['lo'])], 'accept')];
  if (intent.mode === 'tunnel') rules.push(...endpointRules(intent.endpoints), ...tunnelDnsRules(intent, 'meta oifname'));
  rules.push(...dnsRejectRules());
  if (hasTunnel(intent)) rules.push(rule('tunnel', [m('meta oifname', intent.tunnelInterfaces)], 'accept'));
  rules.push(
    // Only root can bind the DHCP client ports, so these are the system's DHCP client.
    rule('dhcpv4 client', [m('udp sport', ['68']), m('udp dport', ['67'])], 'accept'),
    rule('dhcpv6 client', [m('ip6 saddr', ['fe80::/10']), m('udp sport', ['546']), m('udp dport', ['547']), m('ip6 daddr', DHCPV6_SERVERS)], 'accept'),
    // NDP packets carry hop limit 255, which no router forwards: they cannot leave the link.
    rule('ndp', [m('icmpv6 type', ['nd-router-solicit', 'nd-neighbor-solicit', 'nd-neighbor-advert']), m('ip6 hoplimit', ['255'])], 'accept'),
  );
  if (intent.allowLan) rules.push(...lanRules('daddr'));
  rules.push(...finalReject());
  return rules;
}

function inputChain(intent: Exclude<FirewallIntent, { mode: 'off' }>): RuleSpec[] {
  const rules: RuleSpec[] = [rule('loopback', [m('meta iifname', ['lo'])], 'accept')];
  if (hasTunnel(intent)) {
    for (const family of ['ip', 'ip6'] as const) {
      const own = intent.tunnelAddresses.filter((a) => addressFamily(a) === family).map(normalizeAddress);
      if (own.length > 0) {
        rules.push(rule(`tunnel address from outside the tunnel (${family})`, [m('meta iifname', intent.tunnelInterfaces, '!='), m(`${family} daddr`, own)], 'drop'));
      }
    }
  }
  rules.push(rule('replies', [m('ct state', ['established', 'related'])], 'accept'));
  if (hasTunnel(intent)) rules.push(rule('tunnel', [m('meta iifname', intent.tunnelInterfaces)], 'accept'));
  rules.push(
    rule('dhcpv4 server replies', [m('udp sport', ['67']), m('udp dport', ['68'])], 'accept'),
    rule('dhcpv6 server replies', [m('ip6 saddr', ['fe80::/10']), m('udp sport', ['547']), m('udp dport', ['546'])], 'accept'),
    rule('ndp', [m('icmpv6 type', ['nd-router-advert', 'nd-neighbor-solicit', 'nd-neighbor-advert', 'nd-redirect']), m('ip6 hoplimit', ['255'])], 'accept'),
  );
  if (intent.allowLan) rules.push(...lanRules('saddr'));
  rules.push(rule('drop the rest', [], 'drop', true));
  return rules;
}

/** Traffic the host routes for others (containers, VMs) gets the same treatment as its own. */
function forwardChain(intent: Exclude<FirewallIntent, { mode: 'off' }>): RuleSpec[] {
  const rules: RuleSpec[] = [];
  if (intent.mode === 'tunnel') rules.push(...tunnelDnsRules(intent, 'meta oifname'));
  rules.push(...dnsRejectRules());
  if (hasTunnel(intent)) {
    rules.push(
      rule('into the tunnel', [m('meta oifname', intent.tunnelInterfaces)], 'accept'),
      rule('replies from the tunnel', [m('meta iifname', intent.tunnelInterfaces), m('ct state', ['established', 'related'])], 'accept'),
    );
  }
  if (intent.allowLan) rules.push(rule('lan (ip daddr)', [m('ip daddr', LAN_NETWORKS_V4)], 'accept'), rule('lan (ip6 daddr)', [m('ip6 daddr', LAN_NETWORKS_V6)], 'accept'));
  rules.push(...finalReject());
  return rules;
}

/** The table for an intent; null for 'off' (no table at all). */
export function planRuleset(intent: FirewallIntent): RulesetPlan | null {
  if (intent.mode === 'off') return null;
  const chain = (name: ChainName, rules: RuleSpec[]): ChainSpec => ({ name, hook: name, priority: 0, policy: 'drop', rules });
  return { chains: [chain('input', inputChain(intent)), chain('output', outputChain(intent)), chain('forward', forwardChain(intent))] };
}

const NAME_KEYS: ReadonlySet<MatchKey> = new Set(['meta oifname', 'meta iifname']);

function renderValues(key: MatchKey, values: readonly string[]): string {
  const shown = NAME_KEYS.has(key) ? values.map((v) => `"${v}"`) : [...values];
  if (key === 'ct state') return shown.join(',');
  return shown.length === 1 ? (shown[0] ?? '') : `{ ${shown.join(', ')} }`;
}

const VERDICT_TEXT: Record<Verdict, string> = {
  accept: 'accept',
  drop: 'drop',
  'reject-tcp-reset': 'reject with tcp reset',
  'reject-admin-prohibited': 'reject with icmpx admin-prohibited',
};

export function renderRule(r: RuleSpec): string {
  const parts = r.matches.map((x) => `${x.key} ${x.op === '!=' ? '!= ' : ''}${renderValues(x.key, x.values)}`);
  if (r.counter) parts.push('counter');
  parts.push(VERDICT_TEXT[r.verdict], `comment "${r.comment}"`);
  return parts.join(' ');
}

const HEADER = `table ${TABLE_FAMILY} ${TABLE_NAME}\ndelete table ${TABLE_FAMILY} ${TABLE_NAME}\n`;

function renderTable(plan: RulesetPlan): string {
  const chains = plan.chains.map((c) =>
    [`  chain ${c.name} {`, `    type filter hook ${c.hook} priority ${c.priority}; policy ${c.policy};`, ...c.rules.map((r) => `    ${renderRule(r)}`), '  }'].join('\n'),
  );
  return `table ${TABLE_FAMILY} ${TABLE_NAME} {\n${chains.join('\n')}\n}\n`;
}

/**
 * The `nft -f` script that replaces the table in one transaction. Declaring the (empty) table
 * first makes the delete succeed whether or not it existed.
 */
export function renderRuleset(plan: RulesetPlan): string {
  return `${HEADER}${renderTable(plan)}`;
}

/**
 * The script that puts the table in where there is none, in one transaction: `create` fails
 * (EEXIST, "File exists") if a table of that name exists, so it never merges into one. A delete
 * in a transaction makes the kernel wait for an RCU grace period at commit (~8 ms here, whether or
 * not the table existed), so the common connect (nothing guarded before) is several times faster
 * this way: 0.6 ms of kernel work instead of ~8.6 (measured in-process with libnftables).
 */
export function creationScript(intent: FirewallIntent): string | null {
  const plan = planRuleset(intent);
  return plan === null ? null : `create table ${TABLE_FAMILY} ${TABLE_NAME}\n${renderTable(plan)}`;
}

/** Removes the table (and nothing else) in one transaction; succeeds when there is none. */
export function removalScript(): string {
  return HEADER;
}

/** The script for an intent: the table for a blocking mode, its removal for 'off'. */
export function scriptFor(intent: FirewallIntent): string {
  const plan = planRuleset(intent);
  return plan === null ? removalScript() : renderRuleset(plan);
}
