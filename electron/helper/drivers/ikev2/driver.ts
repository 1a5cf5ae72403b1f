/**
 * The IKEv2/IPsec driver: one charon per session (charon.ts), configured in memory over VICI and
 * watched through it.
 *
 * Life of a session:
 *   (charon already launched by the session manager with the helper's fixed strongswan.conf)
 *   start → routesKnown(the profile's remote traffic selectors, ikev2Routes: a superset of what the
 *   server can narrow them to) → connect VICI (commands) + a second connection for ike-updown/child-updown →
 *   the password asked when the profile has none (credentialsRequired) → a passphrase-protected
 *   key decrypted in memory (its passphrase asked the same way) → load-key / load-shared /
 *   load-conn → list-conns compared with the model (conn.ts) → initiate the first child,
 *   its control-log read for the reason of a failure (failures.ts) and for the DNS servers the
 *   server assigned → initiate each later child on that IKE_SA (any refused ends the session) →
 *   list-sas: virtual IP, remote host, the CHILD_SA's selectors (the claim grows to them) → DNS
 *   applied with the helper's own code (TunnelDns) → connected.
 *   Counters: list-sas when the session manager asks (refreshCounters).
 * Failures: each charon reason has its own error code; a wrong password the user typed is asked
 * again in place (retry), one stored in the profile ends the session; the connect timer
 * (connectTimeoutMs) covers the rest. After connected, the IKE or CHILD_SA going down means
 * reconnecting (initiated again with backoff, reconnect.ts) unless charon's reason is final
 * (authentication, configuration); a network change checks the SA at once (recover).
 * Stop: terminate (DELETE to the server), unload, SIGTERM charon (it removes its routes, rule and
 * virtual IP; its TUN device goes with it), the helper's DNS removed, the residue record removed
 * once nothing is left.
 */
import { readFileSync } from 'node:fs';
import type { CredentialRequest, Credentials, Localized, LogLine } from '../../../../shared/ipc/helper-protocol.js';
import type { Ikev2Profile } from '../../../../shared/profiles/ikev2/model.js';
import { ikev2Routes, selectorPrefixes } from '../../../../shared/profiles/ikev2/routes.js';
import { validDns } from '../../dns.js';
import { waitForExit } from '../../exec.js';
import type { Driver, DriverContext } from '../driver.js';
import { connectTimeoutState, DriverLifecycle, driverMessage } from '../lifecycle.js';
import { localizedParams, type HelperMessageCode, type HelperMessageParams } from '../../../../shared/i18n/helper-messages.js';
import { TunnelDns } from '../openvpn/tunnel-dns.js';
import { CharonProcess, charonPaths, parseStderrLine, removeRoutingLeftovers, TUN_DEVICE_LINE } from './charon.js';
import { CONN_NAME, decryptKey, keyNeedsPassphrase, laterChildren, loadPlan, passwordNeeds, sharedLoad, verifyLoadedConn, type LoadPlan, type PasswordNeed } from './conn.js';
import { CharonLog, errorState, MESSAGES, type Ikev2ErrorCode } from './failures.js';
import { reasonFor, reconnectDelayMs, reconnectingState, retryable, type ReconnectReason } from './reconnect.js';
import type { Ikev2Residue } from './residue.js';
import { ViciClient } from './vici/client.js';
import type { ViciSection } from './vici/codec.js';
import { parseUpDown, ViciCommands, type IkeSaSummary } from './vici/commands.js';

export interface Ikev2Timings {
  /** From launch until charon's VICI socket accepts a connection. */
  viciReadyMs: number;
  /** Each VICI command but initiate. */
  commandMs: number;
  /** How long charon waits for the server's answer to our DELETE on stop. */
  terminateMs: number;
  /** After SIGTERM, before SIGKILL. */
  exitWaitMs: number;
}

export const DEFAULT_IKEV2_TIMINGS: Ikev2Timings = { viciReadyMs: 5_000, commandMs: 5_000, terminateMs: 1_500, exitWaitMs: 3_000 };

const ENDED = Symbol('ended');

/**
 * recover()'s rekey is judged by charon's own exchange, not by a helper clock (a loaded machine
 * delays answers and timers alike): rekeyed = the server holds the SA; this many retransmits of
 * the request unanswered (1 s + 1.4 s with the helper's strongswan.conf) = it lost it.
 */
const REKEY_LOST_AFTER_RETRANSMITS = 2;
/** Safety end of a rekey check with neither verdict (charon's own give-up, ~7 s, ends the SA before). */
const REKEY_CHECK_MAX_MS = 30_000;

class Ikev2Driver implements Driver {
  private readonly profile: Ikev2Profile;
  private readonly life: DriverLifecycle<Ikev2Residue>;
  private readonly timings: Ikev2Timings;
  private readonly dns: TunnelDns;
  private charon: CharonProcess | null = null;
  private vici: ViciCommands | null = null;
  private events: ViciClient | null = null;
  private iface: string | null = null;
  private connected = false;
  /** Lines of the current attempt (control-log while initiating, then charon's own log). */
  private attemptLog = new CharonLog();
  /** A credentials prompt waiting for the user. */
  private prompt: { resolve: (c: Credentials | typeof ENDED) => void } | null = null;
  private initialCredentials: Credentials | undefined;
  private counterBase = { in: 0, out: 0 };
  /** A DNS apply scheduled from the initiate's log lines. */
  private dnsSoon: NodeJS.Immediate | null = null;
  /** When start() began, for the steps' timings in the log. */
  private t0 = 0;
  private childCounters = new Map<string, { in: number; out: number }>();
  /** What was loaded, for initiating again after the SA was lost. */
  private plan: LoadPlan | null = null;
  /** Set while the SA is lost and the driver initiates again (reconnect.ts). */
  private reconnect: { reason: ReconnectReason; attempt: number; since: number; timer: NodeJS.Timeout | null; busy: boolean } | null = null;
  /** recover()'s rekey under way: settled by charon's log (onCharonLine), the SA going down, or the end. */
  private rekeyCheck: { rekeyed: boolean; settle: (verdict: 'alive' | 'lost' | 'ended') => void } | null = null;

  constructor(
    private readonly ctx: DriverContext<'ikev2'>,
    timings: Partial<Ikev2Timings>,
  ) {
    this.profile = ctx.inspection.profile;
    this.timings = { ...DEFAULT_IKEV2_TIMINGS, ...timings };
    this.initialCredentials = ctx.initialCredentials;
    this.life = new DriverLifecycle<Ikev2Residue>({
      events: ctx.events,
      log: (level, text) => this.log(level, text),
      workDir: ctx.workDir,
      teardown: () => this.tearDown(),
    });
    this.dns = new TunnelDns(ctx.netns, { changed: () => this.saveResidue(), log: (level, text) => this.log(level, text) });
  }

  interfaceName(): string | null {
    if (this.iface !== null) return this.iface;
    // Before start: a standby charon has made its TUN device already (kernel-libipsec does so as it
    // loads), so the kill switch allows it from its first apply and "connected" needs no second.
    const launched = this.ctx.prelaunched instanceof CharonProcess ? this.ctx.prelaunched : null;
    return this.charon === null && launched?.usable ? launched.tunDevice : null;
  }

  private log(level: LogLine['level'], text: string): void {
    this.ctx.events.log(level, `ikev2: ${text}`);
  }

  /** One of the driver's own lines, by its catalogue code (the log view names the profile). */
  private message<C extends HelperMessageCode>(level: LogLine['level'], code: C, params: HelperMessageParams<C>): void {
    driverMessage(this.ctx.events, (l, t) => this.log(l, t), level, code, params);
  }

  /** A step of the connect, with the time since start (debug). */
  private step(what: string): void {
    this.log('debug', `+${Math.round(performance.now() - this.t0)} ms: ${what}`);
  }

  private saveResidue(now = false): void {
    const c = this.charon;
    const residue: Ikev2Residue = {
      kind: 'ikev2',
      sessionId: this.ctx.sessionId,
      pids: c && !c.exited ? [c.pid] : [],
      startTime: c?.startTime ?? null,
      netns: this.ctx.netns,
      routingTable: c?.routingTable ?? 10_000,
      interfaceName: this.iface,
      dnsRecords: this.dns.records,
    };
    if (now) this.life.residue.saveNow(residue);
    else this.life.residue.save(residue);
  }

  // ---------------------------------------------------------------------------------------------
  // start / stop

  async start(): Promise<void> {
    if (!this.life.begin()) throw new Error('driver already started');
    this.t0 = performance.now();
    const launched = this.ctx.prelaunched instanceof CharonProcess ? this.ctx.prelaunched : null;
    // Routes first (the same reading as the session's claim, profileRoutes): on a conflict the
    // session manager has already reported the error.
    if (!this.ctx.events.routesKnown(ikev2Routes(this.profile))) {
      launched?.abandon();
      this.life.endQuietly();
      return;
    }
    let charon: CharonProcess | string;
    if (launched?.usable) charon = launched;
    else {
      if (launched) {
        launched.abandon();
        // Same session, same routing table: the old one's rule removal must come first.
        await launched.gone;
      }
      charon = CharonProcess.launch({ workDir: this.ctx.workDir, netns: this.ctx.netns, sessionId: this.ctx.sessionId });
    }
    if (typeof charon === 'string') {
      this.life.endQuietly();
      throw new Error(`could not start charon: ${charon}`);
    }
    this.charon = charon;
    // On disk before charon can create anything, so a crash from here on is cleaned up.
    this.saveResidue(true);
    charon.onLine((line) => this.onCharonLine(line));
    void charon.exit.then((exit) => {
      this.saveResidue();
      if (!this.life.active) return;
      const how = exit.signal ? `signal ${exit.signal}` : `exit code ${String(exit.code)}`;
      if (charon.failure) this.message('error', 'ikev2.charonExitedWith', { how, failure: charon.failure });
      else this.message('error', 'ikev2.charonExited', { how });
      this.life.fail(errorState('ikev2-charon-failed', charon.failure ?? `charon exited with ${exit.signal ?? String(exit.code)}`));
    });
    const netns = this.ctx.netns;
    const ahead = launched === charon;
    if (netns) this.message('info', ahead ? 'ikev2.charonAheadInNetns' : 'ikev2.charonStartedInNetns', { pid: charon.pid, netns });
    else this.message('info', ahead ? 'ikev2.charonAhead' : 'ikev2.charonStarted', { pid: charon.pid });
    this.life.emit({ status: 'connecting', phase: 'starting' });
    this.life.startConnectTimer(this.ctx.connectTimeoutMs, () => {
      const f = this.attemptLog.failure;
      return f ? errorState(f.code, f.line) : connectTimeoutState(this.ctx.connectTimeoutMs, null);
    });
    void this.run().catch((e: unknown) => {
      if (this.life.active) this.life.fail(errorState('ikev2-charon-failed', e instanceof Error ? e.message : String(e)));
    });
  }

  stop(reason: string): Promise<void> {
    return this.life.stop(reason);
  }

  provideCredentials(credentials: Credentials): boolean {
    const p = this.prompt;
    if (!p || !this.life.active) return false;
    if (credentials.kind !== 'userpass' && credentials.kind !== 'passphrase' && credentials.kind !== 'cancel') return false;
    this.prompt = null;
    p.resolve(credentials);
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // connecting

  private async run(): Promise<void> {
    const charon = this.charon;
    if (!charon) return;
    // Both connections at once, and the event registration beside the loading (one round trip
    // each, on separate connections); it is in place before initiate.
    const [client, events] = await Promise.all([this.connectVici(charon), this.connectVici(charon)]);
    // Kept as soon as they exist: the teardown closes them.
    if (events) this.events = events;
    const vici = client ? new ViciCommands(client) : null;
    this.vici = vici;
    if (!vici || !events || !this.life.active) return;
    this.step('VICI connected');
    const listening = events.listen(['ike-updown', 'child-updown'], (name, msg) => this.onUpDown(name, msg)).then(
      () => true,
      (e: unknown) => {
        if (this.life.active) this.life.fail(errorState('ikev2-charon-failed', `event registration: ${e instanceof Error ? e.message : String(e)}`));
        return false;
      },
    );

    this.life.emit({ status: 'connecting', phase: 'configuring' });
    const needs = passwordNeeds(this.profile);
    const missing = needs.filter((n) => (n.type === 'EAP' ? this.profile.secrets.eapPassword : this.profile.secrets.xauthPassword) === null);
    // The user's name and password first when the profile has none: the name may go into the conn.
    let asked: { username: string; password: string } | null = null;
    if (missing.length > 0) {
      const first = missing[0];
      if (!first) return;
      asked = await this.askPassword(first, false);
      if (asked === null) return;
    }
    const plan = await this.withDecryptedKey(loadPlan(this.withUsername(asked?.username ?? null)));
    if (plan === null || !(await this.load(vici, plan))) return;
    this.step('connection loaded and checked');
    if (asked) for (const need of missing) if (!(await this.loadPassword(vici, need, asked))) return;
    if (!(await listening) || !this.life.active) return;
    this.plan = plan;

    for (;;) {
      const outcome = await this.initiate(vici, plan);
      if (outcome === 'ok' || outcome === 'failed') return;
      // A wrong password the user gave: ask again, in place.
      const need = missing.find((n) => (outcome === 'ikev2-eap-failed' ? n.type === 'EAP' : n.type === 'XAUTH'));
      if (!need) return;
      const again = await this.askPassword(need, true, MESSAGES[outcome]);
      if (again === null || !(await this.loadPassword(vici, need, again))) return;
    }
  }

  /** The profile with the user's name where it has none of its own (EAP/XAuth rounds). */
  private withUsername(username: string | null): Ikev2Profile {
    if (username === null) return this.profile;
    return {
      ...this.profile,
      local: this.profile.local.map((r) => {
        if ((r.auth === 'eap' || r.auth === 'eap-mschapv2') && r.eapId === null && r.id === null) return { ...r, eapId: username };
        if (r.auth === 'xauth' && r.xauthId === null && r.id === null) return { ...r, xauthId: username };
        return r;
      }),
    };
  }

  /** Opens a VICI connection, retrying while charon is still starting. Null when the session ended. */
  private async connectVici(charon: CharonProcess): Promise<ViciClient | null> {
    const deadline = Date.now() + this.timings.viciReadyMs;
    const socket = charonPaths(this.ctx.workDir).vici;
    let last = '';
    while (this.life.active && !charon.exited) {
      if (charon.socketReady) {
        try {
          return await ViciClient.connect(socket, { timeoutMs: this.timings.commandMs, log: (t) => this.log('debug', `vici: ${t}`) });
        } catch (e) {
          last = (e as Error).message;
        }
      }
      if (Date.now() > deadline) {
        this.life.fail(errorState('ikev2-charon-failed', `charon's VICI socket did not answer within ${this.timings.viciReadyMs} ms${last ? `: ${last}` : ''}`));
        return null;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    return null;
  }

  /** Loads the key, the profile's secrets and the connection; checks what charon holds. */
  private async load(vici: ViciCommands, plan: LoadPlan): Promise<boolean> {
    for (const key of plan.keys) {
      const r = await vici.loadKey(key);
      if (!r.ok) return this.configFailed(`load-key: ${r.error.errmsg}`);
    }
    for (const s of plan.shared) {
      const r = await vici.loadShared(sharedLoad(s));
      if (!r.ok) return this.configFailed(`load-shared ${s.type}: ${r.error.errmsg}`);
    }
    const conn = plan.conn[CONN_NAME];
    if (typeof conn !== 'object' || Array.isArray(conn) || conn instanceof Uint8Array) return this.configFailed('no connection in the plan');
    const loaded = await vici.loadConn(CONN_NAME, conn);
    if (!loaded.ok) return this.configFailed(`load-conn: ${loaded.error.errmsg}`);
    // What charon read, in its own words, against what was checked.
    let listed: ViciSection | null = null;
    await vici.client.request('list-conns', { ike: CONN_NAME }, {
      stream: 'list-conn',
      onEvent: (msg) => {
        const c = msg[CONN_NAME];
        if (typeof c === 'object' && !Array.isArray(c) && !(c instanceof Uint8Array)) listed = c;
      },
    });
    if (!this.life.active) return false;
    const problems = verifyLoadedConn(listed, this.withUsername(this.plannedUser(plan)));
    if (problems.length > 0) {
      this.life.fail(errorState('ikev2-config-mismatch', problems.join('; ')));
      return false;
    }
    return true;
  }

  /** The EAP/XAuth name the plan's conn carries (for the comparison with charon's reading). */
  private plannedUser(plan: LoadPlan): string | null {
    const conn = plan.conn[CONN_NAME];
    if (typeof conn !== 'object' || Array.isArray(conn) || conn instanceof Uint8Array) return null;
    for (const [k, v] of Object.entries(conn)) {
      if (!k.startsWith('local-') || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) continue;
      const id = v.eap_id ?? v.xauth_id;
      if (typeof id === 'string') return id;
    }
    return null;
  }

  private configFailed(detail: string): boolean {
    this.life.fail(errorState('ikev2-config-mismatch', detail));
    return false;
  }

  private async loadPassword(vici: ViciCommands, need: PasswordNeed, cred: { username: string; password: string }): Promise<boolean> {
    const owners = need.owners.length > 0 ? need.owners : cred.username ? [cred.username] : [];
    const r = await vici.loadShared(sharedLoad({ type: need.type, data: cred.password, owners }));
    if (!r.ok) return this.configFailed(`load-shared ${need.type}: ${r.error.errmsg}`);
    return true;
  }

  /**
   * The plan with a passphrase-protected key decrypted in memory (the passphrase asked until it
   * opens the key; the connect request's first, once). The plain key goes to charon over VICI
   * only, never to a file. Null when the session ended.
   */
  private async withDecryptedKey(plan: LoadPlan): Promise<LoadPlan | null> {
    const key = plan.keys[0];
    if (key === undefined || !keyNeedsPassphrase(key.data)) return plan;
    for (let retry = false; ; retry = true) {
      const initial = this.initialCredentials;
      this.initialCredentials = undefined;
      const answer = !retry && initial?.kind === 'passphrase' ? initial : await this.ask({ kind: 'passphrase', retry }, 'passphrase');
      if (answer === null) return null;
      if (answer.kind !== 'passphrase') return this.cancelled();
      const plain = decryptKey(key.data, answer.passphrase);
      if (plain !== null) return { ...plan, keys: [{ type: 'any', data: plain }] };
      this.message('warn', 'ikev2.passphraseWrong', {});
    }
  }

  /** Asks the user (the connect timer paused meanwhile); null when the session ended. */
  private async ask(request: CredentialRequest, what: 'passphrase' | 'EAP' | 'XAuth'): Promise<Credentials | null> {
    this.life.pauseConnectTimer();
    this.life.emit({ status: 'authenticating' });
    if (what === 'passphrase') this.message('info', request.retry ? 'ikev2.waitingPassphraseRetry' : 'ikev2.waitingPassphrase', {});
    else this.message('info', request.retry ? 'ikev2.waitingCredentialsRetry' : 'ikev2.waitingCredentials', { method: what });
    const answer = await new Promise<Credentials | typeof ENDED>((resolve) => {
      this.prompt = { resolve };
      this.ctx.events.credentialsRequired(request);
    });
    this.life.resumeConnectTimer();
    if (answer === ENDED || !this.life.active) return null;
    if (answer.kind !== 'cancel') this.life.emit({ status: 'connecting', phase: 'configuring' });
    return answer;
  }

  private cancelled(): null {
    this.message('info', 'driver.promptCancelled', {});
    void this.stop('credentials-cancelled');
    return null;
  }

  /** The user's name and password (the connect request's first, once); null when the session ended. */
  private async askPassword(need: PasswordNeed, retry: boolean, reason?: Localized): Promise<{ username: string; password: string } | null> {
    const initial = this.initialCredentials;
    this.initialCredentials = undefined;
    if (!retry && initial?.kind === 'userpass') return { username: need.username ?? initial.username, password: initial.password };
    // Not consumed here: a passphrase given with the request is for the key (withDecryptedKey).
    if (initial?.kind === 'passphrase') this.initialCredentials = initial;
    const request: CredentialRequest = { kind: 'userpass', ...(need.username !== null ? { username: need.username } : {}), retry, ...(reason ? { reason } : {}) };
    const answer = await this.ask(request, need.type === 'EAP' ? 'EAP' : 'XAuth');
    if (answer === null) return null;
    if (answer.kind !== 'userpass') return this.cancelled();
    this.life.emit({ status: 'connecting', phase: 'handshake' });
    return { username: need.username ?? answer.username, password: answer.password };
  }

  /**
   * One initiate: 'ok' once connected, 'failed' when the session ended, or the code of a password
   * failure that may be retried (only for passwords the user typed).
   */
  private async initiate(vici: ViciCommands, plan: LoadPlan): Promise<'ok' | 'failed' | Ikev2ErrorCode> {
    this.attemptLog = new CharonLog();
    const log = this.attemptLog;
    this.life.emit({ status: 'connecting', phase: 'handshake' });
    const started = Date.now();
    const r = await vici.initiate({ child: plan.child, ike: CONN_NAME, timeout: this.ctx.connectTimeoutMs, loglevel: 1 }, (line) => {
      log.observe({ group: line.group ?? '', msg: line.msg });
      this.log('debug', `[${line.group ?? '?'}] ${line.msg}`);
      // The server's DNS is known before the CHILD_SA is installed: start applying it now (the
      // lines come in a burst, one per server), so that it is in place by the time the SA is.
      if (/^installing DNS server /.test(line.msg) && this.profile.dnsServers.length === 0) {
        this.dnsSoon ??= setImmediate(() => {
          this.dnsSoon = null;
          if (this.life.active) void this.applyDns();
        });
      }
      // charon would retransmit for seconds more: the reason is known now.
      if (log.decided && this.life.active) this.life.fail(log.errorFor(null));
    });
    if (!this.life.active) return 'failed';
    if (!r.ok || !log.established) {
      const state = log.errorFor(r.ok ? 'no CHILD_SA was established' : r.error.errmsg);
      const code = state.code;
      const userPassword = (code === 'ikev2-eap-failed' && this.profile.secrets.eapPassword === null) || (code === 'ikev2-xauth-failed' && this.profile.secrets.xauthPassword === null);
      if (userPassword) {
        if (state.detail) this.message('warn', 'ikev2.passwordRefusedDetail', { ...localizedParams('message', state.message), detail: state.detail });
        else this.message('warn', 'ikev2.passwordRefused', localizedParams('message', state.message));
        // The failed IKE_SA is gone or going; a new attempt starts clean.
        await vici.terminate({ ike: CONN_NAME, timeout: 500, force: true }).catch(() => undefined);
        return code === 'ikev2-eap-failed' ? 'ikev2-eap-failed' : 'ikev2-xauth-failed';
      }
      this.life.fail(state);
      return 'failed';
    }
    this.message('info', 'ikev2.childUp', { ms: Date.now() - started });
    this.step('initiate done');
    if (!(await this.initiateLater(vici, plan))) return 'failed';
    return (await this.onEstablished(vici)) ? 'ok' : 'failed';
  }

  /**
   * The profile's other children, one CREATE_CHILD_SA each on the IKE_SA the first brought up
   * (charon reuses it for the same connection). Any one refused ends the session with its reason:
   * a tunnel missing some of the profile's networks is not the one that was checked.
   */
  private async initiateLater(vici: ViciCommands, plan: LoadPlan): Promise<boolean> {
    for (const child of laterChildren(plan)) {
      const log = new CharonLog();
      const r = await vici.initiate({ child, ike: CONN_NAME, timeout: this.ctx.connectTimeoutMs, loglevel: 1 }, (line) => {
        log.observe({ group: line.group ?? '', msg: line.msg });
        this.attemptLog.observe({ group: line.group ?? '', msg: line.msg });
        this.log('debug', `[${line.group ?? '?'}] ${line.msg}`);
      });
      if (!this.life.active) return false;
      if (!r.ok || !log.established) {
        this.life.fail(log.errorFor(`child ${child}: ${r.ok ? 'no CHILD_SA was established' : r.error.errmsg}`));
        return false;
      }
      this.step(`child ${child} up`);
    }
    return true;
  }

  private async onEstablished(vici: ViciCommands): Promise<boolean> {
    // Not noblock: right after initiate the IKE_SA may still be checked out, and would be skipped.
    const sas = await vici.listSas({ ike: CONN_NAME });
    if (!this.life.active) return false;
    const sa = sas.ok ? sas.value.find((s) => s.name === CONN_NAME) : undefined;
    if (!sa) {
      this.life.fail(errorState('ikev2-connection-failed', sas.ok ? 'the IKE_SA is not listed after initiate' : sas.error.errmsg));
      return false;
    }
    const vip = sa.localVips[0] ?? null;
    if (this.profile.vips.length > 0 && vip === null) {
      this.life.fail(errorState('ikev2-vip-refused', 'no virtual IP in list-sas'));
      return false;
    }
    // The claim grows to what was negotiated (at most what the profile asked for; a server named
    // in the profile is known by its address only now), read as CIDRs whatever charon's notation.
    const negotiated = new Set<string>();
    for (const c of sa.children) for (const ts of c.remoteTs) for (const cidr of selectorPrefixes(ts, this.profile)) negotiated.add(cidr);
    if (!this.ctx.events.routesKnown([...negotiated])) {
      // The manager has reported the conflict and is stopping the session.
      this.life.endQuietly();
      void this.life.teardown();
      return false;
    }
    this.life.emit({ status: 'connecting', phase: 'configuring' });
    this.step('SA listed');
    await this.applyDns();
    this.step('DNS applied');
    this.saveResidue();
    await this.life.residue.flush();
    if (!this.life.active) return false;
    this.connected = true;
    this.life.clearConnectTimer();
    this.onCounters(sa);
    this.life.emit({ status: 'connected', localIp: vip ?? sa.localHost ?? '', remote: `${sa.remoteHost ?? ''}${sa.remotePort !== null ? `:${sa.remotePort}` : ''}`, since: Date.now() });
    return true;
  }

  /**
   * The profile's DNS servers, else the ones the server assigned (its INTERNAL_IP4/6_DNS
   * attributes: from the resolve plugin's log lines, else its private file), checked as what
   * dns.ts applies (plain addresses, at most MAX_DNS_SERVERS): the firewall pins exactly these.
   */
  private async applyDns(): Promise<void> {
    let servers = this.profile.dnsServers.length > 0 ? this.profile.dnsServers : this.attemptLog.dns;
    if (servers.length === 0) servers = readAssignedDns(charonPaths(this.ctx.workDir).dns);
    servers = validDns(servers, []).servers;
    if (servers.length === 0 || this.iface === null) return;
    // Reported before the DNS change, as OpenVPN does: the kill switch then lets DNS reach these
    // resolvers only, through the tunnel, and "connected" waits for that rule to be verified.
    this.ctx.events.tunnelDns?.(servers);
    await this.dns.set(this.iface, { servers, searchDomains: [] });
  }

  // ---------------------------------------------------------------------------------------------
  // running

  async refreshCounters(): Promise<void> {
    const vici = this.vici;
    if (!vici || !this.connected || !this.life.active) return;
    try {
      // Not noblock: an IKE_SA busy with a DPD or rekey exchange would be skipped, its counters stale.
      const r = await vici.listSas({ ike: CONN_NAME });
      const sa = r.ok ? r.value.find((s) => s.name === CONN_NAME) : undefined;
      if (sa) this.onCounters(sa);
    } catch {
      // The connection went away: charon's exit or the SA's end is reported on its own.
    }
  }

  /** Session totals across CHILD_SA rekeys (a new CHILD_SA starts its counters at zero). */
  private onCounters(sa: IkeSaSummary): void {
    const seen = new Map<string, { in: number; out: number }>();
    for (const c of sa.children) seen.set(c.uniqueId ?? c.key, { in: c.bytesIn ?? 0, out: c.bytesOut ?? 0 });
    for (const [key, last] of this.childCounters) {
      if (!seen.has(key)) this.counterBase = { in: this.counterBase.in + last.in, out: this.counterBase.out + last.out };
    }
    this.childCounters = seen;
    let bytesIn = this.counterBase.in;
    let bytesOut = this.counterBase.out;
    for (const v of seen.values()) {
      bytesIn += v.in;
      bytesOut += v.out;
    }
    this.ctx.events.counters(bytesIn, bytesOut);
  }

  private onUpDown(name: string, msg: ViciSection): void {
    const e = parseUpDown(msg);
    if (e.up || !this.connected || !this.life.active) return;
    if (!e.sas.some((s) => s.name === CONN_NAME)) return;
    const f = this.attemptLog.failure;
    this.connected = false;
    this.rekeyCheck?.settle('ended');
    const what = `${name}: the ${name === 'ike-updown' ? 'IKE_SA' : 'CHILD_SA'} went down`;
    if (!retryable(f?.code ?? null) || this.plan === null) {
      this.life.fail(f ? errorState(f.code, f.line) : errorState('ikev2-connection-lost', what));
      return;
    }
    this.log('warn', `${what}${f ? ` (${f.line})` : ''}: initiating again`);
    this.beginReconnect(reasonFor(f?.code ?? null));
  }

  // ---------------------------------------------------------------------------------------------
  // recovery

  /**
   * The network came back or changed. charon follows address changes itself (kernel events:
   * MOBIKE update, or a reauthentication without MOBIKE), but does not know whether the server
   * still holds the SA: an SA still listed as ESTABLISHED is rekeyed (an exchange, so a liveness
   * check; unanswered, charon deletes the SA and onUpDown reconnects); one that is gone is initiated.
   */
  async recover(cause: string): Promise<void> {
    const vici = this.vici;
    if (!vici || !this.life.active || this.plan === null) return;
    const r = this.reconnect;
    if (r) {
      if (r.busy) return;
      // A network that came back: try now, not at the backoff's next turn.
      if (r.timer) clearTimeout(r.timer);
      r.timer = null;
      r.attempt = 0;
      this.log('info', `${cause}: initiating again now`);
      this.scheduleReconnect();
      return;
    }
    if (!this.connected) return;
    const sas = await vici.listSas({ ike: CONN_NAME, noblock: true });
    if (!this.life.active || !this.connected) return;
    const sa = sas.ok ? sas.value.find((s) => s.name === CONN_NAME) : undefined;
    if (!sa || sa.state !== 'ESTABLISHED' || !sa.children.some((c) => c.state === 'INSTALLED')) {
      this.log('info', `${cause}: the IKE_SA is ${sa?.state ?? 'gone'}; initiating again`);
      this.connected = false;
      if (sa) await vici.terminate({ ike: CONN_NAME, timeout: 500, force: true }).catch(() => undefined);
      this.beginReconnect('network-change');
      return;
    }
    this.log('info', `${cause}: the IKE_SA is established; rekeying it to check that the server still holds it`);
    // Watched before asking: charon's lines about the exchange may come before its reply does.
    const verdicts = this.rekeyVerdict();
    const rk = await vici.rekey({ ike: CONN_NAME });
    if (!rk.ok) {
      this.rekeyCheck?.settle('ended');
      this.log('warn', `rekey: ${rk.error.errmsg}`);
      return;
    }
    const verdict = await verdicts;
    if (verdict === 'alive') this.log('info', `${cause}: the server answered the rekey; it still holds the SA`);
    if (verdict !== 'lost' || !this.life.active || !this.connected || this.reconnect) return;
    this.log('warn', `${cause}: the rekey went unanswered after ${REKEY_LOST_AFTER_RETRANSMITS} retransmits (the server lost the SA); initiating again`);
    this.connected = false;
    await vici.terminate({ ike: CONN_NAME, timeout: 500, force: true }).catch(() => undefined);
    // A DELETE or charon's give-up meanwhile has already started the reconnect with its own reason.
    if (!this.life.active || this.reconnect) return;
    this.beginReconnect('no-reply');
  }

  /**
   * Waits for charon's verdict on the rekey just asked for: the server answered (rekeyed), did not
   * answer its retransmits (lost), or the SA/session ended first (a DELETE's reason then wins).
   * charon would retransmit for ~7 s before giving up; the second retransmit is enough to know.
   */
  private rekeyVerdict(): Promise<'alive' | 'lost' | 'ended'> {
    this.rekeyCheck?.settle('ended');
    return new Promise((resolve) => {
      const timer = setTimeout(() => check.settle('ended'), REKEY_CHECK_MAX_MS);
      const check = {
        rekeyed: false,
        settle: (verdict: 'alive' | 'lost' | 'ended') => {
          clearTimeout(timer);
          if (this.rekeyCheck === check) this.rekeyCheck = null;
          resolve(verdict);
        },
      };
      this.rekeyCheck = check;
    });
  }

  private beginReconnect(reason: ReconnectReason): void {
    // No connect timer: like openvpn's, the reconnect goes on until the user disconnects.
    const since = this.reconnect?.since ?? Date.now();
    this.reconnect = { reason, attempt: 0, since, timer: null, busy: false };
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const r = this.reconnect;
    if (!r || !this.life.active) return;
    r.attempt += 1;
    this.life.emit(reconnectingState(r.reason, r.attempt, r.since));
    r.timer = setTimeout(() => {
      r.timer = null;
      void this.reconnectOnce();
    }, reconnectDelayMs(r.attempt));
  }

  /** One initiate of the lost connection; on a retryable failure the next one is scheduled. */
  private async reconnectOnce(): Promise<void> {
    const r = this.reconnect;
    const vici = this.vici;
    const plan = this.plan;
    if (!r || !vici || !plan || !this.life.active) return;
    r.busy = true;
    const log = new CharonLog();
    this.attemptLog = log;
    const res = await vici
      .initiate({ child: plan.child, ike: CONN_NAME, timeout: this.ctx.connectTimeoutMs, loglevel: 1 }, (line) => {
        log.observe({ group: line.group ?? '', msg: line.msg });
        this.log('debug', `[${line.group ?? '?'}] ${line.msg}`);
      })
      .catch((e: unknown) => ({ ok: false as const, error: { errmsg: e instanceof Error ? e.message : String(e) } }));
    r.busy = false;
    if (!this.life.active || this.reconnect !== r) return;
    if (res.ok && log.established) {
      this.reconnect = null;
      if (r.timer) clearTimeout(r.timer);
      this.log('info', `reconnected after ${Date.now() - r.since} ms (attempt ${r.attempt})`);
      if (await this.initiateLater(vici, plan)) await this.onEstablished(vici);
      return;
    }
    const state = log.errorFor(res.ok ? 'no CHILD_SA was established' : res.error.errmsg);
    if (!retryable(log.failure?.code ?? null)) {
      this.reconnect = null;
      this.life.fail(state);
      return;
    }
    this.log('warn', `reconnect attempt ${r.attempt} failed: ${state.message.en}${state.detail ? ` (${state.detail})` : ''}`);
    await vici.terminate({ ike: CONN_NAME, timeout: 500, force: true }).catch(() => undefined);
    if (this.reconnect === r && r.timer === null) this.scheduleReconnect();
  }

  private onCharonLine(line: string): void {
    const parsed = parseStderrLine(line);
    if (!parsed) return;
    const tun = TUN_DEVICE_LINE.exec(parsed.msg);
    if (tun?.[1]) {
      this.iface = tun[1];
      this.saveResidue();
    }
    // Once connected, charon's own log is where a later failure's reason appears (DPD, DELETE).
    if (this.connected) this.attemptLog.observe(parsed);
    const check = this.rekeyCheck;
    if (check) {
      // The rekey is over once the old IKE_SA's DELETE is answered too (the server then holds only the new one).
      if (new RegExp(`^IKE_SA ${CONN_NAME}\\[\\d+\\] rekeyed between `).test(parsed.msg)) check.rekeyed = true;
      else if (check.rekeyed && parsed.msg === 'IKE_SA deleted') check.settle('alive');
      const rt = /^retransmit (\d+) of request with message ID \d+$/.exec(parsed.msg);
      if (rt && Number(rt[1]) >= REKEY_LOST_AFTER_RETRANSMITS) check.settle('lost');
    }
    this.log('debug', `charon: [${parsed.group}] ${parsed.msg}`);
  }

  // ---------------------------------------------------------------------------------------------
  // teardown

  private async tearDown(): Promise<void> {
    this.connected = false;
    this.rekeyCheck?.settle('ended');
    if (this.reconnect?.timer) clearTimeout(this.reconnect.timer);
    this.reconnect = null;
    if (this.dnsSoon) clearImmediate(this.dnsSoon);
    this.dnsSoon = null;
    const pending = this.prompt;
    this.prompt = null;
    pending?.resolve(ENDED);
    const left: string[] = [];
    // The command connection may still be busy with initiate (charon retransmitting): close it and
    // end the SA over the events connection, which is idle (one command at a time per connection).
    this.vici?.client.close();
    const events = this.events;
    if (events && !events.isClosed) {
      const vici = new ViciCommands(events);
      try {
        await vici.terminate({ ike: CONN_NAME, timeout: this.timings.terminateMs, force: true });
        await vici.unloadConn(CONN_NAME);
        await vici.clearCreds();
      } catch (e) {
        this.message('debug', 'ikev2.terminateFailed', { error: (e as Error).message });
      }
    }
    events?.close();
    const charon = this.charon;
    let hard = false;
    if (charon && !charon.exited) {
      charon.kill('SIGTERM');
      if (!(await waitForExit(charon.pid, this.timings.exitWaitMs, 20))) {
        hard = true;
        charon.kill('SIGKILL');
        if (!(await waitForExit(charon.pid, 2_000, 20))) left.push(`charon pid ${charon.pid}`);
      }
      await charon.exit;
    }
    // A charon that could not delete its rule (killed) leaves it; one that exited cleanly did.
    if (charon && (hard || charonExitedBadly(await charon.exit))) left.push(...(await removeRoutingLeftovers(this.ctx.netns, charon.routingTable)));
    await this.dns.clear();
    if (this.dns.records.length > 0) left.push(`DNS ${this.dns.records.join(', ')}`);
    this.saveResidue();
    if (left.length === 0) await this.life.residue.remove();
    else {
      await this.life.residue.close();
      for (const l of left) this.message('error', 'driver.stillPresent', { item: l });
      throw new Error(`IKEv2 teardown incomplete: ${left.join('; ')}`);
    }
  }
}

function charonExitedBadly(exit: { code: number | null; signal: NodeJS.Signals | null }): boolean {
  return exit.signal !== null || exit.code !== 0;
}

/** `nameserver X   # by strongSwan` lines of the resolve plugin's private file. */
export function readAssignedDns(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^nameserver\s+(\S+)/.exec(line);
    if (m?.[1]) found.push(m[1]);
  }
  return validDns(found, []).servers;
}

export function createIkev2Driver(context: DriverContext<'ikev2'>, timings: Partial<Ikev2Timings> = {}): Driver {
  return new Ikev2Driver(context, timings);
}
