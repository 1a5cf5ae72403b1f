/** Small React hooks shared by several screens. */
import { useCallback, useEffect, useLayoutEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { copyText } from './clipboard.js';
import { announce } from './state/actions.js';
import { scrollTopFor, visibleRange } from './state/virtual-rows.js';

/** The current time, ticking every `intervalMs` while `active` (a live duration or graph). */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}

/**
 * Windowing for a list with fixed-height rows: only the rows in view (plus a few) are rendered,
 * so a list of thousands mounts and scrolls as fast as a list of twenty.
 */
export function useVirtualRows(count: number, rowHeight: number, overscan = 8) {
  // A callback ref: the scroller may mount later than the component (e.g. after an empty search).
  const [element, ref] = useState<HTMLDivElement | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  useLayoutEffect(() => {
    if (!element) return;
    setHeight(element.clientHeight);
    setScrollTop(element.scrollTop);
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  const onScroll = useCallback(() => {
    if (element) setScrollTop(element.scrollTop);
  }, [element]);
  const scrollToIndex = useCallback((index: number) => {
    if (!element) return;
    const top = scrollTopFor(index, element.scrollTop, element.clientHeight, rowHeight);
    if (top !== null) element.scrollTop = top;
  }, [element, rowHeight]);
  const range = visibleRange(scrollTop, height, rowHeight, count, overscan);
  return { element, ref, onScroll, scrollToIndex, range, totalHeight: count * rowHeight };
}

/** Copies text on click, says so to screen readers, and flips the button label for two seconds. */
export function useCopy(): { copied: boolean; copy: (text: string) => Promise<void> } {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  const copy = useCallback(async (text: string) => {
    const ok = await copyText(text);
    setCopied(ok);
    announce(ok ? t('common.copied') : t('common.copyFailed'));
  }, [t]);
  return { copied, copy };
}
