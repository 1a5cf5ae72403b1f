/**
 * While a reconnect gets no reply from the server, the driver starts openvpn's attempt again
 * itself (driver.ts, `signal SIGUSR1`) instead of leaving it to openvpn's own timing: over UDP an
 * attempt sends its first handshake packet once, then retransmits it after 2, 4, 8, 16 s (the TLS
 * reliable layer's backoff) until hand-window (60 s) or server-poll-timeout (120 s) ends it, so a
 * server that answers again waits up to half a minute for the next packet. A fresh attempt sends
 * a fresh packet at once.
 *
 * Only attempts that sent their first packet (>STATE WAIT) and heard nothing back are restarted;
 * once the server answered (AUTH and later) openvpn's own timers run the attempt. Not a TCP
 * connect still under way (TCP_CONNECT): openvpn is then still initialising, and a management
 * (hard) SIGUSR1 there becomes a SIGHUP (close_context, CC_HARD_USR1_TO_HUP), a full restart that
 * re-reads a config it read from stdin and exits; over TCP only a connection the server does not
 * answer on is restarted, the connect keeps the kernel's SYN backoff as before.
 *
 * `everyMs` apart for the first `forMs` of the reconnect, then `slowMs` apart (a server whose
 * first answer takes longer than `everyMs`, a round trip over a second, is reached then): a
 * server gone for good costs one packet every `slowMs`, and openvpn's holds are shortened to the
 * same cadence (its own backoff grows to connect-retry-max's 300 s). Each restart moves on to the
 * profile's next remote or resolved address, in order (openvpn's next_connection_entry; the first
 * restart after a connection stays on the remote it had), so failover keeps its order, a dead
 * remote costing `everyMs` instead of the whole hand-window.
 */
import { NETWORK_CHANGE } from './states.js';

/**
 * Reconnect reasons (openvpn's signal texts, the driver's NETWORK_CHANGE) that mean nothing
 * answered. network-unreachable: openvpn restarts by itself when its first packet finds no route
 * (forward.c, ENETUNREACH); only its holds are cut to the cadence then, so it tries again every
 * second rather than after its backoff once the route is back.
 */
export const NO_REPLY_REASONS: ReadonlySet<string> = new Set(['ping-restart', 'tls-error', 'server_poll', 'network-unreachable', NETWORK_CHANGE]);

export const ATTEMPT_RETRY = { everyMs: 1_000, forMs: 60_000, slowMs: 10_000 } as const;

export type RetryPolicy = { everyMs: number; forMs: number; slowMs: number };

/** openvpn's state of an attempt that has sent and waits for the server's first answer (from its main loop). */
const WAITING = 'WAIT';
/** States that follow the server's first answer. */
const ANSWERED = new Set(['AUTH', 'AUTH_PENDING', 'GET_CONFIG', 'ASSIGN_IP', 'ADD_ROUTES', 'CONNECTED']);

/**
 * How long an attempt may wait for the server's first answer (pure): `everyMs` while the
 * reconnect is younger than `forMs`, then `slowMs`. Fixed, not learnt from earlier answers: a
 * first answer measured late (a busy helper, a dropped first packet) would stretch every window.
 */
export function attemptWindowMs(reconnectAgeMs: number, policy: RetryPolicy = ATTEMPT_RETRY): number {
  return reconnectAgeMs < policy.forMs ? policy.everyMs : policy.slowMs;
}

/**
 * The cadence of the driver's restarts for one session. The driver tells it what openvpn does
 * (`reconnecting`, `state`, `stop`); it calls `restart` when an attempt waited its window.
 */
export class AttemptRetry {
  /** Unix ms the reconnect began, while it is one for a no-reply reason. */
  private since: number | null = null;
  private waitingFrom: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly restart: (afterMs: number) => void,
    private readonly opts: { enabled: boolean; policy?: RetryPolicy; now?: () => number } = { enabled: true },
  ) {}

  private get policy(): RetryPolicy {
    return this.opts.policy ?? ATTEMPT_RETRY;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** True while attempts are being restarted (a reconnect for a no-reply reason). */
  get active(): boolean {
    return this.since !== null;
  }

  /** openvpn turned reconnecting for `reason` (not one of the driver's own restarts), the reconnect having begun at `since`. */
  reconnecting(reason: string, since: number): void {
    this.disarm();
    this.since = this.opts.enabled && NO_REPLY_REASONS.has(reason) ? since : null;
  }

  /** An openvpn >STATE name. */
  state(name: string): void {
    if (name === WAITING) {
      this.waitingFrom ??= this.now();
      this.arm();
    } else if (ANSWERED.has(name)) {
      this.attemptEnded();
    }
  }

  /** The attempt is over (restarted, the process gone): the next one is timed afresh. */
  attemptEnded(): void {
    this.waitingFrom = null;
    this.disarm();
  }

  /** Connected, stopped, or a reconnect for another reason: no more restarts. */
  stop(): void {
    this.since = null;
    this.attemptEnded();
  }

  /** The seconds to hold before openvpn's next attempt: its own, at most the current cadence while active. */
  holdSeconds(openvpnSeconds: number): number {
    if (this.since === null) return openvpnSeconds;
    return Math.min(openvpnSeconds, Math.ceil(this.windowMs() / 1000));
  }

  private windowMs(): number {
    return attemptWindowMs(this.now() - (this.since ?? this.now()), this.policy);
  }

  private arm(): void {
    if (this.since === null || this.timer !== null || this.waitingFrom === null) return;
    const ms = Math.max(0, this.waitingFrom + this.windowMs() - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      const waited = this.now() - (this.waitingFrom ?? this.now());
      this.attemptEnded();
      if (this.since !== null) this.restart(waited);
    }, ms);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
