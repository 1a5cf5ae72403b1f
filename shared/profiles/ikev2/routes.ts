/**
 * The networks an IKEv2 profile routes through the tunnel: its children's `remote_ts`. With none
 * given, charon proposes `dynamic`, and a road-warrior server that assigns a virtual IP narrows
 * that to what it protects — everything, as far as the client can know at import: 0.0.0.0/0 for
 * an IPv4 virtual IP, ::/0 for an IPv6 one. Without a virtual IP, `dynamic` is the server itself.
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

function selectorPrefixes(ts: string, p: Ikev2Profile): string[] {
  const addr = ts.replace(/\[.*\]$/, '');
  if (addr === 'dynamic') {
    if (p.vips.length > 0) return p.vips.map((v) => (v.includes(':') ? '::/0' : '0.0.0.0/0'));
    const server = parseAddress(p.remoteAddrs[0] ?? '');
    return server === null ? [] : [normalizePrefix(server)?.cidr ?? ''].filter((c) => c !== '');
  }
  const dash = addr.indexOf('-');
  if (dash > 0) return rangeToCidrs(addr.slice(0, dash), addr.slice(dash + 1));
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
