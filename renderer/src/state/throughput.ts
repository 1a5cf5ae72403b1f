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

function slotOf(second: number): number {
  return ((second % WINDOW_SECONDS) + WINDOW_SECONDS) % WINDOW_SECONDS;
}
