/**
 * The networks a tunnel puts into the system's routing, computed on ipaddr.js: one place decides
 * "does this route everything" and "do these two sessions claim the same traffic". Routing is
 * global to the machine, so the helper uses these to keep one session (one user) from taking
 * another's traffic: before a connect from the profile, and again once the server's pushed
 * options are known.
 */
import ipaddr from 'ipaddr.js';
import type { WireGuardProfile } from './wireguard/model.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** A parsed prefix with its host bits cleared. */
interface Prefix {
  network: Address;
  bits: number;
}

export interface NormalizedPrefix {
  /** Canonical `network/bits`, host bits cleared ("0.0.0.0/0", "2001:db8::/32", "::ffff:10.0.0.0/104"). */
  cidr: string;
  /** The input had bits set below its prefix length ("1.0.0.0/0", "10.0.0.1/24"). */
  hadHostBits: boolean;
}

/** Longer than any IPv6 address with a /128: nothing valid is cut off, ipaddr.js only sees short text. */
const MAX_PREFIX_TEXT = 64;
const BITS_TEXT = /^[0-9]{1,3}$/;

/** Canonical text: dotted IPv4, RFC 5952 IPv6 with IPv4-mapped addresses as "::ffff:a.b.c.d". */
export function formatAddress(address: Address): string {
  if (address.kind() === 'ipv4') return address.toString();
  const v6 = address as ipaddr.IPv6;
  return v6.isIPv4MappedAddress() ? `::ffff:${v6.toIPv4Address().toString()}` : v6.toRFC5952String();
}

function maxBits(address: Address): number {
  return address.kind() === 'ipv4' ? 32 : 128;
}

/**
 * Parses `address[/bits]` (no zone). IPv4 in every form inet_aton takes ("10.1", "012.0.0.1"),
 * as ipaddr.js does: openvpn reads route networks that way.
 */
function parsePrefixText(text: string): { address: Address; bits: number } | null {
  if (text.length === 0 || text.length > MAX_PREFIX_TEXT || text.includes('%')) return null;
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  if (!ipaddr.isValid(addressText)) return null;
  const address = ipaddr.parse(addressText);
  if (slash < 0) return { address, bits: maxBits(address) };
  const bitsText = text.slice(slash + 1);
  if (!BITS_TEXT.test(bitsText)) return null;
  const bits = Number(bitsText);
  return bits <= maxBits(address) ? { address, bits } : null;
}

function masked(address: Address, bits: number): Address {
  const text = `${address.toString()}/${bits}`;
  return address.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
}

function sameAddress(a: Address, b: Address): boolean {
  const x = a.toByteArray();
  const y = b.toByteArray();
  return x.length === y.length && x.every((byte, i) => byte === y[i]);
}

function toPrefix(text: string): (Prefix & { hadHostBits: boolean }) | null {
  const parsed = parsePrefixText(text.trim());
  if (!parsed) return null;
  const network = masked(parsed.address, parsed.bits);
  return { network, bits: parsed.bits, hadHostBits: !sameAddress(network, parsed.address) };
}

function prefixText(p: Prefix): string {
  return `${formatAddress(p.network)}/${p.bits}`;
}

/**
 * An IPv4/IPv6 CIDR, or a bare address (a host route), with its host bits cleared, as the kernel
 * stores it; null if it is not one.
 */
export function normalizePrefix(cidr: string): NormalizedPrefix | null {
  const p = toPrefix(cidr);
  return p ? { cidr: prefixText(p), hadHostBits: p.hadHostBits } : null;
}

function unique(prefixes: Iterable<string>): string[] {
  return [...new Set(prefixes)];
}

// ---------------------------------------------------------------------------------------------
// What a profile routes

/** openvpn 2.6's `redirect-gateway ipv6` routes (the strings in its route.c, as in the 2.6.14 binary). */
const REDIRECT_IPV6 = ['::/3', '2000::/4', '3000::/4', 'fc00::/7'];
const REDIRECT_IPV4_DEF1 = ['0.0.0.0/1', '128.0.0.0/1'];
/** `route` keywords that name an address only openvpn knows at run time. */
const ROUTE_KEYWORDS = new Set(['vpn_gateway', 'net_gateway', 'remote_host']);

interface OptionLine {
  name: string;
  args: readonly string[];
  block?: readonly OptionLine[];
}

function flattened(lines: readonly OptionLine[]): OptionLine[] {
  return lines.flatMap((d) => (d.block ? [d, ...flattened(d.block)] : [d]));
}

/** An IPv4 netmask as a prefix length; a non-contiguous one counts its leading ones (covers more). */
function netmaskBits(text: string | undefined): number | null {
  if (text === undefined || text === '' || text === 'default') return 32;
  if (text.length > 15 || !ipaddr.IPv4.isValid(text)) return null;
  const mask = ipaddr.IPv4.parse(text);
  const exact = mask.prefixLengthFromSubnetMask();
  if (exact !== null) return exact;
  let bits = 0;
  for (const byte of mask.octets) {
    const ones = Math.clz32(~(byte << 24));
    bits += ones;
    if (ones < 8) break;
  }
  return bits;
}

/** Where a route to a network only openvpn can resolve might go: anywhere. */
const UNKNOWN_IPV4 = '0.0.0.0/0';

function ipv4Route(network: string | undefined, netmask: string | undefined): string | null {
  if (network === undefined) return null;
  const bits = netmaskBits(netmask);
  if (bits === null) return null;
  if (!network.includes(':') && ipaddr.IPv4.isValid(network)) return normalizePrefix(`${network}/${bits}`)?.cidr ?? null;
  // The keywords with a host mask are one host of a fixed role (the VPN's or the LAN's gateway,
  // the server itself). A host name is resolved by openvpn at connect time, to whatever its DNS
  // says ("route evil.example 128.0.0.0" twice is a full tunnel): it may be any network.
  if (ROUTE_KEYWORDS.has(network) && bits === 32) return null;
  return UNKNOWN_IPV4;
}

/**
 * The routes of OpenVPN options in the order openvpn applies them: `route` (also via
 * net_gateway: a route around the tunnel moves another session's traffic just the same; a
 * network given by name counts as all of IPv4),
 * `route-ipv6`, the networks of `ifconfig`/`ifconfig-ipv6`, and `redirect-gateway` /
 * `redirect-private` with their flags, which accumulate over lines as in openvpn's options.c.
 */
export function optionRoutes(lines: readonly OptionLine[]): string[] {
  const out: string[] = [];
  let redirectIpv4 = false;
  let def1 = false;
  let redirectIpv6 = false;
  for (const d of flattened(lines)) {
    switch (d.name) {
      case 'route': {
        const route = ipv4Route(d.args[0], d.args[1]);
        if (route) out.push(route);
        break;
      }
      case 'route-ipv6':
      case 'ifconfig-ipv6': {
        const route = d.args[0] === undefined ? null : normalizePrefix(d.args[0]);
        if (route) out.push(route.cidr);
        break;
      }
      case 'ifconfig': {
        // topology subnet: "local netmask" adds the subnet; net30/p2p: "local peer" a host route.
        const second = d.args[1];
        const isMask = second !== undefined && second.length <= 15 && ipaddr.IPv4.isValid(second) && ipaddr.IPv4.parse(second).prefixLengthFromSubnetMask() !== null;
        const route = isMask ? ipv4Route(d.args[0], second) : ipv4Route(second, undefined);
        if (route) out.push(route);
        break;
      }
      case 'redirect-gateway':
      case 'redirect-private':
        if (d.name === 'redirect-gateway') redirectIpv4 = true;
        for (const flag of d.args) {
          if (flag === 'def1') def1 = true;
          else if (flag === 'ipv6') redirectIpv6 = true;
          else if (flag === '!ipv4') redirectIpv4 = false;
        }
        break;
    }
  }
  // `block-local` also routes the local LAN, which depends on the host: not counted.
  if (redirectIpv4) out.push(...(def1 ? REDIRECT_IPV4_DEF1 : ['0.0.0.0/0']));
  if (redirectIpv6) out.push(...REDIRECT_IPV6);
  return unique(out);
}

/**
 * WireGuard: every peer's AllowedIPs (wg-quick routes them unless `Table = off`), and the subnet
 * of every Address (the kernel adds it as a connected route on the interface).
 */
export function wireGuardRoutes(profile: WireGuardProfile): string[] {
  const out: string[] = [];
  for (const address of profile.interface.addresses) {
    const p = normalizePrefix(address);
    if (p) out.push(p.cidr);
  }
  if (profile.interface.table !== 'off') {
    for (const peer of profile.peers) {
      for (const allowed of peer.allowedIPs) {
        const p = normalizePrefix(allowed);
        if (p) out.push(p.cidr);
      }
    }
  }
  return unique(out);
}

/**
 * The same for options an OpenVPN server pushed ("route 10.1.0.0 255.255.0.0",
 * "redirect-gateway def1 ipv6", "route-ipv6 ::/1", "ifconfig 10.8.0.2 255.255.255.0"). Every
 * pushed route counts, even those `route-nopull` or a `pull-filter` would drop: counting too
 * much can only refuse a connect, never let one through.
 */
export function pushedRoutes(options: string[]): string[] {
  const lines = options.map((option): OptionLine => {
    const [name = '', ...args] = option.trim().split(/\s+/);
    return { name, args };
  });
  return optionRoutes(lines);
}

// ---------------------------------------------------------------------------------------------
// Coverage and overlap

function toBigInt(address: Address): bigint {
  let n = 0n;
  for (const byte of address.toByteArray()) n = (n << 8n) | BigInt(byte);
  return n;
}

/** Whether the prefixes of one family, together, cover every address of that family. */
function coversFamily(prefixes: Prefix[], width: number): boolean {
  const ranges = prefixes
    .map((p) => {
      const start = toBigInt(p.network);
      return { start, end: start + (1n << BigInt(width - p.bits)) - 1n };
    })
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let next = 0n;
  for (const r of ranges) {
    if (r.start > next) return false;
    if (r.end + 1n > next) next = r.end + 1n;
  }
  return next === 1n << BigInt(width);
}

function parsedAll(prefixes: readonly string[]): Prefix[] {
  return prefixes.flatMap((text) => {
    const p = toPrefix(text);
    return p ? [p] : [];
  });
}

/** Which families the prefixes cover entirely. */
function fullFamilies(prefixes: Prefix[]): { ipv4: boolean; ipv6: boolean } {
  return {
    ipv4: coversFamily(prefixes.filter((p) => p.network.kind() === 'ipv4'), 32),
    ipv6: coversFamily(prefixes.filter((p) => p.network.kind() === 'ipv6'), 128),
  };
}

/**
 * True when the union of the prefixes covers all of IPv4 or all of IPv6: any /0 (whatever its
 * host bits), 0.0.0.0/1 + 128.0.0.0/1, ::/1 + 8000::/1, or any other tiling. Text that is not
 * a prefix is ignored.
 */
export function isFullTunnel(prefixes: string[]): boolean {
  const full = fullFamilies(parsedAll(prefixes));
  return full.ipv4 || full.ipv6;
}

/** The more specific of two prefixes when one contains the other (prefixes either nest or are disjoint). */
function overlap(a: Prefix, b: Prefix): Prefix | null {
  if (a.network.kind() !== b.network.kind()) return null;
  const [wide, narrow] = a.bits <= b.bits ? [a, b] : [b, a];
  return narrow.network.match(wide.network, wide.bits) ? narrow : null;
}

function firstOverlap(a: Prefix[], b: Prefix[]): Prefix | null {
  for (const x of a) {
    for (const y of b) {
      const o = overlap(x, y);
      if (o) return o;
    }
  }
  return null;
}

/** One session's claim on the routing table. */
export interface RouteClaim {
  uid: number;
  name: string;
  prefixes: string[];
}

export interface RouteConflict {
  other: RouteClaim;
  /** The overlapping network to name in the message (the more specific of the two prefixes). */
  network: string;
}

/**
 * Whether a new session's routes conflict with a running one's. Another user's session: any
 * overlap (routing is global; nobody may take another user's traffic). The same user: two full
 * tunnels, or an overlap where neither is a full tunnel; a split tunnel inside one's own full
 * tunnel is normal (the more specific route wins, as intended).
 */
export function findRouteConflict(candidate: RouteClaim, others: RouteClaim[]): RouteConflict | null {
  const mine = parsedAll(candidate.prefixes);
  const mineFull = fullFamilies(mine);
  for (const other of others) {
    const theirs = parsedAll(other.prefixes);
    const shared = firstOverlap(mine, theirs);
    if (other.uid !== candidate.uid) {
      if (shared) return { other, network: prefixText(shared) };
      continue;
    }
    const theirsFull = fullFamilies(theirs);
    const bothFull = (mineFull.ipv4 || mineFull.ipv6) && (theirsFull.ipv4 || theirsFull.ipv6);
    if (bothFull) {
      // Full tunnels of different families share no prefix: name what the new one covers.
      return { other, network: shared ? prefixText(shared) : mineFull.ipv4 ? '0.0.0.0/0' : '::/0' };
    }
    const neitherFull = !(mineFull.ipv4 || mineFull.ipv6) && !(theirsFull.ipv4 || theirsFull.ipv6);
    if (neitherFull && shared) return { other, network: prefixText(shared) };
  }
  return null;
}
