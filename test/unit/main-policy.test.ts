/**
 * The app's side of the admin policies against the real socket server, session manager and
 * policy readers in this process (a scripted driver in place of openvpn/wg-quick): provisioned
 * profiles appear in the list read-only and connect by id through the helper, locked actions are
 * refused with "Managed by your organization" in both languages, and a policy change on disk
 * reaches the app without restarting anything. Root only, like main-helper.test.ts.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver, DriverContext } from '../../electron/helper/drivers/driver.js';
import { HelperLog } from '../../electron/helper/log.js';
import { LinuxPolicyReader } from '../../electron/helper/policy/linux.js';
import { ProvisionedProfiles } from '../../electron/helper/policy/provisioned.js';
import { PolicyService } from '../../electron/helper/policy/service.js';
import { HelperServer } from '../../electron/helper/server.js';
import { SessionManager } from '../../electron/helper/sessions.js';
import { createAppServices, type AppServices } from '../../electron/main/services/app-services.js';
import { registerHandlers, type IpcLike } from '../../electron/main/services/register-handlers.js';
import type { AppEvent } from '../../shared/ipc/app-api.js';
import { locksFor } from '../../shared/policy/locks.js';
import { defaultPolicyValues } from '../../shared/policy/table.js';
import { testKeychain } from '../support/keychain.js';

const ROOT = join(import.meta.dirname, '../..');
const isRoot = process.getuid?.() === 0;
const WG = readFileSync(join(ROOT, 'test/fixtures/seed/wg-client.conf'), 'utf8').replace('AllowedIPs = 0.0.0.0/0', 'AllowedIPs = 10.20.0.0/16');

function upAtOnce(ctx: DriverContext): Driver {
  return {
    start: async () => {
      setTimeout(() => ctx.events.state({ status: 'connected', localIp: '10.20.0.2', remote: 'vpn', since: Date.now() }), 10);
    },
    provideCredentials: () => false,
    stop: async (reason) => ctx.events.state({ status: 'disconnected', reason }),
    interfaceName: () => 'wg9',
  };
}

async function waitFor<T>(probe: () => T | null | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('locks', () => {
  it('follow the policy, and AlwaysOn does not hold root', () => {
    const policy = { ...defaultPolicyValues(), AllowUserProfiles: false, AllowSavePasswords: false, AlwaysOn: true, StartAtLogin: true };
    expect(locksFor(defaultPolicyValues(), 1000)).toEqual({ personalProfiles: false, savePassword: false, disconnect: false, startAtLogin: false });
    expect(locksFor(policy, 1000)).toEqual({ personalProfiles: true, savePassword: true, disconnect: true, startAtLogin: true });
    expect(locksFor(policy, 0).disconnect).toBe(false);
  });
});

describe.skipIf(!isRoot)('the app with an administrator policy', { timeout: 30_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'tsunagu-main-policy-'));
  const policyDir = join(work, 'etc');
  const write = (path: string, text: string, mode = 0o644) => {
    const full = join(policyDir, path);
    mkdirSync(join(full, '..'), { recursive: true, mode: 0o755 });
    writeFileSync(`${full}.tmp`, text, { mode });
    renameSync(`${full}.tmp`, full);
  };
  let stopHelper: () => Promise<void> = async () => undefined;
  let services: AppServices;
  const events: AppEvent[] = [];
  let invoke: (channel: string, request: unknown) => Promise<unknown>;

  beforeAll(async () => {
    chmodSync(work, 0o755);
    mkdirSync(policyDir, { mode: 0o755 });
    write('policy.json', JSON.stringify({ AllowUserProfiles: false }));
    write('profiles/office-wg.conf', WG, 0o600);
    const log = new HelperLog(1000);
    const policy = new PolicyService(new LinuxPolicyReader(policyDir), (level, code, params) => log.message(level, code, params));
    const ref: { provisioned?: ProvisionedProfiles } = {};
    const sessions = new SessionManager({ runDir: work, log, drivers: { openvpn: upAtOnce, wireguard: upAtOnce }, policy: () => policy.policy.values, provisioned: (id) => ref.provisioned?.get(id) });
    const provisioned = new ProvisionedProfiles(policyDir, (p) => sessions.inspectProvisioned(p), (level, code, params) => log.message(level, code, params));
    ref.provisioned = provisioned;
    await provisioned.reload();
    const socketPath = join(work, 'helper.sock');
    const server = new HelperServer({ socketPath, group: 'root', sessions, log, policy: () => policy.policy, provisioned: () => provisioned.summaries() });
    await server.listen();
    policy.onChange(() => void provisioned.reload().then(() => server.announcePolicyChange()));
    policy.start();
    stopHelper = async () => {
      policy.stop();
      await sessions.shutdown();
      await server.close();
    };
    services = await createAppServices({
      dataDir: join(work, 'app'),
      version: '0.1.0',
      platform: 'linux',
      systemLanguage: 'en',
      safeStorage: testKeychain(),
      dialogs: { chooseSavePath: async () => null },
      setLaunchAtLogin: async () => undefined,
      helper: { socketPath },
    });
    services.events.on((e) => events.push(e));
    const handlers = new Map<string, (event: null, request: unknown) => Promise<unknown>>();
    const ipc: IpcLike<null> = { handle: (channel, listener) => handlers.set(channel, listener) };
    registerHandlers(ipc, services.handlers, () => true);
    invoke = async (channel, request) => {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`no handler for ${channel}`);
      return handler(null, request);
    };
    await services.start();
    await waitFor(() => services.connections.helperStatus().status === 'available', 'available');
  });
  afterAll(async () => {
    services.stop();
    await stopHelper();
    rmSync(work, { recursive: true, force: true });
  });

  it('lists the provisioned profile read-only, without its text, and connects it through the helper by id', async () => {
    const list = (await invoke('profiles:list', {})) as { ok: true; value: { profiles: Array<{ id: string; name: string; provisioned?: true; server: string }> } };
    expect(list.ok).toBe(true);
    expect(list.value.profiles).toHaveLength(1);
    const [office] = list.value.profiles;
    expect(office).toMatchObject({ name: 'office-wg', provisioned: true, kind: 'wireguard' });
    expect(JSON.stringify(await invoke('profiles:get', { id: office?.id }))).not.toContain('PrivateKey');
    expect(JSON.stringify(await invoke('managed:get', {}))).not.toMatch(/PrivateKey|qCi5|BEGIN/);

    for (const [channel, request] of [['profiles:delete', { id: office?.id }], ['profiles:rename', { id: office?.id, name: 'mine' }], ['profiles:export', { id: office?.id }]] as const) {
      expect(await invoke(channel, request)).toMatchObject({ ok: false, error: { code: 'policy-denied', message: { en: 'Managed by your organization', ja: '組織によって管理されています' } } });
    }

    expect(await invoke('connections:connect', { id: office?.id })).toEqual({ ok: true, value: { ok: true } });
    await waitFor(() => events.some((e) => e.type === 'connection' && e.connection.profileId === office?.id && e.connection.state.status === 'connected'), 'connected');
    expect(await invoke('connections:disconnect', { id: office?.id })).toEqual({ ok: true, value: { ok: true } });
  });

  it('refuses importing a personal profile while AllowUserProfiles is false, and allows it once the policy changes on disk', async () => {
    const source = { kind: 'text', text: WG, fileName: 'mine.conf' };
    expect(await invoke('profiles:prepare-import', { source })).toMatchObject({ ok: false, error: { code: 'policy-denied' } });
    const from = events.length;
    write('policy.json', JSON.stringify({ AllowUserProfiles: true, AllowSavePasswords: false }));
    await waitFor(() => events.slice(from).find((e) => e.type === 'managed' && e.managed.policy.AllowUserProfiles), 'the managed event');
    expect(services.connections.locks()).toMatchObject({ personalProfiles: false, savePassword: true });
    expect(await invoke('profiles:prepare-import', { source })).toMatchObject({ ok: true });
  });
});
