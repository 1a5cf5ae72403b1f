/**
 * The privileged helper's entry point (`tsunagu helper`): runs in the foreground as root, checks
 * its directories (run-dir.ts), cleans up after a crashed predecessor, then serves the socket
 * until SIGINT/SIGTERM, when it tears every tunnel down before exiting.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfilePolicy } from '../../shared/profiles/policy.js';
import { cleanupPredecessor } from './cleanup.js';
import { SESSIONS_DIR_NAME } from './defaults.js';
import { createOpenVpnDriver, prelaunchOpenVpn } from './drivers/openvpn/index.js';
import { createWireGuardDriver } from './drivers/wireguard/index.js';
import type { HelperLimits } from './limits.js';
import { HelperLog } from './log.js';
import { makeDirectory, unsafeDirectory } from './run-dir.js';
import { HelperServer } from './server.js';
import { SessionManager } from './sessions.js';

export { DEFAULT_GROUP, DEFAULT_RUN_DIR, DEFAULT_SOCKET } from './defaults.js';

export interface HelperOptions {
  socketPath: string;
  group: string;
  /** Root-only state: session work directories. */
  runDir: string;
  netns: string | null;
  /** Keep an openvpn started for the next connect (standby.ts); default true. */
  standby?: boolean;
  policy?: ProfilePolicy;
  /** Where log lines are mirrored (stderr by default). */
  mirror?: (text: string) => void;
  limits?: Partial<HelperLimits>;
}

/**
 * Creates the run directory (0755) and its sessions directory (0700) where missing, and refuses
 * (throws one sentence saying what to fix) unless both, and every directory above them, are
 * root's alone.
 */
export function prepareRunDir(runDir: string): string {
  makeDirectory(runDir, 0o755);
  const runProblem = unsafeDirectory(runDir, 'run directory');
  if (runProblem) throw new Error(runProblem);
  const sessionsDir = join(runDir, SESSIONS_DIR_NAME);
  makeDirectory(sessionsDir, 0o700);
  const sessionsProblem = unsafeDirectory(sessionsDir, 'sessions directory');
  if (sessionsProblem) throw new Error(sessionsProblem);
  // Both root's own, checked above, so their modes are the helper's to set (contract C4): the run
  // directory searchable (the socket is in it by default; an older helper made it 0700), session
  // state for root's eyes only.
  chmodSync(runDir, 0o755);
  chmodSync(sessionsDir, 0o700);
  return sessionsDir;
}

export interface RunningHelper {
  server: HelperServer;
  sessions: SessionManager;
  log: HelperLog;
  stop(): Promise<void>;
}

export async function startHelper(options: HelperOptions): Promise<RunningHelper> {
  if (process.getuid?.() !== 0) throw new Error('the helper must run as root (it creates tunnels and changes routes and DNS)');
  // Everything the helper creates (configs, sockets, records) is private unless chmod'ed explicitly.
  process.umask(0o077);
  const mirror = options.mirror ?? ((text: string) => process.stderr.write(`${text}\n`));
  // The terminal (or journal) gets the helper's own lines and the tunnels' warnings; the tunnels'
  // routine chatter and debug lines only with TSUNAGU_HELPER_DEBUG=1. Clients can always read their
  // lines through the socket. Line text has its control characters escaped already (log.ts).
  const debug = process.env['TSUNAGU_HELPER_DEBUG'] === '1';
  const log = new HelperLog(5000, (line, fromTunnel) => {
    if (!debug && (line.level === 'debug' || (fromTunnel && line.level === 'info'))) return;
    mirror(`${new Date(line.at).toISOString()} ${line.level}${line.sessionId ? ` [${line.sessionId}]` : ''}${line.uid !== null ? ` uid=${line.uid}` : ''} ${line.text}`);
  });
  prepareRunDir(options.runDir);
  await cleanupPredecessor(options.runDir, log);
  const sessions = new SessionManager({
    runDir: options.runDir,
    log,
    policy: options.policy,
    netns: options.netns,
    drivers: { openvpn: createOpenVpnDriver, wireguard: createWireGuardDriver },
    prelaunchers: { openvpn: prelaunchOpenVpn },
    standby: options.standby ?? true,
    limits: options.limits,
  });
  const server = new HelperServer({ socketPath: options.socketPath, group: options.group, sessions, log, limits: options.limits });
  try {
    await server.listen();
  } catch (e) {
    await sessions.shutdown();
    throw e;
  }
  let stopping: Promise<void> | null = null;
  return {
    server,
    sessions,
    log,
    stop: () => {
      stopping ??= (async () => {
        log.add('info', 'helper stopping: tearing down every session');
        await sessions.shutdown();
        await server.close();
      })();
      return stopping;
    },
  };
}
