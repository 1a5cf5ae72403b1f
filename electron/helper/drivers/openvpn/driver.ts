/**
 * The OpenVPN driver: runs openvpn 2.6 for one session and drives it through the management
 * interface (see protocol.ts for the wire, states.ts for what it means to the user).
 *
 * Life of a session:
 *   (openvpn already launched by the session manager, waiting for its config on stdin: process.ts)
 *   start → write profile.ovpn, listen on mgmt.sock, feed openvpn the config → it dials in → `state on all`
 *   (replays the states it went through before we asked) / `hold on` / `log on` →
 *   `load-stats` whenever the session manager sends stats (refreshCounters) →
 *   each later >HOLD (every restart): wait the seconds it names, `hold release` →
 *   >PASSWORD prompts answered from the connect request, the user, or this session's cache →
 *   >UPDOWN:UP: apply DNS → >STATE CONNECTED → connected.
 * Failures: verification failures, a connect timeout and an openvpn exit before the first
 * connection end in an error state and a teardown; link drops are openvpn's own restarts
 * (reconnecting); a process that dies after having connected is respawned with backoff.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import type { CredentialRequest, Credentials, LogLine, TunnelState } from '../../../../shared/ipc/helper-protocol.js';
import type { Driver, DriverContext } from '../driver.js';
import { DriverLifecycle, driverMessage } from '../lifecycle.js';
import type { HelperMessageCode, HelperMessageParams } from '../../../../shared/i18n/helper-messages.js';
import { profileRoutes } from '../../../../shared/profiles/inspect.js';
import { pushedRoutes } from '../../../../shared/profiles/routes.js';
import { checkedRunConfig, exitNotifySeconds, type ProfileFacts } from './args.js';
import { tunnelDeviceFor, type TunnelDevice } from './device.js';
import { PromptBroker, type NeedNotice } from './credentials.js';
import { dnsFromEnv, mergeDns, type DnsSettings } from './dns-env.js';
import { ManagementServer } from './management-server.js';
import { configFilePath, managementSocketPath, OpenVpnProcess, type ProcessExit } from './process.js';
import { parseLoadStats, type ManagementProtocol, type Notification, type OvpnState, type PasswordNotice } from './protocol.js';
import { redact, redactCommand } from './redact.js';
import type { OpenVpnResidue } from './residue.js';
import {
  claimRoutes,
  othersClaims,
  parsePushReply,
  parseRouteLog,
  releaseRoutes,
  sameAddress,
  sameRoute,
  removeRoutes,
  type AddressRecord,
  type RouteLogEvent,
  type RouteRecord,
} from './routes.js';
import { TunnelDns } from './tunnel-dns.js';
import {
  classifyVerificationFailure,
  connectedOk,
  connectTimeoutError,
  logLevel,
  processExitError,
  NETWORK_CHANGE,
  progressState,
  reconnectMessage,
  spawnError,
  unexpectedExit,
  unsupportedPromptError,
  type ErrorState,
} from './states.js';
import { AttemptRetry } from './retry.js';

const MIN_STOP_GRACE_MS = 3_000;
const KILL_WAIT_MS = 2_000;
/** After openvpn exited, how long its stdout may take to reach its end (a child still holding it). */
const STDOUT_DRAIN_MS = 1_000;
type RouteSource = 'mgmt' | 'stdout';
interface TrackedRoutes {
  routes: RouteRecord[];
  addresses: AddressRecord[];
  /** The last add, for the "add failed" line that may follow it. */
  lastAdd: { route: RouteRecord } | { address: AddressRecord } | null;
}
const emptyTracked = (): TrackedRoutes => ({ routes: [], addresses: [], lastAdd: null });
const RESPAWN_MAX_S = 30;
const TAIL_LINES = 20;

type RunConfig = ReturnType<typeof checkedRunConfig>;

/**
 * checkedRunConfig's results by the inspected profile's directives: a reconnect with the same
 * cached inspection brings the very same directives and canonical text, for which the config and
 * its re-read cannot differ. Any other text, transport or route guard is checked again.
 */
const runConfigs = new WeakMap<ProfileFacts['directives'], { canonical: string; udpOnly: boolean; guardRoutes: boolean; device: string; config: RunConfig }>();

function checkedConfig(canonical: string, facts: ProfileFacts, guardRoutes: boolean, device: TunnelDevice): RunConfig {
  const known = runConfigs.get(facts.directives);
  const key = `${device.name}/${device.type}`;
  if (known && known.canonical === canonical && known.udpOnly === facts.udpOnly && known.guardRoutes === guardRoutes && known.device === key) return known.config;
  const config = checkedRunConfig(canonical, facts, { guardRoutes, device });
  runConfigs.set(facts.directives, { canonical, udpOnly: facts.udpOnly, guardRoutes, device: key, config });
  return config;
}

export class OpenVpnDriver implements Driver {
  private readonly configPath: string;
  private readonly mgmt: ManagementServer;
  /** States, the first error, stop → teardown once, the connect timer and the residue record (lifecycle.ts). */
  private readonly life: DriverLifecycle<OpenVpnResidue>;

  private proc: OpenVpnProcess | null = null;
  private exited: Promise<unknown> = Promise.resolve();
  /** Resolves once openvpn's stdout has been read to its end (it writes every log line there at once). */
  private stdoutDone: Promise<unknown> = Promise.resolve();
  /** What openvpn runs: the canonical profile plus the helper's lines, re-read (args.ts). */
  private readonly config: { text: string } | { problem: string };
  /** How long openvpn gets to exit after it was told to stop, from its explicit-exit-notify count. */
  private readonly stopGraceMs: number;
  /** Reason of the EXITING state of the current process, if it announced one. */
  private exitingDetail: string | null = null;
  private stdoutTail: string[] = [];
  /** The process's management connection is up (its stdout then duplicates >LOG). */
  private mgmtUp = false;
  /** Lines shown from stdout before the management connection: `log on all` replays them. */
  private readonly shownFromStdout = new Set<string>();

  private everConnected = false;
  private connectedNow = false;
  /** Reconnect attempts since the last successful connection. */
  private attempt = 0;
  /** Unix ms when the current reconnect began (the first lost connection), null while connected. */
  private reconnectSince: number | null = null;
  /** recover() restarted openvpn: its next RECONNECTING (SIGUSR1) is the network change, its next hold is released at once. */
  private recoverPending = false;
  /** The driver restarted an attempt the server did not answer (retry.ts): its RECONNECTING is not news, its hold is released at once. */
  private retryPending = false;
  /** While reconnecting with no reply, restarts each attempt the server leaves unanswered (retry.ts). */
  private readonly retry: AttemptRetry;
  /** Process respawns since the last successful connection (drives the backoff). */
  private respawns = 0;
  private userAuthThisAttempt = false;

  private holdTimer: NodeJS.Timeout | null = null;
  private respawnTimer: NodeJS.Timeout | null = null;

  private readonly prompts: PromptBroker;

  private iface: string | null = null;
  private updown: { event: 'UP' | 'DOWN'; env: Map<string, string> } | null = null;
  private readonly dns: TunnelDns;
  private readonly profileDns: DnsSettings;

  /** Options the server pushed in the current (or last) PUSH_REPLY sequence. */
  private pushed: string[] = [];
  private pushComplete = false;
  /** routesKnown was called for the current connection attempt. */
  private routesReported = false;
  /** Routes and addresses openvpn added (from its log), for the residue record and teardown. */
  private routes: RouteRecord[] = [];
  private addresses: AddressRecord[] = [];
  /** What the last add line appended, dropped again if openvpn reports that add failed. */
  private tracked: Record<RouteSource, TrackedRoutes> = { mgmt: emptyTracked(), stdout: emptyTracked() };

  private counterBase = { in: 0, out: 0 };
  private counterRaw = { in: 0, out: 0 };

  private lastOvpnState = '';
  private lastWarning: string | null = null;
  private lastFatal: string | null = null;

  /** Notifications are handled one at a time, in order, even when a handler waits (DNS). */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: DriverContext<'openvpn'>) {
    this.configPath = configFilePath(ctx.workDir);
    this.life = new DriverLifecycle<OpenVpnResidue>({ events: ctx.events, log: (level, text) => this.log(level, text), workDir: ctx.workDir, teardown: () => this.teardown() });
    const profile = ctx.inspection.profile;
    const facts = { directives: profile.directives, udpOnly: profile.remotes.every((r) => r.transport === 'udp') };
    // The device is the helper's to name (device.ts): the kill switch allows it from its first apply.
    this.config = checkedConfig(ctx.inspection.canonical, facts, ctx.guardRoutes, tunnelDeviceFor(ctx.sessionId, profile.layer));
    this.stopGraceMs = Math.max(MIN_STOP_GRACE_MS, (exitNotifySeconds(facts) + 2) * 1000);
    this.mgmt = new ManagementServer(managementSocketPath(ctx.workDir), {
      connected: (conn) => this.onManagementConnected(conn),
      notification: (conn, n, raw) => this.enqueue(() => this.onNotification(conn, n, raw)),
      closed: () => {
        this.mgmtUp = false;
      },
      stray: (line) => this.log('debug', `management: ${line}`),
    });
    this.prompts = new PromptBroker(ctx.initialCredentials);
    // connect-retry-max counts attempts: the driver's restarts would spend them in seconds;
    // remap-usr1 would turn each into a SIGHUP/SIGTERM.
    this.retry = new AttemptRetry((ms) => this.restartAttempt(ms), { enabled: !profile.directives.some((d) => d.name === 'connect-retry-max' || d.name === 'remap-usr1') });
    this.dns = new TunnelDns(ctx.netns, { changed: () => this.saveResidue(), log: (level, text) => this.log(level, text) });
    this.profileDns = { servers: profile.dns.servers, searchDomains: [...(profile.dns.domain ? [profile.dns.domain] : []), ...profile.dns.searchDomains] };
  }

  interfaceName(): string | null {
    return this.iface;
  }

  // ---------------------------------------------------------------------------------------------
  // start / stop

  async start(): Promise<void> {
    if (!this.life.begin()) throw new Error('driver already started');
    const launched = this.ctx.prelaunched instanceof OpenVpnProcess ? this.ctx.prelaunched : null;
    if ('problem' in this.config) {
      // Nothing was fed or written: the waiting openvpn is abandoned having read nothing.
      launched?.abandon();
      this.life.endQuietly();
      this.message('error', 'openvpn.refused', { problem: this.config.problem });
      throw new Error(`refusing to run openvpn: ${this.config.problem}`);
    }
    try {
      // Listening before openvpn gets its config: it dials in right after reading it.
      this.mgmt.listen();
      // A launched openvpn is waiting for its config: feed it first, write the file after (it is
      // the record, and what restarts read). Otherwise the file must exist before the launch.
      if (!launched) this.writeConfig();
    } catch (e) {
      launched?.abandon();
      throw e;
    }
    const problem = this.spawnProcess(launched);
    if (launched) this.writeConfig();
    this.startConnectTimer();
    if (problem === null) this.emit({ status: 'connecting', phase: 'starting' });
    if (problem !== null) {
      // Nothing runs (e.g. ENOENT for `ip` or `openvpn`). start() rejecting is the report: the
      // session manager turns it into the error state, so none is emitted here.
      this.life.endQuietly();
      await this.life.teardown();
      throw new Error(spawnError(problem).message.en);
    }
  }

  stop(reason: string): Promise<void> {
    // After an error the error stays the last word; otherwise disconnecting → disconnected {reason}.
    return this.life.stop(reason);
  }

  provideCredentials(credentials: Credentials): boolean {
    if (!this.life.active) return false;
    const outcome = this.prompts.provide(credentials);
    switch (outcome.kind) {
      case 'rejected':
        return false;
      case 'cancel':
        this.message('info', 'driver.promptCancelled', {});
        void this.stop('credentials-cancelled');
        return true;
      case 'stored':
        this.life.resumeConnectTimer();
        return true;
      case 'answer':
        this.life.resumeConnectTimer();
        this.sendAnswer(outcome.commands, outcome.userAuth);
        return true;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // process

  /** The checked config text (start() refuses before anything runs when there is none). */
  private get configText(): string {
    return 'text' in this.config ? this.config.text : '';
  }

  private writeConfig(): void {
    writeFileSync(this.configPath, this.configText, { mode: 0o600 });
  }

  /**
   * Takes over the process launched ahead (first start) or launches one reading the config file
   * (restarts); returns why it could not run, or null.
   */
  private spawnProcess(launched: OpenVpnProcess | null = null): string | null {
    this.exitingDetail = null;
    this.userAuthThisAttempt = false;
    this.mgmtUp = false;
    this.shownFromStdout.clear();
    const proc = launched ?? OpenVpnProcess.launch({ workDir: this.ctx.workDir, netns: this.ctx.netns, configPath: this.configPath });
    if (typeof proc === 'string') {
      this.message('error', 'openvpn.startFailed', { error: proc });
      return proc;
    }
    this.proc = proc;
    this.routesReported = false;
    // First: a launched openvpn is waiting for it (everything below can happen while it reads).
    proc.feedConfig(this.configText);
    if (this.ctx.netns) this.message('info', 'openvpn.startedInNetns', { pid: proc.pid, netns: this.ctx.netns });
    else this.message('info', 'openvpn.started', { pid: proc.pid });
    this.collectOutput(proc.child);
    const out = proc.child.stdout;
    this.stdoutDone = out ? new Promise<void>((r) => out.once('close', () => r())) : Promise.resolve();
    this.exited = proc.exit;
    void proc.exit.then((exit) => {
      if (proc.failure) this.log('error', `openvpn: ${proc.failure}`);
      this.enqueue(() => this.onProcessExit(proc, exit));
    });
    this.saveResidue();
    return null;
  }

  private collectOutput(child: ChildProcess): void {
    const lines = (stream: NodeJS.ReadableStream | null, level: LogLine['level'], always: boolean) => {
      if (!stream) return;
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        buf += d;
        const parts = buf.split('\n');
        buf = parts.pop() ?? '';
        for (const raw of parts) {
          // openvpn stamps its console lines with the local time; the log has its own time.
          const line = raw.replace(/\r$/, '').replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /, '');
          if (!line.trim()) continue;
          // Kept raw (redacted only if an error message quotes it): while a tunnel comes up,
          // every line would otherwise be scrubbed twice, here and as its >LOG twin.
          this.stdoutTail.push(line);
          if (this.stdoutTail.length > TAIL_LINES) this.stdoutTail.shift();
          // Once the management connection is up, stdout repeats the >LOG lines: keep it quiet.
          if (always || !this.mgmtUp) this.log(level, line);
          if (!always && !this.mgmtUp && this.shownFromStdout.size < TAIL_LINES * 10) this.shownFromStdout.add(line);
          // Route changes from stdout too: a SIGKILLed openvpn (route conflict) may have added
          // routes whose >LOG lines it never got to send on the management socket.
          if (!always) {
            const route = parseRouteLog(line);
            if (route) this.onRouteLog(route, 'stdout');
          }
        }
      });
    };
    lines(child.stdout, 'info', false);
    lines(child.stderr, 'warn', true);
  }

  private onProcessExit(proc: OpenVpnProcess, { code, signal }: ProcessExit): void {
    if (this.proc !== proc) return;
    this.proc = null;
    this.connectedNow = false;
    this.clearHoldTimer();
    this.retry.attemptEnded();
    this.retryPending = false;
    this.foldCounters();
    this.saveResidue();
    const how = signal ? `signal ${signal}` : `exit code ${String(code)}`;
    this.message(this.life.stopping ? 'info' : 'warn', 'openvpn.exited', { how });
    if (!this.life.active) return;
    if (this.exitingDetail !== null) {
      // openvpn stopped by itself and said why (auth-failure with auth-retry none, server halt…).
      this.fail(unexpectedExit(this.exitingDetail, this.lastFatal ?? this.lastWarning));
      return;
    }
    if (!this.everConnected) {
      const tail = this.stdoutTail.map(redact);
      this.fail(processExitError(how, this.lastFatal ? [...tail, this.lastFatal] : tail));
      return;
    }
    // It had been working: bring it back, with backoff (1 s, 2 s, 4 s … 30 s).
    this.respawns += 1;
    const delayS = Math.min(RESPAWN_MAX_S, 2 ** (this.respawns - 1));
    this.emitReconnecting('process-exited');
    this.message('info', 'openvpn.restarting', { seconds: delayS });
    this.respawnTimer = setTimeout(() => {
      this.respawnTimer = null;
      if (!this.life.active) return;
      const problem = this.spawnProcess();
      if (problem !== null) this.fail(spawnError(problem));
    }, delayS * 1000);
  }

  /** Ends the session with an error state (the first one only); the teardown runs in the background. */
  private fail(state: ErrorState): void {
    this.life.fail(state);
  }

  /** Stops openvpn (management signal, deadline, SIGKILL), closes the socket, removes DNS. */
  private async teardown(): Promise<void> {
    this.clearHoldTimer();
    this.retry.stop();
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    this.respawnTimer = null;
    this.prompts.dropPending();
    const proc = this.proc;
    if (proc) {
      const conn = this.mgmt.connection;
      let signalled = false;
      if (conn) {
        // A management signal lets openvpn exit cleanly (explicit-exit-notify, routes, device).
        let timer: NodeJS.Timeout | undefined;
        signalled = await Promise.race([
          conn.command('signal SIGTERM').then(
            (r) => r.ok,
            () => false,
          ),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(false), 1_000);
          }),
        ]);
        clearTimeout(timer);
      }
      if (!signalled) proc.kill('SIGTERM');
      if (!(await this.waitExit(this.stopGraceMs))) {
        this.message('warn', 'openvpn.killing', { seconds: this.stopGraceMs / 1000 });
        proc.kill('SIGKILL');
        await this.waitExit(KILL_WAIT_MS);
      }
    }
    // Its last route lines may still be in the pipe: read them before removing what it left.
    if (await this.waitStdout(STDOUT_DRAIN_MS)) this.mergeTracked(true);
    await this.mgmt.close();
    await this.removeLeftRoutes();
    await this.dns.clear();
    this.iface = null;
    this.saveResidue();
    await this.life.residue.close();
    // The config holds the private key: it has no use once no openvpn runs it.
    if (this.proc === null) rmSync(this.configPath, { force: true });
  }

  /** Once openvpn is gone: deletes the routes and addresses it added that outlived it. */
  private async removeLeftRoutes(): Promise<void> {
    if (this.routes.length + this.addresses.length > 0) {
      const { removed, left } = await removeRoutes(this.ctx.netns, this.routes, this.addresses, othersClaims(this.ctx.sessionId));
      if (removed.length > 0) this.message('info', 'openvpn.removedLeftovers', { items: removed.join(', ') });
      if (left.length > 0) this.message('error', 'driver.notRemoved', { items: left.join(', ') });
    }
    this.routes = [];
    this.addresses = [];
    this.tracked = { mgmt: emptyTracked(), stdout: emptyTracked() };
    releaseRoutes(this.ctx.sessionId);
  }

  /** True once stdout reached its end within `ms`. */
  private async waitStdout(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.stdoutDone.then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), ms);
      }),
    ]);
    clearTimeout(timer);
    return done;
  }

  private async waitExit(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), ms);
      }),
    ]);
    clearTimeout(timer);
    return done;
  }

  // ---------------------------------------------------------------------------------------------
  // management

  private enqueue(fn: () => void | Promise<void>): void {
    this.queue = this.queue.then(fn).catch((e: unknown) => this.message('error', 'driver.internal', { error: (e as Error).message }));
  }

  private onManagementConnected(conn: ManagementProtocol): void {
    this.mgmtUp = true;
    this.message('debug', 'openvpn.managementConnected', {});
    // Settings of the connection, kept across openvpn's own restarts. (2.6 does not answer
    // `version N`, so it is never sent.)
    // The first start is not held (a hold would cost a round trip before anything happens):
    // `state on all` replays what openvpn did before these commands arrived, and `hold on` makes
    // every later restart wait for `hold release`. Pipelined, all of this costs no round trip.
    // `log on all` goes first: the driver learns pushes and route changes from the log, and when
    // openvpn got that far before these commands arrived (a busy helper, a fast server) its log
    // history must be handled before the replayed CONNECTED, which reports the routes.
    void this.send('log on all', conn);
    void this.replayStates(conn);
    // Counters are asked for (`load-stats`, refreshCounters) when the helper sends stats, not
    // pushed with `bytecount 1`: openvpn's pushes come every ~1.07 s on their own clock, so
    // they would wake the helper a second time each second, and an idle wake-up is the main cost
    // of a helper holding a tunnel. (>BYTECOUNT is still understood if it ever arrives.)
    void this.send('hold on', conn);
  }

  async refreshCounters(): Promise<void> {
    const conn = this.mgmt.connection;
    if (!conn || !this.mgmtUp || this.life.finished) return;
    try {
      const reply = await conn.command('load-stats');
      const counters = reply.ok && reply.lines[0] !== undefined ? parseLoadStats(reply.lines[0]) : null;
      if (counters) this.onCounters(counters.bytesIn, counters.bytesOut);
    } catch {
      // The management connection went away: the process' exit is reported on its own.
    }
  }

  private async replayStates(conn: ManagementProtocol): Promise<void> {
    this.log('debug', '> state on all');
    try {
      // The history arrives as ordinary state notifications (see ManagementProtocol.command).
      await conn.command('state on all');
    } catch (e) {
      this.message('debug', 'openvpn.commandUnanswered', { command: 'state on all', error: (e as Error).message });
    }
  }

  private async send(command: string, conn: ManagementProtocol | null = this.mgmt.connection): Promise<void> {
    if (!conn) return;
    this.log('debug', `> ${redactCommand(command)}`);
    try {
      const reply = await conn.command(command);
      if (!reply.ok) this.message('warn', 'openvpn.commandRefused', { command: redactCommand(command), reply: reply.lines.join(' ') });
    } catch (e) {
      this.message('debug', 'openvpn.commandUnanswered', { command: redactCommand(command), error: (e as Error).message });
    }
  }

  private async onNotification(conn: ManagementProtocol, n: Notification, raw: string): Promise<void> {
    switch (n.kind) {
      case 'hold':
        this.onHold(conn, n.waitSeconds);
        return;
      case 'state':
        await this.onState(n.state);
        return;
      case 'bytecount':
        this.onCounters(n.bytesIn, n.bytesOut);
        return;
      case 'log':
        this.onLog(n.flags, n.text, n.history === true);
        return;
      case 'password':
        this.onPassword(n.notice);
        return;
      case 'fatal':
        this.lastFatal = redact(n.text);
        this.log('error', this.lastFatal);
        return;
      case 'updown':
        this.updown = { event: n.event, env: new Map() };
        return;
      case 'updown-env':
        this.updown?.env.set(n.key, n.value);
        return;
      case 'updown-end':
        await this.onUpDown();
        return;
      case 'infomsg':
        this.onInfoMsg(n.text);
        return;
      case 'info':
        this.log('debug', n.text);
        return;
      case 'other':
        this.log(n.type.startsWith('NEED-') ? 'warn' : 'debug', redact(raw));
        return;
    }
  }

  /** Reconnecting, with openvpn's reason in words and the time since the connection was lost. */
  private emitReconnecting(reason: string): void {
    this.attempt += 1;
    this.reconnectSince ??= Date.now();
    this.emit({ status: 'reconnecting', reason, attempt: this.attempt, message: reconnectMessage(reason), since: this.reconnectSince });
    this.retry.reconnecting(reason, this.reconnectSince);
  }

  /**
   * The attempt got no answer within its window (retry.ts): start a fresh one now (`signal
   * SIGUSR1`, held and released at once) rather than wait for openvpn's next retransmit. Still
   * reconnecting for the same reason, so nothing new is reported.
   */
  private restartAttempt(waitedMs: number): void {
    const conn = this.mgmt.connection;
    if (!conn || !this.mgmtUp || !this.life.active || this.proc === null || this.connectedNow) return;
    this.log('debug', `no answer from the server ${waitedMs} ms into this attempt: starting it again`);
    this.retryPending = true;
    void this.send('signal SIGUSR1', conn);
  }

  /**
   * The network came back or changed: restart now (`signal SIGUSR1`, openvpn's own soft restart)
   * instead of waiting for ping-restart or the next connect-retry, and release the hold that
   * follows at once rather than after openvpn's backoff. Resolves once openvpn has the command.
   */
  async recover(cause: string): Promise<void> {
    const conn = this.mgmt.connection;
    if (!conn || !this.mgmtUp || !this.life.active || this.proc === null) return;
    if (this.holdTimer !== null) {
      // Held, waiting out openvpn's backoff between attempts: the next attempt starts now.
      this.log('info', `${cause}: next attempt now instead of after the backoff`);
      this.clearHoldTimer();
      await this.send('hold release', conn);
      return;
    }
    this.log('info', `${cause}: restarting the connection now`);
    this.recoverPending = true;
    await this.send('signal SIGUSR1', conn);
  }

  private onHold(conn: ManagementProtocol, waitSeconds: number): void {
    if (!this.life.active) return;
    this.clearHoldTimer();
    // The restarts recover() or the retry asked for go ahead at once; openvpn's own keep its
    // backoff, at most the retry's cadence while it runs.
    waitSeconds = this.recoverPending || this.retryPending ? 0 : this.retry.holdSeconds(waitSeconds);
    this.recoverPending = false;
    this.retryPending = false;
    // openvpn skips its own restart backoff while held: honour the seconds it names.
    if (waitSeconds > 0) this.message('info', 'openvpn.waitingBeforeAttempt', { seconds: waitSeconds });
    if (waitSeconds <= 0) {
      void this.send('hold release', conn);
      return;
    }
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      if (this.life.active) void this.send('hold release', conn);
    }, waitSeconds * 1000);
  }

  private async onState(s: OvpnState): Promise<void> {
    this.lastOvpnState = s.detail ? `${s.name} (${s.detail})` : s.name;
    if (s.name === 'EXITING') this.exitingDetail = s.detail;
    if (!this.life.active) return;
    this.retry.state(s.name);
    switch (s.name) {
      case 'RECONNECTING': {
        this.connectedNow = false;
        this.routesReported = false;
        this.userAuthThisAttempt = false;
        this.retry.attemptEnded();
        // The driver's own restart of an unanswered attempt: still reconnecting, for the same reason.
        if (this.retryPending && !this.recoverPending && s.detail === 'SIGUSR1' && this.everConnected) return;
        const reason = this.recoverPending && s.detail === 'SIGUSR1' ? NETWORK_CHANGE : s.detail || 'restart';
        if (this.everConnected) {
          this.emitReconnecting(reason);
        } else {
          // Still the first connection (e.g. moving on to the next remote): not a REconnect.
          this.message('info', 'openvpn.attemptFailed', { reason });
          this.emit({ status: 'connecting', phase: 'connecting' });
        }
        return;
      }
      case 'EXITING':
        return;
      case 'CONNECTED': {
        if (!connectedOk(s)) this.message('warn', 'openvpn.connectedWithErrors', { detail: s.detail });
        this.everConnected = true;
        this.connectedNow = true;
        this.attempt = 0;
        this.respawns = 0;
        this.reconnectSince = null;
        this.retry.stop();
        this.life.clearConnectTimer();
        // Without a pull there was no PUSH_REPLY: the profile's own routes are all there is.
        if (!this.routesReported && !this.reportRoutes()) return;
        // Report connected only once DNS is in place (UPDOWN:UP came just before) and recorded in
        // the residue, so that a crash from here on is cleaned up completely.
        await this.dns.idle();
        await this.life.residue.flush();
        if (!this.life.active || !this.connectedNow) return;
        const state = progressState(s, this.userAuthThisAttempt, Date.now());
        if (state) this.emit(state);
        return;
      }
      default: {
        // While reconnecting, the steps of each attempt are not news: stay "reconnecting".
        if (this.everConnected && !this.connectedNow) return;
        const state = progressState(s, this.userAuthThisAttempt, Date.now());
        if (state) this.emit(state);
      }
    }
  }

  /** openvpn's byte totals, from a `load-stats` reply (or a >BYTECOUNT, should one arrive). */
  private onCounters(bytesIn: number, bytesOut: number): void {
    // Cumulative per process (and possibly reset by a restart): keep the session's total monotonic.
    if (bytesIn < this.counterRaw.in || bytesOut < this.counterRaw.out) this.foldCounters();
    this.counterRaw = { in: bytesIn, out: bytesOut };
    this.ctx.events.counters(this.counterBase.in + bytesIn, this.counterBase.out + bytesOut);
  }

  private foldCounters(): void {
    this.counterBase = { in: this.counterBase.in + this.counterRaw.in, out: this.counterBase.out + this.counterRaw.out };
    this.counterRaw = { in: 0, out: 0 };
  }

  private onLog(flags: string, text: string, history: boolean): void {
    const clean = redact(text);
    const level = clean.startsWith('MANAGEMENT:') ? 'debug' : logLevel(flags);
    if (level === 'warn' || level === 'error') this.lastWarning = clean;
    const dev = /^TUN\/TAP device (\S+) opened$/.exec(text);
    if (dev?.[1]) this.setInterface(dev[1]);
    // A replayed line already shown from stdout is not shown twice.
    if (!(history && this.shownFromStdout.delete(text))) this.ctx.events.log(level, clean);
    const push = parsePushReply(text);
    if (push) this.onPushReply(push.options, push.more);
    const route = parseRouteLog(text);
    if (route) this.onRouteLog(route, 'mgmt');
  }

  /** Pushed options arrive before openvpn applies them: the routes are checked right then. */
  private onPushReply(options: string[], more: boolean): void {
    if (this.pushComplete) this.pushed = [];
    this.pushed.push(...options);
    this.pushComplete = !more;
    if (this.pushComplete && this.life.active) this.reportRoutes();
  }

  /**
   * Tells the session manager the tunnel's routes (the profile's and the pushed ones). On a
   * conflict the manager has set this session's error and is stopping it: nothing more is
   * reported, and openvpn is killed at once rather than stopped gracefully: a graceful exit
   * (explicit-exit-notify) would keep the conflicting routes it may just have added for a second
   * or more, taking the other session's traffic. Those on its device go with it; the teardown
   * removes any others.
   */
  private reportRoutes(): boolean {
    this.routesReported = true;
    const prefixes = [...new Set([...profileRoutes(this.ctx.inspection.profile), ...pushedRoutes(this.pushed)])];
    if (this.ctx.events.routesKnown(prefixes)) return true;
    this.life.endQuietly();
    this.proc?.kill('SIGKILL');
    this.message('error', 'openvpn.routesRefused', {});
    void this.life.teardown();
    return false;
  }

  /**
   * Route and address changes, tracked per stream with each stream's own order (a failed add is
   * that stream's last add); the session's are the union until stdout reached its end, then
   * stdout's alone (it has every line: openvpn writes it before acting).
   */
  private onRouteLog(e: RouteLogEvent, source: RouteSource): void {
    const mine = this.tracked[source];
    switch (e.kind) {
      case 'route-added':
        mine.lastAdd = null;
        if (mine.routes.some((r) => sameRoute(r, e.route))) return;
        mine.routes.push(e.route);
        mine.lastAdd = { route: e.route };
        break;
      case 'address-added':
        mine.lastAdd = null;
        if (mine.addresses.some((a) => sameAddress(a, e.address))) return;
        mine.addresses.push(e.address);
        mine.lastAdd = { address: e.address };
        break;
      case 'route-deleted':
        mine.routes = mine.routes.filter((r) => !sameRoute(r, e.route));
        break;
      case 'add-failed': {
        // Not added, so not ours: an existing route (another session's, the administrator's) stays.
        const failed = mine.lastAdd;
        mine.lastAdd = null;
        if (failed === null) return;
        if ('route' in failed) mine.routes = mine.routes.filter((r) => r !== failed.route);
        else mine.addresses = mine.addresses.filter((a) => a !== failed.address);
        break;
      }
    }
    this.mergeTracked(false);
    claimRoutes(this.ctx.sessionId, this.routes, this.addresses);
    this.saveResidue();
  }

  /** this.routes / this.addresses from both streams (or stdout's alone once it is complete). */
  private mergeTracked(stdoutComplete: boolean): void {
    const { mgmt, stdout } = this.tracked;
    const routes = stdoutComplete ? [...stdout.routes] : [...stdout.routes, ...mgmt.routes.filter((r) => !stdout.routes.some((o) => sameRoute(o, r)))];
    const addresses = stdoutComplete ? [...stdout.addresses] : [...stdout.addresses, ...mgmt.addresses.filter((a) => !stdout.addresses.some((o) => sameAddress(o, a)))];
    this.routes = routes;
    this.addresses = addresses;
  }

  private onInfoMsg(text: string): void {
    const cr = /^CR_TEXT:([^:]*):(.*)$/s.exec(text);
    if (cr) {
      // A challenge/response during authentication (2.6 "crtext"): answered with cr-response.
      this.requestCredentials(this.prompts.crTextChallenge(cr[1] ?? '', (cr[2] ?? '').slice(0, 300)));
      return;
    }
    this.log(/^(WEB_AUTH|OPEN_URL):/.test(text) ? 'warn' : 'info', redact(`server: ${text}`));
    if (/^(WEB_AUTH|OPEN_URL):/.test(text)) this.message('warn', 'openvpn.webLoginUnsupported', {});
  }

  private setInterface(name: string): void {
    if (this.iface === name) return;
    this.iface = name;
    this.saveResidue();
  }

  private async onUpDown(): Promise<void> {
    const ud = this.updown;
    this.updown = null;
    if (!ud || ud.event !== 'UP') return;
    const dev = ud.env.get('dev');
    if (dev) this.setInterface(dev);
    if (!this.life.active || !this.iface) return;
    const dns = mergeDns(dnsFromEnv(ud.env), this.profileDns);
    // Reported before the DNS change: the kill switch narrows DNS to these while "connected" waits for it.
    this.ctx.events.tunnelDns?.(dns.servers);
    await this.dns.set(this.iface, dns);
  }

  // ---------------------------------------------------------------------------------------------
  // credentials

  private onPassword(notice: PasswordNotice): void {
    if (!this.life.active) return;
    switch (notice.type) {
      case 'need':
        this.onNeed(notice);
        return;
      case 'failed': {
        const outcome = classifyVerificationFailure(notice.label, notice.reason);
        if (outcome.kind === 'temporary') {
          this.message('warn', 'openvpn.loginRefusedForNow', { reason: outcome.reason });
          return;
        }
        if (outcome.kind === 'challenge') {
          this.requestCredentials(this.prompts.dynamicChallenge(outcome));
          return;
        }
        // A wrong password must end here, not loop: with auth-retry interact openvpn would ask again.
        this.prompts.verificationFailed(notice.label);
        this.fail(outcome.state);
        return;
      }
      case 'auth-token':
        this.message('info', 'openvpn.sessionToken', {});
        return;
      case 'unknown':
        this.log('debug', redact(`password notice: ${notice.text}`));
        return;
    }
  }

  private onNeed(notice: NeedNotice): void {
    const outcome = this.prompts.need(notice);
    switch (outcome.kind) {
      case 'unsupported':
        this.fail(unsupportedPromptError(outcome.label));
        return;
      case 'wait':
        return;
      case 'ask':
        this.requestCredentials(outcome.request);
        return;
      case 'answer':
        if (outcome.source === 'session') this.message('info', 'openvpn.answeringPrompt', { label: notice.label });
        this.sendAnswer(outcome.commands, outcome.userAuth);
        return;
    }
  }

  private requestCredentials(request: CredentialRequest): void {
    // The user's typing time does not count against the connect timeout.
    this.life.pauseConnectTimer();
    this.emit({ status: 'authenticating' });
    this.message('info', request.kind === 'passphrase' ? 'openvpn.waitingPassphrase' : request.kind === 'challenge' ? 'openvpn.waitingChallenge' : 'openvpn.waitingUserPass', {});
    this.ctx.events.credentialsRequired(request);
  }

  private sendAnswer(commands: string[], userAuth: boolean): void {
    if (userAuth) this.userAuthThisAttempt = true;
    for (const c of commands) void this.send(c);
  }

  // ---------------------------------------------------------------------------------------------
  // connect timeout

  private startConnectTimer(): void {
    this.life.startConnectTimer(this.ctx.connectTimeoutMs, () => {
      const last = [this.lastOvpnState && `last state ${this.lastOvpnState}`, this.lastWarning].filter(Boolean).join('; ');
      return connectTimeoutError(this.ctx.connectTimeoutMs, last || null);
    });
  }

  private clearHoldTimer(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
  }

  // ---------------------------------------------------------------------------------------------
  // output

  private emit(state: TunnelState): void {
    this.life.emit(state);
  }

  private log(level: LogLine['level'], text: string): void {
    this.ctx.events.log(level, redact(text));
  }

  /** One of the driver's own lines, by its catalogue code (parameters redacted as `log` redacts text). */
  private message<C extends HelperMessageCode>(level: LogLine['level'], code: C, params: HelperMessageParams<C>): void {
    driverMessage(this.ctx.events, (l, t) => this.log(l, t), level, code, params, redact);
  }

  private saveResidue(): void {
    this.life.residue.save({
      kind: 'openvpn',
      sessionId: this.ctx.sessionId,
      pids: this.proc !== null ? [this.proc.pid] : [],
      interfaceName: this.iface,
      dnsRecords: this.dns.records,
      configPath: this.configPath,
      netns: this.ctx.netns,
      routes: this.routes,
      addresses: this.addresses,
    });
  }
}
