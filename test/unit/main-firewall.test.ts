/**
 * Leak protection in the app's helper connection (issue 14), against a scripted helper link that
 * answers with the protocol's own schemas: the settings become each connect's kill switch / LAN
 * options; the firewall status comes from the first `firewall` request and then from events (an
 * old helper that refuses the request means "no firewall", not a failure); each session's traffic
 * protection and routing reach its connection view; "Disconnect" on a block ends the holding
 * session or asks the helper to unblock; always-on takes the LAN setting; quitting lifts a stale
 * block but never always-on.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, FirewallView } from '../../shared/ipc/app-api.js';
import { results, type FirewallStatus, type HelperEvent, type HelperResult, type RequestType, type SessionInfo } from '../../shared/ipc/helper-protocol.js';
import { POLICY_NAMES, defaultPolicyValues } from '../../shared/policy/table.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { HelperRequestError, type HelperPayload } from '../../electron/main/helper-client.js';
import { createAppServices } from '../../electron/main/services/app-services.js';
import { CredentialVault } from '../../electron/main/services/credential-vault.js';
import { ConnectionManager, routingOf, type HelperLink } from '../../electron/main/services/helper-connection.js';
import { isAccepted, newProfileFrom } from '../../electron/main/services/profile-record.js';
import { ProfileStore } from '../../electron/main/services/profile-store.js';
import { connectOptionsFrom, DEFAULT_SETTINGS, type FirewallOptions } from '../../electron/main/services/settings-store.js';
import { testKeychain } from '../support/keychain.js';
import { waitFor } from '../support/wait.js';

const ROOT = join(import.meta.dirname, '../..');
const FULL_WG = readFileSync(join(ROOT, 'test/fixtures/seed/wg-client.conf'), 'utf8');
const SPLIT_WG = FULL_WG.replace('AllowedIPs = 0.0.0.0/0', 'AllowedIPs = 10.20.0.0/16, 10.30.0.0/16');
const UID = 1000;
const work = mkdtempSync(join(tmpdir(), 'tsunagu-main-firewall-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const OFF: FirewallStatus = { mode: 'off', reason: null, sessionId: null, ownSession: false, allowLan: false, lockdown: { enabled: false, byPolicy: false }, killSwitchForced: false, since: 1 };

type Handler = (payload: unknown) => unknown;

/** Plays the helper's side of the socket: answers are checked against the protocol's result schemas. */
class ScriptedHelper implements HelperLink {
  readonly helperUid = UID;
  readonly helperName = 'tsunagu-helper test';
  readonly requests: Array<{ type: RequestType; payload: unknown }> = [];
  sessions: SessionInfo[] = [];
  firewall: FirewallStatus | 'unknown-request' | 'no-firewall' = OFF;
  private readonly listeners = new Set<(event: HelperEvent) => void>();
  private nextSession = 1;
  readonly handlers: Partial<Record<RequestType, Handler>> = {
    subscribe: () => ({ sessions: this.sessions }),
    list: () => ({ sessions: this.sessions }),
    policy: () => ({ values: defaultPolicyValues(), sources: Object.fromEntries(POLICY_NAMES.map((n) => [n, 'default'])) }),
    provisioned: () => ({ profiles: [] }),
    firewall: () => this.firewallStatus(),
    connect: () => {
      const id = `s${String(this.nextSession++).padStart(15, '0')}`;
      return { sessionId: id };
    },
    disconnect: (payload) => {
      const { sessionId } = payload as { sessionId: string };
      if (!this.sessions.some((s) => s.id === sessionId)) throw refusal('no-such-session');
      this.sessions = this.sessions.filter((s) => s.id !== sessionId);
      return { sessionIds: [sessionId] };
    },
    unblock: () => {
      this.firewall = OFF;
      return OFF;
    },
    'set-lockdown': (payload) => {
      const { enabled, allowLan } = payload as { enabled: boolean; allowLan?: boolean };
      this.firewall = enabled ? { ...OFF, mode: 'blocked', reason: 'lockdown', allowLan: allowLan ?? false, lockdown: { enabled: true, byPolicy: false } } : OFF;
      return this.firewall;
    },
  };

  private firewallStatus(): FirewallStatus {
    if (this.firewall === 'unknown-request') throw refusal('bad-request');
    if (this.firewall === 'no-firewall') throw refusal('firewall-unavailable');
    return this.firewall;
  }

  async request<T extends RequestType>(type: T, payload: HelperPayload<T>): Promise<HelperResult<T>> {
    this.requests.push({ type, payload });
    const handler = this.handlers[type];
    if (!handler) throw new Error(`the scripted helper has no answer to ${type}`);
    await Promise.resolve();
    return results[type].parse(handler(payload)) as HelperResult<T>;
  }

  onEvent(listener: (event: HelperEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onClosed(): void {}

  close(): void {}

  emit(event: HelperEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** The firewall changed: pushed to subscribers like the real helper does. */
  changeFirewall(status: FirewallStatus): void {
    this.firewall = status;
    this.emit({ event: 'firewall', status, at: Date.now() });
  }

  sent<T extends RequestType>(type: T): Array<HelperPayload<T>> {
    return this.requests.filter((r) => r.type === type).map((r) => r.payload as HelperPayload<T>);
  }
}

function refusal(code: string): HelperRequestError {
  return new HelperRequestError({ code, message: { en: code, ja: code } });
}

function session(id: string, overrides: Partial<SessionInfo> = {}): SessionInfo {
  return { id, kind: 'wireguard', name: 'Full', uid: UID, state: { status: 'connecting', phase: 'starting' }, startedAt: 1, fullTunnel: true, interfaceName: null, bytesIn: 0, bytesOut: 0, ...overrides };
}

let folders = 0;
let store: ProfileStore;
let fullId: string;
let splitId: string;

async function saved(text: string, name: string): Promise<string> {
  const result = inspectProfile(text, { fileName: `${name}.conf` });
  if (!isAccepted(result)) throw new Error('profile refused');
  const created = await store.create(newProfileFrom(result, { name, originalText: text, source: 'test', importedAt: 1 }));
  if (!created.ok) throw new Error('not saved');
  return created.value.id;
}

beforeAll(async () => {
  store = new ProfileStore(join(work, 'profiles'));
  await store.open();
  fullId = await saved(FULL_WG, 'Full');
  splitId = await saved(SPLIT_WG, 'Split');
});

/** A manager on a scripted helper, started and available; `settings` is what the app's store would hold. */
async function managerWith(helper: ScriptedHelper, settings: () => FirewallOptions = () => connectOptionsFrom(DEFAULT_SETTINGS)) {
  const manager = new ConnectionManager({
    socketPath: join(work, 'unused.sock'),
    profiles: store,
    vault: new CredentialVault(join(work, `vault${folders++}`), testKeychain()),
    sessionsFile: null,
    openLink: async () => helper,
    firewallSettings: settings,
  });
  const events: AppEvent[] = [];
  manager.events.on((e) => events.push(e));
  await manager.start();
  await waitFor(() => manager.helperStatus().status === 'available', 'available');
  const firewallEvents = () => events.filter((e): e is Extract<AppEvent, { type: 'firewall' }> => e.type === 'firewall').map((e) => e.firewall);
  return { manager, events, firewallEvents };
}

describe('settings → connect options', () => {
  it('leaves the kill switch to the helper when it is on (a split tunnel would be refused an explicit true), says false when off, and passes the LAN choice', () => {
    expect(connectOptionsFrom(DEFAULT_SETTINGS)).toEqual({ allowLan: false });
    expect(connectOptionsFrom({ killSwitch: true, allowLan: true })).toEqual({ allowLan: true });
    expect(connectOptionsFrom({ killSwitch: false, allowLan: false })).toEqual({ killSwitch: false, allowLan: false });
    expect(DEFAULT_SETTINGS).toMatchObject({ killSwitch: true, allowLan: false });
  });

  it('sends the settings as they are at each connect', async () => {
    const helper = new ScriptedHelper();
    let current = { killSwitch: true, allowLan: false };
    const { manager } = await managerWith(helper, () => connectOptionsFrom(current));
    await manager.connect(fullId);
    current = { killSwitch: false, allowLan: true };
    helper.emit({ event: 'session-removed', sessionId: 's000000000000001', at: 2 });
    await manager.connect(fullId);
    expect(helper.sent('connect').map((c) => c.options)).toEqual([{ allowLan: false }, { killSwitch: false, allowLan: true }]);
    manager.stop();
  });

  it("reads what a saved profile routes: full tunnel, or how many networks (the interface's own subnet is one)", () => {
    expect(routingOf({ kind: 'wireguard', canonical: FULL_WG })).toEqual({ fullTunnel: true, networks: 2 });
    expect(routingOf({ kind: 'wireguard', canonical: SPLIT_WG })).toEqual({ fullTunnel: false, networks: 3 });
  });
});

describe('the firewall status', () => {
  it('is asked for before the helper is reported available, then follows the events', async () => {
    const helper = new ScriptedHelper();
    const { manager, events, firewallEvents } = await managerWith(helper);
    const firstFirewall = events.findIndex((e) => e.type === 'firewall');
    const available = events.findIndex((e) => e.type === 'helper' && e.helper.status === 'available');
    expect(firstFirewall).toBeGreaterThanOrEqual(0);
    expect(firstFirewall).toBeLessThan(available);
    expect(manager.firewall()).toEqual({ ...OFF, profileId: null });
    const lockdown: FirewallStatus = { ...OFF, mode: 'blocked', reason: 'policy', lockdown: { enabled: true, byPolicy: true }, killSwitchForced: true, since: 5 };
    helper.changeFirewall(lockdown);
    expect(manager.firewall()).toEqual({ ...lockdown, profileId: null });
    expect(firewallEvents().at(-1)).toEqual({ ...lockdown, profileId: null });
    // The same status again is not news.
    const count = firewallEvents().length;
    helper.changeFirewall(lockdown);
    expect(firewallEvents()).toHaveLength(count);
    manager.stop();
  });

  it('is "none" from a helper that does not know the request, or runs without its kill switch, and the app still works', async () => {
    for (const answer of ['unknown-request', 'no-firewall'] as const) {
      const helper = new ScriptedHelper();
      helper.firewall = answer;
      const { manager, firewallEvents } = await managerWith(helper);
      expect(manager.firewall()).toBeNull();
      expect(firewallEvents()).toEqual([]);
      expect(await manager.setLockdown(true)).toMatchObject({ ok: false, error: { code: 'firewall-unsupported', message: { en: expect.stringContaining('cannot block traffic outside the VPN'), ja: expect.stringContaining('遮断できません') } } });
      expect(await manager.connect(fullId)).toEqual({ ok: true, value: { ok: true } });
      manager.stop();
    }
  });

  it("names the profile whose tunnel holds the block, and keeps naming it once the dropped session is gone", async () => {
    const helper = new ScriptedHelper();
    const { manager } = await managerWith(helper);
    await manager.connect(fullId);
    const sessionId = 's000000000000001';
    helper.changeFirewall({ ...OFF, mode: 'tunnel', reason: 'kill-switch', sessionId, ownSession: true, since: 2 });
    expect(manager.firewall()).toMatchObject({ mode: 'tunnel', profileId: fullId });
    // wireguard-go died: the session is gone, its block stays.
    helper.emit({ event: 'state', sessionId, state: { status: 'error', code: 'process-exited', message: { en: 'x', ja: 'x' } }, at: 3 });
    helper.emit({ event: 'session-removed', sessionId, at: 3 });
    helper.changeFirewall({ ...OFF, mode: 'blocked', reason: 'kill-switch', sessionId, ownSession: true, since: 3 });
    expect(manager.firewall()).toMatchObject({ mode: 'blocked', reason: 'kill-switch', profileId: fullId });
    // Quitting lifts it: the disconnect of the dropped session (the helper unblocks a stranded one).
    expect(manager.endsOnQuit()).toBe(true);
    await manager.disconnectAll();
    expect(helper.sent('disconnect')).toEqual([{ sessionId }]);
    helper.changeFirewall({ ...OFF, since: 4 });
    expect(manager.firewall()).toMatchObject({ mode: 'off', profileId: null });
    expect(manager.endsOnQuit()).toBe(false);
    manager.stop();
  });

  it("puts each session's traffic protection and routing into its connection view", async () => {
    const helper = new ScriptedHelper();
    const { manager } = await managerWith(helper);
    await manager.connect(fullId);
    const full = 's000000000000001';
    helper.sessions = [session(full, { traffic: 'blocked' })];
    helper.changeFirewall({ ...OFF, mode: 'blocked', reason: 'kill-switch', sessionId: full, ownSession: true, since: 2 });
    await waitFor(() => manager.view(fullId)?.protection?.traffic === 'blocked', 'blocked while connecting');
    expect(manager.view(fullId)?.protection).toEqual({ traffic: 'blocked', fullTunnel: true, networks: 2 });
    helper.sessions = [session(full, { traffic: 'tunnel', state: { status: 'connected', localIp: '10.0.0.2', remote: '203.0.113.1:51820', since: 3 } })];
    helper.changeFirewall({ ...OFF, mode: 'tunnel', reason: 'kill-switch', sessionId: full, ownSession: true, since: 3 });
    await waitFor(() => manager.view(fullId)?.protection?.traffic === 'tunnel', 'tunnel once connected');

    // A split tunnel is not guarded: the connect's own list refresh says so, no firewall change needed.
    helper.sessions = [...helper.sessions, session('s000000000000002', { name: 'Split', fullTunnel: false, traffic: 'unprotected' })];
    await manager.connect(splitId);
    await waitFor(() => manager.view(splitId)?.protection, 'split protection');
    expect(manager.view(splitId)?.protection).toEqual({ traffic: 'unprotected', fullTunnel: false, networks: 3 });
    manager.stop();
  });

  it("reads the traffic again when the tunnel's state moves on, though the firewall's status stays the same", async () => {
    const helper = new ScriptedHelper();
    const { manager } = await managerWith(helper);
    const id = 's000000000000001';
    // The helper guards the session from the start: its status is 'tunnel' while it is still connecting.
    helper.sessions = [session(id, { traffic: 'blocked' })];
    await manager.connect(fullId);
    helper.changeFirewall({ ...OFF, mode: 'tunnel', reason: 'kill-switch', sessionId: id, ownSession: true, since: 2 });
    await waitFor(() => manager.view(fullId)?.protection?.traffic === 'blocked', 'blocked while connecting');
    helper.sessions = [session(id, { traffic: 'tunnel', state: { status: 'connected', localIp: '10.0.0.2', remote: '203.0.113.1:51820', since: 3 } })];
    helper.emit({ event: 'state', sessionId: id, state: { status: 'connected', localIp: '10.0.0.2', remote: '203.0.113.1:51820', since: 3 }, at: 3 });
    await waitFor(() => manager.view(fullId)?.protection?.traffic === 'tunnel', 'tunnel once connected');
    manager.stop();
  });

  it('has no traffic word from a helper before issue 14 (sessions without `traffic`)', async () => {
    const helper = new ScriptedHelper();
    helper.firewall = 'unknown-request';
    const { manager } = await managerWith(helper);
    helper.sessions = [session('s000000000000001')];
    await manager.connect(fullId);
    await waitFor(() => manager.view(fullId)?.protection, 'protection');
    expect(manager.view(fullId)?.protection).toEqual({ traffic: null, fullTunnel: true, networks: 2 });
    manager.stop();
  });
});

describe('lifting a block, always-on, quitting', () => {
  it('Disconnect ends the session that holds the block', async () => {
    const helper = new ScriptedHelper();
    const { manager } = await managerWith(helper);
    await manager.connect(fullId);
    const id = 's000000000000001';
    helper.sessions = [session(id, { state: { status: 'reconnecting', reason: 'handshake-stale', attempt: 1 } })];
    helper.changeFirewall({ ...OFF, mode: 'blocked', reason: 'kill-switch', sessionId: id, ownSession: true, since: 2 });
    expect(await manager.liftBlock()).toEqual({ ok: true, value: { ok: true } });
    expect(helper.sent('disconnect')).toEqual([{ sessionId: id }]);
    expect(helper.sent('unblock')).toEqual([]);
    manager.stop();
  });

  it('Disconnect asks the helper to unblock when no session holds the block (helper restarted), or the holder is already gone', async () => {
    const helper = new ScriptedHelper();
    const { manager, firewallEvents } = await managerWith(helper);
    helper.changeFirewall({ ...OFF, mode: 'blocked', reason: 'restart', since: 2 });
    expect(await manager.liftBlock()).toEqual({ ok: true, value: { ok: true } });
    expect(helper.sent('disconnect')).toEqual([]);
    expect(helper.sent('unblock')).toHaveLength(1);
    expect(firewallEvents().at(-1)).toEqual({ ...OFF, profileId: null });

    helper.changeFirewall({ ...OFF, mode: 'blocked', reason: 'kill-switch', sessionId: 'sgone00000000000', ownSession: true, since: 3 });
    expect(await manager.liftBlock()).toEqual({ ok: true, value: { ok: true } });
    expect(helper.sent('disconnect')).toEqual([{ sessionId: 'sgone00000000000' }]);
    expect(helper.sent('unblock')).toHaveLength(2);
    manager.stop();
  });

  it("shows the helper's refusal in its words", async () => {
    const helper = new ScriptedHelper();
    helper.handlers.unblock = () => {
      throw new HelperRequestError({ code: 'policy-denied', message: { en: 'Managed by your organization', ja: '組織によって管理されています' } });
    };
    const { manager } = await managerWith(helper);
    helper.changeFirewall({ ...OFF, mode: 'blocked', reason: 'restart', since: 2 });
    expect(await manager.liftBlock()).toEqual({ ok: false, error: { code: 'policy-denied', message: { en: 'Managed by your organization', ja: '組織によって管理されています' } } });
    manager.stop();
  });

  it('always-on goes to the helper with the LAN setting', async () => {
    const helper = new ScriptedHelper();
    const { manager } = await managerWith(helper, () => connectOptionsFrom({ killSwitch: true, allowLan: true }));
    const on = await manager.setLockdown(true);
    expect(on).toMatchObject({ ok: true, value: { mode: 'blocked', reason: 'lockdown', allowLan: true, lockdown: { enabled: true, byPolicy: false }, profileId: null } });
    expect(helper.sent('set-lockdown')).toEqual([{ enabled: true, allowLan: true }]);
    // Always-on is not lifted by quitting: only the user turning it off.
    expect(manager.endsOnQuit()).toBe(false);
    await manager.disconnectAll();
    expect(helper.sent('unblock')).toEqual([]);
    expect(await manager.setLockdown(false)).toMatchObject({ ok: true, value: { mode: 'off' } });
    manager.stop();
  });

  it('the app services: firewall channels, the LAN setting re-sent to always-on when it changes, settings sent with connect', async () => {
    const helper = new ScriptedHelper();
    const services = await createAppServices({
      dataDir: join(work, `app${folders++}`),
      version: '0.1.0',
      platform: 'linux',
      systemLanguage: 'en',
      safeStorage: testKeychain(),
      dialogs: { chooseSavePath: async () => null },
      setLaunchAtLogin: async () => undefined,
      helper: { socketPath: join(work, 'unused.sock'), openLink: async () => helper },
    });
    await services.start();
    await waitFor(() => services.connections.helperStatus().status === 'available', 'available');
    const { handlers } = services;
    expect(await handlers['firewall:get']({})).toEqual({ ok: true, value: { firewall: { ...OFF, profileId: null } } });
    expect(await handlers['firewall:set-lockdown']({ enabled: true })).toMatchObject({ ok: true, value: { reason: 'lockdown', allowLan: false } });
    expect(await handlers['settings:set']({ allowLan: true })).toMatchObject({ ok: true, value: { allowLan: true, killSwitch: true } });
    expect(helper.sent('set-lockdown')).toEqual([{ enabled: true, allowLan: false }, { enabled: true, allowLan: true }]);
    // Always-on off: a LAN change is only the setting.
    await handlers['firewall:set-lockdown']({ enabled: false });
    await handlers['settings:set']({ allowLan: false, killSwitch: false });
    expect(helper.sent('set-lockdown')).toHaveLength(3);
    expect(services.trayState().firewall).toEqual({ ...OFF, profileId: null });
    services.stop();
  });

  it('quitting lifts a block no session holds', async () => {
    const helper = new ScriptedHelper();
    const { manager } = await managerWith(helper);
    helper.changeFirewall({ ...OFF, mode: 'blocked', reason: 'restart', since: 2 });
    expect(manager.endsOnQuit()).toBe(true);
    await manager.disconnectAll();
    expect(helper.sent('unblock')).toHaveLength(1);
    expect(manager.firewall()).toEqual({ ...OFF, profileId: null } satisfies FirewallView);
    manager.stop();
  });
});
