import type { LocalizedText } from '../diagnostics.js';

/**
 * The OpenVPN 2.6 line tokenizer (`parse_line()` in options.c), reproduced byte for byte.
 *
 * OpenVPN works on C strings, so all limits are in bytes: we tokenize UTF-8 bytes and only turn a
 * finished token back into a JS string. Everything here is pure and allocation-light so the reader
 * stays linear on hostile input. lexPlain() is the fast path for the common plain line, working on
 * already decoded text.
 */

/** `MAX_PARMS`: tokens per line, directive included. Extra tokens are silently dropped by OpenVPN. */
export const MAX_PARMS = 16;
/** `OPTION_PARM_SIZE`: a token may hold at most this many bytes. */
export const OPTION_PARM_SIZE = 256;
/** `OPTION_LINE_SIZE`: a config line read by fgets() must stay below this many bytes (LF included). */
export const OPTION_LINE_SIZE = 256;

export type TokenizeResult =
  | { ok: true; tokens: string[]; dropped: number }
  | { ok: false; code: string; column: number; message: LocalizedText };

export type LexErrorCode =
  | 'OVPN_BAD_BACKSLASH'
  | 'OVPN_NO_CLOSING_QUOTE'
  | 'OVPN_NO_CLOSING_SQUOTE'
  | 'OVPN_RESIDUAL_STATE'
  | 'OVPN_PARAM_TOO_LONG'
  | 'PROFILE_NOT_UTF8';

/** A token with the byte offset where it starts (its opening quote, if quoted). */
export interface LexedToken {
  text: string;
  offset: number;
}

export type LexResult =
  | { ok: true; tokens: LexedToken[]; dropped: number; droppedOffset: number }
  | { ok: false; code: LexErrorCode; offset: number; detail: string };

const BACKSLASH = 0x5c;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const HASH = 0x23;
const SEMICOLON = 0x3b;

const INITIAL = 0;
const UNQUOTED = 1;
const DQUOTED = 2;
const SQUOTED = 3;

/** options.c `space()`: C isspace() in the "C" locale, plus the string terminator. */
export function isLexSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Lossy = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8Encoder = new TextEncoder();

export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes UTF-8 strictly; `undefined` when the bytes are not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Decodes UTF-8 for display only (invalid sequences become U+FFFD). */
export function decodeUtf8Lossy(bytes: Uint8Array): string {
  return utf8Lossy.decode(bytes);
}

/**
 * Length in UTF-16 code units of the UTF-8 text in buf[from, to), so columns match JS string
 * indexes (and therefore editors). Invalid bytes count as one unit each.
 */
export function utf16Length(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const b = buf[i] ?? 0;
    if (b < 0x80 || b >= 0xf8) n += 1;
    else if (b >= 0xf0) n += 2;
    else if (b >= 0xc0) n += 1;
    // continuation bytes (0x80..0xbf) add nothing
  }
  return n;
}

interface ScanOutcome {
  /** Token byte ranges: [start offset (incl. quote), bytes]. */
  tokens: { offset: number; bytes: Uint8Array }[];
  count: number;
  error?: { code: Exclude<LexErrorCode, 'PROFILE_NOT_UTF8'>; offset: number; detail: Uint8Array };
  /** Index of the byte at which scanning stopped because the token limit was reached, else -1. */
  cappedAt: number;
}

/** scan()'s token buffer, shared because scan() never re-enters and copies every token out of it. */
const parmBuffer = new Uint8Array(OPTION_PARM_SIZE);

/**
 * The parse_line() state machine over buf[start, end) followed by an implicit NUL terminator (a
 * real NUL byte also terminates, as in C). With `collect` false it only counts tokens and never
 * fails on length, which is how we count what OpenVPN silently drops after the 16th token.
 */
function scan(buf: Uint8Array, start: number, end: number, maxTokens: number, collect: boolean): ScanOutcome {
  const tokens: ScanOutcome['tokens'] = [];
  const parm = parmBuffer;
  let count = 0;
  let parmLen = 0;
  let state = INITIAL;
  let backslash = false;
  let backslashAt = -1;
  let tokenStart = -1;

  for (let i = start; ; i++) {
    const c = i < end ? (buf[i] ?? 0) : 0;
    let out = 0;

    if (!backslash && c === BACKSLASH && state !== SQUOTED) {
      backslash = true;
      backslashAt = i;
    } else {
      let done = false;
      if (state === INITIAL) {
        if (!isLexSpace(c)) {
          // A comment starts wherever a token could start, even right after a backslash.
          if (c === HASH || c === SEMICOLON) break;
          tokenStart = backslash ? backslashAt : i;
          if (!backslash && c === DQUOTE) state = DQUOTED;
          else if (!backslash && c === SQUOTE) state = SQUOTED;
          else {
            out = c;
            state = UNQUOTED;
          }
        }
      } else if (state === UNQUOTED) {
        if (!backslash && isLexSpace(c)) done = true;
        else out = c;
      } else if (state === DQUOTED) {
        // A closing quote ends the token at once, even when more text follows: `"a"b` is a, b.
        if (!backslash && c === DQUOTE) done = true;
        else out = c;
      } else if (c === SQUOTE) {
        done = true;
      } else {
        out = c;
      }

      if (done) {
        if (collect) tokens.push({ offset: tokenStart, bytes: parm.slice(0, parmLen) });
        count++;
        state = INITIAL;
        parmLen = 0;
      }

      // Only \\, \" and an escaped blank are legal; OpenVPN rejects everything else.
      if (backslash && out !== 0 && !(out === BACKSLASH || out === DQUOTE || isLexSpace(out))) {
        return { tokens, count, cappedAt: -1, error: { code: 'OVPN_BAD_BACKSLASH', offset: backslashAt, detail: buf.slice(tokenStart, i + 1) } };
      }
      backslash = false;
    }

    if (out !== 0 && collect) {
      if (parmLen >= OPTION_PARM_SIZE) {
        return { tokens, count, cappedAt: -1, error: { code: 'OVPN_PARAM_TOO_LONG', offset: tokenStart, detail: parm.slice(0, parmLen) } };
      }
      parm[parmLen++] = out;
    }

    if (count >= maxTokens) return { tokens, count, cappedAt: i };
    if (c === 0) break;
  }

  if (state === DQUOTED) {
    return { tokens, count, cappedAt: -1, error: { code: 'OVPN_NO_CLOSING_QUOTE', offset: tokenStart, detail: buf.slice(tokenStart, end) } };
  }
  if (state === SQUOTED) {
    return { tokens, count, cappedAt: -1, error: { code: 'OVPN_NO_CLOSING_SQUOTE', offset: tokenStart, detail: buf.slice(tokenStart, end) } };
  }
  if (state !== INITIAL) {
    // Only reachable when a backslash escapes the terminating NUL (a lone trailing backslash).
    return { tokens, count, cappedAt: -1, error: { code: 'OVPN_RESIDUAL_STATE', offset: backslashAt, detail: buf.slice(tokenStart, end) } };
  }
  return { tokens, count, cappedAt: -1 };
}

/**
 * Tokenizes buf[start, end) exactly as parse_line() would (pass the trailing LF when OpenVPN sees
 * it: `foo\` + LF is the token "foo\n"). Offsets in the result are absolute indexes into buf.
 */
export function lexBytes(buf: Uint8Array, start: number, end: number): LexResult {
  const first = scan(buf, start, end, MAX_PARMS, true);
  if (first.error) {
    return { ok: false, code: first.error.code, offset: first.error.offset, detail: decodeUtf8Lossy(first.error.detail) };
  }
  let dropped = 0;
  let droppedOffset = -1;
  if (first.cappedAt >= 0 && first.cappedAt < end && buf[first.cappedAt] !== 0) {
    // OpenVPN stops reading the line here; count what it ignores (errors there go unnoticed too).
    const from = first.cappedAt + 1;
    const rest = scan(buf, from, end, Number.MAX_SAFE_INTEGER, false);
    dropped = rest.count;
    if (dropped > 0) {
      droppedOffset = from;
      while (droppedOffset < end && isLexSpace(buf[droppedOffset] ?? 0)) droppedOffset++;
    }
  }
  const tokens: LexedToken[] = [];
  for (const t of first.tokens) {
    const text = decodeUtf8Strict(t.bytes);
    if (text === undefined) return { ok: false, code: 'PROFILE_NOT_UTF8', offset: t.offset, detail: decodeUtf8Lossy(t.bytes) };
    tokens.push({ text, offset: t.offset });
  }
  return { ok: true, tokens, dropped, droppedOffset };
}

/** lexPlain()'s result: like lexBytes(), but offsets are indexes into the string. */
export interface PlainLexResult {
  tokens: string[];
  offsets: number[];
  dropped: number;
  droppedOffset: number;
}

/** Bytes of the UTF-8 encoding of text[from, to), which must be well-formed UTF-16. */
function utf8Length(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    // A surrogate pair is 4 bytes, 2 per unit.
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return n;
}

/** A UTF-16 unit is at most 3 UTF-8 bytes, so a token this short can never be too long. */
const SURELY_SHORT_TOKEN = Math.floor(OPTION_PARM_SIZE / 3);

/**
 * The fast path of lexBytes() for the common line without quotes or backslashes. `text[from, to)`
 * must be the *decoded* form of the bytes lexBytes() would be given (so well-formed UTF-16). The
 * result is exactly lexBytes()'s, with string indexes for offsets; `undefined` means "not a plain
 * line, use lexBytes()": the part OpenVPN reads holds a quote, backslash or NUL, or a token of more
 * than OPTION_PARM_SIZE bytes.
 *
 * Why it is the same: every byte parse_line() treats specially is ASCII, and in UTF-8 an ASCII byte
 * is never part of a multi-byte character, so the decoded text has the same specials at the same
 * places. Without quotes, backslashes and NUL the state machine is only: skip blanks; a token
 * starting with # or ; ends the line; any other token runs to the next blank (a blank at the end
 * of the 16th token is where scan() caps, and the dropped tokens are the same words after it).
 * Text cut at ASCII bytes out of valid UTF-8 is valid UTF-8, so PROFILE_NOT_UTF8 cannot happen.
 */
export function lexPlain(text: string, from: number, to: number): PlainLexResult | undefined {
  const tokens: string[] = [];
  const offsets: number[] = [];
  let dropped = 0;
  let droppedOffset = -1;
  let i = from;
  while (i < to) {
    let c = text.charCodeAt(i);
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) {
      i++;
      continue;
    }
    if (c === HASH || c === SEMICOLON) break;
    const start = i;
    for (;;) {
      if (c === DQUOTE || c === SQUOTE || c === BACKSLASH || c === 0) return undefined;
      if (++i >= to) break;
      c = text.charCodeAt(i);
      if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) break;
    }
    if (tokens.length < MAX_PARMS) {
      if (i - start > SURELY_SHORT_TOKEN && utf8Length(text, start, i) > OPTION_PARM_SIZE) return undefined;
      tokens.push(text.slice(start, i));
      offsets.push(start);
    } else {
      if (dropped === 0) droppedOffset = start;
      dropped++;
    }
  }
  return { tokens, offsets, dropped, droppedOffset };
}

/** Where a problem is, in both languages. */
export function describeWhere(column: number, line?: number): LocalizedText {
  return line === undefined
    ? { en: `column ${column}`, ja: `${column} 文字目` }
    : { en: `line ${line}, column ${column}`, ja: `${line} 行目 ${column} 文字目` };
}

/** Messages for tokenizer errors: what is wrong, where, and how to fix it. */
export function lexErrorMessage(code: LexErrorCode, column: number, line?: number): LocalizedText {
  const w = describeWhere(column, line);
  switch (code) {
    case 'OVPN_BAD_BACKSLASH':
      return {
        en: `Bad backslash ('\\') usage at ${w.en}: OpenVPN treats a backslash as a shell-style escape, and it may only come before another backslash, a double quote or a space. Use \\\\ or single quotes for Windows paths, e.g. "c:\\\\OpenVPN\\\\ta.key" or 'c:\\OpenVPN\\ta.key'.`,
        ja: `${w.ja}のバックスラッシュ（\\）の使い方が正しくありません。OpenVPN はバックスラッシュをシェルと同じエスケープ文字として扱い、その後ろに置けるのはバックスラッシュ、二重引用符、空白だけです。Windows のパスは \\\\ と重ねて書くか単一引用符で囲んでください（例: "c:\\\\OpenVPN\\\\ta.key" または 'c:\\OpenVPN\\ta.key'）。`,
      };
    case 'OVPN_NO_CLOSING_QUOTE':
      return {
        en: `No closing quotation (") for the double quote at ${w.en}. Add the missing " before the end of the line.`,
        ja: `${w.ja}の二重引用符（"）が閉じられていません。行末までに閉じる " を追加してください。`,
      };
    case 'OVPN_NO_CLOSING_SQUOTE':
      return {
        en: `No closing single quotation (') for the single quote at ${w.en}. Add the missing ' before the end of the line (a single-quoted value cannot itself contain ').`,
        ja: `${w.ja}の単一引用符（'）が閉じられていません。行末までに閉じる ' を追加してください（単一引用符の中に ' は書けません）。`,
      };
    case 'OVPN_RESIDUAL_STATE':
      return {
        en: `The line ends with a lone backslash at ${w.en}, so OpenVPN cannot finish reading it (residual parse state). Remove the backslash, or write \\\\ for a literal backslash.`,
        ja: `${w.ja}で行が単独のバックスラッシュで終わっているため、OpenVPN はこの行を読み終えられません。バックスラッシュを削除するか、文字としてのバックスラッシュは \\\\ と書いてください。`,
      };
    case 'OVPN_PARAM_TOO_LONG':
      return {
        en: `The parameter at ${w.en} is too long (${OPTION_PARM_SIZE} bytes max). Shorten it; put certificates and keys in an inline block such as <ca>…</ca> instead of on one line.`,
        ja: `${w.ja}のパラメータが長すぎます（最大 ${OPTION_PARM_SIZE} バイト）。短くしてください。証明書や鍵は 1 行に書かず、<ca>…</ca> のようなインラインブロックに入れてください。`,
      };
    case 'PROFILE_NOT_UTF8':
      return {
        en: `The text at ${w.en} is not valid UTF-8. Save the profile as UTF-8 in a text editor and import it again.`,
        ja: `${w.ja}の文字列が正しい UTF-8 ではありません。テキストエディタで UTF-8 として保存し、もう一度インポートしてください。`,
      };
  }
}

/**
 * Tokenizes one line as OpenVPN's parse_line() sees it (include the trailing LF if the line has
 * one; it matters after a backslash). At most 16 tokens are returned; `dropped` counts the rest.
 */
export function tokenizeLine(line: string): TokenizeResult {
  const bytes = encodeUtf8(line);
  const result = lexBytes(bytes, 0, bytes.length);
  if (!result.ok) {
    const column = utf16Length(bytes, 0, result.offset) + 1;
    return { ok: false, code: result.code, column, message: lexErrorMessage(result.code, column) };
  }
  return { ok: true, tokens: result.tokens.map((t) => t.text), dropped: result.dropped };
}

/** Bytes that end or change a bare token: C isspace(), both quotes and the backslash. */
const NEEDS_QUOTES = /[\t\n\v\f\r "'\\]/;

/**
 * Canonical quoting of one argument: bare when the tokenizer would read it back unchanged,
 * otherwise double-quoted with only \\ and \" escaped (blanks are literal inside quotes).
 * Newlines, CRs and NULs cannot be represented on an OpenVPN config line at all.
 */
export function quoteArg(arg: string): string {
  if (arg !== '' && !NEEDS_QUOTES.test(arg) && !arg.startsWith('#') && !arg.startsWith(';')) return arg;
  return `"${arg.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}
