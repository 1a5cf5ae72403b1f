/**
 * Issue 14: "reconnecting with the server's UDP blocked for 30 s" leaks nothing. One 30 s window for
 * both kinds at once, each in its own lab with its own helper (a helper serves one namespace): a
 * WireGuard full tunnel in the leak lab (its ISP router counts every packet, test/lab/leaks.ts) and
 * an OpenVPN full tunnel in the standard lab (its server namespace, the client's next hop, counts
 * them). Kill switch on by default for both; the drivers' real thresholds (WireGuard's 20 s of
 * silence, the lab server's `keepalive 2 10`), no test-only shortcuts.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionInfo, TunnelState } from '../../shared/ipc/helper-protocol.js';
import type { ProfileKind } from '../../shared/profiles/kinds.js';
import { down, up, type LabInstance } from '../lab/index.js';
import { decoyProbes, downLeakLab, hostProbes, leakedPackets, probeRound, tunnelDnsProbes, upLeakLab, uplinkCounters, uplinkRound, watchUplink, type LeakLab, type ProbeResult } from '../lab/leaks.js';
import { ADDR, instanceNames } from '../lab/names.js';
import { blockLeakServerUdp } from '../lab/outage.js';
import { blockServerUdp, unblockServerUdp } from '../lab/recovery.js';
import { Observer, profileOf, startHelperProcess, type RunningHelperProcess } from './helper-harness.js';

const BLOCK_MS = 30_000;
const answered = (r: ProbeResult[]) => r.filter((p) => p.ok).map((p) => p.name);

interface Side {
  kind: 'wireguard' | 'openvpn';
  helper: RunningHelperProcess;
  observer: Observer;
  sessionId: string;
  /** One probe round; `leaked` is what the uplink watch counted as a leak meanwhile. */
  round(): Promise<{ ok: string[]; leaked: number }>;
  /** Leaks counted since the lab came up. */
  leakedTotal(): Promise<number>;
  block(on: boolean): Promise<void>;
  /** What must answer once the tunnel is back. */
  through: string;
}

let wg: LeakLab | undefined;
let ovpn: LabInstance | undefined;
const sides: Side[] = [];

async function connect(helper: RunningHelperProcess, profile: { kind: ProfileKind; text: string; name: string }): Promise<{ observer: Observer; sessionId: string }> {
  const observer = await Observer.open(helper.socketPath);
  const { sessionId } = await observer.client.request('connect', { profile, options: { connectTimeoutSeconds: 20 } });
  await observer.waitForState(sessionId, 'connected', 25_000);
  return { observer, sessionId };
}

async function wireguardSide(lab: LeakLab): Promise<Side> {
  const helper = await startHelperProcess(lab.clientNetns);
  // A keepalive makes wireguard-go handshake at once, and keeps sending while the server is silent.
  const text = `${readFileSync(lab.clientConfig, 'utf8')}PersistentKeepalive = 25\n`;
  const { observer, sessionId } = await connect(helper, { kind: 'wireguard', text, name: 'outage wireguard' });
  return {
    kind: 'wireguard',
    helper,
    observer,
    sessionId,
    round: async () => {
      const { results, seen } = await probeRound(lab, [...decoyProbes(lab), ...tunnelDnsProbes()]);
      return { ok: answered(results), leaked: seen.leak_total };
    },
    leakedTotal: async () => (await leakedPackets(lab)).leak_total,
    block: (on) => blockLeakServerUdp(lab, on),
    through: 'tunnel dns-udp',
  };
}

async function openvpnSide(lab: LabInstance): Promise<Side> {
  const names = instanceNames(lab.id);
  await watchUplink(lab.serverNetns, names.underlayServer, [`ip daddr ${ADDR.serverUnderlay} udp dport ${ADDR.ovpnPort}`]);
  const helper = await startHelperProcess(lab.clientNetns);
  const p = profileOf(lab);
  // A full tunnel by its own routes: the kill switch is on by default.
  const { observer, sessionId } = await connect(helper, { ...p, text: `${p.text}redirect-gateway def1\n`, name: 'outage openvpn' });
  const dev = names.underlayClient;
  return {
    kind: 'openvpn',
    helper,
    observer,
    sessionId,
    round: async () => {
      const { results, seen } = await uplinkRound(
        { netns: lab.clientNetns, dir: lab.dir, dev, watchNetns: lab.serverNetns },
        [...hostProbes(ADDR.serverUnderlay, dev), ...hostProbes(ADDR.protectedHost, dev)],
        [ADDR.serverUnderlay, ADDR.protectedHost],
      );
      return { ok: answered(results), leaked: seen.leak_total };
    },
    leakedTotal: async () => (await uplinkCounters(lab.serverNetns)).leak_total,
    block: (on) => (on ? blockServerUdp(lab) : unblockServerUdp(lab)),
    through: `icmp ${ADDR.protectedHost}`,
  };
}

const statesSince = (s: Side, from: number): TunnelState[] => s.observer.events.slice(from).flatMap((e) => (e.event === 'state' && e.sessionId === s.sessionId ? [e.state] : []));
const sessionOf = async (s: Side): Promise<SessionInfo | undefined> => (await s.observer.client.request('list', {})).sessions.find((x) => x.id === s.sessionId);

beforeAll(async () => {
  [wg, ovpn] = await Promise.all([upLeakLab(), up('openvpn-udp')]);
  sides.push(...(await Promise.all([wireguardSide(wg), openvpnSide(ovpn)])));
}, 90_000);

afterAll(async () => {
  for (const s of sides) {
    await s.block(false).catch(() => undefined);
    s.observer.close();
    await s.helper.stop();
  }
  if (wg) await downLeakLab(wg);
  if (ovpn) await down(ovpn.id);
});

describe("kill switch: the server's UDP blocked for 30 s (WireGuard and OpenVPN full tunnels at once)", () => {
  it('reconnecting with the real reason and traffic "blocked", zero leaked during and over the whole run; both back by themselves after the block', async () => {
    const baseline = await Promise.all(sides.map((s) => s.leakedTotal()));
    await Promise.all(
      sides.map(async (s) => {
        expect((await sessionOf(s))?.traffic).toBe('tunnel');
        expect((await s.round()).ok).toContain(s.through);
      }),
    );
    const marks = sides.map((s) => s.observer.events.length);
    const blockedAt = Date.now();
    await Promise.all(sides.map((s) => s.block(true)));

    // Each side's state as it turns (with the traffic the helper reports then), while probes run
    // again and again through the whole window, both labs at once.
    const turned = sides.map((s, i) =>
      s.observer.waitForState(s.sessionId, 'reconnecting', BLOCK_MS, marks[i] ?? 0).then(async (state) => ({ state, atMs: Date.now() - blockedAt, traffic: (await sessionOf(s))?.traffic })),
    );
    const rounds = await Promise.all(
      sides.map(async (s) => {
        const mine: { ok: string[]; leaked: number }[] = [];
        while (Date.now() - blockedAt < BLOCK_MS) mine.push(await s.round());
        return mine;
      }),
    );
    const turnedAt = await Promise.all(turned);
    const during = sides.map((s, i) => statesSince(s, marks[i] ?? 0));
    const liftMarks = sides.map((s) => s.observer.events.length);
    const liftedAt = Date.now();
    await Promise.all(sides.map((s) => s.block(false)));

    const back = await Promise.all(
      sides.map(async (s, i) => {
        await s.observer.waitForState(s.sessionId, 'connected', 30_000, liftMarks[i] ?? 0);
        return Date.now() - liftedAt;
      }),
    );
    for (const [i, s] of sides.entries()) {
      const t = turnedAt[i];
      const mine = rounds[i] ?? [];
      console.log(`${s.kind}: reconnecting ${t?.atMs ?? '—'} ms into the block (${t?.state.status === 'reconnecting' ? t.state.reason : '—'}), ${mine.length} probe rounds, ${mine.reduce((n, r) => n + r.leaked, 0)} leaked; back ${back[i]} ms after the block lifted`);
      expect(mine.length).toBeGreaterThanOrEqual(3);
      for (const r of mine) {
        expect(r.leaked).toBe(0);
        // Nothing outside the tunnel answers: no socket bound to the uplink, no IPv6, not the server's own address.
        expect(r.ok.filter((n) => n.includes('bound') || n.includes(' v6') || n.includes(ADDR.serverUnderlay))).toEqual([]);
      }
      expect(t?.state).toMatchObject({ status: 'reconnecting', reason: s.kind === 'wireguard' ? 'no-reply' : 'ping-restart', message: { en: 'No reply from the server', ja: 'サーバーから応答がありません' } });
      expect(t?.traffic).toBe('blocked');
      // "since" is when the silence began (around the block), not when the state was sent.
      const since = t?.state.since ?? 0;
      expect(since).toBeGreaterThan(blockedAt - 1_500);
      expect(since).toBeLessThan(blockedAt + BLOCK_MS);
      // Truthful meanwhile: once reconnecting, never connected again while the block lasted.
      const mineDuring = during[i] ?? [];
      expect(mineDuring.slice(mineDuring.findIndex((x) => x.status === 'reconnecting'))).not.toContainEqual(expect.objectContaining({ status: 'connected' }));
    }
    await Promise.all(
      sides.map(async (s, i) => {
        expect((await sessionOf(s))?.traffic).toBe('tunnel');
        const after = await s.round();
        expect(after.ok).toContain(s.through);
        expect(after.leaked).toBe(0);
        expect((await s.leakedTotal()) - (baseline[i] ?? 0)).toBe(0);
      }),
    );
  }, 90_000);
});
