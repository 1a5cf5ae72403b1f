/**
 * Small process utilities for the helper's drivers: run a system tool with a deadline, and wait
 * for a process to go away. No shell is ever involved: arguments are passed as an array.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
}

/** A network namespace name as `ip netns` makes them (a file under /run/netns): no path, at most 64 bytes. */
export const NETNS_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/**
 * The command line that runs `cmd args…` in a network namespace (`ip netns exec` also bind-mounts
 * /etc/netns/<ns>/* over /etc), or as is for the helper's own namespace.
 */
export function inNetns(netns: string | null, cmd: string, args: string[]): [string, string[]] {
  return netns === null ? [cmd, args] : ['ip', ['netns', 'exec', netns, cmd, ...args]];
}

/** Runs `command args…`, collecting output; kills it (SIGKILL) at the deadline. Never rejects. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    // First: a spawn that fails (EMFILE, ENOENT) reports it here, and then has no stdio streams.
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: stderr + e.message, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/**
 * Whether `pid` is a running process. A zombie counts as gone: it has exited and only waits for
 * its parent (often a slow PID 1 here, for daemons like wireguard-go) to reap it.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (e) {
    // The signal found it: only its /proc entry gone (ENOENT) means it went meanwhile; another
    // error (EMFILE…) cannot tell a zombie, and a live process must not be taken for gone.
    return !(e instanceof Error && 'code' in e && e.code === 'ENOENT');
  }
}

/** Resolves true once `pid` has exited, false if it is still alive at the deadline. */
export async function waitForExit(pid: number, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return !isAlive(pid);
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL and wait again. Resolves true when it is gone. */
export async function terminate(pid: number, graceMs: number): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return true;
  }
  if (await waitForExit(pid, graceMs)) return true;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return true;
  }
  return waitForExit(pid, 2_000);
}
