/**
 * An OpenVPN profile's proxy as an attack surface on the kill switch (issue 14). Under the kill
 * switch the proxy's address and port become an endpoint rule, so a member could try to open a
 * hole of their own through it: a "proxy" on the DNS port, dozens of proxies, one on this computer,
 * SOCKS for UDP, or a proxy that takes an allowed server's name somewhere else. What is allowed and
 * why: an endpoint rule passes only packets carrying the helper's mark (openvpn's `--mark`), which
 * an ordinary process cannot set (SO_MARK needs CAP_NET_ADMIN), so any address and port is the
 * tunnel's alone — asserted below by bob's own packets, counted as they leave his namespace. A
 * proxy on this computer and UDP through SOCKS cannot be guarded and are refused; the endpoint
 * rules are capped at 32; under AllowedServers the proxy must be allowed too.
 * Real users (agent.ts) against the real helper on the openvpn-tcp lab with test/lab/proxy.py.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKernelTable } from '../../electron/helper/firewall/apply.js';
import { processesIn } from '../integration/helper-harness.js';
import { run } from '../lab/exec.js';
import { ADDR, instanceNames } from '../lab/names.js';
import { PROXY, serveProxy, type LabProxy } from '../lab/proxy.js';
import { connect, disconnect, Rig, type Profile } from './rig.js';
import { asUser, uidOf, type Conn } from './users.js';

/** The DNS port: a hole there would let any process's queries out. */
const DNS_PROXY_PORT = 53;
const BOB_WATCH = 'tsl_h3_bob_out';

let rig: Rig;
let proxy: LabProxy;
let policyDir: string;

beforeAll(async () => {
  rig = await Rig.start('openvpn-tcp');
  proxy = await serveProxy(rig.lab, DNS_PROXY_PORT);
  policyDir = mkdtempSync(join(tmpdir(), 'tsunagu-sec-proxy-policy-'));
  chmodSync(policyDir, 0o755);
  // Every packet of bob's that leaves his namespace (after the kill switch's output filter).
  await run('ip', ['netns', 'exec', rig.lab.clientNetns, 'nft', '-f', '-'], {
    input: `table inet ${BOB_WATCH} {\n  counter bob { }\n  chain post {\n    type filter hook postrouting priority 400; policy accept;\n    meta skuid ${uidOf('bob')} counter name "bob"\n  }\n}\n`,
  });
});
afterAll(async () => {
  if (process.env.TSUNAGU_TEST_LOG) console.log(rig?.helper.output().slice(-8000), readFileSync(proxy.log, 'utf8'));
  await rig?.close();
  if (policyDir) rmSync(policyDir, { recursive: true, force: true });
});

async function bobPackets(): Promise<number> {
  const r = await run('ip', ['netns', 'exec', rig.lab.clientNetns, 'nft', '-j', 'list', 'counter', 'inet', BOB_WATCH, 'bob']);
  const json = JSON.parse(r.stdout) as { nftables: { counter?: { packets: number } }[] };
  return json.nftables.find((o) => o.counter)?.counter?.packets ?? 0;
}

interface BobProbe {
  name: string;
  ok: boolean;
  reply?: string;
  error?: string;
}

// Bob's own sockets to the proxy's address and port: an HTTP CONNECT (the proxy logs it if it
// arrives), the same bound to the uplink, DNS over UDP there, and a try at the helper's mark.
const BOB_PROBES = String.raw`
import json, socket, sys
host, port, dev, mark = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
out = []
def attempt(name, make, act):
    s = None
    try:
        s = make()
        s.settimeout(1.5)
        out.append({"name": name, "ok": True, "reply": act(s)})
    except Exception as e:
        out.append({"name": name, "ok": False, "error": type(e).__name__ + ": " + str(e)})
    finally:
        if s: s.close()
def connect_proxy(s):
    s.connect((host, port))
    s.sendall(b"CONNECT bob.probe.test:1 HTTP/1.0\r\n\r\n")
    return s.recv(64).decode("ascii", "replace")
def bound():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
    return s
def marked():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
    return s
def dns(s):
    s.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03bob\x04test\x00\x00\x01\x00\x01", (host, port))
    return s.recv(512).hex()
attempt("tcp", socket.socket, connect_proxy)
attempt("tcp bound", bound, connect_proxy)
attempt("tcp marked", marked, connect_proxy)
attempt("dns-udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM), dns)
print(json.dumps(out))
`;

async function bobProbes(): Promise<{ results: BobProbe[]; left: number; proxied: number }> {
  const before = await bobPackets();
  const asked = proxy.requests().filter((l) => l.includes('bob.probe.test')).length;
  const [cmd = 'setpriv', ...rest] = asUser('bob');
  // The system's python: bob cannot run root's own (a pyenv shim under /root).
  const r = await run('ip', ['netns', 'exec', rig.lab.clientNetns, cmd, ...rest, '/usr/bin/python3', '-c', BOB_PROBES, PROXY.address, String(DNS_PROXY_PORT), instanceNames(rig.lab.id).underlayClient, String(0x7473756e)], { timeoutMs: 30_000, allowFail: true });
  if (r.code !== 0) throw new Error(`bob's probes failed (exit ${String(r.code)}): ${r.stderr}`);
  return {
    results: JSON.parse(r.stdout) as BobProbe[],
    left: (await bobPackets()) - before,
    proxied: proxy.requests().filter((l) => l.includes('bob.probe.test')).length - asked,
  };
}

/** Bob's full tunnel (kill switch on by default) reaching the lab server through `proxies`, each in its own <connection>. */
function bobProfile(proxies: string[], o: { proto?: string; remote?: string } = {}): Profile {
  const base = rig.profile('openvpn-tcp', 'bob through proxies');
  const remote = new RegExp(`^remote ${ADDR.serverUnderlay.replace(/\./g, '\\.')} ${ADDR.ovpnPort}$`, 'm');
  if (!remote.test(base.text)) throw new Error('no lab remote in the profile');
  const blocks = proxies.map((p) => `<connection>\nremote ${o.remote ?? PROXY.remoteName} ${ADDR.ovpnPort}${o.proto ? ` ${o.proto}` : ''}\n${p}\n</connection>\n`).join('');
  return { ...base, text: `${base.text.replace(remote, '')}redirect-gateway def1\n${blocks}` };
}

async function firewallMode(c: Conn): Promise<string> {
  const r = await c.request({ type: 'firewall' });
  return (r.result as { mode: string }).mode;
}

async function endpointRules(): Promise<string[]> {
  const table = await readKernelTable({ netns: rig.lab.clientNetns });
  if (!table.ok) throw new Error(JSON.stringify(table.error));
  return (table.value?.plan.chains ?? []).flatMap((c) => c.rules.map((r) => r.comment)).filter((c) => c.startsWith('endpoint'));
}

describe('a proxy cannot open a hole in the kill switch', () => {
  it('a proxy on the DNS port among 40 proxies: connected, at most 32 endpoint rules, and none of bob\'s own packets to it (TCP, bound, UDP DNS; SO_MARK denied) leave — without the kill switch they do', async () => {
    const bob = await rig.client('bob');
    // The real proxy first; 39 more on addresses nobody has, all on port 53.
    const proxies = [`http-proxy ${PROXY.address} ${DNS_PROXY_PORT}`, ...Array.from({ length: 39 }, (_, i) => `http-proxy 198.18.1.${100 + i} ${DNS_PROXY_PORT}`)];
    const outcome = await connect(bob, bobProfile(proxies));
    try {
      expect(outcome.refused ? outcome.code : outcome.state.status, JSON.stringify(outcome)).toBe('connected');
      expect(await firewallMode(bob)).toBe('tunnel');
      const rules = await endpointRules();
      expect(rules).toHaveLength(32);
      expect(rules[0]).toBe(`endpoint tcp ${PROXY.address} ${DNS_PROXY_PORT} (marked)`);
      expect(rules.every((r) => / \d+\.\d+\.\d+\.\d+ 53 \(marked\)$/.test(r) && r.startsWith('endpoint tcp '))).toBe(true);
      const held = await bobProbes();
      if (process.env.TSUNAGU_TEST_LOG) console.log('held', JSON.stringify(held));
      expect(held.results.filter((p) => p.ok), JSON.stringify(held.results)).toEqual([]);
      // Rejected by the kill switch at once (the DNS port's admin-prohibited), bound to the uplink too; the mark is root's.
      for (const name of ['tcp', 'tcp bound']) expect(held.results.find((p) => p.name === name)?.error, name).toMatch(/No route to host/);
      expect(held.results.find((p) => p.name === 'tcp marked')?.error).toMatch(/PermissionError/);
      expect(held.left).toBe(0);
      expect(held.proxied).toBe(0);
    } finally {
      await disconnect(bob, outcome);
    }
    // The same probes with no kill switch reach the proxy: they would have seen a hole.
    expect(await firewallMode(bob)).toBe('off');
    const open = await bobProbes();
    if (process.env.TSUNAGU_TEST_LOG) console.log('open', JSON.stringify(open));
    expect(open.results.find((p) => p.name === 'tcp')?.reply, JSON.stringify(open.results)).toMatch(/^HTTP\/1\.1 502/);
    expect(open.left).toBeGreaterThan(0);
    expect(open.proxied).toBeGreaterThan(0);
  });

  it('a proxy on this computer (loopback, localhost, ::1, 0.0.0.0) and UDP through SOCKS are refused with their own code (en/ja); nothing is blocked and no openvpn starts', async () => {
    const bob = await rig.client('bob');
    const cases: Array<[Profile, string]> = [
      ...['http-proxy 127.0.0.1 3128', 'http-proxy localhost 3128', 'socks-proxy ::1 1080', 'http-proxy 0.0.0.0 3128'].map((p): [Profile, string] => [bobProfile([p]), 'kill-switch-local-proxy']),
      // openvpn resolves a UDP remote itself (SOCKS UDP ASSOCIATE): here an address, so it is no name the helper cannot find.
      [bobProfile([`socks-proxy ${PROXY.address} ${DNS_PROXY_PORT}`], { proto: 'udp', remote: ADDR.serverUnderlay }), 'kill-switch-socks-udp'],
    ];
    for (const [profile, code] of cases) {
      const r = await bob.request({ type: 'connect', profile, options: {} });
      expect(r.error?.code, profile.text.slice(-120)).toBe(code);
      expect(r.error?.message.en).toMatch(/kill switch/);
      expect(r.error?.message.ja).toContain('キルスイッチ');
    }
    expect(await firewallMode(bob)).toBe('off');
    expect(processesIn(rig.lab.clientNetns, ['openvpn'])).toEqual([]);
  });
});

describe('AllowedServers and proxies', () => {
  it('an allowed server\'s name handed to a proxy the policy does not list is policy-denied, naming the proxy; listed, it connects', async () => {
    const policy = (servers: string[]) => writeFileSync(join(policyDir, 'policy.json'), `${JSON.stringify({ AllowedServers: servers })}\n`, { mode: 0o644 });
    const through = bobProfile([`http-proxy ${PROXY.address} ${DNS_PROXY_PORT}`]);
    policy([PROXY.remoteName]);
    await rig.restartHelper({ policyDir });
    const asked = proxy.requests().length;
    const bob = await rig.client('bob');
    const denied = await connect(bob, through);
    expect(denied.refused && denied.code).toBe('policy-denied');
    expect(denied.refused && denied.message).toContain(PROXY.address);
    // Refused before openvpn could ask the proxy for anything.
    expect(proxy.requests().length).toBe(asked);
    policy([PROXY.remoteName, `${PROXY.address}/32`]);
    await rig.restartHelper({ policyDir });
    const bob2 = await rig.client('bob');
    const allowed = await connect(bob2, through);
    try {
      expect(allowed.refused ? allowed.code : allowed.state.status).toBe('connected');
    } finally {
      await disconnect(bob2, allowed);
    }
  });
});
