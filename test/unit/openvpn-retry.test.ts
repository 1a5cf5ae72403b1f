import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ATTEMPT_RETRY, AttemptRetry, attemptWindowMs } from '../../electron/helper/drivers/openvpn/retry.js';
import { NETWORK_CHANGE } from '../../electron/helper/drivers/openvpn/states.js';

describe('OpenVPN attempt window (attemptWindowMs)', () => {
  it('everyMs while the reconnect is younger than forMs, then slowMs', () => {
    expect(attemptWindowMs(0)).toBe(ATTEMPT_RETRY.everyMs);
    expect(attemptWindowMs(ATTEMPT_RETRY.forMs - 1)).toBe(ATTEMPT_RETRY.everyMs);
    expect(attemptWindowMs(ATTEMPT_RETRY.forMs)).toBe(ATTEMPT_RETRY.slowMs);
  });
});

describe('OpenVPN attempt restarts while the server does not answer (AttemptRetry, fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A driver stand-in: each restart ends the attempt (RECONNECTING) and the next one sends after `sendMs` (WAIT). */
  function rig(opts: { enabled?: boolean; sendMs?: number } = {}) {
    const restarts: number[] = [];
    const start = Date.now();
    const retry = new AttemptRetry(
      () => {
        restarts.push(Date.now() - start);
        retry.attemptEnded();
        if (opts.sendMs === 0) retry.state('WAIT');
        else setTimeout(() => retry.state('WAIT'), opts.sendMs ?? 20);
      },
      { enabled: opts.enabled ?? true },
    );
    return { retry, restarts, start };
  }

  it('ping-restart: an attempt unanswered for 1 s is restarted, not before; each next one 1 s after it sent', () => {
    const { retry, restarts, start } = rig();
    retry.reconnecting('ping-restart', start);
    retry.state('RESOLVE');
    retry.state('WAIT');
    vi.advanceTimersByTime(999);
    expect(restarts).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(restarts).toEqual([1_000]);
    vi.advanceTimersByTime(2_040);
    expect(restarts).toEqual([1_000, 2_020, 3_040]);
  });

  it('bounded: every second for the first minute of the reconnect, then every 10 s (≈ 84 restarts in 5 minutes, not a storm)', () => {
    const { retry, restarts, start } = rig({ sendMs: 0 });
    retry.reconnecting('tls-error', start);
    retry.state('WAIT');
    vi.advanceTimersByTime(300_000);
    const fast = restarts.filter((t) => t <= ATTEMPT_RETRY.forMs);
    expect(fast.length).toBe(60);
    const gaps = restarts.slice(fast.length).map((t, i) => t - (restarts[fast.length + i - 1] ?? 0));
    expect(new Set(gaps)).toEqual(new Set([ATTEMPT_RETRY.slowMs]));
    expect(restarts.length).toBe(60 + 24);
  });

  it('the server answered (AUTH): openvpn runs the attempt, no restart; the next unanswered one is restarted after 1 s again', () => {
    const { retry, restarts, start } = rig();
    retry.state('WAIT');
    vi.advanceTimersByTime(700);
    retry.state('AUTH'); // the first connection: not a reconnect, nothing restarted
    retry.state('CONNECTED');
    retry.reconnecting('ping-restart', start + 5_000);
    retry.state('WAIT');
    vi.advanceTimersByTime(900);
    retry.state('AUTH');
    vi.advanceTimersByTime(30_000);
    expect(restarts).toEqual([]);
    retry.reconnecting('tls-error', Date.now());
    retry.state('WAIT');
    vi.advanceTimersByTime(999);
    expect(restarts).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(restarts).toHaveLength(1);
  });

  it('TCP: a connect under way (TCP_CONNECT) is not restarted (a management SIGUSR1 there becomes a SIGHUP); the connection the server leaves silent (WAIT) is', () => {
    const { retry, restarts, start } = rig();
    retry.reconnecting('ping-restart', start);
    retry.state('TCP_CONNECT');
    vi.advanceTimersByTime(20_000);
    expect(restarts).toEqual([]);
    retry.state('WAIT');
    vi.advanceTimersByTime(1_000);
    expect(restarts).toEqual([21_000]);
  });

  it.each([['connection-reset'], ['auth-temp-failure (server temporary reject)'], ['process-exited'], ['SIGUSR1']])('reason %s: openvpn keeps its own timing', (reason) => {
    const { retry, restarts, start } = rig();
    retry.reconnecting(reason, start);
    retry.state('WAIT');
    vi.advanceTimersByTime(120_000);
    expect(restarts).toEqual([]);
    expect(retry.holdSeconds(64)).toBe(64);
  });

  it('no route (network-unreachable: openvpn restarts by itself): its growing hold is cut to 1 s', () => {
    const { retry, start } = rig();
    retry.reconnecting('network-unreachable', start);
    expect(retry.holdSeconds(16)).toBe(1);
  });

  it(`after a network change (${NETWORK_CHANGE}) an unanswered attempt is restarted as well`, () => {
    const { retry, restarts, start } = rig();
    retry.reconnecting(NETWORK_CHANGE, start);
    retry.state('WAIT');
    vi.advanceTimersByTime(1_000);
    expect(restarts).toEqual([1_000]);
  });

  it('disabled (the profile sets connect-retry-max): nothing restarted, holds untouched', () => {
    const { retry, restarts, start } = rig({ enabled: false });
    retry.reconnecting('ping-restart', start);
    retry.state('WAIT');
    vi.advanceTimersByTime(60_000);
    expect(restarts).toEqual([]);
    expect(retry.active).toBe(false);
    expect(retry.holdSeconds(8)).toBe(8);
  });

  it('connected or stopped: the pending restart is cancelled', () => {
    const { retry, restarts, start } = rig();
    retry.reconnecting('ping-restart', start);
    retry.state('WAIT');
    vi.advanceTimersByTime(500);
    retry.state('CONNECTED');
    retry.stop();
    retry.state('WAIT');
    vi.advanceTimersByTime(60_000);
    expect(restarts).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("openvpn's own hold (its backoff grows to 300 s) is cut to the cadence: 1 s, then 10 s after the first minute", () => {
    const { retry, start } = rig();
    retry.reconnecting('ping-restart', start);
    expect(retry.holdSeconds(0)).toBe(0);
    expect(retry.holdSeconds(1)).toBe(1);
    expect(retry.holdSeconds(256)).toBe(1);
    vi.advanceTimersByTime(ATTEMPT_RETRY.forMs);
    expect(retry.holdSeconds(256)).toBe(10);
  });
});
