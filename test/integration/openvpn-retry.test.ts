/**
 * The OpenVPN driver's attempt restarts while the server does not answer (drivers/openvpn/retry.ts),
 * against real openvpn through the real helper: with two remotes (the first dead, openvpn-failover)
 * a reconnect goes through the profile's remotes in order, one attempt about every second, says
 * "No reply from the server" throughout (one reconnecting state, not one per attempt), and is back
 * on the live remote within two attempts of it answering again (it gets every other one).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { HelperEvent } from '../../shared/ipc/helper-protocol.js';
import { ADDR, down, fault, pingUntil, up, type LabInstance } from '../lab/index.js';
import { blockServerUdp, unblockServerUdp } from '../lab/recovery.js';
import { ATTEMPT_RETRY } from '../../electron/helper/drivers/openvpn/retry.js';
import { waitFor } from '../support/wait.js';
import { Observer, profileOf, startHelperProcess, type RunningHelperProcess } from './helper-harness.js';

interface Rig {
  lab: LabInstance;
  helper: RunningHelperProcess;
  observer: Observer;
}

async function rig(scenario: 'openvpn-failover' | 'openvpn-tcp'): Promise<Rig> {
  const lab = await up(scenario);
  const helper = await startHelperProcess(lab.clientNetns);
  const observer = await Observer.open(helper.socketPath);
  // openvpn's own lines too: which remote each attempt sent to.
  await observer.client.request('subscribe', { logs: true });
  return { lab, helper, observer };
}

let failover: Rig;
let tcp: Rig;

beforeAll(async () => {
  [failover, tcp] = await Promise.all([rig('openvpn-failover'), rig('openvpn-tcp')]);
}, 60_000);

afterAll(async () => {
  await unblockServerUdp(failover.lab).catch(() => undefined);
  for (const r of [failover, tcp]) {
    await fault(r.lab.id, 'restore').catch(() => undefined);
    r.observer.close();
    await r.helper.stop();
    await down(r.lab.id);
  }
});

/** The remotes openvpn's attempts sent to, in order, from its "UDPv4 link remote" lines since `from`. */
function remotesTried({ observer }: Rig, sessionId: string, from: number): string[] {
  return observer.events.slice(from).flatMap((e: HelperEvent) => {
    if (e.event !== 'log' || e.line.sessionId !== sessionId) return [];
    const m = /link remote: \[AF_INET\]([\d.]+):\d+/.exec(e.line.text);
    return m?.[1] ? [m[1]] : [];
  });
}

// Two labs, two helpers: the cases run at once.
describe.concurrent('OpenVPN: attempts restarted while the server does not answer', () => {
  it('two remotes, the live one silent: ping-restart, then attempts alternate in profile order about every second; back ≤ 3 s after it answers (every other attempt is its), on the live remote', async ({ expect }) => {
    const { lab, observer } = failover;
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
      await observer.waitFor((e): e is HelperEvent => e.event === 'log' && remotesTried(failover, sessionId, turnedAt).length >= 5, 15_000, turnedAt);
      const tried = remotesTried(failover, sessionId, turnedAt);
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

  it("tcp: the server silent both ways (the lab's drop fault): ping-restart, the connect under way is left to the kernel's SYN backoff (not restarted into a SIGHUP); one reconnecting state; back after the path is restored", async ({ expect }) => {
    const { lab, observer } = tcp;
    const { sessionId } = await observer.client.request('connect', { profile: profileOf(lab), options: { connectTimeoutSeconds: 20 } });
    await observer.waitForState(sessionId, 'connected', 25_000);
    const mark = observer.events.length;
    await fault(lab.id, 'drop');
    let back: number;
    try {
      const turned = await observer.waitForState(sessionId, 'reconnecting', 20_000, mark);
      expect(turned).toMatchObject({ reason: 'ping-restart' });
      const turnedAt = observer.events.length;
      const connecting = await observer.waitFor((e): e is Extract<HelperEvent, { event: 'log' }> => e.event === 'log' && e.line.sessionId === sessionId && /Attempting to establish TCP connection/.test(e.line.text), 10_000, turnedAt);
      // A restart that did not happen shows only by waiting: three of the retry's 1 s windows into the connect.
      const connectingAt = connecting.line.at;
      await waitFor(() => Date.now() >= connectingAt + 3 * ATTEMPT_RETRY.everyMs, 'three retry windows into the TCP connect', 5_000);
      const states = observer.states(sessionId).slice(observer.states(sessionId).indexOf(turned));
      expect(states).toEqual([turned]);
    } finally {
      const liftMark = observer.events.length;
      const lifted = Date.now();
      await fault(lab.id, 'restore');
      await observer.waitForState(sessionId, 'connected', 20_000, liftMark);
      back = Date.now() - lifted;
      console.log(`tcp: path restored → connected ${back} ms`);
    }
    // The kernel resends the SYN 1, 2, 4, 8 s apart: back at its next one.
    expect(back).toBeLessThanOrEqual(9_000);
    expect(await pingUntil(lab.clientNetns, lab.protectedHostIp, 5_000)).toBe(true);
    await observer.client.request('disconnect', { sessionId });
    await observer.waitForState(sessionId, 'disconnected', 10_000);
  }, 60_000);
});
