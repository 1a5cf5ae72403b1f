/**
 * The helper's log: a bounded ring of redacted lines, each tagged with the session and the
 * operating-system user it concerns, pushed to subscribers and mirrored to stderr. Every line is
 * one line: control characters are escaped when it is added, so nothing a client or a server sends
 * can forge a line in the ring, the terminal or the journal.
 */
import { CONTROL_CHARACTERS, type LogLine, type TunnelState } from '../../shared/ipc/helper-protocol.js';
import { helperMessages, localizedParams, renderHelperMessage, type CodedMessage, type HelperMessageCode, type HelperMessageParams, type HelperParamValue } from '../../shared/i18n/helper-messages.js';

/*
 * Redaction removes values, never words: a secret is recognised by its form (a keyword with `:`
 * or `=` and a value, a management answer, a token after its option, key material), so prose
 * about passwords ("password requested by uid 0", "cache passwords in memory") stays as it is.
 * test/unit/helper-log.test.ts replays real openvpn, charon and wg lines (test/fixtures/logs).
 */
const REDACTED = '[redacted]';
/** A value: a quoted string (with backslash escapes) or a run up to a space, quote, comma or semicolon. */
const VALUE = String.raw`(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;'"]+)`;
const QUOTED = String.raw`(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')`;
/** openvpn's own placeholder for an unset option (`username = '[UNDEF]'`) is not a value. */
const NOT_UNDEF = String.raw`(?!'?\[UNDEF\]'?)`;

const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;
/**
 * OpenVPN management answers keep their type and lose their value: `password "Auth" x`,
 * `username "Auth" "alice"`, `needstr "name" x`, the last thing on the line (or in openvpn's
 * `CMD '…'`). `password "x"` alone: the quoted word is the value.
 */
const MANAGEMENT_ANSWER = new RegExp(String.raw`\b(password|passphrase|username|needstr)\s+(${QUOTED})(?:(\s+)(${VALUE})(?='?\s*$))?`, 'gim');
/**
 * `password: x`, `passphrase=x`, `PrivateKey = x`, `secret = x`: a keyword glued to a separator and
 * a value. Not openvpn's notification `>PASSWORD:…`, not inside a name (`auth_token_secret_file`),
 * not openvpn's heading `auth-token secret: Using 256 bit…`.
 */
const KEYWORD_VALUE = new RegExp(
  String.raw`(?<![>\w-])(?<!auth-token )(password|passphrase|passwd|secret|psk|token|pre-?shared[_ -]?key|private[_ -]?key)(\s*[:=]\s*)${NOT_UNDEF}${VALUE}`,
  'gi',
);
/**
 * A token after its option: `auth-token x` as pushed (`PUSH_REPLY,…,auth-token x,…`) or on a command
 * line (`--auth-token x`), and the management notice `>PASSWORD:Auth-Token:x`. After a space in prose
 * ("auth-token server key") the next word is not a token, nor is a heading's label ("auth-token
 * secret: Using…"). openvpn masks its own (`auth-tokenSESS_ID`).
 */
const AUTH_TOKEN = new RegExp(String.raw`(^|[,'"]|--)(auth-token(?:-user)?)(\s+)(?!\w+:(?:\s|$))${VALUE}|\b(auth-token(?:-user)?):${VALUE}`, 'gim');
/**
 * `user=alice`, `login: bob`, `user "carol"`, `username 'alice'`: the name goes, the word stays
 * ("username/password" has none; a management answer's type, already done, is not a name).
 */
const USER_WORDS = new RegExp(String.raw`\b(user(?:[_ -]?name)?|login)(\s*[:=]\s*|\s+(?=["']))${NOT_UNDEF}(?!${QUOTED}\s+\[redacted\])${VALUE}`, 'gi');
/**
 * A bare WireGuard key (44 characters of base64): private and public keys look the same, so only one
 * labelled public (`PublicKey = `, `peer: `, `public key `) is left.
 */
const WG_KEY = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=(?![A-Za-z0-9+/=])/g;
// Checked on the few characters before a key (a lookbehind with `\s*` would rescan every run of spaces).
const PUBLIC_LABEL = /(?:PublicKey\s*=\s*|\bpeer:?\s+|public key:?\s+)$/i;

/** Removes keys, passwords, tokens and user names from a line before anyone sees it; the words around them stay. */
export function redact(text: string): string {
  return text
    .replace(PEM, '[redacted key material]')
    .replace(MANAGEMENT_ANSWER, (_m, word: string, first: string, space: string | undefined, value: string | undefined) => (value === undefined ? `${word} ${REDACTED}` : `${word} ${first}${space ?? ' '}${REDACTED}`))
    .replace(AUTH_TOKEN, (_m, before: string | undefined, option: string | undefined, space: string | undefined, notice: string | undefined) => (notice !== undefined ? `${notice}:${REDACTED}` : `${before ?? ''}${option ?? ''}${space ?? ' '}${REDACTED}`))
    .replace(KEYWORD_VALUE, (_m, word: string, sep: string) => `${word}${sep}${REDACTED}`)
    .replace(USER_WORDS, (_m, word: string, sep: string) => `${word}${sep}${REDACTED}`)
    .replace(WG_KEY, (key: string, at: number, whole: string) => (PUBLIC_LABEL.test(whole.slice(Math.max(0, at - 24), at)) ? key : '[redacted key]'));
}

// The same characters the request schemas refuse in names (tab included: it aligns nothing in a log).
const CONTROL = new RegExp(CONTROL_CHARACTERS.source, 'g');

/** Writes control characters as visible escapes (`\n`, `\x1b`, `\u2028`), so text stays on its line. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}

/** Where a component sends the helper's own lines (HelperLog.message, bound to a session and user where it has one). */
export type MessageLogger = <C extends HelperMessageCode>(level: LogLine['level'], code: C, params: HelperMessageParams<C>) => void;

/** A session's state change as a log line (English as `describeState` words it). */
export function stateMessage(state: TunnelState): CodedMessage {
  switch (state.status) {
    case 'connecting':
      return { code: `session.connecting.${state.phase}`, params: {} };
    case 'authenticating':
      return { code: 'session.authenticating', params: {} };
    case 'connected':
      return { code: 'session.connected', params: { localIp: state.localIp, remote: state.remote } };
    case 'reconnecting':
      return { code: 'session.reconnecting', params: { reason: state.reason, attempt: state.attempt } };
    case 'disconnecting':
      return { code: 'session.disconnecting', params: {} };
    case 'disconnected':
      return { code: 'session.disconnected', params: { reason: state.reason } };
    case 'error':
      return state.detail
        ? { code: 'session.errorDetail', params: { code: state.code, ...localizedParams('message', state.message), detail: state.detail } }
        : { code: 'session.error', params: { code: state.code, ...localizedParams('message', state.message) } };
  }
}

/** What a line's text (or a parameter) becomes: redacted before escaping, since a PEM block spans lines. */
function clean(text: string): string {
  return escapeControls(redact(text));
}

/** Whether a viewer may read a line: root reads every line, others their own only (helper-wide lines are root's). */
export function mayRead(line: Pick<LogLine, 'uid'>, viewerUid: number): boolean {
  return viewerUid === 0 || (line.uid !== null && line.uid === viewerUid);
}

export class HelperLog {
  /** A ring: `lines[(start + i) % capacity]` is the i-th oldest of `count` lines. */
  private readonly lines: LogLine[] = [];
  private start = 0;
  private readonly listeners = new Set<(line: LogLine) => void>();

  constructor(private readonly capacity = 5000, private readonly mirror: ((line: LogLine, fromTunnel: boolean) => void) | null = null) {}

  /** `fromTunnel`: a line relayed from openvpn / wg-quick (the mirror may leave those out). */
  add(level: LogLine['level'], text: string, sessionId: string | null = null, uid: number | null = null, fromTunnel = false): LogLine {
    return this.push({ at: Date.now(), sessionId, uid, level, text: clean(text) }, fromTunnel);
  }

  /**
   * One of the helper's own lines, by its catalogue code: the line carries the code and its
   * parameters (for the UI's language) and the English text (for the journal). Each parameter is
   * redacted and escaped as a line's text is, before the text is rendered from them; the English is
   * redacted once more as a whole (a keyword in one parameter and a value in the next).
   * `fromTunnel`: a driver's line about its tunnel (the mirror treats it as it treats the tool's).
   */
  message<C extends HelperMessageCode>(level: LogLine['level'], code: C, params: HelperMessageParams<C>, sessionId: string | null = null, uid: number | null = null, fromTunnel = false): LogLine {
    return this.write(level, code, params, sessionId, uid, fromTunnel);
  }

  /** The same, for a code and parameters made elsewhere as one value (`stateMessage`). */
  coded(level: LogLine['level'], message: CodedMessage, sessionId: string | null = null, uid: number | null = null): LogLine {
    return this.write(level, message.code, message.params, sessionId, uid, false);
  }

  private write(level: LogLine['level'], code: HelperMessageCode, params: Readonly<Record<string, HelperParamValue>>, sessionId: string | null, uid: number | null, fromTunnel: boolean): LogLine {
    const safe: Record<string, HelperParamValue> = {};
    for (const [name, value] of Object.entries(params)) safe[name] = typeof value === 'number' ? value : clean(value);
    // The types give every placeholder a parameter; only a caller's cast could leave the template bare.
    const english = renderHelperMessage('en', code, safe) ?? helperMessages[code].en;
    return this.push({ at: Date.now(), sessionId, uid, level, text: clean(english), code, params: safe }, fromTunnel);
  }

  private push(line: LogLine, fromTunnel = false): LogLine {
    if (this.lines.length < this.capacity) {
      this.lines.push(line);
    } else {
      this.lines[this.start] = line;
      this.start = (this.start + 1) % this.capacity;
    }
    this.mirror?.(line, fromTunnel);
    for (const listener of this.listeners) listener(line);
    return line;
  }

  /** The newest `count` lines `viewerUid` may read (of one session, if given). */
  recent(count: number, viewerUid: number, sessionId?: string): LogLine[] {
    const ordered = this.start === 0 ? this.lines : [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
    const selected = ordered.filter((l) => mayRead(l, viewerUid) && (sessionId === undefined || l.sessionId === sessionId));
    return selected.slice(-count);
  }

  subscribe(listener: (line: LogLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
