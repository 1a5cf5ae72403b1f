/**
 * The real tools as judges of a profile, run so that an untrusted file can do nothing: openvpn 2.6
 * as `nobody` with no capabilities, in a network namespace with only (down) loopback and a PID
 * namespace of its own, in an empty directory holding the profile and its companion files, with a
 * short timeout; wg-quick's `strip`
 * as `nobody` (mapped to uid 0 in its own user namespace, so wg-quick does not ask for sudo), then
 * `wg setconf` on a wireguard-go interface in a scratch network namespace. Nothing here runs a
 * profile's hooks: openvpn is given `--script-security 1` and never gets past device creation,
 * and `wg-quick strip` only parses.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type OracleVerdict =
  /** The tool took every option and went on to the network or the device (stage says which). */
  | { accepted: true; stage: string }
  /** The tool stopped before that, with its own words. */
  | { accepted: false; reason: string };

const UNPRIVILEGED = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs'];
const OPENVPN_TIMEOUT_MS = 6_000;

/**
 * Log lines openvpn prints only once its options and its crypto (certificates, keys, ciphers) have
 * been loaded: it is resolving or opening the link, or creating the device (which nobody cannot).
 */
const OPENVPN_PAST_OPTIONS: Array<[RegExp, string]> = [
  [/RESOLVE: Cannot resolve host address|Could not determine IPv4\/IPv6 protocol/, 'resolving the server'],
  [/TCP\/UDP: Preserving recently used remote address|Socket Buffers:|link local|Attempting to establish TCP connection|Network is unreachable/, 'opening the link'],
  [/TUNSETIFF|Cannot open TUN\/TAP|ERROR: Cannot ioctl|Cannot allocate TUN\/TAP/, 'creating the device'],
];

/** openvpn's words for a key it could not unlock with the dummy password (or an unloadable one). */
const KEY_PASSWORD_FAILED = /private key password verification failed/i;

function run(argv: string[], options: { cwd?: string; timeoutMs: number; env?: NodeJS.ProcessEnv; stopAt?: (out: string) => boolean }): Promise<{ code: number | null; out: string; stdout: string; timedOut: boolean; stopped: boolean }> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error('empty command');
    // A process group of its own, killed as a whole: unshare's child drops its parent-death signal
    // when setpriv changes its uid, so killing unshare alone would leave openvpn running.
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const kill = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    let out = '';
    let stdout = '';
    let timedOut = false;
    let stopped = false;
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    const take = (chunk: Buffer): void => {
      out += chunk.toString('latin1');
      if (!stopped && options.stopAt?.(out)) {
        stopped = true;
        kill();
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('latin1');
      take(chunk);
    });
    child.stderr.on('data', take);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, out: out + String(e), stdout, timedOut, stopped });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, stdout, timedOut, stopped });
    });
  });
}

function scratchDir(files: ReadonlyMap<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-oracle-'));
  chmodSync(dir, 0o755);
  for (const [name, bytes] of files) {
    writeFileSync(join(dir, name), bytes, { mode: 0o644 });
    chmodSync(join(dir, name), 0o644);
  }
  return dir;
}

function stageOf(out: string): string | null {
  for (const [re, stage] of OPENVPN_PAST_OPTIONS) if (re.test(out)) return stage;
  return null;
}

/** The line openvpn gave as its reason for stopping. */
function openVpnReason(out: string): string {
  const lines = out.split('\n').map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /, '').trim()).filter(Boolean);
  const options = lines.find((l) => l.startsWith('Options error:'));
  if (options) return options;
  const fatal = lines.findIndex((l) => l.includes('Exiting due to fatal error'));
  if (fatal > 0) return lines[fatal - 1] ?? 'fatal error';
  return lines.at(-1) ?? 'no output';
}

const verdicts = new Map<string, Promise<OracleVerdict>>();

function cached(kind: string, parts: Array<string | Uint8Array>, judge: () => Promise<OracleVerdict>): Promise<OracleVerdict> {
  const hash = createHash('sha256').update(kind);
  for (const p of parts) hash.update(String(typeof p === 'string' ? p.length : p.byteLength)).update(p);
  const key = hash.digest('hex');
  let verdict = verdicts.get(key);
  if (!verdict) {
    verdict = judge();
    verdicts.set(key, verdict);
  }
  return verdict;
}

/**
 * openvpn's verdict on a profile. A profile asking for credentials is given a dummy pair (and an
 * encrypted key a dummy password): both are checked after every option has been read.
 */
export function openVpnOracle(profile: Uint8Array, companions: ReadonlyMap<string, Uint8Array> = new Map()): Promise<OracleVerdict> {
  const names = [...companions.keys()].sort();
  return cached('openvpn', [profile, ...names.flatMap((n) => [n, companions.get(n) ?? new Uint8Array()])], async () => {
    const files = new Map(companions);
    files.set('tsunagu-oracle.ovpn', profile);
    files.set('tsunagu-oracle.creds', new TextEncoder().encode('oracle\noracle\n'));
    files.set('tsunagu-oracle.pass', new TextEncoder().encode('oracle\n'));
    const dir = scratchDir(files);
    try {
      const asksCredentials = /^[ \t]*auth-user-pass[ \t]*(?:[#;].*)?\r?$/m.test(Buffer.from(profile).toString('latin1'));
      const argv = [
        // Its own PID namespace too, openvpn being its first process: a profile's `daemon` cannot
        // leave a process behind, since everything in the namespace dies with that process.
        'unshare', '--net', '--pid', '--fork', ...UNPRIVILEGED,
        'openvpn', '--config', 'tsunagu-oracle.ovpn',
        '--verb', '3', '--mute', '0', '--script-security', '1', '--askpass', 'tsunagu-oracle.pass',
        ...(asksCredentials ? ['--auth-user-pass', 'tsunagu-oracle.creds'] : []),
      ];
      const r = await run(argv, { cwd: dir, timeoutMs: OPENVPN_TIMEOUT_MS, stopAt: (out) => stageOf(out) !== null });
      const stage = stageOf(r.out);
      if (stage) return { accepted: true, stage };
      // Every option and certificate was read; only the password we do not have is wrong.
      if (KEY_PASSWORD_FAILED.test(r.out) && [...files.values()].some((f) => /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(Buffer.from(f).toString('latin1')))) {
        return { accepted: true, stage: 'unlocking the private key' };
      }
      return { accepted: false, reason: r.timedOut ? `no verdict within ${OPENVPN_TIMEOUT_MS} ms: ${openVpnReason(r.out)}` : openVpnReason(r.out) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

let interfaceCounter = 0;

/** A wireguard-go interface in a namespace of its own, for `wg setconf`; `close` removes both. */
async function scratchWireGuard(): Promise<{ netns: string; name: string; close: () => Promise<void> }> {
  const id = `${process.pid % 100_000}${(interfaceCounter++).toString(36)}`;
  const netns = `tsdiff-${id}`;
  const name = `tsdf${id}`;
  await run(['ip', 'netns', 'add', netns], { timeoutMs: 5_000 });
  const daemon = spawn('ip', ['netns', 'exec', netns, 'wireguard-go', '-f', name], { stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'error' } });
  for (let i = 0; i < 50; i++) {
    const r = await run(['ip', 'netns', 'exec', netns, 'ip', 'link', 'show', name], { timeoutMs: 2_000 });
    if (r.code === 0) break;
    await new Promise((done) => setTimeout(done, 50));
  }
  return {
    netns,
    name,
    close: async () => {
      daemon.kill('SIGTERM');
      await run(['ip', 'netns', 'del', netns], { timeoutMs: 5_000 });
    },
  };
}

/** Errors of `wg setconf` that are about this offline namespace, not about the file. */
const OFFLINE_ONLY = /Temporary failure in name resolution|Name or service not known|Name has no usable address/;

/** wg-quick's verdict: `wg-quick strip` must read it, and `wg setconf` must take what it keeps. */
export function wireGuardOracle(config: Uint8Array): Promise<OracleVerdict> {
  return cached('wireguard', [config], async () => {
    const dir = scratchDir(new Map([['tsdiff0.conf', config]]));
    try {
      const strip = await run(['unshare', '-n', ...UNPRIVILEGED, 'unshare', '-r', 'wg-quick', 'strip', join(dir, 'tsdiff0.conf')], { timeoutMs: 5_000 });
      if (strip.code !== 0) {
        const said = strip.out.split('\n').filter((l) => l && !strip.stdout.includes(l));
        return { accepted: false, reason: `wg-quick: ${said.join('; ') || 'failed'}` };
      }
      writeFileSync(join(dir, 'stripped.conf'), strip.stdout, { mode: 0o600 });
      const wg = await scratchWireGuard();
      try {
        const set = await run(['ip', 'netns', 'exec', wg.netns, 'wg', 'setconf', wg.name, join(dir, 'stripped.conf')], {
          timeoutMs: 10_000,
          env: { ...process.env, WG_ENDPOINT_RESOLUTION_RETRIES: '0' },
        });
        if (set.code === 0) return { accepted: true, stage: 'wg setconf' };
        if (OFFLINE_ONLY.test(set.out)) return { accepted: true, stage: 'wg setconf (endpoint name not resolvable offline)' };
        return { accepted: false, reason: `wg setconf: ${set.out.split('\n').filter(Boolean).join('; ')}` };
      } finally {
        await wg.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
