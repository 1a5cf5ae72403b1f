/**
 * IKEv2's assigned DNS under the kill switch (issue 14), through the real helper, with real charon
 * on both sides. The lab's ikev2-psk server assigns a resolver (its pool's `dns`, sent as
 * INTERNAL_IP4_DNS) that answers only inside, behind the server, and a decoy resolver answers
 * outside the tunnel on the server's underlay address (test/lab/ikev2.ts serveTunnelDns). The
 * client asks for everything (`remote_ts = 0.0.0.0/0`), so the kill switch is on by default.
 * Observed from outside the client as kill-switch.test.ts observes the standard lab: the server
 * namespace is the client's next hop, and its uplink watch (test/lab/leaks.ts) counts every packet
 * the client sends; each responder also logs every query it answered.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperEvent } from '../../shared/ipc/helper-protocol.js';
import { readKernelTable } from '../../electron/helper/firewall/apply.js';
import { down, up, type LabInstance } from '../lab/index.js';
import { writeIkeVariant } from '../lab/ikev2-client.js';
import { answeredQueries, IKE_DNS, serveTunnelDns, type TunnelDnsLab } from '../lab/ikev2.js';
import { uplinkRound, watchUplink, type ProbeResult, type SocketProbe } from '../lab/leaks.js';
import { ADDR, instanceNames } from '../lab/names.js';
import { Observer, profileOf, startHelperProcess, type RunningHelperProcess } from './helper-harness.js';

let std: LabInstance;
let dns: TunnelDnsLab;
let helper: RunningHelperProcess;
let observer: Observer;
let profile: ReturnType<typeof profileOf>;
let resolvConf: string;
let uplink: string;

const resolvPath = () => `/etc/netns/${std.clientNetns}/resolv.conf`;
const answered = (r: ProbeResult[]) => r.filter((p) => p.ok).map((p) => p.name).sort();
const result = (r: ProbeResult[], name: string) => r.find((p) => p.name === name);

/** DNS over UDP and TCP to the assigned resolver (through the tunnel, and bound to the uplink: outside it), to the decoy, and to another host through the tunnel. */
function dnsProbes(): SocketProbe[] {
  const both = (name: string, host: string, dev?: string): SocketProbe[] => [
    { name: `${name} udp`, kind: 'dns-udp', host, port: 53, dev },
    { name: `${name} tcp`, kind: 'dns-tcp', host, port: 53, dev },
  ];
  return [
    ...both('assigned', IKE_DNS.assigned),
    ...both('assigned outside', IKE_DNS.assigned, uplink),
    ...both('decoy', IKE_DNS.decoy),
    ...both('decoy bound', IKE_DNS.decoy, uplink),
    ...both('other through the tunnel', ADDR.protectedHost),
  ];
}

const round = () => uplinkRound({ netns: std.clientNetns, dir: std.dir, dev: uplink, watchNetns: std.serverNetns }, dnsProbes(), []);
const queries = () => ({ assigned: answeredQueries(dns.logs.assigned), decoy: answeredQueries(dns.logs.decoy) });

beforeAll(async () => {
  std = await up('ikev2-psk');
  dns = await serveTunnelDns(std);
  profile = profileOf({ ...std, ...writeIkeVariant(std, { remoteTs: ['0.0.0.0/0'] }) });
  const n = instanceNames(std.id);
  uplink = n.underlayClient;
  // Only IKE (500, and 4500 carrying ESP too: libipsec encapsulates it in UDP) is the tunnel's own.
  await watchUplink(std.serverNetns, n.underlayServer, [`ip daddr ${ADDR.serverUnderlay} udp dport { ${ADDR.ikePorts.join(', ')} }`]);
  resolvConf = readFileSync(resolvPath(), 'utf8');
  helper = await startHelperProcess(std.clientNetns);
  observer = await Observer.open(helper.socketPath);
}, 60_000);

afterAll(async () => {
  observer?.close();
  await helper?.stop();
  if (std) await down(std.id);
});

describe('kill switch through the helper: IKEv2 full tunnel, DNS assigned by the server', () => {
  it('no tunnel yet (the probes can fail): the decoy answers, and every query outside a tunnel is seen on the uplink', async () => {
    const before = queries();
    const { results, seen } = await round();
    expect(answered(results), JSON.stringify(results)).toEqual(['decoy bound udp', 'decoy udp']);
    expect(queries().decoy - before.decoy).toBe(2);
    // Each of the 10 probes sends at least one packet to the server side (TCP: its SYN).
    expect(seen.leak_dns).toBeGreaterThanOrEqual(10);
  });

  it('connected: the assigned resolver answers through the tunnel and is the only one reachable; the decoy and the assigned address outside the tunnel (UDP and TCP) are blocked, zero leaked; disconnect removes the DNS', async () => {
    const from = observer.events.length;
    const { sessionId } = await observer.client.request('connect', { profile, options: { connectTimeoutSeconds: 20 } });
    await observer.waitForState(sessionId, 'connected', 25_000, from);
    expect(await observer.client.request('firewall', {})).toMatchObject({ mode: 'tunnel', reason: 'kill-switch', sessionId, ownSession: true });
    const info = (await observer.client.request('list', {})).sessions.find((s) => s.id === sessionId);
    expect(info).toMatchObject({ fullTunnel: true, traffic: 'tunnel' });
    const iface = info?.interfaceName ?? '';
    expect(iface).toMatch(/^ipsec\d+$/);

    // Applied like the other kinds' DNS (the helper's resolvconf record in the namespace) …
    expect(readFileSync(resolvPath(), 'utf8')).toContain(`nameserver ${IKE_DNS.assigned}`);
    // … and pinned: DNS leaves only through the tunnel's interface, only to the assigned resolver.
    const table = await readKernelTable({ netns: std.clientNetns });
    const output = table.ok ? table.value?.plan.chains.find((c) => c.name === 'output') : undefined;
    const pinned = output?.rules.filter((r) => r.comment.startsWith("dns to the tunnel's resolvers")) ?? [];
    expect(pinned.map((r) => r.matches.map((m) => `${m.key} ${m.values.join(',')}`)), JSON.stringify(output)).toEqual([
      [`meta oifname ${iface}`, `ip daddr ${IKE_DNS.assigned}`, 'meta l4proto tcp,udp', 'th dport 53,853'],
    ]);

    const before = queries();
    const { results, seen } = await round();
    expect(answered(results), JSON.stringify(results)).toEqual(['assigned udp']);
    // TCP reaches the assigned resolver's host through the tunnel too (only its UDP is served there).
    expect(result(results, 'assigned tcp')?.error ?? '').toMatch(/ConnectionRefused/);
    // Refused by the kill switch at once, not by a host.
    for (const name of ['assigned outside tcp', 'decoy tcp', 'decoy bound tcp', 'other through the tunnel tcp']) {
      expect(result(results, name)?.error ?? '', name).toMatch(/No route to host|not permitted|Permission denied/);
    }
    expect(queries()).toEqual({ assigned: before.assigned + 1, decoy: before.decoy });
    expect(seen.leak_total).toBe(0);
    expect(seen.leak_dns).toBe(0);
    expect(seen.expected).toBeGreaterThan(0);

    await observer.client.request('disconnect', { sessionId });
    await observer.waitFor((e: HelperEvent): e is Extract<HelperEvent, { event: 'session-removed' }> => e.event === 'session-removed' && e.sessionId === sessionId, 10_000, from);
    expect((await observer.client.request('firewall', {})).mode).toBe('off');
    expect(await readKernelTable({ netns: std.clientNetns })).toEqual({ ok: true, value: null });
    // The namespace's resolv.conf is again exactly what it was.
    expect(readFileSync(resolvPath(), 'utf8')).toBe(resolvConf);
    const open = await round();
    expect(answered(open.results)).toEqual(['decoy bound udp', 'decoy udp']);
    expect(open.seen.leak_dns).toBeGreaterThan(0);
  });
});
