/**
 * How a tunnel state reads on screen: a tone (drawn as an icon shape and a colour) and words.
 * Pure, so the wording rules are tested without a DOM.
 */
import type { Localized, TunnelState } from '../../../shared/ipc/helper-protocol.js';

export type Tone = 'idle' | 'busy' | 'ok' | 'error';

type Phase = Extract<TunnelState, { status: 'connecting' }>['phase'];
export type StateLabelKey =
  | 'state.idle'
  | `state.phase.${Phase}`
  | 'state.authenticating'
  | 'state.waitingForYou'
  | 'state.connected'
  | 'state.reconnecting'
  | 'state.disconnecting'
  | 'state.disconnected'
  | 'state.error';

/** Reasons the helper reports (its own, and OpenVPN's restart causes) that have plain words; anything else is shown as technical detail. */
const REASONS = {
  'process-exited': 'reason.processExited',
  'handshake-stale': 'reason.serverSilent',
  'no-reply': 'reason.serverSilent',
  'ping-restart': 'reason.serverSilent',
  'ping-exit': 'reason.serverSilent',
  'connection-reset': 'reason.connectionReset',
  'server-pushed-connection-reset': 'reason.serverReset',
  'tls-error': 'reason.secureChannelFailed',
  'network-change': 'reason.networkChanged',
  'no-network': 'reason.noNetwork',
  'credentials-cancelled': 'reason.signInCancelled',
  'helper stopped': 'reason.helperStopped',
} as const;
export type ReasonKey = (typeof REASONS)[keyof typeof REASONS];

/** Disconnect reasons that need no explanation: the user asked for it. */
const QUIET_REASONS = new Set(['requested by the user', 'user', '']);

export type StateView = {
  tone: Tone;
  label: StateLabelKey;
  /** Reconnect attempt, for the label's {{attempt}}. */
  attempt?: number;
  /** Why it reconnected or disconnected, in words, when known. */
  reason?: ReasonKey;
  /** The helper's own reason string when there are no words for it. */
  rawReason?: string;
  /** The helper's words for why it reconnects (issue 14), shown in place of `reason`. */
  message?: Localized;
  /** Unix ms when the reconnect began, for "for 0:35". */
  since?: number;
};

export function tunnelView(state: TunnelState | undefined, waitingForUser = false): StateView {
  if (!state) return { tone: 'idle', label: 'state.idle' };
  switch (state.status) {
    case 'connecting':
      return { tone: 'busy', label: `state.phase.${state.phase}` };
    case 'authenticating':
      return { tone: 'busy', label: waitingForUser ? 'state.waitingForYou' : 'state.authenticating' };
    case 'connected':
      return { tone: 'ok', label: 'state.connected' };
    case 'reconnecting':
      return {
        tone: 'busy',
        label: 'state.reconnecting',
        attempt: state.attempt,
        ...reasonOf(state.reason),
        ...(state.message ? { message: state.message } : {}),
        ...(state.since !== undefined ? { since: state.since } : {}),
      };
    case 'disconnecting':
      return { tone: 'busy', label: 'state.disconnecting' };
    case 'disconnected':
      return QUIET_REASONS.has(state.reason) ? { tone: 'idle', label: 'state.disconnected' } : { tone: 'idle', label: 'state.disconnected', ...reasonOf(state.reason) };
    case 'error':
      return { tone: 'error', label: 'state.error' };
  }
}

function reasonOf(reason: string): Pick<StateView, 'reason' | 'rawReason'> {
  const key = (REASONS as Record<string, ReasonKey | undefined>)[reason];
  return key ? { reason: key } : { rawReason: reason };
}

/** A tunnel that exists or is on its way: the button disconnects (or cancels) rather than connects. */
export function isActive(state: TunnelState | undefined): boolean {
  return state !== undefined && state.status !== 'disconnected' && state.status !== 'error';
}

/** A refusal because another of the user's tunnels routes the same network, and which one. */
export type RouteConflict = { network: string; other: { id: string; name: string }; code: string; detail?: string };

/**
 * Reads the helper's `route-conflict` error: its `conflict` names the network and, when the tunnel
 * in the way is the user's own, that session's id, which one of `active` (profiles with their
 * session ids) holds. Null when it is not a route conflict, or the other tunnel is not one of
 * `active` (another user's, never named): then there is nothing to offer.
 */
export function routeConflictOf(
  error: { code: string; detail?: string; conflict?: { network: string; sessionId?: string } } | null,
  active: readonly { id: string; name: string; sessionId: string | null }[],
): RouteConflict | null {
  if (!error || error.code !== 'route-conflict' || !error.conflict?.sessionId) return null;
  const { network, sessionId } = error.conflict;
  const holder = active.find((p) => p.sessionId === sessionId);
  if (!holder) return null;
  return { network, other: { id: holder.id, name: holder.name }, code: error.code, ...(error.detail !== undefined ? { detail: error.detail } : {}) };
}

/** The server as the connected view shows it: the address the tunnel reached, with the profile's transport ("/udp"). */
export function serverShown(profileServer: string, remote: string | undefined): string {
  if (!remote) return profileServer;
  if (remote.includes('/')) return remote;
  const transport = /\/([a-z0-9-]+)$/i.exec(profileServer)?.[1];
  return transport ? `${remote}/${transport}` : remote;
}

/** The tunnel's addresses (a dual-stack tunnel has an IPv4 and an IPv6 one, `localIp6`), without prefix lengths. */
export function tunnelAddresses(localIp: string | undefined, localIp6?: string): string[] {
  const text = [localIp, localIp6].filter(Boolean).join(' ');
  if (!text) return [];
  return [...new Set(text.split(/[\s,]+/).map((a) => a.replace(/\/\d+$/, '')).filter(Boolean))];
}

/** WireGuard's latest handshake as the panel words it: none yet, seconds ago, or minutes:seconds ago. */
export type HandshakeAge = { kind: 'never' } | { kind: 'seconds'; seconds: number } | { kind: 'longer'; ms: number };

export function handshakeAge(lastHandshakeAt: number | null, now: number): HandshakeAge {
  if (lastHandshakeAt === null) return { kind: 'never' };
  const ms = Math.max(0, now - lastHandshakeAt);
  return ms < 60_000 ? { kind: 'seconds', seconds: Math.floor(ms / 1000) } : { kind: 'longer', ms };
}
