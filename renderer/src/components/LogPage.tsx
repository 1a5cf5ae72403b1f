import { useCallback, useDeferredValue, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { helperLineText } from '../../../shared/i18n/helper-messages.js';
import type { AppError } from '../../../shared/ipc/app-api.js';
import { formatLogTime, formatNumber } from '../format.js';
import { useCopy } from '../hooks.js';
import { useLanguage } from '../i18n.js';
import { exportLogs, loadLogs } from '../state/actions.js';
import { filterLogs, logsAsText, sourceOf, type LogEntry, type LogLevel, type LogScope } from '../state/logs.js';
import { useConnections, useLogs, useProfiles } from '../state/store.js';
import { estimatedHeight, layoutRows, LINE_HEIGHT, rowsInView } from '../state/wrapped-rows.js';
import { ErrorNote } from './ErrorNote.js';

const OVERSCAN = 20;
const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/**
 * The helper's log (already redacted by the helper) with live lines, a level filter, a profile
 * filter and search, in the UI's language where the line is the helper's own. Long lines wrap
 * (nothing is cut at the right edge); the list stays virtual. Copy takes the lines shown; Export
 * saves the whole log (the helper's English text) through main's save dialog.
 */
export function LogPage() {
  const { t } = useTranslation();
  const lang = useLanguage();
  const received = useLogs((s) => s.entries);
  // The helper's own lines in the UI's language; search, copy and the row heights use the words shown.
  const entries = useMemo(() => received.map((e) => (e.code === undefined ? e : { ...e, text: helperLineText(e, lang) })), [received, lang]);
  const [minLevel, setMinLevel] = useState<LogLevel>('info');
  const [query, setQuery] = useState('');
  const [scopeValue, setScopeValue] = useState('all');
  const sessions = useConnections((s) => s.sessions);
  const profiles = useProfiles((s) => s.list);
  const names = useMemo(() => new Map(profiles.map((p) => [p.id, p.name])), [profiles]);
  const scope = useMemo((): LogScope => (scopeValue === 'all' ? { kind: 'all' } : scopeValue === 'service' ? { kind: 'service' } : { kind: 'profile', profileId: scopeValue.slice('profile:'.length) }), [scopeValue]);
  const [loadError, setLoadError] = useState<AppError | null>(null);
  const [exporting, setExporting] = useState(false);
  const [exported, setExported] = useState<string | null>(null);
  const [exportError, setExportError] = useState<AppError | null>(null);
  const deferredQuery = useDeferredValue(query);
  const shown = useMemo(() => filterLogs(entries, minLevel, deferredQuery, scope, sessions), [entries, minLevel, deferredQuery, scope, sessions]);
  function sourceName(entry: LogEntry): string {
    const source = sourceOf(entry, sessions);
    if (source.kind === 'service') return t('logs.service');
    if (source.kind === 'unknown') return t('logs.earlierSession');
    return names.get(source.profileId) ?? t('logs.earlierSession');
  }
  const { element, ref, onScroll, range, layout } = useWrappedRows(shown);
  const { copied, copy } = useCopy();
  const following = useRef(true);

  useEffect(() => {
    void loadLogs().then((r) => setLoadError(r.ok ? null : r.error));
  }, []);

  // Stay at the newest line while the user is there; leave the scroll alone once they scroll up.
  useLayoutEffect(() => {
    if (element && following.current) element.scrollTop = element.scrollHeight;
  }, [shown, element, layout.total]);

  async function exportToFile(): Promise<void> {
    if (exporting) return;
    setExporting(true);
    setExported(null);
    setExportError(null);
    // Main shows the save dialog and writes the whole (redacted) log; null means cancelled.
    const result = await exportLogs();
    setExporting(false);
    if (!result.ok) setExportError(result.error);
    else if (result.value.path !== null) setExported(result.value.path);
  }

  function scrolled(): void {
    if (element) following.current = element.scrollTop + element.clientHeight >= element.scrollHeight - LINE_HEIGHT;
    onScroll();
  }

  return (
    <div className="log-page">
      <h1 className="page-title">{t('logs.title')}</h1>
      <div className="log-toolbar">
        <label className="field inline">
          <span>{t('logs.level')}</span>
          <select value={minLevel} onChange={(e) => setMinLevel(e.target.value as LogLevel)}>
            {LEVELS.map((level) => <option key={level} value={level}>{t(`logs.levelAtLeast.${level}`)}</option>)}
          </select>
        </label>
        <label className="field inline">
          <span>{t('logs.profileFilter')}</span>
          <select value={scopeValue} onChange={(e) => setScopeValue(e.target.value)}>
            <option value="all">{t('logs.allProfiles')}</option>
            <option value="service">{t('logs.serviceOnly')}</option>
            {profiles.map((p) => <option key={p.id} value={`profile:${p.id}`}>{p.name}</option>)}
          </select>
        </label>
        <input type="search" className="search" value={query} placeholder={t('logs.searchPlaceholder')} aria-label={t('logs.searchLabel')} aria-controls="log-lines" onChange={(e) => setQuery(e.target.value)} />
        <button type="button" className="button" disabled={shown.length === 0} onClick={() => void copy(logsAsText(shown))}>
          {copied ? t('common.copied') : t('logs.copy')}
        </button>
        <button type="button" className="button" aria-disabled={exporting} onClick={() => void exportToFile()}>{t('logs.export')}</button>
      </div>
      {exported && <p className="success-text" role="status">{t('logs.exported', { path: exported })}</p>}
      {exportError && <ErrorNote error={exportError} title={t('logs.exportFailed')} />}
      {loadError && <ErrorNote error={loadError} title={t('logs.loadFailed')} />}
      <p className="list-count">{t('logs.count', { count: entries.length, shown: formatNumber(shown.length, lang), total: formatNumber(entries.length, lang) })}</p>
      {shown.length === 0 && <p className="list-empty">{t('logs.empty')}</p>}
      <div id="log-lines" ref={ref} className="log-lines" role="list" tabIndex={0} aria-label={t('logs.linesLabel')} hidden={shown.length === 0} onScroll={scrolled}>
        <span className="log-probe" aria-hidden="true">MMMMMMMMMM</span>
        <div className="virtual-sizer" style={{ height: layout.total }}>
          {shown.slice(range.start, range.end).map((entry, i) => (
            <div key={entry.seq} data-seq={entry.seq} role="listitem" className={`log-line level-${entry.level}${(range.start + i) % 2 ? ' odd' : ''}`} style={{ transform: `translateY(${layout.offsets[range.start + i] ?? 0}px)` }}>
              <time dateTime={new Date(entry.at).toISOString()}>{formatLogTime(entry.at, lang)}</time>
              <span className="log-level">{t(`logs.levels.${entry.level}`)}</span>
              <span className="log-profile" title={sourceName(entry)}>{sourceName(entry)}</span>
              <span className="log-text">{entry.text}</span>
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

/**
 * The virtual rows of the log, wrapped: heights estimated from each line's length and the text
 * column's width in characters, then corrected by what the browser drew (kept per width).
 */
function useWrappedRows(shown: readonly LogEntry[]) {
  const [element, ref] = useState<HTMLDivElement | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [box, setBox] = useState({ width: 0, height: 600 });
  const [charsPerLine, setCharsPerLine] = useState(80);
  const measured = useRef(new Map<number, number>());
  const [revision, setRevision] = useState(0);

  useLayoutEffect(() => {
    if (!element) return;
    const update = () => setBox((b) => (b.width === element.clientWidth && b.height === element.clientHeight ? b : { width: element.clientWidth, height: element.clientHeight }));
    update();
    const observer = new ResizeObserver(update);
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);

  // A new width rewraps every line: what was measured at the old one no longer holds.
  useLayoutEffect(() => {
    if (!element || box.width === 0) return;
    measured.current.clear();
    const probe = element.querySelector<HTMLElement>('.log-probe');
    const charWidth = probe ? probe.getBoundingClientRect().width / 10 : 8;
    const text = element.querySelector<HTMLElement>('.log-line .log-text');
    const row = text?.parentElement;
    const textLeft = text && row ? text.getBoundingClientRect().left - row.getBoundingClientRect().left : 0.4 * box.width;
    const rightPadding = 10;
    setCharsPerLine(Math.max(10, Math.floor((box.width - textLeft - rightPadding) / Math.max(1, charWidth))));
    setRevision((r) => r + 1);
  }, [element, box.width]);

  const layout = useMemo(
    () => layoutRows(shown.map((e) => measured.current.get(e.seq) ?? estimatedHeight(e.text, charsPerLine))),
    // `revision` stands for the measurements in `measured`.
    [shown, charsPerLine, revision],
  );
  const range = rowsInView(layout, scrollTop, box.height, OVERSCAN);

  // After each draw: rows whose real height differs from the estimate correct the layout.
  useLayoutEffect(() => {
    if (!element) return;
    let changed = false;
    for (const row of element.querySelectorAll<HTMLElement>('.log-line')) {
      const seq = Number(row.dataset['seq']);
      const height = row.offsetHeight;
      if (height > 0 && measured.current.get(seq) !== height) {
        measured.current.set(seq, height);
        changed = true;
      }
    }
    if (changed) setRevision((r) => r + 1);
  });

  const onScroll = useCallback(() => {
    if (element) setScrollTop(element.scrollTop);
  }, [element]);
  return { element, ref, onScroll, range, layout };
}
