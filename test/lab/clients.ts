// Client side for tests, with the plain tools only (openvpn, wg-quick, charon + swanctl) run
// inside the instance's client namespace. No Tsunagu code is involved.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { inNetns, isAlive, killAndWait, run, sleep, waitUntil, type RunResult } from './exec.js';
import { IkeClient } from './ikev2-client.js';
import { LEGACY_DATA_CIPHERS_FIX } from './openvpn.js';
import { familyOf, instanceDir, type LabInfo } from './state.js';
import { findWireguardGo, WG_ENV, wgSocketPath } from './wireguard.js';

export async function ping(netns: string, ip: string, opts: { count?: number; waitS?: number } = {}): Promise<boolean> {
  const [cmd, args] = inNetns(netns, 'ping', ['-n', '-q', '-c', String(opts.count ?? 1), '-W', String(opts.waitS ?? 2), ip]);
  const r = await run(cmd, args, { allowFail: true });
  return r.code === 0;
}

/** Pings until one answer arrives (tunnels may need a moment after reporting up). */
export async function pingUntil(netns: string, ip: string, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ping(netns, ip, { waitS: 1 })) return true;
  }
  return false;
}

function tmpName(dir: string, base: string): string {
  return join(dir, `${base}-${randomBytes(3).toString('hex')}`);
}

// ---------------------------------------------------------------------------------------------
// OpenVPN

export interface OpenvpnSpawnOptions {
  /** Extra command-line options. */
  args?: string[];
  /** Profile to use instead of info.profile. */
  config?: string;
  cwd?: string;
}

export class OpenvpnClient {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcessWithoutNullStreams;
  private waiters: (() => void)[] = [];

  private constructor(info: LabInfo, opts: OpenvpnSpawnOptions) {
    const [cmd, args] = inNetns(info.clientNetns, 'openvpn', ['--config', opts.config ?? info.profile, ...(opts.args ?? [])]);
    this.child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const onData = (d: string) => {
      this.output += d;
      for (const w of this.waiters) w();
    };
    this.child.stdout.setEncoding('utf8').on('data', onData);
    this.child.stderr.setEncoding('utf8').on('data', onData);
    this.child.stdin.end();
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        resolve({ code, signal });
        for (const w of this.waiters) w();
      });
      this.child.on('error', () => resolve({ code: null, signal: null }));
    });
  }

  static spawn(info: LabInfo, opts: OpenvpnSpawnOptions = {}): OpenvpnClient {
    return new OpenvpnClient(info, opts);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first match of `re` in the output; rejects on timeout or exit. */
  waitFor(re: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = re.exec(this.output);
        if (m) return done(() => resolve(m));
        if (!this.running) return done(() => reject(new Error(`openvpn exited before ${String(re)}:\n${this.tail()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${String(re)}:\n${this.tail()}`))), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        f();
      };
      this.waiters.push(check);
      check();
    });
  }

  waitConnected(timeoutMs = 15_000): Promise<RegExpExecArray> {
    return this.waitFor(/Initialization Sequence Completed/, timeoutMs);
  }

  tail(lines = 12): string {
    return this.output.trimEnd().split('\n').slice(-lines).join('\n');
  }

  async stop(): Promise<void> {
    if (this.running && this.child.pid !== undefined) await killAndWait([this.child.pid], 'SIGTERM', 3000);
    await Promise.race([this.exited, sleep(2000)]);
  }
}

/** Line-oriented client for OpenVPN's management interface on a unix socket. */
export class ManagementSession {
  buffer = '';
  private waiters: (() => void)[] = [];
  private closed = false;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buffer += d;
      for (const w of this.waiters) w();
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters) w();
    });
    sock.on('error', () => undefined);
  }

  /** Connects once openvpn has created the socket. */
  static async connect(path: string, timeoutMs = 10_000): Promise<ManagementSession> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = await new Promise<Socket>((resolve, reject) => {
          const s = createConnection(path, () => resolve(s));
          s.once('error', reject);
        });
        return new ManagementSession(sock);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(20);
      }
    }
  }

  send(line: string): void {
    this.sock.write(`${line}\n`);
  }

  waitFor(re: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = re.exec(this.buffer);
        if (m) return done(() => resolve(m));
        if (this.closed) return done(() => reject(new Error(`management socket closed before ${String(re)}:\n${this.buffer.slice(-600)}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${String(re)}:\n${this.buffer.slice(-600)}`))), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        f();
      };
      this.waiters.push(check);
      check();
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Quotes a value for the management interface (the config-file lexer: double quotes, backslash escapes). */
export function mgmtQuote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function staticChallengePassword(password: string, response: string): string {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return `SCRV1:${b64(password)}:${b64(response)}`;
}

export interface ChallengeLogin {
  client: OpenvpnClient;
  mgmt: ManagementSession;
  /** The `>PASSWORD:Need 'Auth' ...` line openvpn sent. */
  prompt: string;
}

/**
 * Runs openvpn under --management-query-passwords and answers the static challenge prompt over the
 * management socket, as a GUI would: the password goes out as SCRV1:<b64 password>:<b64 response>.
 */
export async function openvpnChallengeLogin(
  info: LabInfo,
  username: string,
  password: string,
  response: string,
): Promise<ChallengeLogin> {
  const sockPath = `${tmpName(instanceDir(info.id), 'mgmt')}.sock`;
  const client = OpenvpnClient.spawn(info, {
    args: ['--management', sockPath, 'unix', '--management-query-passwords', '--management-hold'],
  });
  const mgmt = await ManagementSession.connect(sockPath);
  mgmt.send('state on');
  mgmt.send('hold release');
  const m = await mgmt.waitFor(/>PASSWORD:Need 'Auth' username\/password[^\r\n]*/);
  mgmt.send(`username "Auth" ${mgmtQuote(username)}`);
  mgmt.send(`password "Auth" ${mgmtQuote(staticChallengePassword(password, response))}`);
  return { client, mgmt, prompt: m[0] };
}

/** Writes a mode-0600 file (e.g. for --auth-user-pass or --askpass) into the instance directory. */
export function writeSecretFile(info: LabInfo, base: string, lines: string[]): string {
  const p = tmpName(instanceDir(info.id), base);
  writeFileSync(p, `${lines.join('\n')}\n`, { mode: 0o600 });
  return p;
}

// ---------------------------------------------------------------------------------------------
// WireGuard

export function wgIfaceOf(profile: string): string {
  return profile.replace(/^.*\//, '').replace(/\.conf$/, '');
}

export async function wgQuickUp(info: LabInfo, profile = info.profile): Promise<RunResult> {
  const [cmd, args] = inNetns(info.clientNetns, 'wg-quick', ['up', profile]);
  return run(cmd, args, { env: WG_ENV });
}

/** wg-quick down, then waits for wireguard-go (it exits 1.3–1.8 s after the interface is deleted). */
export async function wgQuickDown(info: LabInfo, profile = info.profile): Promise<void> {
  const iface = wgIfaceOf(profile);
  const pid = findWireguardGo(info.clientNetns, iface);
  const [cmd, args] = inNetns(info.clientNetns, 'wg-quick', ['down', profile]);
  await run(cmd, args, { env: WG_ENV });
  if (pid !== null) await waitUntil('wireguard-go to exit', () => !isAlive(pid), 5000);
  await waitUntil('the UAPI socket to go', () => !existsSync(wgSocketPath(iface)), 2000).catch(() => undefined);
}

export interface WgPeerDump {
  publicKey: string;
  endpoint: string;
  allowedIps: string;
  latestHandshake: number;
  rx: number;
  tx: number;
}

/** `wg show <if> dump` peers (tab-separated; the first line is the interface itself). */
export async function wgPeers(netns: string, iface: string): Promise<WgPeerDump[]> {
  const [cmd, args] = inNetns(netns, 'wg', ['show', iface, 'dump']);
  const r = await run(cmd, args);
  return r.stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
    .map((f) => ({
      publicKey: f[0] ?? '',
      endpoint: f[2] ?? '',
      allowedIps: f[3] ?? '',
      latestHandshake: Number(f[4] ?? 0),
      rx: Number(f[5] ?? 0),
      tx: Number(f[6] ?? 0),
    }));
}

// ---------------------------------------------------------------------------------------------
// IKEv2 (and IKEv1): see ikev2-client.ts

export { IkeClient, ikeResidue, ikeTunnelResidue, makeUntrustedCa, parseListSas, readIkeProfile, writeIkeVariant, type IkeOverrides, type IkeSaSummary } from './ikev2-client.js';

// ---------------------------------------------------------------------------------------------
// Any scenario

export interface Connection {
  disconnect(): Promise<void>;
}

/**
 * Connects with the good credentials by whatever the scenario needs; resolves once the tool
 * reports the tunnel up (for wireguard-badkey: once the interface is up, as no handshake comes).
 */
export async function connectClient(info: LabInfo): Promise<Connection> {
  const family = familyOf(info.scenario);
  if (family === 'wireguard') {
    await wgQuickUp(info);
    return { disconnect: () => wgQuickDown(info) };
  }
  if (family === 'ikev2') {
    const c = await IkeClient.start(info);
    const r = await c.initiate();
    if (r.code !== 0) {
      await c.stop();
      throw new Error(`swanctl --initiate failed: ${r.stdout.slice(-400)}`);
    }
    return { disconnect: () => c.stop() };
  }
  const cred = info.credentials;
  if (info.scenario === 'openvpn-challenge') {
    const { client, mgmt } = await openvpnChallengeLogin(
      info,
      cred.good?.username ?? '',
      cred.good?.password ?? '',
      cred.challenge?.response ?? '',
    );
    await client.waitConnected();
    return {
      disconnect: async () => {
        mgmt.close();
        await client.stop();
      },
    };
  }
  const args: string[] = [];
  if (cred.good) args.push('--auth-user-pass', writeSecretFile(info, 'auth', [cred.good.username, cred.good.password]));
  if (cred.keyPassphrase) args.push('--askpass', writeSecretFile(info, 'askpass', [cred.keyPassphrase]));
  if (info.scenario === 'openvpn-legacy') args.push(...LEGACY_DATA_CIPHERS_FIX);
  const client = OpenvpnClient.spawn(info, { args });
  await client.waitConnected(30_000);
  return { disconnect: () => client.stop() };
}
