import { countedTexts } from '../../i18n/counted.js';
import { MAX_REPORTED_ERRORS, profileError, type LocalizedText, type ProfileError } from '../diagnostics.js';
import { profileEndingsText } from '../kinds.js';
import {
  OPTION_LINE_SIZE,
  MAX_PARMS,
  decodeUtf8Lossy,
  decodeUtf8Strict,
  describeWhere,
  encodeUtf8,
  isLexSpace,
  lexBytes,
  lexErrorMessage,
  lexPlain,
  utf16Length,
  type LexErrorCode,
} from './lexer.js';
import { specOf } from './directives.js';

/**
 * Reads an OpenVPN 2.6 config the way `read_config_file()` does: fgets() lines, parse_line()
 * tokens, inline `<tag>` blocks, `<connection>` mini-configs, plus the Access Server
 * `# OVPN_ACCESS_SERVER_*` comments that openvpn3 and the GUIs read.
 *
 * Unlike OpenVPN we do not stop at the first fatal problem: every line is checked so the user sees
 * everything at once, but a line that failed never yields a directive.
 *
 * Speed: valid UTF-8 input is decoded once, and a plain line (no quote, backslash or NUL) is
 * tokenized straight from that text by lexPlain(); with invalid UTF-8 each line is decoded on its
 * own. Any other line, and every line in readOpenVpnConfigExact(), goes through the byte-exact
 * lexBytes(). The results are identical (see the tests comparing the two readers).
 */

export interface RawDirective {
  /** Directive after `--` stripping (only if the token is at least 3 chars) and `setenv opt` unwrapping. */
  name: string;
  /** Remaining tokens (for an inline block: []). */
  args: string[];
  /** 1-based absolute line in the original file. */
  line: number;
  /** 1-based column (UTF-16 units) of the directive token (for `setenv opt X`, of X). */
  column: number;
  /** Last line used (the close-tag line for inline blocks). */
  endLine: number;
  /** Original line text, without its line break (for messages). */
  source: string;
  /** True when written as `setenv opt <name> ...`. */
  setenvOpt: boolean;
  /** Body of `<name>...</name>`: each line's trailing CR removed, joined with LF, ending in LF when non-empty. */
  inline?: string;
  /** For `<connection>` only: the body read as a mini-config (absolute line numbers). */
  block?: RawDirective[];
}

export interface MetadataEntry {
  key: string;
  value: string;
  line: number;
}

export interface MetadataBlock {
  tag: string;
  lines: string[];
  line: number;
}

export interface OpenVpnReadResult {
  directives: RawDirective[];
  metadata: { values: MetadataEntry[]; blocks: MetadataBlock[] };
  /** At most MAX_REPORTED_ERRORS, in line order. */
  errors: ProfileError[];
  warnings: ProfileError[];
  /** The line where reading stopped because of too many problems or lines; 0 when read to the end. */
  stoppedAt: number;
  /**
   * Directives on lines whose values are not UTF-8: openvpn reads them (it reads bytes), Tsunagu
   * cannot pass them on unchanged; each has its own error, and nothing should be reported missing.
   */
  unreadable: string[];
}

const LF = 0x0a;
const CR = 0x0d;
/** read_inline_file() reads body lines with fgets() into 256 bytes: chunks of at most 255. */
const INLINE_CHUNK = OPTION_LINE_SIZE - 1;
/** read_config_string() (used for <connection> bodies) keeps at most 255 bytes of a line. */
const STRING_LINE_MAX = OPTION_LINE_SIZE - 1;
/** Inline blocks inside a string config get an LF appended only when the line is shorter than this. */
const STRING_INLINE_LINE_MAX = OPTION_LINE_SIZE - 2;
const META_PREFIX = '# OVPN_ACCESS_SERVER_';
const MAX_REPORTED = 500;
const MAX_SOURCE_BYTES = 4096;
/**
 * Lines read outside inline bodies before giving up: real profiles have a few hundred at most (a
 * 1 MB profile of route lines, the benchmark's worst case, about 16,000),
 * and a multi-megabyte junk file must not hold up everyone who shares the helper.
 */
export const MAX_CONFIG_LINES = 50_000;

/** C isspace() as used by read_inline_file() to skip indentation before a close tag (NUL is not a space here). */
function isCSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

class Diagnostics {
  readonly errors: ProfileError[] = [];
  readonly warnings: ProfileError[] = [];
  private hiddenWarnings = 0;
  private lastLine = 0;
  private lines = 0;
  /** See OpenVpnReadResult.stoppedAt. */
  stoppedAt = 0;

  /** Takes a thunk so that nothing is built for problems that will not be shown. */
  error(line: number, make: () => ProfileError): void {
    if (this.stoppedAt > 0) return;
    this.lastLine = Math.max(this.lastLine, line);
    // One past the cap tells the caller there is more; reading stops there (the profile is refused anyway).
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push(make());
    else this.stoppedAt = Math.max(line, 1);
  }

  warning(make: () => ProfileError): void {
    if (this.warnings.length < MAX_REPORTED) this.warnings.push(make());
    else this.hiddenWarnings++;
  }

  /** Counts a config line; false once there are too many to be a profile. */
  line(line: number): boolean {
    if (this.stoppedAt > 0) return false;
    if (++this.lines <= MAX_CONFIG_LINES) return true;
    this.errors.push(
      profileError('OVPN_TOO_MANY_LINES', { line }, '', {
        en: `The profile has more than ${MAX_CONFIG_LINES} lines of settings, so reading stopped at line ${line}. This does not look like an OpenVPN profile; check that you chose the right file.`,
        ja: `プロファイルの設定行が ${MAX_CONFIG_LINES} 行を超えているため、${line} 行目で読み込みを止めました。OpenVPN のプロファイルではないようです。正しいファイルを選んだか確認してください。`,
      }),
    );
    this.stoppedAt = line;
    return false;
  }

  get stopped(): boolean {
    return this.stoppedAt > 0;
  }

  finish(): void {
    if (this.hiddenWarnings > 0) this.warnings.push(tooMany('OVPN_TOO_MANY_WARNINGS', this.hiddenWarnings, this.lastLine, false));
  }
}

function tooMany(code: string, n: number, line: number, errors: boolean): ProfileError {
  const en = errors ? 'errors' : 'warnings';
  const ja = errors ? 'エラー' : '警告';
  return profileError(code, { line }, `${n} more`, {
    en: `${n} more ${en} were found but are not listed. Fix the ones above first, and check that this file really is an OpenVPN profile.`,
    ja: `ほかに ${n} 件の${ja}がありますが、表示を省略しました。まず上の問題を直し、このファイルが本当に OpenVPN のプロファイルか確認してください。`,
  });
}

/** A byte position that knows which physical line it is on. */
interface Cursor {
  pos: number;
  line: number;
  lineStart: number;
}

/**
 * Finds the next given byte (`end` if none before it); remembers the last answer so that a sweep
 * over many lines, or chunked reads of a huge line, stays linear and allocation-free.
 */
class ByteFinder {
  private from = 0;
  private at = -1;
  constructor(
    private readonly buf: Uint8Array,
    private readonly byte: number,
    private readonly end: number,
  ) {}

  next(pos: number): number {
    if (this.at < 0 || pos < this.from || pos > this.at) {
      const i = this.buf.indexOf(this.byte, pos);
      this.at = i < 0 || i >= this.end ? this.end : i;
      this.from = pos;
    }
    return this.at;
  }
}

/**
 * Where each physical line starts in the decoded text. An LF byte is an LF character in UTF-8, so
 * line n starts after the (n-1)th '\n' of the text. Lines are asked for in increasing order, so
 * walking forward from the last answer keeps the whole read linear.
 */
class LineIndex {
  private line = 1;
  private at = 0;
  private prevAt = 0;
  constructor(private readonly text: string) {}

  startOf(line: number): number {
    if (line === this.line - 1) return this.prevAt;
    if (line < this.line) {
      // Not reached by the reader (it never goes back more than one line); kept for safety.
      this.line = 1;
      this.at = 0;
    }
    while (this.line < line) {
      const lf = this.text.indexOf('\n', this.at);
      this.prevAt = this.at;
      this.at = lf < 0 ? this.text.length : lf + 1;
      this.line++;
    }
    return this.at;
  }
}

interface Reader {
  buf: Uint8Array;
  end: number;
  diag: Diagnostics;
  lf: ByteFinder;
  nul: ByteFinder;
  /** False for the byte-exact reference reader, which decodes nothing up front. */
  fast: boolean;
  /** The whole input decoded, when it is valid UTF-8 (the usual case); else lines are decoded one by one. */
  text: string | undefined;
  lines: LineIndex | undefined;
  unreadable: string[];
}

/** Decoded text of some bytes: text[from, to). */
interface TextSpan {
  text: string;
  from: number;
  to: number;
}

/**
 * The decoded text of buf[from, to), or undefined when those bytes are not valid UTF-8 (or their
 * place in the decoded text is not known). `from` must be where physical line `line` starts, or
 * right after the BOM (`bom`); `to` must be the line's end, before or after its LF.
 */
function lineText(r: Reader, line: number, from: number, to: number, bom: boolean): TextSpan | undefined {
  if (!r.fast) return undefined;
  if (r.text === undefined || r.lines === undefined) {
    const text = decodeUtf8Strict(r.buf.subarray(from, to));
    return text === undefined ? undefined : { text, from: 0, to: text.length };
  }
  // The 3-byte BOM is the single character U+FEFF (the decoder keeps it).
  const start = r.lines.startOf(line) + (bom ? 1 : 0);
  let stop: number;
  if (to === r.end) stop = r.text.length;
  else if (to > from && r.buf[to - 1] === LF) stop = r.lines.startOf(line + 1);
  else if (r.buf[to] === LF) stop = r.lines.startOf(line + 1) - 1;
  else return undefined;
  return { text: r.text, from: start, to: stop };
}

/** Like sourceText() for a line < MAX_SOURCE_BYTES, from its decoded text. */
function spanSource(span: TextSpan): string {
  let stop = span.to;
  if (stop > span.from && span.text.charCodeAt(stop - 1) === LF) stop--;
  if (stop > span.from && span.text.charCodeAt(stop - 1) === CR) stop--;
  return span.text.slice(span.from, stop);
}

function sourceText(r: Reader, from: number, to: number): string {
  let stop = Math.min(to, from + MAX_SOURCE_BYTES);
  if (stop > from && r.buf[stop - 1] === LF) stop--;
  if (stop > from && r.buf[stop - 1] === CR) stop--;
  return decodeUtf8Lossy(r.buf.subarray(from, stop));
}

function columnAt(r: Reader, origin: number, offset: number): number {
  return utf16Length(r.buf, origin, offset) + 1;
}

function indexOfByte(buf: Uint8Array, byte: number, from: number, to: number): number {
  const i = buf.subarray(from, to).indexOf(byte);
  return i < 0 ? -1 : from + i;
}

function startsWithBytes(buf: Uint8Array, at: number, limit: number, needle: Uint8Array): boolean {
  if (limit - at < needle.length) return false;
  for (let i = 0; i < needle.length; i++) if (buf[at + i] !== needle[i]) return false;
  return true;
}

/** A line's tokens (at most 16) and the 1-based column (UTF-16 units) where each starts. */
interface LineTokens {
  texts: string[];
  columns: number[];
}

/** What a tokenized line means, before any inline body is read. `at`: the index of its token. */
type LineMeaning =
  | { kind: 'inline'; tag: string; at: number }
  | { kind: 'directive'; name: string; args: string[]; at: number; setenvOpt: boolean }
  | { kind: 'setenv-opt-empty'; at: number };

function interpret(tokens: string[]): LineMeaning {
  const first = tokens[0] as string;
  // bypass_doubledash(): "--remote" == "remote", so config lines can mirror the command line.
  const name = first.length >= 3 && first.startsWith('--') ? first.slice(2) : first;
  // check_inline_file(): the only token on the line, shaped <...> (quoted or --prefixed is fine).
  if (tokens.length === 1 && name.length >= 2 && name.startsWith('<') && name.endsWith('>')) {
    return { kind: 'inline', tag: name.slice(1, -1), at: 0 };
  }
  // `setenv opt X` is X with "unknown option" downgraded to a warning; it still *is* X.
  if (name === 'setenv' && tokens[1] === 'opt') {
    const wrapped = tokens[2];
    if (wrapped === undefined) return { kind: 'setenv-opt-empty', at: 0 };
    return { kind: 'directive', name: wrapped, args: tokens.slice(3), at: 2, setenvOpt: true };
  }
  return { kind: 'directive', name, args: tokens.slice(1), at: 0, setenvOpt: false };
}

/**
 * What a lexed line means, handled the same at top level and inside <connection>: a directive is
 * appended to `out`, a bare `setenv opt` or a stray end tag is reported; an opening tag is
 * returned for the caller to read its block.
 */
function takeLine(
  r: Reader,
  lexed: { texts: string[]; columns: number[] },
  line: number,
  source: string,
  out: RawDirective[],
): (LineMeaning & { kind: 'inline' }) | null {
  const meaning = interpret(lexed.texts);
  const column = lexed.columns[meaning.at] as number;
  if (meaning.kind === 'setenv-opt-empty') {
    r.diag.error(line, () => setenvOptEmpty(line, column, source));
    return null;
  }
  if (meaning.kind === 'directive') {
    out.push({ name: meaning.name, args: meaning.args, line, column, endLine: line, source, setenvOpt: meaning.setenvOpt });
    return null;
  }
  if (meaning.tag.startsWith('/')) {
    r.diag.error(line, () => strayEndtag(line, column, meaning.tag.slice(1), source));
    return null;
  }
  return meaning;
}

/** Body lines verbatim, minus each line's trailing CR, joined with LF and ending in LF. */
function normalizeInline(text: string): string {
  if (text === '') return '';
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return `${lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).join('\n')}\n`;
}

/**
 * Checks an inline body for NUL bytes and invalid UTF-8, reporting each bad line. Returns the
 * decoded text, or undefined when the body is unusable.
 */
function decodeBody(r: Reader, start: number, end: number, firstLine: number, tag: string): string | undefined {
  const body = r.buf.subarray(start, end);
  const text = body.indexOf(0) < 0 ? decodeUtf8Strict(body) : undefined;
  if (text !== undefined) return text;
  let line = firstLine;
  for (let pos = start; pos < end; line++) {
    let lf = indexOfByte(r.buf, LF, pos, end);
    if (lf < 0) lf = end;
    const nul = indexOfByte(r.buf, 0, pos, lf);
    if (nul >= 0) {
      r.diag.error(line, () => binaryError(line, columnAt(r, pos, nul), sourceText(r, pos, lf)));
    } else if (decodeUtf8Strict(r.buf.subarray(pos, lf)) === undefined) {
      r.diag.error(line, () =>
        profileError('PROFILE_NOT_UTF8', { line }, sourceText(r, pos, lf), {
          en: `Line ${line}, inside the <${tag}> block, is not valid UTF-8. Save the profile as UTF-8 in a text editor (or re-download it) and import it again.`,
          ja: `<${tag}> ブロック内の ${line} 行目が正しい UTF-8 ではありません。テキストエディタで UTF-8 として保存するか、もう一度ダウンロードしてからインポートしてください。`,
        }),
      );
    }
    pos = lf + 1;
  }
  return undefined;
}

/** The endings of profile files, for the messages (kinds.ts). */
const ENDINGS = profileEndingsText();

function binaryError(line: number, column: number, text: string): ProfileError {
  return profileError('PROFILE_BINARY', { line, column }, text || 'NUL byte', {
    en: `Line ${line} contains a NUL byte at column ${column}: this looks like a binary file, not a text profile. Choose the profile file your provider gave you (${ENDINGS.en}).`,
    ja: `${line} 行目 ${column} 文字目に NUL バイトがあります。テキストのプロファイルではなくバイナリファイルのようです。提供されたプロファイルのファイル (${ENDINGS.ja}) を選択してください。`,
  });
}

function lexError(r: Reader, line: number, origin: number, code: LexErrorCode, offset: number, text: string): void {
  const column = columnAt(r, origin, offset);
  const name = code === 'PROFILE_NOT_UTF8' ? /^[\s-]*([A-Za-z0-9-]+)/.exec(text)?.[1] : undefined;
  if (name === undefined) {
    r.diag.error(line, () => profileError(code, { line, column }, text, lexErrorMessage(code, column, line)));
    return;
  }
  r.unreadable.push(name);
  // OpenVPN reads bytes, so this is no problem for it: the value is, for Tsunagu, which must pass it on unchanged.
  const value = latin1Token(r.buf, offset);
  r.diag.error(line, () =>
    profileError(code, { line, column }, text, {
      en: `Line ${line}: the value '${value}' of '${name}' is in a legacy encoding (such as Latin-1), not UTF-8. OpenVPN would read it as raw bytes, but Tsunagu cannot pass it on unchanged${specOf(name)?.fileArg !== undefined ? ', and cannot find a file of that name to include' : ''}. Change it to plain text (for a file: rename the file and this line to match, and import them together).`,
      ja: `${line} 行目: '${name}' の値 '${value}' は UTF-8 ではなく古い文字コード (Latin-1 など) です。OpenVPN はバイト列のまま読みますが、Tsunagu はこれを変えずに渡すことができません${specOf(name)?.fileArg !== undefined ? '。また、その名前のファイルを取り込むこともできません' : ''}。普通の文字に書き換えてください (ファイルの場合は、ファイル名とこの行を合わせて変更し、一緒にインポートしてください)。`,
    }),
  );
}

/** The token at `offset`, each byte read as Latin-1 (what such a file most likely is). */
function latin1Token(buf: Uint8Array, offset: number): string {
  let end = offset;
  while (end < buf.length && end - offset < 120 && !isLexSpace(buf[end] ?? 0) && buf[end] !== 0x0a) end++;
  return String.fromCharCode(...buf.subarray(offset, end));
}

function tooManyParams(r: Reader, line: number, column: number, dropped: number, text: string): void {
  const w = describeWhere(column, line);
  r.diag.warning(() =>
    profileError('OVPN_TOO_MANY_PARAMS', { line, column }, text, countedTexts('extraParams', dropped, { en: { line, max: MAX_PARMS, where: w.en }, ja: { line, max: MAX_PARMS, where: w.ja } })),
  );
}

function setenvOptEmpty(line: number, column: number, text: string): ProfileError {
  return profileError('OVPN_SETENV_OPT_EMPTY', { line, column }, text, {
    en: `"setenv opt" on line ${line} is not followed by an option. Write the option after it (for example: setenv opt block-outside-dns) or delete the line.`,
    ja: `${line} 行目の "setenv opt" の後ろにオプションがありません。後ろにオプションを書く（例: setenv opt block-outside-dns）か、この行を削除してください。`,
  });
}

function endtagMissing(line: number, column: number, tag: string, text: string): ProfileError {
  return profileError('OVPN_ENDTAG_MISSING', { line, column }, text, {
    en: `Endtag </${tag}> missing: the <${tag}> block opened on line ${line} is never closed, so OpenVPN reads the rest of the file into it. Add a line </${tag}> right after the block's content.`,
    ja: `終了タグ </${tag}> がありません。${line} 行目で始まる <${tag}> ブロックが閉じられていないため、OpenVPN はファイルの残りをすべてその中身として読み込みます。ブロックの内容の直後に </${tag}> の行を追加してください。`,
  });
}

/**
 * A lone `</ca>` is shaped like an opening tag, so OpenVPN would start a block named "/ca" and fail
 * with "Endtag <//ca> missing" at the end of the file. We say what is really wrong instead, and
 * keep reading the following lines normally.
 */
function strayEndtag(line: number, column: number, tag: string, text: string): ProfileError {
  return profileError('OVPN_UNEXPECTED_ENDTAG', { line, column }, text, {
    en: `Line ${line} closes a <${tag}> block with </${tag}>, but no such block is open here (OpenVPN would report "Endtag <//${tag}> missing"). Delete this line, or add the opening <${tag}> line before the block's content.`,
    ja: `${line} 行目の </${tag}> で <${tag}> ブロックを閉じていますが、ここで開いている <${tag}> ブロックはありません（OpenVPN は "Endtag <//${tag}> missing" と報告します）。この行を削除するか、ブロックの内容の前に開始タグ <${tag}> の行を追加してください。`,
  });
}

function commentNotUtf8(line: number, text: string): ProfileError {
  return profileError('OVPN_COMMENT_NOT_UTF8', { line }, text, {
    en: `The comment on line ${line} is not valid UTF-8. OpenVPN ignores comments, but the text may display wrongly; save the profile as UTF-8 to fix it.`,
    ja: `${line} 行目のコメントが正しい UTF-8 ではありません。OpenVPN はコメントを無視しますが、文字化けして表示される場合があります。プロファイルを UTF-8 で保存し直してください。`,
  });
}

/**
 * Tokenizes buf[from, to) as parse_line() does and reports the line's problems; undefined when the
 * line is unusable. Columns count from `origin`. `span`, when given, is the same bytes decoded, so
 * the line is valid UTF-8 and lexPlain() may do the work.
 */
function lexLine(r: Reader, line: number, origin: number, from: number, to: number, span: TextSpan | undefined, source: string): LineTokens | undefined {
  if (span) {
    const plain = lexPlain(span.text, span.from, span.to);
    if (plain) {
      // String indexes are UTF-16 units, which is what columns count.
      const base = (origin === from ? 0 : utf16Length(r.buf, origin, from)) + 1 - span.from;
      const columns = plain.offsets;
      for (let i = 0; i < columns.length; i++) columns[i] = (columns[i] as number) + base;
      if (plain.dropped > 0) tooManyParams(r, line, plain.droppedOffset + base, plain.dropped, source);
      return { texts: plain.tokens, columns };
    }
  }
  const lexed = lexBytes(r.buf, from, to);
  if (!lexed.ok) {
    lexError(r, line, origin, lexed.code, lexed.offset, lexed.code === 'OVPN_PARAM_TOO_LONG' ? lexed.detail : source);
    return undefined;
  }
  if (lexed.dropped > 0) tooManyParams(r, line, columnAt(r, origin, lexed.droppedOffset), lexed.dropped, source);
  // Tokens are known to be valid UTF-8 here; anything else on the line was a comment.
  if (!span && decodeUtf8Strict(r.buf.subarray(from, to)) === undefined) r.diag.warning(() => commentNotUtf8(line, source));
  const texts: string[] = [];
  const columns: number[] = [];
  let column = 1;
  let at = origin;
  for (const t of lexed.tokens) {
    column += utf16Length(r.buf, at, t.offset);
    at = t.offset;
    texts.push(t.text);
    columns.push(column);
  }
  return { texts, columns };
}

interface InlineSpan {
  found: boolean;
  bodyStart: number;
  bodyEnd: number;
  closeLine: number;
}

/**
 * read_inline_file() on a FILE: fgets() hands it the body in pieces of at most 255 bytes, and
 * *each piece* (not each line) is checked for the close tag after skipping leading blanks. So the
 * tag may even be found in the middle of a long line; what follows that piece is then read as an
 * ordinary config line. The cursor is left right after the close-tag piece.
 */
function readInlineFromFile(r: Reader, cur: Cursor, closeTag: Uint8Array): InlineSpan {
  const bodyStart = cur.pos;
  while (cur.pos < r.end) {
    const lf = r.lf.next(cur.pos);
    const lineEnd = lf < r.end ? lf + 1 : r.end;
    const chunkStart = cur.pos;
    const chunkEnd = Math.min(lineEnd, chunkStart + INLINE_CHUNK);
    const chunkLine = cur.line;
    let p = chunkStart;
    while (p < chunkEnd && isCSpace(r.buf[p] ?? 0)) p++;
    const closes = startsWithBytes(r.buf, p, chunkEnd, closeTag);
    cur.pos = chunkEnd;
    if (chunkEnd === lineEnd && lf < r.end) {
      cur.line++;
      cur.lineStart = chunkEnd;
    }
    if (closes) return { found: true, bodyStart, bodyEnd: chunkStart, closeLine: chunkLine };
  }
  return { found: false, bodyStart, bodyEnd: r.end, closeLine: cur.line };
}

/**
 * read_inline_file() on a string (inside a <connection> body): whole lines, split at LF. OpenVPN
 * silently mangles lines of 255+ bytes there, so those are reported instead.
 */
function readInlineFromString(r: Reader, cur: Cursor, end: number, closeTag: Uint8Array, tag: string, report: boolean): InlineSpan & { bad: boolean } {
  const bodyStart = cur.pos;
  let bad = false;
  while (cur.pos < end) {
    const start = cur.pos;
    const lineNo = cur.line;
    const lf = Math.min(r.lf.next(start), end);
    cur.pos = lf < end ? lf + 1 : end;
    cur.line++;
    cur.lineStart = cur.pos;
    let p = start;
    while (p < lf && isCSpace(r.buf[p] ?? 0)) p++;
    if (startsWithBytes(r.buf, p, lf, closeTag)) return { found: true, bodyStart, bodyEnd: start, closeLine: lineNo, bad };
    if (lf - start > STRING_INLINE_LINE_MAX) {
      bad = true;
      if (report) {
        r.diag.error(lineNo, () =>
          profileError('OVPN_LINE_TOO_LONG', { line: lineNo }, sourceText(r, start, lf), {
            en: `Line ${lineNo} of the <${tag}> block inside <connection> is ${lf - start} bytes long; OpenVPN silently corrupts lines longer than ${STRING_INLINE_LINE_MAX} bytes there. Shorten the line or move the <${tag}> block out of <connection>.`,
            ja: `<connection> 内の <${tag}> ブロックの ${lineNo} 行目は ${lf - start} バイトあります。ここでは ${STRING_INLINE_LINE_MAX} バイトを超える行を OpenVPN が黙って壊してしまいます。行を短くするか、<${tag}> ブロックを <connection> の外に移してください。`,
          }),
        );
      }
    }
  }
  return { found: false, bodyStart, bodyEnd: end, closeLine: cur.line - 1, bad };
}

function inlineText(r: Reader, span: InlineSpan, firstLine: number, tag: string): string | undefined {
  const text = decodeBody(r, span.bodyStart, span.bodyEnd, firstLine, tag);
  return text === undefined ? undefined : normalizeInline(text);
}

/**
 * read_config_string() for a <connection> body: lines split at LF without the LF (so a trailing
 * backslash is a residual-state error here), no BOM, no metadata, nested inline blocks allowed.
 */
function readConnectionBody(r: Reader, start: number, end: number, firstLine: number, openLine: number): RawDirective[] {
  const out: RawDirective[] = [];
  const cur: Cursor = { pos: start, line: firstLine, lineStart: start };
  while (cur.pos < end) {
    const lineStart = cur.pos;
    const line = cur.line;
    if (!r.diag.line(line)) break;
    // The reader-wide finders, limited to the body (a finder bounded by `end` would still search
    // past it: buf.indexOf() cannot be told where to stop).
    const lf = Math.min(r.lf.next(lineStart), end);
    cur.pos = lf < end ? lf + 1 : end;
    cur.line++;
    cur.lineStart = cur.pos;

    const nul = r.nul.next(lineStart);
    if (nul < lf) {
      r.diag.error(line, () => binaryError(line, columnAt(r, lineStart, nul), sourceText(r, lineStart, lf)));
      continue;
    }
    if (lf - lineStart > STRING_LINE_MAX) {
      const source = sourceText(r, lineStart, lf);
      r.diag.error(line, () =>
        profileError('OVPN_LINE_TOO_LONG', { line }, source, {
          en: `Line ${line}, inside the <connection> block opened on line ${openLine}, is ${lf - lineStart} bytes long; OpenVPN silently cuts such lines after ${STRING_LINE_MAX} bytes. Shorten the line.`,
          ja: `${openLine} 行目で始まる <connection> ブロック内の ${line} 行目は ${lf - lineStart} バイトあります。OpenVPN はこのような行を ${STRING_LINE_MAX} バイトで黙って切り捨てます。行を短くしてください。`,
        }),
      );
      continue;
    }
    // Short and NUL-free from here on, so spanSource() equals sourceText().
    const span = lineText(r, line, lineStart, lf, false);
    const source = span ? spanSource(span) : sourceText(r, lineStart, lf);
    const lexed = lexLine(r, line, lineStart, lineStart, lf, span, source);
    if (!lexed || lexed.texts.length === 0) continue;

    const meaning = takeLine(r, lexed, line, source, out);
    if (!meaning) continue;
    const column = lexed.columns[meaning.at] as number;
    const closeTag = encodeUtf8(`</${meaning.tag}>`);
    if (meaning.tag === 'connection') {
      // Only the top level may hold <connection> blocks. Skip what OpenVPN would take as its body.
      readInlineFromString(r, cur, end, closeTag, meaning.tag, false);
      r.diag.error(line, () =>
        profileError('OVPN_NESTED_CONNECTION', { line, column }, source, {
          en: `<connection> blocks cannot be nested: line ${line} opens one inside the <connection> block that starts on line ${openLine}. Close the first block with </connection> before opening the next one.`,
          ja: `<connection> ブロックは入れ子にできません。${line} 行目で、${openLine} 行目から始まる <connection> ブロックの中に別のブロックを開いています。次のブロックを開く前に </connection> で最初のブロックを閉じてください。`,
        }),
      );
      continue;
    }
    const body = readInlineFromString(r, cur, end, closeTag, meaning.tag, true);
    if (!body.found) {
      r.diag.error(line, () => endtagMissing(line, column, meaning.tag, source));
      continue;
    }
    const inline = inlineText(r, body, line + 1, meaning.tag);
    if (inline === undefined || body.bad) continue;
    out.push({ name: meaning.tag, args: [], line, column, endLine: body.closeLine, source, setenvOpt: false, inline });
  }
  return out;
}

interface MetaState {
  values: MetadataEntry[];
  blocks: MetadataBlock[];
  open: MetadataBlock | undefined;
}

/**
 * Access Server metadata lives in comments, so OpenVPN 2 never sees it. Like openvpn3, a meta line
 * must begin exactly with "# " (hash, one space); multi-line values sit between
 * `# OVPN_ACCESS_SERVER_<TAG>_START` and `# OVPN_ACCESS_SERVER_<TAG>_STOP`.
 */
function readMetadata(meta: MetaState, raw: string, line: number): void {
  const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (meta.open) {
    if (!text.startsWith('# ')) return;
    const data = text.slice(2);
    if (data.trimEnd() === `OVPN_ACCESS_SERVER_${meta.open.tag}_STOP`) {
      meta.blocks.push(meta.open);
      meta.open = undefined;
    } else {
      meta.open.lines.push(data);
    }
    return;
  }
  if (!text.startsWith(META_PREFIX)) return;
  const rest = text.slice(META_PREFIX.length);
  const eq = rest.indexOf('=');
  if (eq >= 0) {
    meta.values.push({ key: rest.slice(0, eq), value: rest.slice(eq + 1), line });
    return;
  }
  const key = rest.trimEnd();
  if (key.length > '_START'.length && key.endsWith('_START')) {
    meta.open = { tag: key.slice(0, -'_START'.length), lines: [], line };
  } else {
    meta.values.push({ key: rest, value: '', line });
  }
}

function read(input: Uint8Array | string, fast: boolean): OpenVpnReadResult {
  const buf = typeof input === 'string' ? encodeUtf8(input) : input;
  const end = buf.length;
  // Decoding everything at once is much cheaper than line by line; lineText() then just slices.
  const text = fast ? decodeUtf8Strict(buf) : undefined;
  const r: Reader = {
    buf,
    end,
    diag: new Diagnostics(),
    lf: new ByteFinder(buf, LF, end),
    nul: new ByteFinder(buf, 0, end),
    fast,
    text,
    lines: text === undefined ? undefined : new LineIndex(text),
    unreadable: [],
  };
  const directives: RawDirective[] = [];
  const meta: MetaState = { values: [], blocks: [], open: undefined };
  const cur: Cursor = { pos: 0, line: 1, lineStart: 0 };

  while (cur.pos < end) {
    const start = cur.pos;
    const line = cur.line;
    if (!r.diag.line(line)) break;
    const atLineStart = start === cur.lineStart;
    const lf = r.lf.next(start);
    const physEnd = lf < end ? lf + 1 : end;
    // The UTF-8 BOM is skipped on the first line only (and still counts towards its length).
    const bom = start === 0 && end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
    const origin = bom ? 3 : cur.lineStart;
    const lexStart = bom ? 3 : start;

    cur.pos = physEnd;
    if (lf < end) {
      cur.line++;
      cur.lineStart = physEnd;
    }

    const nul = r.nul.next(start);
    if (nul < physEnd) {
      r.diag.error(line, () => binaryError(line, columnAt(r, origin, nul), sourceText(r, origin, physEnd)));
      continue;
    }
    // fgets() into 257 bytes: a read of 256 bytes means the line (with its LF) is too long.
    if (physEnd - start >= OPTION_LINE_SIZE) {
      const source = sourceText(r, origin, physEnd);
      r.diag.error(line, () =>
        profileError('OVPN_LINE_TOO_LONG', { line, column: columnAt(r, origin, lexStart) }, source, {
          en: `Maximum option line length (${OPTION_LINE_SIZE}) exceeded on line ${line}: it is ${physEnd - start} bytes long including the line break, and OpenVPN allows at most ${OPTION_LINE_SIZE - 2} bytes plus the line break. Shorten the line; certificates and keys belong in inline blocks such as <ca>…</ca>.`,
          ja: `${line} 行目がオプション行の最大長（${OPTION_LINE_SIZE}）を超えています（改行を含めて ${physEnd - start} バイト）。OpenVPN が受け付けるのは改行を除いて ${OPTION_LINE_SIZE - 2} バイトまでです。行を短くしてください。証明書や鍵は <ca>…</ca> のようなインラインブロックに入れてください。`,
        }),
      );
      continue;
    }
    // Short and NUL-free from here on, so spanSource() equals sourceText(). After a close tag in
    // the middle of a line (see readInlineFromFile) the rest of that line takes the byte path.
    const span = atLineStart ? lineText(r, line, lexStart, physEnd, bom) : undefined;
    const source = span ? spanSource(span) : sourceText(r, origin, physEnd);
    if (atLineStart && buf[lexStart] === 0x23) {
      const comment = span
        ? span.text.slice(span.from, lf < end ? span.to - 1 : span.to)
        : decodeUtf8Strict(buf.subarray(lexStart, lf < end ? lf : end));
      if (comment !== undefined) readMetadata(meta, comment, line);
    }

    const lexed = lexLine(r, line, origin, lexStart, physEnd, span, source);
    if (!lexed || lexed.texts.length === 0) continue;

    const meaning = takeLine(r, lexed, line, source, directives);
    if (!meaning) continue;
    const column = lexed.columns[meaning.at] as number;
    const body = readInlineFromFile(r, cur, encodeUtf8(`</${meaning.tag}>`));
    if (!body.found) {
      r.diag.error(line, () => endtagMissing(line, column, meaning.tag, source));
      // Still point at NUL bytes in what OpenVPN would have swallowed: it is probably binary.
      decodeBody(r, body.bodyStart, body.bodyEnd, line + 1, meaning.tag);
      continue;
    }
    const directive: RawDirective = { name: meaning.tag, args: [], line, column, endLine: body.closeLine, source, setenvOpt: false };
    if (meaning.tag === 'connection') {
      // The body is re-read as its own config; its lines report their own problems.
      directive.block = readConnectionBody(r, body.bodyStart, body.bodyEnd, line + 1, line);
      const bytes = buf.subarray(body.bodyStart, body.bodyEnd);
      directive.inline = normalizeInline(decodeUtf8Strict(bytes) ?? decodeUtf8Lossy(bytes));
    } else {
      const inline = inlineText(r, body, line + 1, meaning.tag);
      if (inline === undefined) continue;
      directive.inline = inline;
    }
    directives.push(directive);
  }

  if (meta.open) {
    const { tag, line: openLine } = meta.open;
    r.diag.warning(() =>
      profileError('OVPN_META_UNCLOSED', { line: openLine }, `${META_PREFIX}${tag}_START`, {
        en: `The Access Server metadata block OVPN_ACCESS_SERVER_${tag}_START on line ${openLine} has no matching OVPN_ACCESS_SERVER_${tag}_STOP line, so it is ignored. Add "# OVPN_ACCESS_SERVER_${tag}_STOP" after its last line.`,
        ja: `${openLine} 行目の Access Server メタデータブロック OVPN_ACCESS_SERVER_${tag}_START に対応する OVPN_ACCESS_SERVER_${tag}_STOP の行がないため、無視されます。最後の行の後に "# OVPN_ACCESS_SERVER_${tag}_STOP" を追加してください。`,
      }),
    );
  }
  r.diag.finish();
  return { directives, metadata: { values: meta.values, blocks: meta.blocks }, errors: r.diag.errors, warnings: r.diag.warnings, stoppedAt: r.diag.stoppedAt, unreadable: r.unreadable };
}

/** Reads an OpenVPN config (bytes or text). Never throws; problems come back as values. */
export function readOpenVpnConfig(input: Uint8Array | string): OpenVpnReadResult {
  return readSafely(input, true);
}

/**
 * The byte-exact reference: readOpenVpnConfig() without its decoded-text fast path (every line
 * goes through lexBytes()). Same results, several times slower; kept to cross-check the fast path.
 */
export function readOpenVpnConfigExact(input: Uint8Array | string): OpenVpnReadResult {
  return readSafely(input, false);
}

function readSafely(input: Uint8Array | string, fast: boolean): OpenVpnReadResult {
  try {
    return read(input, fast);
  } catch (e) {
    // Defensive only: the reader is written not to throw, but a profile must never crash the app.
    const message: LocalizedText = {
      en: 'This profile could not be read because of an internal error. Please report it together with the file.',
      ja: '内部エラーのため、このプロファイルを読み込めませんでした。ファイルを添えて報告してください。',
    };
    return {
      directives: [],
      metadata: { values: [], blocks: [] },
      errors: [profileError('OVPN_READ_FAILED', { line: 0 }, e instanceof Error ? e.message : String(e), message)],
      warnings: [],
      stoppedAt: 0,
      unreadable: [],
    };
  }
}
