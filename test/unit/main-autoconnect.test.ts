/**
 * AutoConnectProfile (enforced by the app): the app services on a scripted helper link (answers
 * checked against the protocol's result schemas, as in main-firewall.test.ts). With the policy
 * naming a provisioned profile, the first time the helper answers the app connects it once, by
 * its provisioned id; after a helper restart or a user's Disconnect it does not connect it again
 * (the policy is "when it starts"). Empty: nothing. An id with no provisioned profile: no connect,
 * a warning in the app's log. A profile the helper refuses: its view shows the helper's reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { AppEvent } from '../../shared/ipc/app-api.js';
import { results, type HelperEvent, type HelperResult, type ProvisionedSummary, type RequestType, type SessionInfo } from '../../shared/ipc/helper-protocol.js';
import { POLICY_NAMES, defaultPolicyValues, type PolicyValues } from '../../shared/policy/table.js';
import { HelperRequestError, type HelperPayload } from '../../electron/main/helper-client.js';
import { createAppServices, type AppServices } from '../../electron/main/services/app-services.js';
import { provisionedProfileId, type HelperLink } from '../../electron/main/services/helper-connection.js';
import { testKeychain } from '../support/keychain.js';
import { waitFor } from '../support/wait.js';

const UID = 1000;
const work = mkdtempSync(join(tmpdir(), 'tsunagu-main-autoconnect-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const OFFICE: ProvisionedSummary = { id: 'office', name: 'Office', kind: 'wireguard', layer: 'L3', servers: ['vpn.example.com'], refused: null };
const REFUSED = { en: 'vpn.example.org is not among the allowed servers', ja: 'vpn.example.org は許可されたサーバーではありません' };

/** One helper process as the app's link sees it: a restart is a new ScriptedHelper. */
class ScriptedHelper implements HelperLink {
  readonly helperUid = UID;
  readonly helperName = 'tsunagu-helper test';
  readonly requests: Array<{ type: RequestType; payload: unknown }> = [];
  sessions: SessionInfo[] = [];
  private readonly listeners = new Set<(event: HelperEvent) => void>();
  private closedListener: (() => void) | null = null;

  constructor(
    private readonly policy: Partial<PolicyValues>,
    private readonly provisioned: ProvisionedSummary[],
  ) {}

  private answer(type: RequestType, payload: unknown): unknown {
    switch (type) {
      case 'subscribe':
        return { sessions: this.sessions };
      case 'policy':
        return { values: { ...defaultPolicyValues(), ...this.policy }, sources: Object.fromEntries(POLICY_NAMES.map((n) => [n, 'default'])) };
      case 'provisioned':
        return { profiles: this.provisioned };
      case 'firewall':
        throw new HelperRequestError({ code: 'firewall-unavailable', message: { en: 'no firewall', ja: 'ファイアウォールなし' } });
      case 'list':
        return { sessions: this.sessions };
      case 'connect': {
        const id = (payload as { provisioned?: string }).provisioned;
        const profile = this.provisioned.find((p) => p.id === id);
        if (!profile) throw new HelperRequestError({ code: 'not-found', message: { en: 'no such provisioned profile', ja: 'その配布プロファイルはありません' } });
        if (profile.refused) throw new HelperRequestError({ code: 'policy-denied', message: profile.refused });
        const sessionId = `s${String(this.requests.length).padStart(15, '0')}`;
        this.sessions.push({ id: sessionId, kind: profile.kind, name: profile.name, uid: UID, state: { status: 'connecting', phase: 'starting' }, startedAt: 1, fullTunnel: true, interfaceName: null, bytesIn: 0, bytesOut: 0 });
        return { sessionId };
      }
      case 'disconnect': {
        const { sessionId } = payload as { sessionId: string };
        this.sessions = this.sessions.filter((s) => s.id !== sessionId);
        queueMicrotask(() => this.emit({ event: 'session-removed', sessionId, at: 2 }));
        return { sessionIds: [sessionId] };
      }
      default:
        throw new Error(`the scripted helper has no answer to ${type}`);
    }
  }

  async request<T extends RequestType>(type: T, payload: HelperPayload<T>): Promise<HelperResult<T>> {
    this.requests.push({ type, payload });
    await Promise.resolve();
    return results[type].parse(this.answer(type, payload)) as HelperResult<T>;
  }

  onEvent(listener: (event: HelperEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onClosed(listener: () => void): void {
    this.closedListener = listener;
  }

  close(): void {}

  emit(event: HelperEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** The helper process exits: the socket closes. */
  exit(): void {
    this.closedListener?.();
  }

  connects(): Array<HelperPayload<'connect'>> {
    return this.requests.filter((r) => r.type === 'connect').map((r) => r.payload as HelperPayload<'connect'>);
  }
}

let folders = 0;

/** The app services started on `helpers` (one per helper process, in order), the first one available. */
async function appOn(helpers: ScriptedHelper[]): Promise<{ services: AppServices; events: AppEvent[] }> {
  let next = 0;
  const services = await createAppServices({
    dataDir: join(work, `app${folders++}`),
    version: '0.1.0',
    platform: 'linux',
    systemLanguage: 'en',
    safeStorage: testKeychain(),
    dialogs: { chooseSavePath: async () => null },
    setLaunchAtLogin: async () => undefined,
    helper: {
      socketPath: join(work, 'unused.sock'),
      backoff: { minMs: 1, maxMs: 1 },
      openLink: async () => {
        const helper = helpers[next++];
        if (!helper) throw Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' });
        return helper;
      },
    },
  });
  const events: AppEvent[] = [];
  services.events.on((e) => events.push(e));
  await services.start();
  await waitFor(() => services.connections.helperStatus().status === 'available', 'available');
  return { services, events };
}

const OFFICE_ID = provisionedProfileId('office');

describe('AutoConnectProfile', () => {
  it('connects the provisioned profile once at start, by its provisioned id, and leaves it down after the user disconnects', async () => {
    const first = new ScriptedHelper({ AutoConnectProfile: 'office' }, [OFFICE]);
    const { services, events } = await appOn([first]);
    // The launch decision and a provisioned connect's request are made as the helper turns available.
    expect(first.connects()).toEqual([{ provisioned: 'office', options: { allowLan: false } }]);
    await waitFor(() => services.connections.connections().find((c) => c.profileId === OFFICE_ID && c.sessionId !== null), 'the session');
    expect(services.connections.connections()).toMatchObject([{ profileId: OFFICE_ID, sessionId: first.sessions[0]?.id }]);

    // The user ends it: the app leaves it down.
    expect(await services.handlers['connections:disconnect']({ id: OFFICE_ID })).toEqual({ ok: true, value: { ok: true } });
    await waitFor(() => events.some((e) => e.type === 'connection' && e.connection.profileId === OFFICE_ID && e.connection.state.status === 'disconnected'), 'disconnected');
    expect(first.connects()).toHaveLength(1);
    services.stop();
  });

  it('does not connect it again when the helper restarts and answers again', async () => {
    const first = new ScriptedHelper({ AutoConnectProfile: 'office' }, [OFFICE]);
    const second = new ScriptedHelper({ AutoConnectProfile: 'office' }, [OFFICE]);
    const { services } = await appOn([first, second]);
    expect(first.connects()).toHaveLength(1);
    first.exit();
    await waitFor(() => second.requests.some((r) => r.type === 'subscribe') && services.connections.helperStatus().status === 'available', 'the restarted helper');
    expect(first.connects()).toHaveLength(1);
    expect(second.connects()).toEqual([]);
    services.stop();
  });

  it('connects nothing when the policy is empty', async () => {
    const helper = new ScriptedHelper({}, [OFFICE]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { services } = await appOn([helper]);
    expect(helper.connects()).toEqual([]);
    expect(services.connections.connections()).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    services.stop();
  });

  it('sends no connect for an id that is not provisioned, and says so', async () => {
    const helper = new ScriptedHelper({ AutoConnectProfile: 'gone' }, [OFFICE]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { services } = await appOn([helper]);
    expect(warn).toHaveBeenCalledWith('tsunagu: AutoConnectProfile "gone" names no provisioned profile; nothing connected at start');
    warn.mockRestore();
    expect(helper.connects()).toEqual([]);
    expect(helper.requests.map((r) => r.type)).toEqual(['subscribe', 'policy', 'provisioned', 'firewall']);
    expect(services.connections.connections()).toEqual([]);
    services.stop();
  });

  it("a provisioned profile the helper refuses: no session, and its view shows the helper's reason", async () => {
    const helper = new ScriptedHelper({ AutoConnectProfile: 'office' }, [{ ...OFFICE, servers: ['vpn.example.org'], refused: REFUSED }]);
    const { services } = await appOn([helper]);
    const view = await waitFor(() => services.connections.connections().find((c) => c.profileId === OFFICE_ID && c.state.status === 'error'), 'the refusal');
    expect(view).toMatchObject({ sessionId: null, state: { status: 'error', code: 'policy-denied', message: REFUSED } });
    expect(helper.connects()).toHaveLength(1);
    expect(helper.sessions).toEqual([]);
    services.stop();
  });
});
