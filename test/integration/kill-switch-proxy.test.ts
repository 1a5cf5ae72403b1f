/**
 * The kill switch with OpenVPN through a proxy (issue 14), through the real helper and real
 * openvpn on both sides. The lab's openvpn-tcp server gets a proxy in front of it
 * (test/lab/proxy.py: HTTP CONNECT and SOCKS5 on the server's underlay address, port 3128); the
 * client resolves the proxy's name (its namespace's hosts file, read by the helper, which runs
 * inside the namespace) but not the server's, which only the proxy knows: openvpn hands the
 * remote's name to the proxy as written. Observed from outside the client as kill-switch.test.ts
 * observes the standard lab: the server namespace is the client's next hop and its uplink watch
 * (test/lab/leaks.ts) counts every packet the client sends; the proxy logs every request.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKernelTable } from '../../electron/helper/firewall/apply.js';
import { HelperRequestError } from '../../electron/main/helper-client.js';
import { down, up, type LabInstance } from '../lab/index.js';
import { hostProbes, uplinkRound, watchUplink, type ProbeResult, type SocketProbe } from '../lab/leaks.js';
import { ADDR, instanceNames } from '../lab/names.js';
import { addClientHost, PROXY, serveProxy, type LabProxy } from '../lab/proxy.js';
import { Observer, processesIn, profileOf, startHelperProcess, type RunningHelperProcess } from './helper-harness.js';

let std: LabInstance;
let proxy: LabProxy;
let helper: RunningHelperProcess;
let observer: Observer;
let uplink: string;

const answered = (r: ProbeResult[]) => r.filter((p) => p.ok).map((p) => p.name).sort();

/** The lab profile with its remote named as only the proxy knows it, through `directive`, as a full tunnel (kill switch on by default). */
function proxied(directive: string) {
  const p = profileOf(std);
  const remote = new RegExp(`^remote ${ADDR.serverUnderlay.replace(/\./g, '\\.')} ${ADDR.ovpnPort}$`, 'm');
  if (!remote.test(p.text)) throw new Error(`no "remote ${ADDR.serverUnderlay}" in the lab profile`);
  return { ...p, text: `${p.text.replace(remote, `remote ${PROXY.remoteName} ${ADDR.ovpnPort}`)}${directive}\nredirect-gateway def1\n`, name: directive };
}

/**
 * What must not get out: the server's own port (the remote behind the proxy) and the proxy from an
 * ordinary process, plain and bound to the uplink, and the usual probes to the server and beyond.
 */
function probes(): SocketProbe[] {
  const direct = [undefined, uplink].flatMap((dev) => [
    { name: `openvpn server${dev ? ' bound' : ''}`, kind: 'tcp' as const, host: ADDR.serverUnderlay, port: ADDR.ovpnPort, dev },
    { name: `proxy unmarked${dev ? ' bound' : ''}`, kind: 'tcp' as const, host: PROXY.address, port: PROXY.port, dev },
  ]);
  return [...direct, ...hostProbes(ADDR.serverUnderlay, uplink), ...hostProbes(ADDR.protectedHost, uplink)];
}

const round = () => uplinkRound({ netns: std.clientNetns, dir: std.dir, dev: uplink, watchNetns: std.serverNetns }, probes(), [ADDR.serverUnderlay, ADDR.protectedHost]);

async function endpointRules(): Promise<string[]> {
  const table = await readKernelTable({ netns: std.clientNetns });
  if (!table.ok) throw new Error(JSON.stringify(table.error));
  return (table.value?.plan.chains ?? []).flatMap((c) => c.rules.map((r) => r.comment)).filter((c) => c.startsWith('endpoint'));
}

beforeAll(async () => {
  std = await up('openvpn-tcp');
  proxy = await serveProxy(std);
  addClientHost(std, PROXY.name, PROXY.address);
  const n = instanceNames(std.id);
  uplink = n.underlayClient;
  // The tunnel's own packets go to the proxy only.
  await watchUplink(std.serverNetns, n.underlayServer, [`ip daddr ${PROXY.address} tcp dport ${PROXY.port}`]);
  helper = await startHelperProcess(std.clientNetns, undefined, [], { inside: true });
  observer = await Observer.open(helper.socketPath);
}, 60_000);

afterAll(async () => {
  observer?.close();
  // The helper's log and the proxy's requests, printed when TSUNAGU_TEST_LOG is set (to read a failure).
  if (process.env.TSUNAGU_TEST_LOG) console.log(helper?.output().slice(-6000), proxy?.requests());
  await helper?.stop();
  if (std) {
    // Quitting lifts the kill switch; nothing of ours is left in the namespace.
    expect(await readKernelTable({ netns: std.clientNetns })).toEqual({ ok: true, value: null });
    await down(std.id);
  }
});

describe('kill switch through the helper: OpenVPN full tunnel through a proxy', () => {
  it.each([
    { directive: `http-proxy ${PROXY.name} ${PROXY.port}`, request: 'http', restart: true },
    { directive: `socks-proxy ${PROXY.name} ${PROXY.port}`, request: 'socks', restart: false },
    // The override replaces the proxy of every TCP connection (here: none written).
    { directive: `http-proxy-override ${PROXY.name} ${PROXY.port}`, request: 'http', restart: false },
  ])('$directive: connected with the kill switch, the only endpoint is the proxy (the remote behind it never resolved), traffic through the tunnel, zero leaked, the proxy saw the CONNECT', async ({ directive, request, restart }) => {
    const asked = proxy.requests().length;
    const from = observer.events.length;
    const started = performance.now();
    let connectMs: number | undefined;
    let firstRound: unknown;
    const { sessionId } = await observer.client.request('connect', { profile: proxied(directive), options: { connectTimeoutSeconds: 20 } });
    // A failed case leaves no session (and no block) for the next one.
    try {
      await observer.waitForState(sessionId, 'connected', 25_000, from);
      connectMs = performance.now() - started;
      expect(await observer.client.request('firewall', {})).toMatchObject({ mode: 'tunnel', reason: 'kill-switch', sessionId, ownSession: true });
      // Marked packets may go to the proxy's address and port over TCP, and nowhere else (not the server's 1194).
      expect(await endpointRules()).toEqual([`endpoint tcp ${PROXY.address} ${PROXY.port} (marked)`]);
      expect(proxy.requests().slice(asked)).toEqual([`connect ${request} ${PROXY.remoteName}:${ADDR.ovpnPort}`]);
      const { results, seen } = await round();
      firstRound = seen;
      const ok = answered(results);
      expect(ok, JSON.stringify(results)).toContain(`icmp ${ADDR.protectedHost}`);
      expect(ok.filter((n) => n.includes('bound') || n.includes(ADDR.serverUnderlay) || n.startsWith('openvpn server') || n.startsWith('proxy'))).toEqual([]);
      expect(seen.leak_total).toBe(0);
      expect(seen.expected).toBeGreaterThan(0);
      const [ovpn] = processesIn(std.clientNetns, ['openvpn']);
      expect(ovpn).toBeDefined();
      if (restart) {
        // The proxy's name gone from the client's hosts and openvpn SIGKILLed: the driver's new
        // openvpn reconnects through the block (it needs no name), traffic blocked meanwhile.
        const hosts = `/etc/netns/${std.clientNetns}/hosts`;
        const before = readFileSync(hosts, 'utf8');
        writeFileSync(hosts, before.split('\n').filter((l) => !l.includes(PROXY.name)).join('\n'));
        try {
          const killedAt = observer.events.length;
          const killedMs = performance.now();
          process.kill(ovpn?.pid ?? 0, 'SIGKILL');
          await observer.waitForState(sessionId, 'reconnecting', 10_000, killedAt);
          const blocked = await round();
          expect(answered(blocked.results).filter((n) => n.includes('bound') || n.includes(ADDR.serverUnderlay) || n.startsWith('openvpn server') || n.startsWith('proxy'))).toEqual([]);
          expect(blocked.seen.leak_total).toBe(0);
          await observer.waitForState(sessionId, 'connected', 20_000, killedAt);
          const backMs = performance.now() - killedMs;
          expect(proxy.requests().slice(asked)).toEqual([`connect ${request} ${PROXY.remoteName}:${ADDR.ovpnPort}`, `connect ${request} ${PROXY.remoteName}:${ADDR.ovpnPort}`]);
          const again = await round();
          expect(answered(again.results)).toContain(`icmp ${ADDR.protectedHost}`);
          expect(again.seen.leak_total).toBe(0);
          console.log(`${directive}: connected again ${backMs.toFixed(0)} ms after the SIGKILL`);
        } finally {
          writeFileSync(hosts, before);
        }
      }
    } finally {
      await observer.client.request('disconnect', { sessionId }).catch(() => undefined);
    }
    expect((await observer.client.request('firewall', {})).mode).toBe('off');
    console.log(`${directive}: connected in ${connectMs?.toFixed(0) ?? '-'} ms; round: ${JSON.stringify(firstRound)}`);
  });

  it('a proxy name that does not resolve fails the connect at once with server-not-found naming the proxy (en/ja), kill switch or not; nothing blocked, no openvpn', async () => {
    const asked = proxy.requests().length;
    for (const killSwitch of [true, false]) {
      const started = performance.now();
      const error = await observer.client.request('connect', { profile: proxied(`http-proxy nowhere.${PROXY.name} ${PROXY.port}`), options: { killSwitch } })
        .then(() => null, (e: unknown) => (e instanceof HelperRequestError ? e.error : null));
      expect(performance.now() - started).toBeLessThan(2000);
      expect(error?.code).toBe('server-not-found');
      expect(error?.message.en).toContain(`proxy name “nowhere.${PROXY.name}”`);
      expect(error?.message.ja).toContain(`プロキシ名「nowhere.${PROXY.name}」`);
    }
    expect((await observer.client.request('firewall', {})).mode).toBe('off');
    expect(processesIn(std.clientNetns, ['openvpn'])).toEqual([]);
    expect(proxy.requests().slice(asked)).toEqual([]);
  });
});
