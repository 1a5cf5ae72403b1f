import { describe, expect, it } from 'vitest';
import { catalog } from '../../shared/i18n/catalog.js';
import { handshakeAge, tunnelAddresses, tunnelView } from '../../renderer/src/state/tunnel-view.js';

describe('reconnecting and WireGuard handshakes on screen (issue 14)', () => {
  it('reconnecting shows the helper\'s words and when it began', () => {
    const message = { en: 'No reply from the server', ja: 'サーバーから応答がありません' };
    expect(tunnelView({ status: 'reconnecting', reason: 'no-reply', attempt: 2, message, since: 1000 })).toEqual({
      tone: 'busy',
      label: 'state.reconnecting',
      attempt: 2,
      reason: 'reason.serverSilent',
      message,
      since: 1000,
    });
  });

  it('an older helper without message or since: the reason key only', () => {
    expect(tunnelView({ status: 'reconnecting', reason: 'ping-restart', attempt: 1 })).toEqual({ tone: 'busy', label: 'state.reconnecting', attempt: 1, reason: 'reason.serverSilent' });
  });

  it('WireGuard with the uplink gone: its own words, and a reason key in both languages', () => {
    expect(tunnelView({ status: 'reconnecting', reason: 'no-network', attempt: 1 })).toEqual({ tone: 'busy', label: 'state.reconnecting', attempt: 1, reason: 'reason.noNetwork' });
    expect(catalog.en.reason.noNetwork).toMatch(/network connection/);
    expect(catalog.ja.reason.noNetwork).toMatch(/ネットワーク/);
  });

  it('the latest handshake: none yet, seconds, then minutes', () => {
    expect(handshakeAge(null, 5000)).toEqual({ kind: 'never' });
    expect(handshakeAge(1000, 13_999)).toEqual({ kind: 'seconds', seconds: 12 });
    expect(handshakeAge(0, 125_000)).toEqual({ kind: 'longer', ms: 125_000 });
    // A clock a little behind the helper's never says "in the future".
    expect(handshakeAge(2000, 1000)).toEqual({ kind: 'seconds', seconds: 0 });
  });

  it('both tunnel addresses of a dual-stack connection', () => {
    expect(tunnelAddresses('198.18.9.2', 'fd74:736c:9::2')).toEqual(['198.18.9.2', 'fd74:736c:9::2']);
    expect(tunnelAddresses('198.18.9.2')).toEqual(['198.18.9.2']);
    expect(tunnelAddresses(undefined, undefined)).toEqual([]);
  });

  it('the words exist in both languages', () => {
    for (const c of [catalog.en, catalog.ja]) {
      for (const key of ['lastHandshake', 'handshakeNever', 'handshakeSecondsAgo', 'handshakeAgo', 'reconnectingFor'] as const) expect(c.connection[key]).toMatch(/\S/);
    }
    expect(catalog.ja.connection.handshakeSecondsAgo).toBe('{{seconds}} 秒前');
  });
});
