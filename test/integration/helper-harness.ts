/**
 * Runs the real helper (`tsunagu helper`, as its own root process) against lab scenarios, and
 * talks to it only through its socket with the same client library the app uses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelperClient } from '../../electron/main/helper-client.js';
import type { HelperEvent, SessionInfo, TunnelState } from '../../shared/ipc/helper-protocol.js';
import { STANDBY_MARKER } from '../../electron/helper/standby.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import type { ProfileKind } from '../../shared/profiles/kinds.js';
import { run } from '../lab/exec.js';
import type { LabInstance } from '../lab/index.js';

const ROOT = join(import.meta.dirname, '../..');

export interface RunningHelperProcess {
  proc: ChildProcess;
  socketPath: string;
  runDir: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * `inside`: the helper process itself runs under `ip netns exec <netns>` (as well as `--netns`), so
 * its own name lookups read the namespace's /etc/netns/<ns>/hosts (a name only the lab knows).
 */
export async function startHelperProcess(netns: string | null, dir = mkdtempSync(join(tmpdir(), 'tsunagu-it-')), extraArgs: string[] = [], o: { inside?: boolean } = {}): Promise<RunningHelperProcess> {
  // Searchable by all, so tests running as group members (other uids) can reach the socket.
  chmodSync(dir, 0o755);
  const socketPath = join(dir, 'helper.sock');
  const runDir = join(dir, 'run');
  // The bundled CLI, built by global-setup.ts: the helper exactly as it ships.
  const args = [join(ROOT, 'out/cli/tsunagu.mjs'), '--socket', socketPath, 'helper', '--group', 'root', '--run-dir', runDir, ...(netns ? ['--netns', netns] : []), ...extraArgs];
  // `ip netns exec` execs in place: the child is the helper itself.
  const [cmd, argv] = o.inside && netns ? ['ip', ['netns', 'exec', netns, process.execPath, ...args]] : [process.execPath, args];
  const proc = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => { output += d; });
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => { output += d; });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (!output.includes('listening on')) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`helper did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc,
    socketPath,
    runDir,
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const code = await exited;
      if (signal !== 'SIGKILL') rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** A client that records every event, with helpers to wait for states. */
export class Observer {
  readonly events: HelperEvent[] = [];
  private readonly wakers = new Set<() => void>();

  private constructor(readonly client: HelperClient) {
    client.onEvent((e) => {
      this.events.push(e);
      for (const wake of this.wakers) wake();
    });
  }

  static async open(socketPath: string): Promise<Observer> {
    const client = await HelperClient.connect({ socketPath, clientName: 'integration-test' });
    const o = new Observer(client);
    await client.request('subscribe', {});
    return o;
  }

  states(sessionId: string): TunnelState[] {
    return this.events.flatMap((e) => (e.event === 'state' && e.sessionId === sessionId ? [e.state] : []));
  }

  async waitFor<T extends HelperEvent>(predicate: (e: HelperEvent) => e is T, timeoutMs: number, from = 0): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms; last events: ${JSON.stringify(this.events.filter((e) => e.event !== 'log').slice(-6))}`);
      }
      // Woken by the next event (so timings measured through here are not rounded up), or by the deadline.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(0, deadline - Date.now()) + 1);
        function done() {
          clearTimeout(timer);
          wakers.delete(done);
          resolve();
        }
        const wakers = this.wakers;
        wakers.add(done);
      });
    }
  }

  /** Waits for a state with `status` for the session (searching from event index `from`). */
  async waitForState<S extends TunnelState['status']>(sessionId: string, status: S, timeoutMs: number, from = 0): Promise<Extract<TunnelState, { status: S }>> {
    const e = await this.waitFor((x): x is Extract<HelperEvent, { event: 'state' }> => x.event === 'state' && x.sessionId === sessionId && x.state.status === status, timeoutMs, from);
    return e.state as Extract<TunnelState, { status: S }>;
  }

  async waitForStats(sessionId: string, timeoutMs: number, from = 0): Promise<Extract<HelperEvent, { event: 'stats' }>> {
    return this.waitFor((x): x is Extract<HelperEvent, { event: 'stats' }> => x.event === 'stats' && x.sessionId === sessionId, timeoutMs, from);
  }

  close(): void {
    this.client.close();
  }
}

export function profileOf(lab: LabInstance): { kind: ProfileKind; text: string; name: string } {
  const text = readFileSync(lab.profile, 'utf8');
  const inspection = inspectProfile(text, { fileName: lab.profile });
  if (!inspection.ok) throw new Error(`lab profile refused: ${JSON.stringify(inspection.errors)}`);
  return { kind: inspection.kind, text: inspection.canonical, name: `${lab.scenario}` };
}

/** What a tunnel may leave behind in a namespace, to compare before and after. */
export interface NetnsSnapshot {
  links: string[];
  routes: string;
  rules: string;
  resolvConf: string | null;
  nft: string;
}

export async function snapshotNetns(netns: string): Promise<NetnsSnapshot> {
  const out = async (cmd: string, args: string[]) => (await run(cmd, args, { allowFail: true })).stdout;
  const links = (await out('ip', ['-n', netns, '-o', 'link', 'show']))
    .split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1] ?? '')
    .filter(Boolean)
    .sort();
  const resolv = `/etc/netns/${netns}/resolv.conf`;
  return {
    links,
    // IPv6 link-local and multicast routes appear on their own once the veth's DAD completes.
    routes: ((await out('ip', ['-n', netns, 'route', 'show', 'table', 'all'])) + (await out('ip', ['-n', netns, '-6', 'route', 'show', 'table', 'all'])))
      .split('\n')
      .filter((l) => !/fe80::|ff00::\/8/.test(l))
      .join('\n'),
    rules: (await out('ip', ['-n', netns, 'rule'])) + (await out('ip', ['-n', netns, '-6', 'rule'])),
    resolvConf: existsSync(resolv) ? readFileSync(resolv, 'utf8') : null,
    nft: await out('ip', ['netns', 'exec', netns, 'nft', 'list', 'tables']),
  };
}

/**
 * Whether `pid` is a helper's standby: a process waiting, with nothing read, for the next connect
 * (electron/helper/standby.ts). Its working directory holds the standby marker naming it.
 */
export function isStandby(pid: number): boolean {
  try {
    return readFileSync(join(readlinkSync(`/proc/${pid}/cwd`), STANDBY_MARKER), 'utf8').trim() === String(pid);
  } catch {
    return false;
  }
}

/**
 * Processes whose network namespace is `netns` and whose command is one of `names`; a helper's
 * standby (which belongs to no session) only with `includeStandby`.
 */
export function processesIn(netns: string, names: string[], o: { includeStandby?: boolean } = {}): Array<{ pid: number; comm: string }> {
  let target: string;
  try {
    // /run/netns/<name> is a bind mount of the namespace, so its inode is the namespace's.
    target = `net:[${statSync(`/run/netns/${netns}`).ino}]`;
  } catch {
    return [];
  }
  const found: Array<{ pid: number; comm: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (!names.includes(comm) || readlinkSync(`/proc/${entry}/ns/net`) !== target) continue;
      if (!o.includeStandby && isStandby(Number(entry))) continue;
      found.push({ pid: Number(entry), comm });
    } catch {
      // The process went away while we looked.
    }
  }
  return found;
}

export type { SessionInfo };
