/**
 * A virtual list whose rows wrap (the log's lines): each row's height is estimated from its text
 * (the log is monospace: characters per line are known) until the row has been drawn and measured.
 * Pure, so the arithmetic is tested without a DOM.
 */
export const LINE_HEIGHT = 20;
export const ROW_PADDING = 4;

/** Columns a text takes in a monospace font: wide (East Asian) characters take two. */
export function textColumns(text: string): number {
  let columns = 0;
  for (const c of text) columns += (c.codePointAt(0) ?? 0) >= 0x1100 ? 2 : 1;
  return columns;
}

export function estimatedHeight(text: string, charsPerLine: number): number {
  return ROW_PADDING + LINE_HEIGHT * Math.max(1, Math.ceil(textColumns(text) / Math.max(1, charsPerLine)));
}

export type RowLayout = { readonly offsets: readonly number[]; readonly total: number };

/** Where each row starts, and the height of them all. */
export function layoutRows(heights: readonly number[]): RowLayout {
  const offsets: number[] = new Array<number>(heights.length);
  let top = 0;
  for (const [i, h] of heights.entries()) {
    offsets[i] = top;
    top += h;
  }
  return { offsets, total: top };
}

/** The rows to draw for the scroll position: those meeting the viewport, and `overscan` more each side. */
export function rowsInView(layout: RowLayout, scrollTop: number, viewportHeight: number, overscan: number): { start: number; end: number } {
  const { offsets, total } = layout;
  const count = offsets.length;
  if (count === 0) return { start: 0, end: 0 };
  const top = Math.max(0, Math.min(scrollTop, total));
  // The last row starting at or above `top`.
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((offsets[mid] ?? 0) <= top) lo = mid;
    else hi = mid - 1;
  }
  let end = lo;
  const bottom = top + Math.max(0, viewportHeight);
  while (end < count && (offsets[end] ?? 0) < bottom) end++;
  return { start: Math.max(0, lo - overscan), end: Math.min(count, end + overscan) };
}
