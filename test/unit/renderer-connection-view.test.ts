/** The connection view's logic (issue 15): measured rates, sign-ins asked again, route conflicts, addresses, the log's profiles. */
import { describe, expect, it } from 'vitest';
import type { AppEvent, ConnectionView } from '../../shared/ipc/app-api.js';
import type { TunnelState } from '../../shared/ipc/helper-protocol.js';
import { initialConnections, reduceConnections, refusedSignIn, signInDropped, signInSent, type ConnectionsState } from '../../renderer/src/state/connections.js';
import { appendLogs, filterLogs, initialLogs, sourceOf } from '../../renderer/src/state/logs.js';
import { currentRates, lastMinute, MIN_INTERVAL_MS, readMeter } from '../../renderer/src/state/throughput.js';
import { routeConflictOf, serverShown, tunnelAddresses } from '../../renderer/src/state/tunnel-view.js';
import { estimatedHeight, layoutRows, LINE_HEIGHT, ROW_PADDING, rowsInView, textColumns } from '../../renderer/src/state/wrapped-rows.js';

const T0 = 1_767_312_000_000;
const CONNECTED: TunnelState = { status: 'connected', localIp: '10.8.0.6', remote: '198.51.100.20:1194', since: T0 };

function view(state: TunnelState, patch: Partial<ConnectionView> = {}): ConnectionView {
  return { profileId: 'office01', sessionId: 'sessaaaa', state, bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, prompt: null, ...patch };
}
const conn = (state: TunnelState, patch: Partial<ConnectionView> = {}): AppEvent => ({ type: 'connection', connection: view(state, patch) });
/** What the helper sends: its own first-sample rate is the handshake over ~1 ms (the bug). */
const stats = (at: number, bytesIn: number, bytesOut: number): AppEvent => ({ type: 'stats', profileId: 'office01', bytesIn, bytesOut, rateIn: bytesIn * 1000, rateOut: bytesOut * 1000, at });
const run = (events: AppEvent[], start: ConnectionsState = initialConnections) => events.reduce(reduceConnections, start);
const graphIn = (s: ConnectionsState, now: number) => {
  const b = s.throughput['office01'];
  return b ? lastMinute(b, now).rateIn : [];
};

describe('rates measured between two readings of the counters', () => {
  it('the first reading seeds, the next gives bytes over the real interval', () => {
    const first = readMeter(undefined, T0, 2600, 1800);
    expect(first.rates).toBeNull();
    const second = readMeter(first.meter, T0 + 1000, 2600 + 12_000, 1800 + 6_000);
    expect(second.rates).toEqual({ rateIn: 12_000, rateOut: 6_000 });
    // Jitter: 1.25 s apart is 1.25 s of traffic, not one second's.
    const third = readMeter(second.meter, T0 + 2250, 2600 + 12_000 + 10_000, 7800);
    expect(third.rates?.rateIn).toBe(8000);
  });

  it('readings too close together are merged into the next interval', () => {
    const seeded = readMeter(undefined, T0, 1000, 0).meter;
    const soon = readMeter(seeded, T0 + MIN_INTERVAL_MS - 1, 5000, 0);
    expect(soon.rates).toBeNull();
    expect(soon.meter).toBe(seeded);
    expect(readMeter(soon.meter, T0 + 1000, 9000, 0).rates?.rateIn).toBe(8000);
  });

  it('counters that went down (the tunnel process restarted) seed again', () => {
    const seeded = readMeter(undefined, T0, 50_000, 50_000).meter;
    const restarted = readMeter(seeded, T0 + 1000, 300, 200);
    expect(restarted.rates).toBeNull();
    expect(restarted.meter).toEqual({ at: T0 + 1000, bytesIn: 300, bytesOut: 200 });
  });

  it('a known series: 2.6 kB of handshake then 10 kB/s in and 5 kB/s out is drawn as exactly that from the first point', () => {
    const events: AppEvent[] = [conn({ status: 'connecting', phase: 'starting' }), conn(CONNECTED), stats(T0 + 1, 2600, 1900)];
    for (let i = 1; i <= 10; i++) events.push(stats(T0 + 1 + i * 1000, 2600 + i * 10_000, 1900 + i * 5_000));
    const s = run(events);
    const series = graphIn(s, T0 + 10_001);
    expect(series.slice(-10)).toEqual(Array.from({ length: 10 }, () => 10_000));
    expect(Math.max(...series)).toBe(10_000);
    expect(s.byProfile['office01']?.rateIn).toBe(10_000);
    expect(s.byProfile['office01']?.rateOut).toBe(5_000);
    const b = s.throughput['office01'];
    expect(b && currentRates(b, T0 + 10_001)).toEqual({ rateIn: 10_000, rateOut: 5_000 });
  });

  it('after a reconnect (same session) the first reading seeds again: no spike from the new handshake', () => {
    const before = run([conn(CONNECTED), stats(T0, 1000, 1000), stats(T0 + 1000, 3000, 3000)]);
    const again = run([
      conn({ status: 'reconnecting', reason: 'ping-restart', attempt: 1 }),
      conn({ ...CONNECTED, since: T0 + 5000 }),
      // The new handshake's bytes land on the counters within a millisecond of the stats timer's start.
      stats(T0 + 5001, 9000, 8000),
      stats(T0 + 6001, 10_000, 8500),
    ], before);
    const series = graphIn(again, T0 + 6001);
    expect(Math.max(...series)).toBe(2000);
    expect(series.at(-1)).toBe(1000);
  });

  it('a new session seeds again and starts a new graph', () => {
    const first = run([conn(CONNECTED), stats(T0, 0, 0), stats(T0 + 1000, 5000, 0)]);
    const next = run([conn(CONNECTED, { sessionId: 'sessbbbb' }), stats(T0 + 2000, 7000, 0)], first);
    expect(graphIn(next, T0 + 2000).every((v) => v === 0)).toBe(true);
  });
});

describe('a refused password is asked again in place', () => {
  const rejected: TunnelState = { status: 'error', code: 'auth-failed', message: { en: 'The server rejected the login.', ja: 'サーバーがログインを拒否しました。' } };

  it('keeps the username and the reason, once per sign-in, and asks to connect again', () => {
    const asked = run([conn({ status: 'authenticating' }, { prompt: { kind: 'userpass', retry: false } })]);
    const sent = signInSent(asked, 'office01', 'alice');
    const refused = reduceConnections(sent, conn(rejected));
    expect(refused.signIns['office01']).toEqual({ username: 'alice', rejected: { code: 'auth-failed', message: rejected.message } });
    expect(refusedSignIn(sent, refused, 'office01')).toBe(true);
    // The same error repeated (session-removed) does not reconnect a second time.
    const repeated = reduceConnections(refused, conn(rejected, { sessionId: null }));
    expect(refusedSignIn(refused, repeated, 'office01')).toBe(false);
    // The next sign-in clears the reason; connected forgets the sign-in.
    const retyped = signInSent(repeated, 'office01', 'alice');
    expect(retyped.signIns['office01']?.rejected).toBeNull();
    expect(reduceConnections(retyped, conn(CONNECTED)).signIns['office01']).toBeUndefined();
  });

  it('nothing is asked again when the user did not type (saved password), cancelled, or the error is another one', () => {
    const noSignIn = run([conn(rejected)]);
    expect(refusedSignIn(initialConnections, noSignIn, 'office01')).toBe(false);
    const cancelled = signInDropped(signInSent(initialConnections, 'office01', 'alice'), 'office01');
    expect(refusedSignIn(cancelled, reduceConnections(cancelled, conn(rejected)), 'office01')).toBe(false);
    const sent = signInSent(initialConnections, 'office01', 'alice');
    const timeout = reduceConnections(sent, conn({ status: 'error', code: 'connect-timeout', message: { en: 't', ja: 't' } }));
    expect(refusedSignIn(sent, timeout, 'office01')).toBe(false);
    expect(timeout.signIns['office01']).toBeUndefined();
  });
});

describe('route conflicts', () => {
  const error = {
    code: 'route-conflict',
    message: { en: 'This tunnel would route 198.18.9.0/24, which “Office” already routes. Disconnect it first.', ja: 'このトンネルは 198.18.9.0/24 をルーティングしますが、「Office」がすでにルーティングしています。先にそちらを切断してください。' },
    detail: 'route-conflict: 198.18.9.0/24',
    conflict: { network: '198.18.9.0/24', sessionId: 'sess0office' },
  };
  const active = [{ id: 'office01', name: 'Office', sessionId: 'sess0office' }, { id: 'home0001', name: 'Home', sessionId: 'sess00home' }];

  it('names the network and the profile whose session the helper named', () => {
    expect(routeConflictOf(error, active)).toEqual({ network: '198.18.9.0/24', other: { id: 'office01', name: 'Office' }, code: 'route-conflict', detail: error.detail });
  });

  it('goes by the session, not by the name in the words: two profiles of the same name are told apart', () => {
    const twins = [{ id: 'officeA1', name: 'Office', sessionId: 'sess0other' }, { id: 'officeB1', name: 'Office', sessionId: 'sess0office' }];
    expect(routeConflictOf(error, twins)?.other).toEqual({ id: 'officeB1', name: 'Office' });
    // A profile named in the message but holding another session is not the one in the way.
    expect(routeConflictOf(error, [{ id: 'office01', name: 'Office', sessionId: 'sess0other' }])).toBeNull();
  });

  it('offers nothing for another user’s tunnel (no session named), a conflict without data, or another error', () => {
    const otherUser = { ...error, message: { en: "This tunnel would route 198.18.9.0/24, which another user's connection already routes.", ja: '…別のユーザーの接続…' }, conflict: { network: '198.18.9.0/24' } };
    expect(routeConflictOf(otherUser, active)).toBeNull();
    const { conflict: _dropped, ...withoutData } = error;
    expect(routeConflictOf(withoutData, active)).toBeNull();
    expect(routeConflictOf({ ...error, code: 'already-connected' }, active)).toBeNull();
    expect(routeConflictOf(null, active)).toBeNull();
  });
});

describe('what the connected view shows', () => {
  it('keeps the transport of the profile’s server', () => {
    expect(serverShown('vpn.example.jp:1194/udp', '198.51.100.20:1194')).toBe('198.51.100.20:1194/udp');
    expect(serverShown('vpn.example.jp:443/tcp-client', '198.51.100.20:443')).toBe('198.51.100.20:443/tcp-client');
    expect(serverShown('203.0.113.5:51820', '203.0.113.5:51820')).toBe('203.0.113.5:51820');
    expect(serverShown('vpn.example.jp:1194/udp', undefined)).toBe('vpn.example.jp:1194/udp');
  });

  it('lists every tunnel address', () => {
    expect(tunnelAddresses('10.8.0.6')).toEqual(['10.8.0.6']);
    expect(tunnelAddresses('198.18.9.2/32, fd00:9::2/128')).toEqual(['198.18.9.2', 'fd00:9::2']);
    expect(tunnelAddresses('')).toEqual([]);
  });
});

describe('the log’s profile column and filter', () => {
  it('maps each line to its profile through the sessions seen', () => {
    const s = run([conn(CONNECTED), conn(CONNECTED, { profileId: 'home0001', sessionId: 'sessbbbb' })]);
    expect(s.sessions).toEqual({ sessaaaa: 'office01', sessbbbb: 'home0001' });
    const logs = appendLogs(initialLogs, [
      { at: T0, sessionId: 'sessaaaa', uid: 0, level: 'info', text: 'office line' },
      { at: T0, sessionId: 'sessbbbb', uid: 0, level: 'info', text: 'home line' },
      { at: T0, sessionId: null, uid: null, level: 'info', text: 'service line' },
      { at: T0, sessionId: 'sessold0', uid: 0, level: 'info', text: 'old line' },
    ]);
    expect(logs.entries.map((e) => sourceOf(e, s.sessions).kind)).toEqual(['profile', 'profile', 'service', 'unknown']);
    expect(filterLogs(logs.entries, 'debug', '', { kind: 'profile', profileId: 'home0001' }, s.sessions).map((e) => e.text)).toEqual(['home line']);
    expect(filterLogs(logs.entries, 'debug', '', { kind: 'service' }, s.sessions).map((e) => e.text)).toEqual(['service line']);
    expect(filterLogs(logs.entries, 'debug', 'line', { kind: 'all' }, s.sessions)).toHaveLength(4);
  });
});

describe('wrapped log rows', () => {
  it('estimates heights from the text in monospace columns (wide characters take two)', () => {
    expect(textColumns('abc')).toBe(3);
    expect(textColumns('接続abc')).toBe(7);
    expect(estimatedHeight('', 40)).toBe(ROW_PADDING + LINE_HEIGHT);
    expect(estimatedHeight('x'.repeat(40), 40)).toBe(ROW_PADDING + LINE_HEIGHT);
    expect(estimatedHeight('x'.repeat(41), 40)).toBe(ROW_PADDING + 2 * LINE_HEIGHT);
  });

  it('lays rows out one under the other and finds those in view', () => {
    const layout = layoutRows([24, 44, 24, 64, 24]);
    expect(layout.offsets).toEqual([0, 24, 68, 92, 156]);
    expect(layout.total).toBe(180);
    expect(rowsInView(layout, 0, 30, 0)).toEqual({ start: 0, end: 2 });
    expect(rowsInView(layout, 70, 30, 0)).toEqual({ start: 2, end: 4 });
    expect(rowsInView(layout, 160, 100, 1)).toEqual({ start: 3, end: 5 });
    expect(rowsInView(layoutRows([]), 0, 100, 5)).toEqual({ start: 0, end: 0 });
  });
});
