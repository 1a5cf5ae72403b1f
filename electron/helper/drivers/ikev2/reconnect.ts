/**
 * When the IKE or CHILD_SA goes away after the session connected (DPD gave up, the server deleted
 * it, a restarted server no longer knows it), the driver initiates again instead of ending the
 * session: state `reconnecting` with the reason in words. Pure: codes in, decisions out.
 */
import type { Localized, TunnelState } from '../../../../shared/ipc/helper-protocol.js';
import type { Ikev2ErrorCode } from './failures.js';

export type ReconnectReason = 'no-reply' | 'connection-lost' | 'network-change';

const WORDS: Record<ReconnectReason, Localized> = {
  'no-reply': { en: 'No reply from the server', ja: 'サーバーから応答がありません' },
  'connection-lost': { en: 'The server ended the connection', ja: 'サーバーが接続を終了しました' },
  'network-change': { en: 'The network changed', ja: 'ネットワークが変わりました' },
};

/**
 * Failures a new attempt cannot fix (the server refused us or we refused it, the configuration):
 * the session ends with them. Everything else (unreachable, lost) is retried.
 */
const FINAL: ReadonlySet<Ikev2ErrorCode> = new Set<Ikev2ErrorCode>([
  'ikev2-auth-failed',
  'ikev2-server-auth-failed',
  'ikev2-eap-failed',
  'ikev2-xauth-failed',
  'ikev2-proposal-mismatch',
  'ikev2-ts-mismatch',
  'ikev2-vip-refused',
  'ikev2-config-mismatch',
  'ikev2-charon-failed',
]);

export function retryable(code: Ikev2ErrorCode | null): boolean {
  return code === null || !FINAL.has(code);
}

/** The reason for a lost SA from what charon logged about it. */
export function reasonFor(code: Ikev2ErrorCode | null): ReconnectReason {
  return code === 'ikev2-server-unreachable' ? 'no-reply' : 'connection-lost';
}

/** Milliseconds before attempt `attempt` (1-based): at once, then 1, 2, 4 … 30 s. */
export function reconnectDelayMs(attempt: number): number {
  return attempt <= 1 ? 0 : Math.min(30_000, 1000 * 2 ** (attempt - 2));
}

export function reconnectingState(reason: ReconnectReason, attempt: number, since: number): Extract<TunnelState, { status: 'reconnecting' }> {
  return { status: 'reconnecting', reason, attempt, message: WORDS[reason], since };
}
