/**
 * The app's helper connection against real helpers (root only, like helper-server.test.ts):
 *   - the shipped helper (the bundled CLI, `tsunagu helper`) as a separate process: unavailable
 *     with how to start it while it is not running, available once it is, and back after a restart;
 *   - sockets that must not be trusted or that refuse us: not root-owned, wrong version, not allowed;
 *   - the real socket server and session manager in this process, with a scripted driver in place
 *     of openvpn/wg-quick (no tunnels on this machine): sessions mapped to profiles, live views and
 *     stats, sign-in prompts answered from the vault or forwarded to the UI, remembering only what
 *     worked, re-adopting tunnels after an app restart, and the whole app services over IPC.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../../build/bundle.js';
import type { AppEvent, ConnectionView } from '../../shared/ipc/app-api.js';
import type { Credentials } from '../../shared/ipc/helper-protocol.js';
import type { Driver, DriverContext } from '../../electron/helper/drivers/driver.js';
import { HelperLog } from '../../electron/helper/log.js';
import { HelperServer } from '../../electron/helper/server.js';
import { SessionManager } from '../../electron/helper/sessions.js';
import { createAppServices, type AppServices } from '../../electron/main/services/app-services.js';
import { CredentialVault } from '../../electron/main/services/credential-vault.js';
import { testKeychain } from '../support/keychain.js';
import { ConnectionManager, type ConnectionChange } from '../../electron/main/services/helper-connection.js';
import { nextBackoff } from '../../electron/main/services/helper-status.js';
import { notificationForChange } from '../../electron/main/services/notification-rules.js';
import { newProfileFrom, isAccepted } from '../../electron/main/services/profile-record.js';
import { ProfileStore } from '../../electron/main/services/profile-store.js';
import { registerHandlers, type IpcLike } from '../../electron/main/services/register-handlers.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';

const ROOT = join(import.meta.dirname, '../..');
const isRoot = process.getuid?.() === 0;
const work = mkdtempSync(join(tmpdir(), 'tsunagu-main-helper-'));
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function waitFor<T>(probe: () => T | null | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}


let folders = 0;
const folder = () => join(work, `d${folders++}`);

describe.skipIf(!isRoot)('the shipped helper, as its own process', () => {
  const socketPath = join(work, 'cli', 'h.sock');
  let helper: ChildProcess | null = null;
  let manager: ConnectionManager;
  const statuses: string[] = [];

  function startHelper(): ChildProcess {
    const child = spawn(process.execPath, [join(ROOT, 'out/cli/tsunagu.mjs'), '--socket', socketPath, 'helper', '--group', 'root', '--run-dir', join(work, 'cli', 'run')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.resume();
    return child;
  }

  async function stopHelper(): Promise<void> {
    const child = helper;
    helper = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  beforeAll(async () => {
    await bundleCli();
    const store = new ProfileStore(folder());
    manager = new ConnectionManager({ socketPath, profiles: store, vault: new CredentialVault(folder(), testKeychain()), sessionsFile: null });
    manager.events.on((e) => {
      if (e.type === 'helper') statuses.push(e.helper.status === 'unavailable' ? `unavailable:${e.helper.reason}` : e.helper.status);
    });
  }, 120_000);

  afterAll(async () => {
    manager.stop();
    await stopHelper();
  });

  it('reports the helper as not running, with how to start it in both languages', async () => {
    await manager.start();
    const status = await waitFor(() => {
      const s = manager.helperStatus();
      return s.status === 'unavailable' ? s : null;
    }, 'unavailable');
    expect(status.reason).toBe('not-running');
    expect(status.message.en).toBe('The Tsunagu helper is not running, so VPNs cannot be connected.');
    expect(status.howToFix.en).toContain('sudo systemctl start tsunagu-helper');
    expect(status.howToFix.en).toContain('sudo npx tsunagu helper');
    expect(status.howToFix.ja).toContain('sudo systemctl start tsunagu-helper');
    expect(status.message.ja).toContain('ヘルパー');
  });

  it('becomes available once the helper starts, without being asked', async () => {
    helper = startHelper();
    const status = await waitFor(() => {
      const s = manager.helperStatus();
      return s.status === 'available' ? s : null;
    }, 'available');
    expect(status.version).toMatch(/^tsunagu-helper /);
    const log = await manager.recentLog(undefined, 50);
    expect(log.ok && log.value.lines.some((l) => l.text.includes('listening on'))).toBe(true);
  });

  it('notices the helper stopping and reconnects when it is back', async () => {
    await stopHelper();
    await waitFor(() => manager.helperStatus().status === 'unavailable', 'unavailable after stop');
    expect(statuses.slice(-2)).toEqual(['available', 'unavailable:not-running']);
    helper = startHelper();
    await waitFor(() => manager.helperStatus().status === 'available', 'available after restart');
    expect(statuses.slice(-3)).toEqual(['available', 'unavailable:not-running', 'available']);
  }, 30_000);

  it('backs off from 0.5 s, doubling, up to 10 s', () => {
    const delays = [0];
    for (let i = 0; i < 7; i++) delays.push(nextBackoff(delays.at(-1) ?? 0));
    expect(delays.slice(1)).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});

describe.skipIf(!isRoot)('sockets the app must not use', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  /**
   * A socket server owned by `uid` that answers each line with `reply(line)` (null: hang up), or
   * that says `greeting` and hangs up at once, as the real helper does to a user it refuses.
   */
  async function fakeHelper(name: string, uid: number, reply: (line: string) => string | null, greeting?: string): Promise<string> {
    const path = join(work, `${name}.sock`);
    const server = createServer((socket) => {
      sockets.push(socket);
      if (greeting !== undefined) {
        socket.end(`${greeting}\n`);
        return;
      }
      socket.setEncoding('utf8');
      socket.on('data', (data: string) => {
        for (const line of data.split('\n').filter(Boolean)) {
          const answer = reply(line);
          if (answer === null) socket.end();
          else socket.write(`${answer}\n`);
        }
      });
    });
    await new Promise<void>((r) => server.listen(path, r));
    chownSync(path, uid, uid);
    servers.push(server);
    return path;
  }

  async function statusFor(socketPath: string) {
    const manager = new ConnectionManager({ socketPath, profiles: new ProfileStore(folder()), vault: new CredentialVault(folder(), testKeychain()), sessionsFile: null, helloTimeoutMs: 500 });
    await manager.start();
    const status = await waitFor(() => {
      const s = manager.helperStatus();
      return s.status === 'unavailable' ? s : null;
    }, 'unavailable');
    manager.stop();
    return status;
  }

  it('refuses a socket not owned by root, without sending it anything', async () => {
    let received = 0;
    const path = await fakeHelper('impostor', 65534, () => {
      received++;
      return null;
    });
    expect(statSync(path).uid).toBe(65534);
    const status = await statusFor(path);
    expect(status).toMatchObject({ reason: 'untrusted-socket', message: { en: expect.stringContaining(path) } });
    expect(received).toBe(0);
  });

  it('explains a helper of another protocol version', async () => {
    const path = await fakeHelper('old', 0, (line) => JSON.stringify({ id: (JSON.parse(line) as { id: number }).id, ok: false, error: { code: 'version-mismatch', message: { en: 'old', ja: 'old' } } }));
    expect(await statusFor(path)).toMatchObject({ reason: 'version-mismatch', howToFix: { en: expect.stringContaining('Update Tsunagu') } });
  });

  it('gives up on a socket that never answers hello', async () => {
    const path = await fakeHelper('silent', 0, () => '');
    expect(await statusFor(path)).toMatchObject({ reason: 'not-running' });
  });

  it('explains a helper that does not let this user in', async () => {
    const path = await fakeHelper('closed', 0, () => null, JSON.stringify({ id: null, ok: false, error: { code: 'not-permitted', message: { en: 'no', ja: 'no' } } }));
    expect(await statusFor(path)).toMatchObject({ reason: 'permission-denied', howToFix: { en: expect.stringContaining('usermod -aG tsunagu') } });
  });
});

// ---------- sessions, with the real server and a scripted driver ----------

const RIGHT_PASSWORD = 'right-password';
/** What each scripted session was given, by profile name (the scenario). */
const driverCalls: Array<{ scenario: string; credentials: Credentials[] }> = [];

/** Plays openvpn's part: "plain" comes up at once; "userpass" and "authfail" ask for a password first. */
function scriptedDriver(ctx: DriverContext): Driver {
  // The profile's name is the scenario ("plain (2)" is a second "plain" profile).
  const scenario = ctx.inspection.name.replace(/ \(\d+\)$/, '');
  const record = { scenario, credentials: [] as Credentials[] };
  driverCalls.push(record);
  let counters: NodeJS.Timeout | null = null;
  let failed = false;
  const up = () => {
    ctx.events.state({ status: 'connected', localIp: '10.8.0.2', remote: '198.51.100.1:1194', since: Date.now() });
    let bytes = 0;
    counters = setInterval(() => {
      bytes += 1500;
      ctx.events.counters(bytes, bytes / 2);
    }, 20);
  };
  return {
    start: async () => {
      ctx.events.state({ status: 'connecting', phase: 'connecting' });
      if (scenario === 'plain') setTimeout(up, 20);
      else
        setTimeout(() => {
          ctx.events.state({ status: 'authenticating' });
          ctx.events.credentialsRequired({ kind: 'userpass', retry: false });
        }, 20);
    },
    provideCredentials: (credentials) => {
      record.credentials.push(credentials);
      if (credentials.kind === 'cancel') return true;
      if (credentials.kind !== 'userpass') return false;
      if (credentials.password === RIGHT_PASSWORD) setTimeout(up, 10);
      else if (scenario === 'authfail') {
        failed = true;
        setTimeout(() => ctx.events.state({ status: 'error', code: 'auth-failed', message: { en: 'The server rejected the login.', ja: 'サーバーがログインを拒否しました。' } }), 10);
      } else setTimeout(() => ctx.events.credentialsRequired({ kind: 'userpass', retry: true }), 10);
      return true;
    },
    stop: async (reason) => {
      if (counters) clearInterval(counters);
      if (failed) return;
      ctx.events.state({ status: 'disconnecting' });
      ctx.events.state({ status: 'disconnected', reason });
    },
    interfaceName: () => 'tun9',
  };
}

const SPLIT_WG = readFileSync(join(ROOT, 'test/fixtures/seed/wg-client.conf'), 'utf8').replace('AllowedIPs = 0.0.0.0/0', 'AllowedIPs = 10.20.0.0/16');

interface InProcessHelper {
  socketPath: string;
  sessions: SessionManager;
  server: HelperServer;
  stop(): Promise<void>;
}

async function inProcessHelper(socketPath = join(folder(), 'helper.sock')): Promise<InProcessHelper> {
  const dir = join(socketPath, '..');
  const log = new HelperLog(1000);
  const sessions = new SessionManager({ runDir: dir, log, statsIntervalMs: 50, drivers: { openvpn: scriptedDriver, wireguard: scriptedDriver } });
  const server = new HelperServer({ socketPath, group: 'root', sessions, log });
  await server.listen();
  return {
    socketPath,
    sessions,
    server,
    stop: async () => {
      await sessions.shutdown();
      await server.close();
    },
  };
}

async function profileNamed(store: ProfileStore, name: string): Promise<string> {
  const result = inspectProfile(SPLIT_WG, { fileName: `${name}.conf` });
  if (!isAccepted(result)) throw new Error('profile refused');
  const created = await store.create(newProfileFrom(result, { name, originalText: SPLIT_WG, source: 'test', importedAt: 1 }));
  if (!created.ok) throw new Error('not saved');
  return created.value.id;
}

// Each test waits for several states in turn (up to 5 s each): the test's own limit must be above their sum,
// so that a slow machine shows which state never came instead of a bare test timeout.
describe.skipIf(!isRoot)('sessions through the helper', { timeout: 20_000 }, () => {
  let helper: InProcessHelper;
  let store: ProfileStore;
  let vault: CredentialVault;
  let manager: ConnectionManager;
  const events: AppEvent[] = [];
  const changes: ConnectionChange[] = [];
  const sessionsFile = join(work, 'sessions.json');

  const viewOf = (id: string): ConnectionView | null => manager.view(id);
  const waitState = (id: string, status: string) =>
    waitFor(() => viewOf(id)?.state.status === status && viewOf(id), `${status}`, 5000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; the profile's view is ${JSON.stringify(viewOf(id))}`);
    });

  beforeAll(async () => {
    helper = await inProcessHelper();
    store = new ProfileStore(folder());
    await store.open();
    vault = new CredentialVault(folder(), testKeychain());
    manager = new ConnectionManager({ socketPath: helper.socketPath, profiles: store, vault, sessionsFile });
    manager.events.on((e) => events.push(e));
    manager.changes.on((c) => changes.push(c));
    await manager.start();
    await waitFor(() => manager.helperStatus().status === 'available', 'available');
  });
  afterAll(async () => {
    manager.stop();
    await helper.stop();
  });

  it('connects a profile, shows its state and traffic, and maps the session to it', async () => {
    const id = await profileNamed(store, 'plain');
    expect(await manager.connect(id)).toEqual({ ok: true, value: { ok: true } });
    const up = await waitState(id, 'connected');
    expect(up.sessionId).toMatch(/^[a-f0-9]{16}$/);
    expect(JSON.parse(readFileSync(sessionsFile, 'utf8'))).toEqual({ version: 1, sessions: { [up.sessionId ?? '']: id } });
    const stats = await waitFor(() => events.find((e) => e.type === 'stats' && e.profileId === id && e.bytesIn > 0), 'stats', 5000);
    expect(stats).toMatchObject({ type: 'stats', profileId: id });
    expect(changes.filter((c) => c.next.profileId === id).map((c) => c.next.state.status)).toEqual(expect.arrayContaining(['connecting', 'connected']));
    expect(manager.isActive(id)).toBe(true);
    // Connecting again while up is a no-op, not a second session.
    expect(await manager.connect(id)).toEqual({ ok: true, value: { ok: true } });
    expect(helper.sessions.list(0)).toHaveLength(1);

    const connectedChange = changes.find((c) => c.next.profileId === id && c.next.state.status === 'connected');
    if (!connectedChange) throw new Error('no connected change');
    expect(notificationForChange(connectedChange, { lang: 'en', enabled: true, windowFocused: false, profileName: 'plain' })).toMatchObject({ title: 'VPN connected' });

    expect(await manager.disconnect(id)).toEqual({ ok: true, value: { ok: true } });
    const down = await waitFor(() => viewOf(id)?.sessionId === null && viewOf(id), 'session removed', 5000);
    expect(down.state).toEqual({ status: 'disconnected', reason: 'requested by the user' });
    const last = changes.filter((c) => c.next.profileId === id && c.next.state.status === 'disconnected')[0];
    expect(last?.userRequested).toBe(true);
    if (last) expect(notificationForChange(last, { lang: 'en', enabled: true, windowFocused: false, profileName: 'plain' })).toBeNull();
    expect(helper.sessions.list(0)).toHaveLength(0);
    const log = await manager.recentLog(id, 100);
    expect(log.ok && log.value.lines.length).toBeGreaterThan(0);
    expect(log.ok && log.value.lines.every((l) => l.sessionId === up.sessionId)).toBe(true);
  });

  it('asks the user when nothing is saved, and remembers the password only once it worked', async () => {
    const id = await profileNamed(store, 'userpass');
    await manager.connect(id);
    const asking = await waitFor(() => viewOf(id)?.prompt && viewOf(id), 'prompt', 5000);
    expect(asking.prompt).toEqual({ kind: 'userpass', retry: false });
    // A wrong password with "remember": asked again, nothing saved.
    expect(await manager.provideCredentials(id, { kind: 'userpass', username: 'alice', password: 'wrong' }, true)).toEqual({ ok: true, value: { ok: true } });
    const again = await waitFor(() => viewOf(id)?.prompt?.retry === true && viewOf(id), 'retry prompt', 5000);
    expect(again.prompt).toEqual({ kind: 'userpass', retry: true });
    expect(await manager.provideCredentials(id, { kind: 'userpass', username: 'alice', password: RIGHT_PASSWORD }, true)).toMatchObject({ ok: true });
    await waitState(id, 'connected');
    const saved = await waitForAsync(() => vault.load(id), (v) => v.userpass !== undefined);
    expect(saved.userpass).toEqual({ username: 'alice', password: RIGHT_PASSWORD });
    await manager.disconnect(id);
    await waitFor(() => viewOf(id)?.sessionId === null, 'removed', 5000);
  });

  it('answers the next prompt from the vault, so the user is not asked', async () => {
    const id = await profileNamed(store, 'userpass');
    await vault.save(id, { kind: 'userpass', username: 'alice', password: RIGHT_PASSWORD });
    const before = events.length;
    await manager.connect(id);
    await waitState(id, 'connected');
    expect(events.slice(before).some((e) => e.type === 'connection' && e.connection.prompt !== null)).toBe(false);
    expect(driverCalls.at(-1)?.credentials).toEqual([{ kind: 'userpass', username: 'alice', password: RIGHT_PASSWORD }]);
    await manager.disconnect(id);
    await waitFor(() => viewOf(id)?.sessionId === null, 'removed', 5000);
  });

  it('asks the user when the saved password is refused, and forgets it when told not to remember', async () => {
    const id = await profileNamed(store, 'userpass');
    await vault.save(id, { kind: 'userpass', username: 'alice', password: 'outdated' });
    await manager.connect(id);
    const asking = await waitFor(() => viewOf(id)?.prompt && viewOf(id), 'prompt after saved one failed', 5000);
    expect(asking.prompt).toEqual({ kind: 'userpass', retry: true });
    await manager.provideCredentials(id, { kind: 'userpass', username: 'alice', password: RIGHT_PASSWORD }, false);
    await waitState(id, 'connected');
    expect(await vault.load(id)).toEqual({});
    await manager.disconnect(id);
    await waitFor(() => viewOf(id)?.sessionId === null, 'removed', 5000);
  });

  it('forgets saved credentials the server rejects, and keeps the error on screen', async () => {
    const id = await profileNamed(store, 'authfail');
    await vault.save(id, { kind: 'userpass', username: 'alice', password: 'revoked' });
    await manager.connect(id);
    const failedView = await waitFor(() => viewOf(id)?.sessionId === null && viewOf(id)?.state.status === 'error' && viewOf(id), 'auth failure', 5000);
    expect(failedView.state).toMatchObject({ status: 'error', code: 'auth-failed' });
    await waitForAsync(() => vault.load(id), (v) => v.userpass === undefined);
    const change = changes.find((c) => c.next.profileId === id && c.next.state.status === 'error');
    if (!change) throw new Error('no error change');
    expect(notificationForChange(change, { lang: 'ja', enabled: true, windowFocused: false, profileName: 'authfail' })).toMatchObject({ body: 'authfail: サーバーがログインを拒否しました。' });
  });

  it('cancelling the sign-in ends the session as the user asked', async () => {
    const id = await profileNamed(store, 'userpass');
    await manager.connect(id);
    await waitFor(() => viewOf(id)?.prompt, 'prompt', 5000);
    expect(await manager.provideCredentials(id, { kind: 'cancel' }, false)).toMatchObject({ ok: true });
    await waitFor(() => viewOf(id)?.sessionId === null, 'removed', 5000);
    expect(changes.filter((c) => c.next.profileId === id && c.next.state.status === 'disconnected').every((c) => c.userRequested)).toBe(true);
    expect(await manager.provideCredentials(id, { kind: 'cancel' }, false)).toMatchObject({ ok: false, error: { code: 'not-connected', message: { en: expect.stringMatching(/^“userpass \(\d\)” is not connected\.$/) } } });
  });

  it('re-adopts a running tunnel after an app restart', async () => {
    const id = await profileNamed(store, 'plain');
    await manager.connect(id);
    const up = await waitState(id, 'connected');
    manager.stop();
    const restarted = new ConnectionManager({ socketPath: helper.socketPath, profiles: store, vault, sessionsFile });
    await restarted.start();
    const adopted = await waitFor(() => restarted.view(id)?.state.status === 'connected' && restarted.view(id), 'adopted', 5000);
    expect(adopted.sessionId).toBe(up.sessionId);
    await restarted.disconnect(id);
    await waitFor(() => restarted.view(id)?.sessionId === null, 'removed', 5000);
    restarted.stop();
    manager = new ConnectionManager({ socketPath: helper.socketPath, profiles: store, vault, sessionsFile });
    manager.events.on((e) => events.push(e));
    manager.changes.on((c) => changes.push(c));
    await manager.start();
    await waitFor(() => manager.helperStatus().status === 'available', 'available');
  });

  it('shows tunnels as ended, unexpectedly, when the helper goes away', async () => {
    const id = await profileNamed(store, 'plain');
    await manager.connect(id);
    await waitState(id, 'connected');
    await helper.stop();
    await waitFor(() => manager.helperStatus().status === 'unavailable', 'unavailable');
    const ended = await waitFor(() => viewOf(id)?.state.status === 'disconnected' && viewOf(id), 'ended', 5000);
    expect(ended.sessionId).toBeNull();
    const drop = changes.filter((c) => c.next.profileId === id && c.next.state.status === 'disconnected').at(-1);
    expect(drop?.userRequested).toBe(false);
    if (drop) expect(notificationForChange(drop, { lang: 'en', enabled: true, windowFocused: false, profileName: 'plain' })).toMatchObject({ title: 'VPN disconnected' });
    helper = await inProcessHelper(helper.socketPath);
    await waitFor(() => manager.helperStatus().status === 'available', 'available again');
  });
});

/** Polls an async probe until `done` accepts its value. */
async function waitForAsync<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!isRoot)('the app services over IPC, with the helper', () => {
  let helper: InProcessHelper;
  const dataDir = folder();
  const keychain = testKeychain();
  let savePath: string | null = null;
  const open: AppServices[] = [];

  async function app(): Promise<{ services: AppServices; events: AppEvent[]; invoke: (channel: string, request: unknown) => Promise<unknown> }> {
    const services = await createAppServices({
      dataDir,
      version: '0.1.0',
      platform: 'linux',
      systemLanguage: 'en',
      safeStorage: keychain,
      dialogs: { chooseSavePath: async () => savePath },
      setLaunchAtLogin: async () => undefined,
      helper: { socketPath: helper.socketPath },
    });
    open.push(services);
    const events: AppEvent[] = [];
    services.events.on((e) => events.push(e));
    const handlers = new Map<string, (event: null, request: unknown) => Promise<unknown>>();
    const ipc: IpcLike<null> = { handle: (channel, listener) => handlers.set(channel, listener) };
    registerHandlers(ipc, services.handlers, () => true);
    const invoke = async (channel: string, request: unknown) => {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`no handler for ${channel}`);
      return handler(null, request);
    };
    await services.start();
    await waitFor(() => services.connections.helperStatus().status === 'available', 'available');
    return { services, events, invoke };
  }

  const stateOf = (events: AppEvent[], id: string) => {
    const last = events.filter((e): e is Extract<AppEvent, { type: 'connection' }> => e.type === 'connection' && e.connection.profileId === id).at(-1);
    return last?.connection ?? null;
  };

  beforeAll(async () => {
    helper = await inProcessHelper();
  });
  afterAll(async () => {
    for (const s of open) s.stop();
    await helper.stop();
  });

  it('imports, connects, protects a connected profile, exports, signs in, and deletes', async () => {
    const { events, invoke } = await app();
    const preview = (await invoke('profiles:prepare-import', { source: { kind: 'text', text: SPLIT_WG, fileName: 'plain.conf' } })) as { ok: true; value: { importId: string } };
    expect(preview).toMatchObject({ ok: true, value: { source: 'pasted text', items: [{ ok: true, name: 'plain' }] } });
    const committed = (await invoke('profiles:commit-import', { importId: preview.value.importId })) as { ok: true; value: { ids: string[] } };
    const id = committed.value.ids[0] ?? '';
    expect(events.some((e) => e.type === 'profiles-changed')).toBe(true);
    expect(await invoke('profiles:list', {})).toMatchObject({ ok: true, value: { profiles: [{ id, name: 'plain', kind: 'wireguard', hasSavedCredentials: false, needsCredentials: false }] } });

    expect(await invoke('connections:connect', { id })).toEqual({ ok: true, value: { ok: true } });
    await waitFor(() => stateOf(events, id)?.state.status === 'connected', 'connected', 5000);
    expect(await invoke('connections:list', {})).toMatchObject({ ok: true, value: { helper: { status: 'available' }, connections: [{ profileId: id, state: { status: 'connected', localIp: '10.8.0.2' } }] } });
    expect(await invoke('profiles:delete', { id })).toMatchObject({ ok: false, error: { code: 'profile-connected', message: { en: 'Disconnect “plain” before deleting it.' } } });

    savePath = join(dataDir, '..', 'exported-plain.conf');
    expect(await invoke('profiles:export', { id })).toEqual({ ok: true, value: { path: savePath } });
    expect(statSync(savePath).mode & 0o777).toBe(0o600);
    expect(readFileSync(savePath, 'utf8')).toContain('PrivateKey = ');
    savePath = join(dataDir, '..', 'log.txt');
    expect(await invoke('log:export', { profileId: id })).toEqual({ ok: true, value: { path: savePath } });
    expect(readFileSync(savePath, 'utf8')).toContain('state connected');
    savePath = null;
    expect(await invoke('profiles:export', { id })).toEqual({ ok: true, value: { path: null } });

    expect(await invoke('settings:set', { connectOnLaunch: id })).toMatchObject({ ok: true, value: { connectOnLaunch: id } });
    expect(await invoke('connections:disconnect', { id })).toEqual({ ok: true, value: { ok: true } });
    await waitFor(() => stateOf(events, id)?.sessionId === null && stateOf(events, id)?.state.status === 'disconnected', 'disconnected', 5000);
    expect(await invoke('profiles:delete', { id })).toEqual({ ok: true, value: { ok: true } });
    expect(events.filter((e) => e.type === 'settings-changed').at(-1)).toMatchObject({ settings: { connectOnLaunch: null } });
    expect(await invoke('profiles:list', {})).toEqual({ ok: true, value: { profiles: [] } });
  });

  it('signs in through the UI and shows the saved credentials afterwards', async () => {
    const { events, invoke } = await app();
    const preview = (await invoke('profiles:prepare-import', { source: { kind: 'text', text: SPLIT_WG, fileName: 'userpass.conf' } })) as { ok: true; value: { importId: string } };
    const committed = (await invoke('profiles:commit-import', { importId: preview.value.importId })) as { ok: true; value: { ids: string[] } };
    const id = committed.value.ids[0] ?? '';
    await invoke('connections:connect', { id });
    await waitFor(() => stateOf(events, id)?.prompt, 'prompt', 5000);
    expect(await invoke('connections:credentials', { id, credentials: { kind: 'userpass', username: 'alice', password: RIGHT_PASSWORD }, remember: true })).toEqual({ ok: true, value: { ok: true } });
    await waitFor(() => stateOf(events, id)?.state.status === 'connected', 'connected', 5000);
    const listed = await waitForAsync(() => invoke('profiles:list', {}) as Promise<{ ok: true; value: { profiles: Array<{ hasSavedCredentials: boolean }> } }>, (r) => r.value.profiles[0]?.hasSavedCredentials === true);
    expect(listed.value.profiles[0]).toMatchObject({ name: 'userpass', hasSavedCredentials: true });
    await invoke('connections:disconnect', { id });
    await waitFor(() => stateOf(events, id)?.sessionId === null, 'removed', 5000);
    expect(await invoke('app:info', {})).toMatchObject({ ok: true, value: { keychain: 'real' } });
  });

  it('connects the chosen profile when the app starts', async () => {
    const first = await app();
    const preview = (await first.invoke('profiles:prepare-import', { source: { kind: 'text', text: SPLIT_WG, fileName: 'plain.conf' } })) as { ok: true; value: { importId: string } };
    const committed = (await first.invoke('profiles:commit-import', { importId: preview.value.importId })) as { ok: true; value: { ids: string[] } };
    const id = committed.value.ids[0] ?? '';
    await first.invoke('settings:set', { connectOnLaunch: id });
    first.services.stop();

    const second = await app();
    await waitFor(() => second.services.connections.view(id)?.state.status === 'connected', 'connected at launch', 5000);
    await second.invoke('connections:disconnect', { id });
    await waitFor(() => second.services.connections.view(id)?.sessionId === null, 'removed', 5000);
  });
});
