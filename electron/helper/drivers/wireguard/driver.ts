/**
 * The WireGuard driver: `wg-quick up` with the helper-written config (wg-quick falls back to the
 * userspace wireguard-go where the kernel has no module), then the interface polled for the first
 * handshake, the counters and handshake freshness: wireguard-go's UAPI socket read directly (no
 * process on the connect's critical path), `wg show <if> dump` for kernel WireGuard. On the way out the helper removes what
 * this session's `up` created with its own commands (system.ts removeTunnel), never `wg-quick
 * down`. WireGuard itself has no "connected" event: a tunnel counts as up once a peer has
 * completed a handshake.
 */
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Localized, TunnelState } from '../../../../shared/ipc/helper-protocol.js';
import type { WireGuardProfile } from '../../../../shared/profiles/wireguard/model.js';
import { normalizePrefix } from '../../../../shared/profiles/routes.js';
import { checkCanonicalWireGuard } from '../../../../shared/profiles/wireguard/wgquick-reader.js';
import type { RunResult } from '../../exec.js';
import { wireGuardFwMark } from '../../firewall/intent.js';
import type { Driver, DriverContext } from '../driver.js';
import { DriverLifecycle, driverMessage } from '../lifecycle.js';
import type { HelperMessageCode, HelperMessageParams } from '../../../../shared/i18n/helper-messages.js';
import {
  DEFAULT_SILENCE_MS,
  dumpCounters,
  HANDSHAKE_RETRY,
  latestPeer,
  nextHandshakeAt,
  offlineVerdict,
  parseWgDump,
  trackReplies,
  uapiToDump,
  WG_TIMERS,
  type OfflineTrack,
  type ReplyTrack,
  type WgDump,
} from './dump.js';
import { interfaceNameFor, MESSAGES, setupFailureMessage, type WireGuardErrorCode } from './names.js';
import type { WireGuardResidue } from './residue.js';
import {
  addedRules,
  findWireGuardGo,
  linkExists,
  listWgQuickRules,
  logOutput,
  outputTail,
  processState,
  holdSrcValidMark,
  releaseSrcValidMark,
  removeTunnel,
  resolvconfRecordName,
  runIn,
  serializedPerNetns,
  uapiGet,
  wgEnv,
  type ProcIdentity,
  type RuleRecord,
} from './system.js';

export interface WireGuardTimings {
  /**
   * `wg show` interval during the first moments after `wg-quick up`: the first handshake usually
   * completes within ~10 ms, so polling fast here is what makes "connected" appear promptly.
   */
  initialPollMs: number;
  /** How long the fast initial polling lasts. */
  initialPollWindowMs: number;
  /** `wg show` interval until the first handshake, after the initial window. */
  handshakePollMs: number;
  /** `wg show` interval afterwards. */
  connectedPollMs: number;
  /**
   * How long the server may stay silent while this side sends before the state turns to
   * reconnecting "No reply from the server" (dump.ts DEFAULT_SILENCE_MS explains the 20 s).
   */
  silenceMs: number;
  /** While silent, `attempt` goes up once per interval (WireGuard's REKEY_TIMEOUT handshake retry). */
  retryIntervalMs: number;
  /** While the server does not answer, the driver's own handshakes (dump.ts HANDSHAKE_RETRY). */
  handshakeRetry: { everyMs: number; forMs: number };
  /** After each of them, poll at `initialPollMs` this long: a live server's response comes within a round trip. */
  retryPollWindowMs: number;
  upTimeoutMs: number;
  /** wireguard-go exits 1.3–1.8 s after its interface is deleted; SIGKILL after this. */
  exitWaitMs: number;
}

export const DEFAULT_WIREGUARD_TIMINGS: WireGuardTimings = {
  initialPollMs: 10,
  initialPollWindowMs: 1_000,
  handshakePollMs: 200,
  connectedPollMs: 1_000,
  silenceMs: DEFAULT_SILENCE_MS,
  retryIntervalMs: WG_TIMERS.rekeyTimeout,
  handshakeRetry: HANDSHAKE_RETRY,
  retryPollWindowMs: 300,
  // Name resolution with WG_ENDPOINT_RESOLUTION_RETRIES=1 can take two resolver timeouts.
  upTimeoutMs: 45_000,
  exitWaitMs: 5_000,
};

type Phase = 'new' | 'starting' | 'running' | 'ending';

/** The reconnecting state's words while handshakes go unanswered. */
const NO_REPLY: Localized = { en: 'No reply from the server', ja: 'サーバーから応答がありません' };
/** …and while the uplink is gone (network-watch.ts): nothing can leave, so nothing goes unanswered. */
const NO_NETWORK: Localized = { en: 'No network connection', ja: 'ネットワークに接続されていません' };

class WireGuardDriver implements Driver {
  private readonly timings: WireGuardTimings;
  private readonly profile: WireGuardProfile;
  private readonly ifname: string;
  private readonly configPath: string;
  private readonly dnsRecords: string[];
  private readonly fullTunnelAuto: boolean;
  /** wg-quick sets src_valid_mark for an IPv4 full tunnel. */
  private readonly fullTunnelAuto4: boolean;
  private phase: Phase = 'new';
  /** States, the first error, stop → teardown once, the connect timer and the residue record (lifecycle.ts). */
  private readonly life: DriverLifecycle<WireGuardResidue>;
  private processes: ProcIdentity[] = [];
  /** The ip rules this session's `wg-quick up` added. */
  private rules: RuleRecord[] = [];
  /** src_valid_mark before `up`, once read (to restore on teardown). */
  private srcValidMark: 0 | 1 | null = null;
  private startedAt = 0;
  private upDone: Promise<void> = Promise.resolve();
  private pollLoop: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;

  // Handshake and reply tracking.
  private connected = false;
  /** Unix ms of the latest handshake seen (kept across recover(), which resets wg's own). */
  private lastHandshake = 0;
  private replies: ReplyTrack | null = null;
  /** Since when the server has not answered, while the state says so. */
  private silentSince: number | null = null;
  private attempt = 0;
  private lastDump: WgDump | null = null;
  /** Counters before the peers were last re-added (wg starts them from zero again). */
  private counterBase = { in: 0, out: 0 };
  private counterRaw = { in: 0, out: 0 };
  private recovering: Promise<void> | null = null;
  /** Bumped when a re-add of the peers begins and ends: a dump not read wholly after one is dropped. */
  private peersGeneration = 0;
  private readding = false;
  /** Received bytes (session total) when the current silence began: the server answers once they grow. */
  private silentRx = 0;
  /** The uplink gone (networkLost) until the server answers after it came back. */
  private offline: OfflineTrack | null = null;
  /** The driver's own handshakes in this unanswered spell (dump.ts nextHandshakeAt). */
  private retry: { from: number; last: number } | null = null;
  /** The endpoint of the latest handshake (a re-added peer shows none until its next). */
  private endpoint: string | null = null;
  /** While connected, poll fast until then (recover() asked for a handshake). */
  private fastPollUntil = 0;
  private pollFailures = 0;

  constructor(
    private readonly context: DriverContext<'wireguard'>,
    timings: Partial<WireGuardTimings>,
  ) {
    this.timings = { ...DEFAULT_WIREGUARD_TIMINGS, ...timings };
    const profile = context.inspection.profile;
    this.profile = profile;
    this.ifname = interfaceNameFor(context.sessionId);
    this.configPath = join(context.workDir, `${this.ifname}.conf`);
    this.dnsRecords = profile.interface.dns.servers.length > 0 ? [resolvconfRecordName(this.ifname, context.netns)] : [];
    const table = profile.interface.table;
    const auto = table === undefined || table === 'auto';
    const allowed = profile.peers.flatMap((p) => p.allowedIPs);
    // wg-quick adds fwmark rules for a /0 route (it matches the text `*/0`) when Table is unset or auto.
    this.fullTunnelAuto = auto && allowed.some((a) => a.endsWith('/0'));
    this.fullTunnelAuto4 = auto && allowed.some((a) => a.endsWith('/0') && !a.includes(':'));
    this.life = new DriverLifecycle<WireGuardResidue>({ events: context.events, log: (level, text) => this.log(level, text), workDir: context.workDir, teardown: () => this.tearDown() });
  }

  /** Set once a terminal state (error) was reported or a stop began: no more state events from polling. */
  private get finished(): boolean {
    return this.life.finished;
  }

  interfaceName(): string | null {
    return this.phase === 'new' ? null : this.ifname;
  }

  provideCredentials(): boolean {
    return false; // WireGuard never asks.
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', text: string): void {
    this.context.events.log(level, `wireguard ${this.ifname}: ${text}`);
  }

  /** One of the driver's own lines, by its catalogue code (the log view names the profile). */
  private message<C extends HelperMessageCode>(level: 'debug' | 'info' | 'warn' | 'error', code: C, params: HelperMessageParams<C>): void {
    driverMessage(this.context.events, (l, t) => this.log(l, t), level, code, params);
  }

  private emit(state: TunnelState): void {
    this.life.emit(state);
  }

  private saveResidue(): void {
    const residue: WireGuardResidue = {
      kind: 'wireguard',
      sessionId: this.context.sessionId,
      pids: this.processes.map((p) => p.pid),
      interfaceName: this.ifname,
      dnsRecords: this.dnsRecords,
      configPath: this.configPath,
      netns: this.context.netns,
      rules: this.rules,
      srcValidMark: this.srcValidMark,
    };
    // On disk before the step that follows (a crash during `up` is still cleaned up).
    this.life.residue.saveNow(residue);
  }

  async start(): Promise<void> {
    if (!this.life.begin()) return;
    this.phase = 'starting';
    this.startedAt = Date.now();
    let upFinished = (): void => undefined;
    this.upDone = new Promise((r) => (upFinished = r));
    try {
      await this.bringUp();
    } finally {
      upFinished();
    }
  }

  private async bringUp(): Promise<void> {
    const { context } = this;
    // The session manager checks the routes against other sessions first; on a conflict it has
    // already set this session's error and is stopping it, so nothing more is reported.
    if (!context.events.routesKnown(this.routes())) {
      this.life.endQuietly();
      return;
    }
    this.emit({ status: 'connecting', phase: 'starting' });
    this.life.startConnectTimer(context.connectTimeoutMs, () => {
      this.message('warn', 'wireguard.noHandshake', { ms: context.connectTimeoutMs });
      return { status: 'error', code: 'no-handshake', message: MESSAGES.noHandshake };
    });
    // What wg-quick reads must be what was checked: re-read with wg-quick's own rules right before it runs.
    const mismatch = checkCanonical(context.inspection.canonical, this.profile);
    if (mismatch !== null) {
      this.fail('tunnel-setup-failed', mismatch.message, mismatch.text);
      return;
    }
    try {
      // wg-quick names the interface after the file; the text is the helper's own canonical config
      // plus the helper's FwMark (the kill switch passes only marked packets to the endpoint).
      writeFileSync(this.configPath, withHelperFwMark(context.inspection.canonical, wireGuardFwMark(this.ifname)), { mode: 0o600 });
      chmodSync(this.configPath, 0o600);
    } catch (e) {
      this.fail('tunnel-setup-failed', MESSAGES.setupFailed, `could not write the configuration: ${(e as Error).message}`);
      return;
    }
    // Recorded before anything exists, so a crash during `up` is still cleaned up.
    this.saveResidue();
    if (this.finished) return;

    if (context.netns) this.message('info', 'wireguard.upInNetns', { netns: context.netns });
    else this.message('info', 'wireguard.up', {});
    const upStarted = Date.now();
    const r = this.fullTunnelAuto ? await this.upRecordingRules() : await this.up();
    logOutput((l, t) => this.log(l, t), r.code === 0 ? 'debug' : 'warn', 'wg-quick up: ', r.stdout + r.stderr);
    if (r.code !== 0 || r.timedOut || this.finished) {
      this.processes = findWireGuardGo(this.ifname);
      this.saveResidue();
      if (this.finished) return;
      const detail = r.timedOut ? `wg-quick up did not finish within ${this.timings.upTimeoutMs} ms` : outputTail(r.stderr || r.stdout);
      this.fail('tunnel-setup-failed', r.timedOut ? MESSAGES.setupFailed : setupFailureMessage(`${r.stdout}\n${r.stderr}`).message, detail);
      return;
    }
    this.phase = 'running';
    this.emit({ status: 'connecting', phase: 'handshake' });
    // The first `wg show` is spawned at once (poll() runs synchronously up to it); the record of
    // the wireguard-go process is made while it runs, and is on disk before its answer can be
    // handled, so it is complete before "connected" is reported.
    this.pollLoop = this.poll();
    this.processes = findWireGuardGo(this.ifname);
    this.saveResidue();
    if (this.processes.length > 0) this.message('info', 'wireguard.upTookGo', { ms: Date.now() - upStarted, pids: this.processes.map((p) => p.pid).join(', ') });
    else this.message('info', 'wireguard.upTookKernel', { ms: Date.now() - upStarted });
  }

  private up(): Promise<RunResult> {
    return runIn(this.context.netns, 'wg-quick', ['up', this.configPath], this.timings.upTimeoutMs, wgEnv());
  }

  /**
   * A full tunnel's `up` adds policy rules that only their priority tells apart from another
   * session's: the rules that appear while it runs (ups in a namespace run one at a time) are
   * recorded, on disk before `up` returns control to anything else.
   */
  private upRecordingRules(): Promise<RunResult> {
    const netns = this.context.netns;
    return serializedPerNetns(netns, async () => {
      if (this.fullTunnelAuto4) {
        this.srcValidMark = await holdSrcValidMark(netns, this.context.sessionId);
        this.saveResidue();
      }
      const before = await listWgQuickRules(netns);
      const r = await this.up();
      const after = await listWgQuickRules(netns);
      if (before === null || after === null) this.message('warn', 'wireguard.rulesUnlisted', {});
      else this.rules = addedRules(before, after);
      this.saveResidue();
      return r;
    });
  }

  /** The prefixes this tunnel routes: its peers' AllowedIPs, host bits masked. */
  private routes(): string[] {
    const out: string[] = [];
    for (const a of this.profile.peers.flatMap((p) => p.allowedIPs)) {
      const n = normalizePrefix(a);
      if (n && !out.includes(n.cidr)) out.push(n.cidr);
    }
    return out;
  }

  /** Reports an error (the session's last state; the first one only) and tears everything down quietly. */
  private fail(code: WireGuardErrorCode, message: Localized, detail?: string): void {
    this.life.fail(detail === undefined ? { status: 'error', code, message } : { status: 'error', code, message, detail });
  }

  stop(reason: string): Promise<void> {
    // A stop before any error: the user sees disconnecting → disconnected.
    return this.life.stop(reason);
  }

  private async tearDown(): Promise<void> {
    this.phase = 'ending';
    this.wake?.();
    // `wg-quick up` is not interruptible without leaving half a setup: let it finish, then undo it.
    await this.upDone;
    await this.pollLoop;
    const started = Date.now();
    let left: string[];
    try {
      left = await removeTunnel(
        {
          ifname: this.ifname,
          netns: this.context.netns,
          pids: this.processes.map((p) => p.pid),
          rules: this.rules,
          dnsRecords: this.dnsRecords,
          srcValidMark: this.srcValidMark === null ? null : releaseSrcValidMark(this.context.netns, this.context.sessionId),
        },
        (l, t) => this.log(l, t),
        this.timings,
      );
    } catch (e) {
      left = [`teardown error: ${(e as Error).message}`];
    }
    this.message('info', 'driver.teardownTook', { ms: Date.now() - started });
    try {
      // The config holds the private key: it goes even when something else stayed.
      rmSync(this.configPath, { force: true });
      if (left.length === 0) await this.life.residue.remove();
    } catch (e) {
      left.push(`work files: ${(e as Error).message}`);
    }
    for (const l of left) this.message('error', 'driver.stillPresent', { item: l });
    if (left.length > 0) throw new Error(`WireGuard teardown incomplete: ${left.join('; ')}`);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  private async poll(): Promise<void> {
    const { initialPollMs, initialPollWindowMs, handshakePollMs, connectedPollMs } = this.timings;
    const started = Date.now();
    while (!this.finished) {
      await this.pollOnce();
      if (this.finished) break;
      if (this.retrying() && this.recovering === null && Date.now() >= nextHandshakeAt(this.retry, Date.now(), this.timings.handshakeRetry)) {
        await this.startHandshake('no reply', this.timings.retryPollWindowMs);
        continue;
      }
      const now = Date.now();
      const fast = this.connected ? now < this.fastPollUntil : now - started < initialPollWindowMs;
      // While the server is silent, its first reply is looked for as often as for the first handshake.
      let waitMs = fast ? initialPollMs : this.connected && this.silentSince === null && this.offline === null ? connectedPollMs : handshakePollMs;
      // …and the next handshake of the driver's own starts on time.
      if (this.retrying() && this.recovering === null) waitMs = Math.max(initialPollMs, Math.min(waitMs, nextHandshakeAt(this.retry, now, this.timings.handshakeRetry) - now));
      await this.sleep(waitMs);
    }
  }

  private async pollOnce(): Promise<void> {
    const askedAt = Date.now();
    const generation = this.peersGeneration;
    // wireguard-go answers on its socket directly (as `wg` would read it); kernel WireGuard through `wg`.
    const uapi = await uapiGet(this.ifname);
    const fromSocket = uapi === null ? null : uapiToDump(uapi);
    const r = fromSocket !== null ? { code: 0, stdout: fromSocket, stderr: '' } : await runIn(this.context.netns, 'wg', ['show', this.ifname, 'dump'], 5_000);
    if (this.finished) return;
    // Only a definite 'gone' for every process ends the tunnel: /proc unreadable (e.g. EMFILE) is asked again next poll.
    if (this.processes.length > 0 && this.processes.every((p) => processState(p) === 'gone')) {
      this.message('error', 'wireguard.goExited', { pids: this.processes.map((p) => p.pid).join(', ') });
      this.fail('tunnel-process-exited', MESSAGES.processExited, `wireguard-go for ${this.ifname} exited while the tunnel was up`);
      return;
    }
    if (r.code !== 0) {
      this.pollFailures++;
      if (this.pollFailures === 1) this.message('warn', 'wireguard.showFailed', { error: outputTail(r.stderr, 2) });
      // Kernel WireGuard has no process to watch: notice a deleted interface directly.
      if (this.processes.length === 0 && this.pollFailures >= 3 && !(await linkExists(this.context.netns, this.ifname))) {
        this.fail('interface-removed', MESSAGES.interfaceRemoved);
      }
      return;
    }
    this.pollFailures = 0;
    // Read while the peers were being re-added: its counters are neither the old peers' nor the new ones'.
    if (this.readding || generation !== this.peersGeneration) return;
    const dump = parseWgDump(r.stdout);
    if (dump.errors.length > 0) this.message('debug', 'wireguard.dumpProblems', { problems: dump.errors.join('; ') });
    this.lastDump = dump;
    const { bytesIn, bytesOut } = dumpCounters(dump);
    // Session totals stay monotonic when recover() re-added the peers.
    if (bytesIn < this.counterRaw.in || bytesOut < this.counterRaw.out) this.counterBase = { in: this.counterBase.in + this.counterRaw.in, out: this.counterBase.out + this.counterRaw.out };
    this.counterRaw = { in: bytesIn, out: bytesOut };
    this.context.events.counters(this.counterBase.in + bytesIn, this.counterBase.out + bytesOut);
    this.trackHandshake(dump, this.counterBase.in + bytesIn, this.counterBase.out + bytesOut, askedAt);
  }

  private connectedState(endpoint: string | null, now: number): TunnelState {
    const bare = this.profile.interface.addresses.map((a) => a.replace(/\/\d+$/, ''));
    const v4 = bare.find((a) => !a.includes(':'));
    const v6 = bare.find((a) => a.includes(':'));
    const state: TunnelState = { status: 'connected', localIp: v4 ?? v6 ?? '', remote: endpoint ?? '', since: now };
    return v4 !== undefined && v6 !== undefined ? { ...state, localIp6: v6 } : state;
  }

  private noReplyState(now: number, since: number): Extract<TunnelState, { status: 'reconnecting' }> {
    // WireGuard retries the handshake every REKEY_TIMEOUT once it gave up on the session.
    const attempt = 1 + Math.max(0, Math.floor((now - since - this.timings.silenceMs) / this.timings.retryIntervalMs));
    return { status: 'reconnecting', reason: 'no-reply', attempt, message: NO_REPLY, since };
  }

  private noNetworkState(since: number): Extract<TunnelState, { status: 'reconnecting' }> {
    return { status: 'reconnecting', reason: 'no-network', attempt: 1, message: NO_NETWORK, since };
  }

  /** In an unanswered spell the driver starts handshakes itself: silent, or the uplink back and no reply yet. */
  private retrying(): boolean {
    if (!this.connected || this.finished || this.phase !== 'running') return false;
    return this.offline !== null ? this.offline.restoredAt !== null : this.silentSince !== null;
  }

  private trackHandshake(dump: WgDump, rx: number, tx: number, askedAt: number): void {
    const now = Date.now();
    const peer = latestPeer(dump);
    if (peer !== null) {
      const handshakeMs = peer.latestHandshake * 1000;
      if (handshakeMs > this.lastHandshake) {
        this.lastHandshake = handshakeMs;
        this.context.events.handshake?.(handshakeMs);
      }
      if (peer.endpoint) this.endpoint = peer.endpoint;
    }
    if (!this.connected) {
      if (peer === null) return;
      this.connected = true;
      this.replies = trackReplies(null, { rx, tx, peers: dump.peers, latestHandshakeMs: this.lastHandshake }, now, this.timings.silenceMs).track;
      this.life.clearConnectTimer();
      if (peer.endpoint) this.message('info', 'wireguard.firstHandshake', { endpoint: peer.endpoint, ms: now - this.startedAt });
      else this.message('info', 'wireguard.firstHandshakePeer', { ms: now - this.startedAt });
      this.emit(this.connectedState(peer.endpoint, now));
      return;
    }
    const verdict = trackReplies(this.replies, { rx, tx, peers: dump.peers, latestHandshakeMs: this.lastHandshake }, now, this.timings.silenceMs);
    this.replies = verdict.track;
    const off = this.offline;
    if (off !== null) {
      // A dump asked for before the uplink went says nothing about after; the first one after is the baseline.
      if (askedAt < off.lostAt) return;
      off.rx ??= rx;
      const v = offlineVerdict(off, rx, now, this.timings.silenceMs);
      if (v === 'offline') return this.emit(this.noNetworkState(off.since));
      this.offline = null;
      if (v === 'answered') return this.answered(now, off.since);
      this.silentSince = off.since;
      this.silentRx = rx;
      this.message('warn', 'wireguard.silent', { seconds: Math.round((now - (off.restoredAt ?? now)) / 1000), age: Math.round((now - this.lastHandshake) / 1000) });
      return this.emitNoReply(now);
    }
    if (this.silentSince !== null) {
      if (rx > this.silentRx) return this.answered(now, this.silentSince);
      return this.emitNoReply(now);
    }
    if (verdict.silentSince !== null) {
      this.silentSince = verdict.silentSince;
      this.silentRx = rx;
      this.message('warn', 'wireguard.silent', { seconds: Math.round((now - verdict.silentSince) / 1000), age: Math.round((now - this.lastHandshake) / 1000) });
      return this.emitNoReply(now);
    }
    this.retry = null;
  }

  private emitNoReply(now: number): void {
    const state = this.noReplyState(now, this.silentSince ?? now);
    this.attempt = state.attempt;
    this.emit(state);
  }

  /** Something came in after a silence or while the uplink was gone: connected again. */
  private answered(now: number, since: number): void {
    this.message('info', 'wireguard.answersAgain', { seconds: Math.round((now - since) / 1000), attempts: this.attempt });
    this.silentSince = null;
    this.retry = null;
    this.attempt = 0;
    this.emit(this.connectedState(this.endpoint, now));
  }

  /**
   * The uplink went away (network-watch.ts): with no route, WireGuard sends nothing, so nothing goes
   * unanswered and trackReplies would say "connected" for as long as it lasts. Reconnecting
   * "No network connection" at once (since the silence began, if the server was already silent);
   * connected again once anything comes in (recover() starts a handshake when the uplink is back).
   */
  networkLost(): void {
    if (!this.connected || this.finished || this.phase !== 'running' || this.offline !== null) return;
    const now = Date.now();
    this.offline = { since: this.silentSince ?? now, lostAt: now, rx: null, restoredAt: null };
    this.retry = null;
    this.log('info', 'network lost: no route out until it is back');
    this.emit(this.noNetworkState(this.offline.since));
    this.wake?.();
  }

  /**
   * Forces a fresh handshake now, when the keys may be stale (no reply, or a handshake older than
   * REKEY_AFTER_TIME); a tunnel with fresh keys resumes by itself on its next packet. Setting the
   * endpoint again does not start a handshake (wireguard-go and the kernel only store it); a peer
   * removed and added again has no keys and no handshake rate limit, and turning its persistent
   * keepalive on sends a keepalive, which must first handshake: the initiation leaves at once.
   */
  recover(cause: string): Promise<void> {
    if (!this.connected || this.finished || this.phase !== 'running') return Promise.resolve();
    const now = Date.now();
    // Back after networkLost: the first reply says connected, so one is asked for now.
    if (this.offline !== null && cause !== 'resume') this.offline.restoredAt ??= now;
    const age = now - this.lastHandshake;
    if (this.silentSince === null && this.offline?.restoredAt == null && age < WG_TIMERS.rekeyAfterTime) {
      this.log('debug', `${cause}: keys ${Math.round(age / 1000)} s old, WireGuard resumes on its next packet`);
      return Promise.resolve();
    }
    return this.startHandshake(cause, this.timings.initialPollWindowMs);
  }

  /** Re-adds the peers for a handshake now (one re-add at a time), counted in the unanswered spell. */
  private startHandshake(cause: string, fastForMs: number): Promise<void> {
    const now = Date.now();
    this.retry = this.retry === null ? { from: now, last: now } : { from: this.retry.from, last: now };
    // The first of a spell is news; the ones every second after it are not.
    const level = this.retry.last === this.retry.from ? 'info' : 'debug';
    this.recovering ??= this.readdPeers(cause, fastForMs, level).finally(() => {
      this.recovering = null;
    });
    return this.recovering;
  }

  private async readdPeers(cause: string, fastForMs: number, level: 'info' | 'debug'): Promise<void> {
    const started = Date.now();
    // The peers' counters start from zero again: the old ones go into the base, dumps meanwhile are dropped.
    const before = this.counterRaw;
    this.readding = true;
    this.peersGeneration++;
    try {
      await this.readdEach(cause);
    } finally {
      this.counterBase = { in: this.counterBase.in + before.in, out: this.counterBase.out + before.out };
      this.counterRaw = { in: 0, out: 0 };
      this.readding = false;
      this.peersGeneration++;
    }
    this.log(level, `${cause}: peers re-added for a fresh handshake in ${Date.now() - started} ms`);
    this.fastPollUntil = Date.now() + fastForMs;
    this.wake?.();
  }

  private async readdEach(cause: string): Promise<void> {
    const known = new Map((this.lastDump?.peers ?? []).map((p) => [p.publicKey, p]));
    for (const [index, peer] of this.profile.peers.entries()) {
      if (this.finished) return;
      // The address wg last used (no new name lookup), else the profile's.
      const endpoint = known.get(peer.publicKey)?.endpoint ?? (peer.endpoint ? `${peer.endpoint.host.includes(':') ? `[${peer.endpoint.host}]` : peer.endpoint.host}:${peer.endpoint.port}` : null);
      const args = ['set', this.ifname, 'peer', peer.publicKey];
      const pskPath = join(this.context.workDir, `psk-${index}`);
      if (peer.presharedKey) {
        writeFileSync(pskPath, `${peer.presharedKey}\n`, { mode: 0o600 });
        args.push('preshared-key', pskPath);
      }
      if (endpoint !== null) args.push('endpoint', endpoint);
      args.push('allowed-ips', peer.allowedIPs.join(','), 'persistent-keepalive', String(peer.persistentKeepalive || 25));
      try {
        const removed = await runIn(this.context.netns, 'wg', ['set', this.ifname, 'peer', peer.publicKey, 'remove'], 5_000);
        const added = await runIn(this.context.netns, 'wg', args, 5_000);
        if (!peer.persistentKeepalive) await runIn(this.context.netns, 'wg', ['set', this.ifname, 'peer', peer.publicKey, 'persistent-keepalive', 'off'], 5_000);
        if (removed.code !== 0 || added.code !== 0) this.log('warn', `${cause}: could not re-add a peer: ${outputTail(removed.stderr + added.stderr, 2)}`);
      } finally {
        rmSync(pskPath, { force: true });
      }
    }
  }
}

/**
 * The canonical text with the helper's FwMark as the first [Interface] line. Profiles cannot set
 * FwMark (issue 10); wg-quick then also routes a full tunnel with this mark as its table.
 */
export function withHelperFwMark(canonical: string, mark: number): string {
  return canonical.replace(/^\[Interface\]\n/m, `[Interface]\nFwMark = 0x${mark.toString(16)}\n`);
}

/**
 * checkCanonicalWireGuard's verdicts by inspected profile: a reconnect with the same cached
 * inspection brings the very same profile object and canonical text, on which the reader's verdict
 * cannot differ (about a millisecond of a connect, the reader's code being cold in a helper that
 * runs it once a connect). Any other text for that profile is read again.
 */
const canonicalVerdicts = new WeakMap<WireGuardProfile, { canonical: string; mismatch: ReturnType<typeof checkCanonicalWireGuard> }>();

function checkCanonical(canonical: string, profile: WireGuardProfile): ReturnType<typeof checkCanonicalWireGuard> {
  const known = canonicalVerdicts.get(profile);
  if (known?.canonical === canonical) return known.mismatch;
  const mismatch = checkCanonicalWireGuard(canonical, profile);
  canonicalVerdicts.set(profile, { canonical, mismatch });
  return mismatch;
}

export function createWireGuardDriver(context: DriverContext<'wireguard'>, timings: Partial<WireGuardTimings> = {}): Driver {
  return new WireGuardDriver(context, timings);
}
