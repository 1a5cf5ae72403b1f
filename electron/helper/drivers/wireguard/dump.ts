/**
 * Parser for `wg show <if> dump` (wireguard-tools `src/show.c`): tab-separated, no header. The
 * first line describes the interface, every further line one peer. The interface line starts with
 * the private key and peer lines may carry a preshared key: neither is ever kept in the result, so
 * a parsed dump can be logged or sent anywhere. Error texts name line and field, never the content.
 */

export interface WgDumpInterface {
  /** Base64 public key, or null when the interface has no key yet (`(none)`). */
  publicKey: string | null;
  /** Whether a private key is set (the key itself is dropped). */
  hasPrivateKey: boolean;
  listenPort: number;
  /** Null when `off`. */
  fwmark: number | null;
}

export interface WgDumpPeer {
  publicKey: string;
  /** Whether a preshared key is set (the key itself is dropped). */
  hasPresharedKey: boolean;
  /** `ip:port` or `[v6]:port` as wg prints it, or null when unknown (`(none)`). */
  endpoint: string | null;
  allowedIps: string[];
  /** Unix seconds of the latest handshake; 0 means never. */
  latestHandshake: number;
  rxBytes: number;
  txBytes: number;
  /** Seconds, or null when `off`. */
  persistentKeepalive: number | null;
}

export interface WgDump {
  /** Null when the first line is missing or malformed. */
  interface: WgDumpInterface | null;
  /** The peers whose lines parsed; malformed peer lines are skipped and reported in `errors`. */
  peers: WgDumpPeer[];
  errors: string[];
}

const KEY_RE = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$/;
const UINT_RE = /^\d{1,20}$/;
const NONE = '(none)';

function uint(text: string | undefined, max = Number.MAX_SAFE_INTEGER): number | null {
  if (text === undefined || !UINT_RE.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

function parseInterfaceLine(fields: string[], errors: string[]): WgDumpInterface | null {
  if (fields.length !== 4) {
    errors.push(`line 1: expected 4 interface fields, found ${fields.length}`);
    return null;
  }
  const [priv, pub, port, mark] = fields as [string, string, string, string];
  const hasPrivateKey = priv !== NONE;
  if (hasPrivateKey && !KEY_RE.test(priv)) errors.push('line 1: the private key field is malformed');
  if (pub !== NONE && !KEY_RE.test(pub)) {
    errors.push('line 1: the public key field is malformed');
    return null;
  }
  const listenPort = uint(port, 65535);
  if (listenPort === null) {
    errors.push('line 1: the listen port is not a port number');
    return null;
  }
  let fwmark: number | null = null;
  if (mark !== 'off') {
    // show.c prints the mark as 0x%x; accept decimal too.
    fwmark = /^0x[0-9a-f]{1,8}$/i.test(mark) ? Number.parseInt(mark.slice(2), 16) : uint(mark, 0xffffffff);
    if (fwmark === null) {
      errors.push('line 1: the fwmark is neither "off" nor a number');
      return null;
    }
  }
  return { publicKey: pub === NONE ? null : pub, hasPrivateKey, listenPort, fwmark };
}

function parsePeerLine(fields: string[], line: number, errors: string[]): WgDumpPeer | null {
  if (fields.length !== 8) {
    errors.push(`line ${line}: expected 8 peer fields, found ${fields.length}`);
    return null;
  }
  const [pub, psk, endpoint, allowed, handshake, rx, tx, keepalive] = fields as [string, string, string, string, string, string, string, string];
  if (!KEY_RE.test(pub)) {
    errors.push(`line ${line}: the peer public key is malformed`);
    return null;
  }
  const latestHandshake = uint(handshake);
  const rxBytes = uint(rx);
  const txBytes = uint(tx);
  if (latestHandshake === null || rxBytes === null || txBytes === null) {
    errors.push(`line ${line}: handshake time or transfer counters are not numbers`);
    return null;
  }
  let persistentKeepalive: number | null = null;
  if (keepalive !== 'off') {
    persistentKeepalive = uint(keepalive, 65535);
    if (persistentKeepalive === null) {
      errors.push(`line ${line}: persistent keepalive is neither "off" nor a number`);
      return null;
    }
  }
  return {
    publicKey: pub,
    hasPresharedKey: psk !== NONE && psk !== '',
    endpoint: endpoint === NONE || endpoint === '' ? null : endpoint,
    allowedIps: allowed === NONE || allowed === '' ? [] : allowed.split(',').filter((a) => a !== ''),
    latestHandshake,
    rxBytes,
    txBytes,
    persistentKeepalive,
  };
}

/** Parses one interface's dump. Pure; never throws: whatever is malformed ends up in `errors`. */
export function parseWgDump(text: string): WgDump {
  const errors: string[] = [];
  if (typeof text !== 'string') return { interface: null, peers: [], errors: ['input is not text'] };
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) return { interface: null, peers: [], errors: ['empty dump'] };
  const iface = parseInterfaceLine((lines[0] ?? '').split('\t'), errors);
  const peers: WgDumpPeer[] = [];
  for (let i = 1; i < lines.length; i++) {
    const peer = parsePeerLine((lines[i] ?? '').split('\t'), i + 1, errors);
    if (peer) peers.push(peer);
  }
  return { interface: iface, peers, errors };
}

/** Totals over all peers (received = bytes in, transmitted = bytes out). */
export function dumpCounters(dump: WgDump): { bytesIn: number; bytesOut: number } {
  let bytesIn = 0;
  let bytesOut = 0;
  for (const p of dump.peers) {
    bytesIn += p.rxBytes;
    bytesOut += p.txBytes;
  }
  return { bytesIn, bytesOut };
}

/** The peer with the most recent handshake, or null when no peer has ever completed one. */
export function latestPeer(dump: WgDump): WgDumpPeer | null {
  let best: WgDumpPeer | null = null;
  for (const p of dump.peers) if (p.latestHandshake > 0 && (best === null || p.latestHandshake > best.latestHandshake)) best = p;
  return best;
}

/**
 * WireGuard's protocol timers (whitepaper §6.1, wireguard-go device/constants.go), in ms.
 * REKEY_AFTER_TIME: a sender starts a new handshake once its key is this old; REJECT_AFTER_TIME:
 * a key this old is no longer used; KEEPALIVE_TIMEOUT: a peer that received data and sent nothing
 * for this long sends a keepalive; REKEY_TIMEOUT: a handshake unanswered for this long is retried.
 */
export const WG_TIMERS = { rekeyAfterTime: 120_000, rejectAfterTime: 180_000, keepaliveTimeout: 10_000, rekeyTimeout: 5_000 } as const;

/** Bytes `wg show` counts for one keepalive (a transport header and tag around no payload). */
export const KEEPALIVE_BYTES = 32;

/**
 * How long the server may stay silent while this side sends before the tunnel counts as getting
 * no reply: a live peer answers data within KEEPALIVE_TIMEOUT (with data or a keepalive); after
 * KEEPALIVE_TIMEOUT + REKEY_TIMEOUT without an answer WireGuard itself gives up on the session and
 * starts a handshake, which gets one more REKEY_TIMEOUT to complete. 20 s, against the 180+ s an
 * expired key would take to show.
 */
export const DEFAULT_SILENCE_MS = WG_TIMERS.keepaliveTimeout + 2 * WG_TIMERS.rekeyTimeout;

/** Received bytes at the last time they grew, the transmitted bytes then, and what was sent since. */
export interface ReplyTrack {
  rx: number;
  tx: number;
  /** Unix ms when `rx` last grew (or tracking began). */
  since: number;
  /** When anything was first sent after that, and when more than keepalives was (null: not yet). */
  sentAt: number | null;
  unexplainedAt: number | null;
}

/**
 * Whether the server still answers, from successive dumps' counters (pure). Silent means: since the
 * last reply, more was sent than keepalives explain (one passive keepalive plus, per peer with
 * PersistentKeepalive N, one every N s, each KEEPALIVE_BYTES), and that traffic has gone unanswered
 * for `silenceMs`. Keepalives get no answer by design, so an idle tunnel with persistent keepalives
 * is not silent; data and handshake initiations (148 bytes each, every REKEY_TIMEOUT while
 * unanswered) are, once they exceed that allowance (with a short PersistentKeepalive, retries alone
 * may not). So, secondly: any send on a key older than REKEY_AFTER_TIME starts a handshake, which a
 * live server answers; a latest handshake older than REJECT_AFTER_TIME + `silenceMs`, with a send
 * unanswered for `silenceMs`, is silence too. `silentSince` is the first unanswered send.
 * `rx`/`tx` are the session's totals (monotonic); a total that went down starts the tracking afresh.
 */
export function trackReplies(
  prev: ReplyTrack | null,
  sample: { rx: number; tx: number; peers: readonly Pick<WgDumpPeer, 'persistentKeepalive'>[]; latestHandshakeMs: number },
  now: number,
  silenceMs: number,
): { track: ReplyTrack; silentSince: number | null } {
  const { rx, tx } = sample;
  if (prev === null || rx !== prev.rx || tx < prev.tx) return { track: { rx, tx, since: now, sentAt: null, unexplainedAt: null }, silentSince: null };
  let allowance = KEEPALIVE_BYTES;
  for (const p of sample.peers) if (p.persistentKeepalive) allowance += KEEPALIVE_BYTES * (Math.floor((now - prev.since) / (p.persistentKeepalive * 1000)) + 1);
  const sent = tx - prev.tx;
  const track: ReplyTrack = { ...prev, sentAt: prev.sentAt ?? (sent > 0 ? now : null), unexplainedAt: prev.unexplainedAt ?? (sent > allowance ? now : null) };
  if (track.unexplainedAt !== null && now - track.unexplainedAt >= silenceMs) return { track, silentSince: track.unexplainedAt };
  const keyExpired = sample.latestHandshakeMs > 0 && now - sample.latestHandshakeMs > WG_TIMERS.rejectAfterTime + silenceMs;
  if (keyExpired && track.sentAt !== null && now - track.sentAt >= silenceMs) return { track, silentSince: track.sentAt };
  return { track, silentSince: null };
}

/** A 32-byte key as UAPI prints it (64 hex digits) in base64, as `wg show` prints it; null when not one. */
function hexKey(hex: string | undefined): string | null {
  return hex !== undefined && /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex').toString('base64') : null;
}

const ZERO_KEY = '0'.repeat(64);

/**
 * A userspace implementation's UAPI `get=1` answer (wireguard.com/xplatform) as the text of
 * `wg show <if> dump`, for parseWgDump to check: what `wg show` itself would print from the same
 * socket, without a process. The interface's own public key is not in the answer: `(none)`.
 * Null for an answer that reports an error or does not end as the protocol says.
 */
export function uapiToDump(text: string): string | null {
  if (!text.endsWith('\n\n')) return null;
  const pairs = text.slice(0, -2).split('\n').map((l) => {
    const at = l.indexOf('=');
    return at < 0 ? ['', l] : [l.slice(0, at), l.slice(at + 1)];
  });
  if (pairs.at(-1)?.[0] !== 'errno' || pairs.at(-1)?.[1] !== '0') return null;
  let iface = { priv: NONE, port: '0', mark: 'off' };
  const peers: { pub: string; psk: string; endpoint: string; allowed: string[]; sec: string; rx: string; tx: string; keepalive: string }[] = [];
  for (const [key, value] of pairs.slice(0, -1)) {
    const peer = peers.at(-1);
    if (key === 'public_key') peers.push({ pub: hexKey(value) ?? '', psk: NONE, endpoint: NONE, allowed: [], sec: '0', rx: '0', tx: '0', keepalive: 'off' });
    else if (peer === undefined) {
      if (key === 'private_key') iface = { ...iface, priv: hexKey(value) ?? '' };
      else if (key === 'listen_port') iface = { ...iface, port: value ?? '' };
      else if (key === 'fwmark') iface = { ...iface, mark: value === '0' ? 'off' : (value ?? '') };
    } else if (key === 'preshared_key') peer.psk = value === ZERO_KEY ? NONE : (hexKey(value) ?? '');
    else if (key === 'endpoint') peer.endpoint = value ?? '';
    else if (key === 'allowed_ip') peer.allowed.push(value ?? '');
    else if (key === 'last_handshake_time_sec') peer.sec = value ?? '';
    else if (key === 'rx_bytes') peer.rx = value ?? '';
    else if (key === 'tx_bytes') peer.tx = value ?? '';
    else if (key === 'persistent_keepalive_interval') peer.keepalive = value === '0' ? 'off' : (value ?? '');
  }
  const lines = [[iface.priv, NONE, iface.port, iface.mark].join('\t')];
  for (const p of peers) lines.push([p.pub, p.psk, p.endpoint, p.allowed.length > 0 ? p.allowed.join(',') : NONE, p.sec, p.rx, p.tx, p.keepalive].join('\t'));
  return `${lines.join('\n')}\n`;
}

/**
 * While the server does not answer, the driver starts handshakes itself (driver.ts): WireGuard's
 * own retry comes only every REKEY_TIMEOUT, so a server back up waits up to 5 s for the next one.
 * `everyMs` apart for the first `forMs` of retrying, then at WireGuard's own REKEY_TIMEOUT, so a
 * server gone for good costs no more than WireGuard's retries would.
 */
export const HANDSHAKE_RETRY = { everyMs: 1_000, forMs: 60_000 } as const;

/**
 * When the driver's next handshake is due (pure): at once for the first of an unanswered spell
 * (`retry` null), else `everyMs` after the last one while the spell is younger than `forMs`, then
 * REKEY_TIMEOUT after it. `retry.from` is the spell's first, `retry.last` its latest (Unix ms).
 */
export function nextHandshakeAt(retry: { from: number; last: number } | null, now: number, policy: { everyMs: number; forMs: number } = HANDSHAKE_RETRY): number {
  if (retry === null) return now;
  return retry.last + (retry.last - retry.from < policy.forMs ? policy.everyMs : WG_TIMERS.rekeyTimeout);
}

/**
 * The uplink went away (network-watch.ts) at `lostAt`; `since` is when the tunnel stopped working
 * (then, or the start of a silence before it). `rx`: received bytes in the first reading after
 * `lostAt` (null until there is one); `restoredAt` once the uplink is back.
 */
export interface OfflineTrack {
  since: number;
  lostAt: number;
  rx: number | null;
  restoredAt: number | null;
}

/**
 * What the tunnel is while (or just after) the uplink is gone (pure): `answered` once anything came
 * in since it went (a server on a route that did not go, or the reply after it came back): connected
 * again; `offline` while it is gone and for `silenceMs` after it is back; `silent` when the server
 * has not answered that long after it is back (then "No reply from the server").
 */
export function offlineVerdict(track: OfflineTrack, rx: number, now: number, silenceMs: number): 'answered' | 'offline' | 'silent' {
  if (track.rx !== null && rx > track.rx) return 'answered';
  return track.restoredAt !== null && now - track.restoredAt >= silenceMs ? 'silent' : 'offline';
}
