/**
 * The security suite's rig: real unprivileged users, and the real root helper serving them.
 *
 * The global setup creates a group and four users (alice, bob and carol are members, eve is not; every
 * name carries the TEST_PREFIX so none can be a real account) and a world-readable tools directory
 * with the attacker agent (agent.ts) and a copy of the bundled CLI: the repository may sit in a
 * root-only directory. Tests drive each user through an Agent (the agent process run with
 * setpriv as that uid), and start the helper as root with `--group` set to the test group.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { inject } from 'vitest';
import { HELPER_PROTOCOL_VERSION, type HelperError } from '../../shared/ipc/helper-protocol.js';

const ROOT = join(import.meta.dirname, '../..');
export const TEST_PREFIX = 'tsunagu-sec';
export const GROUP = TEST_PREFIX;
export const USERS = { alice: `${TEST_PREFIX}-alice`, bob: `${TEST_PREFIX}-bob`, carol: `${TEST_PREFIX}-carol`, eve: `${TEST_PREFIX}-eve` } as const;
export type UserName = keyof typeof USERS;
const MEMBERS: readonly UserName[] = ['alice', 'bob', 'carol'];
/**
 * World-readable (0755) copies of what the users run, one directory per run (several suites may
 * run at once on one machine): the global setup makes it and passes its path to the test files.
 */
export function toolsDir(): string {
  return inject('securityTools');
}
const agentPath = () => join(toolsDir(), 'agent.mjs');
export const cliPath = () => join(toolsDir(), 'cli', 'tsunagu.mjs');
/** Each live run holds a file here; the users go when the last run ends. */
const RUNS_DIR = `/run/${TEST_PREFIX}-runs`;

declare module 'vitest' {
  export interface ProvidedContext {
    securityTools: string;
  }
}

function sh(cmd: string, args: string[], allowFail = false): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const code = r.status ?? -1;
  if (code !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')} failed (${code}): ${r.stderr}`);
  return { code, stdout: r.stdout, stderr: r.stderr };
}

const exists = (db: 'passwd' | 'group', name: string) => sh('getent', [db, name], true).code === 0;

/** Creates the group and the users (idempotent: a killed run's leftovers are reused) and this run's tools directory. */
export async function setUpUsers(): Promise<string> {
  mkdirSync(RUNS_DIR, { recursive: true, mode: 0o700 });
  writeFileSync(join(RUNS_DIR, String(process.pid)), '');
  if (!exists('group', GROUP)) sh('groupadd', ['--system', GROUP]);
  for (const [key, name] of Object.entries(USERS) as Array<[UserName, string]>) {
    if (!exists('passwd', name)) sh('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--user-group', name]);
    // Membership set every time, so a leftover user from an older layout is corrected.
    sh('usermod', ['-G', MEMBERS.includes(key) ? GROUP : '', name]);
  }
  const dir = mkdtempSync(`/tmp/${TEST_PREFIX}-tools-`);
  mkdirSync(join(dir, 'cli'), { mode: 0o755 });
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'cli'), 0o755);
  await build({ entryPoints: [join(import.meta.dirname, 'agent.ts')], outfile: join(dir, 'agent.mjs'), bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
  chmodSync(join(dir, 'agent.mjs'), 0o755);
  // The whole bundle (CLI, its native addon, its worker), as one unit beside each other.
  for (const f of readdirSync(join(ROOT, 'out/cli'))) {
    copyFileSync(join(ROOT, 'out/cli', f), join(dir, 'cli', f));
    chmodSync(join(dir, 'cli', f), 0o755);
  }
  return dir;
}

export function tearDownUsers(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(RUNS_DIR, String(process.pid)), { force: true });
  const others = readdirSync(RUNS_DIR).filter((pid) => running(Number(pid)));
  if (others.length > 0) return;
  for (const name of Object.values(USERS)) if (exists('passwd', name)) sh('userdel', [name], true);
  if (exists('group', GROUP)) sh('groupdel', [GROUP], true);
  rmSync(RUNS_DIR, { recursive: true, force: true });
}

export function uidOf(user: UserName): number {
  return Number(sh('id', ['-u', USERS[user]]).stdout.trim());
}

/** argv prefix that runs a command as `user`, with its own and its supplementary groups. */
export function asUser(user: UserName): string[] {
  const name = USERS[user];
  return ['setpriv', `--reuid=${uidOf(user)}`, `--regid=${Number(sh('id', ['-g', name]).stdout.trim())}`, '--init-groups', '--'];
}

/** Runs the bundled CLI as `user` (world-readable copy), e.g. `cli('alice', ['status'])`. */
export function runCli(user: UserName, args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd = 'setpriv', ...rest] = asUser(user);
  const proc = spawn(cmd, [...rest, process.execPath, cliPath(), ...args], { cwd: toolsDir(), stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C' } });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => proc.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, stdout, stderr });
  }));
}

// ---------------------------------------------------------------------------------------------
// the agent, seen from the test

export interface AgentReport {
  event: string;
  at: number;
  conn?: number;
  text?: string;
  code?: string;
  opened?: number;
  errors?: Record<string, number>;
  uid?: number;
}

/** A parsed line the helper sent on one connection. */
export interface Received {
  at: number;
  raw: string;
  message: { id?: number | null; ok?: boolean; result?: unknown; error?: HelperError; event?: string; [k: string]: unknown };
}

export class Agent {
  readonly reports: AgentReport[] = [];
  private readonly wakers = new Set<() => void>();
  private nextConn = 1;

  private constructor(readonly user: UserName, private readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      this.reports.push(JSON.parse(line) as AgentReport);
      for (const wake of [...this.wakers]) wake();
    });
  }

  static async start(user: UserName): Promise<Agent> {
    const [cmd = 'setpriv', ...rest] = asUser(user);
    const proc = spawn(cmd, [...rest, process.execPath, agentPath()], { cwd: toolsDir(), stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
    const agent = new Agent(user, proc);
    const ready = await agent.waitFor((r) => r.event === 'ready', 10_000);
    if (ready.uid !== uidOf(user)) throw new Error(`agent for ${user} runs as uid ${String(ready.uid)}`);
    return agent;
  }

  send(command: Record<string, unknown>): void {
    this.proc.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  async waitFor(predicate: (r: AgentReport) => boolean, timeoutMs: number, from = 0): Promise<AgentReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.reports.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${this.user}'s agent: timed out after ${timeoutMs} ms; last reports: ${JSON.stringify(this.reports.slice(-4)).slice(0, 800)}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wakers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, deadline - Date.now()) + 1);
        this.wakers.add(done);
      });
    }
  }

  /** Opens a raw connection to the socket; rejects with the errno code (EACCES...) if refused. */
  async open(socketPath: string): Promise<Conn> {
    const conn = this.nextConn++;
    const from = this.reports.length;
    this.send({ op: 'open', conn, path: socketPath });
    const r = await this.waitFor((x) => x.conn === conn && (x.event === 'open' || x.event === 'error'), 10_000, from);
    if (r.event === 'error') throw new ConnectError(r.code ?? 'unknown');
    return new Conn(this, conn);
  }

  /** A connection that has said hello. */
  async client(socketPath: string, clientName = `security-${this.user}`): Promise<Conn> {
    const c = await this.open(socketPath);
    const hello = await c.request({ type: 'hello', version: HELPER_PROTOCOL_VERSION, client: clientName });
    if (!hello.ok) throw new Error(`${this.user}: hello refused: ${JSON.stringify(hello.error)}`);
    return c;
  }

  /** Opens `count` more idle connections; returns how many the kernel accepted and the errors. */
  async openMany(socketPath: string, count: number): Promise<{ conns: number[]; errors: Record<string, number> }> {
    const from = this.nextConn;
    this.nextConn += count;
    const start = this.reports.length;
    this.send({ op: 'open-many', from, count, path: socketPath });
    const r = await this.waitFor((x) => x.event === 'opened-many', 120_000, start);
    return { conns: Array.from({ length: count }, (_, i) => from + i), errors: r.errors ?? {} };
  }

  /** Every line received on `conn`, parsed. */
  received(conn: number): Received[] {
    return this.reports.flatMap((r) => (r.conn === conn && r.event === 'line' && r.text !== undefined ? [{ at: r.at, raw: r.text, message: JSON.parse(r.text) as Received['message'] }] : []));
  }

  stop(): void {
    this.proc.stdin?.end();
    this.proc.kill('SIGKILL');
  }
}

export class ConnectError extends Error {
  constructor(readonly code: string) {
    super(`connect failed: ${code}`);
  }
}

/** One raw connection of an agent. Requests are numbered here; nothing is validated. */
export class Conn {
  private nextId = 1;

  constructor(readonly agent: Agent, readonly conn: number) {}

  write(data: string, report = false): void {
    this.agent.send({ op: 'write', conn: this.conn, data, report });
  }

  /** Sends a request without waiting; its send time (agent clock) is reported as 'wrote'. */
  sendTimed(body: Record<string, unknown>): number {
    const id = this.nextId++;
    this.write(`${JSON.stringify({ id, ...body })}\n`, true);
    return id;
  }

  /** Agent-clock send times of this connection's timed writes, in order. */
  sendTimes(): number[] {
    return this.agent.reports.filter((r) => r.conn === this.conn && r.event === 'wrote').map((r) => r.at);
  }

  fill(bytes: number): void {
    this.agent.send({ op: 'fill', conn: this.conn, bytes });
  }

  /** Sends `body` with a fresh id and waits for the response carrying it. */
  async request(body: Record<string, unknown>, timeoutMs = 30_000): Promise<Received['message'] & { ok: boolean }> {
    const id = this.nextId++;
    this.write(`${JSON.stringify({ id, ...body })}\n`);
    return (await this.response(id, timeoutMs)).message as Received['message'] & { ok: boolean };
  }

  async response(id: number | null, timeoutMs = 30_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received().find((r) => r.message.event === undefined && r.message.id === id);
      if (found) return found;
      if (this.closed()) throw new Error(`${this.agent.user}: connection ${this.conn} closed before the response to ${String(id)}; it received: ${this.received().map((r) => r.raw).join(' | ').slice(0, 600)}`);
      if (Date.now() > deadline) throw new Error(`${this.agent.user}: no response to ${String(id)} in ${timeoutMs} ms`);
      await this.agent.waitFor((r) => r.conn === this.conn, Math.max(1, deadline - Date.now()), this.agent.reports.length).catch(() => undefined);
    }
  }

  received(): Received[] {
    return this.agent.received(this.conn);
  }

  /** Events pushed on this connection (state, stats, log...). */
  events(): Array<Received['message']> {
    return this.received().flatMap((r) => (r.message.event !== undefined ? [r.message] : []));
  }

  closed(): boolean {
    return this.agent.reports.some((r) => r.conn === this.conn && r.event === 'close');
  }

  close(): void {
    this.agent.send({ op: 'close', conn: this.conn });
  }
}

// ---------------------------------------------------------------------------------------------
// the helper under attack

export interface SecHelper {
  proc: ChildProcess;
  pid: number;
  socketPath: string;
  runDir: string;
  /** Everything it wrote to stdout and stderr (its log mirror). */
  output(): string;
  alive(): boolean;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export interface SecHelperOptions {
  /** Use /run/tsunagu/helper.sock and /run/tsunagu (no --socket / --run-dir). */
  defaultPaths?: boolean;
  /** An existing base directory (its `run/` is the run dir); a fresh one under /run otherwise. */
  dir?: string;
  runDir?: string;
  env?: Record<string, string>;
  /** Wait for 'listening on' (default), or only start it (a test that expects it to refuse). */
  waitListening?: boolean;
  /** The administrator's policy directory (`--policy-dir`); /etc/tsunagu otherwise. */
  policyDir?: string;
}

/** A fresh base directory for a helper: under /run (root-owned, 0755 up to /), reachable by the users. */
export function helperDir(): string {
  const dir = mkdtempSync(`/run/${TEST_PREFIX}-`);
  chmodSync(dir, 0o755);
  return dir;
}

/** Starts `tsunagu helper` as root for the test group, in `netns`, from the bundled CLI (the tools copy). */
export async function startSecHelper(netns: string | null, o: SecHelperOptions = {}): Promise<SecHelper> {
  const dir = o.defaultPaths ? null : (o.dir ?? helperDir());
  const socketPath = dir ? join(dir, 'helper.sock') : '/run/tsunagu/helper.sock';
  const runDir = o.runDir ?? (dir ? join(dir, 'run') : '/run/tsunagu');
  // The global setup's copy of the bundle: a rebuild of out/cli (another suite's setup) rewrites
  // peercred.node in place, and a helper that has it mapped dies of SIGSEGV in PeerCredentials.
  const args = [cliPath(), ...(dir ? ['--socket', socketPath] : []), 'helper', '--group', GROUP, ...(dir || o.runDir ? ['--run-dir', runDir] : []), ...(netns ? ['--netns', netns] : []), ...(o.policyDir ? ['--policy-dir', o.policyDir] : [])];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } });
  let output = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => { output += d; });
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => { output += d; });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const helper: SecHelper = {
    proc,
    pid: proc.pid ?? -1,
    socketPath,
    runDir,
    output: () => output,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    exited,
    stop: async () => {
      if (helper.alive()) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      if (dir && !o.dir) rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
  if (o.waitListening ?? true) {
    const deadline = Date.now() + 20_000;
    while (!output.includes('listening on')) {
      if (!helper.alive() || Date.now() > deadline) {
        await helper.stop();
        throw new Error(`helper did not start: ${output}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return helper;
}

/** Resident memory of a process, in bytes (VmRSS). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Whether `pid` is still running (and not a zombie). */
export function running(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}
