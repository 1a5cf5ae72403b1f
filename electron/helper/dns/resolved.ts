/**
 * systemd-resolved back end of the tunnel DNS: per-link settings through resolved's D-Bus API
 * (org.freedesktop.resolve1.Manager SetLinkDNS, SetLinkDomains, SetLinkDefaultRoute,
 * SetLinkDNSOverTLS, RevertLink), called with `busctl`, systemd's own D-Bus client, which is there
 * wherever systemd is. (The npm D-Bus clients were no better: dbus-next's last release is from
 * 2021 and pins event-stream 3.3.4 and xml2js 0.4; @homebridge/dbus-native has no types.)
 *
 * The tunnel link gets its servers, the routing domain `~.` (every name no other link claims goes
 * to the tunnel) plus the profile's search domains, DefaultRoute=yes and DNS-over-TLS off (with no
 * servers, only the search domains and DefaultRoute=no).
 *
 * Crash cleanup has nothing to undo once the link is gone: resolved keeps link settings in memory
 * (and in /run/systemd/resolve/netif/<ifindex> across its own restarts) and drops both when the
 * link disappears. A link that survived its session is reverted with RevertLink.
 */
import { lstat, readFile, realpath } from 'node:fs/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { run, type RunResult } from '../exec.js';

const BUS_NAME = 'org.freedesktop.resolve1';
const MANAGER_PATH = '/org/freedesktop/resolve1';
const MANAGER = 'org.freedesktop.resolve1.Manager';
const STUB_DIR = '/run/systemd/resolve/';
const STUB_ADDRESS = '127.0.0.53';
const CALL_TIMEOUT_S = 5;
const AF_INET = 2;
const AF_INET6 = 10;

/**
 * Whether /etc/resolv.conf is resolved's: a link to one of its files in /run/systemd/resolve, or a
 * file whose only nameserver is the stub listener (a copy of stub-resolv.conf, as in containers).
 */
export async function resolvConfIsResolvedStub(path = '/etc/resolv.conf'): Promise<boolean> {
  try {
    if ((await lstat(path)).isSymbolicLink() && (await realpath(path)).startsWith(STUB_DIR)) return true;
    const servers = (await readFile(path, 'utf8'))
      .split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((s): s is string => s !== undefined);
    return servers.length > 0 && servers.every((s) => s === STUB_ADDRESS);
  } catch {
    return false;
  }
}

function busctl(args: string[]): Promise<RunResult> {
  // --system honours DBUS_SYSTEM_BUS_ADDRESS; no activation prompt, no pager.
  return run('busctl', ['--system', '--no-pager', `--timeout=${CALL_TIMEOUT_S}`, ...args], { timeoutMs: (CALL_TIMEOUT_S + 2) * 1000 });
}

function callManager(method: string, signature: string, args: string[]): Promise<RunResult> {
  return busctl(['call', BUS_NAME, MANAGER_PATH, MANAGER, method, signature, ...args]);
}

/** Whether resolved answers on the system bus (a Peer.Ping to its manager object). */
export async function resolvedAnswers(): Promise<boolean> {
  const r = await busctl(['call', BUS_NAME, MANAGER_PATH, 'org.freedesktop.DBus.Peer', 'Ping']);
  return r.code === 0;
}

/** The system uses systemd-resolved: resolv.conf is its stub and it answers on the bus. */
export async function systemUsesResolved(): Promise<boolean> {
  return (await resolvConfIsResolvedStub()) && (await resolvedAnswers());
}

function failure(what: string, r: RunResult): Error {
  const why = r.timedOut ? 'timed out' : (r.stderr.trim() || r.stdout.trim() || `exit ${String(r.code ?? r.signal)}`).split('\n').slice(-2).join(' | ');
  return new Error(`systemd-resolved ${what} failed: ${why}`);
}

/** The interface's index in this namespace, or null when there is no such interface. */
export async function linkIndex(interfaceName: string): Promise<number | null> {
  try {
    const n = Number((await readFile(`/sys/class/net/${interfaceName}/ifindex`, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** busctl arguments of an `a(iay)` array: count, then family, byte count and bytes of each. */
export function dnsServerArgs(servers: readonly string[]): string[] {
  const out = [String(servers.length)];
  for (const s of servers) {
    const bytes = ipaddr.parse(s).toByteArray();
    out.push(String(isIP(s) === 4 ? AF_INET : AF_INET6), String(bytes.length), ...bytes.map(String));
  }
  return out;
}

/**
 * busctl arguments of an `a(sb)` array: `~.` as routing domain when the tunnel has servers to
 * answer (without, it would take every query and answer none), then the search domains.
 */
export function domainArgs(searchDomains: readonly string[], routeAll: boolean): string[] {
  const out = [String(searchDomains.length + (routeAll ? 1 : 0))];
  if (routeAll) out.push('.', 'true');
  for (const d of searchDomains) out.push(d, 'false');
  return out;
}

export async function applyResolvedLink(interfaceName: string, servers: readonly string[], searchDomains: readonly string[]): Promise<void> {
  const index = await linkIndex(interfaceName);
  if (index === null) throw new Error(`systemd-resolved: no interface ${interfaceName} to set DNS on`);
  const i = String(index);
  const steps: [string, string, string[]][] = [
    ['SetLinkDNS', 'ia(iay)', [i, ...dnsServerArgs(servers)]],
    ['SetLinkDomains', 'ia(sb)', [i, ...domainArgs(searchDomains, servers.length > 0)]],
    ['SetLinkDefaultRoute', 'ib', [i, servers.length > 0 ? 'true' : 'false']],
    ['SetLinkDNSOverTLS', 'is', [i, 'no']],
  ];
  for (const [method, signature, args] of steps) {
    const r = await callManager(method, signature, args);
    if (r.code !== 0) {
      await callManager('RevertLink', 'i', [i]);
      throw failure(method, r);
    }
  }
}

/** Reverts the link's settings; a link that is gone has none left, which is not an error. */
export async function revertResolvedLink(interfaceName: string): Promise<void> {
  const index = await linkIndex(interfaceName);
  if (index === null) return;
  const r = await callManager('RevertLink', 'i', [String(index)]);
  // The link may vanish between the look-up and the call, or resolved may be stopped: both leave nothing.
  if (r.code !== 0 && (await linkIndex(interfaceName)) !== null && (await resolvedAnswers())) throw failure('RevertLink', r);
}
