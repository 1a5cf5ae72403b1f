/**
 * A reader for strongSwan's settings syntax (swanctl.conf, strongswan.conf): `name { … }`
 * sections, `key = value` lines, `#` comments, double-quoted values (which may span lines) and
 * `include`. Sections of the same name in the same parent are merged, as strongSwan merges them; a
 * key set twice in one section is refused instead of silently taking the last value, so what the
 * user reads is what is imported.
 *
 * `include` names a file: it is read only from the companion files given with the profile (by
 * basename, as OpenVPN's inliner does), never from a path. Globs are refused.
 */
import { profileError, type ProfileError } from '../diagnostics.js';
import { basenameOf, type ProfileFileSource } from '../openvpn/inliner.js';

/** Where an entry was written: the file (null = the profile itself), 1-based line and column. */
export interface SettingsPlace {
  file: string | null;
  line: number;
  column: number;
}

export interface SettingsValue {
  kind: 'value';
  key: string;
  value: string;
  at: SettingsPlace;
  /** The line as written, for error messages. */
  source: string;
}

export interface SettingsSection {
  kind: 'section';
  name: string;
  at: SettingsPlace;
  source: string;
  /** Subsections and values in the order written (merged sections append to the first). */
  entries: Array<SettingsSection | SettingsValue>;
}

export type SettingsRead =
  | { ok: true; root: SettingsSection; includedFiles: string[]; includeErrors: ProfileError[] }
  | { ok: false; errors: ProfileError[] };

const MAX_DEPTH = 12;
const MAX_INCLUDE_DEPTH = 4;
/** strongSwan names and keys cannot hold `. , : { } = " #` or blanks. */
const NAME_CHAR = /[^\s{}=#":.,]/;

function placeText(at: SettingsPlace): { en: string; ja: string } {
  return at.file === null ? { en: `Line ${at.line}`, ja: `${at.line} 行目` } : { en: `${at.file}, line ${at.line}`, ja: `${at.file} の ${at.line} 行目` };
}

export function settingsError(code: string, at: SettingsPlace, text: string, en: string, ja: string): ProfileError {
  const p = placeText(at);
  // Errors inside an included file point at the line of the profile that included it.
  return profileError(code, { line: at.file === null ? at.line : 0, column: at.file === null ? at.column : 1 }, text, { en: `${p.en}: ${en}`, ja: `${p.ja}: ${ja}` });
}

class Failure {
  constructor(readonly error: ProfileError) {}
}

interface Source {
  text: string;
  file: string | null;
  pos: number;
  line: number;
  lineStart: number;
}

function lineText(s: Source, start: number): string {
  const end = s.text.indexOf('\n', start);
  return s.text.slice(start, end < 0 ? s.text.length : end).trim();
}

function here(s: Source): SettingsPlace {
  return { file: s.file, line: s.line, column: s.pos - s.lineStart + 1 };
}

function advance(s: Source): string {
  const c = s.text[s.pos] ?? '';
  s.pos++;
  if (c === '\n') {
    s.line++;
    s.lineStart = s.pos;
  }
  return c;
}

/** Skips blanks, newlines and comments. */
function skipSpace(s: Source): void {
  while (s.pos < s.text.length) {
    const c = s.text[s.pos];
    if (c === '#') {
      while (s.pos < s.text.length && s.text[s.pos] !== '\n') s.pos++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      advance(s);
    } else return;
  }
}

function skipBlanks(s: Source): void {
  while (s.text[s.pos] === ' ' || s.text[s.pos] === '\t') s.pos++;
}

/** After a value: only blanks and a comment may follow on the line. */
function endOfLine(s: Source, what: string): void {
  skipBlanks(s);
  const c = s.text[s.pos];
  if (c === undefined || c === '\n' || c === '\r' || c === '#') return;
  const at = here(s);
  throw new Failure(settingsError('IKEV2_SYNTAX', at, lineText(s, s.lineStart),
    `unexpected '${c}' after ${what}. Put each setting on its own line, and quote a value that contains '{', '}', '#' or '"'.`,
    `${what} の後に予期しない '${c}' があります。設定は 1 行に 1 つずつ書き、'{'、'}'、'#'、'"' を含む値は引用符で囲んでください。`));
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

function quoted(s: Source): string {
  const start = here(s);
  const startLine = s.lineStart;
  advance(s);
  let out = '';
  while (s.pos < s.text.length) {
    const c = advance(s);
    if (c === '"') return out;
    if (c === '\\') {
      const next = advance(s);
      out += ESCAPES[next] ?? `\\${next}`;
    } else out += c;
  }
  throw new Failure(settingsError('IKEV2_UNCLOSED_QUOTE', start, lineText(s, startLine),
    'this quoted value is never closed. Add the closing \'"\'.',
    'この引用符で囲まれた値が閉じられていません。閉じる \'"\' を追加してください。'));
}

function unquoted(s: Source): string {
  const start = s.pos;
  while (s.pos < s.text.length && s.text[s.pos] !== '\n' && s.text[s.pos] !== '#') {
    const c = s.text[s.pos];
    if (c === '{' || c === '}' || c === '"') {
      const at = here(s);
      throw new Failure(settingsError('IKEV2_SYNTAX', at, lineText(s, s.lineStart),
        `'${c}' inside an unquoted value. Quote the value, or put '${c}' on its own line.`,
        `引用符で囲まれていない値の中に '${c}' があります。値を引用符で囲むか、'${c}' を別の行に書いてください。`));
    }
    s.pos++;
  }
  return s.text.slice(start, s.pos).trim();
}

function readName(s: Source): string {
  const start = s.pos;
  while (s.pos < s.text.length && NAME_CHAR.test(s.text[s.pos] ?? '')) s.pos++;
  return s.text.slice(start, s.pos);
}

interface Context {
  files: ProfileFileSource | undefined;
  included: string[];
  includeDepth: number;
  /** Includes that could not be read: reported, but the rest is still read (to name the file's kind). */
  includeErrors: ProfileError[];
}

function addEntry(section: SettingsSection, entry: SettingsSection | SettingsValue, s: Source): void {
  if (entry.kind === 'section') {
    const existing = section.entries.find((e): e is SettingsSection => e.kind === 'section' && e.name === entry.name);
    if (existing) {
      for (const e of entry.entries) addEntry(existing, e, s);
      return;
    }
  } else {
    const existing = section.entries.find((e): e is SettingsValue => e.kind === 'value' && e.key === entry.key);
    if (existing) {
      const first = placeText(existing.at);
      throw new Failure(settingsError('IKEV2_DUPLICATE_KEY', entry.at, entry.source,
        `'${entry.key}' is set a second time in '${section.name}' (first at ${first.en.toLowerCase()}). Keep only the one you mean.`,
        `'${entry.key}' が '${section.name}' の中で 2 回設定されています (最初は ${first.ja})。意図した方だけを残してください。`));
    }
  }
  section.entries.push(entry);
}

function include(s: Source, at: SettingsPlace, into: SettingsSection, ctx: Context): void {
  skipBlanks(s);
  const source = lineText(s, s.lineStart);
  const path = s.text[s.pos] === '"' ? quoted(s) : unquoted(s);
  endOfLine(s, 'include');
  if (path === '') {
    throw new Failure(settingsError('IKEV2_INCLUDE_EMPTY', at, source, "'include' names no file.", "'include' にファイル名がありません。"));
  }
  if (/[*?[]/.test(path)) {
    return void ctx.includeErrors.push(settingsError('IKEV2_INCLUDE_GLOB', at, source,
      `'include ${path}' names files by a pattern, which Tsunagu cannot import: it reads only the files given with the profile. Copy the included settings into this file.`,
      `'include ${path}' はパターンでファイルを指定しているため、インポートできません (Tsunagu はプロファイルと一緒に渡されたファイルだけを読みます)。取り込まれる設定をこのファイルにコピーしてください。`));
  }
  const name = basenameOf(path);
  const bytes = ctx.files?.read(name) ?? null;
  if (bytes === null) {
    return void ctx.includeErrors.push(settingsError('IKEV2_FILE_MISSING', at, source,
      `'include' needs the file '${name}', which was not given with the profile. Put it next to the profile (or in the same .zip) and import again.`,
      `'include' にはファイル '${name}' が必要ですが、プロファイルと一緒に渡されていません。プロファイルと同じ場所 (または同じ .zip) に置いて、もう一度インポートしてください。`));
  }
  if (ctx.includeDepth >= MAX_INCLUDE_DEPTH) {
    throw new Failure(settingsError('IKEV2_INCLUDE_DEPTH', at, source, `files include each other more than ${MAX_INCLUDE_DEPTH} levels deep.`, `ファイルの include が ${MAX_INCLUDE_DEPTH} 段階を超えています。`));
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Failure(settingsError('IKEV2_FILE_BINARY', at, source, `'${name}' is not a text file.`, `'${name}' はテキストファイルではありません。`));
  }
  ctx.included.push(name);
  const sub: Source = { text: text.replace(/^\uFEFF/, ''), file: name, pos: 0, line: 1, lineStart: 0 };
  const inner: Context = { ...ctx, includeDepth: ctx.includeDepth + 1 };
  body(sub, into, 0, inner, true);
}

/** Reads entries into `section` until its closing brace (or the end, at the top level). */
function body(s: Source, section: SettingsSection, depth: number, ctx: Context, topLevel: boolean): void {
  for (;;) {
    skipSpace(s);
    if (s.pos >= s.text.length) {
      if (topLevel) return;
      throw new Failure(settingsError('IKEV2_UNCLOSED_SECTION', section.at, section.source,
        `the section '${section.name}' is never closed. Add the closing '}'.`,
        `セクション '${section.name}' が閉じられていません。閉じる '}' を追加してください。`));
    }
    const at = here(s);
    const lineStart = s.lineStart;
    if (s.text[s.pos] === '}') {
      if (topLevel) {
        throw new Failure(settingsError('IKEV2_UNEXPECTED_BRACE', at, lineText(s, lineStart), "this '}' closes no section.", "この '}' に対応するセクションがありません。"));
      }
      advance(s);
      return;
    }
    const name = readName(s);
    if (name === '') {
      throw new Failure(settingsError('IKEV2_SYNTAX', at, lineText(s, lineStart),
        `expected a setting name or a section, found '${s.text[s.pos] ?? ''}'.`,
        `設定名またはセクションが必要ですが、'${s.text[s.pos] ?? ''}' があります。`));
    }
    skipBlanks(s);
    const next = s.text[s.pos];
    if (name === 'include' && next !== '=' && next !== '{') {
      include(s, at, section, ctx);
      continue;
    }
    // A section's '{' may follow on a later line; a value's '=' must be on the same line.
    if (next === '\n' || next === '\r' || next === '#') {
      skipSpace(s);
      if (s.text[s.pos] !== '{') {
        throw new Failure(settingsError('IKEV2_SYNTAX', at, lineText(s, lineStart),
          `'${name}' is neither a setting ('${name} = value') nor a section ('${name} { … }').`,
          `'${name}' は設定 ('${name} = 値') でもセクション ('${name} { … }') でもありません。`));
      }
    }
    const c = s.text[s.pos];
    if (c === '{') {
      if (depth + 1 > MAX_DEPTH) {
        throw new Failure(settingsError('IKEV2_TOO_DEEP', at, lineText(s, lineStart), `sections are nested more than ${MAX_DEPTH} levels deep.`, `セクションの入れ子が ${MAX_DEPTH} 段階を超えています。`));
      }
      advance(s);
      const child: SettingsSection = { kind: 'section', name, at, source: lineText(s, lineStart), entries: [] };
      body(s, child, depth + 1, ctx, false);
      addEntry(section, child, s);
    } else if (c === '=') {
      s.pos++;
      skipBlanks(s);
      const isQuoted = s.text[s.pos] === '"';
      const value = isQuoted ? quoted(s) : unquoted(s);
      // A closing quote ends the value unambiguously, so a '}' may follow on the same line.
      skipBlanks(s);
      if (!(isQuoted && s.text[s.pos] === '}')) endOfLine(s, `the value of '${name}'`);
      addEntry(section, { kind: 'value', key: name, value, at, source: lineText(s, lineStart) }, s);
    } else if (c === ':') {
      throw new Failure(settingsError('IKEV2_SECTION_TEMPLATE', at, lineText(s, lineStart),
        `'${name} : …' bases a section on another one (a template), which Tsunagu does not import. Write the settings out in the section itself.`,
        `'${name} : …' は別のセクションをもとにしたセクション (テンプレート) で、Tsunagu はインポートしません。設定をセクション内に直接書いてください。`));
    } else {
      throw new Failure(settingsError('IKEV2_SYNTAX', at, lineText(s, lineStart),
        `expected '=' or '{' after '${name}'.`,
        `'${name}' の後に '=' または '{' が必要です。`));
    }
  }
}

/** Reads settings text. Never throws. */
export function readSettings(text: string, files?: ProfileFileSource): SettingsRead {
  const s: Source = { text: text.replace(/^\uFEFF/, ''), file: null, pos: 0, line: 1, lineStart: 0 };
  const root: SettingsSection = { kind: 'section', name: '', at: { file: null, line: 0, column: 1 }, source: '', entries: [] };
  const ctx: Context = { files, included: [], includeDepth: 0, includeErrors: [] };
  try {
    body(s, root, 0, ctx, true);
  } catch (e) {
    if (e instanceof Failure) return { ok: false, errors: [e.error] };
    throw e;
  }
  return { ok: true, root, includedFiles: ctx.included, includeErrors: ctx.includeErrors };
}

export function subsection(section: SettingsSection, name: string): SettingsSection | undefined {
  return section.entries.find((e): e is SettingsSection => e.kind === 'section' && e.name === name);
}

export function valueOf(section: SettingsSection, key: string): SettingsValue | undefined {
  return section.entries.find((e): e is SettingsValue => e.kind === 'value' && e.key === key);
}
