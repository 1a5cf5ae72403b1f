/**
 * The tray model for every state (icon, tooltip, menu; leak protection's block) in both languages, the notification rules
 * (when to speak up and when not), and the main catalog (every key in both languages, with the
 * same placeholders).
 */
import { describe, expect, it } from 'vitest';
import type { ConnectionView, FirewallView, HelperStatus } from '../../shared/ipc/app-api.js';
import type { TunnelState } from '../../shared/ipc/helper-protocol.js';
import { mainCatalog, mainText } from '../../shared/i18n/main-catalog.js';
import { unavailableStatus } from '../../electron/main/services/helper-status.js';
import { NotificationThrottle, notificationForChange, notificationForHelper } from '../../electron/main/services/notification-rules.js';
import { trayModel, type TrayItem, type TrayState } from '../../electron/main/services/tray-model.js';

const OFFICE = 'aaaaaaaaaaaaaaaa';
const HOME = 'bbbbbbbbbbbbbbbb';
const profiles = [{ id: OFFICE, name: 'Office' }, { id: HOME, name: 'Home' }];
const available: HelperStatus = { status: 'available', version: 'tsunagu-helper 0.1.0' };

function view(profileId: string, state: TunnelState, prompt: ConnectionView['prompt'] = null): ConnectionView {
  return { profileId, sessionId: 'cccccccccccccccc', state, bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, prompt };
}

const connected = (ip = '10.8.0.2'): TunnelState => ({ status: 'connected', localIp: ip, remote: '198.51.100.1:1194', since: 1 });
const failure: TunnelState = { status: 'error', code: 'auth-failed', message: { en: 'The server rejected the login.', ja: 'サーバーがログインを拒否しました。' } };

function state(overrides: Partial<TrayState>): TrayState {
  return { lang: 'en', helper: available, profiles, connections: [], ...overrides };
}

function labels(items: TrayItem[]): string[] {
  return items.map((i) => (i.kind === 'separator' ? '---' : i.label));
}

function actionFor(items: TrayItem[], label: string): TrayItem | undefined {
  return items.find((i) => i.kind === 'action' && i.label === label);
}

describe('tray model', () => {
  it('disconnected: grey ring, a Connect item per profile, Open, Import, Quit', () => {
    const model = trayModel(state({}));
    expect(model.icon).toBe('disconnected');
    expect(model.tooltip).toBe('Tsunagu — Not connected');
    expect(labels(model.items)).toEqual(['Not connected', '---', 'Connect “Office”', 'Connect “Home”', '---', 'Open Tsunagu', 'Import Profile…', '---', 'Quit Tsunagu']);
    expect(actionFor(model.items, 'Connect “Office”')).toMatchObject({ action: { type: 'connect', profileId: OFFICE }, enabled: true });
    expect(actionFor(model.items, 'Quit Tsunagu')).toMatchObject({ action: { type: 'quit' } });
  });

  it('connecting, signing in, waiting for a prompt, reconnecting', () => {
    expect(trayModel(state({ connections: [view(OFFICE, { status: 'connecting', phase: 'resolving' })] }))).toMatchObject({ icon: 'connecting', tooltip: 'Tsunagu — Connecting to Office…' });
    expect(trayModel(state({ connections: [view(OFFICE, { status: 'authenticating' })] })).items[0]).toEqual({ kind: 'label', label: 'Signing in to Office…' });
    const waiting = trayModel(state({ connections: [view(OFFICE, { status: 'authenticating' }, { kind: 'userpass', retry: false })] }));
    expect(waiting.icon).toBe('connecting');
    expect(waiting.items[0]).toEqual({ kind: 'label', label: 'Office is waiting for your sign-in' });
    const reconnecting = trayModel(state({ connections: [view(HOME, { status: 'reconnecting', reason: 'ping timeout', attempt: 2 })] }));
    expect(reconnecting.icon).toBe('connecting');
    expect(actionFor(reconnecting.items, 'Disconnect “Home”')).toMatchObject({ action: { type: 'disconnect', profileId: HOME }, enabled: true });
    expect(labels(reconnecting.items)).toContain('Disconnect and Quit');
  });

  it('under AlwaysOn: Disconnect greyed out, and Quit leaves the tunnel up', () => {
    const model = trayModel(state({ connections: [view(OFFICE, connected())], disconnectLocked: true }));
    expect(actionFor(model.items, 'Disconnect “Office”')).toMatchObject({ enabled: false });
    expect(labels(model.items)).toContain('Quit Tsunagu');
    expect(labels(model.items)).not.toContain('Disconnect and Quit');
  });

  it('connected: green check, address in the status, Disconnect for that profile', () => {
    const model = trayModel(state({ connections: [view(OFFICE, connected())] }));
    expect(model.icon).toBe('connected');
    expect(model.tooltip).toBe('Tsunagu — Connected to Office (10.8.0.2)');
    expect(labels(model.items)).toEqual(['Connected to Office (10.8.0.2)', '---', 'Disconnect “Office”', 'Connect “Home”', '---', 'Open Tsunagu', 'Import Profile…', '---', 'Disconnect and Quit']);
    const both = trayModel(state({ connections: [view(OFFICE, connected()), view(HOME, connected('10.9.0.2'))] }));
    expect(both.items[0]).toEqual({ kind: 'label', label: 'Connected to 2 VPNs' });
  });

  it('disconnecting: the item is greyed out until it is done', () => {
    const model = trayModel(state({ connections: [view(OFFICE, { status: 'disconnecting' })] }));
    expect(model.icon).toBe('connecting');
    expect(actionFor(model.items, 'Disconnect “Office”')).toMatchObject({ enabled: false });
  });

  it('error: red "!", says which profile failed, offers Connect again', () => {
    const model = trayModel(state({ connections: [view(OFFICE, failure)] }));
    expect(model.icon).toBe('error');
    expect(model.items[0]).toEqual({ kind: 'label', label: 'Could not connect Office' });
    expect(actionFor(model.items, 'Connect “Office”')).toMatchObject({ enabled: true });
    // A working tunnel outranks another profile's old failure.
    expect(trayModel(state({ connections: [view(OFFICE, failure), view(HOME, connected())] })).icon).toBe('connected');
  });

  it('helper unavailable: struck-through icon, how to start it, Connect disabled', () => {
    const helper = unavailableStatus('not-running', '/run/tsunagu/helper.sock');
    const model = trayModel(state({ helper, connections: [view(OFFICE, { status: 'disconnected', reason: 'helper stopped' })] }));
    expect(model.icon).toBe('helper-unavailable');
    expect(model.tooltip).toBe('Tsunagu — VPN helper not available');
    expect(model.items[1]).toMatchObject({ kind: 'label', label: expect.stringContaining('sudo systemctl start tsunagu-helper') });
    expect(model.items.filter((i) => i.kind === 'action' && (i.action.type === 'connect' || i.action.type === 'disconnect')).every((i) => i.kind === 'action' && !i.enabled)).toBe(true);
    expect(actionFor(model.items, 'Open Tsunagu')).toMatchObject({ enabled: true });
    const ja = trayModel(state({ lang: 'ja', helper }));
    expect(ja.items[0]).toEqual({ kind: 'label', label: 'VPN ヘルパーを利用できません' });
    expect(ja.items[1]).toMatchObject({ label: expect.stringContaining('sudo npx tsunagu helper') });
  });

  it('helper still being contacted, and no profiles yet', () => {
    const model = trayModel(state({ helper: { status: 'connecting' }, profiles: [] }));
    expect(model.icon).toBe('disconnected');
    expect(labels(model.items)).toEqual(['Contacting the VPN helper…', '---', 'No profiles yet', '---', 'Open Tsunagu', 'Import Profile…', '---', 'Quit Tsunagu']);
  });

  it('speaks Japanese', () => {
    const model = trayModel(state({ lang: 'ja', connections: [view(OFFICE, connected())] }));
    expect(model.tooltip).toBe('Tsunagu — Office に接続済み (10.8.0.2)');
    expect(labels(model.items)).toEqual(['Office に接続済み (10.8.0.2)', '---', '「Office」を切断', '「Home」に接続', '---', 'Tsunagu を開く', 'プロファイルをインポート…', '---', '切断して終了']);
  });

  it('leak protection: "Blocked — the VPN is down" when a block holds and nothing is coming up; always-on says it blocks until a VPN connects', () => {
    const off: FirewallView = { mode: 'off', reason: null, sessionId: null, ownSession: false, allowLan: false, lockdown: { enabled: false, byPolicy: false }, killSwitchForced: false, since: 1, profileId: null };
    const dropped: TunnelState = { status: 'error', code: 'process-exited', message: { en: 'The VPN program stopped.', ja: 'VPN プログラムが停止しました。' } };
    const blocked = trayModel(state({ connections: [view(OFFICE, dropped)], firewall: { ...off, mode: 'blocked', reason: 'kill-switch', ownSession: true, profileId: OFFICE } }));
    expect(blocked.icon).toBe('error');
    expect(blocked.tooltip).toBe('Tsunagu — Blocked — the VPN is down');
    expect(blocked.items[0]).toEqual({ kind: 'label', label: 'Blocked — the VPN is down' });
    expect(trayModel(state({ lang: 'ja', firewall: { ...off, mode: 'blocked', reason: 'restart' } })).items[0]).toEqual({ kind: 'label', label: '遮断中 — VPN が切断されています' });
    // Connecting again: the tray says so (the block is the kill switch holding while it comes up).
    const coming = trayModel(state({ connections: [view(OFFICE, { status: 'reconnecting', reason: 'x', attempt: 1 })], firewall: { ...off, mode: 'blocked', reason: 'kill-switch', profileId: OFFICE } }));
    expect(coming).toMatchObject({ icon: 'connecting', tooltip: 'Tsunagu — Reconnecting to Office…' });
    const lockdown = trayModel(state({ firewall: { ...off, mode: 'blocked', reason: 'lockdown', lockdown: { enabled: true, byPolicy: false } } }));
    expect(lockdown).toMatchObject({ icon: 'disconnected', tooltip: 'Tsunagu — Always-on: traffic is blocked until a VPN connects' });
    expect(trayModel(state({ lang: 'ja', firewall: { ...off, mode: 'blocked', reason: 'policy', lockdown: { enabled: true, byPolicy: true } } })).items[0]).toEqual({ kind: 'label', label: '常時接続: VPN に接続するまで通信を遮断しています' });
    // Connected behind the kill switch, or with the firewall off: the usual words.
    expect(trayModel(state({ connections: [view(OFFICE, connected())], firewall: { ...off, mode: 'tunnel', reason: 'kill-switch', profileId: OFFICE } })).tooltip).toBe('Tsunagu — Connected to Office (10.8.0.2)');
    expect(trayModel(state({ firewall: off })).tooltip).toBe('Tsunagu — Not connected');
  });

  it('ignores connections of profiles that no longer exist', () => {
    const model = trayModel(state({ connections: [view('dddddddddddddddd', connected())] }));
    expect(model.icon).toBe('disconnected');
  });
});

describe('notification rules', () => {
  const context = { lang: 'en' as const, enabled: true, windowFocused: false, profileName: 'Office' };
  const change = (previous: TunnelState | null, next: TunnelState, userRequested = false) => ({ previous: previous && view(OFFICE, previous), next: view(OFFICE, next), userRequested });

  it('announces a tunnel coming up', () => {
    expect(notificationForChange(change({ status: 'authenticating' }, connected()), context)).toMatchObject({ title: 'VPN connected', body: 'Office is connected (10.8.0.2).', urgency: 'normal' });
    expect(notificationForChange(change(null, connected()), { ...context, lang: 'ja' })).toMatchObject({ title: 'VPN に接続しました' });
  });

  it('announces an unexpected drop, but not a disconnect the user asked for', () => {
    const dropped = { status: 'disconnected', reason: 'server closed the connection' } as const;
    expect(notificationForChange(change(connected(), dropped), context)).toMatchObject({ title: 'VPN disconnected', body: 'Office was disconnected: server closed the connection', urgency: 'critical' });
    expect(notificationForChange(change({ status: 'reconnecting', reason: 'x', attempt: 1 }, dropped), context)).not.toBeNull();
    // The helper stopping a session shows disconnecting → disconnected, nobody having asked.
    expect(notificationForChange(change({ status: 'disconnecting' }, dropped), context)).not.toBeNull();
    expect(notificationForChange(change(connected(), dropped, true), context)).toBeNull();
    expect(notificationForChange(change({ status: 'disconnecting' }, dropped, true), context)).toBeNull();
    expect(notificationForChange(change(null, dropped), context)).toBeNull();
    expect(notificationForChange(change(failure, dropped), context)).toBeNull();
  });

  it('announces failures with the reason in the UI language', () => {
    expect(notificationForChange(change({ status: 'authenticating' }, failure), context)).toMatchObject({ title: 'VPN connection failed', body: 'Office: The server rejected the login.' });
    expect(notificationForChange(change({ status: 'authenticating' }, failure), { ...context, lang: 'ja' })).toMatchObject({ body: 'Office: サーバーがログインを拒否しました。' });
  });

  it('stays quiet for in-between states, while the window has focus, and when turned off', () => {
    expect(notificationForChange(change(null, { status: 'connecting', phase: 'starting' }), context)).toBeNull();
    expect(notificationForChange(change(connected(), { status: 'reconnecting', reason: 'x', attempt: 1 }), context)).toBeNull();
    expect(notificationForChange(change(connected(), connected('10.8.0.3')), context)).toBeNull();
    expect(notificationForChange(change({ status: 'authenticating' }, connected()), { ...context, windowFocused: true })).toBeNull();
    expect(notificationForChange(change({ status: 'authenticating' }, failure), { ...context, enabled: false })).toBeNull();
  });

  it('announces the helper going away, only after it had been available', () => {
    const gone = unavailableStatus('not-running', '/run/tsunagu/helper.sock');
    expect(notificationForHelper(available, gone, context)).toMatchObject({ title: 'VPN helper stopped', body: expect.stringContaining('sudo systemctl start tsunagu-helper') });
    expect(notificationForHelper({ status: 'connecting' }, gone, context)).toBeNull();
    expect(notificationForHelper(gone, gone, context)).toBeNull();
    expect(notificationForHelper(available, gone, { ...context, windowFocused: true })).toBeNull();
  });

  it('throttles the same notification within 10 seconds', () => {
    let now = 0;
    const throttle = new NotificationThrottle(10_000, () => now);
    const note = notificationForChange(change(connected(), { status: 'disconnected', reason: 'link down' }), context);
    if (!note) throw new Error('expected a notification');
    expect(throttle.allow(note)).toBe(true);
    now = 5_000;
    expect(throttle.allow(note)).toBe(false);
    const other = notificationForChange(change({ status: 'authenticating' }, failure), context);
    if (!other) throw new Error('expected a notification');
    expect(throttle.allow(other)).toBe(true);
    now = 16_000;
    expect(throttle.allow(note)).toBe(true);
  });
});

describe('main catalog', () => {
  const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

  it('has every key in both languages with the same placeholders', () => {
    expect(Object.keys(mainCatalog.ja).sort()).toEqual(Object.keys(mainCatalog.en).sort());
    for (const key of Object.keys(mainCatalog.en) as Array<keyof typeof mainCatalog.en>) {
      expect(mainCatalog.ja[key].trim(), key).not.toBe('');
      expect(placeholders(mainCatalog.ja[key]), key).toEqual(placeholders(mainCatalog.en[key]));
    }
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(mainText('en', 'trayConnect', { name: 'R&D' })).toBe('Connect “R&D”');
    expect(mainText('ja', 'errUrlStatus', { status: 404 })).toBe('サーバーがエラーを返しました (HTTP 404)。');
    expect(mainText('en', 'trayConnect')).toBe('Connect “{{name}}”');
  });
});
