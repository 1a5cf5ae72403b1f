/**
 * Tunnel DNS for the helper: adds a tunnel's DNS servers and search domains to the system
 * resolver and takes them away again, leaving the previous configuration exactly as it was.
 *
 * Two back ends: systemd-resolved where the system uses it (resolv.conf is its stub and it answers
 * on the bus): link DNS + `~.` through its D-Bus API, reverted with RevertLink (dns/resolved.ts);
 * else resolvconf (openresolv): `resolvconf -a <iface>.tsunagu` with resolv.conf lines on stdin
 * and `-d` to remove; openresolv then regenerates resolv.conf from the remaining records,
 * byte-identical to before when ours was the only one (also over a static resolv.conf).
 *
 * The returned record names what was added, self-contained (back end, name and namespace), so the
 * crash cleanup can remove it from a residue file alone:
 *   `resolvconf:<iface>.tsunagu[@<netns>]`   or   `resolved:<iface>`
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { applyResolvedLink, revertResolvedLink, systemUsesResolved } from './dns/resolved.js';
import { inNetns, run, type RunResult } from './exec.js';

export interface ApplyDnsOptions {
  netns: string | null;
  interfaceName: string;
  servers: string[];
  searchDomains: string[];
}

// No leading dot: the name becomes a file name in resolvconf's state directory.
const IFACE_RE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,14}$/;
const NETNS_RE = /^[A-Za-z0-9_.-]{1,64}$/;
// RFC 1035 labels (underscore allowed, as in SRV names), an optional trailing dot.
const DOMAIN_RE = /^(?=.{1,253}$)(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*\.?$/;
/** More than any resolver uses (glibc reads 3 nameservers, 6 search domains): a bound on what a server can add. */
export const MAX_DNS_SERVERS = 8;
export const MAX_SEARCH_DOMAINS = 8;
const RECORD_SUFFIX = '.tsunagu';
const TOOL_TIMEOUT_MS = 10_000;

function checkNetns(netns: string | null): void {
  if (netns === null) return;
  if (!NETNS_RE.test(netns)) throw new Error(`invalid network namespace name: ${JSON.stringify(netns)}`);
  // `ip netns exec` bind-mounts only the files that exist in /etc/netns/<ns>/. Without a private
  // resolv.conf, resolvconf would rewrite the host's; without a private resolvconf.conf, its state
  // would land in the host's state directory and leak into the host's resolv.conf later.
  for (const f of ['resolv.conf', 'resolvconf.conf']) {
    if (!existsSync(`/etc/netns/${netns}/${f}`)) {
      throw new Error(`namespace ${netns} has no /etc/netns/${netns}/${f}: refusing to touch the host's DNS`);
    }
  }
}

function failure(what: string, r: RunResult): Error {
  const why = r.timedOut ? 'timed out' : (r.stderr.trim() || r.stdout.trim() || `exit ${String(r.code ?? r.signal)}`).split('\n').slice(-2).join(' | ');
  return new Error(`${what} failed: ${why}`);
}

/** A DNS server address resolv.conf can carry: IPv4 or IPv6 text, no zone, nothing else. */
export function isDnsServer(s: string): boolean {
  return isIP(s) !== 0 && !s.includes('%');
}

export function isDomainName(s: string): boolean {
  return DOMAIN_RE.test(s);
}

/**
 * What of `servers` / `searchDomains` may reach resolvconf: only well-formed values (they may
 * come from a server, and become lines of resolv.conf), without duplicates, at most the caps.
 */
export function validDns(servers: readonly string[], searchDomains: readonly string[]): { servers: string[]; searchDomains: string[] } {
  return {
    servers: [...new Set(servers.filter(isDnsServer))].slice(0, MAX_DNS_SERVERS),
    searchDomains: [...new Set(searchDomains.filter(isDomainName))].slice(0, MAX_SEARCH_DOMAINS),
  };
}

export function resolvconfInput(servers: string[], searchDomains: string[]): string {
  const lines = ['# added by Tsunagu'];
  if (searchDomains.length > 0) lines.push(`search ${searchDomains.join(' ')}`);
  for (const s of servers) lines.push(`nameserver ${s}`);
  return `${lines.join('\n')}\n`;
}

export interface ParsedRecord {
  backend: 'resolvconf' | 'resolved';
  name: string;
  netns: string | null;
}

/** Parses a record from applyDns (or a residue file); null for anything it could not have made. */
export function parseDnsRecord(record: string): ParsedRecord | null {
  const m = /^(resolvconf|resolved):([^@\s]+)(?:@([^@\s]+))?$/.exec(record);
  if (!m) return null;
  const backend = m[1] as ParsedRecord['backend'];
  const name = m[2] ?? '';
  const netns = m[3] ?? null;
  const iface = backend === 'resolvconf' ? (name.endsWith(RECORD_SUFFIX) ? name.slice(0, -RECORD_SUFFIX.length) : '') : name;
  if (!IFACE_RE.test(iface) || (netns !== null && !NETNS_RE.test(netns))) return null;
  if (backend === 'resolved' && netns !== null) return null;
  return { backend, name, netns };
}

export async function applyDns(opts: ApplyDnsOptions): Promise<{ record: string }> {
  const { netns, interfaceName } = opts;
  if (!IFACE_RE.test(interfaceName)) throw new Error(`invalid interface name: ${JSON.stringify(interfaceName)}`);
  // Values may come from a server: nothing but addresses and plain domain names reaches a tool.
  const { servers, searchDomains: domains } = validDns(opts.servers, opts.searchDomains);
  checkNetns(netns);

  // resolved manages the links of the helper's own namespace; a tunnel namespace has its own resolv.conf.
  if (netns === null && (await systemUsesResolved())) {
    await applyResolvedLink(interfaceName, servers, domains);
    return { record: `resolved:${interfaceName}` };
  }

  const name = `${interfaceName}${RECORD_SUFFIX}`;
  const [cmd, args] = inNetns(netns, 'resolvconf', ['-a', name]);
  const r = await run(cmd, args, { input: resolvconfInput(servers, domains), timeoutMs: TOOL_TIMEOUT_MS });
  if (r.code !== 0) throw failure('resolvconf -a', r);
  return { record: netns === null ? `resolvconf:${name}` : `resolvconf:${name}@${netns}` };
}

/** Removes what applyDns added. Removing a record that is already gone is not an error. */
export async function removeDns(opts: { netns: string | null; record: string }): Promise<void> {
  const parsed = parseDnsRecord(opts.record);
  if (!parsed) throw new Error(`not a DNS record: ${JSON.stringify(opts.record)}`);
  if (parsed.backend === 'resolved') {
    await revertResolvedLink(parsed.name);
    return;
  }
  const netns = parsed.netns ?? opts.netns;
  if (netns !== null && !existsSync(`/run/netns/${netns}`)) return; // the namespace and its files are gone
  checkNetns(netns);
  // -f: a record that does not exist any more is fine (crash cleanup may run twice).
  const [cmd, args] = inNetns(netns, 'resolvconf', ['-f', '-d', parsed.name]);
  const r = await run(cmd, args, { timeoutMs: TOOL_TIMEOUT_MS });
  if (r.code !== 0) throw failure('resolvconf -d', r);
}
