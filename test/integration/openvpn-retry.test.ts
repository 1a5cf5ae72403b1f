/**
 * The OpenVPN driver's attempt restarts while the server does not answer (drivers/openvpn/retry.ts),
 * against real openvpn through the real helper: with two remotes (the first dead, openvpn-failover)
 * a reconnect goes through the profile's remotes in order, one attempt about every second, says
 * "No reply from the server" throughout (one reconnecting state, not one per attempt), and is back
 * on the live remote within two attempts of it answering again (it gets every other one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperEvent } from '../../shared/ipc/helper-protocol.js';
import { ADDR, down, pingUntil, up, type LabInstance } from '../lab/index.js';
import { blockServerUdp, unblockServerUdp } from '../lab/recovery.js';
import { Observer, profileOf, startHelperProcess, type RunningHelperProcess } from './helper-harness.js';

let lab: LabInstance;
let helper: RunningHelperProcess;
let observer: Observer;

beforeAll(async () => {
  lab = await up('openvpn-failover');
  helper = await startHelperProcess(lab.clientNetns);
  observer = await Observer.open(helper.socketPath);
  // openvpn's own lines too: which remote each attempt sent to.
  await observer.client.request('subscribe', { logs: true });
}, 60_000);

afterAll(async () => {
  await unblockServerUdp(lab).catch(() => undefined);
  observer.close();
  await helper.stop();
  await down(lab.id);
});

/** The remotes openvpn's attempts sent to, in order, from its "UDPv4 link remote" lines since `from`. */
function remotesTried(sessionId: string, from: number): string[] {
  return observer.events.slice(from).flatMap((e: HelperEvent) => {
    if (e.event !== 'log' || e.line.sessionId !== sessionId) return [];
    const m = /link remote: \[AF_INET\]([\d.]+):\d+/.exec(e.line.text);
    return m?.[1] ? [m[1]] : [];
  });
}

describe('OpenVPN: attempts restarted while the server does not answer', () => {
  it('two remotes, the live one silent: ping-restart, then attempts alternate in profile order about every second; back ≤ 3 s after it answers (every other attempt is its), on the live remote', async () => {
    const p = profileOf(lab);
    const { sessionId } = await observer.client.request('connect', { profile: p, options: { connectTimeoutSeconds: 20 } });
    expect(await observer.waitForState(sessionId, 'connected', 25_000)).toMatchObject({ remote: `${ADDR.serverUnderlay}:1194` });
    const mark = observer.events.length;
    await blockServerUdp(lab);
    let back: number;
    try {
      const turned = await observer.waitForState(sessionId, 'reconnecting', 20_000, mark);
      expect(turned).toMatchObject({ reason: 'ping-restart', message: { en: 'No reply from the server' } });
      const turnedAt = observer.events.length;
      const t0 = Date.now();
      // Five attempts: the first stays on the remote it had (openvpn's no_advance after a connection), then in order.
      await observer.waitFor((e): e is HelperEvent => e.event === 'log' && remotesTried(sessionId, turnedAt).length >= 5, 15_000, turnedAt);
      const tried = remotesTried(sessionId, turnedAt);
      const spanMs = Date.now() - t0;
      console.log(`attempts after ping-restart: ${tried.join(' → ')} in ${spanMs} ms`);
      expect(tried.slice(0, 5)).toEqual([ADDR.serverUnderlay, ADDR.deadRemote, ADDR.serverUnderlay, ADDR.deadRemote, ADDR.serverUnderlay]);
      // openvpn alone would send its next packet 2, 4, 8 s apart on the same remote (hand-window 60 s).
      expect(spanMs).toBeLessThan(8_000);
      // One reconnecting state for the whole spell, with its reason: the driver's restarts are not news.
      const states = observer.states(sessionId).slice(observer.states(sessionId).indexOf(turned));
      expect(states.filter((s) => s.status !== 'reconnecting')).toEqual([]);
      expect(states).toHaveLength(1);
    } finally {
      const liftMark = observer.events.length;
      const lifted = Date.now();
      await unblockServerUdp(lab);
      const again = await observer.waitForState(sessionId, 'connected', 20_000, liftMark);
      back = Date.now() - lifted;
      console.log(`server answering again → connected ${back} ms (remote ${again.remote})`);
      expect(again.remote).toBe(`${ADDR.serverUnderlay}:1194`);
    }
    // The live remote gets every other attempt (one a second each): back within two attempts and a handshake.
    expect(back).toBeLessThanOrEqual(3_000);
    expect(await pingUntil(lab.clientNetns, lab.protectedHostIp, 5_000)).toBe(true);
    await observer.client.request('disconnect', { sessionId });
    await observer.waitForState(sessionId, 'disconnected', 10_000);
  }, 60_000);
});
