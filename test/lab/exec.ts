// Process helpers for the lab: run the plain tools, start detached daemons, kill and wait reliably.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Do not throw on a non-zero exit. */
  allowFail?: boolean;
  timeoutMs?: number;
  cwd?: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' | ');
    super(`${command} failed (${result.signal ?? `exit ${String(result.code)}`}): ${detail}`);
    this.name = 'CommandError';
  }
}

function describe(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].join(' ');
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer =
      opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const result: RunResult = { code, signal, stdout, stderr };
      if (!opts.allowFail && code !== 0) reject(new CommandError(describe(cmd, args), result));
      else resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export function runSync(cmd: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const r = spawnSync(cmd, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeoutMs,
  });
  if (r.error) throw r.error;
  const result: RunResult = { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  if (!opts.allowFail && r.status !== 0) throw new CommandError(describe(cmd, args), result);
  return result;
}

/** argv prefix running a command inside a named network namespace. */
export function inNetns(netns: string, cmd: string, args: readonly string[] = []): [string, string[]] {
  return ['ip', ['netns', 'exec', netns, cmd, ...args]];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocking sleep: teardown also runs from `process.on('exit')`, where nothing async can run. */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export async function waitUntil(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Starts a long-running process detached from this one (own process group, output to a file), so a
 * CLI `up` can exit while the servers keep running. Returns the pid. `ip netns exec`, `unshare`
 * and `sh -c '... exec X'` all exec in place, so the pid is the daemon's own.
 */
export function spawnDetached(cmd: string, args: readonly string[], logFile: string, env?: NodeJS.ProcessEnv): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env: env ?? process.env });
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Field 22 of /proc/<pid>/stat: distinguishes a pid from a later process that reused it. */
export function procStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); start time is field 22.
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** True for a live process; zombies count as gone (only their parent's reaping is missing). */
export function isAlive(pid: number, startTime?: string | null): boolean {
  const state = procState(pid);
  if (state === null || state === 'Z' || state === 'X') return false;
  if (startTime) return procStartTime(pid) === startTime;
  return true;
}

export function procComm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

export function procCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s !== '');
  } catch {
    return [];
  }
}

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** Inode of a process's network namespace (same as `stat /run/netns/<name>`), or null. */
export function pidNetnsInode(pid: number): number | null {
  try {
    const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`));
    return m?.[1] ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Sends `sig`, waits up to graceMs, then SIGKILLs and waits for the pids to disappear. */
export async function killAndWait(pids: readonly number[], sig: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
  const live = pids.filter((p) => isAlive(p));
  for (const p of live) signal(p, sig);
  const deadline = Date.now() + graceMs;
  while (live.some((p) => isAlive(p)) && Date.now() < deadline) await sleep(20);
  for (const p of live) if (isAlive(p)) signal(p, 'SIGKILL');
  const hard = Date.now() + 5000;
  while (live.some((p) => isAlive(p)) && Date.now() < hard) await sleep(20);
}

export function killAndWaitSync(pids: readonly number[]): void {
  const live = pids.filter((p) => isAlive(p));
  for (const p of live) signal(p, 'SIGKILL');
  const hard = Date.now() + 5000;
  while (live.some((p) => isAlive(p)) && Date.now() < hard) sleepSync(10);
}
