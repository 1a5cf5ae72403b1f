import { describe, expect, it } from 'vitest';
import { formatBytes, formatDateTime, formatDuration, formatLogTime, formatNumber, formatRate, niceCeiling } from '../../renderer/src/format.js';
import { scrollTopFor, visibleRange } from '../../renderer/src/state/virtual-rows.js';
import { isActive, tunnelView } from '../../renderer/src/state/tunnel-view.js';

describe('byte sizes and rates (Intl, decimal units)', () => {
  it('uses the B symbol for plain bytes and Intl units above', () => {
    expect(formatBytes(0, 'en')).toBe('0 B');
    expect(formatBytes(512, 'en')).toBe('512 B');
    expect(formatBytes(1234, 'en')).toBe('1.2 kB');
    expect(formatBytes(12_500_000, 'en')).toBe('12.5 MB');
    expect(formatBytes(123_456_789, 'en')).toBe('123 MB');
    expect(formatBytes(3.4e9, 'en')).toBe('3.4 GB');
  });

  it('promotes a value that would round up to 1,000 of a unit', () => {
    expect(formatBytes(999_960, 'en')).toBe('1 MB');
  });

  it('writes rates per second in each language', () => {
    expect(formatRate(0, 'en')).toBe('0 B/s');
    expect(formatRate(3400, 'en')).toBe('3.4 kB/s');
    expect(formatRate(2_000_000, 'ja')).toBe('2 MB/秒');
    expect(formatRate(500, 'ja')).toBe('500 B/秒');
  });

  it('groups digits by the language', () => {
    expect(formatNumber(1000, 'en')).toBe('1,000');
    expect(formatNumber(1000, 'ja')).toBe('1,000');
  });
});

describe('durations and times', () => {
  it('shows a running time as a clock', () => {
    expect(formatDuration(7_000, 'en')).toBe('0:07');
    expect(formatDuration(754_000, 'en')).toBe('12:34');
    expect(formatDuration(3_723_000, 'ja')).toBe('1:02:03');
    expect(formatDuration(50 * 3600_000, 'en')).toBe('50:00:00');
    expect(formatDuration(-5, 'en')).toBe('0:00');
  });

  it('formats dates the way each language writes them', () => {
    const at = new Date(2026, 0, 2, 15, 4, 5).getTime();
    expect(formatDateTime(at, 'ja')).toBe('2026/01/02 15:04');
    expect(formatDateTime(at, 'en')).toMatch(/^Jan 2, 2026, 3:04\sPM$/);
  });

  it('stamps log lines in 24-hour time with milliseconds', () => {
    const at = new Date(2026, 0, 2, 15, 4, 5, 67).getTime();
    expect(formatLogTime(at, 'en')).toBe('15:04:05.067');
    expect(formatLogTime(at, 'ja')).toBe('15:04:05.067');
  });

  it('rounds a graph axis up to 1, 2 or 5 times a power of ten', () => {
    expect(niceCeiling(0)).toBe(1000);
    expect(niceCeiling(1001)).toBe(2000);
    expect(niceCeiling(2_100_000)).toBe(5_000_000);
    expect(niceCeiling(5_000_001)).toBe(10_000_000);
  });
});

describe('tunnel state in words', () => {
  it('never relies on colour alone: every state has a tone and a label', () => {
    expect(tunnelView(undefined)).toEqual({ tone: 'idle', label: 'state.idle' });
    expect(tunnelView({ status: 'connecting', phase: 'resolving' })).toEqual({ tone: 'busy', label: 'state.phase.resolving' });
    expect(tunnelView({ status: 'connected', localIp: '10.8.0.6', remote: 'x', since: 0 })).toEqual({ tone: 'ok', label: 'state.connected' });
    expect(tunnelView({ status: 'error', code: 'auth-failed', message: { en: '', ja: '' } })).toEqual({ tone: 'error', label: 'state.error' });
  });

  it('says when the tunnel waits for the user rather than for the server', () => {
    expect(tunnelView({ status: 'authenticating' }, true).label).toBe('state.waitingForYou');
    expect(tunnelView({ status: 'authenticating' }, false).label).toBe('state.authenticating');
  });

  it('explains known reconnect reasons in words and keeps unknown ones as technical detail', () => {
    expect(tunnelView({ status: 'reconnecting', reason: 'ping-restart', attempt: 2 })).toEqual({ tone: 'busy', label: 'state.reconnecting', attempt: 2, reason: 'reason.serverSilent' });
    expect(tunnelView({ status: 'reconnecting', reason: 'SIGHUP', attempt: 1 })).toMatchObject({ rawReason: 'SIGHUP' });
  });

  it('adds nothing to a disconnect the user asked for', () => {
    expect(tunnelView({ status: 'disconnected', reason: 'requested by the user' })).toEqual({ tone: 'idle', label: 'state.disconnected' });
    expect(tunnelView({ status: 'disconnected', reason: 'credentials-cancelled' }).reason).toBe('reason.signInCancelled');
  });

  it('offers Disconnect for every state on the way up or down, Connect otherwise', () => {
    expect(isActive(undefined)).toBe(false);
    expect(isActive({ status: 'error', code: 'x', message: { en: '', ja: '' } })).toBe(false);
    expect(isActive({ status: 'disconnected', reason: '' })).toBe(false);
    expect(isActive({ status: 'authenticating' })).toBe(true);
    expect(isActive({ status: 'reconnecting', reason: '', attempt: 1 })).toBe(true);
  });
});

describe('list windowing', () => {
  it('renders only the rows in view plus the overscan', () => {
    expect(visibleRange(0, 600, 64, 1000, 8)).toEqual({ start: 0, end: 19 });
    expect(visibleRange(64 * 500, 600, 64, 1000, 8)).toEqual({ start: 492, end: 519 });
    expect(visibleRange(64 * 995, 600, 64, 1000, 8)).toEqual({ start: 987, end: 1000 });
    expect(visibleRange(0, 600, 64, 0, 8)).toEqual({ start: 0, end: 0 });
  });

  it('scrolls a row into view only when it is not already', () => {
    expect(scrollTopFor(5, 0, 600, 64)).toBeNull();
    expect(scrollTopFor(20, 0, 600, 64)).toBe(21 * 64 - 600);
    expect(scrollTopFor(2, 640, 600, 64)).toBe(128);
  });
});
