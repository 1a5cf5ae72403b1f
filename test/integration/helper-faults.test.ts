/**
 * Faults against a live helper session: the tunnel process killed, the server restarted, traffic
 * dropped and restored, the helper itself killed, and a client that walks away.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HelperEvent } from '../../shared/ipc/helper-protocol.js';
import { down, fault, ping, up, type LabInstance } from '../lab/index.js';
import { Observer, processesIn, profileOf, snapshotNetns, startHelperProcess, type RunningHelperProcess } from './helper-harness.js';

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup = [];
});

async function rig(scenario: 'openvpn-udp' | 'wireguard-split'): Promise<{ lab: LabInstance; helper: RunningHelperProcess; observer: Observer; sessionId: string }> {
  const lab = await up(scenario);
  cleanup.push(() => down(lab.id));
  const helper = await startHelperProcess(lab.clientNetns);
  cleanup.push(() => helper.stop());
  const observer = await Observer.open(helper.socketPath);
  cleanup.push(async () => observer.close());
  const { sessionId } = await observer.client.request('connect', { profile: profileOf(lab), options: { connectTimeoutSeconds: 20 } });
  await observer.waitForState(sessionId, 'connected', 25_000);
  return { lab, helper, observer, sessionId };
}

const isState = (sessionId: string, status: string) => (e: HelperEvent): e is HelperEvent => e.event === 'state' && e.sessionId === sessionId && e.state.status === status;

describe('helper under faults', () => {
  it('openvpn killed with SIGKILL: reconnecting, then connected again', async () => {
    const { lab, observer, sessionId } = await rig('openvpn-udp');
    const [proc] = processesIn(lab.clientNetns, ['openvpn']);
    expect(proc).toBeDefined();
    const from = observer.events.length;
    process.kill(proc?.pid ?? -1, 'SIGKILL');
    await observer.waitFor(isState(sessionId, 'reconnecting'), 5_000, from);
    await observer.waitFor(isState(sessionId, 'connected'), 20_000, from);
    expect(await ping(lab.clientNetns, lab.protectedHostIp, { count: 2 })).toBe(true);
  });

  it('server restarted: connected again within 5 s', async () => {
    const { lab, observer, sessionId } = await rig('openvpn-udp');
    const from = observer.events.length;
    const restarted = Date.now();
    await fault(lab.id, 'restart');
    await observer.waitFor(isState(sessionId, 'reconnecting'), 15_000, from);
    const again = observer.events.length;
    await observer.waitFor(isState(sessionId, 'connected'), 20_000, again);
    const took = Date.now() - restarted;
    console.log(`server restart → connected again in ${took} ms`);
    expect(took).toBeLessThan(5_000);
    expect(await ping(lab.clientNetns, lab.protectedHostIp, { count: 2 })).toBe(true);
  });

  it('traffic dropped: reconnecting; restored: connected', async () => {
    const { lab, observer, sessionId } = await rig('openvpn-udp');
    const from = observer.events.length;
    await fault(lab.id, 'drop');
    await observer.waitFor(isState(sessionId, 'reconnecting'), 30_000, from);
    await fault(lab.id, 'restore');
    await observer.waitFor(isState(sessionId, 'connected'), 30_000, observer.events.length);
    expect(await ping(lab.clientNetns, lab.protectedHostIp, { count: 2 })).toBe(true);
  });

  it('helper killed with SIGKILL: openvpn gone within 3 s; a restarted helper reports nothing stale', async () => {
    const { lab, helper } = await rig('openvpn-udp');
    expect(processesIn(lab.clientNetns, ['openvpn'])).toHaveLength(1);
    // The helper also keeps a standby openvpn for the next connect once this one is up: it must
    // go too (it reads end-of-file on its stdin when the helper dies).
    const all = () => processesIn(lab.clientNetns, ['openvpn'], { includeStandby: true });
    const readyBy = Date.now() + 5_000;
    while (all().length < 2 && Date.now() < readyBy) await new Promise((r) => setTimeout(r, 20));
    expect(all()).toHaveLength(2);
    await helper.stop('SIGKILL');
    const killed = Date.now();
    while (all().length > 0 && Date.now() - killed < 5_000) await new Promise((r) => setTimeout(r, 50));
    const gone = Date.now() - killed;
    console.log(`helper SIGKILL → openvpn (session and standby) gone in ${gone} ms`);
    expect(gone).toBeLessThan(3_000);
    const again = await startHelperProcess(lab.clientNetns, helper.runDir.replace(/\/run$/, ''));
    cleanup.push(() => again.stop());
    const observer = await Observer.open(again.socketPath);
    cleanup.push(async () => observer.close());
    expect((await observer.client.request('list', {})).sessions).toEqual([]);
    expect(processesIn(lab.clientNetns, ['openvpn', 'wireguard-go'], { includeStandby: true })).toEqual([]);
  });

  it('openvpn and the helper SIGKILLed: the routes openvpn added outside the tunnel are gone once a new helper starts', async () => {
    const lab = await up('openvpn-udp');
    cleanup.push(() => down(lab.id));
    const before = await snapshotNetns(lab.clientNetns);
    const helper = await startHelperProcess(lab.clientNetns);
    cleanup.push(() => helper.stop());
    const observer = await Observer.open(helper.socketPath);
    cleanup.push(async () => observer.close());
    // redirect-gateway adds a host route to the server via the underlay gateway; net_gateway another.
    const profile = profileOf(lab);
    const text = `${profile.text}route 203.0.113.7 255.255.255.255 net_gateway\nredirect-gateway def1\n`;
    // Routes only: with the kill switch (on by default for a full tunnel) the restarted helper would rightly keep blocking.
    const { sessionId } = await observer.client.request('connect', { profile: { ...profile, text }, options: { connectTimeoutSeconds: 20, killSwitch: false } });
    await observer.waitForState(sessionId, 'connected', 25_000);
    const routes = async () => (await snapshotNetns(lab.clientNetns)).routes;
    expect(await routes()).toContain('203.0.113.7 via 198.18.1.1');
    expect(await routes()).toContain('198.18.1.1 via 198.18.1.1');
    const [proc] = processesIn(lab.clientNetns, ['openvpn']);
    process.kill(proc?.pid ?? -1, 'SIGKILL');
    await helper.stop('SIGKILL');
    const killed = Date.now();
    while (processesIn(lab.clientNetns, ['openvpn'], { includeStandby: true }).length > 0 && Date.now() - killed < 5_000) await new Promise((r) => setTimeout(r, 50));
    // Off the tunnel device, so the kernel kept them when openvpn died.
    expect(await routes()).toContain('203.0.113.7 via 198.18.1.1');
    const again = await startHelperProcess(lab.clientNetns, helper.runDir.replace(/\/run$/, ''));
    cleanup.push(() => again.stop());
    expect(await snapshotNetns(lab.clientNetns)).toEqual(before);
  });

  it('a client that disconnects mid-session leaves the tunnel alone', async () => {
    const { lab, helper, observer, sessionId } = await rig('wireguard-split');
    observer.close();
    await new Promise((r) => setTimeout(r, 1500));
    const other = await Observer.open(helper.socketPath);
    cleanup.push(async () => other.close());
    const { sessions } = await other.client.request('list', {});
    expect(sessions.map((s) => [s.id, s.state.status])).toEqual([[sessionId, 'connected']]);
    expect(await ping(lab.clientNetns, lab.protectedHostIp, { count: 2 })).toBe(true);
    await other.client.request('disconnect', { sessionId });
  });
});
