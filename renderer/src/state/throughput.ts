/**
 * The last 60 seconds of throughput for one tunnel, as a ring of one slot per wall-clock second.
 * Immutable: adding a sample returns a new buffer, so a zustand store can hold it as is.
 */
export const WINDOW_SECONDS = 60;
/** Main pushes stats at about 1 Hz with jitter; a skipped second keeps the previous value rather than dipping to zero. */
const HOLD_SECONDS = 2;

type Sample = { readonly second: number; readonly rateIn: number; readonly rateOut: number };

export type Throughput = {
  readonly slots: readonly (Sample | undefined)[];
  /** The newest second seen, or -Infinity when empty. */
  readonly latest: number;
};

export type ThroughputSeries = { readonly rateIn: readonly number[]; readonly rateOut: readonly number[] };

export function emptyThroughput(): Throughput {
  return { slots: new Array<Sample | undefined>(WINDOW_SECONDS).fill(undefined), latest: -Infinity };
}

/** Records the rates reported at `at` (Unix ms); a second's later sample replaces its earlier one. */
export function addSample(buffer: Throughput, at: number, rateIn: number, rateOut: number): Throughput {
  const second = Math.floor(at / 1000);
  if (second <= buffer.latest - WINDOW_SECONDS) return buffer;
  const slots = buffer.slots.slice();
  slots[slotOf(second)] = { second, rateIn: Math.max(0, rateIn), rateOut: Math.max(0, rateOut) };
  return { slots, latest: Math.max(buffer.latest, second) };
}

/** Rates for the 60 seconds ending at `now` (Unix ms), oldest first; seconds without data are 0. */
export function lastMinute(buffer: Throughput, now: number): ThroughputSeries {
  const end = Math.floor(now / 1000);
  const rateIn: number[] = [];
  const rateOut: number[] = [];
  let held: Sample | undefined;
  for (let second = end - WINDOW_SECONDS + 1; second <= end; second++) {
    const sample = buffer.slots[slotOf(second)];
    if (sample && sample.second === second) held = sample;
    else if (held && second - held.second > HOLD_SECONDS) held = undefined;
    rateIn.push(held?.rateIn ?? 0);
    rateOut.push(held?.rateOut ?? 0);
  }
  return { rateIn, rateOut };
}

/** The newest point of the last minute: what the graph ends on, and what its legend says. */
export function currentRates(buffer: Throughput, now: number): { rateIn: number; rateOut: number } {
  const series = lastMinute(buffer, now);
  return { rateIn: series.rateIn.at(-1) ?? 0, rateOut: series.rateOut.at(-1) ?? 0 };
}

/**
 * The byte counters of the last reading a rate was measured from. Rates are computed here from
 * two readings of the counters and the time between them, never taken from a single sample: the
 * first sample of a tunnel counts the handshake, and its interval (from when the stats timer
 * started) can be a millisecond, which made 2 kB of handshake read as 2 MB/s.
 */
export type Meter = { readonly at: number; readonly bytesIn: number; readonly bytesOut: number };

/** Readings closer together than this are merged into the next interval rather than divided. */
export const MIN_INTERVAL_MS = 500;

export type Reading = { meter: Meter; rates: { rateIn: number; rateOut: number } | null };

/**
 * A new reading of the counters at `at` (Unix ms). The first one (no meter) only seeds the meter;
 * so does one whose counters went down (the tunnel process restarted them). A reading too soon
 * after the meter's keeps the meter, so the next interval is long enough to mean something.
 */
export function readMeter(meter: Meter | undefined, at: number, bytesIn: number, bytesOut: number): Reading {
  const fresh = { at, bytesIn, bytesOut };
  if (!meter || bytesIn < meter.bytesIn || bytesOut < meter.bytesOut || at < meter.at) return { meter: fresh, rates: null };
  const ms = at - meter.at;
  if (ms < MIN_INTERVAL_MS) return { meter, rates: null };
  return { meter: fresh, rates: { rateIn: ((bytesIn - meter.bytesIn) * 1000) / ms, rateOut: ((bytesOut - meter.bytesOut) * 1000) / ms } };
}

function slotOf(second: number): number {
  return ((second % WINDOW_SECONDS) + WINDOW_SECONDS) % WINDOW_SECONDS;
}
