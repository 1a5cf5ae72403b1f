import { describe, expect, it } from 'vitest';
import { addSample, emptyThroughput, lastMinute, WINDOW_SECONDS, type Throughput } from '../../renderer/src/state/throughput.js';

const T0 = 1_767_312_000_000; // a whole second

function fill(seconds: number[], rate = (s: number) => s): Throughput {
  return seconds.reduce((b, s) => addSample(b, T0 + s * 1000, rate(s), rate(s) / 10), emptyThroughput());
}

describe('throughput ring buffer (last 60 s)', () => {
  it('returns exactly 60 points, oldest first, ending at now', () => {
    const buffer = fill([0, 1, 2]);
    const series = lastMinute(buffer, T0 + 2000);
    expect(series.rateIn).toHaveLength(WINDOW_SECONDS);
    expect(series.rateIn.slice(-3)).toEqual([0, 1, 2]);
    expect(series.rateOut.slice(-3)).toEqual([0, 0.1, 0.2]);
    expect(series.rateIn.slice(0, -3).every((v) => v === 0)).toBe(true);
  });

  it('keeps only the last minute after wrapping around the ring many times', () => {
    const seconds = Array.from({ length: 200 }, (_, i) => i);
    const series = lastMinute(fill(seconds), T0 + 199_000);
    expect(series.rateIn).toEqual(Array.from({ length: 60 }, (_, i) => 140 + i));
  });

  it('a later sample in the same second replaces the earlier one', () => {
    let b = addSample(emptyThroughput(), T0 + 5_100, 10, 1);
    b = addSample(b, T0 + 5_900, 30, 3);
    expect(lastMinute(b, T0 + 5_999).rateIn.at(-1)).toBe(30);
  });

  it('ignores samples older than the window (late or replayed events)', () => {
    const b = fill([100]);
    const late = addSample(b, T0 + 30_000, 999, 999);
    expect(late).toBe(b);
  });

  it('holds the previous value over a skipped second, but not over a real gap', () => {
    // Stats arrive at about 1 Hz: second 3 was skipped by jitter, seconds 6..9 had no stats at all.
    const b = fill([0, 1, 2, 4, 5], () => 100);
    const series = lastMinute(b, T0 + 9000).rateIn.slice(-10);
    expect(series).toEqual([100, 100, 100, 100, 100, 100, 100, 100, 0, 0]);
  });

  it('shows zeros once the tunnel has been quiet for longer than the window', () => {
    const b = fill([0, 1, 2]);
    expect(lastMinute(b, T0 + 200_000).rateIn.every((v) => v === 0)).toBe(true);
  });

  it('never stores negative rates', () => {
    const b = addSample(emptyThroughput(), T0, -5, -1);
    expect(lastMinute(b, T0).rateIn.at(-1)).toBe(0);
  });

  it('does not change the buffer it was given (zustand needs new values)', () => {
    const before = fill([0]);
    const snapshot = JSON.stringify(before);
    addSample(before, T0 + 1000, 1, 1);
    expect(JSON.stringify(before)).toBe(snapshot);
  });
});
