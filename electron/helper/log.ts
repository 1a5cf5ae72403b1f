/**
 * The helper's log: a bounded ring of redacted lines, each tagged with the session and the
 * operating-system user it concerns, pushed to subscribers and mirrored to stderr. Every line is
 * one line: control characters are escaped when it is added, so nothing a client or a server sends
 * can forge a line in the ring, the terminal or the journal.
 */
import { CONTROL_CHARACTERS, type LogLine } from '../../shared/ipc/helper-protocol.js';

const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;
const SECRET_WORDS = /\b(password|passphrase|auth-token|token|secret|private[_ -]?key|preshared[_ -]?key|psk)\b(\s*[:=]?\s*)("[^"]*"|'[^']*'|\S+)/gi;
const WG_KEY = /\b[A-Za-z0-9+/]{43}=/g;
// OpenVPN management answers: `password "Auth" <secret>`, `password "Private Key" <secret>`.
const MGMT_PASSWORD = /\b(password)\s+("[^"]*"|'[^']*'|\S+)\s+.*$/gim;
// `username "Auth" alice` (management), `username: alice`, `user=alice`, `for user 'alice'`: the
// name goes, the word stays. A bare "username" before other punctuation ("username/password") is
// not followed by a name and is left alone.
const MGMT_USERNAME = /\b(username)\s+("[^"]*"|'[^']*')\s+.*$/gim;
const USER_WORDS = /\b(user(?:[_ -]?name)?|login)(\s*[:=]\s*|\s+(?=["']))("[^"]*"|'[^']*'|[^\s,;]+)/gi;

/** Removes keys, passwords, tokens and user names from a line before anyone sees it. */
export function redact(text: string): string {
  return text
    .replace(PEM, '[redacted key material]')
    .replace(MGMT_PASSWORD, (_m, word: string, type: string) => `${word} ${type} [redacted]`)
    .replace(MGMT_USERNAME, (_m, word: string, type: string) => `${word} ${type} [redacted]`)
    .replace(SECRET_WORDS, (_m, word: string, sep: string) => `${word}${sep}[redacted]`)
    // A management form already done above (`username "Auth" [redacted]`) keeps its type word.
    .replace(USER_WORDS, (m: string, word: string, sep: string, _value: string, at: number, whole: string) => (whole.startsWith(' [redacted]', at + m.length) ? m : `${word}${sep}[redacted]`))
    .replace(WG_KEY, '[redacted key]');
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
    // Redacted before escaping: a PEM block spans lines.
    const line: LogLine = { at: Date.now(), sessionId, uid, level, text: escapeControls(redact(text)) };
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
