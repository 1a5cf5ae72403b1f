/**
 * The system side of the WireGuard driver: running wg-quick / wg / ip / nft / resolvconf (inside
 * the session's network namespace when there is one), finding wireguard-go through /proc, and the
 * teardown that both a normal stop and the crash-recovery cleanup use.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { basename, join } from 'node:path';
import type { LogLine } from '../../../../shared/ipc/helper-protocol.js';
import { inNetns, run, type RunResult } from '../../exec.js';
import * as z from 'zod';
import { redactKeys } from './names.js';

export type LogFn = (level: LogLine['level'], text: string) => void;

/** Where a tunnel lives and what it may have put on the system. */
export interface TunnelTarget {
  ifname: string;
  netns: string | null;
  pids: number[];
  /** The ip rules this tunnel's `wg-quick up` added (full tunnels only). */
  rules: RuleRecord[];
  /** resolvconf record names, as the helper derives them (resolvconfRecordName). */
  dnsRecords: string[];
  /** src_valid_mark before `wg-quick up` changed it, to restore; null when it was not touched. */
  srcValidMark: 0 | 1 | null;
}

export interface Timeouts {
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

/** Where a userspace WireGuard (wireguard-go) listens for its UAPI, as `wg` looks for it (/run is shared by every namespace). */
export function uapiSocketPath(ifname: string): string {
  return join('/var/run/wireguard', `${ifname}.sock`);
}

/** The most a UAPI `get` answer may hold (a few hundred bytes a peer). */
const UAPI_MAX_BYTES = 1 << 20;

/**
 * `get=1` over the interface's UAPI socket: what `wg show` reads, without starting a process
 * (`ip netns exec wg` costs milliseconds on the connect's critical path). Null when there is no
 * socket (kernel WireGuard), or the answer is incomplete, too long or late: ask `wg` then.
 */
export function uapiGet(ifname: string, timeoutMs = 1_000): Promise<string | null> {
  return new Promise((resolve) => {
    let text = '';
    let done = false;
    const finish = (value: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    const socket = createConnection(uapiSocketPath(ifname));
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write('get=1\n\n'));
    socket.on('data', (d: string) => {
      text += d;
      if (text.length > UAPI_MAX_BYTES) finish(null);
      // The answer ends with its errno line and an empty line.
      else if (/(^|\n)errno=-?\d+\n\n$/.test(text)) finish(text);
    });
    socket.on('error', () => finish(null));
    socket.on('close', () => finish(null));
  });
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

/**
 * Only ENOENT (no /proc entry) and ESRCH (it went while being read) say a process is gone; any
 * other error (EMFILE when the helper is out of descriptors, ENOMEM…) says nothing about it.
 */
function procGone(e: unknown): boolean {
  const code = e instanceof Error && 'code' in e ? e.code : undefined;
  return code === 'ENOENT' || code === 'ESRCH';
}

type ProcStat = { state: string; startTime: string } | 'gone' | 'unknown';

function procStat(pid: number): ProcStat {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', startTime: rest[19] ?? '' };
  } catch (e) {
    return procGone(e) ? 'gone' : 'unknown';
  }
}

function isLive(s: ProcStat): s is { state: string; startTime: string } {
  return typeof s !== 'string' && s.state !== 'Z' && s.state !== 'X';
}

function procArgv(pid: number): string[] {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').slice(0, -1);
  } catch {
    return [];
  }
}

/**
 * Whether the process still runs: 'unknown' when /proc cannot be read for a reason other than its
 * absence (ask again later). A zombie counts as gone: wireguard-go is re-parented to init, which
 * reaps late; a reused pid (another start time) too.
 */
export function processState(p: ProcIdentity): 'running' | 'gone' | 'unknown' {
  const s = procStat(p.pid);
  if (s === 'unknown') return 'unknown';
  return isLive(s) && s.startTime === p.startTime ? 'running' : 'gone';
}

/** The executable's file name (a binary replaced by an upgrade reads "<path> (deleted)"). */
export function exeName(pid: number): string | null {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, ''));
  } catch {
    return null;
  }
}

function isWireGuardGoFor(pid: number, ifname: string): boolean {
  const argv = procArgv(pid);
  // wg-quick starts it as `wireguard-go <if>`; it daemonizes by re-executing itself with the same argv.
  const named = argv.length === 2 && (argv[0] === 'wireguard-go' || (argv[0] ?? '').endsWith('/wireguard-go')) && argv[1] === ifname;
  // The argv rules out nearly every pid a scan meets with one read; the exe link (which an argv cannot fake) is read for a match only.
  return named && exeName(pid) === 'wireguard-go';
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
    if (isLive(s)) found.push({ pid, startTime: s.startTime });
  }
  return found;
}

/** Identity of `pid` if it is (still) wireguard-go for `ifname`; guards kills against pid reuse. */
export function wireGuardGoIdentity(pid: number, ifname: string): ProcIdentity | null {
  if (!Number.isInteger(pid) || pid <= 1 || !isWireGuardGoFor(pid, ifname)) return null;
  const s = procStat(pid);
  return isLive(s) ? { pid, startTime: s.startTime } : null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitGone(p: ProcIdentity, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  // Unknown is not gone: waiting longer, or a SIGKILL to the identified process, is the safe side.
  while (processState(p) !== 'gone') {
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

/** `table <family> wg-quick-<if>` entries in `nft list tables` (the name is derived from our interface). */
async function wgQuickNftTables(netns: string | null, ifname: string): Promise<string[]> {
  const r = await runIn(netns, 'nft', ['list', 'tables']);
  if (r.code !== 0) return [];
  const out: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^table (ip|ip6) (\S+)$/.exec(line.trim());
    if (m?.[1] && m[2] === `wg-quick-${ifname}`) out.push(m[1]);
  }
  return out;
}

// ---------- policy rules ----------

/**
 * One `ip rule` wg-quick adds for a full tunnel (Table auto, a /0 in AllowedIPs): `not fwmark T
 * table T` and `table main suppress_prefixlength 0`, per family. Recorded with the priority the
 * kernel gave it, so that teardown deletes exactly that rule and no other session's (wg-quick's
 * own `down` deletes every suppress rule of the namespace).
 */
export type RuleRecord =
  | { kind: 'fwmark'; family: 4 | 6; priority: number; mark: number }
  | { kind: 'suppress'; family: 4 | 6; priority: number };

const IpRuleSchema = z.array(
  z
    .object({
      priority: z.number().int().nonnegative(),
      table: z.string().optional(),
      not: z.null().optional(),
      fwmark: z.string().optional(),
      suppress_prefixlen: z.number().optional(),
      src: z.string().optional(),
    })
    .loose(),
);

type IpRule = z.infer<typeof IpRuleSchema>[number];

/** The rule as a wg-quick full-tunnel rule, or null when it is anything else. */
function asWgQuickRule(family: 4 | 6, rule: IpRule): RuleRecord | null {
  // Only the keys wg-quick's rules have: a rule with any further selector is someone else's.
  if (rule.src !== 'all') return null;
  const keys = Object.keys(rule).sort().join(',');
  if (keys === 'fwmark,not,priority,src,table' && rule.fwmark !== undefined && /^0x[0-9a-f]+$/.test(rule.fwmark)) {
    const mark = Number.parseInt(rule.fwmark, 16);
    if (mark > 0 && rule.table === String(mark)) return { kind: 'fwmark', family, priority: rule.priority, mark };
  }
  if (keys === 'priority,src,suppress_prefixlen,table' && rule.table === 'main' && rule.suppress_prefixlen === 0) {
    return { kind: 'suppress', family, priority: rule.priority };
  }
  return null;
}

/** The wg-quick-shaped rules in the output of `ip -j -<family> rule show`, or null when it is not that. */
export function parseWgQuickRules(family: 4 | 6, json: string): RuleRecord[] | null {
  let parsed: z.infer<typeof IpRuleSchema>;
  try {
    parsed = IpRuleSchema.parse(JSON.parse(json));
  } catch {
    return null;
  }
  return parsed.flatMap((rule) => asWgQuickRule(family, rule) ?? []);
}

/** The namespace's wg-quick-shaped rules, both families (null when `ip` could not list them). */
export async function listWgQuickRules(netns: string | null): Promise<RuleRecord[] | null> {
  const out: RuleRecord[] = [];
  for (const family of [4, 6] as const) {
    const r = await runIn(netns, 'ip', ['-j', `-${family}`, 'rule', 'show']);
    const rules = r.code === 0 ? parseWgQuickRules(family, r.stdout) : null;
    if (rules === null) return null;
    out.push(...rules);
  }
  return out;
}

export const sameRule = (a: RuleRecord, b: RuleRecord): boolean =>
  a.kind === b.kind && a.family === b.family && a.priority === b.priority && (a.kind !== 'fwmark' || (b.kind === 'fwmark' && a.mark === b.mark));

/** The rules in `after` that were not in `before`: the ones an `up` in between added. */
export function addedRules(before: RuleRecord[], after: RuleRecord[]): RuleRecord[] {
  return after.filter((a) => !before.some((b) => sameRule(a, b)));
}

function ruleArgs(r: RuleRecord): string[] {
  const sel = r.kind === 'fwmark' ? ['not', 'fwmark', String(r.mark), 'table', String(r.mark)] : ['table', 'main', 'suppress_prefixlength', '0'];
  return [`-${r.family}`, 'rule', 'delete', 'priority', String(r.priority), ...sel];
}

/** Deletes exactly the recorded rules (priority and every selector must match). Returns what stayed. */
async function removeRules(netns: string | null, rules: RuleRecord[], log: LogFn): Promise<string[]> {
  if (rules.length === 0) return [];
  for (const r of rules) await runIn(netns, 'ip', ruleArgs(r));
  const now = await listWgQuickRules(netns);
  const left = now === null ? rules : rules.filter((r) => now.some((n) => sameRule(n, r)));
  const removed = rules.length - left.length;
  if (removed > 0) log('info', `ip rules of this tunnel removed: ${removed}`);
  return left.map((r) => `ip -${r.family} rule ${r.priority}`);
}

/**
 * wg-quick up runs one at a time per namespace while rules are being recorded, so that the rules
 * that appeared during an `up` are that `up`'s.
 */
const upLocks = new Map<string, Promise<unknown>>();

export function serializedPerNetns<T>(netns: string | null, fn: () => Promise<T>): Promise<T> {
  const key = netns ?? '';
  const run = (upLocks.get(key) ?? Promise.resolve()).then(fn, fn);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  upLocks.set(key, settled);
  void settled.then(() => {
    if (upLocks.get(key) === settled) upLocks.delete(key);
  });
  return run;
}

// ---------- src_valid_mark ----------

const SRC_VALID_MARK = 'net.ipv4.conf.all.src_valid_mark';

/** wg-quick sets this to 1 for an IPv4 full tunnel; the previous value is restored on teardown. */
async function readSrcValidMark(netns: string | null): Promise<0 | 1 | null> {
  const r = await runIn(netns, 'sysctl', ['-n', SRC_VALID_MARK]);
  const v = r.stdout.trim();
  return r.code === 0 && (v === '0' || v === '1') ? (v === '1' ? 1 : 0) : null;
}

/**
 * The full tunnels of this helper that rely on src_valid_mark, per namespace, and its value from
 * before the first of them: it is restored when the last one goes (one session's teardown must not
 * switch it off under another's).
 */
const srcValidMarkUsers = new Map<string, { previous: 0 | 1 | null; sessions: Set<string> }>();

/** Registers `sessionId` as needing src_valid_mark; returns the value to restore in the end. */
export async function holdSrcValidMark(netns: string | null, sessionId: string): Promise<0 | 1 | null> {
  const key = netns ?? '';
  let entry = srcValidMarkUsers.get(key);
  if (!entry) {
    entry = { previous: await readSrcValidMark(netns), sessions: new Set() };
    srcValidMarkUsers.set(key, entry);
  }
  entry.sessions.add(sessionId);
  return entry.previous;
}

/** The value to restore now that `sessionId` is gone, or null while other sessions still need it. */
export function releaseSrcValidMark(netns: string | null, sessionId: string): 0 | 1 | null {
  const key = netns ?? '';
  const entry = srcValidMarkUsers.get(key);
  if (!entry?.sessions.delete(sessionId)) return null;
  if (entry.sessions.size > 0) return null;
  srcValidMarkUsers.delete(key);
  return entry.previous;
}

async function restoreSrcValidMark(netns: string | null, previous: 0 | 1, log: LogFn): Promise<string[]> {
  if ((await readSrcValidMark(netns)) === previous) return [];
  await runIn(netns, 'sysctl', ['-q', '-w', `${SRC_VALID_MARK}=${previous}`]);
  if ((await readSrcValidMark(netns)) !== previous) return [`${SRC_VALID_MARK} not restored to ${previous}`];
  log('info', `restored ${SRC_VALID_MARK} to ${previous}`);
  return [];
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
 * Removes a tunnel with the helper's own commands and checks that nothing stayed: deletes the
 * interface (its addresses and routes go with it), waits for wireguard-go, which exits 1.3–1.8 s
 * after its interface is gone (SIGKILL after `exitWaitMs`), then deletes the nft table named after
 * the interface, exactly the recorded ip rules, the resolvconf record, and restores
 * src_valid_mark. Never `wg-quick down`: that would run the config's hooks and delete every
 * suppress rule in the namespace, other sessions' included. Returns what is still there.
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

  if (nsAlive && (await linkExists(t.netns, t.ifname))) {
    const r = await runIn(t.netns, 'ip', ['link', 'delete', 'dev', t.ifname]);
    if (r.code === 0) log('info', `deleted interface ${t.ifname}`);
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
      log('info', `removed nft table ${family} wg-quick-${t.ifname}`);
    }
    for (const family of await wgQuickNftTables(t.netns, t.ifname)) left.push(`nft table ${family} wg-quick-${t.ifname}`);
    left.push(...(await removeRules(t.netns, t.rules, log)));
    for (const record of t.dnsRecords) {
      // -f: no error when absent (Debian's resolvconf cannot list records, so it is removed blindly).
      const present = await dnsRecordPresent(t.netns, record);
      await runIn(t.netns, 'resolvconf', ['-d', record, '-f']);
      if (present) log('info', `removed resolvconf record ${record}`);
      if (await dnsRecordPresent(t.netns, record)) left.push(`resolvconf record ${record}`);
    }
    if (t.srcValidMark !== null) left.push(...(await restoreSrcValidMark(t.netns, t.srcValidMark, log)));
  }

  // wireguard-go removes its socket on a clean exit, not when killed.
  const sock = `/var/run/wireguard/${t.ifname}.sock`;
  if (existsSync(sock) && findWireGuardGo(t.ifname).length === 0) rmSync(sock, { force: true });
  if (existsSync(sock)) left.push(sock);
  return left;
}
