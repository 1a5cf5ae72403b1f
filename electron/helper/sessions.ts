/**
 * Sessions: one running tunnel each. The manager re-inspects every profile with the shared engine
 * and the security policy (the caller is never trusted), refuses conflicting tunnels, drives one
 * Driver per session, and turns what drivers report into the events clients see: state changes as
 * they happen, statistics every second while connected, credential prompts and log lines.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type {
  Credentials,
  HelperEvent,
  HelperResult,
  SessionInfo,
  TunnelState,
} from '../../shared/ipc/helper-protocol.js';
import { inspectProfile, type InspectResult } from '../../shared/profiles/inspect.js';
import type { OpenVpnProfile } from '../../shared/profiles/openvpn/model.js';
import { DEFAULT_POLICY, type ProfilePolicy } from '../../shared/profiles/policy.js';
import type { WireGuardProfile } from '../../shared/profiles/wireguard/model.js';
import type { Driver, DriverContext, Prelauncher } from './drivers/driver.js';
import { HelperFailure } from './failure.js';
import { InspectionCache } from './inspection-cache.js';
import type { HelperLog } from './log.js';
import { discardLaunch, newLaunch, StandbyPool, type Launch } from './standby.js';

export type DriverFactory = (context: DriverContext) => Driver;

export interface SessionManagerOptions {
  runDir: string;
  log: HelperLog;
  drivers: { openvpn: DriverFactory; wireguard: DriverFactory };
  /** Drivers whose tool can be launched while the profile is inspected (see Prelauncher). */
  prelaunchers?: Partial<Record<'openvpn' | 'wireguard', Prelauncher>>;
  /** Keep a started tool waiting for the next connect of its kind (standby.ts); default false. */
  standby?: boolean;
  policy?: ProfilePolicy;
  netns?: string | null;
  defaultConnectTimeoutMs?: number;
  statsIntervalMs?: number;
}

interface Session {
  info: SessionInfo;
  driver: Driver;
  stopping: Promise<void> | null;
  statsTimer: NodeJS.Timeout | null;
  /** A counters refresh is under way (Driver.refreshCounters). */
  refreshing: boolean;
  lastCounters: { at: number; bytesIn: number; bytesOut: number };
  workDir: string;
  canonical: string;
  /** Set until the session first settles; then the standby it used (if any) is replaced. */
  refillStandby: boolean;
}

/** A profile the helper accepted: its own inspection, and whether it takes all traffic. */
interface Verdict {
  inspection: InspectResult & { ok: true; canonical: string };
  fullTunnel: boolean;
}

/** Whether a profile itself sends all traffic through the tunnel. */
export function isFullTunnel(inspection: InspectResult): boolean {
  const p = inspection.profile;
  if (!p) return false;
  if (p.kind === 'wireguard') {
    return (p as WireGuardProfile).peers.some((peer) => peer.allowedIPs.includes('0.0.0.0/0') || peer.allowedIPs.includes('::/0'));
  }
  const o = p as OpenVpnProfile;
  return o.routing.redirectGateway !== null || o.routing.routes.some((r) => r.network === '0.0.0.0' && r.netmask === '0.0.0.0');
}

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private readonly inspections = new InspectionCache();
  private readonly listeners = new Set<(event: HelperEvent) => void>();
  private readonly policy: ProfilePolicy;
  private readonly standby: StandbyPool | null;

  constructor(private readonly options: SessionManagerOptions) {
    this.policy = options.policy ?? DEFAULT_POLICY;
    this.standby = options.standby
      ? new StandbyPool({ sessionsDir: this.sessionsDir, netns: options.netns ?? null, prelaunchers: options.prelaunchers ?? {}, log: options.log })
      : null;
  }

  private get sessionsDir(): string {
    return join(this.options.runDir, 'sessions');
  }

  onEvent(listener: (event: HelperEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: HelperEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  list(): SessionInfo[] {
    return [...this.sessions.values()].map((s) => ({ ...s.info }));
  }

  async connect(
    profile: { kind: 'openvpn' | 'wireguard'; text: string; name: string },
    options: { connectTimeoutSeconds?: number; credentials?: Credentials },
    uid: number,
  ): Promise<HelperResult<'connect'>> {
    // With a standby waiting, the tool is already loaded. Otherwise it loads while the profile is
    // inspected (it runs nothing until the driver feeds it), and is killed if the profile fails.
    let launch: Launch | null = this.standby?.has(profile.kind) ? null : this.freshLaunch(profile.kind);
    try {
      const verdict = this.inspect(profile);
      // Only a profile that passed (and does not conflict) gets the standby.
      launch ??= this.standby?.take(profile.kind) ?? this.freshLaunch(profile.kind);
      return await this.startSession(launch, verdict, profile, options, uid);
    } catch (e) {
      if (launch && !this.sessions.has(launch.id)) discardLaunch(launch);
      throw e;
    }
  }

  /** A new session directory, with the kind's tool launched into it where it can be. */
  private freshLaunch(kind: 'openvpn' | 'wireguard'): Launch {
    return newLaunch(this.sessionsDir, this.options.netns ?? null, this.options.prelaunchers?.[kind]);
  }

  /** The helper's own verdict on a profile, and its conflicts with running sessions; throws a refusal. */
  private inspect(profile: { kind: 'openvpn' | 'wireguard'; text: string; name: string }): Verdict {
    const inspection = this.inspections.get(profile, () => inspectProfile(profile.text, { kind: profile.kind, fileName: profile.name, policy: this.policy }));
    if (!inspection.ok || inspection.canonical === null) {
      const first = inspection.errors[0];
      throw new HelperFailure(
        'profile-refused',
        first
          ? { en: `The helper refused this profile. ${first.message.en}`, ja: `ヘルパーはこのプロファイルを拒否しました。${first.message.ja}` }
          : { en: 'The helper refused this profile.', ja: 'ヘルパーはこのプロファイルを拒否しました。' },
        inspection.errors.map((e) => `${e.code} line ${e.line}: ${e.text}`).join('\n'),
      );
    }
    const fullTunnel = isFullTunnel(inspection);
    for (const other of this.sessions.values()) {
      if (other.stopping) continue;
      if (fullTunnel && other.info.fullTunnel) {
        throw new HelperFailure('conflict-full-tunnel', {
          en: `“${other.info.name}” already sends all traffic through its tunnel. Disconnect it before connecting “${profile.name}”, which does the same.`,
          ja: `「${other.info.name}」がすでにすべての通信をトンネル経由にしています。同じ動作をする「${profile.name}」に接続する前に、そちらを切断してください。`,
        });
      }
      if (other.canonical === inspection.canonical) {
        throw new HelperFailure('already-connected', {
          en: `“${other.info.name}” is already connected with this same profile.`,
          ja: `このプロファイルは「${other.info.name}」としてすでに接続されています。`,
        });
      }
    }
    return { inspection: inspection as Verdict['inspection'], fullTunnel };
  }

  private async startSession(
    launch: Launch,
    { inspection, fullTunnel }: Verdict,
    profile: { kind: 'openvpn' | 'wireguard'; text: string; name: string },
    options: { connectTimeoutSeconds?: number; credentials?: Credentials },
    uid: number,
  ): Promise<HelperResult<'connect'>> {
    const { id, workDir, prelaunched } = launch;
    const info: SessionInfo = {
      id,
      kind: inspection.kind,
      name: profile.name,
      uid,
      state: { status: 'connecting', phase: 'starting' },
      startedAt: Date.now(),
      fullTunnel,
      interfaceName: null,
      bytesIn: 0,
      bytesOut: 0,
    };
    const log = this.options.log;
    // The driver's callbacks need the session, which needs the driver: close the loop by reference.
    const ref: { session?: Session } = {};
    const context: DriverContext = {
      sessionId: id,
      workDir,
      inspection,
      connectTimeoutMs: (options.connectTimeoutSeconds ?? 0) * 1000 || this.options.defaultConnectTimeoutMs || 30_000,
      netns: this.options.netns ?? null,
      initialCredentials: options.credentials,
      ...(prelaunched ? { prelaunched } : {}),
      events: {
        state: (state) => ref.session && this.onState(ref.session, state),
        counters: (bytesIn, bytesOut) => {
          info.bytesIn = bytesIn;
          info.bytesOut = bytesOut;
        },
        credentialsRequired: (request) => this.emit({ event: 'credentials-required', sessionId: id, request, at: Date.now() }),
        log: (level, text) => log.add(level, text, id, uid, true),
      },
    };
    const driver = this.options.drivers[inspection.kind](context);
    const session: Session = {
      info,
      driver,
      stopping: null,
      statsTimer: null,
      refreshing: false,
      lastCounters: { at: Date.now(), bytesIn: 0, bytesOut: 0 },
      workDir,
      canonical: inspection.canonical,
      refillStandby: this.standby !== null,
    };
    ref.session = session;
    this.sessions.set(id, session);
    // Start the driver before announcing anything: the tunnel's own start-up is the long pole.
    const starting = driver.start();
    log.add('info', `session ${id} (${inspection.kind}, “${profile.name}”) requested by uid ${uid}`, id, uid);
    if (info.state.status === 'connecting' && info.state.phase === 'starting') this.emit({ event: 'state', sessionId: id, state: info.state, at: Date.now() });
    try {
      await starting;
    } catch (e) {
      this.onState(session, {
        status: 'error',
        code: 'start-failed',
        message: { en: 'The VPN could not be started.', ja: 'VPN を開始できませんでした。' },
        detail: e instanceof Error ? e.message : String(e),
      });
    }
    return { sessionId: id };
  }

  private onState(session: Session, state: TunnelState): void {
    const { info } = session;
    info.state = state;
    info.interfaceName = session.driver.interfaceName();
    this.emit({ event: 'state', sessionId: info.id, state, at: Date.now() });
    if (session.refillStandby && state.status !== 'connecting') {
      // Settled (up, waiting for the user, or failed): prepare the next connect, after this event
      // has gone out and not while the tunnel was still coming up.
      session.refillStandby = false;
      setImmediate(() => this.standby?.fill(info.kind));
    }
    this.options.log.add(state.status === 'error' ? 'error' : 'info', `state ${describeState(state)}`, info.id, info.uid);
    if (state.status === 'connected') this.startStats(session);
    else this.stopStats(session);
    if (state.status === 'error') void this.finish(session, `error: ${state.code}`);
    else if (state.status === 'disconnected') void this.finish(session, state.reason);
  }

  private startStats(session: Session): void {
    if (session.statsTimer) return;
    session.lastCounters = { at: Date.now(), bytesIn: session.info.bytesIn, bytesOut: session.info.bytesOut };
    const send = () => {
      const now = Date.now();
      const { bytesIn, bytesOut } = session.info;
      const seconds = Math.max((now - session.lastCounters.at) / 1000, 0.001);
      const rateIn = Math.max(0, (bytesIn - session.lastCounters.bytesIn) / seconds);
      const rateOut = Math.max(0, (bytesOut - session.lastCounters.bytesOut) / seconds);
      session.lastCounters = { at: now, bytesIn, bytesOut };
      this.emit({ event: 'stats', sessionId: session.info.id, bytesIn, bytesOut, rateIn, rateOut, at: now });
    };
    // Fresh counters first where the driver reads them on demand (a reply within the same
    // wake-up, in practice well under a millisecond); a tool that has not answered by the next
    // tick gets its stats sent with the counters known.
    const tick = () => {
      if (!session.driver.refreshCounters || session.refreshing) {
        send();
        return;
      }
      session.refreshing = true;
      void session.driver.refreshCounters().catch(() => undefined).then(() => {
        session.refreshing = false;
        if (session.statsTimer) send();
      });
    };
    tick();
    session.statsTimer = setInterval(tick, this.options.statsIntervalMs ?? 1000);
  }

  private stopStats(session: Session): void {
    if (session.statsTimer) clearInterval(session.statsTimer);
    session.statsTimer = null;
  }

  /** Terminal state reached: make sure everything is torn down, then forget the session. */
  private async finish(session: Session, reason: string): Promise<void> {
    await this.stopDriver(session, reason);
    if (this.sessions.get(session.info.id) !== session) return;
    this.sessions.delete(session.info.id);
    rmSync(session.workDir, { recursive: true, force: true });
    this.emit({ event: 'session-removed', sessionId: session.info.id, at: Date.now() });
  }

  private stopDriver(session: Session, reason: string): Promise<void> {
    // Record the stop before calling the driver: a driver reports `disconnected` from inside
    // stop(), which lands in onState → finish → here again, and must find the stop under way.
    session.stopping ??= Promise.resolve()
      .then(() => session.driver.stop(reason))
      .catch((e: unknown) => {
        this.options.log.add('error', `teardown failed: ${e instanceof Error ? e.message : String(e)}`, session.info.id, session.info.uid);
      });
    return session.stopping;
  }

  async disconnect(target: { sessionId?: string; all?: boolean }, uid: number): Promise<HelperResult<'disconnect'>> {
    const chosen = target.all
      ? [...this.sessions.values()].filter((s) => uid === 0 || s.info.uid === uid)
      : [this.sessions.get(target.sessionId ?? '')].filter((s): s is Session => s !== undefined);
    if (!target.all && chosen.length === 0) {
      throw new HelperFailure('no-such-session', { en: `There is no session ${target.sessionId ?? ''}.`, ja: `セッション ${target.sessionId ?? ''} はありません。` });
    }
    for (const s of chosen) {
      if (uid !== 0 && s.info.uid !== uid) {
        throw new HelperFailure('not-permitted', { en: 'Only the user who started this session (or root) can end it.', ja: 'このセッションを終了できるのは、開始したユーザー (または root) だけです。' });
      }
    }
    await Promise.all(chosen.map(async (s) => {
      await this.stopDriver(s, 'requested by the user');
      await this.finish(s, 'requested by the user');
    }));
    return { sessionIds: chosen.map((s) => s.info.id) };
  }

  provideCredentials(sessionId: string, credentials: Credentials, uid: number): HelperResult<'credentials'> {
    const s = this.sessions.get(sessionId);
    if (!s) throw new HelperFailure('no-such-session', { en: `There is no session ${sessionId}.`, ja: `セッション ${sessionId} はありません。` });
    if (uid !== 0 && s.info.uid !== uid) {
      throw new HelperFailure('not-permitted', { en: 'Only the user who started this session (or root) can answer its prompts.', ja: 'このセッションの入力要求に応答できるのは、開始したユーザー (または root) だけです。' });
    }
    return { accepted: s.driver.provideCredentials(credentials) };
  }

  /** Stops every session (helper shutdown). */
  async shutdown(): Promise<void> {
    await Promise.all([this.standby?.close(), ...[...this.sessions.values()].map((s) => this.finish(s, 'helper stopped'))]);
  }
}

export function describeState(state: TunnelState): string {
  switch (state.status) {
    case 'connecting':
      return `connecting (${state.phase})`;
    case 'connected':
      return `connected ${state.localIp} via ${state.remote}`;
    case 'reconnecting':
      return `reconnecting (${state.reason}, attempt ${state.attempt})`;
    case 'disconnected':
      return `disconnected (${state.reason})`;
    case 'error':
      return `error ${state.code}: ${state.message.en}${state.detail ? ` — ${state.detail}` : ''}`;
    default:
      return state.status;
  }
}
