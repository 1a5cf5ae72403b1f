/**
 * The system side of the WireGuard driver: running wg-quick / wg / ip / nft / resolvconf (inside
 * the session's network namespace when there is one), finding wireguard-go through /proc, and the
 * teardown that both a normal stop and the crash-recovery cleanup use.
 */
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LogLine } from '../../../../shared/ipc/helper-protocol.js';
import { inNetns, run, type RunResult } from '../../exec.js';
import { redactKeys } from './names.js';

export type LogFn = (level: LogLine['level'], text: string) => void;

/** Where a tunnel lives and what it may have put on the system. */
export interface TunnelTarget {
  ifname: string;
  netns: string | null;
  configPath: string | null;
  pids: number[];
  /** Routing table = fwmark wg-quick used for a full tunnel (its `ip rule`s name it), if known. */
  fwmarkTable: number | null;
  dnsRecords: string[];
}

export interface Timeouts {
  /** How long `wg-quick down` may take. */
  downTimeoutMs: number;
  /** How long wireguard-go gets to exit on its own once its interface is gone, before SIGKILL. */
  exitWaitMs: number;
}

/** wg-quick falls back to this when `ip link add type wireguard` fails (no kernel module). */
export function wgEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WG_QUICK_USERSPACE_IMPLEMENTATION: 'wireguard-go',
    // Only temporary DNS failures are retried (1 s, 1.2 s, … apart); the default is 15 retries.
    WG_ENDPOINT_RESOLUTION_RETRIES: '1',
    LC_ALL: 'C',
  };
}

/** Runs a tool in the target's namespace (`ip netns exec` also bind-mounts /etc/netns/<ns>/*). */
export function runIn(netns: string | null, command: string, args: string[], timeoutMs = 10_000, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const [cmd, argv] = inNetns(netns, command, args);
  return run(cmd, argv, { timeoutMs, env: env ?? { ...process.env, LC_ALL: 'C' } });
}

export function netnsExists(netns: string | null): boolean {
  return netns === null || existsSync(join('/run/netns', netns));
}

/** Logs a tool's output line by line, keys hidden, without wireguard-go's boxed banner. */
export function logOutput(log: LogFn, level: LogLine['level'], prefix: string, text: string): void {
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || /^[│┌└]/.test(line)) continue;
    log(level, `${prefix}${redactKeys(line)}`);
  }
}

/** The last meaningful lines of a tool's output, keys hidden (for an error's `detail`). */
export function outputTail(text: string, lines = 12): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '' && !/^[│┌└]/.test(l))
    .slice(-lines)
    .map(redactKeys)
    .join('\n');
}

// ---------- processes ----------

export interface ProcIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot): tells a reused pid apart. */
  startTime: string;
}

function procStat(pid: number): { state: string; startTime: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', startTime: rest[19] ?? '' };
  } catch {
    return null;
  }
}

function procArgv(pid: number): string[] {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').slice(0, -1);
  } catch {
    return [];
  }
}

/** Running (a zombie counts as gone: wireguard-go is re-parented to init, which reaps late). */
export function processRunning(p: ProcIdentity): boolean {
  const s = procStat(p.pid);
  return s !== null && s.startTime === p.startTime && s.state !== 'Z' && s.state !== 'X';
}

function isWireGuardGoFor(pid: number, ifname: string): boolean {
  const argv = procArgv(pid);
  // wg-quick starts it as `wireguard-go <if>`; it daemonizes by re-executing itself with the same argv.
  return argv.length === 2 && (argv[0] === 'wireguard-go' || (argv[0] ?? '').endsWith('/wireguard-go')) && argv[1] === ifname;
}

/**
 * Every live wireguard-go serving `ifname`. Matched on the exact argv, in any namespace: the UAPI
 * socket path is global, so two processes with one name cannot both work anyway.
 */
export function findWireGuardGo(ifname: string): ProcIdentity[] {
  const found: ProcIdentity[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (!isWireGuardGoFor(pid, ifname)) continue;
    const s = procStat(pid);
    if (s && s.state !== 'Z' && s.state !== 'X') found.push({ pid, startTime: s.startTime });
  }
  return found;
}

/** Identity of `pid` if it is (still) wireguard-go for `ifname`; guards kills against pid reuse. */
export function wireGuardGoIdentity(pid: number, ifname: string): ProcIdentity | null {
  if (!Number.isInteger(pid) || pid <= 1 || !isWireGuardGoFor(pid, ifname)) return null;
  const s = procStat(pid);
  return s && s.state !== 'Z' && s.state !== 'X' ? { pid, startTime: s.startTime } : null;
}

/** The named namespace (under /run/netns) that `pid` runs in, if any. */
export function netnsOfPid(pid: number): string | null {
  try {
    const ino = statSync(`/proc/${pid}/ns/net`).ino;
    for (const name of readdirSync('/run/netns')) {
      try {
        if (statSync(join('/run/netns', name)).ino === ino) return name;
      } catch {
        // vanished meanwhile
      }
    }
  } catch {
    // no such process, or no /run/netns
  }
  return null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitGone(p: ProcIdentity, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processRunning(p)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

// ---------- network state ----------

export async function linkExists(netns: string | null, ifname: string): Promise<boolean> {
  if (!netnsExists(netns)) return false;
  const r = await runIn(netns, 'ip', ['link', 'show', 'dev', ifname]);
  return r.code === 0;
}

/** `table <family> wg-quick-<if>` entries in `nft list tables`. */
async function wgQuickNftTables(netns: string | null, ifname: string): Promise<string[]> {
  const r = await runIn(netns, 'nft', ['list', 'tables']);
  if (r.code !== 0) return [];
  const out: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^table (\S+) (\S+)$/.exec(line.trim());
    if (m?.[1] && m[2] === `wg-quick-${ifname}`) out.push(m[1]);
  }
  return out;
}

async function ruleLines(netns: string | null, family: '-4' | '-6'): Promise<string[]> {
  const r = await runIn(netns, 'ip', [family, 'rule', 'show']);
  return r.code === 0 ? r.stdout.split('\n') : [];
}

const lookupRe = (table: number) => new RegExp(`\\blookup ${table}(\\s|$)`);
const SUPPRESS = 'from all lookup main suppress_prefixlength 0';

/**
 * Removes the full-tunnel policy rules wg-quick added (`not fwmark T table T` and one
 * `table main suppress_prefixlength 0` per family), as its own `down` would. Returns what stayed.
 */
async function removeRules(netns: string | null, table: number, log: LogFn): Promise<string[]> {
  const left: string[] = [];
  for (const family of ['-4', '-6'] as const) {
    let removed = 0;
    for (let i = 0; i < 8 && (await ruleLines(netns, family)).some((l) => lookupRe(table).test(l)); i++) {
      const r = await runIn(netns, 'ip', [family, 'rule', 'delete', 'table', String(table)]);
      if (r.code !== 0) break;
      removed++;
    }
    if (removed > 0 && (await ruleLines(netns, family)).some((l) => l.includes(SUPPRESS))) {
      await runIn(netns, 'ip', [family, 'rule', 'delete', 'table', 'main', 'suppress_prefixlength', '0']);
    }
    if (removed > 0) log('info', `removed ${removed} leftover ip ${family} rule(s) for table ${table}`);
    for (const l of await ruleLines(netns, family)) if (lookupRe(table).test(l)) left.push(`ip ${family} rule: ${l.trim()}`);
  }
  return left;
}

/** The record name wg-quick gives resolvconf: `<prefix><if>`, prefix from Debian's interface-order. */
export function resolvconfRecordName(ifname: string, netns: string | null): string {
  // `ip netns exec` bind-mounts /etc/netns/<ns>/resolvconf over /etc/resolvconf when it exists.
  const dir = netns !== null && existsSync(join('/etc/netns', netns, 'resolvconf')) ? join('/etc/netns', netns, 'resolvconf') : '/etc/resolvconf';
  let order: string;
  try {
    order = readFileSync(join(dir, 'interface-order'), 'utf8');
  } catch {
    return ifname;
  }
  for (const line of order.split('\n')) {
    const m = /^([A-Za-z0-9-]+)\*$/.exec(line.trim());
    if (m) return `${m[1]}.${ifname}`;
  }
  return ifname;
}

/** Whether resolvconf still holds `record` (openresolv's `-l` exits non-zero for an unknown one). */
async function dnsRecordPresent(netns: string | null, record: string): Promise<boolean> {
  const r = await runIn(netns, 'resolvconf', ['-l', record]);
  return r.code === 0 && r.stdout.trim() !== '';
}

// ---------- teardown ----------

/**
 * Removes a tunnel completely and checks that nothing stayed: `wg-quick down` (which removes the
 * interface, its DNS record, full-tunnel rules and nft table), then waits for wireguard-go, which
 * exits 1.3–1.8 s after its interface is gone, SIGKILLing it after `exitWaitMs`. Whatever wg-quick
 * could not remove (wireguard-go died first, so `wg-quick down` refuses) is removed by hand.
 * Returns descriptions of what is still there (empty when clean).
 */
export async function removeTunnel(t: TunnelTarget, log: LogFn, timeouts: Timeouts): Promise<string[]> {
  const left: string[] = [];
  const nsAlive = netnsExists(t.netns);
  const procs = new Map<number, ProcIdentity>();
  for (const pid of t.pids) {
    const id = wireGuardGoIdentity(pid, t.ifname);
    if (id) procs.set(pid, id);
  }
  for (const p of findWireGuardGo(t.ifname)) procs.set(p.pid, p);

  let downOk = false;
  const downStarted = Date.now();
  if (nsAlive && (await linkExists(t.netns, t.ifname))) {
    if (t.configPath !== null && existsSync(t.configPath)) {
      const r = await runIn(t.netns, 'wg-quick', ['down', t.configPath], timeouts.downTimeoutMs, wgEnv());
      logOutput(log, r.code === 0 ? 'debug' : 'warn', 'wg-quick down: ', r.stdout + r.stderr);
      downOk = r.code === 0 && !r.timedOut;
      log(downOk ? 'info' : 'warn', `wg-quick down ${downOk ? 'finished' : 'failed'} in ${Date.now() - downStarted} ms`);
    }
    if (!downOk && (await linkExists(t.netns, t.ifname))) {
      const r = await runIn(t.netns, 'ip', ['link', 'delete', 'dev', t.ifname]);
      if (r.code === 0) log('info', `deleted interface ${t.ifname}`);
    }
  }

  const waitStarted = Date.now();
  for (const p of procs.values()) {
    if (await waitGone(p, Math.max(0, timeouts.exitWaitMs - (Date.now() - waitStarted)))) continue;
    log('warn', `wireguard-go (pid ${p.pid}) still running ${timeouts.exitWaitMs} ms after its interface was removed: killing it`);
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
    if (!(await waitGone(p, 2_000))) left.push(`wireguard-go process ${p.pid}`);
  }
  if (procs.size > 0) log('info', `wireguard-go exited ${Date.now() - waitStarted} ms after the interface was removed`);

  if (nsAlive) {
    if (await linkExists(t.netns, t.ifname)) {
      await runIn(t.netns, 'ip', ['link', 'delete', 'dev', t.ifname]);
      if (await linkExists(t.netns, t.ifname)) left.push(`interface ${t.ifname}`);
    }
    for (const family of await wgQuickNftTables(t.netns, t.ifname)) {
      await runIn(t.netns, 'nft', ['delete', 'table', family, `wg-quick-${t.ifname}`]);
      log('info', `removed leftover nft table ${family} wg-quick-${t.ifname}`);
    }
    for (const family of await wgQuickNftTables(t.netns, t.ifname)) left.push(`nft table ${family} wg-quick-${t.ifname}`);
    if (t.fwmarkTable !== null) left.push(...(await removeRules(t.netns, t.fwmarkTable, log)));
    for (const record of t.dnsRecords) {
      // Without a successful `wg-quick down` remove it blindly (-f: no error when absent; Debian's
      // resolvconf cannot list records); otherwise only if openresolv still lists it.
      const present = await dnsRecordPresent(t.netns, record);
      if (downOk && !present) continue;
      await runIn(t.netns, 'resolvconf', ['-d', record, '-f']);
      if (present) log('info', `removed leftover resolvconf record ${record}`);
      if (await dnsRecordPresent(t.netns, record)) left.push(`resolvconf record ${record}`);
    }
  }

  // wireguard-go removes its socket on a clean exit, not when killed.
  const sock = `/var/run/wireguard/${t.ifname}.sock`;
  if (existsSync(sock) && findWireGuardGo(t.ifname).length === 0) rmSync(sock, { force: true });
  if (existsSync(sock)) left.push(sock);
  return left;
}
