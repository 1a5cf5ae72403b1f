/**
 * The renderer↔main contract end to end: every channel has a request and a reply schema, a
 * handler in the services and a method in the preload; the table-driven IPC registration checks
 * the sender and validates requests and replies; which senders are trusted; what the OS hands us
 * on the command line; the Linux autostart entry; the system language.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { APP_CHANNELS, APP_EVENT_CHANNEL, methodName, type AppChannel, type AppHandlers } from '../../shared/ipc/app-api.js';
import { EVENT_CHANNEL, PRELOAD_CHANNELS, createApi, preloadMethodName } from '../../electron/preload/api.js';
import { createAppServices, type AppServices } from '../../electron/main/services/app-services.js';
import { LinuxAutostart, autostartEntry, desktopExecArg } from '../../electron/main/services/autostart.js';
import type { SafeStorage } from '../../electron/main/services/credential-vault.js';
import { pickSystemLanguage } from '../../electron/main/services/language.js';
import { launchRequests, startHidden } from '../../electron/main/services/launch-requests.js';
import { APP_CHANNEL_NAMES, registerHandlers, type IpcLike } from '../../electron/main/services/register-handlers.js';
import { isTrustedSender } from '../../electron/main/services/trusted-sender.js';

const work = mkdtempSync(join(tmpdir(), 'tsunagu-main-ipc-'));
const noKeychain: SafeStorage = { isEncryptionAvailable: () => false, getSelectedStorageBackend: () => 'unknown', encryptString: () => Buffer.alloc(0), decryptString: () => '' };
let services: AppServices;

beforeAll(async () => {
  services = await createAppServices({
    dataDir: join(work, 'data'),
    version: '1.2.3',
    platform: 'linux',
    systemLanguage: 'ja',
    safeStorage: noKeychain,
    dialogs: { chooseSavePath: async () => null },
    setLaunchAtLogin: async () => undefined,
    helper: { socketPath: join(work, 'none.sock') },
  });
});
afterAll(() => {
  services.stop();
  rmSync(work, { recursive: true, force: true });
});

const channels = Object.keys(APP_CHANNELS) as AppChannel[];

/** An ipcMain stand-in: remembers each handler so a test can invoke it like a renderer would. */
class FakeIpc implements IpcLike<{ trusted: boolean }> {
  readonly listeners = new Map<string, (event: { trusted: boolean }, request: unknown) => Promise<unknown>>();
  handle(channel: string, listener: (event: { trusted: boolean }, request: unknown) => Promise<unknown>): void {
    if (this.listeners.has(channel)) throw new Error(`second handler for ${channel}`);
    this.listeners.set(channel, listener);
  }
  invoke(channel: string, request: unknown, trusted = true): Promise<unknown> {
    const listener = this.listeners.get(channel);
    if (!listener) throw new Error(`no handler for ${channel}`);
    return listener({ trusted }, request);
  }
}

describe('the channel table', () => {
  it('gives every channel a request schema and a reply schema', () => {
    expect(channels.length).toBeGreaterThan(10);
    for (const channel of channels) {
      expect(APP_CHANNELS[channel].request, channel).toBeInstanceOf(z.ZodType);
      expect(APP_CHANNELS[channel].reply, channel).toBeInstanceOf(z.ZodType);
    }
  });

  it('has a services handler for every channel, and nothing else', () => {
    expect(Object.keys(services.handlers).sort()).toEqual([...channels].sort());
    for (const channel of channels) expect(typeof services.handlers[channel], channel).toBe('function');
    expect([...APP_CHANNEL_NAMES].sort()).toEqual([...channels].sort());
  });

  it('has a preload method for every channel, named as app-api says, and nothing else', () => {
    expect([...PRELOAD_CHANNELS].sort()).toEqual([...channels].sort());
    for (const channel of channels) expect(preloadMethodName(channel)).toBe(methodName(channel));
    expect(EVENT_CHANNEL).toBe(APP_EVENT_CHANNEL);

    const calls: Array<[string, unknown]> = [];
    const api = createApi({
      invoke: async (channel, request) => {
        calls.push([channel, request]);
        return { ok: true, value: null };
      },
      subscribe: () => () => undefined,
      pathForFile: () => '/dropped/profile.ovpn',
    });
    expect(Object.keys(api).sort()).toEqual([...channels.map(methodName), 'onEvent', 'pathForFile'].sort());
    const byName = api as unknown as Record<string, (request: unknown) => Promise<unknown>>;
    for (const channel of channels) void byName[methodName(channel)]?.({ probe: channel });
    expect(calls).toEqual(channels.map((c) => [c, { probe: c }]));
    expect(api.pathForFile({})).toBe('/dropped/profile.ovpn');
  });
});

describe('registerHandlers', () => {
  const ipc = new FakeIpc();
  const seen: string[] = [];
  // Services whose handlers record the call; a few misbehave on purpose.
  const recording = Object.fromEntries(channels.map((c) => [c, async () => {
    seen.push(c);
    if (c === 'log:recent') throw new Error('boom');
    if (c === 'app:info') return { ok: true, value: { version: 1 } };
    return services.handlers[c]({} as never);
  }])) as unknown as AppHandlers;
  registerHandlers(ipc, recording, (event) => event.trusted);

  it('registers every channel once', () => {
    expect([...ipc.listeners.keys()].sort()).toEqual([...channels].sort());
  });

  it('answers an untrusted sender with an error and never runs the handler', async () => {
    for (const channel of channels) expect(await ipc.invoke(channel, {}, false)).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
    expect(seen).toEqual([]);
  });

  it('validates each request with its schema before the handler sees it', async () => {
    const bad = await ipc.invoke('profiles:get', { id: '../../etc/passwd' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request', message: { en: 'The request was not understood.', ja: 'リクエストを理解できませんでした。' } } });
    expect(await ipc.invoke('settings:get', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await ipc.invoke('profiles:prepare-import', { source: { kind: 'url', url: 'not a url' } })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(seen).toEqual([]);
    expect(await ipc.invoke('settings:get', undefined)).toMatchObject({ ok: true, value: { language: 'system' } });
    expect(seen).toEqual(['settings:get']);
  });

  it('turns a thrown error or a reply outside the schema into an AppError', async () => {
    expect(await ipc.invoke('log:recent', {})).toMatchObject({ ok: false, error: { code: 'internal', detail: 'boom' } });
    expect(await ipc.invoke('app:info', {})).toMatchObject({ ok: false, error: { code: 'internal' } });
  });
});

describe('services over the table', () => {
  const ipc = new FakeIpc();
  beforeAll(() => registerHandlers(ipc, services.handlers, () => true));

  it('reports the app and keychain', async () => {
    expect(await ipc.invoke('app:info', {})).toEqual({ ok: true, value: { version: '1.2.3', platform: 'linux', systemLanguage: 'ja', keychain: 'unavailable' } });
  });

  it('reports the helper as unavailable with how to start it, and refuses to connect', async () => {
    await services.start();
    const deadline = Date.now() + 5000;
    while (services.connections.helperStatus().status !== 'unavailable' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await ipc.invoke('connections:list', {})).toMatchObject({ ok: true, value: { connections: [], helper: { status: 'unavailable', reason: 'not-running' } } });
    expect(await ipc.invoke('connections:connect', { id: '0123456789abcdef' })).toMatchObject({ ok: false, error: { code: 'helper-unavailable' } });
  });

  it('refuses a connect-on-launch profile that does not exist', async () => {
    expect(await ipc.invoke('settings:set', { connectOnLaunch: '0123456789abcdef' })).toMatchObject({ ok: false, error: { code: 'connect-on-launch-unknown' } });
    expect(await ipc.invoke('settings:set', { language: 'en' })).toMatchObject({ ok: true, value: { language: 'en' } });
    expect(services.language()).toBe('en');
  });
});

describe('trusted senders', () => {
  const page = 'file:///opt/Tsunagu/resources/app.asar/out/renderer/index.html';
  const sender = (frameUrl: string, more = {}) => ({ fromAppWindow: true, isMainFrame: true, frameUrl, ...more });

  it('is only the main frame of the app window showing the app page', () => {
    expect(isTrustedSender(sender(page), page)).toBe(true);
    expect(isTrustedSender(sender(`${page}#/profiles`), page)).toBe(true);
    expect(isTrustedSender(sender(page, { isMainFrame: false }), page)).toBe(false);
    expect(isTrustedSender(sender(page, { fromAppWindow: false }), page)).toBe(false);
    expect(isTrustedSender(sender('file:///tmp/evil.html'), page)).toBe(false);
    expect(isTrustedSender(sender('https://example.com/index.html'), page)).toBe(false);
    expect(isTrustedSender(sender('not a url'), page)).toBe(false);
    expect(isTrustedSender(null, page)).toBe(false);
  });
});

describe('launch arguments', () => {
  it('picks profile files and tsunagu links, resolving relative paths', () => {
    const argv = ['/opt/Tsunagu/tsunagu', '--hidden', '--enable-features=X', 'office.ovpn', '/home/a/wg0.conf', 'bundle.ZIP', 'notes.txt', 'tsunagu://import?url=https://x.example/a.ovpn'];
    expect(launchRequests(argv, { cwd: '/home/a/Downloads', skip: 1 })).toEqual([
      { kind: 'file', path: '/home/a/Downloads/office.ovpn' },
      { kind: 'file', path: '/home/a/wg0.conf' },
      { kind: 'file', path: '/home/a/Downloads/bundle.ZIP' },
      { kind: 'link', url: 'tsunagu://import?url=https://x.example/a.ovpn' },
    ]);
    // Unpackaged, the script is the second entry and must not be taken for a file.
    expect(launchRequests(['/usr/bin/electron', '/src/out/main/main.js', 'a.ovpn'], { cwd: '/w', skip: 2 })).toEqual([{ kind: 'file', path: '/w/a.ovpn' }]);
    expect(startHidden(argv)).toBe(true);
    expect(startHidden(['/opt/Tsunagu/tsunagu'])).toBe(false);
  });
});

describe('Linux autostart', () => {
  it('writes an XDG autostart entry that starts hidden, and removes it', async () => {
    const autostart = new LinuxAutostart(join(work, 'config'), ['/opt/My Apps/Tsunagu/tsunagu', '--hidden']);
    await autostart.set(true);
    const text = readFileSync(join(work, 'config/autostart/tsunagu.desktop'), 'utf8');
    expect(text).toContain('Exec="/opt/My Apps/Tsunagu/tsunagu" --hidden\n');
    expect(text).toMatch(/^\[Desktop Entry\]\nType=Application\n/);
    expect(statSync(autostart.path).mode & 0o777).toBe(0o644);
    await autostart.set(false);
    expect(() => statSync(autostart.path)).toThrow();
    await autostart.set(false);
  });

  it('quotes Exec arguments per the Desktop Entry spec', () => {
    expect(desktopExecArg('/usr/bin/tsunagu')).toBe('/usr/bin/tsunagu');
    expect(desktopExecArg('a "b" $c `d` \\e 100%')).toBe('"a \\"b\\" \\$c \\`d\\` \\\\e 100%%"');
    expect(autostartEntry(['/x'])).toContain('Exec=/x\n');
  });
});

describe('system language', () => {
  it('takes the first supported preference, else English', () => {
    expect(pickSystemLanguage(['ja-JP', 'en-US'])).toBe('ja');
    expect(pickSystemLanguage(['fr-FR', 'en-GB', 'ja'])).toBe('en');
    expect(pickSystemLanguage(['de-DE'])).toBe('en');
    expect(pickSystemLanguage([])).toBe('en');
  });
});
