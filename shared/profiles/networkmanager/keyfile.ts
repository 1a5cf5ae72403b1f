/**
 * NetworkManager keyfiles (`/etc/NetworkManager/system-connections/*.nmconnection`) are GLib key
 * files: `[group]` headers, `key=value` lines, `#` comment lines. This reader follows GKeyFile's
 * rules and keeps every line number, so each error can point at the user's own line.
 *
 * Not the `ini` package, although it is a dependency: it ends an unquoted value at `;` or `#`
 * (so `dns=10.0.0.1;10.0.0.2;` reads as one server and `password=a#b` as `a`), it nests groups at
 * every `.` (`[wireguard-peer.<key>]`), it does not know GLib's `\s` `\t` `\n` `\r` `\\` escapes
 * or `\;` inside lists, and it reports no line numbers.
 *
 * GKeyFile rules kept here: CR before LF is dropped; leading blanks of a line are ignored; a line
 * whose first non-blank is `#` is a comment (a `#` later in a value is text); the key ends at the
 * first `=`, trailing blanks trimmed; the value starts after the blanks that follow `=` and keeps
 * trailing blanks; a group may appear twice (its keys merge); any other line is an error. Unlike
 * GLib (the last one wins), a key set twice in a group is refused: NetworkManager never writes
 * that, and in a hand-edited file it is ambiguous.
 */
import { profileError, type LocalizedText, type ProfileError } from '../diagnostics.js';

/** NetworkManager's own files are a few kilobytes; this bounds the work on anything else. */
export const KEYFILE_MAX_BYTES = 256 * 1024;

export interface KeyfileEntry {
  key: string;
  /** The value as written (escapes not yet resolved): strings and lists unescape differently. */
  raw: string;
  line: number;
  /** 1-based column where the value starts. */
  column: number;
  /** The whole line, for quoting back to the user. */
  source: string;
}

export interface KeyfileGroup {
  name: string;
  line: number;
  entries: KeyfileEntry[];
}

export interface Keyfile {
  groups: KeyfileGroup[];
}

export type KeyfileParse = { ok: true; keyfile: Keyfile } | { ok: false; errors: ProfileError[] };

function located(line: number, message: LocalizedText): LocalizedText {
  return { en: `Line ${line}: ${message.en}`, ja: `${line} 行目: ${message.ja}` };
}

/** A keyfile error at `line`, its message prefixed with the line as every profile error is. */
export function keyfileError(code: string, line: number, column: number, text: string, message: LocalizedText): ProfileError {
  return profileError(code, { line, column }, text, line > 0 ? located(line, message) : message);
}

const BLANK = /^[ \t\v\f\r]*/;

function isGroupHeader(content: string): boolean {
  return content.startsWith('[');
}

/** Reads the key file's structure. Values stay raw until `stringValue` / `listValue`. */
export function parseKeyfile(text: string): KeyfileParse {
  if (text.length > KEYFILE_MAX_BYTES) {
    return {
      ok: false,
      errors: [keyfileError('NM_TOO_LARGE', 0, 1, '', {
        en: `This file is ${Math.ceil(text.length / 1024)} KiB; NetworkManager connection files are a few kilobytes. Check that it is the right file.`,
        ja: `このファイルは ${Math.ceil(text.length / 1024)} KiB あります。NetworkManager の接続ファイルは数 KB です。正しいファイルか確認してください。`,
      })],
    };
  }
  const groups = new Map<string, KeyfileGroup>();
  const order: KeyfileGroup[] = [];
  const seen = new Map<KeyfileGroup, Map<string, KeyfileEntry>>();
  const errors: ProfileError[] = [];
  let current: KeyfileGroup | null = null;
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const source = (lines[i] ?? '').replace(/\r$/, '');
    const lead = (BLANK.exec(source)?.[0] ?? '').length;
    const content = source.slice(lead);
    if (content === '' || content.startsWith('#')) continue;
    if (isGroupHeader(content)) {
      const close = content.lastIndexOf(']');
      const name = close > 0 ? content.slice(1, close) : '';
      if (close < 0 || content.slice(close + 1).trim() !== '' || name === '' || /[[\]]/.test(name) || hasControl(name)) {
        errors.push(keyfileError('NM_SYNTAX', lineNo, lead + 1, source, {
          en: `'${content}' is not a valid group header; NetworkManager writes them as '[name]'.`,
          ja: `'${content}' はグループ見出しとして正しくありません。NetworkManager は '[名前]' の形で書きます。`,
        }));
        current = null;
        continue;
      }
      const existing = groups.get(name);
      if (existing) current = existing;
      else {
        current = { name, line: lineNo, entries: [] };
        groups.set(name, current);
        order.push(current);
      }
      continue;
    }
    const eq = content.indexOf('=');
    const key = eq < 0 ? '' : content.slice(0, eq).replace(/[ \t\v\f\r]+$/, '');
    if (eq < 0 || key === '' || /[[\]]/.test(key.replace(/\[[^\]]*\]$/, ''))) {
      errors.push(keyfileError('NM_SYNTAX', lineNo, lead + 1, source, {
        en: `'${content}' is neither a 'key=value' line, a '[group]' header nor a '#' comment, so this is not a valid NetworkManager connection file.`,
        ja: `'${content}' は 'キー=値' の行でも '[グループ]' 見出しでも '#' コメントでもないため、NetworkManager の接続ファイルとして正しくありません。`,
      }));
      continue;
    }
    if (!current) {
      errors.push(keyfileError('NM_SYNTAX', lineNo, lead + 1, source, {
        en: `'${key}' comes before the first '[group]' header; every setting belongs to a group such as [connection].`,
        ja: `'${key}' が最初の '[グループ]' 見出しより前にあります。設定はすべて [connection] などのグループに属します。`,
      }));
      continue;
    }
    const afterEq = content.slice(eq + 1);
    const valueLead = (/^[ \t\v\f\r]*/.exec(afterEq)?.[0] ?? '').length;
    const keys = seen.get(current) ?? new Map<string, KeyfileEntry>();
    seen.set(current, keys);
    const duplicate = keys.get(key);
    if (duplicate) {
      errors.push(keyfileError('NM_DUPLICATE_KEY', lineNo, lead + 1, source, {
        en: `'${key}' is set again in [${current.name}] (first on line ${duplicate.line}). NetworkManager writes each setting once; keep the line you mean and delete the other.`,
        ja: `'${key}' が [${current.name}] で再び設定されています (最初は ${duplicate.line} 行目)。NetworkManager は各設定を 1 回だけ書きます。意図した行を残し、もう一方を削除してください。`,
      }));
      continue;
    }
    const entry = { key, raw: afterEq.slice(valueLead), line: lineNo, column: lead + eq + 2 + valueLead, source };
    keys.set(key, entry);
    current.entries.push(entry);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, keyfile: { groups: order } };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function hasControl(text: string): boolean {
  return CONTROL.test(text);
}

export type ValueRead<T> = { ok: true; value: T } | { ok: false; error: ProfileError };

function escapeError(entry: KeyfileEntry, offset: number, sequence: string): ProfileError {
  return keyfileError('NM_BAD_ESCAPE', entry.line, entry.column + offset, entry.source, sequence === '\\'
    ? {
        en: `the value of '${entry.key}' ends with a lone backslash. In NetworkManager files a backslash starts an escape (\\s, \\t, \\n, \\r, \\\\); write '\\\\' for a backslash.`,
        ja: `'${entry.key}' の値が単独のバックスラッシュで終わっています。NetworkManager のファイルではバックスラッシュはエスケープ (\\s、\\t、\\n、\\r、\\\\) の始まりです。バックスラッシュそのものは '\\\\' と書いてください。`,
      }
    : {
        en: `the value of '${entry.key}' contains '${sequence}', which is not an escape NetworkManager knows (\\s, \\t, \\n, \\r, \\\\${'; and \\; in lists'}). Write '\\\\' for a backslash.`,
        ja: `'${entry.key}' の値に '${sequence}' が含まれていますが、NetworkManager が知っているエスケープ (\\s、\\t、\\n、\\r、\\\\、リストでは \\;) ではありません。バックスラッシュそのものは '\\\\' と書いてください。`,
      });
}

const SIMPLE_ESCAPES: Record<string, string> = { s: ' ', t: '\t', n: '\n', r: '\r', '\\': '\\' };

/**
 * GKeyFile's string unescaping. In a list, `\;` is a literal `;` and an unescaped `;` ends an
 * element (a trailing `;` ends the last one); elsewhere `\;` is an invalid escape, as in GLib.
 */
function unescape(entry: KeyfileEntry, list: boolean): ValueRead<string[]> {
  const raw = entry.raw;
  const pieces: string[] = [];
  let piece = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] ?? '';
    if (c === '\\') {
      const next = raw[i + 1];
      if (next === undefined) return { ok: false, error: escapeError(entry, i, '\\') };
      const simple = SIMPLE_ESCAPES[next];
      if (simple !== undefined) piece += simple;
      else if (list && next === ';') piece += ';';
      else return { ok: false, error: escapeError(entry, i, `\\${next}`) };
      i++;
    } else if (list && c === ';') {
      pieces.push(piece);
      piece = '';
    } else piece += c;
  }
  if (!list || piece !== '') pieces.push(piece);
  return { ok: true, value: pieces };
}

/** A string value with GLib's escapes resolved. */
export function stringValue(entry: KeyfileEntry): ValueRead<string> {
  const r = unescape(entry, false);
  return r.ok ? { ok: true, value: r.value[0] ?? '' } : r;
}

/** A `;`-separated list value (`dns=10.0.0.1;10.0.0.2;`), each element unescaped. */
export function listValue(entry: KeyfileEntry): ValueRead<string[]> {
  return unescape(entry, true);
}

/** GKeyFile booleans: `true`/`false`, also `1`/`0`. */
export function booleanValue(entry: KeyfileEntry): ValueRead<boolean> {
  const s = stringValue(entry);
  if (!s.ok) return s;
  const v = s.value.trim();
  if (v === 'true' || v === '1') return { ok: true, value: true };
  if (v === 'false' || v === '0') return { ok: true, value: false };
  return {
    ok: false,
    error: keyfileError('NM_BAD_VALUE', entry.line, entry.column, entry.source, {
      en: `'${entry.key}' must be 'true' or 'false', not '${v}'.`,
      ja: `'${entry.key}' は 'true' か 'false' でなければなりません ('${v}' ではなく)。`,
    }),
  };
}

/** A whole number in [min, max]. */
export function integerValue(entry: KeyfileEntry, min: number, max: number): ValueRead<number> {
  const s = stringValue(entry);
  if (!s.ok) return s;
  const v = s.value.trim();
  if (/^\d{1,10}$/.test(v) && Number(v) >= min && Number(v) <= max) return { ok: true, value: Number(v) };
  return {
    ok: false,
    error: keyfileError('NM_BAD_VALUE', entry.line, entry.column, entry.source, {
      en: `'${entry.key}' must be a whole number from ${min} to ${max}, not '${v}'.`,
      ja: `'${entry.key}' は ${min} から ${max} までの整数でなければなりません ('${v}' ではなく)。`,
    }),
  };
}

export function findGroup(keyfile: Keyfile, name: string): KeyfileGroup | undefined {
  return keyfile.groups.find((g) => g.name === name);
}

export function findEntry(group: KeyfileGroup | undefined, key: string): KeyfileEntry | undefined {
  return group?.entries.find((e) => e.key === key);
}

/**
 * By content: a `[connection]` group with a `type=` key. NetworkManager writes both in every
 * keyfile; no OpenVPN, WireGuard, swanctl or ipsec.conf file has them.
 */
export function looksLikeKeyfile(text: string): boolean {
  if (typeof text !== 'string') return false;
  let inConnection = false;
  let lines = 0;
  for (const raw of text.split('\n')) {
    if (++lines > 2000) return false;
    const content = raw.trim();
    if (content.startsWith('[')) inConnection = content === '[connection]';
    else if (inConnection && /^type[ \t]*=/.test(content)) return true;
  }
  return false;
}
