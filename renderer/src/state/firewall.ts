/**
 * Leak protection (issue 14) as the window shows it: the helper's firewall as main reports it, and
 * the pure rules for the words — one line per connection saying what happens to traffic outside
 * the tunnel, and the window-wide notice when everything is blocked with no tunnel coming up.
 */
import type { AppEvent, ConnectionView, FirewallView } from '../../../shared/ipc/app-api.js';
import { isActive } from './tunnel-view.js';

export type FirewallState = {
  /** Null while the helper is away or when it has no firewall (a helper before issue 14). */
  readonly firewall: FirewallView | null;
  /** Main has answered at least once: a null firewall then means "none", not "not asked yet". */
  readonly known: boolean;
};

export const initialFirewall: FirewallState = { firewall: null, known: false };

export function reduceFirewall(state: FirewallState, event: AppEvent): FirewallState {
  return event.type === 'firewall' ? { firewall: event.firewall, known: true } : state;
}

export function firewallLoaded(_state: FirewallState, firewall: FirewallView | null): FirewallState {
  return { firewall, known: true };
}

/** Blocked by always-on (the user's choice or the AlwaysOn policy), not by a tunnel's kill switch. */
export function isLockdownBlock(firewall: FirewallView): boolean {
  return firewall.reason === 'lockdown' || firewall.reason === 'policy';
}

/** What traffic outside the tunnel does, in one line; `networks` fills the split-tunnel sentence. */
export type ProtectionLine =
  | { key: 'protection.line.blocked' }
  | { key: 'protection.line.blockedUntilUp' }
  | { key: 'protection.line.killSwitchOff' }
  | { key: 'protection.line.split'; networks: number }
  | { key: 'protection.line.splitUnknown' }
  | { key: 'protection.line.unsupported' }
  | { key: 'protection.line.otherTunnel' }
  | { key: 'protection.line.direct' };

export type ProtectionTone = 'ok' | 'busy' | 'warning' | 'idle';

export function protectionTone(line: ProtectionLine): ProtectionTone {
  switch (line.key) {
    case 'protection.line.blocked':
    case 'protection.line.otherTunnel':
      return 'ok';
    case 'protection.line.blockedUntilUp':
      return 'busy';
    case 'protection.line.killSwitchOff':
    case 'protection.line.unsupported':
      return 'warning';
    default:
      return 'idle';
  }
}

function splitLine(networks: number | null): ProtectionLine {
  return networks !== null && networks > 0 ? { key: 'protection.line.split', networks } : { key: 'protection.line.splitUnknown' };
}

/**
 * The line for one profile's connection view. Null when there is nothing true to say yet (the
 * helper has not reported the new session's protection) or the window-wide notice says it (a
 * block with no tunnel coming up).
 */
export function protectionLine(view: ConnectionView | undefined, state: FirewallState): ProtectionLine | null {
  const { firewall } = state;
  if (!isActive(view?.state)) {
    if (!firewall) return state.known ? { key: 'protection.line.direct' } : null;
    if (firewall.mode === 'tunnel') return { key: 'protection.line.otherTunnel' };
    if (firewall.mode === 'blocked') return null;
    return { key: 'protection.line.direct' };
  }
  const protection = view?.protection;
  if (!protection) return null;
  switch (protection.traffic) {
    case 'tunnel':
      return { key: 'protection.line.blocked' };
    case 'blocked':
      return { key: 'protection.line.blockedUntilUp' };
    case 'unprotected':
      return protection.fullTunnel ? { key: 'protection.line.killSwitchOff' } : splitLine(protection.networks);
    case null:
      // A helper without a firewall never blocks; with one, its word is on its way.
      if (!state.known || firewall) return null;
      return protection.fullTunnel ? { key: 'protection.line.unsupported' } : splitLine(protection.networks);
  }
}

/** The window-wide notice: everything blocked and no tunnel of this user coming up. */
export type FirewallNotice =
  | { kind: 'vpn-down'; profileId: string | null }
  | { kind: 'lockdown'; byPolicy: boolean };

export function firewallNotice(firewall: FirewallView | null, connections: Readonly<Record<string, ConnectionView>>): FirewallNotice | null {
  if (!firewall || firewall.mode !== 'blocked') return null;
  // A tunnel on its way (or back) carries the block's explanation in its own line.
  if (Object.values(connections).some((c) => isActive(c.state) && c.state.status !== 'disconnecting')) return null;
  if (isLockdownBlock(firewall)) return { kind: 'lockdown', byPolicy: firewall.lockdown.byPolicy };
  return { kind: 'vpn-down', profileId: firewall.profileId };
}
