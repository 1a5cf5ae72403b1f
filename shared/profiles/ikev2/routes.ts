/**
 * The networks an IKEv2 profile routes through the tunnel: its children's `remote_ts`. With none
 * given, charon proposes `dynamic`, which on the remote side is the server's own address (also
 * with a virtual IP: charon 5.9 sends TSr = the server's address/32, checked on the lab), so the
 * server may narrow it to that address at most. A server given by name is claimed once charon
 * has resolved it: the negotiated selectors (selectorPrefixes on list-sas) then add it.
 */
import ipaddr from 'ipaddr.js';
import { normalizePrefix } from '../routes.js';
import type { Ikev2Profile } from './model.js';
import { parseAddress } from './values.js';

function toBigInt(bytes: number[]): bigint {
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

function fromBigInt(n: bigint, length: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < length; i++) out.unshift(Number((n >> BigInt(8 * i)) & 0xffn));
  return out;
}

/** The fewest CIDRs covering exactly `from`–`to` (both included). */
export function rangeToCidrs(from: string, to: string): string[] {
  const a = ipaddr.parse(from).toByteArray();
  const b = ipaddr.parse(to).toByteArray();
  if (a.length !== b.length) return [];
  const width = a.length * 8;
  let lo = toBigInt(a);
  const hi = toBigInt(b);
  const out: string[] = [];
  while (lo <= hi && out.length < 256) {
    let bits = 0;
    // Grow the block while it stays aligned and inside the range.
    while (bits < width && (lo & ((1n << BigInt(bits + 1)) - 1n)) === 0n && lo + (1n << BigInt(bits + 1)) - 1n <= hi) bits++;
    const addr = ipaddr.fromByteArray(fromBigInt(lo, a.length));
    const cidr = normalizePrefix(`${addr.toString()}/${width - bits}`);
    if (cidr) out.push(cidr.cidr);
    lo += 1n << BigInt(bits);
  }
  return out;
}

/**
 * The CIDRs of one traffic selector, as a profile writes it (CIDR, bare address, `a-b` range,
 * `dynamic`, a `[proto/port]` suffix) or as charon lists a negotiated one (`a..b` ranges).
 * `dynamic` is the server's address (see the header); nothing when it is a name.
 */
export function selectorPrefixes(ts: string, p: Pick<Ikev2Profile, 'remoteAddrs'>): string[] {
  const addr = ts.trim().replace(/\[.*\]$/, '');
  if (addr === 'dynamic') {
    return [...new Set(p.remoteAddrs.flatMap((a) => {
      const server = parseAddress(a);
      return server === null ? [] : [normalizePrefix(server)?.cidr ?? ''].filter((c) => c !== '');
    }))];
  }
  const range = /^([^-.][^-]*?)(?:-|\.\.)([^-]+)$/.exec(addr.includes('/') ? '' : addr);
  if (range?.[1] && range[2] && parseAddress(range[1]) !== null && parseAddress(range[2]) !== null) return rangeToCidrs(range[1], range[2]);
  const cidr = normalizePrefix(addr);
  return cidr ? [cidr.cidr] : [];
}

export function ikev2Routes(p: Ikev2Profile): string[] {
  const out: string[] = [];
  for (const child of p.children) {
    const selectors = child.remoteTs.length > 0 ? child.remoteTs : ['dynamic'];
    for (const ts of selectors) out.push(...selectorPrefixes(ts, p));
  }
  return [...new Set(out)];
}

export function ikev2Servers(p: Ikev2Profile): string[] {
  return [...new Set(p.remoteAddrs)];
}
