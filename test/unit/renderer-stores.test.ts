import { describe, expect, it } from 'vitest';
import type { AppEvent, ConnectionView, ImportPreview, ProfileSummary, Settings } from '../../shared/ipc/app-api.js';
import type { LogLine } from '../../shared/ipc/helper-protocol.js';
import { connectionsLoaded, initialConnections, pendingPrompt, reduceConnections, type ConnectionsState } from '../../renderer/src/state/connections.js';
import { initialHelper, reduceHelper } from '../../renderer/src/state/helper.js';
import { appendLogs, filterLogs, initialLogs, logsAsText, logsLoaded } from '../../renderer/src/state/logs.js';
import { filterProfiles, initialProfiles, profilesFailed, profilesLoaded, reduceProfiles } from '../../renderer/src/state/profiles.js';
import { canRememberSecrets, effectiveLanguage, initialSettings, reduceSettings, type AppInfo } from '../../renderer/src/state/settings.js';
import { lastMinute } from '../../renderer/src/state/throughput.js';
import { initialUi, reduceUi, reviewClosed, selectionAfterList } from '../../renderer/src/state/ui.js';

const T0 = 1_767_312_000_000;

function connection(profileId: string, patch: Partial<ConnectionView> = {}): ConnectionView {
  return { profileId, sessionId: 'sess0001', state: { status: 'connecting', phase: 'starting' }, bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, prompt: null, ...patch };
}

function profile(id: string, name: string, patch: Partial<ProfileSummary> = {}): ProfileSummary {
  return { id, name, kind: 'openvpn', layer: 'L3', server: `${id}.example.jp:1194/udp`, importedAt: T0, needsCredentials: false, hasSavedCredentials: false, advisoryCount: 0, ...patch };
}

const stats = (profileId: string, at: number, rateIn: number): AppEvent => ({ type: 'stats', profileId, bytesIn: rateIn * 10, bytesOut: 5, rateIn, rateOut: 1, at });
/** A stats event with the helper's own rate fields set to nonsense: the store measures rates from the counters. */
const reading = (profileId: string, at: number, bytesIn: number, bytesOut = 0): AppEvent => ({ type: 'stats', profileId, bytesIn, bytesOut, rateIn: 9e9, rateOut: 9e9, at });

/** The last minute of a profile's graph (an empty one when it has none). */
function graph(s: ConnectionsState, profileId: string, now: number): readonly number[] {
  const buffer = s.throughput[profileId];
  return buffer ? lastMinute(buffer, now).rateIn : [];
}

function run(events: AppEvent[], start: ConnectionsState = initialConnections): ConnectionsState {
  return events.reduce(reduceConnections, start);
}

describe('connections store', () => {
  it('follows a tunnel from connecting to connected, with counters from stats events', () => {
    const connected = { status: 'connected', localIp: '10.8.0.6', remote: '198.51.100.20:1194', since: T0 } as const;
    const s = run([
      { type: 'connection', connection: connection('tokyo001') },
      { type: 'connection', connection: connection('tokyo001', { state: connected }) },
      reading('tokyo001', T0 + 1000, 20_000),
      reading('tokyo001', T0 + 2000, 22_000),
      reading('tokyo001', T0 + 3000, 26_000),
    ]);
    const c = s.byProfile.tokyo001;
    expect(c?.state).toEqual(connected);
    expect(c?.bytesIn).toBe(26_000);
    expect(c?.rateIn).toBe(4000);
    // The first reading only seeds the meter: the 20 kB of handshake are no rate.
    expect(graph(s, 'tokyo001', T0 + 3000).slice(-3)).toEqual([0, 2000, 4000]);
  });

  it('keeps the state object when only counters change, so list rows do not re-render', () => {
    const s1 = run([{ type: 'connection', connection: connection('tokyo001') }]);
    const s2 = reduceConnections(s1, stats('tokyo001', T0, 10));
    expect(s2.byProfile.tokyo001?.state).toBe(s1.byProfile.tokyo001?.state);
  });

  it('starts a new graph for a new session and keeps the last one after disconnecting', () => {
    const s1 = run([{ type: 'connection', connection: connection('tokyo001', { sessionId: 'sessaaaa' }) }, stats('tokyo001', T0, 500)]);
    const ended = reduceConnections(s1, { type: 'connection', connection: connection('tokyo001', { sessionId: null, state: { status: 'disconnected', reason: 'requested by the user' } }) });
    expect(ended.throughput.tokyo001).toBe(s1.throughput.tokyo001);
    const next = reduceConnections(ended, { type: 'connection', connection: connection('tokyo001', { sessionId: 'sessbbbb' }) });
    const fresh = graph(next, 'tokyo001', T0);
    expect(fresh).toHaveLength(60);
    expect(fresh.every((v) => v === 0)).toBe(true);
  });

  it('keeps a graph built from stats that arrived before the connections:list reply', () => {
    const early = run([reading('tokyo001', T0, 100), reading('tokyo001', T0 + 1000, 800)]);
    const loaded = connectionsLoaded(early, [connection('tokyo001')]);
    expect(graph(loaded, 'tokyo001', T0 + 1000).at(-1)).toBe(700);
  });

  it('forgets connections the list no longer has', () => {
    const s = run([{ type: 'connection', connection: connection('gone0001') }]);
    expect(connectionsLoaded(s, []).byProfile).toEqual({});
  });

  it('finds the connection waiting for the user to sign in', () => {
    const s = run([
      { type: 'connection', connection: connection('aaaa0001') },
      { type: 'connection', connection: connection('bbbb0001', { state: { status: 'authenticating' }, prompt: { kind: 'passphrase', retry: false } }) },
    ]);
    expect(pendingPrompt(s)?.profileId).toBe('bbbb0001');
    expect(pendingPrompt(initialConnections)).toBeNull();
  });

  it('ignores events for other stores', () => {
    expect(reduceConnections(initialConnections, { type: 'profiles-changed' })).toBe(initialConnections);
  });
});

describe('profiles, helper and settings stores', () => {
  it('bumps the revision on profiles-changed so open details reload', () => {
    expect(reduceProfiles(initialProfiles, { type: 'profiles-changed' }).revision).toBe(1);
    expect(reduceProfiles(initialProfiles, { type: 'helper', helper: { status: 'connecting' } })).toBe(initialProfiles);
  });

  it('keeps the list it has when a refresh fails, but shows a failed first load', () => {
    const error = { code: 'x', message: { en: 'e', ja: 'j' } };
    expect(profilesFailed(initialProfiles, error).status).toBe('failed');
    const ready = profilesLoaded(initialProfiles, [profile('aaaa0001', 'A')]);
    const failed = profilesFailed(ready, error);
    expect(failed.status).toBe('ready');
    expect(failed.list).toHaveLength(1);
  });

  it('searches name, server, kind and layer; every word must match; sorts like a person would', () => {
    const list = [
      profile('aaaa0010', 'Office 10'),
      profile('aaaa0002', 'Office 2'),
      profile('aaaa0003', 'Home', { kind: 'wireguard', server: '203.0.113.5:51820' }),
      profile('aaaa0004', 'Lab', { layer: 'L2' }),
    ];
    const collator = new Intl.Collator('en', { numeric: true });
    expect(filterProfiles(list, '', collator).map((p) => p.name)).toEqual(['Home', 'Lab', 'Office 2', 'Office 10']);
    expect(filterProfiles(list, 'wireguard', collator).map((p) => p.name)).toEqual(['Home']);
    expect(filterProfiles(list, '203.0.113', collator).map((p) => p.name)).toEqual(['Home']);
    expect(filterProfiles(list, 'l2', collator).map((p) => p.name)).toEqual(['Lab']);
    expect(filterProfiles(list, 'office  2', collator).map((p) => p.name)).toEqual(['Office 2']);
  });

  it('tracks the helper status from helper events', () => {
    const unavailable = { status: 'unavailable', reason: 'not-running', message: { en: 'm', ja: 'm' }, howToFix: { en: 'f', ja: 'f' } } as const;
    expect(reduceHelper(initialHelper, { type: 'helper', helper: unavailable }).status).toEqual(unavailable);
  });

  it('picks the language from the setting, or the system when set to follow it', () => {
    const info: AppInfo = { version: '1', platform: 'linux', systemLanguage: 'ja', keychain: 'basic_text' };
    const settings: Settings = { launchAtLogin: false, connectOnLaunch: null, notifications: true, language: 'system', killSwitch: true, allowLan: false };
    expect(effectiveLanguage(initialSettings, 'en')).toBe('en');
    const followed = reduceSettings({ info, settings: null }, { type: 'settings-changed', settings });
    expect(effectiveLanguage(followed, 'en')).toBe('ja');
    const english = reduceSettings(followed, { type: 'settings-changed', settings: { ...settings, language: 'en' } });
    expect(effectiveLanguage(english, 'ja')).toBe('en');
  });

  it('offers "remember" only with a real keychain', () => {
    const base: AppInfo = { version: '1', platform: 'linux', systemLanguage: 'en', keychain: 'real' };
    expect(canRememberSecrets({ settings: null, info: base })).toBe(true);
    expect(canRememberSecrets({ settings: null, info: { ...base, keychain: 'basic_text' } })).toBe(false);
    expect(canRememberSecrets({ settings: null, info: { ...base, keychain: 'unavailable' } })).toBe(false);
    expect(canRememberSecrets(initialSettings)).toBe(false);
  });
});

describe('ui store', () => {
  const preview: ImportPreview = { importId: 'imp00001', source: '/home/aiko/a.ovpn', items: [] };

  it('queues import reviews from main once each, and closes the import chooser', () => {
    const open = { ...initialUi, importOpen: true };
    const once = reduceUi(open, { type: 'import-review', preview });
    const twice = reduceUi(once, { type: 'import-review', preview });
    expect(twice.reviews).toEqual([preview]);
    expect(twice.importOpen).toBe(false);
    expect(reviewClosed(twice, 'imp00001').reviews).toEqual([]);
  });

  it('shows an import main could not read', () => {
    const error = { code: 'download-failed', message: { en: 'e', ja: 'j' } };
    const s = reduceUi(initialUi, { type: 'import-failed', source: 'https://x.example/a.ovpn', error });
    expect(s.importFailure).toEqual({ source: 'https://x.example/a.ovpn', error });
  });

  it('keeps the selection while it exists, otherwise selects the first profile', () => {
    const list = [profile('aaaa0001', 'A'), profile('bbbb0001', 'B')];
    const selected = { ...initialUi, selectedId: 'bbbb0001' };
    expect(selectionAfterList(selected, list)).toBe(selected);
    expect(selectionAfterList({ ...initialUi, selectedId: 'gone0001' }, list).selectedId).toBe('aaaa0001');
    expect(selectionAfterList(selected, []).selectedId).toBeNull();
  });
});

describe('log store', () => {
  const line = (text: string, level: LogLine['level'] = 'info', at = T0): LogLine => ({ at, sessionId: null, uid: 1000, level, text });

  it('keeps only the newest lines, each with a unique sequence number', () => {
    const s = appendLogs(initialLogs, ['a', 'b', 'c', 'd'].map((t) => line(t)), 3);
    expect(s.entries.map((e) => e.text)).toEqual(['b', 'c', 'd']);
    expect(new Set(s.entries.map((e) => e.seq)).size).toBe(3);
  });

  it('merges log:recent with live lines that arrived meanwhile, without duplicates', () => {
    const before = appendLogs(initialLogs, [line('old live')]);
    const since = before.nextSeq;
    const during = appendLogs(before, [line('x', 'info', T0 + 5), line('y', 'info', T0 + 6)]);
    const merged = logsLoaded(during, [line('history', 'info', T0 - 10), line('x', 'info', T0 + 5)], since);
    expect(merged.entries.map((e) => e.text)).toEqual(['history', 'x', 'y']);
  });

  it('filters by minimum level and by every search word, case-insensitively', () => {
    const s = appendLogs(initialLogs, [line('TLS handshake ok', 'debug'), line('TLS Error: key negotiation failed', 'error'), line('tls warning', 'warn')]);
    expect(filterLogs(s.entries, 'debug', '')).toBe(s.entries);
    expect(filterLogs(s.entries, 'warn', '').map((e) => e.level)).toEqual(['error', 'warn']);
    expect(filterLogs(s.entries, 'debug', 'tls failed').map((e) => e.level)).toEqual(['error']);
  });

  it('copies lines as plain text with ISO times', () => {
    const s = appendLogs(initialLogs, [line('hello', 'warn', Date.UTC(2026, 0, 2, 3, 4, 5))]);
    expect(logsAsText(s.entries)).toBe('2026-01-02T03:04:05.000Z WARN  hello');
  });
});
