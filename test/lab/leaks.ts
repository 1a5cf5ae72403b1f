// Leak-test topology (issue 14): watch, from outside the client, what leaves it.
//
//   client ns ── uplink veth ──  ISP ns (router, counts every packet from the client) ── VPN server ns
//   198.18.40.2/24                198.18.40.1           198.18.41.1 ── 198.18.41.2 (WireGuard :51820)
//   2001:db8:40::2/64 (global)    2001:db8:40::1        198.18.42.1 ── decoy ns 198.18.42.2, 2001:db8:42::2
//   169.254.40.2/16, fd74:6c6b:40::2/64 (the "LAN")     169.254.40.1, fd74:6c6b:40::1 (LAN host on the ISP router)
//
// The client has IPv4 and global IPv6 on its uplink, like a home machine. The VPN server routes
// its tunnel (198.18.43.0/24, IPv4 only) to the decoys. Every namespace runs a small responder
// (TCP 80, UDP echo 7, DNS on 53 udp+tcp), so a probe that gets through gets an answer: the decoys
// are the "internet", their DNS is the ISP's resolver; the VPN server's tunnel address
// 198.18.43.1 is the tunnel's own resolver.
//
// The ISP router counts the client's packets per class in a prerouting chain on its client-facing
// veth (`inet tsl_leakcount`, named counters): link traffic (NDP, MLD, DHCP) and packets to the VPN
// endpoint are the expected ones; LAN packets are counted apart; everything else is a leak, also
// split by v4/v6, tcp/udp/icmp and DNS (53/853).
//
// Probes run inside the client: TCP connect, UDP send (echo), ICMP ping, DNS queries, each also
// bound to the uplink with SO_BINDTODEVICE (`ping -I`, and the socket option for TCP/UDP/DNS).
// All addresses live only in these namespaces (198.18.0.0/15 benchmarking range, 2001:db8::/32
// documentation range, link-local 169.254/16 and a ULA as the LAN).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { TSUNAGU_FWMARK, type TunnelIntent } from '../../electron/helper/firewall/intent.js';
import { join } from 'node:path';
import { inNetns, killAndWait, procStartTime, run, sleep, spawnDetached, waitUntil } from './exec.js';
import { teardownSync } from './lab.js';
import { labRoot, randomId } from './names.js';
import { wgKeyPair } from './pki.js';
import { saveOwner } from './state.js';
import { netnsInode } from './topology.js';
import { findWireguardGo, WG_ENV, wgSocketPath } from './wireguard.js';

export const LEAK_ADDR = {
  client: '198.18.40.2',
  client6: '2001:db8:40::2',
  isp: '198.18.40.1',
  isp6: '2001:db8:40::1',
  lanClient: '169.254.40.2',
  lanHost: '169.254.40.1',
  lanClient6: 'fd74:6c6b:40::2',
  lanHost6: 'fd74:6c6b:40::1',
  ispToVpn: '198.18.41.1',
  vpn: '198.18.41.2',
  ispToDecoy: '198.18.42.1',
  ispToDecoy6: '2001:db8:42::1',
  decoy: '198.18.42.2',
  decoy6: '2001:db8:42::2',
  tunnelServer: '198.18.43.1',
  tunnelClient: '198.18.43.2',
  tunnelNet: '198.18.43.0/24',
  wgPort: 51820,
} as const;

export interface LeakLab {
  id: string;
  dir: string;
  clientNetns: string;
  ispNetns: string;
  vpnNetns: string;
  decoyNetns: string;
  /** The client's physical interface (its uplink to the ISP). */
  uplink: string;
  /** The client's WireGuard interface name (unique on the host: wireguard-go's socket is global). */
  wgClient: string;
  wgServer: string;
  /** The WireGuard endpoint the client's tunnel uses. */
  endpoint: { address: string; port: number; protocol: 'udp' };
  /** The client's wg-quick config (full tunnel, AllowedIPs 0.0.0.0/0: IPv4 only). */
  clientConfig: string;
  serverConfig: string;
  netnsInodes: number[];
}

/** The kill switch's intent for this lab's connected tunnel (v4-only, its resolver), LAN as asked. */
export function tunnelIntentFor(lab: LeakLab, allowLan: boolean): TunnelIntent {
  return {
    mode: 'tunnel',
    tunnelInterfaces: [lab.wgClient],
    endpoints: [{ ...lab.endpoint, mark: TSUNAGU_FWMARK }],
    allowLan,
    dnsServers: [LEAK_ADDR.tunnelServer],
    tunnelAddresses: [LEAK_ADDR.tunnelClient],
  };
}

// ---------------------------------------------------------------------------------------------
// Setup and teardown

const live = new Set<string>();
let exitHook = false;

function onExit(): void {
  for (const id of live) {
    try {
      teardownSync(id);
    } catch {
      // best effort while exiting
    }
  }
  live.clear();
}

async function ipBatch(netns: string | null, lines: string[]): Promise<void> {
  await run('ip', netns === null ? ['-batch', '-'] : ['-n', netns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

async function inNs(netns: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const [c, a] = inNetns(netns, cmd, args);
  const r = await run(c, a, { env, timeoutMs: 30_000 });
  return r.stdout;
}

/** The responder every namespace runs: TCP 80 answers "ok", UDP 7 echoes, DNS 53 (udp, tcp) answers A queries. */
const RESPONDER = `
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
const answerA = process.argv[2];
function dnsAnswer(q) {
  if (q.length < 12) return null;
  let i = 12;
  while (i < q.length && q[i] !== 0) i += q[i] + 1;
  const question = q.subarray(12, i + 5);
  const ip = answerA.split('.').map(Number);
  const head = Buffer.from([q[0], q[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
  const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ip]);
  return Buffer.concat([head, question, rr]);
}
createServer((s) => { s.on('error', () => {}); s.end('ok\\n'); }).listen({ port: 80, host: '::' });
const echo = createSocket({ type: 'udp6' });
echo.on('message', (m, r) => echo.send(m, r.port, r.address));
echo.bind(7, '::');
const dns = createSocket({ type: 'udp6' });
dns.on('message', (m, r) => { const a = dnsAnswer(m); if (a) dns.send(a, r.port, r.address); });
dns.bind(53, '::');
createServer((s) => {
  s.on('error', () => {});
  s.once('data', (d) => { const a = dnsAnswer(d.subarray(2)); if (a) { const l = Buffer.alloc(2); l.writeUInt16BE(a.length); s.end(Buffer.concat([l, a])); } else s.end(); });
}).listen({ port: 53, host: '::' });
process.stdout.write('ready\\n');
`;

/** The client's probes (python3 for SO_BINDTODEVICE, which Node cannot set). Prints one JSON line. */
const PROBE = String.raw`
import json, socket, struct, sys, time
SO_BINDTODEVICE = 25
probes = json.loads(sys.argv[1])
def sock(family, kind, dev):
    s = socket.socket(family, kind)
    if dev:
        s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, dev.encode())
    s.settimeout(0.8)
    return s
def fam(host):
    return socket.AF_INET6 if ':' in host else socket.AF_INET
def query():
    q = struct.pack('>HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0)
    for label in ['probe', 'leak', 'test']:
        q += bytes([len(label)]) + label.encode()
    return q + b'\x00' + struct.pack('>HH', 1, 1)
out = []
for p in probes:
    t = time.monotonic()
    ok, err = False, None
    try:
        s = sock(fam(p['host']), socket.SOCK_STREAM if p['kind'] in ('tcp', 'dns-tcp') else socket.SOCK_DGRAM, p.get('dev'))
        try:
            if p['kind'] == 'tcp':
                s.connect((p['host'], p['port']))
                ok = s.recv(16).startswith(b'ok')
            elif p['kind'] == 'udp':
                s.sendto(b'probe', (p['host'], p['port']))
                ok = s.recvfrom(64)[0] == b'probe'
            elif p['kind'] == 'dns-udp':
                s.sendto(query(), (p['host'], p['port']))
                ok = len(s.recvfrom(512)[0]) > 12
            elif p['kind'] == 'dns-tcp':
                s.connect((p['host'], p['port']))
                q = query()
                s.sendall(struct.pack('>H', len(q)) + q)
                ok = len(s.recv(512)) > 14
        finally:
            s.close()
    except Exception as e:
        err = type(e).__name__ + ': ' + str(e)
    out.append({'name': p['name'], 'ok': ok, 'error': err, 'ms': round((time.monotonic() - t) * 1000, 1)})
print(json.dumps(out))
`;

function countRuleset(clientFacing: string): string {
  const classes: [string, string][] = [
    ['leak_v4', 'meta nfproto ipv4'],
    ['leak_v6', 'meta nfproto ipv6'],
    ['leak_tcp', 'meta l4proto tcp'],
    ['leak_udp', 'meta l4proto udp'],
    ['leak_icmp', 'meta l4proto { icmp, icmpv6 }'],
    ['leak_dns', 'meta l4proto { tcp, udp } th dport { 53, 853 }'],
    ['leak_total', ''],
  ];
  const counters = ['link', 'endpoint', 'endpoint_other', 'lan', ...classes.map(([n]) => n)];
  return `table inet tsl_leakcount {
${counters.map((c) => `  counter ${c} { }`).join('\n')}
  chain count {
    type filter hook prerouting priority -400; policy accept;
    iifname != "${clientFacing}" return
    icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report } counter name "link" return
    udp sport { 68, 546 } udp dport { 67, 547 } counter name "link" return
    ip daddr ${LEAK_ADDR.vpn} udp dport ${LEAK_ADDR.wgPort} counter name "endpoint" return
    ip daddr ${LEAK_ADDR.vpn} counter name "endpoint_other"
    ip daddr 169.254.0.0/16 counter name "lan" return
    ip6 daddr { fe80::/10, fd74:6c6b:40::/64, ff02::/16 } counter name "lan" return
${classes.map(([n, m]) => `    ${m ? `${m} ` : ''}counter name "${n}"`).join('\n')}
  }
}
`;
}

export async function upLeakLab(): Promise<LeakLab> {
  if (process.getuid?.() !== 0) throw new Error('the leak lab must run as root (it creates network namespaces)');
  const id = randomId();
  const dir = join(labRoot(), id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // An owner record keeps other processes' reapOrphans away while this one lives.
  saveOwner(id, { pid: process.pid, startTime: procStartTime(process.pid) });
  live.add(id);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', onExit);
  }
  const lab: LeakLab = {
    id,
    dir,
    clientNetns: `${id}-kc`,
    ispNetns: `${id}-ki`,
    vpnNetns: `${id}-kv`,
    decoyNetns: `${id}-kd`,
    uplink: `${id}-c0`,
    wgClient: `${id}-wc`,
    wgServer: `${id}-ws`,
    endpoint: { address: LEAK_ADDR.vpn, port: LEAK_ADDR.wgPort, protocol: 'udp' },
    clientConfig: join(dir, `${id}-wc.conf`),
    serverConfig: join(dir, `${id}-ws.conf`),
    netnsInodes: [],
  };
  try {
    await build(lab);
  } catch (e) {
    await downLeakLab(lab);
    throw e;
  }
  return lab;
}

async function build(lab: LeakLab): Promise<void> {
  const { id } = lab;
  const [c, i, v, d] = [lab.clientNetns, lab.ispNetns, lab.vpnNetns, lab.decoyNetns];
  await ipBatch(null, [
    `netns add ${c}`,
    `netns add ${i}`,
    `netns add ${v}`,
    `netns add ${d}`,
    `link add name ${lab.uplink} netns ${c} type veth peer name ${id}-i0 netns ${i}`,
    `link add name ${id}-i1 netns ${i} type veth peer name ${id}-v0 netns ${v}`,
    `link add name ${id}-i2 netns ${i} type veth peer name ${id}-d0 netns ${d}`,
  ]);
  lab.netnsInodes = [c, i, v, d].map(netnsInode);
  await Promise.all([
    ipBatch(c, [
      'link set lo up',
      `addr add ${LEAK_ADDR.client}/24 dev ${lab.uplink}`,
      `addr add ${LEAK_ADDR.lanClient}/16 dev ${lab.uplink}`,
      `addr add ${LEAK_ADDR.client6}/64 dev ${lab.uplink} nodad`,
      `addr add ${LEAK_ADDR.lanClient6}/64 dev ${lab.uplink} nodad`,
      `link set ${lab.uplink} up`,
      `route add default via ${LEAK_ADDR.isp}`,
      `route add ::/0 via ${LEAK_ADDR.isp6}`,
    ]),
    ipBatch(i, [
      'link set lo up',
      `addr add ${LEAK_ADDR.isp}/24 dev ${id}-i0`,
      `addr add ${LEAK_ADDR.lanHost}/16 dev ${id}-i0`,
      `addr add ${LEAK_ADDR.isp6}/64 dev ${id}-i0 nodad`,
      `addr add ${LEAK_ADDR.lanHost6}/64 dev ${id}-i0 nodad`,
      `addr add ${LEAK_ADDR.ispToVpn}/24 dev ${id}-i1`,
      `addr add ${LEAK_ADDR.ispToDecoy}/24 dev ${id}-i2`,
      `addr add ${LEAK_ADDR.ispToDecoy6}/64 dev ${id}-i2 nodad`,
      `link set ${id}-i0 up`,
      `link set ${id}-i1 up`,
      `link set ${id}-i2 up`,
      `route add ${LEAK_ADDR.tunnelNet} via ${LEAK_ADDR.vpn}`,
    ]),
    ipBatch(v, ['link set lo up', `addr add ${LEAK_ADDR.vpn}/24 dev ${id}-v0`, `link set ${id}-v0 up`, `route add default via ${LEAK_ADDR.ispToVpn}`]),
    ipBatch(d, [
      'link set lo up',
      `addr add ${LEAK_ADDR.decoy}/24 dev ${id}-d0`,
      `addr add ${LEAK_ADDR.decoy6}/64 dev ${id}-d0 nodad`,
      `link set ${id}-d0 up`,
      `route add default via ${LEAK_ADDR.ispToDecoy}`,
      `route add ::/0 via ${LEAK_ADDR.ispToDecoy6}`,
    ]),
  ]);
  await inNs(i, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
  await inNs(v, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  writeFileSync(join(lab.dir, 'count.nft'), countRuleset(`${id}-i0`));
  await inNs(i, 'nft', ['-f', join(lab.dir, 'count.nft')]);

  writeFileSync(join(lab.dir, 'responder.mjs'), RESPONDER);
  writeFileSync(join(lab.dir, 'probe.py'), PROBE);
  await Promise.all(
    (
      [
        [d, LEAK_ADDR.decoy],
        [v, LEAK_ADDR.tunnelServer],
        [i, LEAK_ADDR.lanHost],
      ] as const
    ).map(async ([ns, answer]) => {
      const log = join(lab.dir, `responder-${ns}.log`);
      const [cmd, args] = inNetns(ns, process.execPath, [join(lab.dir, 'responder.mjs'), answer]);
      spawnDetached(cmd, args, log);
      await waitUntil(`the responder in ${ns}`, () => readFileSync(log, 'utf8').includes('ready'), 10_000, 25);
    }),
  );

  const server = wgKeyPair();
  const client = wgKeyPair();
  writeFileSync(
    lab.serverConfig,
    ['[Interface]', `PrivateKey = ${server.privateKey}`, `ListenPort = ${LEAK_ADDR.wgPort}`, `Address = ${LEAK_ADDR.tunnelServer}/24`, '', '[Peer]', `PublicKey = ${client.publicKey}`, `AllowedIPs = ${LEAK_ADDR.tunnelClient}/32`, ''].join('\n'),
    { mode: 0o600 },
  );
  writeFileSync(
    lab.clientConfig,
    [
      '[Interface]',
      `PrivateKey = ${client.privateKey}`,
      `Address = ${LEAK_ADDR.tunnelClient}/32`,
      '',
      '[Peer]',
      `PublicKey = ${server.publicKey}`,
      `Endpoint = ${LEAK_ADDR.vpn}:${LEAK_ADDR.wgPort}`,
      'AllowedIPs = 0.0.0.0/0',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  rmSync(wgSocketPath(lab.wgServer), { force: true });
  await inNs(v, 'wg-quick', ['up', lab.serverConfig], WG_ENV);
  // Resolve the neighbours once (client, router, decoy): a first packet queued behind neighbour
  // discovery can miss a probe's short timeout, and a probe must fail only when it is blocked.
  await Promise.all(
    [LEAK_ADDR.decoy, LEAK_ADDR.decoy6, LEAK_ADDR.lanHost, LEAK_ADDR.lanHost6, LEAK_ADDR.vpn].map((host) => {
      const [cmd, args] = inNetns(c, 'ping', ['-c1', '-W3', '-n', '-q', host]);
      return run(cmd, args);
    }),
  );
}

export async function downLeakLab(lab: LeakLab): Promise<void> {
  live.delete(lab.id);
  teardownSync(lab.id);
  await sleep(0);
}

// ---------------------------------------------------------------------------------------------
// The client's tunnel (raw wg-quick, as the WireGuard driver runs it)

export interface TunnelUp {
  /** wg-quick up until the first reply through the tunnel (handshake included). */
  connectMs: number;
  wireguardGoPid: number;
}

/**
 * Brings the client's full tunnel up with wg-quick (wireguard-go), FwMark set when given (wg-quick
 * then routes with that mark as its table), and waits for a ping through it to the server's
 * tunnel address.
 */
export async function tunnelUp(lab: LeakLab, opts: { fwmark?: number; timeoutMs?: number; wait?: boolean } = {}): Promise<TunnelUp> {
  const base = readFileSync(lab.clientConfig, 'utf8');
  const config = join(lab.dir, 'run', `${lab.wgClient}.conf`);
  mkdirSync(join(lab.dir, 'run'), { recursive: true, mode: 0o700 });
  const text = opts.fwmark === undefined ? base : base.replace('[Interface]\n', `[Interface]\nFwMark = 0x${opts.fwmark.toString(16)}\n`);
  writeFileSync(config, text, { mode: 0o600 });
  rmSync(wgSocketPath(lab.wgClient), { force: true });
  const started = performance.now();
  await inNs(lab.clientNetns, 'wg-quick', ['up', config], WG_ENV);
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  while (opts.wait !== false) {
    const [cmd, args] = inNetns(lab.clientNetns, 'ping', ['-c1', '-W1', '-n', '-q', LEAK_ADDR.tunnelServer]);
    if ((await run(cmd, args, { allowFail: true })).code === 0) break;
    if (Date.now() > deadline) throw new Error('no reply through the tunnel');
  }
  const connectMs = performance.now() - started;
  const pid = findWireguardGo(lab.clientNetns, lab.wgClient);
  if (pid === null) throw new Error('wireguard-go not found after wg-quick up');
  return { connectMs, wireguardGoPid: pid };
}

/** The VPN server stops answering: its namespace drops the tunnel's UDP (handshakes never complete). */
export async function dropHandshakes(lab: LeakLab, drop: boolean): Promise<void> {
  const rules = drop
    ? `table inet tsl_leakfault {\n  chain input {\n    type filter hook input priority -10; policy accept;\n    udp dport ${LEAK_ADDR.wgPort} drop\n  }\n}\n`
    : 'table inet tsl_leakfault\ndelete table inet tsl_leakfault\n';
  const [cmd, args] = inNetns(lab.vpnNetns, 'nft', ['-f', '-']);
  await run(cmd, args, { input: rules });
}

/** wg-quick down of the client tunnel (clean stop). */
export async function tunnelDown(lab: LeakLab): Promise<void> {
  const pid = findWireguardGo(lab.clientNetns, lab.wgClient);
  await inNs(lab.clientNetns, 'wg-quick', ['down', join(lab.dir, 'run', `${lab.wgClient}.conf`)], WG_ENV).catch(() => '');
  if (pid !== null) await waitUntil('wireguard-go to exit', () => findWireguardGo(lab.clientNetns, lab.wgClient) === null, 5000).catch(() => killAndWait([pid], 'SIGKILL'));
  rmSync(wgSocketPath(lab.wgClient), { force: true });
}

/** SIGKILL of the client's wireguard-go: its interface (and wg-quick's routes over it) vanish. */
export async function killTunnel(lab: LeakLab): Promise<void> {
  const pid = findWireguardGo(lab.clientNetns, lab.wgClient);
  if (pid === null) throw new Error('no wireguard-go to kill');
  await killAndWait([pid], 'SIGKILL');
  await waitUntil('the WireGuard interface to vanish', async () => !(await inNs(lab.clientNetns, 'ip', ['-o', 'link', 'show'])).includes(lab.wgClient), 5000);
  rmSync(wgSocketPath(lab.wgClient), { force: true });
}

// ---------------------------------------------------------------------------------------------
// Probes and counters

export interface ProbeResult {
  name: string;
  /** An answer came back (the packet got out and through). */
  ok: boolean;
  error: string | null;
  ms: number;
}

export interface SocketProbe {
  name: string;
  kind: 'tcp' | 'udp' | 'dns-udp' | 'dns-tcp';
  host: string;
  port: number;
  dev?: string;
}

/** The standard set: every protocol to the IPv4 and IPv6 decoys, plain and bound to the uplink. */
export function decoyProbes(lab: LeakLab): SocketProbe[] {
  const out: SocketProbe[] = [];
  for (const [fam, host] of [['v4', LEAK_ADDR.decoy], ['v6', LEAK_ADDR.decoy6]] as const) {
    for (const dev of [undefined, lab.uplink]) {
      const tag = `${fam}${dev ? ' bound' : ''}`;
      out.push(
        { name: `tcp ${tag}`, kind: 'tcp', host, port: 80, dev },
        { name: `udp ${tag}`, kind: 'udp', host, port: 7, dev },
        { name: `dns-udp ${tag}`, kind: 'dns-udp', host, port: 53, dev },
        { name: `dns-tcp ${tag}`, kind: 'dns-tcp', host, port: 53, dev },
      );
    }
  }
  return out;
}

export function lanProbes(): SocketProbe[] {
  return [
    { name: 'lan tcp v4', kind: 'tcp', host: LEAK_ADDR.lanHost, port: 80 },
    { name: 'lan udp v6', kind: 'udp', host: LEAK_ADDR.lanHost6, port: 7 },
    { name: 'lan dns v4', kind: 'dns-udp', host: LEAK_ADDR.lanHost, port: 53 },
  ];
}

/** DNS to the tunnel's own resolver (the VPN server's tunnel address). */
export function tunnelDnsProbes(): SocketProbe[] {
  return [
    { name: 'tunnel dns-udp', kind: 'dns-udp', host: LEAK_ADDR.tunnelServer, port: 53 },
    { name: 'tunnel dns-tcp', kind: 'dns-tcp', host: LEAK_ADDR.tunnelServer, port: 53 },
  ];
}

/** An ordinary process sending to the VPN endpoint itself (no fwmark). */
export function endpointProbe(): SocketProbe[] {
  return [{ name: 'endpoint unmarked', kind: 'udp', host: LEAK_ADDR.vpn, port: LEAK_ADDR.wgPort }];
}

export async function probe(lab: LeakLab, probes: readonly SocketProbe[]): Promise<ProbeResult[]> {
  const [cmd, args] = inNetns(lab.clientNetns, 'python3', [join(lab.dir, 'probe.py'), JSON.stringify(probes)]);
  const r = await run(cmd, args, { timeoutMs: 60_000 });
  return JSON.parse(r.stdout) as ProbeResult[];
}

/** ICMP echo to both decoys, plain and bound to the uplink (`ping -I`). */
export async function pingProbes(lab: LeakLab): Promise<ProbeResult[]> {
  const one = async (name: string, host: string, dev?: string): Promise<ProbeResult> => {
    const started = performance.now();
    const [cmd, args] = inNetns(lab.clientNetns, 'ping', ['-c1', '-W1', '-n', '-q', ...(dev ? ['-I', dev] : []), host]);
    const r = await run(cmd, args, { allowFail: true });
    return { name, ok: r.code === 0, error: r.code === 0 ? null : (r.stderr.trim() || `exit ${String(r.code)}`), ms: performance.now() - started };
  };
  return Promise.all([
    one('icmp v4', LEAK_ADDR.decoy),
    one('icmp v6', LEAK_ADDR.decoy6),
    one('icmp v4 bound', LEAK_ADDR.decoy, lab.uplink),
    one('icmp v6 bound', LEAK_ADDR.decoy6, lab.uplink),
  ]);
}

export interface LeakCounters {
  link: number;
  endpoint: number;
  /** Packets to the VPN server's address on any other port (counted also as leaks). */
  endpoint_other: number;
  lan: number;
  leak_v4: number;
  leak_v6: number;
  leak_tcp: number;
  leak_udp: number;
  leak_icmp: number;
  leak_dns: number;
  leak_total: number;
}

/** The ISP router's counters of packets from the client, since the lab came up. */
export async function leakedPackets(lab: LeakLab): Promise<LeakCounters> {
  const json = JSON.parse(await inNs(lab.ispNetns, 'nft', ['-j', 'list', 'counters', 'table', 'inet', 'tsl_leakcount'])) as {
    nftables: { counter?: { name: string; packets: number } }[];
  };
  const out: LeakCounters = { link: 0, endpoint: 0, endpoint_other: 0, lan: 0, leak_v4: 0, leak_v6: 0, leak_tcp: 0, leak_udp: 0, leak_icmp: 0, leak_dns: 0, leak_total: 0 };
  for (const o of json.nftables) {
    const name = o.counter?.name;
    if (o.counter && name !== undefined && name in out) out[name as keyof LeakCounters] = o.counter.packets;
  }
  return out;
}

/** Counter increases between two readings. */
export function counterDelta(before: LeakCounters, after: LeakCounters): LeakCounters {
  const out = { ...after };
  for (const k of Object.keys(out) as (keyof LeakCounters)[]) out[k] = after[k] - before[k];
  return out;
}

/** Runs every probe once and returns the results with what the ISP saw meanwhile. */
export async function probeRound(lab: LeakLab, probes: readonly SocketProbe[]): Promise<{ results: ProbeResult[]; seen: LeakCounters }> {
  const before = await leakedPackets(lab);
  const [sockets, pings] = await Promise.all([probe(lab, probes), pingProbes(lab)]);
  // Let anything in flight reach the ISP's counters.
  await sleep(100);
  return { results: [...sockets, ...pings], seen: counterDelta(before, await leakedPackets(lab)) };
}

// ---------------------------------------------------------------------------------------------
// The same watch on any lab scenario (test/lab/topology.ts): the server namespace is the client's
// next hop, so counting there what arrives from the client is a packet monitor on its uplink.

export interface UplinkCounters {
  /** NDP, MLD and DHCP: what a link always carries. */
  link: number;
  /** What the caller said the tunnel itself sends (its endpoint). */
  expected: number;
  leak_total: number;
  leak_v6: number;
  leak_dns: number;
}

const UPLINK_TABLE = 'tsl_uplinkwatch';

/**
 * Counts every packet arriving on `iface` in `netns`: link traffic, what `expected` matches (nft
 * match expressions, e.g. `ip daddr 198.18.1.1 udp dport 1194`), and everything else as a leak.
 */
export async function watchUplink(netns: string, iface: string, expected: readonly string[]): Promise<void> {
  const rules = `table inet ${UPLINK_TABLE} {
  counter link { }
  counter expected { }
  counter leak_total { }
  counter leak_v6 { }
  counter leak_dns { }
  chain count {
    type filter hook prerouting priority -400; policy accept;
    iifname != "${iface}" return
    icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report } counter name "link" return
    udp sport { 68, 546 } udp dport { 67, 547 } counter name "link" return
${expected.map((e) => `    ${e} counter name "expected" return`).join('\n')}
    meta nfproto ipv6 counter name "leak_v6"
    meta l4proto { tcp, udp } th dport { 53, 853 } counter name "leak_dns"
    counter name "leak_total"
  }
}
`;
  const [cmd, args] = inNetns(netns, 'nft', ['-f', '-']);
  await run(cmd, args, { input: rules });
}

export async function uplinkCounters(netns: string): Promise<UplinkCounters> {
  const json = JSON.parse(await inNs(netns, 'nft', ['-j', 'list', 'counters', 'table', 'inet', UPLINK_TABLE])) as { nftables: { counter?: { name: string; packets: number } }[] };
  const out: UplinkCounters = { link: 0, expected: 0, leak_total: 0, leak_v6: 0, leak_dns: 0 };
  for (const o of json.nftables) {
    const name = o.counter?.name;
    if (o.counter && name !== undefined && name in out) out[name as keyof UplinkCounters] = o.counter.packets;
  }
  return out;
}

/** TCP, UDP and DNS to `host` on ports no tunnel uses, plain and bound to `dev`. */
export function hostProbes(host: string, dev: string): SocketProbe[] {
  return [undefined, dev].flatMap((d) => {
    const tag = d ? ' bound' : '';
    return [
      { name: `tcp ${host}${tag}`, kind: 'tcp' as const, host, port: 80, dev: d },
      { name: `udp ${host}${tag}`, kind: 'udp' as const, host, port: 7, dev: d },
      { name: `dns-udp ${host}${tag}`, kind: 'dns-udp' as const, host, port: 53, dev: d },
      { name: `dns-tcp ${host}${tag}`, kind: 'dns-tcp' as const, host, port: 53, dev: d },
    ];
  });
}

/**
 * Runs socket probes and pings (to each of `pingHosts`, plain and bound to `dev`) in `netns` and
 * returns what got through with what the uplink watch in `watchNetns` saw meanwhile.
 */
export async function uplinkRound(
  o: { netns: string; dir: string; dev: string; watchNetns: string },
  probes: readonly SocketProbe[],
  pingHosts: readonly string[],
): Promise<{ results: ProbeResult[]; seen: UplinkCounters }> {
  const script = join(o.dir, 'leak-probe.py');
  writeFileSync(script, PROBE);
  const before = await uplinkCounters(o.watchNetns);
  const ping = async (host: string, dev?: string): Promise<ProbeResult> => {
    const started = performance.now();
    const [cmd, args] = inNetns(o.netns, 'ping', ['-c1', '-W1', '-n', '-q', ...(dev ? ['-I', dev] : []), host]);
    const r = await run(cmd, args, { allowFail: true });
    return { name: `icmp ${host}${dev ? ' bound' : ''}`, ok: r.code === 0, error: r.code === 0 ? null : (r.stderr.trim() || `exit ${String(r.code)}`), ms: performance.now() - started };
  };
  const [cmd, args] = inNetns(o.netns, 'python3', [script, JSON.stringify(probes)]);
  const [sockets, ...pings] = await Promise.all([
    run(cmd, args, { timeoutMs: 60_000 }).then((r) => JSON.parse(r.stdout) as ProbeResult[]),
    ...pingHosts.flatMap((h) => [ping(h), ping(h, o.dev)]),
  ]);
  await sleep(100);
  const after = await uplinkCounters(o.watchNetns);
  const seen = { ...after };
  for (const k of Object.keys(seen) as (keyof UplinkCounters)[]) seen[k] = after[k] - before[k];
  return { results: [...(sockets ?? []), ...pings], seen };
}
