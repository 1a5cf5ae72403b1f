/**
 * `npm run bench:leaks` (root) — the kill switch's figures (issue 14), on the leak lab
 * (test/lab/leaks.ts: client, ISP router counting the client's packets, WireGuard server, decoys):
 *   - leaked packets per scenario, as the ISP router counts them (target 0 wherever the kill
 *     switch is on; the 'off' rows show today's leaks),
 *   - time from tunnel loss to blocking (the table is static: nothing has to happen),
 *   - rule-apply latency (`nft -f -` in the client namespace, verified afterwards, median),
 *   - the connect latency of a raw WireGuard connect (wg-quick up → first reply through the
 *     tunnel) with the kill switch off and on, interleaved round by round, as a ratio.
 *   - the same scenarios through the real helper (bundled CLI in the client namespace): SIGKILL
 *     of wireguard-go (loss → the helper reporting the block), SIGKILL of the helper + restart,
 *     lockdown;
 *   - the connect through the helper (request → connected) with the kill switch off and on, per
 *     kind: WireGuard on the leak lab, OpenVPN (openvpn-udp, a full tunnel by the profile's
 *     redirect-gateway) and IKEv2 (ikev2-psk asking for 0.0.0.0/0) on the standard lab, in
 *     interleaved pairs (off/on, then on/off: the order alternates), as the median off, the median
 *     on, the median of the per-pair differences (added ms) and the ratio of the medians.
 * BENCH_ROUNDS (default 8) connect rounds, BENCH_APPLIES (default 20) applies.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundleCli } from '../build/bundle.js';
import { printOutageFigures } from './leaks-outage.js';
import type { HelperEvent } from '../shared/ipc/helper-protocol.js';
import { Observer, startHelperProcess, type RunningHelperProcess } from '../test/integration/helper-harness.js';
import { applyIntent, removeFirewall, verifyIntent } from '../electron/helper/firewall/apply.js';
import { TSUNAGU_FWMARK, type FirewallIntent } from '../electron/helper/firewall/intent.js';
import { inNetns, run } from '../test/lab/exec.js';
import {
  decoyProbes,
  downLeakLab,
  dropHandshakes,
  endpointProbe,
  killTunnel,
  lanProbes,
  probeRound,
  tunnelDnsProbes,
  tunnelDown,
  tunnelIntentFor,
  tunnelUp,
  upLeakLab,
  type LeakCounters,
  type LeakLab,
} from '../test/lab/leaks.js';
import { findWireguardGo } from '../test/lab/wireguard.js';
import { down, up } from '../test/lab/index.js';
import { writeIkeVariant } from '../test/lab/ikev2-client.js';
import { profileOf } from '../test/integration/helper-harness.js';
import type { ProfileKind } from '../shared/profiles/kinds.js';
import { median } from './stats.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 8);
const APPLIES = Number(process.env['BENCH_APPLIES'] ?? 20);

const tunnelIntent = tunnelIntentFor;

async function apply(lab: LeakLab, intent: FirewallIntent): Promise<number> {
  const r = await applyIntent(intent, { netns: lab.clientNetns });
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.detail}`);
  return r.value.applyMs;
}

async function reset(lab: LeakLab): Promise<void> {
  if (findWireguardGo(lab.clientNetns, lab.wgClient) !== null) await tunnelDown(lab);
  await dropHandshakes(lab, false);
  await removeFirewall({ netns: lab.clientNetns });
}

interface Row {
  scenario: string;
  killSwitch: boolean;
  answered: number;
  probes: number;
  seen: LeakCounters;
}

async function scenarios(lab: LeakLab): Promise<Row[]> {
  const probes = [...decoyProbes(lab), ...lanProbes(), ...tunnelDnsProbes(), ...endpointProbe()];
  const rows: Row[] = [];
  const measure = async (scenario: string, killSwitch: boolean) => {
    const { results, seen } = await probeRound(lab, probes);
    rows.push({ scenario, killSwitch, answered: results.filter((r) => r.ok).length, probes: results.length, seen });
  };

  await measure('no tunnel', false);
  await tunnelUp(lab, { fwmark: TSUNAGU_FWMARK });
  await measure('connected, v4-only tunnel', false);
  await killTunnel(lab);
  await measure('wireguard-go SIGKILLed', false);
  await reset(lab);

  await dropHandshakes(lab, true);
  await apply(lab, tunnelIntent(lab, false));
  await tunnelUp(lab, { fwmark: TSUNAGU_FWMARK, wait: false });
  await measure('connecting, handshakes dropped', true);
  await reset(lab);

  await apply(lab, tunnelIntent(lab, false));
  await tunnelUp(lab, { fwmark: TSUNAGU_FWMARK });
  await measure('connected, v4-only tunnel, LAN blocked', true);
  await apply(lab, tunnelIntent(lab, true));
  await measure('connected, LAN allowed', true);
  await apply(lab, tunnelIntent(lab, false));
  await killTunnel(lab);
  await measure('wireguard-go SIGKILLed', true);
  await apply(lab, { mode: 'blocked', allowLan: false });
  await measure('helper restarted (blocked)', true);
  await reset(lab);

  await apply(lab, { mode: 'lockdown', allowLan: false });
  await measure('always-on, no tunnel', true);
  await apply(lab, { mode: 'lockdown', allowLan: true });
  await measure('always-on, no tunnel, LAN allowed', true);
  await reset(lab);
  return rows;
}

/** Time from the tunnel's loss to traffic being blocked: the table does not change, so it is checked, not waited for. */
async function lossToBlock(lab: LeakLab): Promise<{ ms: number; sameTable: boolean; leaked: number }> {
  await apply(lab, tunnelIntent(lab, false));
  await tunnelUp(lab, { fwmark: TSUNAGU_FWMARK });
  await killTunnel(lab);
  const lost = performance.now();
  const v = await verifyIntent(tunnelIntent(lab, false), { netns: lab.clientNetns });
  const { seen } = await probeRound(lab, decoyProbes(lab));
  await reset(lab);
  // Nothing ran between the loss and the check: the figure is 0 by construction when the table held.
  return { ms: v.ok && v.value.length === 0 ? 0 : performance.now() - lost, sameTable: v.ok && v.value.length === 0, leaked: seen.leak_total };
}

async function netnsExecMs(lab: LeakLab): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const [cmd, args] = inNetns(lab.clientNetns, 'true');
    const t = performance.now();
    await run(cmd, args);
    samples.push(performance.now() - t);
  }
  return median(samples);
}

async function connects(lab: LeakLab): Promise<{ off: number[]; sequential: number[]; concurrent: number[] }> {
  const off: number[] = [];
  const sequential: number[] = [];
  const concurrent: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    off.push((await tunnelUp(lab, { fwmark: TSUNAGU_FWMARK })).connectMs);
    await reset(lab);

    // The strict order: the table first, then the tunnel.
    let t = performance.now();
    await apply(lab, tunnelIntent(lab, false));
    await tunnelUp(lab, { fwmark: TSUNAGU_FWMARK });
    sequential.push(performance.now() - t);
    await reset(lab);

    // Table and tunnel started together (the tunnel's packets are marked, so they pass either way).
    t = performance.now();
    await Promise.all([apply(lab, tunnelIntent(lab, false)), tunnelUp(lab, { fwmark: TSUNAGU_FWMARK })]);
    concurrent.push(performance.now() - t);
    await reset(lab);
  }
  return { off, sequential, concurrent };
}

interface HelperFigures {
  rows: Row[];
  /** SIGKILL of wireguard-go → the helper's `firewall` event saying blocked. */
  lossToReported: number[];
}

/** A connect through the helper with the kill switch off and on, in pairs (one kind). */
interface PairedConnects {
  kind: string;
  off: number[];
  on: number[];
  /** on − off of each pair. */
  added: number[];
}

/**
 * ROUNDS pairs of connects (request → connected, then disconnect) with the kill switch off and on,
 * the order alternating each pair (off first in even pairs), through one helper in `netns`.
 */
async function pairedConnects(kind: string, netns: string, profile: { kind: ProfileKind; text: string; name: string }): Promise<PairedConnects> {
  const helper = await startHelperProcess(netns);
  const o = await Observer.open(helper.socketPath);
  const out: PairedConnects = { kind, off: [], on: [], added: [] };
  const connect = async (killSwitch: boolean): Promise<number> => {
    const from = o.events.length;
    const t = performance.now();
    const { sessionId } = await o.client.request('connect', { profile, options: { killSwitch, connectTimeoutSeconds: 20 } });
    await o.waitForState(sessionId, 'connected', 25_000, from);
    const ms = performance.now() - t;
    if (killSwitch && (await o.client.request('firewall', {})).mode !== 'tunnel') throw new Error(`${kind}: the kill switch did not guard the connect`);
    await o.client.request('disconnect', { sessionId });
    // Each connect starts from a settled helper: a guarded session's table is removed after its
    // disconnect, and a connect queued behind that removal would be timing the disconnect.
    if (killSwitch) await o.waitFor((e: HelperEvent): e is Extract<HelperEvent, { event: 'firewall' }> => e.event === 'firewall' && e.status.mode === 'off', 5_000, from);
    return ms;
  };
  try {
    // One connect each way first (the tool's first start, caches), not counted.
    await connect(false);
    await connect(true);
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? [false, true] : [true, false];
      const ms: Record<string, number> = {};
      for (const killSwitch of order) ms[String(killSwitch)] = await connect(killSwitch);
      const off = ms['false'] ?? Number.NaN;
      const on = ms['true'] ?? Number.NaN;
      out.off.push(off);
      out.on.push(on);
      out.added.push(on - off);
    }
  } finally {
    o.close();
    await helper.stop();
  }
  return out;
}

/** The paired connect figures of OpenVPN and IKEv2, each on its own standard lab. */
async function standardLabConnects(): Promise<PairedConnects[]> {
  const out: PairedConnects[] = [];
  const ovpn = await up('openvpn-udp');
  try {
    const p = profileOf(ovpn);
    // A full tunnel by its own routes (the lab's server pushes only its inside network).
    out.push(await pairedConnects('OpenVPN (udp)', ovpn.clientNetns, { ...p, text: `${p.text}redirect-gateway def1\n`, name: 'bench openvpn' }));
  } finally {
    await down(ovpn.id);
  }
  const ike = await up('ikev2-psk');
  try {
    const p = profileOf({ ...ike, ...writeIkeVariant(ike, { remoteTs: ['0.0.0.0/0'] }) });
    out.push(await pairedConnects('IKEv2 (psk)', ike.clientNetns, { ...p, name: 'bench ikev2' }));
  } finally {
    await down(ike.id);
  }
  return out;
}

/** The scenarios through the real helper, as the app drives it. */
async function helperScenarios(lab: LeakLab): Promise<HelperFigures> {
  await bundleCli();
  const probes = [...decoyProbes(lab), ...lanProbes(), ...tunnelDnsProbes(), ...endpointProbe()];
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-bench-ks-'));
  const text = `${readFileSync(lab.clientConfig, 'utf8')}PersistentKeepalive = 25\n`;
  const out: HelperFigures = { rows: [], lossToReported: [] };
  let helper: RunningHelperProcess = await startHelperProcess(lab.clientNetns, dir);
  let o = await Observer.open(helper.socketPath);
  const measure = async (scenario: string, killSwitch: boolean) => {
    const { results, seen } = await probeRound(lab, probes);
    out.rows.push({ scenario: `helper: ${scenario}`, killSwitch, answered: results.filter((r) => r.ok).length, probes: results.length, seen });
  };
  const connect = async (killSwitch: boolean, allowLan = false): Promise<string> => {
    const from = o.events.length;
    const { sessionId } = await o.client.request('connect', { profile: { kind: 'wireguard', text, name: 'bench' }, options: { killSwitch, allowLan } });
    await o.waitForState(sessionId, 'connected', 20_000, from);
    return sessionId;
  };
  const disconnect = (sessionId: string) => o.client.request('disconnect', { sessionId });
  try {
    const off = await connect(false);
    await measure('connected', false);
    await disconnect(off);
    const on = await connect(true);
    await measure('connected', true);
    const iface = (await o.client.request('list', {})).sessions.find((x) => x.id === on)?.interfaceName ?? '';
    const pid = findWireguardGo(lab.clientNetns, iface);
    const from = o.events.length;
    const t = performance.now();
    if (pid !== null) process.kill(pid, 'SIGKILL');
    await o.waitFor((e: HelperEvent): e is Extract<HelperEvent, { event: 'firewall' }> => e.event === 'firewall' && e.status.mode === 'blocked', 15_000, from);
    out.lossToReported.push(performance.now() - t);
    await measure('wireguard-go SIGKILLed', true);
    await disconnect(on);
    await connect(true, true);
    await measure('connected, LAN allowed', true);
    o.close();
    await helper.stop('SIGKILL');
    await measure('helper SIGKILLed (no helper)', true);
    helper = await startHelperProcess(lab.clientNetns, dir);
    o = await Observer.open(helper.socketPath);
    await measure('helper restarted (blocked)', true);
    await o.client.request('unblock', {});
    await o.client.request('set-lockdown', { enabled: true });
    await measure('lockdown, no tunnel', true);
    await o.client.request('set-lockdown', { enabled: false });
  } finally {
    o.close();
    await helper.stop();
  }
  return out;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:leaks must run as root (network namespaces)');
  const lab = await upLeakLab();
  const paired: PairedConnects[] = [];
  try {
    const rows = await scenarios(lab);
    const loss = await lossToBlock(lab);
    const applies: number[] = [];
    for (let i = 0; i < APPLIES; i++) applies.push(await apply(lab, i % 2 === 0 ? tunnelIntent(lab, false) : { mode: 'blocked', allowLan: false }));
    await reset(lab);
    const netnsMs = await netnsExecMs(lab);
    const c = await connects(lab);
    const h = await helperScenarios(lab);
    rows.push(...h.rows);
    const wgText = `${readFileSync(lab.clientConfig, 'utf8')}PersistentKeepalive = 25\n`;
    paired.push(await pairedConnects('WireGuard', lab.clientNetns, { kind: 'wireguard', text: wgText, name: 'bench wireguard' }));

    const cols = ['leak_total', 'leak_v4', 'leak_v6', 'leak_tcp', 'leak_udp', 'leak_icmp', 'leak_dns', 'lan', 'endpoint'] as const;
    console.log('\nLeaked packets per scenario (counted on the ISP router; endpoint = packets to the WireGuard endpoint, lan = to the LAN host)');
    console.log(`${pad('scenario', 42)}${pad('kill switch', 13)}${pad('answered', 10)}${cols.map((k) => pad(k.replace('leak_', 'leaked '), 14)).join('')}`);
    for (const r of rows) {
      console.log(`${pad(r.scenario, 42)}${pad(r.killSwitch ? 'on' : 'off', 13)}${pad(`${r.answered}/${r.probes}`, 10)}${cols.map((k) => pad(String(r.seen[k]), 14)).join('')}`);
    }
    const on = rows.filter((r) => r.killSwitch);
    console.log(`\nleaked with the kill switch on: ${on.reduce((a, r) => a + r.seen.leak_total, 0)} packets in ${on.length} scenarios (target 0)`);
    console.log(`tunnel loss → blocking: ${loss.ms.toFixed(0)} ms (the table in force before the loss was still exactly in the kernel after it: ${loss.sameTable ? 'yes' : 'NO'}; leaked right after: ${loss.leaked})`);
    applies.sort((a, b) => a - b);
    console.log(
      `rule apply (one transaction replacing the table, tunnel ↔ blocked, checked from the echo; libnftables in-process, in the client netns): median ${median(applies).toFixed(1)} ms over ${APPLIES} (min ${applies[0]?.toFixed(1)}, max ${applies[applies.length - 1]?.toFixed(1)}); \`ip netns exec\` alone (what the nft command adds in the lab): ${netnsMs.toFixed(1)} ms`,
    );
    const mOff = median(c.off);
    const mSeq = median(c.sequential);
    const mCon = median(c.concurrent);
    console.log(`\nRaw WireGuard connect (wg-quick up → first reply through the tunnel), ${ROUNDS} interleaved rounds, medians:`);
    console.log(`${pad('kill switch', 44)}${pad('median ms', 12)}${pad('added ms', 10)}ratio`);
    console.log(`${pad('off', 44)}${pad(mOff.toFixed(1), 12)}${pad('-', 10)}1.00`);
    console.log(`${pad('on, table applied first (strict order)', 44)}${pad(mSeq.toFixed(1), 12)}${pad((mSeq - mOff).toFixed(1), 10)}${(mSeq / mOff).toFixed(2)}`);
    console.log(`${pad('on, table applied alongside wg-quick up', 44)}${pad(mCon.toFixed(1), 12)}${pad((mCon - mOff).toFixed(1), 10)}${(mCon / mOff).toFixed(2)}`);
    console.log(`SIGKILL of wireguard-go → the helper reports 'blocked': ${median(h.lossToReported).toFixed(0)} ms (traffic was blocked throughout: the table did not change)`);
  } finally {
    await downLeakLab(lab);
  }
  paired.push(...(await standardLabConnects()));
  printPaired(paired);
}

function printPaired(paired: PairedConnects[]): void {
  console.log(`\nConnect through the helper (request → connected), kill switch off vs on, ${ROUNDS} interleaved pairs per kind (order alternating), medians; with the kill switch the table goes in while the tool starts and 'connected' waits for its verification:`);
  console.log(`${pad('kind', 16)}${pad('off ms', 10)}${pad('on ms', 10)}${pad('added ms (median of pairs)', 28)}ratio`);
  for (const p of paired) {
    const off = median(p.off);
    const on = median(p.on);
    console.log(`${pad(p.kind, 16)}${pad(off.toFixed(1), 10)}${pad(on.toFixed(1), 10)}${pad(median(p.added).toFixed(1), 28)}${(on / off).toFixed(2)}`);
  }
}

await main();
await printOutageFigures();
