import { describe, expect, it } from 'vitest';
import { reasonFor, reconnectDelayMs, reconnectingState, retryable } from '../../electron/helper/drivers/ikev2/reconnect.js';
import { credentialRequest, tunnelState } from '../../shared/ipc/helper-protocol.js';
import { MESSAGES } from '../../electron/helper/drivers/ikev2/failures.js';

describe('IKEv2 reconnect decisions', () => {
  it('a lost or unreachable server is retried; a refusal or a configuration problem ends the session', () => {
    expect(retryable(null)).toBe(true);
    expect(retryable('ikev2-server-unreachable')).toBe(true);
    expect(retryable('ikev2-connection-lost')).toBe(true);
    expect(retryable('ikev2-connection-failed')).toBe(true);
    for (const code of ['ikev2-auth-failed', 'ikev2-server-auth-failed', 'ikev2-eap-failed', 'ikev2-xauth-failed', 'ikev2-proposal-mismatch', 'ikev2-config-mismatch'] as const) {
      expect(retryable(code), code).toBe(false);
    }
  });

  it('names the reason from what charon logged', () => {
    expect(reasonFor('ikev2-server-unreachable')).toBe('no-reply');
    expect(reasonFor(null)).toBe('connection-lost');
    expect(reasonFor('ikev2-connection-lost')).toBe('connection-lost');
  });

  it('the first attempt at once, then 1, 2, 4 … s, at most 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(reconnectDelayMs)).toEqual([0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('the reconnecting state is a valid protocol state with words in both languages', () => {
    const s = reconnectingState('no-reply', 2, 1234);
    expect(tunnelState.parse(s)).toEqual({ status: 'reconnecting', reason: 'no-reply', attempt: 2, since: 1234, message: { en: 'No reply from the server', ja: 'サーバーから応答がありません' } });
    expect(reconnectingState('network-change', 1, 1).message?.ja).toBe('ネットワークが変わりました');
  });
});

describe('credential request reason', () => {
  it('a userpass or challenge re-ask may carry the reason in both languages', () => {
    const request = { kind: 'userpass', username: 'alice', retry: true, reason: MESSAGES['ikev2-eap-failed'] };
    expect(credentialRequest.parse(request)).toEqual(request);
    const challenge = { kind: 'challenge', text: 'code?', echo: true, needsPassword: false, retry: true, reason: { en: 'wrong code', ja: 'コードが違います' } };
    expect(credentialRequest.parse(challenge)).toEqual(challenge);
  });

  it('a reason without its Japanese text is refused', () => {
    expect(credentialRequest.safeParse({ kind: 'userpass', retry: true, reason: { en: 'only English' } }).success).toBe(false);
  });
});
