/**
 * An independent second reader of OpenVPN 2.6 config text, used only to check what the canonical
 * writer produced: it shares no code with lexer.ts / reader.ts, so a bug there cannot hide here.
 * It follows options.c and buffer.c of 2.6 step by step (read_config_file, fgets, parse_line,
 * bypass_doubledash, check_inline_file, read_inline_file, in_src_get, read_config_string,
 * buf_parse, add_option's `setenv opt`), including the quiet parts: inside `<connection>` a line
 * of more than 255 bytes is split by buf_parse(), two bytes lost and the rest read as a new line.
 * It stops at the first thing openvpn would refuse; any problem means "not what was checked".
 */
import type { OpenVpnDirective } from './model.js';

/** A directive as openvpn itself would see it. */
export interface RereadDirective {
  name: string;
  args: string[];
  inline?: string;
  block?: RereadDirective[];
}

export type RereadResult =
  | { ok: true; directives: RereadDirective[] }
  | { ok: false; line: number; reason: string };

/** options.h OPTION_LINE_SIZE and OPTION_PARM_SIZE, common.h MAX_PARMS. */
const LINE_SIZE = 256;
const PARM_SIZE = 256;
const MAX_PARMS = 16;

const NL = 10;
const BSLASH = 92;
const DQ = 34;
const SQ = 39;

/** C isspace() in the "C" locale (openvpn never calls setlocale()). */
function cIsSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** options.c space(): isspace() or the terminating NUL. */
function parmSpace(c: number): boolean {
  return c === 0 || cIsSpace(c);
}

class Refusal {
  constructor(readonly reason: string) {}
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new Refusal('a value is not valid UTF-8 once openvpn has cut the line');
  }
}

/** A source of lines: fgets() on the top-level file, or buf_parse() on a string. */
interface LineSource {
  /** in_src_get(): the next piece as openvpn's `char line[size]` holds it, or null at the end. */
  get(size: number): Uint8Array | null;
}

/** fgets(line, size, fp): at most size-1 bytes, stopping after an LF. */
class FileSource implements LineSource {
  private pos = 0;
  /** Physical lines read so far, for messages. */
  line = 0;
  constructor(private readonly buf: Uint8Array) {}

  get(size: number): Uint8Array | null {
    if (this.pos >= this.buf.length) return null;
    const start = this.pos;
    const limit = Math.min(this.buf.length, start + size - 1);
    let end = start;
    while (end < limit) {
      const c = this.buf[end++];
      if (c === NL) break;
    }
    this.pos = end;
    if (end > start && this.buf[end - 1] === NL) this.line++;
    return this.buf.subarray(start, end);
  }
}

/**
 * buf_parse(buf, '\n', line, size): copies bytes up to the delimiter; when the line does not fit,
 * the byte that did not fit is consumed and dropped, and the last stored byte is overwritten by
 * the terminator. in_src_get() then appends an LF only if strlen(line) + 1 < size.
 */
class StringSource implements LineSource {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  parse(size: number): Uint8Array | null {
    const out: number[] = [];
    let eol = false;
    for (;;) {
      let c = this.pos < this.buf.length ? (this.buf[this.pos++] as number) : -1;
      if (c < 0) eol = true;
      if (c <= 0 || c === NL) c = 0;
      if (out.length >= size) break;
      out.push(c);
      if (c === 0) break;
    }
    if (out.length >= size) out[size - 1] = 0;
    const nul = out.indexOf(0);
    const line = Uint8Array.from(nul < 0 ? out : out.slice(0, nul));
    return eol && line.length === 0 ? null : line;
  }

  get(size: number): Uint8Array | null {
    const line = this.parse(size);
    if (line === null) return null;
    if (line.length + 1 < size) {
      const withLf = new Uint8Array(line.length + 1);
      withLf.set(line);
      withLf[line.length] = NL;
      return withLf;
    }
    return line;
  }
}

/** parse_line(): the tokens of one line (at most MAX_PARMS; the rest is silently ignored). */
function parseLine(line: Uint8Array): Uint8Array[] {
  const INITIAL = 0;
  const QUOTED = 1;
  const UNQUOTED = 2;
  const SQUOTED = 4;
  const out: Uint8Array[] = [];
  const parm: number[] = [];
  let state = INITIAL;
  let backslash = false;
  for (let i = 0; ; i++) {
    // The C string ends at its NUL; parse_line() still processes that NUL once.
    const c = i < line.length ? (line[i] as number) : 0;
    let ch = 0;
    let done = false;
    if (!backslash && c === BSLASH && state !== SQUOTED) {
      backslash = true;
    } else {
      if (state === INITIAL) {
        if (!parmSpace(c)) {
          if (c === 59 || c === 35) break;
          if (!backslash && c === DQ) state = QUOTED;
          else if (!backslash && c === SQ) state = SQUOTED;
          else {
            ch = c;
            state = UNQUOTED;
          }
        }
      } else if (state === UNQUOTED) {
        if (!backslash && parmSpace(c)) done = true;
        else ch = c;
      } else if (state === QUOTED) {
        if (!backslash && c === DQ) done = true;
        else ch = c;
      } else if (c === SQ) {
        done = true;
      } else {
        ch = c;
      }
      if (done) {
        out.push(Uint8Array.from(parm));
        parm.length = 0;
        state = INITIAL;
      }
      if (backslash && ch !== 0 && !(ch === BSLASH || ch === DQ || parmSpace(ch))) throw new Refusal('bad backslash usage');
      backslash = false;
    }
    if (ch !== 0) {
      if (parm.length >= PARM_SIZE) throw new Refusal('a parameter is longer than 256 bytes');
      parm.push(ch);
    }
    if (out.length >= MAX_PARMS) break;
    if (c === 0) break;
  }
  if (state === QUOTED) throw new Refusal('no closing quotation (")');
  if (state === SQUOTED) throw new Refusal("no closing single quotation (')");
  if (state !== INITIAL) throw new Refusal('residual parse state');
  return out;
}

function startsWith(hay: Uint8Array, from: number, needle: Uint8Array): boolean {
  if (hay.length - from < needle.length) return false;
  for (let i = 0; i < needle.length; i++) if (hay[from + i] !== needle[i]) return false;
  return true;
}

/** read_inline_file(): pieces of `char line[256]` until one starts (after blanks) with the close tag. */
function readInline(src: LineSource, closeTag: string): Uint8Array {
  const tag = new TextEncoder().encode(closeTag);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let piece = src.get(LINE_SIZE); piece !== null; piece = src.get(LINE_SIZE)) {
    let p = 0;
    while (p < piece.length && cIsSpace(piece[p] as number)) p++;
    if (startsWith(piece, p, tag)) {
      const body = new Uint8Array(total);
      let at = 0;
      for (const part of parts) {
        body.set(part, at);
        at += part.length;
      }
      return body;
    }
    parts.push(piece);
    total += piece.length;
  }
  throw new Refusal(`endtag ${closeTag} missing`);
}

/**
 * What add_option() receives for one tokenized line: `--` stripped, an inline body read when the
 * line is a lone `<tag>`, `setenv opt` unwrapped. `inConnection` is read_config_string()'s
 * OPT_P_CONNECTION context, where a nested <connection> is refused.
 */
function directiveOf(tokens: Uint8Array[], src: LineSource, inConnection: boolean): RereadDirective {
  let words = tokens.map(text);
  const first = words[0] as string;
  if (first.length >= 3 && first.startsWith('--')) words[0] = first.slice(2);
  const head = words[0] as string;
  if (words.length === 1 && head.length >= 2 && head.startsWith('<') && head.endsWith('>')) {
    const name = head.slice(1, -1);
    const body = readInline(src, `</${name}>`);
    if (name !== 'connection') return { name, args: [], inline: text(body) };
    if (inConnection) throw new Refusal('a <connection> block inside a <connection> block');
    return { name, args: [], block: readConfigString(body) };
  }
  if (head === 'setenv' && words[1] === 'opt') {
    if (words.length < 3) throw new Refusal("'setenv opt' without an option");
    words = words.slice(2);
  }
  return { name: words[0] as string, args: words.slice(1) };
}

/** read_config_string() over a <connection> body. */
function readConfigString(body: Uint8Array): RereadDirective[] {
  const src = new StringSource(body);
  const out: RereadDirective[] = [];
  for (let line = src.parse(LINE_SIZE); line !== null; line = src.parse(LINE_SIZE)) {
    const tokens = parseLine(line);
    if (tokens.length > 0) out.push(directiveOf(tokens, src, true));
  }
  return out;
}

/** read_config_file() over the whole text. */
function readConfigFile(src: FileSource): RereadDirective[] {
  const out: RereadDirective[] = [];
  let first = true;
  for (let line = src.get(LINE_SIZE + 1); line !== null; line = src.get(LINE_SIZE + 1)) {
    if (line.length === LINE_SIZE) throw new Refusal(`maximum option line length (${LINE_SIZE}) exceeded`);
    const bom = first && line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf;
    first = false;
    const tokens = parseLine(bom ? line.subarray(3) : line);
    if (tokens.length > 0) out.push(directiveOf(tokens, src, false));
  }
  return out;
}

/** Reads config text as openvpn 2.6 would; never throws. `line`: lines read when it stopped. */
export function rereadOpenVpn(input: string | Uint8Array): RereadResult {
  const buf = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  // fgets() reads past a NUL but every later step stops at it: such text is never ours.
  const nul = buf.indexOf(0);
  if (nul >= 0) return { ok: false, line: lineAt(buf, nul), reason: 'a NUL byte' };
  const src = new FileSource(buf);
  try {
    return { ok: true, directives: readConfigFile(src) };
  } catch (e) {
    // Anything else is a bug here, and still must not pass as "identical".
    return { ok: false, line: src.line, reason: e instanceof Refusal ? e.reason : `internal error (${String(e)})` };
  }
}

function lineAt(buf: Uint8Array, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset; i++) if (buf[i] === NL) n++;
  return n;
}

function describeDirective(d: RereadDirective | OpenVpnDirective | undefined): string {
  if (!d) return 'nothing';
  if (d.block) return `<${d.name}> block`;
  if (d.inline !== undefined) return `<${d.name}> inline block`;
  return `'${[d.name, ...d.args].join(' ')}'`;
}

/**
 * The first place where openvpn's reading differs from the checked model, or null when they are
 * identical (names, arguments, inline bodies, <connection> blocks, in order).
 */
export function firstDifference(model: readonly OpenVpnDirective[], reread: readonly RereadDirective[], where = 'the profile'): string | null {
  const n = Math.max(model.length, reread.length);
  for (let i = 0; i < n; i++) {
    const m = model[i];
    const r = reread[i];
    const same =
      m !== undefined &&
      r !== undefined &&
      m.name === r.name &&
      m.args.length === r.args.length &&
      m.args.every((a, j) => a === r.args[j]) &&
      m.inline === r.inline &&
      (m.block === undefined) === (r.block === undefined);
    if (!same) return `directive ${i + 1} of ${where}: checked ${describeDirective(m)}, openvpn reads ${describeDirective(r)}`;
    if (m.block && r.block) {
      const inner = firstDifference(m.block, r.block, `<connection> block ${i + 1}`);
      if (inner) return inner;
    }
  }
  return null;
}
