/**
 * OpenVPN 2.6 management interface, the pure part: line framing, parsing of `>` notifications and
 * a one-command-at-a-time reply demultiplexer. No sockets here, so all of it is unit-testable.
 */
import { quoteArg } from '../../../../shared/profiles/openvpn/lexer.js';

// ---------- notifications ----------

export interface OvpnState {
  /** Unix seconds, as openvpn prints it. */
  time: number;
  name: string;
  detail: string;
  localIp: string;
  remoteAddr: string;
  remotePort: string;
  localAddr: string;
  localPort: string;
  localIp6: string;
}

export type PasswordNotice =
  | {
      type: 'need';
      /** 'Auth', 'Private Key', 'HTTP Proxy', '<label> token' ... */
      label: string;
      /** What openvpn wants: both, only the password (username known), or only the username (2.7). */
      form: 'username/password' | 'password' | 'username';
      staticChallenge: { echo: boolean; text: string } | null;
    }
  | { type: 'failed'; label: string; reason: string | null }
  /** The server pushed an auth-token; the token itself is deliberately not kept. */
  | { type: 'auth-token' }
  | { type: 'unknown'; text: string };

export type Notification =
  | { kind: 'info'; text: string }
  | { kind: 'hold'; waitSeconds: number }
  | { kind: 'state'; state: OvpnState }
  | { kind: 'bytecount'; bytesIn: number; bytesOut: number }
  /** `history`: replayed by `log on all` (logged before it was asked for), not real-time. */
  | { kind: 'log'; time: number; flags: string; text: string; history?: true }
  | { kind: 'password'; notice: PasswordNotice }
  | { kind: 'fatal'; text: string }
  | { kind: 'updown'; event: 'UP' | 'DOWN' }
  | { kind: 'updown-env'; key: string; value: string }
  | { kind: 'updown-end' }
  | { kind: 'infomsg'; text: string }
  | { kind: 'other'; type: string; text: string };

/** Parses the fields of a `>STATE:` notification (also the lines of `state all`). */
export function parseStateFields(text: string): OvpnState | null {
  const f = text.split(',');
  if (f.length < 2) return null;
  const time = Number(f[0]);
  const name = f[1] ?? '';
  if (!Number.isFinite(time) || !/^[A-Z_]+$/.test(name)) return null;
  return {
    time,
    name,
    detail: f[2] ?? '',
    localIp: f[3] ?? '',
    remoteAddr: f[4] ?? '',
    remotePort: f[5] ?? '',
    localAddr: f[6] ?? '',
    localPort: f[7] ?? '',
    localIp6: f[8] ?? '',
  };
}

const NEED_RE = /^Need '([^']+)' (username\/password|password|username)(?: SC:(\d+),(.*))?$/;
// The reason is printed between [' and '] verbatim, so it may itself contain quotes.
const FAILED_RE = /^Verification Failed: '([^']+)'(?: \['(.*)'\])?$/;

export function parsePasswordNotice(text: string): PasswordNotice {
  const need = NEED_RE.exec(text);
  if (need) {
    const flag = need[3];
    return {
      type: 'need',
      label: need[1] ?? '',
      form: need[2] as 'username/password' | 'password' | 'username',
      // 2.6: the flag is 0/1 for echo; 2.7 adds bit 1 (format), so test bit 0 only.
      staticChallenge: flag === undefined ? null : { echo: (Number(flag) & 1) === 1, text: need[4] ?? '' },
    };
  }
  const failed = FAILED_RE.exec(text);
  if (failed) return { type: 'failed', label: failed[1] ?? '', reason: failed[2] ?? null };
  if (text.startsWith('Auth-Token:')) return { type: 'auth-token' };
  return { type: 'unknown', text };
}

/** Parses one line that starts with `>`; returns null for anything else. */
export function parseNotification(line: string): Notification | null {
  if (!line.startsWith('>')) return null;
  const colon = line.indexOf(':');
  if (colon < 0) return { kind: 'other', type: line.slice(1), text: '' };
  const type = line.slice(1, colon);
  const text = line.slice(colon + 1);
  switch (type) {
    case 'INFO':
      return { kind: 'info', text };
    case 'HOLD': {
      // `>HOLD:Waiting for hold release:<n>`: n is openvpn's own restart backoff, which it skips
      // while held, so the client has to wait it out before releasing.
      const m = /:(\d+)$/.exec(text);
      return { kind: 'hold', waitSeconds: m ? Number(m[1]) : 0 };
    }
    case 'STATE': {
      const state = parseStateFields(text);
      return state ? { kind: 'state', state } : { kind: 'other', type, text };
    }
    case 'BYTECOUNT': {
      const m = /^(\d+),(\d+)$/.exec(text);
      return m ? { kind: 'bytecount', bytesIn: Number(m[1]), bytesOut: Number(m[2]) } : { kind: 'other', type, text };
    }
    case 'LOG':
      return parseLogFields(text);
    case 'PASSWORD':
      return { kind: 'password', notice: parsePasswordNotice(text) };
    case 'FATAL':
      return { kind: 'fatal', text };
    case 'UPDOWN': {
      if (text === 'UP' || text === 'DOWN') return { kind: 'updown', event: text };
      if (text === 'ENV,END') return { kind: 'updown-end' };
      const m = /^ENV,([^=]*)=(.*)$/s.exec(text);
      return m ? { kind: 'updown-env', key: m[1] ?? '', value: m[2] ?? '' } : { kind: 'other', type, text };
    }
    case 'INFOMSG':
      return { kind: 'infomsg', text };
    default:
      return { kind: 'other', type, text };
  }
}

// ---------- framing and replies ----------

/** Splits a byte stream into lines; openvpn ends its lines with CRLF. */
export class LineSplitter {
  private buffer = '';

  /** Feeds a chunk; returns the complete lines it finished, without their line ends. */
  push(chunk: string): string[] {
    this.buffer += chunk;
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop() ?? '';
    return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }

  get pending(): string {
    return this.buffer;
  }
}

export interface Reply {
  ok: boolean;
  /** `SUCCESS:`/`ERROR:` text for one-line replies; the block's lines (without `END`) otherwise. */
  lines: string[];
}

interface InFlight {
  command: string;
  resolve(reply: Reply): void;
  reject(err: Error): void;
  block: string[] | null;
  /** `state on all` / `log on all`: a SUCCESS line, then the history block (of that kind). */
  historyAfterSuccess: 'state' | 'log' | null;
  successSeen: boolean;
}

/**
 * Characters no quoting carries: openvpn's management input ends a command at CR or LF (the rest
 * would run as a command of its own), and its lexer drops NUL and the other controls.
 */
// eslint-disable-next-line no-control-regex
const UNSENDABLE = /[\0-\x1f\x7f]/;

/** openvpn's management lexer reads at most this many bytes into one argument. */
const MAX_ARG_BYTES = 256;

/**
 * One value as a management command argument (quoted as openvpn's lexer reads it back), or null
 * when it cannot travel as exactly that value: a control character, or too long once quoted.
 */
export function managementArg(value: string): string | null {
  if (UNSENDABLE.test(value)) return null;
  const quoted = quoteArg(value);
  return Buffer.byteLength(quoted) <= MAX_ARG_BYTES ? quoted : null;
}

/**
 * Demultiplexes the management stream. Replies carry no command id, but openvpn answers commands
 * strictly in the order it reads them, so commands are pipelined and replies matched first in,
 * first out (no round trip per command: start-up sends several at once). `>` lines are
 * notifications wherever they appear, even between a command and its reply or inside a block.
 */
export class ManagementProtocol {
  private readonly splitter = new LineSplitter();
  /** Sent and not yet answered, oldest first. */
  private readonly sent: InFlight[] = [];
  private closed = false;

  constructor(
    private readonly write: (data: string) => void,
    private readonly onNotification: (n: Notification, raw: string) => void,
    private readonly onStray: (line: string) => void = () => undefined,
  ) {}

  /**
   * Sends a command and resolves with its reply. Never send `version N` to 2.6: it does not reply,
   * and every reply after it would be matched to the wrong command.
   *
   * `state on all` answers twice — `SUCCESS: real-time state notification set to ON`, then the
   * history as a block ending in `END` — and its history lines are delivered as `state`
   * notifications in stream order, so a replayed state can never overtake a real-time one.
   * `log on all` the same, as `log` notifications marked `history`.
   */
  command(command: string): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error('management connection closed'));
    if (UNSENDABLE.test(command)) return Promise.reject(new Error('management command contains control characters'));
    const history = /^(state|log) on all$/.exec(command)?.[1];
    const historyAfterSuccess = history === 'state' || history === 'log' ? history : null;
    return new Promise<Reply>((resolve, reject) => {
      this.sent.push({ command, resolve, reject, block: null, historyAfterSuccess, successSeen: false });
      this.write(`${command}\n`);
    });
  }

  feed(chunk: string): void {
    for (const line of this.splitter.push(chunk)) this.handleLine(line);
  }

  /** The connection went away: every pending command fails. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new Error('management connection closed');
    for (const q of this.sent.splice(0)) q.reject(err);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private finish(reply: Reply): void {
    this.sent.shift()?.resolve(reply);
  }

  private handleLine(line: string): void {
    const n = parseNotification(line);
    if (n) {
      this.onNotification(n, line);
      return;
    }
    const cur = this.sent[0];
    if (!cur) {
      this.onStray(line);
      return;
    }
    if (cur.historyAfterSuccess !== null) {
      if (!cur.successSeen) {
        if (line.startsWith('SUCCESS:')) cur.successSeen = true;
        else this.finish({ ok: !line.startsWith('ERROR:'), lines: [line.replace(/^(SUCCESS|ERROR):\s*/, '')] });
        return;
      }
      if (line === 'END') {
        this.finish({ ok: true, lines: cur.block ?? [] });
        return;
      }
      (cur.block ??= []).push(line);
      if (cur.historyAfterSuccess === 'log') {
        this.onNotification({ ...parseLogFields(line), history: true }, `>LOG:${line}`);
        return;
      }
      const state = parseStateFields(line);
      if (state) this.onNotification({ kind: 'state', state }, `>STATE:${line}`);
      return;
    }
    if (cur.block) {
      if (line === 'END') this.finish({ ok: true, lines: cur.block });
      else cur.block.push(line);
      return;
    }
    if (line.startsWith('SUCCESS:')) this.finish({ ok: true, lines: [line.slice(8).trim()] });
    else if (line.startsWith('ERROR:')) this.finish({ ok: false, lines: [line.slice(6).trim()] });
    else if (line === 'END') this.finish({ ok: true, lines: [] });
    else cur.block = [line];
  }
}

/** `<unix time>,<flags>,<text>` of a log line (real-time `>LOG:` or history); the text may contain commas. */
function parseLogFields(text: string): Notification & { kind: 'log' } {
  const m = /^(\d+),([A-Z]*),(.*)$/s.exec(text);
  return m ? { kind: 'log', time: Number(m[1]), flags: m[2] ?? '', text: m[3] ?? '' } : { kind: 'log', time: 0, flags: '', text };
}

/**
 * The counters in a `load-stats` reply (`nclients=0,bytesin=N,bytesout=M`): in client mode, the
 * same totals `>BYTECOUNT` reports. Null for anything else.
 */
export function parseLoadStats(line: string): { bytesIn: number; bytesOut: number } | null {
  const bytesIn = /(?:^|,)bytesin=(\d+)(?:,|$)/.exec(line)?.[1];
  const bytesOut = /(?:^|,)bytesout=(\d+)(?:,|$)/.exec(line)?.[1];
  return bytesIn === undefined || bytesOut === undefined ? null : { bytesIn: Number(bytesIn), bytesOut: Number(bytesOut) };
}
