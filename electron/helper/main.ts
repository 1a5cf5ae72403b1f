/**
 * The privileged helper's entry point (`tsunagu helper`): runs in the foreground as root, checks
 * its directories (run-dir.ts), cleans up after a crashed predecessor, then serves the socket
 * until SIGINT/SIGTERM, when it tears every tunnel down before exiting.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_LEVELS } from '../../shared/policy/table.js';
import { cleanupPredecessor } from './cleanup.js';
import { SESSIONS_DIR_NAME } from './defaults.js';
import { registeredPrelaunchers } from './drivers/registry.js';
import { FirewallController } from './firewall/controller.js';
import { DEFAULT_FIREWALL_STATE_DIR } from './firewall/intent-store.js';
import type { HelperLimits } from './limits.js';
import { HelperLog } from './log.js';
import { NetworkWatch } from './network-watch.js';
import { DEFAULT_POLICY_DIR, LinuxPolicyReader } from './policy/linux.js';
import { ProvisionedProfiles } from './policy/provisioned.js';
import { PolicyService } from './policy/service.js';
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
  /** The administrator's directory: policy.json, policy.d/, profiles/ (default /etc/tsunagu). */
  policyDir?: string;
  /** Where log lines are mirrored (stderr by default). */
  mirror?: (text: string) => void;
  limits?: Partial<HelperLimits>;
  /**
   * Where the kill switch keeps its intent and the lockdown setting (root's alone). Default
   * /var/lib/tsunagu; a helper in a network namespace (a lab or demo) keeps its own under the run
   * directory instead, so it never shares the host's.
   */
  stateDir?: string;
  /** Reconnect every session at once when the network comes back (network-watch.ts); default true. */
  networkWatch?: boolean;
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
  firewall: FirewallController;
  sessions: SessionManager;
  log: HelperLog;
  policy: PolicyService;
  provisioned: ProvisionedProfiles;
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
  // The policy's LogLevel sets the journal's threshold; TSUNAGU_HELPER_DEBUG=1 lowers it to debug.
  const debug = process.env['TSUNAGU_HELPER_DEBUG'] === '1';
  const ref: { policy?: PolicyService } = {};
  const threshold = () => (debug ? 0 : LOG_LEVELS.indexOf(ref.policy?.policy.values.LogLevel ?? 'info'));
  const log = new HelperLog(5000, (line, fromTunnel) => {
    const minimum = threshold();
    if (LOG_LEVELS.indexOf(line.level) < minimum || (fromTunnel && line.level === 'info' && minimum > 0)) return;
    mirror(`${new Date(line.at).toISOString()} ${line.level}${line.sessionId ? ` [${line.sessionId}]` : ''}${line.uid !== null ? ` uid=${line.uid}` : ''} ${line.text}`);
  });
  prepareRunDir(options.runDir);
  await cleanupPredecessor(options.runDir, log);
  const policyDir = options.policyDir ?? DEFAULT_POLICY_DIR;
  const policy = new PolicyService(new LinuxPolicyReader(policyDir), (level, code, params) => log.message(level, code, params));
  ref.policy = policy;
  const firewall = new FirewallController({
    stateDir: options.stateDir ?? (options.netns ? join(options.runDir, 'firewall') : DEFAULT_FIREWALL_STATE_DIR),
    target: { netns: options.netns },
    log,
    policy: () => policy.policy.values,
  });
  // Before any client is served: the block a crashed helper left (or lockdown) is in force first.
  await firewall.start();
  const sessions: SessionManager = new SessionManager({
    runDir: options.runDir,
    log,
    policy: () => policy.policy.values,
    provisioned: (id) => provisioned.get(id),
    netns: options.netns,
    // Every kind's driver and prelauncher from drivers/registry.ts.
    prelaunchers: registeredPrelaunchers(),
    standby: options.standby ?? true,
    limits: options.limits,
    firewall,
  });
  const provisioned = new ProvisionedProfiles(policyDir, (p) => sessions.inspectProvisioned(p), (level, code, params) => log.message(level, code, params));
  const server = new HelperServer({
    socketPath: options.socketPath,
    group: options.group,
    sessions,
    log,
    limits: options.limits,
    policy: () => policy.policy,
    provisioned: () => provisioned.summaries(),
    firewall,
  });
  try {
    await provisioned.reload();
    await server.listen();
  } catch (e) {
    // The block stays: a helper that could not start (another one serves this socket) lifts nothing.
    await sessions.shutdown();
    throw e;
  }
  // A change of policy may change the verdict on a provisioned profile (AllowScripts): both reload.
  policy.onChange(() => {
    firewall.refresh();
    void provisioned.reload().then(() => server.announcePolicyChange());
  });
  policy.start();
  const watch = options.networkWatch === false ? null : new NetworkWatch({ netns: options.netns, onChange: (cause) => sessions.networkRestored(cause), onLost: () => sessions.networkLost(), log: (level, text) => log.add(level, text) });
  await watch?.start();
  let stopping: Promise<void> | null = null;
  return {
    server,
    firewall,
    sessions,
    log,
    policy,
    provisioned,
    stop: () => {
      stopping ??= (async () => {
        policy.stop();
        watch?.stop();
        log.message('info', 'helper.stopping', {});
        await sessions.shutdown();
        // Quitting lifts the kill switch's block (lockdown stays); a crash never gets here.
        await firewall.shutdown();
        await server.close();
      })();
      return stopping;
    },
  };
}
