/**
 * The WireGuard driver: `wg-quick up` with the helper-written config (wg-quick falls back to the
 * userspace wireguard-go where the kernel has no module), then `wg show <if> dump` polled for the
 * first handshake, the counters and handshake freshness. On the way out the helper removes what
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
import type { Driver, DriverContext } from '../driver.js';
import { DriverLifecycle } from '../lifecycle.js';
import { dumpCounters, latestPeer, parseWgDump } from './dump.js';
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
   * WireGuard's REJECT_AFTER_TIME (180 s): a session key older than this is unusable, so data sent
   * later needs a new handshake. It rekeys at 120 s while traffic flows.
   */
  keyExpiryMs: number;
  /**
   * How long after the first transmission on an expired key the handshake may stay missing before
   * the tunnel counts as stale (WireGuard retries the handshake every 5 s).
   */
  staleMarginMs: number;
  /** While stale, `attempt` goes up once per interval in which WireGuard sent something. */
  retryIntervalMs: number;
  upTimeoutMs: number;
  /** wireguard-go exits 1.3–1.8 s after its interface is deleted; SIGKILL after this. */
  exitWaitMs: number;
}

export const DEFAULT_WIREGUARD_TIMINGS: WireGuardTimings = {
  initialPollMs: 10,
  initialPollWindowMs: 1_000,
  handshakePollMs: 200,
  connectedPollMs: 1_000,
  keyExpiryMs: 180_000,
  staleMarginMs: 15_000,
  retryIntervalMs: 5_000,
  // Name resolution with WG_ENDPOINT_RESOLUTION_RETRIES=1 can take two resolver timeouts.
  upTimeoutMs: 45_000,
  exitWaitMs: 5_000,
};

type Phase = 'new' | 'starting' | 'running' | 'ending';

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

  // Handshake tracking.
  private connected = false;
  private lastHandshake = 0;
  private lastTx = 0;
  private txAfterExpiryAt: number | null = null;
  private stale = false;
  private attempt = 0;
  private attemptAt = 0;
  private attemptTx = 0;
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
      this.log('warn', `no handshake within ${context.connectTimeoutMs} ms`);
      return { status: 'error', code: 'no-handshake', message: MESSAGES.noHandshake };
    });
    // What wg-quick reads must be what was checked: re-read with wg-quick's own rules right before it runs.
    const mismatch = checkCanonical(context.inspection.canonical, this.profile);
    if (mismatch !== null) {
      this.fail('tunnel-setup-failed', mismatch.message, mismatch.text);
      return;
    }
    try {
      // wg-quick names the interface after the file; the text is the helper's own canonical config.
      writeFileSync(this.configPath, context.inspection.canonical, { mode: 0o600 });
      chmodSync(this.configPath, 0o600);
    } catch (e) {
      this.fail('tunnel-setup-failed', MESSAGES.setupFailed, `could not write the configuration: ${(e as Error).message}`);
      return;
    }
    // Recorded before anything exists, so a crash during `up` is still cleaned up.
    this.saveResidue();
    if (this.finished) return;

    this.log('info', `wg-quick up${context.netns ? ` in netns ${context.netns}` : ''}`);
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
    this.log(
      'info',
      `wg-quick up took ${Date.now() - upStarted} ms; ${
        this.processes.length > 0 ? `wireguard-go pid ${this.processes.map((p) => p.pid).join(', ')}` : 'no wireguard-go (kernel WireGuard)'
      }`,
    );
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
      if (before === null || after === null) this.log('warn', 'could not list the ip rules: the ones wg-quick added will stay after disconnect');
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
    this.log('info', `teardown took ${Date.now() - started} ms`);
    try {
      // The config holds the private key: it goes even when something else stayed.
      rmSync(this.configPath, { force: true });
      if (left.length === 0) await this.life.residue.remove();
    } catch (e) {
      left.push(`work files: ${(e as Error).message}`);
    }
    for (const l of left) this.log('error', `still present after teardown: ${l}`);
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
    const started = Date.now();
    const { initialPollMs, initialPollWindowMs, handshakePollMs, connectedPollMs } = this.timings;
    while (!this.finished) {
      await this.pollOnce();
      if (this.finished) break;
      const early = Date.now() - started < initialPollWindowMs;
      await this.sleep(this.connected ? connectedPollMs : early ? initialPollMs : handshakePollMs);
    }
  }

  private async pollOnce(): Promise<void> {
    const r = await runIn(this.context.netns, 'wg', ['show', this.ifname, 'dump'], 5_000);
    if (this.finished) return;
    // Only a definite 'gone' for every process ends the tunnel: /proc unreadable (e.g. EMFILE) is asked again next poll.
    if (this.processes.length > 0 && this.processes.every((p) => processState(p) === 'gone')) {
      this.log('error', `wireguard-go (pid ${this.processes.map((p) => p.pid).join(', ')}) exited`);
      this.fail('tunnel-process-exited', MESSAGES.processExited, `wireguard-go for ${this.ifname} exited while the tunnel was up`);
      return;
    }
    if (r.code !== 0) {
      this.pollFailures++;
      if (this.pollFailures === 1) this.log('warn', `wg show failed: ${outputTail(r.stderr, 2)}`);
      // Kernel WireGuard has no process to watch: notice a deleted interface directly.
      if (this.processes.length === 0 && this.pollFailures >= 3 && !(await linkExists(this.context.netns, this.ifname))) {
        this.fail('interface-removed', MESSAGES.interfaceRemoved);
      }
      return;
    }
    this.pollFailures = 0;
    const dump = parseWgDump(r.stdout);
    if (dump.errors.length > 0) this.log('debug', `wg show dump: ${dump.errors.join('; ')}`);
    const { bytesIn, bytesOut } = dumpCounters(dump);
    this.context.events.counters(bytesIn, bytesOut);
    this.trackHandshake(dump, bytesOut);
    this.lastTx = bytesOut;
  }

  private connectedState(endpoint: string | null, now: number): TunnelState {
    const first = this.profile.interface.addresses[0] ?? '';
    return { status: 'connected', localIp: first.replace(/\/\d+$/, ''), remote: endpoint ?? '', since: now };
  }

  private trackHandshake(dump: ReturnType<typeof parseWgDump>, tx: number): void {
    const now = Date.now();
    const peer = latestPeer(dump);
    if (peer === null) return;
    const handshakeMs = peer.latestHandshake * 1000;
    if (!this.connected) {
      this.connected = true;
      this.lastHandshake = handshakeMs;
      this.life.clearConnectTimer();
      this.log('info', `first handshake with ${peer.endpoint ?? 'the peer'} ${now - this.startedAt} ms after start`);
      this.emit(this.connectedState(peer.endpoint, now));
      return;
    }
    if (handshakeMs > this.lastHandshake) {
      this.lastHandshake = handshakeMs;
      this.txAfterExpiryAt = null;
      if (this.stale) {
        this.stale = false;
        this.log('info', `handshake with ${peer.endpoint ?? 'the peer'} again after ${this.attempt} retry interval(s)`);
        this.emit(this.connectedState(peer.endpoint, now));
      }
      return;
    }
    // An idle tunnel (nothing sent) legitimately keeps an old handshake: WireGuard only handshakes
    // when it has something to send. Stale means: something was sent on an expired key, and no
    // handshake followed within the margin.
    const age = now - handshakeMs;
    if (age > this.timings.keyExpiryMs && tx > this.lastTx && this.txAfterExpiryAt === null) this.txAfterExpiryAt = now;
    if (!this.stale) {
      if (this.txAfterExpiryAt !== null && now - this.txAfterExpiryAt >= this.timings.staleMarginMs) {
        this.stale = true;
        this.attempt = 1;
        this.attemptAt = now;
        this.attemptTx = tx;
        this.log('warn', `latest handshake ${Math.round(age / 1000)} s ago and none since sending: reconnecting`);
        this.emit({ status: 'reconnecting', reason: 'handshake-stale', attempt: this.attempt });
      }
    } else if (now - this.attemptAt >= this.timings.retryIntervalMs && tx > this.attemptTx) {
      this.attempt++;
      this.attemptAt = now;
      this.attemptTx = tx;
      this.emit({ status: 'reconnecting', reason: 'handshake-stale', attempt: this.attempt });
    }
  }
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
