/**
 * The helper's log: a bounded ring of redacted lines, each tagged with the session and the
 * operating-system user it concerns, pushed to subscribers and mirrored to stderr.
 */
import type { LogLine } from '../../shared/ipc/helper-protocol.js';

const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;
const SECRET_WORDS = /\b(password|passphrase|auth-token|token|secret|private[_ -]?key|preshared[_ -]?key|psk)\b(\s*[:=]?\s*)("[^"]*"|'[^']*'|\S+)/gi;
const WG_KEY = /\b[A-Za-z0-9+/]{43}=/g;
// OpenVPN management answers: `password "Auth" <secret>`, `password "Private Key" <secret>`.
const MGMT_PASSWORD = /\b(password)\s+("[^"]*"|'[^']*'|\S+)\s+.*$/gim;

/** Removes keys, passwords and tokens from a line before anyone sees it. */
export function redact(text: string): string {
  return text
    .replace(PEM, '[redacted key material]')
    .replace(MGMT_PASSWORD, (_m, word: string, type: string) => `${word} ${type} [redacted]`)
    .replace(SECRET_WORDS, (_m, word: string, sep: string) => `${word}${sep}[redacted]`)
    .replace(WG_KEY, '[redacted key]');
}

export class HelperLog {
  /** A ring: `lines[(start + i) % capacity]` is the i-th oldest of `count` lines. */
  private readonly lines: LogLine[] = [];
  private start = 0;
  private readonly listeners = new Set<(line: LogLine) => void>();

  constructor(private readonly capacity = 5000, private readonly mirror: ((line: LogLine, fromTunnel: boolean) => void) | null = null) {}

  /** `fromTunnel`: a line relayed from openvpn / wg-quick (the mirror may leave those out). */
  add(level: LogLine['level'], text: string, sessionId: string | null = null, uid: number | null = null, fromTunnel = false): LogLine {
    const line: LogLine = { at: Date.now(), sessionId, uid, level, text: redact(text) };
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

  recent(count: number, sessionId?: string): LogLine[] {
    const ordered = this.start === 0 ? this.lines : [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
    const selected = sessionId ? ordered.filter((l) => l.sessionId === sessionId) : ordered;
    return selected.slice(-count);
  }

  subscribe(listener: (line: LogLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
