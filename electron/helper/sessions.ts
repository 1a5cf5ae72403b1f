/**
 * Sessions: one running tunnel each. The manager re-inspects every profile with the shared engine
 * and the security policy (the caller is never trusted), refuses conflicting tunnels, drives one
 * Driver per session, and turns what drivers report into the events clients see: state changes as
 * they happen, statistics every second while connected, credential prompts and log lines.
 *
 * Routing is global, so each session claims the prefixes it routes into its tunnel: the profile's
 * before connect, then the effective ones once the driver knows what the server pushed. A claim
 * that overlaps another user's (or, for one user, two full tunnels or two overlapping split
 * tunnels) is refused or ends the new session, never the one already up (shared/profiles/routes.ts).
 * Each uid has a cap on its sessions and on its connect rate (limits.ts).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import type {
  connectOptions,
  Credentials,
  HelperEvent,
  HelperResult,
  SessionInfo,
  TunnelState,
} from '../../shared/ipc/helper-protocol.js';
import { profileRoutes, type InspectOk, type InspectResult } from '../../shared/profiles/inspect.js';
import type { ProfileKind } from '../../shared/profiles/kinds.js';
import type { ProfilePolicy } from '../../shared/profiles/policy.js';
import { reachedHosts } from '../../shared/policy/servers-of.js';
import { defaultPolicyValues, type PolicyValues } from '../../shared/policy/table.js';
import { findRouteConflict, isFullTunnel, type RouteClaim } from '../../shared/profiles/routes.js';
import type { Driver, DriverContext, DriverFactory, Prelauncher } from './drivers/driver.js';
import { DRIVERS } from './drivers/registry.js';
import { HelperFailure, MAX_ERROR_DETAIL_CHARS, truncate } from './failure.js';
import { InspectionCache } from './inspection-cache.js';
import { Inspector, type Inspected } from './inspector.js';
import { DEFAULT_LIMITS, LaunchBuckets, type HelperLimits } from './limits.js';
import { stateMessage, type HelperLog } from './log.js';
import { disconnectDenial, personalProfileDenial, serverDenial } from './policy/enforce.js';
import type { ProvisionedProfile } from './policy/provisioned.js';
import { discardLaunch, newLaunch, StandbyPool, type Launch } from './standby.js';
import type { FirewallController } from './firewall/controller.js';
import { hostsToResolve, killSwitchRefusal, pinnedText, profileEndpoints, resolveServers, type Resolver } from './firewall/endpoints.js';
import { wireGuardFwMark, type Endpoint } from './firewall/intent.js';
import { interfaceNameFor } from './drivers/wireguard/names.js';
import { deviceNameFor } from './drivers/openvpn/device.js';

export type ConnectOptions = z.infer<typeof connectOptions>;

export interface SessionManagerOptions {
  runDir: string;
  log: HelperLog;
  /** Drivers in place of the registry's (drivers/registry.ts) for some kinds (tests); the registry's for the others. */
  drivers?: { [K in ProfileKind]?: DriverFactory<K> };
  /** Drivers whose tool can be launched while the profile is inspected (see Prelauncher); none unless given. */
  prelaunchers?: Partial<Record<ProfileKind, Prelauncher>>;
  /** Keep a started tool waiting for the next connect of its kind (standby.ts); default false. */
  standby?: boolean;
  /** The administrator's policy in force now (policy/service.ts); the defaults when not given. */
  policy?: () => PolicyValues;
  /** A provisioned profile by id (policy/provisioned.ts): read by the helper, never by a caller. */
  provisioned?: (id: string) => ProvisionedProfile | undefined;
  netns?: string | null;
  defaultConnectTimeoutMs?: number;
  statsIntervalMs?: number;
  limits?: Partial<HelperLimits>;
  /** The kill switch (firewall/controller.ts); without it no session is guarded (unit tests). */
  firewall?: FirewallController;
  /** Server name lookups (firewall/endpoints.ts); the system's resolver when not given. */
  resolver?: Resolver;
}

/** The kill switch as a session asked for it: what the firewall lets through for it once it guards it. */
interface KillSwitchPlan {
  /** The caller's choice (absent: on for full tunnels); the policy and lockdown override it. */
  requested: boolean | undefined;
  allowLan: boolean | undefined;
  endpoints: Endpoint[];
  dnsServers: string[];
  /** The tunnel's addresses known before it is up (WireGuard's Address), bare. */
  tunnelAddresses: string[];
}

/** Profile errors listed in a refusal's detail (the engine's total is named after them). */
const MAX_LISTED_ERRORS = 20;

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
  /** The prefixes this session routes into its tunnel (the profile's, then the effective ones). */
  claim: RouteClaim;
  killSwitch: KillSwitchPlan;
  /** The user disconnected it (or the helper is quitting): its kill-switch block is lifted. */
  explicitStop: boolean;
  /** The first kill switch apply, started with the tool: true once verified in the kernel, false when it failed. */
  guarding: Promise<boolean> | null;
  /** The driver's states waiting behind the firewall (report), in order. */
  reports: Promise<void>;
  pendingReports: number;
}

/** A profile the helper accepted: its own inspection, and the prefixes it routes. */
interface Verdict {
  inspection: InspectOk;
  prefixes: string[];
  /** The profile's own canonical text (before its server names were pinned to addresses). */
  canonical: string;
  killSwitch: KillSwitchPlan;
}

/**
 * A conflict in words and in data: the network, and the other session's name and id only when it
 * is the caller's own (the app offers "Disconnect it and connect" by that id).
 */
function routeConflict(conflict: { other: RouteClaim; network: string }, uid: number, otherSessionId: string | undefined): HelperFailure {
  const mine = conflict.other.uid === uid;
  return new HelperFailure('route-conflict', {
    en: `This tunnel would route ${conflict.network}, which ${mine ? `“${conflict.other.name}”` : "another user's connection"} already routes. ${mine ? 'Disconnect it first.' : 'Try again once it has ended.'}`,
    ja: `このトンネルは ${conflict.network} をルーティングしますが、${mine ? `「${conflict.other.name}」` : '別のユーザーの接続'}がすでにルーティングしています。${mine ? '先にそちらを切断してください。' : 'その接続が終了してから、もう一度お試しください。'}`,
  }, `route-conflict: ${conflict.network}`, { network: conflict.network, ...(mine && otherSessionId !== undefined ? { sessionId: otherSessionId } : {}) });
}

/**
 * A kill switch asked for explicitly (connect option `killSwitch: true`, `tsunagu connect
 * --kill-switch`) on a tunnel that carries only some networks: refused, never connected unguarded.
 * `by`: the profile says so (before connect), or the OpenVPN server pushed no default route.
 */
function splitKillSwitchRefusal(by: 'profile' | 'server'): HelperFailure {
  return new HelperFailure('kill-switch-needs-full-tunnel', by === 'profile' ? {
    en: 'The kill switch works only for a tunnel that carries all traffic; this profile routes only some networks through the VPN.',
    ja: 'キルスイッチはすべての通信を通すトンネルでのみ使えます。このプロファイルは一部のネットワークだけを VPN 経由にしています。',
  } : {
    en: 'The kill switch works only for a tunnel that carries all traffic; the server routes only some networks through the VPN, so the connection was stopped. Connect without the kill switch to use it as it is.',
    ja: 'キルスイッチはすべての通信を通すトンネルでのみ使えます。サーバーが一部のネットワークだけを VPN 経由にしているため、接続を停止しました。このまま使うにはキルスイッチなしで接続してください。',
  }, by === 'profile' ? 'killSwitch was requested for a split tunnel' : 'killSwitch was requested and the server pushed no default route (a split tunnel)');
}

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  /** Verdicts under one AllowScripts value: a change of policy starts a fresh cache. */
  private inspections = { allowScripts: false, cache: new InspectionCache<Inspected>() };
  private readonly inspector: Inspector;
  private readonly listeners = new Set<(event: HelperEvent, owner: number) => void>();
  private readonly limits: HelperLimits;
  private readonly launches: LaunchBuckets;
  /** Connect requests of each uid between their checks and their session's registration. */
  private readonly connecting = new Map<number, number>();
  private readonly standby: StandbyPool | null;

  constructor(private readonly options: SessionManagerOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.launches = new LaunchBuckets(this.limits.launchBurst, this.limits.launchesPerMinute);
    this.inspector = new Inspector(this.profilePolicy(), this.limits.inspectionTimeoutMs);
    this.standby = options.standby
      ? new StandbyPool({ sessionsDir: this.sessionsDir, netns: options.netns ?? null, prelaunchers: options.prelaunchers ?? {}, log: options.log })
      : null;
  }

  /** The policy in force, read again on every request. */
  policy(): PolicyValues {
    return this.options.policy?.() ?? defaultPolicyValues();
  }

  private profilePolicy(): ProfilePolicy {
    return { allowScripts: this.policy().AllowScripts };
  }

  /** The helper's verdict on a provisioned profile under the policy in force (for its summary). */
  async inspectProvisioned(profile: ProvisionedProfile): Promise<InspectResult> {
    return (await this.inspector.inspect(profile, this.profilePolicy())).result;
  }

  private get sessionsDir(): string {
    return join(this.options.runDir, 'sessions');
  }

  /** Every event, with `owner`: the uid of the session it concerns (who, besides root, may see it). */
  onEvent(listener: (event: HelperEvent, owner: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: HelperEvent, owner: number): void {
    for (const listener of this.listeners) listener(event, owner);
  }

  /** The sessions `viewerUid` may see: its own, or every one for root. */
  list(viewerUid: number): SessionInfo[] {
    const firewall = this.options.firewall;
    return [...this.sessions.values()]
      .filter((s) => viewerUid === 0 || s.info.uid === viewerUid)
      .map((s) => ({ ...s.info, traffic: firewall ? firewall.trafficOf(s.info.id) : 'unprotected' }));
  }

  /**
   * Connects a profile the caller sent (`personal`: the policy's limits on personal profiles
   * apply) or, through connectProvisioned, one IT provisioned.
   */
  async connect(
    profile: { kind: ProfileKind; text: string; name: string },
    options: ConnectOptions,
    uid: number,
    personal = true,
  ): Promise<HelperResult<'connect'>> {
    if (personal) {
      const denial = personalProfileDenial(this.policy(), profile.kind);
      if (denial) throw denial;
    }
    this.checkLimits(uid);
    this.connecting.set(uid, (this.connecting.get(uid) ?? 0) + 1);
    // With a standby waiting, the tool is already loaded. Otherwise it loads while the profile is
    // inspected (it runs nothing until the driver feeds it), and is killed if the profile fails.
    let launch: Launch | null = null;
    try {
      launch = this.standby?.has(profile.kind) ? null : this.freshLaunch(profile.kind);
      const inspected = await this.inspect(profile, uid);
      if (personal && inspected.profile) {
        // The policy as it is once the inspection is done (it may have been reloaded meanwhile).
        const denial = personalProfileDenial(this.policy(), inspected.kind) ?? serverDenial(this.policy(), reachedHosts(inspected.profile));
        if (denial) throw denial;
      }
      const { pinned, killSwitch } = await this.pinServers(inspected, profile, options, uid);
      // Checked after the inspection's wait, with nothing awaited before the session is registered.
      const verdict = { ...this.checkConflicts(inspected, profile, uid), inspection: pinned, killSwitch };
      // Only a profile that passed (and does not conflict) gets the standby.
      const chosen = launch ?? this.standby?.take(profile.kind) ?? this.freshLaunch(profile.kind);
      launch = chosen;
      return await this.startSession(chosen, verdict, profile, options, uid);
    } catch (e) {
      if (launch && !this.sessions.has(launch.id)) discardLaunch(launch);
      throw e;
    } finally {
      const left = (this.connecting.get(uid) ?? 1) - 1;
      if (left > 0) this.connecting.set(uid, left);
      else this.connecting.delete(uid);
    }
  }

  /** Connects the provisioned profile `id`: its text is the helper's own copy, never the caller's. */
  connectProvisioned(id: string, options: ConnectOptions, uid: number): Promise<HelperResult<'connect'>> {
    const profile = this.options.provisioned?.(id);
    if (!profile) {
      return Promise.reject(new HelperFailure('no-such-profile', { en: `There is no provisioned profile '${id}'.`, ja: `配布プロファイル '${id}' はありません。` }));
    }
    return this.connect({ kind: profile.kind, text: profile.text, name: profile.name }, options, uid, false);
  }

  /** Refuses a connect over the uid's session cap or launch rate (a refusal takes no token); root has neither. */
  private checkLimits(uid: number): void {
    if (uid === 0) return;
    const { sessionsPerUid, launchesPerMinute } = this.limits;
    const running = [...this.sessions.values()].filter((s) => s.info.uid === uid && !s.stopping).length + (this.connecting.get(uid) ?? 0);
    if (running >= sessionsPerUid) {
      throw new HelperFailure('too-many-sessions', {
        en: `This user already has ${sessionsPerUid} VPN sessions, the most the helper allows. Disconnect one first.`,
        ja: `このユーザーはすでにヘルパーの上限である ${sessionsPerUid} 個の VPN セッションを使用しています。先にいずれかを切断してください。`,
      });
    }
    if (!this.launches.take(uid)) {
      throw new HelperFailure('too-many-launches', {
        en: `Too many connection attempts: the helper allows ${launchesPerMinute} a minute per user. Wait a moment and try again.`,
        ja: `接続の試行が多すぎます。ヘルパーが許可するのはユーザーごとに 1 分あたり ${launchesPerMinute} 回までです。しばらく待ってから、もう一度お試しください。`,
      });
    }
  }

  /** A new session directory, with the kind's tool launched into it where it can be. */
  private freshLaunch(kind: ProfileKind): Launch {
    return newLaunch(this.sessionsDir, this.options.netns ?? null, this.options.prelaunchers?.[kind]);
  }

  /** The helper's own verdict on a profile (in the inspection worker); throws a refusal. */
  private async inspect(profile: { kind: ProfileKind; text: string; name: string }, uid: number): Promise<InspectOk> {
    const policy = this.profilePolicy();
    if (this.inspections.allowScripts !== policy.allowScripts) this.inspections = { allowScripts: policy.allowScripts, cache: new InspectionCache<Inspected>() };
    const { result: inspection, errorCount } = await this.inspections.cache.get(profile, uid, () => this.inspector.inspect(profile, policy));
    if (!inspection.ok) {
      const first = inspection.errors[0];
      const listed = inspection.errors.slice(0, MAX_LISTED_ERRORS).map((e) => `${e.code} line ${e.line}: ${e.text}`);
      if (errorCount > listed.length) listed.push(`… ${errorCount - listed.length} more errors`);
      throw new HelperFailure(
        'profile-refused',
        first
          ? { en: `The helper refused this profile. ${first.message.en}`, ja: `ヘルパーはこのプロファイルを拒否しました。${first.message.ja}` }
          : { en: 'The helper refused this profile.', ja: 'ヘルパーはこのプロファイルを拒否しました。' },
        listed.join('\n'),
      );
    }
    return inspection;
  }

  /**
   * Resolves the profile's server names (every kind, kill switch or not: a name that does not
   * resolve fails here, at once) and pins the profile to the addresses: the text is written again
   * and inspected again by the helper, so the tool reads exactly what was checked and never needs
   * DNS outside the tunnel. Also checks the kill switch options against the profile.
   */
  private async pinServers(inspected: InspectOk, profile: { kind: ProfileKind; name: string }, options: ConnectOptions, uid: number): Promise<{ pinned: InspectOk; killSwitch: KillSwitchPlan }> {
    const resolved = await resolveServers(hostsToResolve(inspected.profile), this.options.resolver);
    const full = isFullTunnel(profileRoutes(inspected.profile));
    // An OpenVPN server may still push a default route: checked again once its routes are known (onRoutesKnown).
    if (options.killSwitch === true && !full && inspected.kind !== 'openvpn' && !this.options.firewall?.lockdownActive()) throw splitKillSwitchRefusal('profile');
    const killSwitch: KillSwitchPlan = {
      requested: options.killSwitch,
      allowLan: options.allowLan,
      endpoints: profileEndpoints(inspected.profile, resolved),
      dnsServers: inspected.profile.kind === 'wireguard' ? inspected.profile.interface.dns.servers : [],
      tunnelAddresses: inspected.profile.kind === 'wireguard' ? inspected.profile.interface.addresses.map((a) => a.replace(/\/\d+$/, '')) : [],
    };
    // A proxy the kill switch cannot guard (on this computer, SOCKS for UDP): refused whenever a table may hold the session.
    const refusal = killSwitchRefusal(inspected.profile, resolved);
    if (refusal && (options.killSwitch === true || this.guardWanted(killSwitch, full) !== null)) throw refusal;
    const text = pinnedText(inspected.profile, resolved);
    if (text === null) return { pinned: inspected, killSwitch };
    const again = await this.inspect({ kind: inspected.kind, text, name: profile.name }, uid);
    const pinnedHosts = hostsToResolve(again.profile).map((n) => n.host);
    if (again.kind !== inspected.kind || pinnedHosts.some((h) => ![...resolved.values()].some((a) => a.includes(h)))) {
      throw new HelperFailure('profile-refused', { en: 'The helper refused this profile.', ja: 'ヘルパーはこのプロファイルを拒否しました。' }, `the profile pinned to its servers' addresses reads differently: ${pinnedHosts.join(', ')}`);
    }
    this.options.log.message('info', 'session.serversPinned', { pins: [...resolved.entries()].filter(([h, a]) => a[0] !== h).map(([h, a]) => `${h} → ${a.join(', ')}`).join('; ') }, null, uid);
    return { pinned: again, killSwitch };
  }

  /**
   * How the firewall takes a session: `kill-switch` for a full tunnel (the policy forces it, else
   * the caller's choice, on by default); `rider` for any other session while a table holds
   * (lockdown, another session's kill switch, a block): its own packets must pass, and its end
   * leaves no block of its own; null: no table, nothing to do.
   */
  private guardWanted(plan: KillSwitchPlan, fullTunnel: boolean): 'kill-switch' | 'rider' | null {
    const firewall = this.options.firewall;
    if (!firewall) return null;
    if (fullTunnel && (this.policy().KillSwitch || plan.requested !== false)) return 'kill-switch';
    return firewall.intent().mode === 'off' ? null : 'rider';
  }

  private async guard(session: Session, how: 'kill-switch' | 'rider'): Promise<void> {
    const { info, killSwitch } = session;
    await this.options.firewall?.guard({
      id: info.id,
      uid: info.uid,
      allowLan: killSwitch.allowLan ?? false,
      // WireGuard marks with its interface's own mark (firewall/intent.ts wireGuardFwMark).
      endpoints: info.kind === 'wireguard' ? killSwitch.endpoints.map((e) => ({ ...e, mark: wireGuardFwMark(interfaceNameFor(info.id)) })) : killSwitch.endpoints,
      dnsServers: killSwitch.dnsServers,
      // WireGuard's interface and OpenVPN's tun/tap device are the helper's to name: allowed from
      // the first apply, so "connected" needs no second one. IKEv2's is charon's: known up front
      // from a standby charon (its TUN device is made as it loads), else once charon says so.
      interfaceName: info.kind === 'wireguard' ? interfaceNameFor(info.id) : info.kind === 'openvpn' ? deviceNameFor(info.id) : session.driver.interfaceName(),
      tunnelAddresses: killSwitch.tunnelAddresses,
      strandOnDrop: how === 'kill-switch',
    });
    if (how === 'kill-switch') this.options.log.message('info', killSwitch.allowLan ? 'session.killSwitchOnLan' : 'session.killSwitchOn', {}, info.id, info.uid);
  }

  /** The claims of the sessions that are not being torn down (but `except`). */
  private claims(except?: Session): RouteClaim[] {
    return [...this.sessions.values()].filter((s) => s !== except && !s.stopping).map((s) => s.claim);
  }

  /** The id of the session that holds `claim` (one of `claims()`). */
  private sessionIdOf(claim: RouteClaim): string | undefined {
    return [...this.sessions.values()].find((s) => s.claim === claim)?.info.id;
  }

  /** Refuses a profile whose routes conflict with a running session's, or that is already connected. */
  private checkConflicts(inspection: InspectOk, profile: { name: string }, uid: number): Verdict {
    const prefixes = profileRoutes(inspection.profile);
    const conflict = findRouteConflict({ uid, name: profile.name, prefixes }, this.claims());
    if (conflict) throw routeConflict(conflict, uid, this.sessionIdOf(conflict.other));
    for (const other of this.sessions.values()) {
      if (other.stopping || other.canonical !== inspection.canonical) continue;
      const mine = other.info.uid === uid;
      throw new HelperFailure('already-connected', {
        en: mine ? `“${other.info.name}” is already connected with this same profile.` : "This same profile is already connected by another user.",
        ja: mine ? `このプロファイルは「${other.info.name}」としてすでに接続されています。` : 'このプロファイルは別のユーザーがすでに接続しています。',
      });
    }
    return { inspection, prefixes, canonical: inspection.canonical, killSwitch: { requested: undefined, allowLan: undefined, endpoints: [], dnsServers: [], tunnelAddresses: [] } };
  }

  /**
   * The driver's effective routes (DriverEvents.routesKnown): the session's claim grows to them,
   * and a conflict with any other session ends this one, with `route-conflict`.
   */
  private onRoutesKnown(session: Session, prefixes: string[]): boolean {
    const claim = session.claim;
    claim.prefixes = [...new Set([...claim.prefixes, ...prefixes])];
    session.info.fullTunnel = isFullTunnel(claim.prefixes);
    if (session.stopping) return false;
    // Asked for explicitly, a kill switch that would guard nothing ends the session before any
    // route is added (the driver stops the tool), as the other kinds' split tunnels are refused
    // before connect; under lockdown the session is guarded anyway (it rides along the table).
    if (session.killSwitch.requested === true && !session.info.fullTunnel && !this.options.firewall?.lockdownActive()) {
      const f = splitKillSwitchRefusal('server');
      this.onState(session, { status: 'error', code: f.code, message: f.userMessage, ...(f.detail ? { detail: f.detail } : {}) });
      return false;
    }
    const conflict = findRouteConflict(claim, this.claims(session));
    if (!conflict) {
      // A server that pushed a default route: the kill switch comes on now (its table before any route changes).
      const firewall = this.options.firewall;
      const how = firewall ? this.guardWanted(session.killSwitch, session.info.fullTunnel) : null;
      if (firewall && how === 'kill-switch' && firewall.isGuarded(session.info.id)) firewall.promote(session.info.id);
      if (firewall && how !== null && !firewall.isGuarded(session.info.id)) {
        this.guard(session, how).catch((e: unknown) => {
          const f = e instanceof HelperFailure ? e : new HelperFailure('firewall-apply-failed', { en: 'The kill switch could not be turned on.', ja: 'キルスイッチを有効にできませんでした。' }, String(e));
          this.onState(session, { status: 'error', code: f.code, message: f.userMessage, ...(f.detail ? { detail: f.detail } : {}) });
        });
      }
      return true;
    }
    const failure = routeConflict(conflict, claim.uid, this.sessionIdOf(conflict.other));
    this.onState(session, { status: 'error', code: failure.code, message: failure.userMessage, ...(failure.detail ? { detail: failure.detail } : {}), ...(failure.conflict ? { conflict: failure.conflict } : {}) });
    return false;
  }

  private async startSession(
    launch: Launch,
    { inspection, prefixes, canonical, killSwitch }: Verdict,
    profile: { kind: ProfileKind; text: string; name: string },
    options: ConnectOptions,
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
      fullTunnel: isFullTunnel(prefixes),
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
      // Before this session is in the map: any session there is another one.
      guardRoutes: this.claims().length > 0,
      initialCredentials: options.credentials,
      ...(prelaunched ? { prelaunched } : {}),
      events: {
        state: (state) => ref.session && this.report(ref.session, state),
        counters: (bytesIn, bytesOut) => {
          info.bytesIn = bytesIn;
          info.bytesOut = bytesOut;
        },
        credentialsRequired: (request) => this.emit({ event: 'credentials-required', sessionId: id, request, at: Date.now() }, uid),
        log: (level, text) => log.add(level, text, id, uid, true),
        message: (level, code, params) => log.message(level, code, params, id, uid, true),
        routesKnown: (effective) => (ref.session ? this.onRoutesKnown(ref.session, effective) : false),
        handshake: (at) => {
          info.lastHandshakeAt = at;
        },
        tunnelDns: (servers) => {
          void this.options.firewall?.setDns(id, servers);
        },
      },
    };
    const driver = this.createDriver(inspection.kind, context);
    const session: Session = {
      info,
      driver,
      stopping: null,
      statsTimer: null,
      refreshing: false,
      lastCounters: { at: Date.now(), bytesIn: 0, bytesOut: 0 },
      workDir,
      canonical,
      refillStandby: this.standby !== null,
      claim: { uid, name: profile.name, prefixes },
      killSwitch,
      explicitStop: false,
      guarding: null,
      reports: Promise.resolve(),
      pendingReports: 0,
    };
    ref.session = session;
    this.sessions.set(id, session);
    // The table goes in while the tool starts (off the connect's critical path): until the session
    // exists nothing was protected anyway, the tool's own packets are marked, and "connected" is
    // reported only once the table is verified in the kernel (report). Guarding is registered
    // synchronously here, before the driver's first routesKnown.
    const how = this.guardWanted(killSwitch, info.fullTunnel);
    let guardError: unknown = null;
    if (how !== null) {
      session.guarding = this.guard(session, how).then(
        () => true,
        (e: unknown) => {
          guardError = e;
          return false;
        },
      );
    }
    // Except over TCP (an OpenVPN proxy above all): a new table turns connection tracking on, and a
    // connection opened before it is picked up mid-stream, its first reply 'new' and dropped; openvpn
    // then waits for its proxy's answer without sending again, until the connect times out.
    if (session.guarding && killSwitch.endpoints.some((e) => e.protocol === 'tcp')) await session.guarding;
    // Start the driver before announcing anything: the tunnel's own start-up is the long pole.
    const starting = driver.start();
    log.message('info', 'session.requested', { sessionId: id, kind: inspection.kind, name: profile.name, uid }, id, uid);
    if (info.state.status === 'connecting' && info.state.phase === 'starting') this.emit({ event: 'state', sessionId: id, state: info.state, at: Date.now() }, uid);
    const [started] = await Promise.allSettled([starting, session.guarding]);
    if (session.guarding && !(await session.guarding)) {
      // The kill switch could not be set: the tunnel does not stay up unprotected, and connect fails as before.
      await this.stopDriver(session, 'the kill switch could not be set');
      await this.finish(session, 'the kill switch could not be set');
      throw guardError;
    }
    if (started.status === 'rejected') {
      const e: unknown = started.reason;
      this.onState(session, {
        status: 'error',
        code: 'start-failed',
        message: { en: 'The VPN could not be started.', ja: 'VPN を開始できませんでした。' },
        detail: e instanceof Error ? e.message : String(e),
      });
    }
    return { sessionId: id };
  }

  /**
   * A driver's state. A guarded session's states go out in order behind its firewall changes:
   * "connected" only once the rules that let the tunnel carry traffic are verified in the kernel
   * (the first apply, which already allows the interface the helper named for WireGuard and
   * OpenVPN; then any change queued before, such as OpenVPN's pushed DNS, and for IKEv2 the apply
   * allowing charon's interface); if they cannot be, the session ends with the firewall's error.
   */
  private report(session: Session, state: TunnelState): void {
    const firewall = this.options.firewall;
    if (!firewall || (session.guarding === null && session.pendingReports === 0 && !firewall.isGuarded(session.info.id))) {
      this.onState(session, state);
      return;
    }
    session.pendingReports++;
    session.reports = session.reports.then(async () => {
      try {
        if (state.status === 'connected') {
          if (session.guarding && !(await session.guarding)) return;
          if (session.stopping) return;
          // Waits for what lets the tunnel carry traffic: its interface (a change only where the
          // helper did not name it, IKEv2) and every change queued before (OpenVPN's pushed DNS).
          // Not for the tunnel address a server assigned (OpenVPN, IKEv2): it only feeds a drop
          // rule (rules.ts, packets for that address arriving outside the tunnel), allows
          // nothing, and goes in by onState's update right after "connected", off its critical
          // path. WireGuard's addresses are in the first apply already.
          const r = await firewall.interfaceUp(session.info.id, session.driver.interfaceName());
          if (!r.ok) {
            this.onState(session, { status: 'error', code: r.error.code, message: r.error.message, detail: truncate(r.error.detail, MAX_ERROR_DETAIL_CHARS) });
            return;
          }
          if (session.stopping) return;
        }
        this.onState(session, state);
      } finally {
        session.pendingReports--;
      }
    });
  }

  /** The kind's driver: the one given for it in the options, else the registry's. */
  private createDriver<K extends ProfileKind>(kind: K, context: DriverContext<K>): Driver {
    const factory = this.options.drivers?.[kind] ?? DRIVERS[kind].create;
    return factory(context);
  }

  private onState(session: Session, reported: TunnelState): void {
    const { info } = session;
    // A tool's error text can be long (a whole stderr): events stay as small as error replies.
    const state: TunnelState = reported.status === 'error' && reported.detail !== undefined ? { ...reported, detail: truncate(reported.detail, MAX_ERROR_DETAIL_CHARS) } : reported;
    info.state = state;
    info.interfaceName = session.driver.interfaceName();
    void this.options.firewall?.update(info.id, { interfaceName: info.interfaceName, connected: state.status === 'connected', localIp: state.status === 'connected' ? state.localIp : null });
    this.emit({ event: 'state', sessionId: info.id, state, at: Date.now() }, info.uid);
    if (session.refillStandby && state.status !== 'connecting') {
      // Settled (up, waiting for the user, or failed): prepare the next connect, after this event
      // has gone out and not while the tunnel was still coming up.
      session.refillStandby = false;
      setImmediate(() => {
        try {
          this.standby?.fill(info.kind);
        } catch (e) {
          this.options.log.message('warn', 'standby.unavailable', { kind: info.kind, error: e instanceof Error ? e.message : String(e) });
        }
      });
    }
    this.options.log.coded(state.status === 'error' ? 'error' : 'info', stateMessage(state), info.id, info.uid);
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
      const handshake = session.info.lastHandshakeAt === undefined ? {} : { lastHandshakeAt: session.info.lastHandshakeAt };
      this.emit({ event: 'stats', sessionId: session.info.id, bytesIn, bytesOut, rateIn, rateOut, ...handshake, at: now }, session.info.uid);
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
    await this.options.firewall?.release(session.info.id, session.explicitStop);
    try {
      rmSync(session.workDir, { recursive: true, force: true });
    } catch (e) {
      // Out of descriptors, say: the directory stays for crash cleanup; the session is over anyway.
      this.options.log.message('warn', 'session.workDirNotRemoved', { path: session.workDir, error: e instanceof Error ? e.message : String(e) }, session.info.id, session.info.uid);
    }
    this.emit({ event: 'session-removed', sessionId: session.info.id, at: Date.now() }, session.info.uid);
  }

  private stopDriver(session: Session, reason: string): Promise<void> {
    // Record the stop before calling the driver: a driver reports `disconnected` from inside
    // stop(), which lands in onState → finish → here again, and must find the stop under way.
    session.stopping ??= Promise.resolve()
      .then(() => session.driver.stop(reason))
      .catch((e: unknown) => {
        this.options.log.message('error', 'session.teardownFailed', { error: e instanceof Error ? e.message : String(e) }, session.info.id, session.info.uid);
      });
    return session.stopping;
  }

  async disconnect(target: { sessionId?: string; all?: boolean }, uid: number): Promise<HelperResult<'disconnect'>> {
    const denial = disconnectDenial(this.policy(), uid);
    if (denial) throw denial;
    // Another user's session is not there for this caller (its id says nothing it may know of).
    const visible = (s: Session | undefined): s is Session => s !== undefined && (uid === 0 || s.info.uid === uid);
    const chosen = target.all ? [...this.sessions.values()].filter(visible) : [this.sessions.get(target.sessionId ?? '')].filter(visible);
    // A guarded tunnel that dropped is gone, but its block is not: disconnecting it lifts the block.
    const firewall = this.options.firewall;
    if (firewall && chosen.length === 0 && firewall.strandedSession(target.all ? null : (target.sessionId ?? ''), uid)) {
      const held = firewall.status(uid).sessionId;
      await firewall.unblock(uid);
      return { sessionIds: held ? [held] : [] };
    }
    if (!target.all && chosen.length === 0) {
      throw new HelperFailure('no-such-session', { en: `There is no session ${target.sessionId ?? ''}.`, ja: `セッション ${target.sessionId ?? ''} はありません。` });
    }
    for (const s of chosen) s.explicitStop = true;
    await Promise.all(chosen.map(async (s) => {
      await this.stopDriver(s, 'requested by the user');
      await this.finish(s, 'requested by the user');
    }));
    // "Disconnect all" also ends a dropped tunnel's block the caller may lift.
    if (target.all && firewall?.strandedSession(null, uid)) await firewall.unblock(uid);
    return { sessionIds: chosen.map((s) => s.info.id) };
  }

  provideCredentials(sessionId: string, credentials: Credentials, uid: number): HelperResult<'credentials'> {
    const s = this.sessions.get(sessionId);
    if (!s || (uid !== 0 && s.info.uid !== uid)) throw new HelperFailure('no-such-session', { en: `There is no session ${sessionId}.`, ja: `セッション ${sessionId} はありません。` });
    // Cancelling a prompt ends the session: under AlwaysOn that is a disconnect like any other.
    const denial = credentials.kind === 'cancel' ? disconnectDenial(this.policy(), uid) : null;
    if (denial) throw denial;
    return { accepted: s.driver.provideCredentials(credentials) };
  }

  /** The network came back or changed (network-watch.ts): every live session reconnects now. */
  networkRestored(cause: string): void {
    for (const s of this.sessions.values()) if (!s.stopping) void s.driver.recover?.(cause).catch((e: unknown) => this.options.log.message('warn', 'session.recoverFailed', { error: e instanceof Error ? e.message : String(e) }, s.info.id, s.info.uid));
  }

  /** The uplink went away (network-watch.ts): drivers that cannot tell by themselves say so. */
  networkLost(): void {
    for (const s of this.sessions.values()) if (!s.stopping) s.driver.networkLost?.();
  }

  /** Stops every session (helper shutdown). */
  async shutdown(): Promise<void> {
    for (const s of this.sessions.values()) s.explicitStop = true;
    await Promise.all([this.standby?.close(), this.inspector.close(), ...[...this.sessions.values()].map((s) => this.finish(s, 'helper stopped'))]);
  }
}
