/**
 * The canonical writer: the exact text the helper hands to openvpn. One directive per line,
 * inline material as `<tag>` blocks on their own lines (2.6 rejects a tag that shares its line),
 * Access Server metadata kept as comments. parse(write(model)) equals model.
 *
 * No written line may be one openvpn cuts: at top level fgets() refuses a line of 256 bytes with
 * its LF (MAX_TOP_LEVEL_LINE); inside <connection> buf_parse() silently splits lines over 255
 * bytes, the tail read as a line of its own (MAX_CONNECTION_LINE), and an inline body line there
 * loses its LF at 255 (MAX_TOP_LEVEL_LINE again). Inline body lines at top level have no limit:
 * openvpn reads them in pieces and joins them again. Arguments use readable quoting; a line that would then be too long falls back to
 * the shortest quoting of each argument, which is never longer than the way the profile wrote it
 * (only a missing blank between tokens, as in `"a"b`, can be saved there). What cannot fit is
 * reported, never shortened.
 */
import { OPTION_LINE_SIZE, quoteArg } from './lexer.js';
import type { OpenVpnDirective, OpenVpnProfile } from './model.js';

/** Longest lines, in bytes before the LF, that openvpn 2.6 reads unaltered (measured with 2.6.14). */
export const MAX_TOP_LEVEL_LINE = OPTION_LINE_SIZE - 2;
export const MAX_CONNECTION_LINE = OPTION_LINE_SIZE - 1;

export interface OverlongLine {
  /** The directive that cannot be written within the limit; null for a metadata comment. */
  directive: OpenVpnDirective | null;
  /** The length in bytes of its (longest) line, and the limit it exceeds. */
  bytes: number;
  limit: number;
  inConnection: boolean;
}

export type CanonicalWrite = { ok: true; text: string } | { ok: false; overlong: OverlongLine[] };

/** Bytes of the UTF-8 encoding of a well-formed string. */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return n;
}

/**
 * A bare token with parse_line()'s escapes: `\\`, and a backslash before a blank (and before a
 * leading `"`); quotes after the first byte are literal. Impossible for an empty token or one
 * starting with a blank (skipped even when escaped), `#`/`;` (a comment even when escaped) or `'`
 * (`\'` is a bad escape).
 */
function bareEscaped(arg: string): string | null {
  if (arg === '' || /^[ \t#;']/.test(arg)) return null;
  const body = arg.replace(/[\\ \t]/g, (ch) => `\\${ch}`);
  return body.startsWith('"') ? `\\${body}` : body;
}

/** The shortest text parse_line() reads back as `arg`. */
function shortestArg(arg: string): string {
  let best = quoteArg(arg);
  for (const candidate of [bareEscaped(arg), arg.includes("'") ? null : `'${arg}'`]) {
    if (candidate !== null && utf8Bytes(candidate) < utf8Bytes(best)) best = candidate;
  }
  return best;
}

interface Output {
  lines: string[];
  overlong: OverlongLine[];
}

function push(out: Output, line: string, directive: OpenVpnDirective | null, inConnection: boolean): void {
  const bytes = utf8Bytes(line);
  const limit = inConnection ? MAX_CONNECTION_LINE : MAX_TOP_LEVEL_LINE;
  if (bytes > limit) out.overlong.push({ directive, bytes, limit, inConnection });
  out.lines.push(line);
}

function writeDirective(d: OpenVpnDirective, out: Output, inConnection: boolean): void {
  if (d.block) {
    out.lines.push(`<${d.name}>`);
    for (const inner of d.block) writeDirective(inner, out, true);
    out.lines.push(`</${d.name}>`);
    return;
  }
  if (d.inline !== undefined) {
    out.lines.push(`<${d.name}>`);
    const body = d.inline.endsWith('\n') ? d.inline.slice(0, -1) : d.inline;
    if (d.inline !== '') {
      if (inConnection) {
        const longest = Math.max(...body.split('\n').map(utf8Bytes));
        if (longest > MAX_TOP_LEVEL_LINE) out.overlong.push({ directive: d, bytes: longest, limit: MAX_TOP_LEVEL_LINE, inConnection });
      }
      out.lines.push(body);
    }
    out.lines.push(`</${d.name}>`);
    return;
  }
  const words = [d.name, ...d.args];
  let line = words.map(quoteArg).join(' ');
  if (utf8Bytes(line) > (inConnection ? MAX_CONNECTION_LINE : MAX_TOP_LEVEL_LINE)) line = words.map(shortestArg).join(' ');
  push(out, line, d, inConnection);
}

function write(profile: Pick<OpenVpnProfile, 'directives' | 'metadata'>): Output {
  const out: Output = { lines: [], overlong: [] };
  for (const { key, value } of profile.metadata.values) push(out, `# OVPN_ACCESS_SERVER_${key}=${value}`, null, false);
  for (const { tag, lines } of profile.metadata.blocks) {
    push(out, `# OVPN_ACCESS_SERVER_${tag}_START`, null, false);
    for (const line of lines) push(out, `# ${line}`, null, false);
    push(out, `# OVPN_ACCESS_SERVER_${tag}_STOP`, null, false);
  }
  for (const d of profile.directives) writeDirective(d, out, false);
  return out;
}

/** The canonical text, or the lines that cannot be written within openvpn's limits. */
export function writeOpenVpnChecked(profile: Pick<OpenVpnProfile, 'directives' | 'metadata'>): CanonicalWrite {
  const out = write(profile);
  return out.overlong.length > 0 ? { ok: false, overlong: out.overlong } : { ok: true, text: `${out.lines.join('\n')}\n` };
}

/**
 * The same text for display (a masked copy of an inspected profile). Only writeOpenVpnChecked()'s
 * text, via inspectProfile(), is ever run.
 */
export function writeOpenVpn(profile: Pick<OpenVpnProfile, 'directives' | 'metadata'>): string {
  return `${write(profile).lines.join('\n')}\n`;
}
