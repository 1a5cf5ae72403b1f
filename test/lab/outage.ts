/**
 * Issue 14's outage: the VPN server silent for a while, a kill switch on, leak probes meanwhile.
 */
import { readFileSync } from 'node:fs';
import type { SessionInfo, TunnelState } from '../../shared/ipc/helper-protocol.js';
import type { ProfileKind } from '../../shared/profiles/kinds.js';
import { Observer, profileOf, startHelperProcess, type RunningHelperProcess } from '../integration/helper-harness.js';
import { inNetns, run } from './exec.js';
import { down, up } from './index.js';
import { decoyProbes, downLeakLab, hostProbes, leakedPackets, probeRound, tunnelDnsProbes, uplinkCounters, uplinkRound, upLeakLab, watchUplink, type LeakLab, type ProbeResult } from './leaks.js';
import { ADDR, instanceNames } from './names.js';
import { blockServerUdp, unblockServerUdp } from './recovery.js';
import type { LabInstance } from './state.js';

const TABLE = 'tsl_leakoutage';

/**
 * The leak lab's VPN server silent both ways: every UDP datagram on its link dropped, in and out.
 * Dropping only what arrives (leaks.ts dropHandshakes) still lets out the server's passive
 * keepalive for data it got just before, which the client rightly counts as a reply.
 */
export async function blockLeakServerUdp(lab: LeakLab, on: boolean): Promise<void> {
  const dev = `${lab.id}-v0`;
  const rules = on
    ? `table inet ${TABLE} {
  chain input { type filter hook input priority -10; policy accept; iifname "${dev}" meta l4proto udp drop; }
  chain output { type filter hook output priority -10; policy accept; oifname "${dev}" meta l4proto udp drop; }
}
`
    : `table inet ${TABLE}\ndelete table inet ${TABLE}\n`;
  const [cmd, args] = inNetns(lab.vpnNetns, 'nft', ['-f', '-']);
  await run(cmd, args, { input: rules });
}

// ---------------------------------------------------------------------------------------------
// The outage scenario itself, shared by test/integration/kill-switch-outage.test.ts and
// bench/leaks-outage.ts: a full tunnel per kind through its own helper, the server's UDP blocked
// for a while, leak probes run again and again meanwhile.

export interface OutageSide {
  kind: 'wireguard' | 'openvpn';
  helper: RunningHelperProcess;
  observer: Observer;
  sessionId: string;
  /** One probe round; `leaked` is what the uplink watch counted as a leak meanwhile. */
  round(): Promise<{ ok: string[]; leaked: number }>;
  /** Leaks counted since the lab came up. */
  leakedTotal(): Promise<number>;
  block(on: boolean): Promise<void>;
  /** The probe that must answer while the tunnel carries traffic. */
  through: string;
}

const answered = (r: ProbeResult[]) => r.filter((p) => p.ok).map((p) => p.name);

async function connectThrough(helper: RunningHelperProcess, profile: { kind: ProfileKind; text: string; name: string }): Promise<{ observer: Observer; sessionId: string }> {
  const observer = await Observer.open(helper.socketPath);
  const { sessionId } = await observer.client.request('connect', { profile, options: { connectTimeoutSeconds: 20 } });
  await observer.waitForState(sessionId, 'connected', 25_000);
  return { observer, sessionId };
}

/** WireGuard full tunnel (kill switch on by default) in the leak lab, its ISP router counting. */
export async function wireguardOutageSide(lab: LeakLab): Promise<OutageSide> {
  const helper = await startHelperProcess(lab.clientNetns);
  // A keepalive makes wireguard-go handshake at once, with no traffic needed to start it.
  const text = `${readFileSync(lab.clientConfig, 'utf8')}PersistentKeepalive = 25\n`;
  const { observer, sessionId } = await connectThrough(helper, { kind: 'wireguard', text, name: 'outage wireguard' });
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

/** OpenVPN full tunnel (redirect-gateway: kill switch on by default) in the standard lab, its server namespace counting. */
export async function openvpnOutageSide(lab: LabInstance): Promise<OutageSide> {
  const names = instanceNames(lab.id);
  await watchUplink(lab.serverNetns, names.underlayServer, [`ip daddr ${ADDR.serverUnderlay} udp dport ${ADDR.ovpnPort}`]);
  const helper = await startHelperProcess(lab.clientNetns);
  const p = profileOf(lab);
  const { observer, sessionId } = await connectThrough(helper, { ...p, text: `${p.text}redirect-gateway def1\n`, name: 'outage openvpn' });
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

export const sessionOf = async (s: OutageSide): Promise<SessionInfo | undefined> => (await s.observer.client.request('list', {})).sessions.find((x) => x.id === s.sessionId);
const statesSince = (s: OutageSide, from: number): TunnelState[] => s.observer.events.slice(from).flatMap((e) => (e.event === 'state' && e.sessionId === s.sessionId ? [e.state] : []));

export interface OutageFigures {
  blockedAt: number;
  /** Per side, in the order given. */
  sides: {
    kind: OutageSide['kind'];
    before: { ok: string[]; leaked: number; traffic: string | undefined };
    /** Rounds started while the block lasted (the last may end after it lifted). */
    rounds: { ok: string[]; leaked: number }[];
    /** The first reconnecting state, ms into the block it arrived, the session's traffic then (null: it never turned). */
    turned: { state: TunnelState; atMs: number; traffic: string | undefined } | null;
    /** Every state sent while the block lasted. */
    during: TunnelState[];
    /** ms from the block lifted to connected again (null: not within `recoverMs`). */
    backMs: number | null;
    after: { ok: string[]; leaked: number; traffic: string | undefined } | null;
    /** Leaks from the first probe round before the block to the last one after it. */
    leakedOverall: number;
  }[];
}

/** The scenario: a probe round each, the block for `blockMs` with rounds again and again, the block lifted, a round each once back. */
export async function runOutage(sides: readonly OutageSide[], blockMs: number, recoverMs = 30_000): Promise<OutageFigures> {
  const baseline = await Promise.all(sides.map((s) => s.leakedTotal()));
  const before = await Promise.all(sides.map(async (s) => ({ ...(await s.round()), traffic: (await sessionOf(s))?.traffic })));
  const marks = sides.map((s) => s.observer.events.length);
  const blockedAt = Date.now();
  await Promise.all(sides.map((s) => s.block(true)));
  const turned = sides.map((s, i) =>
    s.observer.waitForState(s.sessionId, 'reconnecting', blockMs, marks[i] ?? 0).then(
      async (state) => ({ state, atMs: Date.now() - blockedAt, traffic: (await sessionOf(s))?.traffic }),
      () => null,
    ),
  );
  const liftAt = blockedAt + blockMs;
  const rounding = Promise.all(
    sides.map(async (s) => {
      const mine: { ok: string[]; leaked: number }[] = [];
      while (Date.now() < liftAt) mine.push(await s.round());
      return mine;
    }),
  );
  // Lifted on time; a round still under way finishes after it and is counted like the others.
  await new Promise((r) => setTimeout(r, Math.max(0, liftAt - Date.now())));
  const during = sides.map((s, i) => statesSince(s, marks[i] ?? 0));
  const liftMarks = sides.map((s) => s.observer.events.length);
  const liftedAt = Date.now();
  await Promise.all(sides.map((s) => s.block(false)));
  const turnedAt = await Promise.all(turned);
  const back = await Promise.all(
    sides.map((s, i) =>
      s.observer.waitForState(s.sessionId, 'connected', recoverMs, liftMarks[i] ?? 0).then(
        () => Date.now() - liftedAt,
        () => null,
      ),
    ),
  );
  const rounds = await rounding;
  const after = await Promise.all(sides.map(async (s, i) => (back[i] === null ? null : { ...(await s.round()), traffic: (await sessionOf(s))?.traffic })));
  const totals = await Promise.all(sides.map((s) => s.leakedTotal()));
  return {
    blockedAt,
    sides: sides.map((s, i) => ({
      kind: s.kind,
      before: before[i] ?? { ok: [], leaked: 0, traffic: undefined },
      rounds: rounds[i] ?? [],
      turned: turnedAt[i] ?? null,
      during: during[i] ?? [],
      backMs: back[i] ?? null,
      after: after[i] ?? null,
      leakedOverall: (totals[i] ?? 0) - (baseline[i] ?? 0),
    })),
  };
}

/**
 * Both sides of the outage (a WireGuard full tunnel in the leak lab, an OpenVPN one in the standard
 * lab, each with its own helper), for the test and for bench:leaks. `stop` takes down whatever
 * `start` got to, also after a failed start.
 */
export class OutageRig {
  private wg: LeakLab | undefined;
  private ovpn: LabInstance | undefined;
  readonly sides: OutageSide[] = [];

  async start(): Promise<void> {
    [this.wg, this.ovpn] = await Promise.all([upLeakLab(), up('openvpn-udp')]);
    this.sides.push(...(await Promise.all([wireguardOutageSide(this.wg), openvpnOutageSide(this.ovpn)])));
  }

  async stop(): Promise<void> {
    for (const s of this.sides) {
      await s.block(false).catch(() => undefined);
      s.observer.close();
      await s.helper.stop();
    }
    if (this.wg) await downLeakLab(this.wg);
    if (this.ovpn) await down(this.ovpn.id);
  }
}
