/**
 * Leak protection's words in the window (renderer/src/state/firewall.ts): the one line per
 * connection for every state (blocked, blocked until up, not protected, split tunnel, a helper
 * without a firewall), and when the window-wide "Blocked — the VPN is down" / always-on notice
 * shows; every line key exists in both languages.
 */
import { describe, expect, it } from 'vitest';
import type { AppEvent, ConnectionView, FirewallView } from '../../shared/ipc/app-api.js';
import type { TunnelState } from '../../shared/ipc/helper-protocol.js';
import { catalog } from '../../shared/i18n/catalog.js';
import { firewallNotice, initialFirewall, protectionLine, protectionTone, reduceFirewall, type FirewallState, type ProtectionLine } from '../../renderer/src/state/firewall.js';

const ID = 'aaaaaaaaaaaaaaaa';
const OFF: FirewallView = { mode: 'off', reason: null, sessionId: null, ownSession: false, allowLan: false, lockdown: { enabled: false, byPolicy: false }, killSwitchForced: false, since: 1, profileId: null };
const connected: TunnelState = { status: 'connected', localIp: '10.0.0.2', remote: '203.0.113.1:51820', since: 1 };
const failed: TunnelState = { status: 'error', code: 'process-exited', message: { en: 'x', ja: 'x' } };

function view(state: TunnelState, protection?: ConnectionView['protection']): ConnectionView {
  return { profileId: ID, sessionId: 'bbbbbbbbbbbbbbbb', state, bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, prompt: null, ...(protection ? { protection } : {}) };
}
const known = (firewall: FirewallView | null): FirewallState => ({ firewall, known: true });
const full = (traffic: 'tunnel' | 'blocked' | 'unprotected' | null) => ({ traffic, fullTunnel: true, networks: 2 });

describe('the protection line', () => {
  it('says blocked while connected behind the kill switch, blocked until up while it comes up or reconnects', () => {
    const holding = known({ ...OFF, mode: 'tunnel', reason: 'kill-switch', ownSession: true, profileId: ID });
    expect(protectionLine(view(connected, full('tunnel')), holding)).toEqual({ key: 'protection.line.blocked' });
    expect(protectionLine(view({ status: 'connecting', phase: 'handshake' }, full('blocked')), holding)).toEqual({ key: 'protection.line.blockedUntilUp' });
    expect(protectionLine(view({ status: 'reconnecting', reason: 'handshake-stale', attempt: 2 }, full('blocked')), holding)).toEqual({ key: 'protection.line.blockedUntilUp' });
  });

  it('says not protected with the kill switch off, and how many networks a split tunnel carries', () => {
    expect(protectionLine(view(connected, full('unprotected')), known(OFF))).toEqual({ key: 'protection.line.killSwitchOff' });
    expect(protectionLine(view(connected, { traffic: 'unprotected', fullTunnel: false, networks: 3 }), known(OFF))).toEqual({ key: 'protection.line.split', networks: 3 });
    // An OpenVPN profile whose routes all come from the server: no count to give.
    expect(protectionLine(view(connected, { traffic: 'unprotected', fullTunnel: false, networks: 0 }), known(OFF))).toEqual({ key: 'protection.line.splitUnknown' });
    expect(protectionLine(view(connected, { traffic: 'unprotected', fullTunnel: false, networks: null }), known(OFF))).toEqual({ key: 'protection.line.splitUnknown' });
  });

  it('says a helper without a firewall cannot protect a full tunnel, and waits for the word of one that has one', () => {
    expect(protectionLine(view(connected, full(null)), known(null))).toEqual({ key: 'protection.line.unsupported' });
    expect(protectionLine(view(connected, full(null)), known(OFF))).toBeNull();
    expect(protectionLine(view(connected, full(null)), initialFirewall)).toBeNull();
    expect(protectionLine(view(connected), known(OFF))).toBeNull();
  });

  it('for a profile that is not connected: traffic goes out directly, or another tunnel blocks it; a block with nothing coming up is the notice\'s', () => {
    expect(protectionLine(undefined, known(OFF))).toEqual({ key: 'protection.line.direct' });
    expect(protectionLine(view({ status: 'disconnected', reason: 'requested by the user' }), known(null))).toEqual({ key: 'protection.line.direct' });
    expect(protectionLine(undefined, known({ ...OFF, mode: 'tunnel', reason: 'kill-switch' }))).toEqual({ key: 'protection.line.otherTunnel' });
    expect(protectionLine(view(failed), known({ ...OFF, mode: 'blocked', reason: 'kill-switch' }))).toBeNull();
    expect(protectionLine(undefined, initialFirewall)).toBeNull();
  });

  it('draws blocked as ok, coming up as busy, not protected as a warning', () => {
    const tones = (['protection.line.blocked', 'protection.line.blockedUntilUp', 'protection.line.killSwitchOff', 'protection.line.unsupported', 'protection.line.direct'] as const).map((key) => protectionTone({ key } as ProtectionLine));
    expect(tones).toEqual(['ok', 'busy', 'warning', 'warning', 'idle']);
  });
});

describe('the window-wide notice', () => {
  const blocked: FirewallView = { ...OFF, mode: 'blocked', reason: 'kill-switch', ownSession: true, sessionId: 'bbbbbbbbbbbbbbbb', profileId: ID };

  it('"Blocked — the VPN is down" once the tunnel holding the block is gone or failed, naming its profile', () => {
    expect(firewallNotice(blocked, { [ID]: view(failed) })).toEqual({ kind: 'vpn-down', profileId: ID });
    expect(firewallNotice({ ...blocked, reason: 'restart', sessionId: null, profileId: null }, {})).toEqual({ kind: 'vpn-down', profileId: null });
  });

  it('nothing while a tunnel is coming up or back (its own line explains), or when nothing blocks', () => {
    expect(firewallNotice(blocked, { [ID]: view({ status: 'reconnecting', reason: 'x', attempt: 1 }) })).toBeNull();
    expect(firewallNotice(blocked, { [ID]: view({ status: 'connecting', phase: 'starting' }) })).toBeNull();
    expect(firewallNotice({ ...blocked, mode: 'tunnel' }, { [ID]: view(connected) })).toBeNull();
    expect(firewallNotice(OFF, {})).toBeNull();
    expect(firewallNotice(null, {})).toBeNull();
    // Disconnecting is on its way out: the block it leaves is already news.
    expect(firewallNotice(blocked, { [ID]: view({ status: 'disconnecting' }) })).toEqual({ kind: 'vpn-down', profileId: ID });
  });

  it('always-on with nothing connected, by the user or by policy', () => {
    const lockdown: FirewallView = { ...OFF, mode: 'blocked', reason: 'lockdown', lockdown: { enabled: true, byPolicy: false } };
    expect(firewallNotice(lockdown, {})).toEqual({ kind: 'lockdown', byPolicy: false });
    expect(firewallNotice({ ...lockdown, reason: 'policy', lockdown: { enabled: true, byPolicy: true } }, { [ID]: view(failed) })).toEqual({ kind: 'lockdown', byPolicy: true });
  });

  it('follows main\'s firewall events', () => {
    const event: AppEvent = { type: 'firewall', firewall: blocked };
    expect(reduceFirewall(initialFirewall, event)).toEqual({ firewall: blocked, known: true });
    expect(reduceFirewall(known(blocked), { type: 'firewall', firewall: null })).toEqual({ firewall: null, known: true });
    expect(reduceFirewall(initialFirewall, { type: 'profiles-changed' })).toBe(initialFirewall);
  });
});

describe('the words', () => {
  it('has every protection string in both languages', () => {
    const { en, ja } = catalog;
    for (const key of Object.keys(en.protection.line) as Array<keyof typeof en.protection.line>) {
      if (key === 'split_one') continue;
      expect(ja.protection.line[key as keyof typeof ja.protection.line], key).toBeTruthy();
    }
    expect(en.protection.blockedTitle).toBe('Blocked — the VPN is down');
    expect(ja.protection.line.split_other).toContain('{{count}}');
  });
});
