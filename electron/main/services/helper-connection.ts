/**
 * The app's link to the privileged helper. Keeps one connection open (reconnecting with backoff,
 * 0.5 s doubling to 10 s), tells the UI whether the helper is usable and, if not, how to fix it;
 * maps the helper's sessions to saved profiles; turns helper events into connection views; and
 * answers sign-in prompts with saved credentials before asking the user.
 *
 * The session ↔ profile map is kept on disk too, so tunnels keep their profile when the app is
 * restarted while the helper keeps them running.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import type { AppError, AppEvent, AppResult, ConnectionProtection, ConnectionView, FirewallView, HelperStatus, ManagedState } from '../../../shared/ipc/app-api.js';
import { locksFor, type Locks } from '../../../shared/policy/locks.js';
import { resolvePolicy } from '../../../shared/policy/resolve.js';
import type { CredentialRequest, Credentials, FirewallStatus, HelperEvent, HelperResult, LogLine, RequestType, SessionInfo, TunnelState } from '../../../shared/ipc/helper-protocol.js';
import { inspectProfile, profileRoutes } from '../../../shared/profiles/inspect.js';
import { isFullTunnel } from '../../../shared/profiles/routes.js';
import { mainTexts } from '../../../shared/i18n/main-catalog.js';
import { HelperClient, HelperRequestError, type HelperPayload } from '../helper-client.js';
import { writeFileAtomic } from './atomic-file.js';
import type { CredentialVault } from './credential-vault.js';
import { appError, errorDetail, failed, ok } from './errors.js';
import { EventSource } from './events.js';
import { DEFAULT_BACKOFF, nextBackoff, unavailableReason, unavailableStatus } from './helper-status.js';
import type { ProfileRecord } from './profile-record.js';
import type { ProfileStore } from './profile-store.js';
import type { FirewallOptions } from './settings-store.js';

/** What the manager needs from a helper connection (HelperClient; a fake in some tests). */
export interface HelperLink {
  readonly helperUid: number;
  readonly helperName: string;
  request<T extends RequestType>(type: T, payload: HelperPayload<T>): Promise<HelperResult<T>>;
  onEvent(listener: (event: HelperEvent) => void): () => void;
  onClosed(listener: () => void): void;
  close(): void;
}

export interface ConnectionChange {
  previous: ConnectionView | null;
  next: ConnectionView;
  /** The user asked for this disconnect (or cancelled the sign-in): not worth a notification. */
  userRequested: boolean;
}

export interface ConnectionManagerOptions {
  socketPath: string;
  profiles: Pick<ProfileStore, 'get'>;
  vault: Pick<CredentialVault, 'load' | 'save' | 'forget'>;
  /** Where the session ↔ profile map is kept (null: memory only). */
  sessionsFile: string | null;
  openLink?: (socketPath: string) => Promise<HelperLink>;
  backoff?: { minMs: number; maxMs: number };
  /** How long the helper may take to answer hello (default 10 s). */
  helloTimeoutMs?: number;
  /** The kill switch and LAN settings each connect (and always-on) sends (default: the helper's, no LAN). */
  firewallSettings?: () => FirewallOptions;
}

function isTerminal(state: TunnelState): boolean {
  return state.status === 'disconnected' || state.status === 'error';
}

/** A request error as the UI reports it: the helper's own words when it sent some. */
function requestError(e: unknown): AppError {
  if (e instanceof HelperRequestError) {
    const { code, message, detail, conflict } = e.error;
    return { code, message, ...(detail !== undefined ? { detail } : {}), ...(conflict !== undefined ? { conflict } : {}) };
  }
  return appError('helper-unavailable', 'errHelperUnavailable', {}, errorDetail(e));
}

/** The refusal of an action the administrator's policy locks. */
export function managedError(): AppError {
  return appError('policy-denied', 'errManaged');
}

/** The id a provisioned profile's connection view has in the app (a profile id never collides: distinct prefix). */
export function provisionedProfileId(id: string): string {
  return `pv${createHash('sha256').update(id).digest('hex').slice(0, 22)}`;
}

/** What a saved profile routes into its tunnel, read from its canonical text (no pushed routes). */
export function routingOf(record: Pick<ProfileRecord, 'kind' | 'canonical'>): Pick<ConnectionProtection, 'fullTunnel' | 'networks'> {
  const inspection = inspectProfile(record.canonical, { kind: record.kind });
  if (!inspection.profile) return { fullTunnel: false, networks: null };
  const routes = profileRoutes(inspection.profile);
  return { fullTunnel: isFullTunnel(routes), networks: routes.length };
}

/**
 * A helper without a firewall: an old one refuses the request it has no schema for as malformed,
 * one run without its kill switch says so. The app then says traffic is not protected.
 */
function hasNoFirewall(e: unknown): boolean {
  return e instanceof HelperRequestError && (e.error.code === 'bad-request' || e.error.code === 'firewall-unavailable');
}

const sessionsFileSchema = z.object({ version: z.literal(1), sessions: z.record(z.string(), z.string()) });

/** Fields of credentials the vault keeps. */
function savedField(credentials: Credentials): 'userpass' | 'passphrase' | null {
  if (credentials.kind === 'userpass' || credentials.kind === 'challenge') return 'userpass';
  return credentials.kind === 'passphrase' ? 'passphrase' : null;
}

const MAX_EARLY_EVENTS = 500;

/** The helper events that concern one session. */
type SessionEvent = Exclude<HelperEvent, { event: 'log' | 'policy-changed' | 'firewall' }>;

export class ConnectionManager {
  /** AppEvents for the renderer: connection views, stats, helper status, log lines. */
  readonly events = new EventSource<AppEvent>();
  /** Connection transitions, for notifications. */
  readonly changes = new EventSource<ConnectionChange>();
  /** Helper status transitions, for notifications and the tray. */
  readonly helperChanges = new EventSource<{ previous: HelperStatus; next: HelperStatus }>();

  private status: HelperStatus = { status: 'connecting' };
  private link: HelperLink | null = null;
  private stopped = true;
  private retryTimer: NodeJS.Timeout | null = null;
  private delayMs = 0;

  private readonly views = new Map<string, ConnectionView>();
  private readonly sessionProfiles = new Map<string, string>();
  /** The last session of each profile, for its log after the session ended. */
  private readonly lastSession = new Map<string, string>();
  private readonly userRequested = new Set<string>();
  /** Sessions answered from the vault, and with what (forgotten if the server refuses it). */
  private readonly answeredFromVault = new Map<string, 'userpass' | 'passphrase'>();
  /** What the user asked to remember, saved once the tunnel is up (so wrong passwords are not kept). */
  private readonly toRemember = new Map<string, Credentials[]>();
  /** Profiles whose Disconnect came while their connect request was still on its way. */
  private readonly cancelAfterConnect = new Set<string>();
  private connectsInFlight = 0;
  private early: SessionEvent[] = [];
  private savingSessions: Promise<void> = Promise.resolve();
  /** The helper's firewall as it last said (null: away, or a helper without one). */
  private firewallRaw: FirewallStatus | null = null;
  private firewallNow: FirewallView | null = null;
  /** The profile whose tunnel held the block last: after a helper restart no session holds it. */
  private blockProfile: string | null = null;
  /** What each profile routes, from its saved text (computed at connect). */
  private readonly routing = new Map<string, Pick<ConnectionProtection, 'fullTunnel' | 'networks'>>();
  /** The policy and provisioned profiles, from the helper (the defaults until it answers). */
  private managedNow: ManagedState = { policy: resolvePolicy([]).values, uid: process.getuid?.() ?? -1, provisioned: [] };

  constructor(private readonly options: ConnectionManagerOptions) {}

  helperStatus(): HelperStatus {
    return this.status;
  }

  managed(): ManagedState {
    return this.managedNow;
  }

  locks(): Locks {
    return locksFor(this.managedNow.policy, this.managedNow.uid);
  }

  /** Asks the helper for the policy and provisioned profiles again (at connect, and when it says they changed). */
  private async refreshManaged(link: HelperLink): Promise<void> {
    try {
      const [{ values }, { profiles }] = await Promise.all([link.request('policy', {}), link.request('provisioned', {})]);
      if (this.link !== link) return;
      this.managedNow = { policy: values, uid: link.helperUid, provisioned: profiles.map((p) => ({ ...p, profileId: provisionedProfileId(p.id) })) };
      this.events.emit({ type: 'managed', managed: this.managedNow });
    } catch {
      // A helper that goes away meanwhile is reported by onLinkClosed; the last state stays.
    }
  }

  connections(): ConnectionView[] {
    return [...this.views.values()];
  }

  firewall(): FirewallView | null {
    return this.firewallNow;
  }

  /** The firewall as the app shows it: the helper's status and the profile that holds (or held) the block. */
  private setFirewall(status: FirewallStatus | null): FirewallView | null {
    this.firewallRaw = status;
    let next: FirewallView | null = null;
    if (status) {
      const holder = status.sessionId === null ? undefined : this.sessionProfiles.get(status.sessionId);
      if (holder !== undefined) this.blockProfile = holder;
      else if (status.mode === 'off') this.blockProfile = null;
      next = { ...status, profileId: status.mode === 'off' ? null : (holder ?? this.blockProfile) };
    }
    if (JSON.stringify(next) !== JSON.stringify(this.firewallNow)) {
      this.firewallNow = next;
      this.events.emit({ type: 'firewall', firewall: next });
    }
    return next;
  }

  private async refreshFirewall(link: HelperLink): Promise<void> {
    try {
      const status = await link.request('firewall', {});
      if (this.link === link) this.setFirewall(status);
    } catch (e) {
      // A helper that goes away meanwhile is reported by onLinkClosed.
      if (this.link === link && hasNoFirewall(e)) this.setFirewall(null);
    }
  }

  /** Reads each session's traffic protection again (the helper's `list`): after a connect and each firewall change. */
  private async refreshTraffic(link: HelperLink): Promise<void> {
    let sessions: SessionInfo[];
    try {
      ({ sessions } = await link.request('list', {}));
    } catch {
      return;
    }
    if (this.link !== link) return;
    for (const session of sessions) this.updateProtection(session);
  }

  private updateProtection(session: SessionInfo): void {
    const profileId = this.sessionProfiles.get(session.id);
    const view = profileId === undefined ? undefined : this.views.get(profileId);
    if (profileId === undefined || !view || view.sessionId !== session.id) return;
    const protection: ConnectionProtection = { traffic: session.traffic ?? null, fullTunnel: session.fullTunnel, networks: this.routing.get(profileId)?.networks ?? null };
    if (JSON.stringify(protection) === JSON.stringify(view.protection)) return;
    this.setView(profileId, { ...view, protection });
  }

  view(profileId: string): ConnectionView | null {
    return this.views.get(profileId) ?? null;
  }

  /** The profile has a session that is not over yet. */
  isActive(profileId: string): boolean {
    const view = this.views.get(profileId);
    return view !== undefined && !isTerminal(view.state);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.loadSessionMap();
    void this.attempt();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const link = this.link;
    this.link = null;
    link?.close();
  }

  // ---------- the connection to the helper ----------

  private setStatus(next: HelperStatus): void {
    const previous = this.status;
    if (JSON.stringify(previous) === JSON.stringify(next)) return;
    this.status = next;
    this.events.emit({ type: 'helper', helper: next });
    this.helperChanges.emit({ previous, next });
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    this.delayMs = nextBackoff(this.delayMs, this.options.backoff ?? DEFAULT_BACKOFF);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.attempt();
    }, this.delayMs);
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.link) return;
    const helloTimeoutMs = this.options.helloTimeoutMs ?? 10_000;
    const open = this.options.openLink ?? ((socketPath: string) => HelperClient.connect({ socketPath, clientName: 'tsunagu-app', helloTimeoutMs }));
    let link: HelperLink;
    try {
      link = await open(this.options.socketPath);
    } catch (e) {
      this.setStatus(unavailableStatus(unavailableReason(e), this.options.socketPath));
      this.scheduleRetry();
      return;
    }
    if (this.stopped) {
      link.close();
      return;
    }
    this.link = link;
    link.onEvent((event) => this.onHelperEvent(event));
    link.onClosed(() => this.onLinkClosed(link));
    try {
      const { sessions } = await link.request('subscribe', { logs: true });
      this.adopt(sessions, link.helperUid);
    } catch {
      // The helper hung up right after hello: treated like any other loss of the helper.
      this.onLinkClosed(link);
      return;
    }
    this.delayMs = 0;
    await Promise.all([this.refreshManaged(link), this.refreshFirewall(link)]);
    this.setStatus({ status: 'available', version: link.helperName });
  }

  private onLinkClosed(link: HelperLink): void {
    if (this.link !== link) return;
    this.link = null;
    link.close();
    // The helper's sessions end with it (openvpn exits with its management socket, a restarted
    // helper removes what its predecessor left), so show them as ended; a reconnect re-adopts
    // any that did survive.
    for (const [profileId, view] of this.views) {
      if (isTerminal(view.state)) continue;
      this.setView(profileId, { ...view, sessionId: null, state: { status: 'disconnected', reason: mainTexts('helperStoppedReason').en }, rateIn: 0, rateOut: 0, prompt: null });
    }
    // The map stays: the next subscribe re-adopts surviving sessions and prunes the rest.
    this.setFirewall(null);
    if (!this.stopped) {
      this.setStatus(unavailableStatus('not-running', this.options.socketPath));
      this.scheduleRetry();
    }
  }

  // ---------- sessions ↔ profiles ----------

  private async loadSessionMap(): Promise<void> {
    if (!this.options.sessionsFile) return;
    try {
      const parsed = sessionsFileSchema.safeParse(JSON.parse(await readFile(this.options.sessionsFile, 'utf8')));
      if (parsed.success) for (const [sessionId, profileId] of Object.entries(parsed.data.sessions)) this.sessionProfiles.set(sessionId, profileId);
    } catch {
      // no map yet
    }
  }

  private saveSessionMap(): void {
    const file = this.options.sessionsFile;
    if (!file) return;
    // One write at a time, each of the map as it is then: an older write never lands last.
    // Best effort: losing it only means a restarted app does not recognise a running tunnel.
    this.savingSessions = this.savingSessions.then(() =>
      writeFileAtomic(file, `${JSON.stringify({ version: 1, sessions: Object.fromEntries(this.sessionProfiles) })}\n`, { mode: 0o600 }).catch(() => undefined),
    );
  }

  /** Takes over the helper's sessions that this user started for a known profile. */
  private adopt(sessions: SessionInfo[], uid: number): void {
    const known = new Map(this.sessionProfiles);
    this.sessionProfiles.clear();
    for (const session of sessions) {
      const profileId = known.get(session.id);
      if (profileId === undefined || session.uid !== uid) continue;
      this.sessionProfiles.set(session.id, profileId);
      this.lastSession.set(profileId, session.id);
      const previous = this.views.get(profileId);
      this.setView(profileId, {
        profileId,
        sessionId: session.id,
        state: session.state,
        bytesIn: session.bytesIn,
        bytesOut: session.bytesOut,
        rateIn: 0,
        rateOut: 0,
        ...(session.lastHandshakeAt !== undefined ? { lastHandshakeAt: session.lastHandshakeAt } : {}),
        prompt: previous?.sessionId === session.id ? previous.prompt : null,
        protection: { traffic: session.traffic ?? null, fullTunnel: session.fullTunnel, networks: this.routing.get(profileId)?.networks ?? null },
      });
      if (!this.routing.has(profileId)) void this.learnRouting(profileId, session);
    }
    this.saveSessionMap();
  }

  /** A tunnel adopted after an app restart: its profile's networks, from the saved text. */
  private async learnRouting(profileId: string, session: SessionInfo): Promise<void> {
    const record = await this.options.profiles.get(profileId);
    if (!record.ok) return;
    this.routing.set(profileId, routingOf(record.value));
    this.updateProtection(session);
  }

  private setView(profileId: string, next: ConnectionView): void {
    const previous = this.views.get(profileId) ?? null;
    this.views.set(profileId, next);
    this.events.emit({ type: 'connection', connection: next });
    if (previous === null || JSON.stringify(previous.state) !== JSON.stringify(next.state)) {
      const sessionId = next.sessionId ?? previous?.sessionId ?? null;
      this.changes.emit({ previous, next, userRequested: sessionId !== null && this.userRequested.has(sessionId) });
    }
  }

  // ---------- helper events ----------

  private onHelperEvent(event: HelperEvent): void {
    if (event.event === 'log') {
      if (event.line.sessionId !== null && this.sessionProfiles.has(event.line.sessionId)) this.events.emit({ type: 'log', line: event.line });
      return;
    }
    if (event.event === 'policy-changed') {
      if (this.link) void this.refreshManaged(this.link);
      return;
    }
    if (event.event === 'firewall') {
      this.setFirewall(event.status);
      if (this.link) void this.refreshTraffic(this.link);
      return;
    }
    const profileId = this.sessionProfiles.get(event.sessionId);
    if (profileId === undefined) {
      // The helper announces a new session before it answers the connect that made it: hold
      // those events until the answer says whose session it is.
      if (this.connectsInFlight > 0 && this.early.length < MAX_EARLY_EVENTS) this.early.push(event);
      return;
    }
    this.apply(profileId, event);
  }

  private apply(profileId: string, event: SessionEvent): void {
    const view = this.views.get(profileId);
    if (!view || view.sessionId !== event.sessionId) return;
    switch (event.event) {
      case 'state':
        this.onState(profileId, view, event.state);
        break;
      case 'stats':
      {
        const handshake = event.lastHandshakeAt !== undefined ? { lastHandshakeAt: event.lastHandshakeAt } : {};
        this.views.set(profileId, { ...view, bytesIn: event.bytesIn, bytesOut: event.bytesOut, rateIn: event.rateIn, rateOut: event.rateOut, ...handshake });
        this.events.emit({ type: 'stats', profileId, bytesIn: event.bytesIn, bytesOut: event.bytesOut, rateIn: event.rateIn, rateOut: event.rateOut, ...handshake, at: event.at });
      }
        break;
      case 'credentials-required':
        void this.onPrompt(profileId, event.sessionId, event.request);
        break;
      case 'session-removed':
        this.onSessionRemoved(profileId, view, event.sessionId);
        break;
    }
  }

  private onState(profileId: string, view: ConnectionView, state: TunnelState): void {
    const sessionId = view.sessionId ?? '';
    const settled = state.status === 'connected' || isTerminal(state);
    const next: ConnectionView = {
      ...view,
      state,
      prompt: settled ? null : view.prompt,
      rateIn: state.status === 'connected' ? view.rateIn : 0,
      rateOut: state.status === 'connected' ? view.rateOut : 0,
    };
    if (state.status === 'connected') {
      const remember = this.toRemember.get(sessionId) ?? [];
      this.toRemember.delete(sessionId);
      for (const credentials of remember) void this.options.vault.save(profileId, credentials);
    }
    if (state.status === 'error' && state.code === 'auth-failed') {
      // The server refused what the vault supplied: forget it so the user is asked next time.
      const field = this.answeredFromVault.get(sessionId);
      if (field) void this.options.vault.forget(profileId, field);
    }
    this.setView(profileId, next);
    // A guarded tunnel's traffic turns from blocked to tunnel (and back) with its state, while the
    // firewall's own status may stay the same: read it again whenever the state moves on.
    if (this.firewallRaw !== null && this.link && state.status !== view.state.status && !isTerminal(state)) void this.refreshTraffic(this.link);
  }

  private onSessionRemoved(profileId: string, view: ConnectionView, sessionId: string): void {
    const state: TunnelState = isTerminal(view.state) ? view.state : { status: 'disconnected', reason: 'session ended' };
    this.setView(profileId, { ...view, sessionId: null, state, prompt: null, rateIn: 0, rateOut: 0 });
    this.sessionProfiles.delete(sessionId);
    this.userRequested.delete(sessionId);
    this.answeredFromVault.delete(sessionId);
    this.toRemember.delete(sessionId);
    this.saveSessionMap();
  }

  /** A prompt: saved credentials first (once per session, never on a retry), else the user. */
  private async onPrompt(profileId: string, sessionId: string, request: CredentialRequest): Promise<void> {
    // Asked again: what the user gave last time was wrong and must not be remembered.
    if (request.retry) this.toRemember.delete(sessionId);
    const saved = await this.options.vault.load(profileId);
    const link = this.link;
    let answer: Credentials | null = null;
    if (!request.retry && !this.answeredFromVault.has(sessionId)) {
      if (request.kind === 'userpass' && saved.userpass) answer = { kind: 'userpass', ...saved.userpass };
      if (request.kind === 'passphrase' && saved.passphrase !== undefined) answer = { kind: 'passphrase', passphrase: saved.passphrase };
    }
    if (answer && link) {
      this.answeredFromVault.set(sessionId, answer.kind === 'passphrase' ? 'passphrase' : 'userpass');
      try {
        const { accepted } = await link.request('credentials', { sessionId, credentials: answer });
        if (accepted) return;
      } catch {
        // fall through to asking the user
      }
    }
    const view = this.views.get(profileId);
    if (!view || view.sessionId !== sessionId || view.state.status === 'connected' || isTerminal(view.state)) return;
    // A challenge needs a fresh one-time response, but the account can be filled in.
    const prompt: CredentialRequest = request.kind === 'challenge' && request.username === undefined && saved.userpass ? { ...request, username: saved.userpass.username } : request;
    this.setView(profileId, { ...view, prompt });
  }

  // ---------- what the UI asks for ----------

  private unavailableError(): AppError {
    const status = this.status;
    if (status.status === 'unavailable') return { code: 'helper-unavailable', message: status.message, detail: status.howToFix.en };
    return appError('helper-unavailable', 'errHelperUnavailable');
  }

  async connect(profileId: string): Promise<AppResult<{ ok: true }>> {
    const link = this.link;
    if (!link || this.status.status !== 'available') return failed(this.unavailableError());
    const current = this.views.get(profileId);
    if (current && !isTerminal(current.state)) return ok({ ok: true });
    const provisioned = this.managedNow.provisioned.find((p) => p.profileId === profileId);
    if (!provisioned && this.locks().personalProfiles) return failed(managedError());
    const record = provisioned ? null : await this.options.profiles.get(profileId);
    if (record && !record.ok) return record;
    this.cancelAfterConnect.delete(profileId);
    if (record) this.routing.set(profileId, routingOf(record.value));
    this.setView(profileId, { profileId, sessionId: null, state: { status: 'connecting', phase: 'starting' }, bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, prompt: null });
    this.connectsInFlight++;
    try {
      const options = this.options.firewallSettings?.() ?? { allowLan: false };
      const target = record ? { profile: { kind: record.value.kind, text: record.value.canonical, name: record.value.name } } : { provisioned: provisioned?.id };
      const { sessionId } = await link.request('connect', { ...target, options });
      this.sessionProfiles.set(sessionId, profileId);
      this.lastSession.set(profileId, sessionId);
      this.saveSessionMap();
      const view = this.views.get(profileId);
      if (view) this.setView(profileId, { ...view, sessionId });
      const mine = this.early.filter((e) => e.sessionId === sessionId);
      this.early = this.early.filter((e) => !mine.includes(e));
      for (const event of mine) this.apply(profileId, event);
      // The firewall may have named this session before its id was known here.
      if (this.firewallRaw) this.setFirewall(this.firewallRaw);
      void this.refreshTraffic(link);
      if (this.cancelAfterConnect.delete(profileId)) await this.disconnect(profileId);
      return ok({ ok: true });
    } catch (e) {
      const error = requestError(e);
      const view = this.views.get(profileId);
      if (view && view.sessionId === null) this.setView(profileId, { ...view, state: { status: 'error', code: error.code, message: error.message, ...(error.detail ? { detail: error.detail } : {}), ...(error.conflict ? { conflict: error.conflict } : {}) } });
      return failed(error);
    } finally {
      this.connectsInFlight--;
      if (this.connectsInFlight === 0) this.early = [];
    }
  }

  async disconnect(profileId: string): Promise<AppResult<{ ok: true }>> {
    const view = this.views.get(profileId);
    if (!view || isTerminal(view.state)) return ok({ ok: true });
    if (this.locks().disconnect) return failed(managedError());
    if (view.sessionId === null) {
      this.cancelAfterConnect.add(profileId);
      return ok({ ok: true });
    }
    const link = this.link;
    if (!link) return failed(this.unavailableError());
    this.userRequested.add(view.sessionId);
    try {
      await link.request('disconnect', { sessionId: view.sessionId });
    } catch (e) {
      // Already gone is what the user wanted.
      if (!(e instanceof HelperRequestError && e.error.code === 'no-such-session')) return failed(requestError(e));
    }
    return ok({ ok: true });
  }

  /** A block that no tunnel of this user is coming up behind: the kill switch held after its tunnel died or the helper restarted. */
  private liftableBlock(): boolean {
    const firewall = this.firewallRaw;
    return firewall !== null && firewall.mode === 'blocked' && firewall.reason !== 'lockdown' && firewall.reason !== 'policy';
  }

  /** Quitting has something to end: a tunnel, or a block only quitting or Disconnect lifts. */
  endsOnQuit(): boolean {
    return [...this.views.values()].some((v) => !isTerminal(v.state)) || this.liftableBlock();
  }

  /** Ends every session of this app, and a block left behind (used when quitting; always-on stays). */
  async disconnectAll(): Promise<void> {
    await Promise.all([...this.views.keys()].map((id) => this.disconnect(id)));
    if (this.liftableBlock()) await this.liftBlock();
  }

  /**
   * "Disconnect" on "Blocked — the VPN is down": ends this user's session that holds the block (even
   * one whose tunnel failed), or asks the helper to lift a block no session holds.
   */
  async liftBlock(): Promise<AppResult<{ ok: true }>> {
    const link = this.link;
    if (!link || this.status.status !== 'available') return failed(this.unavailableError());
    if (this.locks().disconnect) return failed(managedError());
    const sessionId = this.firewallRaw?.sessionId ?? null;
    if (sessionId !== null) {
      this.userRequested.add(sessionId);
      try {
        await link.request('disconnect', { sessionId });
        return ok({ ok: true });
      } catch (e) {
        // Gone already: what is left is a block no session holds.
        if (!(e instanceof HelperRequestError && e.error.code === 'no-such-session')) return failed(requestError(e));
      }
    }
    try {
      this.setFirewall(await link.request('unblock', {}));
      return ok({ ok: true });
    } catch (e) {
      return failed(requestError(e));
    }
  }

  /** Always-on (lockdown) on or off; the LAN follows the user's setting. */
  async setLockdown(enabled: boolean): Promise<AppResult<FirewallView>> {
    const link = this.link;
    if (!link || this.status.status !== 'available') return failed(this.unavailableError());
    if (this.firewallRaw === null) return failed(appError('firewall-unsupported', 'errFirewallUnsupported'));
    const { allowLan } = this.options.firewallSettings?.() ?? { allowLan: false };
    try {
      const view = this.setFirewall(await link.request('set-lockdown', { enabled, allowLan }));
      return view ? ok(view) : failed(appError('firewall-unsupported', 'errFirewallUnsupported'));
    } catch (e) {
      return failed(requestError(e));
    }
  }

  async provideCredentials(profileId: string, credentials: Credentials, remember: boolean): Promise<AppResult<{ ok: true }>> {
    const view = this.views.get(profileId);
    const link = this.link;
    if (!view || view.sessionId === null || isTerminal(view.state)) {
      const record = await this.options.profiles.get(profileId);
      return failed(appError('not-connected', 'errNotConnected', { name: record.ok ? record.value.name : profileId }));
    }
    if (!link) return failed(this.unavailableError());
    const sessionId = view.sessionId;
    let accepted: boolean;
    try {
      ({ accepted } = await link.request('credentials', { sessionId, credentials }));
    } catch (e) {
      return failed(requestError(e));
    }
    if (!accepted) return failed(appError('credentials-rejected', 'errCredentialsRejected'));
    const after = this.views.get(profileId);
    if (after && after.sessionId === sessionId) this.setView(profileId, { ...after, prompt: null });
    if (credentials.kind === 'cancel') return this.disconnect(profileId);
    const field = savedField(credentials);
    if (remember && !this.locks().savePassword) this.toRemember.set(sessionId, [...(this.toRemember.get(sessionId) ?? []), credentials]);
    else if (field) await this.options.vault.forget(profileId, field);
    return ok({ ok: true });
  }

  async recentLog(profileId: string | undefined, lines: number): Promise<AppResult<{ lines: LogLine[] }>> {
    const link = this.link;
    if (!link) return failed(this.unavailableError());
    const sessionId = profileId === undefined ? undefined : (this.views.get(profileId)?.sessionId ?? this.lastSession.get(profileId));
    if (profileId !== undefined && sessionId === undefined) return ok({ lines: [] });
    try {
      const result = await link.request('log', sessionId === undefined ? { lines } : { sessionId, lines });
      // The helper's log holds every user's lines; show only this user's and the helper's own.
      return ok({ lines: result.lines.filter((line) => line.uid === null || line.uid === link.helperUid) });
    } catch (e) {
      return failed(requestError(e));
    }
  }

  /** A deleted profile has no connection to show any more. */
  forgetProfile(profileId: string): void {
    this.views.delete(profileId);
    this.lastSession.delete(profileId);
  }
}
