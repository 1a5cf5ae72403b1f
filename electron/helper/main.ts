/**
 * The privileged helper's entry point (`tsunagu helper`): runs in the foreground as root, cleans
 * up after a crashed predecessor, then serves the socket until SIGINT/SIGTERM, when it tears
 * every tunnel down before exiting.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfilePolicy } from '../../shared/profiles/policy.js';
import { cleanupPredecessor } from './cleanup.js';
import { createOpenVpnDriver, prelaunchOpenVpn } from './drivers/openvpn/index.js';
import { createWireGuardDriver } from './drivers/wireguard/index.js';
import { HelperLog } from './log.js';
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
  // routine chatter and debug lines only with TSUNAGU_HELPER_DEBUG=1. Clients can always read every
  // line through the socket.
  const debug = process.env['TSUNAGU_HELPER_DEBUG'] === '1';
  const log = new HelperLog(5000, (line, fromTunnel) => {
    if (!debug && (line.level === 'debug' || (fromTunnel && line.level === 'info'))) return;
    mirror(`${new Date(line.at).toISOString()} ${line.level}${line.sessionId ? ` [${line.sessionId}]` : ''}${line.uid !== null ? ` uid=${line.uid}` : ''} ${line.text}`);
  });
  mkdirSync(join(options.runDir, 'sessions'), { recursive: true, mode: 0o700 });
  await cleanupPredecessor(options.runDir, log);
  const sessions = new SessionManager({
    runDir: options.runDir,
    log,
    policy: options.policy,
    netns: options.netns,
    drivers: { openvpn: createOpenVpnDriver, wireguard: createWireGuardDriver },
    prelaunchers: { openvpn: prelaunchOpenVpn },
    standby: options.standby ?? true,
  });
  const server = new HelperServer({ socketPath: options.socketPath, group: options.group, sessions, log });
  await server.listen();
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
