/** Numbers, sizes, rates, durations and times for the UI language, all through Intl. */
import type { UiLanguage } from '../../shared/i18n/catalog.js';

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function numberFormat(lang: UiLanguage, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `n|${lang}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (!f) cache.set(key, (f = new Intl.NumberFormat(lang, options)));
  return f as Intl.NumberFormat;
}

function dateFormat(lang: UiLanguage, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d|${lang}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (!f) cache.set(key, (f = new Intl.DateTimeFormat(lang, options)));
  return f as Intl.DateTimeFormat;
}

/** Decimal units (1 kB = 1000 B), matching the unit names Intl prints. */
function scale(bytes: number): { value: number; unit: (typeof BYTE_UNITS)[number] } {
  let value = Math.max(0, bytes);
  let i = 0;
  while (value >= 1000 && i < BYTE_UNITS.length - 1) {
    value /= 1000;
    i++;
  }
  // 999.96 kB would print as "1,000 kB": promote it.
  if (value >= 999.95 && i < BYTE_UNITS.length - 1) {
    value /= 1000;
    i++;
  }
  return { value, unit: BYTE_UNITS[i] ?? 'byte' };
}

function digits(value: number, unit: string): Intl.NumberFormatOptions {
  return { maximumFractionDigits: unit === 'byte' || value >= 100 ? 0 : 1 };
}

/** Intl's short name for a plain byte is the word "byte"; every other size has a symbol (kB, MB …): use B alike. */
function withByteSymbol(format: Intl.NumberFormat, value: number, unit: string): string {
  if (unit !== 'byte') return format.format(value);
  return format.formatToParts(value).map((p) => (p.type === 'unit' ? p.value.replace('byte', 'B') : p.value)).join('');
}

/** "0 B", "512 B", "1.2 kB", "12 MB" (decimal units). */
export function formatBytes(bytes: number, lang: UiLanguage): string {
  const { value, unit } = scale(bytes);
  return withByteSymbol(numberFormat(lang, { style: 'unit', unit, unitDisplay: 'short', ...digits(value, unit) }), value, unit);
}

/** Bytes per second, e.g. "1.2 MB/s" / "1.2 MB/秒". */
export function formatRate(bytesPerSecond: number, lang: UiLanguage): string {
  const { value, unit } = scale(bytesPerSecond);
  return withByteSymbol(numberFormat(lang, { style: 'unit', unit: `${unit}-per-second`, unitDisplay: 'short', ...digits(value, unit) }), value, unit);
}

export function formatNumber(n: number, lang: UiLanguage): string {
  return numberFormat(lang, {}).format(n);
}

/** A running time as a clock: "0:07", "12:34", "1:02:03", hours keep counting past a day. */
export function formatDuration(ms: number, lang: UiLanguage): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = numberFormat(lang, { minimumIntegerDigits: 2, useGrouping: false });
  const plain = numberFormat(lang, { useGrouping: false });
  return hours > 0
    ? `${plain.format(hours)}:${two.format(minutes)}:${two.format(seconds)}`
    : `${plain.format(minutes)}:${two.format(seconds)}`;
}

/** A date and time for humans: "Jan 2, 2026, 3:04 PM" / "2026/01/02 15:04". */
export function formatDateTime(at: number, lang: UiLanguage): string {
  return dateFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(at);
}

/** A log timestamp: 24-hour with milliseconds, same shape in every language. */
export function formatLogTime(at: number, lang: UiLanguage): string {
  return dateFormat(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hourCycle: 'h23' }).format(at);
}

/** A round upper bound for a graph axis: 1, 2 or 5 times a power of ten, at least `floor`. */
export function niceCeiling(value: number, floor = 1000): number {
  const v = Math.max(value, floor);
  const power = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) {
    if (v <= step * power) return step * power;
  }
  return 10 * power;
}
