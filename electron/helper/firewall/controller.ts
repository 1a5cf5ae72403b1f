/**
 * The one owner of the helper's firewall (issue 14). It hears about sessions (which are guarded by
 * the kill switch, their interfaces, endpoints and state), the lockdown setting and the policy, and
 * from them decides one intent, saves it, and puts it in the kernel (one change at a time, the
 * latest wins). What holds the table, first match:
 *
 *   guarded sessions   `tunnel`: their interfaces and marked endpoint packets pass (connecting,
 *                      connected, reconnecting alike: a tunnel cannot come up through a block);
 *   a stranded block   `blocked`: a guarded session ended without an explicit disconnect (its
 *                      process died, it failed), or the helper restarted holding one;
 *   lockdown           `lockdown`: the user's always-on setting or the AlwaysOn policy;
 *   nothing            `off`: no table.
 *
 * Only an explicit disconnect, `unblock`, or quitting (SIGTERM) lifts a stranded block; lockdown
 * stays through all of them.
 */
import * as z from 'zod';
import type { FirewallStatus, TrafficProtection } from '../../../shared/ipc/helper-protocol.js';
import type { PolicyValues } from '../../../shared/policy/table.js';
import { HelperFailure } from '../failure.js';
import type { HelperLog } from '../log.js';
import { applyIntent, type ApplyHints, type ApplyReport, type FirewallTarget } from './apply.js';
import { addressFamily, firewallError, isRuleAddress, type Endpoint, type FirewallIntent, type Result } from './intent.js';
import { intentAfterRestart, loadIntent, prepareStateDir, readPrivateJson, saveIntent, writeAtomically } from './intent-store.js';

export const LOCKDOWN_FILE = 'lockdown.json';

const LockdownSchema = z.object({ version: z.literal(1), enabled: z.boolean(), allowLan: z.boolean() }).strict();
type LockdownSetting = Omit<z.infer<typeof LockdownSchema>, 'version'>;

/** What the session manager tells the controller about a session the kill switch guards. */
export interface GuardedSession {
  id: string;
  uid: number;
  allowLan: boolean;
  endpoints: Endpoint[];
  /** The tunnel's resolvers, when the profile names them (WireGuard's DNS). */
  dnsServers: string[];
  /** The tunnel interface when the helper chose its name up front (WireGuard, OpenVPN): allowed from the first apply. */
  interfaceName?: string | null;
  /** The tunnel's own addresses known up front (WireGuard's Address): the first apply is then the final one. */
  tunnelAddresses?: string[];
  /**
   * The kill switch guards it (true): dropping without a disconnect leaves a block. False: it only
   * rides along a table another session or lockdown holds (its own packets must pass too).
   */
  strandOnDrop: boolean;
}

interface Guard extends GuardedSession {
  interfaceName: string | null;
  tunnelAddresses: string[];
  tunnelAddress: string | null;
  connected: boolean;
}

interface Stranded {
  reason: 'kill-switch' | 'restart';
  sessionId: string | null;
  /** Whose block it is; null when unknown (a saved state that could not be read). */
  uid: number | null;
  allowLan: boolean;
}

export interface FirewallControllerOptions {
  stateDir: string;
  target: FirewallTarget;
  log: HelperLog;
  policy: () => PolicyValues;
  /** In place of applyIntent (unit tests). */
  apply?: (intent: FirewallIntent, target: FirewallTarget, hints: ApplyHints) => Promise<Result<ApplyReport>>;
}

const NOT_GUARDED = firewallError(
  'firewall-apply-failed',
  { en: 'The kill switch rules could not be set; the previous rules are still in force.', ja: 'キルスイッチのルールを設定できませんでした。以前のルールがそのまま有効です。' },
  'the session is no longer guarded (its rules could not be set)',
);

function failure(error: { code: string; message: { en: string; ja: string }; detail: string }): HelperFailure {
  return new HelperFailure(error.code, error.message, error.detail);
}

export class FirewallController {
  private readonly guards = new Map<string, Guard>();
  private stranded: Stranded | null = null;
  private lockdown: LockdownSetting = { enabled: false, allowLan: false };
  private applied: string | null = null;
  private since = Date.now();
  private lastAnnounced = '';
  private queue: Promise<Result<null>> = Promise.resolve({ ok: true, value: null });
  private readonly listeners = new Set<() => void>();
  /** The last apply removed the table (so the next can create it: apply.ts ApplyHints); unknown at start. */
  private tableAbsent = false;
  private readonly applyFn: (intent: FirewallIntent, target: FirewallTarget, hints: ApplyHints) => Promise<Result<ApplyReport>>;

  constructor(private readonly options: FirewallControllerOptions) {
    this.applyFn = options.apply ?? ((intent, target, hints) => applyIntent(intent, target, hints));
  }

  /**
   * Reads what the previous helper left (its intent, the lockdown setting) and puts the result in
   * the kernel before any client is served. A saved tunnel has lost its process: it stays blocked.
   */
  async start(): Promise<Result<null>> {
    const { stateDir, log } = this.options;
    const dir = prepareStateDir(stateDir);
    if (!dir.ok) log.add('error', `kill switch: ${dir.error.detail}`);
    const saved = loadIntent(stateDir);
    if (!saved.ok) log.add('error', `kill switch: ${saved.error.detail}; traffic stays blocked until a disconnect or unblock`);
    const restored = intentAfterRestart(saved);
    if (restored.mode === 'blocked') {
      this.stranded = {
        reason: 'restart',
        sessionId: saved.ok ? (saved.value?.sessionId ?? null) : null,
        uid: saved.ok ? (saved.value?.uid ?? null) : null,
        allowLan: restored.allowLan,
      };
    }
    const setting = readPrivateJson(stateDir, LOCKDOWN_FILE);
    const parsed = setting.ok && setting.value !== null ? LockdownSchema.safeParse(setting.value) : null;
    if (parsed?.success) this.lockdown = { enabled: parsed.data.enabled, allowLan: parsed.data.allowLan };
    else if (!setting.ok || parsed) {
      // Unreadable: always-on may have been on, so it is on (fail closed) until the user says otherwise.
      log.add('error', `kill switch: the lockdown setting could not be read (${setting.ok ? (parsed?.error?.issues[0]?.message ?? '') : setting.error.detail}); lockdown is on`);
      this.lockdown = { enabled: true, allowLan: false };
    }
    const r = await this.sync();
    if (!r.ok) log.add('error', `kill switch: the restored rules could not be applied: ${r.error.detail}`);
    else if (this.intent().mode !== 'off') log.add('info', `kill switch: ${this.intent().mode} since the helper started (${this.stranded ? 'a tunnel was up or blocked when the previous helper ended' : 'lockdown'})`);
    return r;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Lockdown in force: the user's setting or the AlwaysOn policy. */
  lockdownActive(): boolean {
    return this.lockdown.enabled || this.options.policy().AlwaysOn;
  }

  /** The intent for the state now. */
  intent(): FirewallIntent {
    const guards = [...this.guards.values()];
    if (guards.length > 0) {
      const interfaces = [...new Set(guards.flatMap((g) => (g.interfaceName ? [g.interfaceName] : [])))].slice(0, 8);
      return {
        mode: 'tunnel',
        tunnelInterfaces: interfaces,
        endpoints: guards.flatMap((g) => g.endpoints).slice(0, 32),
        allowLan: guards.every((g) => g.allowLan),
        dnsServers: [...new Set(guards.flatMap((g) => g.dnsServers))].slice(0, 16),
        tunnelAddresses: [...new Set(guards.flatMap((g) => [...g.tunnelAddresses, ...(g.connected && g.tunnelAddress ? [g.tunnelAddress] : [])]))].slice(0, 16),
      };
    }
    if (this.stranded) return { mode: 'blocked', allowLan: this.stranded.allowLan };
    if (this.lockdownActive()) return { mode: 'lockdown', allowLan: this.lockdown.allowLan };
    return { mode: 'off' };
  }

  /** Whether this session's traffic outside its tunnel can leave now. */
  trafficOf(sessionId: string): TrafficProtection {
    const g = this.guards.get(sessionId);
    if (g) return g.connected ? 'tunnel' : 'blocked';
    return this.intent().mode === 'off' ? 'unprotected' : 'blocked';
  }

  isGuarded(sessionId: string): boolean {
    return this.guards.has(sessionId);
  }

  /** Starts guarding a session: resolves once its `tunnel` table is in the kernel (throws when it is not). */
  async guard(session: GuardedSession): Promise<void> {
    this.guards.set(session.id, { ...session, interfaceName: session.interfaceName ?? null, tunnelAddresses: session.tunnelAddresses ?? [], tunnelAddress: null, connected: false });
    // A new kill-switch session of the block's owner takes its place (the owner chose to connect again).
    const s = this.stranded;
    if (session.strandOnDrop && s && (session.uid === 0 || s.uid === null || s.uid === session.uid)) this.stranded = null;
    const r = await this.sync();
    if (!r.ok) {
      this.guards.delete(session.id);
      void this.sync();
      throw failure(r.error);
    }
  }

  /**
   * The resolvers the session's driver applied (OpenVPN's pushed DNS): while the table holds, DNS
   * goes only to them, through the tunnel. What the server pushed is hostile: anything that is not
   * a plain address is dropped (and logged), never put in a rule.
   */
  setDns(sessionId: string, servers: readonly string[]): Promise<Result<null>> {
    const g = this.guards.get(sessionId);
    if (!g) return Promise.resolve({ ok: true, value: null });
    const valid = [...new Set(servers.filter((s) => isRuleAddress(s)))].slice(0, 16);
    if (valid.length < servers.length) this.options.log.add('warn', `kill switch: DNS servers left out (not plain addresses, or too many): ${servers.filter((s) => !valid.includes(s)).slice(0, 4).join(', ').slice(0, 200)}`, sessionId, g.uid);
    if (valid.length === 0 || JSON.stringify(valid) === JSON.stringify(g.dnsServers)) return this.settled();
    g.dnsServers = valid;
    return this.sync();
  }

  /** A riding session whose server pushed a default route: from now on the kill switch guards it. */
  promote(sessionId: string): void {
    const g = this.guards.get(sessionId);
    if (g) g.strandOnDrop = true;
  }

  /**
   * What a guarded session's driver reported: its interface, its address once connected. Resolves
   * once the rules for it are verified in the kernel (with every apply queued before it, such as
   * the session's first one): "connected" is reported only then.
   */
  update(sessionId: string, state: { interfaceName: string | null; connected: boolean; localIp: string | null }): Promise<Result<null>> {
    const g = this.guards.get(sessionId);
    if (!g) return Promise.resolve({ ok: true, value: null });
    const address = state.localIp !== null && /^[0-9a-fA-F:.]+$/.test(state.localIp) ? state.localIp : null;
    const next = { interfaceName: state.interfaceName ?? g.interfaceName, connected: state.connected, tunnelAddress: address ?? g.tunnelAddress };
    const same = next.interfaceName === g.interfaceName && next.connected === g.connected && next.tunnelAddress === g.tunnelAddress;
    Object.assign(g, next);
    // A guard whose first apply failed is gone by the time its turn comes: that is no success.
    return (same ? this.settled() : this.sync()).then((r) => (r.ok && !this.guards.has(sessionId) ? { ok: false, error: NOT_GUARDED } : r));
  }

  /**
   * The interface a guarded session's driver has up, before it reports "connected": resolves once
   * the rules that let the tunnel carry traffic are verified (a change only where the helper did
   * not name the interface up front, IKEv2), with every change queued before it (OpenVPN's pushed
   * DNS). Its state and address are left as they are: onState's update sets them right after.
   */
  interfaceUp(sessionId: string, interfaceName: string | null): Promise<Result<null>> {
    const g = this.guards.get(sessionId);
    if (!g) return Promise.resolve({ ok: true, value: null });
    return this.update(sessionId, { interfaceName, connected: g.connected, localIp: null });
  }

  /** Resolves once every change queued so far is in the kernel; an error when the last one is not. */
  private settled(): Promise<Result<null>> {
    const key = JSON.stringify(this.intent());
    return this.queue.then((r) => (r.ok || key !== this.applied ? r : { ok: true, value: null }));
  }

  /**
   * A session ended. `explicit`: the user disconnected (or the helper is quitting): its block is
   * lifted. Otherwise a guarded session leaves its block in place.
   */
  release(sessionId: string, explicit: boolean): Promise<Result<null>> {
    const g = this.guards.get(sessionId);
    if (!g) return this.queue;
    this.guards.delete(sessionId);
    if (!explicit && g.strandOnDrop) {
      this.stranded = { reason: 'kill-switch', sessionId, uid: g.uid, allowLan: g.allowLan };
      this.options.log.add('warn', `kill switch: session ${sessionId} ended without a disconnect; traffic stays blocked until it is disconnected`, sessionId, g.uid);
    }
    return this.sync();
  }

  /** The stranded block of `sessionId`, if it is one the caller may lift (disconnect of a tunnel that is already down). */
  strandedSession(sessionId: string | null, uid: number): boolean {
    const s = this.stranded;
    return s !== null && (sessionId === null || s.sessionId === sessionId) && (uid === 0 || s.uid === null || s.uid === uid) && s.sessionId !== null;
  }

  /** Lifts a stranded block (a disconnect of the dropped session, or `unblock`). */
  async unblock(uid: number): Promise<FirewallStatus> {
    if (this.options.policy().AlwaysOn && uid !== 0) {
      throw new HelperFailure('policy-denied', {
        en: 'Managed by your organization: the VPN is always on, so traffic stays blocked while no tunnel is up.',
        ja: '組織によって管理されています: VPN は常時接続に設定されているため、トンネルが接続されていない間は通信が遮断されたままです。',
      }, 'AlwaysOn is true');
    }
    const s = this.stranded;
    if (s === null) {
      if (this.guards.size > 0) {
        throw new HelperFailure('firewall-held-by-session', {
          en: 'A connected session holds the kill switch: disconnect it to lift the block.',
          ja: '接続中のセッションがキルスイッチを保持しています。遮断を解除するにはそのセッションを切断してください。',
        });
      }
      return this.status(uid);
    }
    if (uid !== 0 && s.uid !== null && s.uid !== uid) {
      throw new HelperFailure('not-permitted', {
        en: "Another user's connection holds this block; only that user or an administrator can lift it.",
        ja: '別のユーザーの接続がこの遮断を保持しています。解除できるのはそのユーザーまたは管理者だけです。',
      });
    }
    this.stranded = null;
    this.options.log.add('info', `kill switch: block lifted by uid ${uid}`, s.sessionId, uid);
    const r = await this.sync();
    if (!r.ok) throw failure(r.error);
    return this.status(uid);
  }

  async setLockdown(enabled: boolean, allowLan: boolean | undefined, uid: number): Promise<FirewallStatus> {
    if (!enabled && this.options.policy().AlwaysOn && uid !== 0) {
      throw new HelperFailure('policy-denied', {
        en: 'Managed by your organization: the VPN is always on, so lockdown cannot be turned off.',
        ja: '組織によって管理されています: VPN は常時接続に設定されているため、ロックダウンを無効にできません。',
      }, 'AlwaysOn is true');
    }
    const next = { enabled, allowLan: allowLan ?? this.lockdown.allowLan };
    const saved = writeAtomically(this.options.stateDir, LOCKDOWN_FILE, `${JSON.stringify({ version: 1, ...next })}\n`);
    if (!saved.ok) throw failure(saved.error);
    this.lockdown = next;
    this.options.log.add('info', `kill switch: lockdown ${enabled ? 'on' : 'off'}${next.allowLan ? ' (LAN allowed)' : ''}, set by uid ${uid}`, null, uid);
    const r = await this.sync();
    if (!r.ok) throw failure(r.error);
    return this.status(uid);
  }

  /** The policy changed (AlwaysOn may have): apply what it means now. */
  refresh(): void {
    void this.sync();
  }

  /** Quitting: every kill-switch block is lifted, lockdown stays. */
  async shutdown(): Promise<void> {
    this.guards.clear();
    this.stranded = null;
    const r = await this.sync();
    if (!r.ok) this.options.log.add('error', `kill switch: could not lift the block while stopping: ${r.error.detail}`);
  }

  /** The firewall as `uid` may know it: another user's session id stays hidden. */
  status(uid: number): FirewallStatus {
    const policy = this.options.policy();
    const intent = this.intent();
    const holder = this.holder();
    const visible = holder !== null && (uid === 0 || holder.uid === uid);
    return {
      mode: intent.mode === 'off' ? 'off' : intent.mode === 'tunnel' ? 'tunnel' : 'blocked',
      reason: this.reason(intent),
      sessionId: visible ? holder.sessionId : null,
      ownSession: holder !== null && holder.uid === uid,
      allowLan: intent.mode === 'off' ? false : intent.allowLan,
      lockdown: { enabled: this.lockdownActive(), byPolicy: policy.AlwaysOn },
      killSwitchForced: policy.KillSwitch,
      since: this.since,
    };
  }

  private holder(): { sessionId: string | null; uid: number | null } | null {
    const g = this.guards.values().next();
    if (!g.done) return { sessionId: g.value.id, uid: g.value.uid };
    if (this.stranded) return { sessionId: this.stranded.sessionId, uid: this.stranded.uid };
    return null;
  }

  private reason(intent: FirewallIntent): FirewallStatus['reason'] {
    switch (intent.mode) {
      case 'off':
        return null;
      case 'tunnel':
        // Sessions that only ride along hold it for lockdown's sake (or a block's).
        if ([...this.guards.values()].some((g) => g.strandOnDrop)) return 'kill-switch';
        if (this.stranded) return this.stranded.reason;
        return this.lockdownActive() ? (this.options.policy().AlwaysOn ? 'policy' : 'lockdown') : 'kill-switch';
      case 'blocked':
        return this.stranded?.reason ?? 'kill-switch';
      case 'lockdown':
        return this.options.policy().AlwaysOn ? 'policy' : 'lockdown';
    }
  }

  /** Saves and applies the intent for the state at the time its turn comes; one at a time. */
  private sync(): Promise<Result<null>> {
    const run = async (): Promise<Result<null>> => {
      const intent = this.intent();
      const key = JSON.stringify(intent);
      let result: Result<null> = { ok: true, value: null };
      if (key !== this.applied) {
        const holder = this.holder();
        // Saved first: a helper that dies between the two finds the rules it was about to set.
        const saved = saveIntent(this.options.stateDir, intent, holder?.sessionId ?? null, new Date(), holder?.uid ?? null);
        if (!saved.ok) this.options.log.add('error', `kill switch: ${saved.error.detail}`);
        const r = await this.applyFn(intent, this.options.target, { tableAbsent: this.tableAbsent });
        this.tableAbsent = r.ok && intent.mode === 'off';
        if (r.ok) {
          this.applied = key;
          this.since = Date.now();
          this.options.log.add('debug', `kill switch: ${describeIntent(intent)} applied in ${r.value.applyMs.toFixed(1)} ms, verified in ${r.value.verifyMs.toFixed(1)} ms (${r.value.verifiedBy})`);
        } else {
          this.options.log.add('error', `kill switch: ${r.error.code}: ${r.error.detail}`);
          result = { ok: false, error: r.error };
        }
      }
      this.announce();
      return result;
    };
    this.queue = this.queue.then(run, run);
    return this.queue;
  }

  private announce(): void {
    const key = JSON.stringify({ ...this.status(0), since: 0, holder: this.holder() });
    if (key === this.lastAnnounced) return;
    this.lastAnnounced = key;
    for (const listener of this.listeners) listener();
  }
}

function describeIntent(intent: FirewallIntent): string {
  if (intent.mode !== 'tunnel') return `${intent.mode}${intent.mode !== 'off' && intent.allowLan ? ' (LAN allowed)' : ''}`;
  const endpoints = intent.endpoints.map((e) => (e.protocol === 'esp' ? `esp ${e.address}` : `${e.protocol} ${addressFamily(e.address) === 'ip6' ? `[${e.address}]` : e.address}:${e.port}`));
  // The resolvers and the tunnel's addresses too: which change an apply was for shows in the log.
  const dns = intent.dnsServers.length > 0 ? `; DNS ${intent.dnsServers.join(', ')}` : '';
  const own = intent.tunnelAddresses.length > 0 ? `; tunnel addresses ${intent.tunnelAddresses.join(', ')}` : '';
  return `tunnel over ${intent.tunnelInterfaces.join(', ') || '(interface not yet up)'} to ${endpoints.join(', ') || 'no endpoint'}${intent.allowLan ? ' (LAN allowed)' : ''}${dns}${own}`;
}
