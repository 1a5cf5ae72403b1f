/** Log lines (already redacted by the helper), kept to the newest few thousand. */
import type { LogLine } from '../../../shared/ipc/helper-protocol.js';

export const LOG_CAPACITY = 5000;
export type LogLevel = LogLine['level'];
export type LogEntry = LogLine & { readonly seq: number };

export type LogsState = {
  readonly entries: readonly LogEntry[];
  /** The seq the next appended line gets. */
  readonly nextSeq: number;
};

export const initialLogs: LogsState = { entries: [], nextSeq: 1 };

export function appendLogs(state: LogsState, lines: readonly LogLine[], capacity = LOG_CAPACITY): LogsState {
  if (lines.length === 0) return state;
  let seq = state.nextSeq;
  const added = lines.map((line) => ({ ...line, seq: seq++ }));
  const all = state.entries.concat(added);
  return { entries: all.length > capacity ? all.slice(all.length - capacity) : all, nextSeq: seq };
}

/**
 * The reply of log:recent replaces the history. Live lines that arrived after the request was sent
 * (seq >= sinceSeq) may or may not be in the reply: keep those the reply does not have.
 */
export function logsLoaded(state: LogsState, recent: readonly LogLine[], sinceSeq: number, capacity = LOG_CAPACITY): LogsState {
  const known = new Set(recent.map(lineKey));
  const live = state.entries.filter((e) => e.seq >= sinceSeq && !known.has(lineKey(e)));
  const base = appendLogs({ entries: [], nextSeq: state.nextSeq }, recent, capacity);
  const entries = base.entries.concat(live);
  return { entries: entries.length > capacity ? entries.slice(entries.length - capacity) : entries, nextSeq: base.nextSeq };
}

function lineKey(l: LogLine): string {
  return `${l.at}|${l.sessionId ?? ''}|${l.level}|${l.text}`;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Whose line it is: a profile (through its session), the Tsunagu service's own, or a session this window never saw. */
export type LogSource = { kind: 'profile'; profileId: string } | { kind: 'service' } | { kind: 'unknown' };

export function sourceOf(entry: Pick<LogLine, 'sessionId'>, sessions: Readonly<Record<string, string>>): LogSource {
  if (entry.sessionId === null) return { kind: 'service' };
  const profileId = sessions[entry.sessionId];
  return profileId === undefined ? { kind: 'unknown' } : { kind: 'profile', profileId };
}

/** Which lines the profile filter lets through: all, the service's own, or one profile's. */
export type LogScope = { kind: 'all' } | { kind: 'service' } | { kind: 'profile'; profileId: string };

/**
 * Lines at `minLevel` or above, of `scope` (profiles found through `sessions`, session id → profile
 * id), whose text contains every word of `query` (case-insensitive).
 */
export function filterLogs(
  entries: readonly LogEntry[],
  minLevel: LogLevel,
  query: string,
  scope: LogScope = { kind: 'all' },
  sessions: Readonly<Record<string, string>> = {},
): readonly LogEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const min = RANK[minLevel];
  if (min === 0 && words.length === 0 && scope.kind === 'all') return entries;
  return entries.filter((e) => {
    if (RANK[e.level] < min) return false;
    if (scope.kind !== 'all') {
      const source = sourceOf(e, sessions);
      if (scope.kind === 'service' && source.kind !== 'service') return false;
      if (scope.kind === 'profile' && (source.kind !== 'profile' || source.profileId !== scope.profileId)) return false;
    }
    if (words.length === 0) return true;
    const text = e.text.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

/** Plain text for the clipboard: one line per entry, ISO time, level, text. */
export function logsAsText(entries: readonly LogEntry[]): string {
  return entries.map((e) => `${new Date(e.at).toISOString()} ${e.level.toUpperCase().padEnd(5)} ${e.text}`).join('\n');
}
