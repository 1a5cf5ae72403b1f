// Issue 14: truthful state while the server does not answer, and recovery when the network comes back.
// The session manager with the real drivers and the real network watch, in one lab (openvpn-udp with
// a wireguard-split companion on the same link), sessions one after another. Needs root.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperEvent, TunnelState } from '../../shared/ipc/helper-protocol.js';
import { createWireGuardDriver } from '../../electron/helper/drivers/wireguard/index.js';
import { HelperLog } from '../../electron/helper/log.js';
import { prepareRunDir } from '../../electron/helper/main.js';
import { NetworkWatch } from '../../electron/helper/network-watch.js';
import { SessionManager } from '../../electron/helper/sessions.js';
import { companionInfo, diffHost, down, snapshotHost, up, type HostSnapshot, type LabInstance } from '../lab/index.js';
import { blockServerUdp, startPinger, unblockServerUdp, uplinkDown, uplinkUp } from '../lab/recovery.js';

const isRoot = process.getuid?.() === 0;

/** WireGuard's 20 s of silence (dump.ts DEFAULT_SILENCE_MS) shortened; the rule is the same. */
const SILENCE_MS = 2_000;
/** The lab server pushes keepalive 2 10; the profile ignores it for a 3 s ping-restart (same path, shorter wait). */
/** How long the block is kept after the state turned, to see it stay truthful while the tool retries. */
const HELD_BLOCKED_MS = 3_000;
const OPENVPN_FAST_PING = '\npull-filter ignore "ping"\nping 1\nping-restart 3\n';

describe.skipIf(!isRoot)('recovery (issue 14)', () => {
  let host: HostSnapshot;
  let lab: LabInstance;
  let runDir: string;
  let sessions: SessionManager;
  let watch: NetworkWatch | null = null;
  const states = new Map<string, TunnelState[]>();
  const waiters = new Set<() => void>();

  beforeAll(async () => {
    host = snapshotHost();
    lab = await up('openvpn-udp', { with: ['wireguard-split'] });
    runDir = mkdtempSync(join(tmpdir(), 'tsunagu-recovery-'));
    prepareRunDir(runDir);
    sessions = new SessionManager({
      runDir,
      log: new HelperLog(2000),
      netns: lab.clientNetns,
      drivers: { wireguard: (ctx) => createWireGuardDriver(ctx, { silenceMs: SILENCE_MS }) },
    });
    sessions.onEvent((e: HelperEvent) => {
      if (e.event !== 'state') return;
      states.set(e.sessionId, [...(states.get(e.sessionId) ?? []), e.state]);
      for (const w of waiters) w();
    });
  }, 60_000);

  afterAll(async () => {
    watch?.stop();
    await sessions?.shutdown();
    if (lab) await down(lab.id);
    if (runDir) rmSync(runDir, { recursive: true, force: true });
    expect(diffHost(host, snapshotHost())).toEqual([]);
  }, 60_000);

  function waitState(id: string, pred: (s: TunnelState) => boolean, timeoutMs: number, after = 0): Promise<TunnelState> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = (states.get(id) ?? []).slice(after).find(pred);
        if (!hit) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no such state within ${timeoutMs} ms; states: ${JSON.stringify(states.get(id) ?? [])}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }

  const mark = (id: string) => (states.get(id) ?? []).length;
  /** Every state since `first` is reconnecting with first's start. */
  const stillReconnecting = (id: string, first: TunnelState) => {
    const all = states.get(id) ?? [];
    const since = first.status === 'reconnecting' ? first.since : -1;
    return all.slice(all.indexOf(first)).every((s) => s.status === 'reconnecting' && s.since === since);
  };
  /** The session's state now is connected (it may never have left it). */
  const connectedNow = (id: string, timeoutMs: number) => waitState(id, (s) => s.status === 'connected' && (states.get(id) ?? []).at(-1) === s, timeoutMs);

  async function connect(kind: 'openvpn' | 'wireguard'): Promise<{ id: string; peer: string }> {
    const info = kind === 'openvpn' ? lab : companionInfo(lab, 'wireguard-split');
    const text = readFileSync(info.profile, 'utf8') + (kind === 'openvpn' ? OPENVPN_FAST_PING : '');
    const { sessionId } = await sessions.connect({ kind, text, name: `recovery ${kind}` }, {}, 0);
    await waitState(sessionId, (s) => s.status === 'connected', 15_000);
    return { id: sessionId, peer: info.tunnelPeerIp };
  }

  function setWatch(on: boolean): Promise<void> {
    watch?.stop();
    watch = on ? new NetworkWatch({ netns: lab.clientNetns, onChange: (cause) => sessions.networkRestored(cause), onLost: () => sessions.networkLost(), log: () => undefined }) : null;
    return watch?.start() ?? Promise.resolve();
  }

  /**
   * The uplink down, then up: ms from up to connected and to the first ping through. OpenVPN's
   * outage lasts until it reconnects (ping-restart); WireGuard's is 3 s: by itself it cannot tell
   * (with no route nothing leaves, wg counts no bytes, nothing goes unanswered), the network watch
   * tells it (`downMs`: from down to its "No network connection", which it keeps while down).
   */
  async function outage(kind: 'openvpn' | 'wireguard', id: string, peer: string): Promise<{ connectedMs: number; pingMs: number | null; downMs?: number }> {
    const pinger = startPinger(lab.clientNetns, peer);
    let downMs: number | undefined;
    try {
      const m = mark(id);
      const wentDown = Date.now();
      await uplinkDown(lab);
      if (kind === 'openvpn') await waitState(id, (s) => s.status === 'reconnecting', 10_000, m);
      else if (watch) {
        const r = await waitState(id, (s) => s.status === 'reconnecting', 3_000, m);
        downMs = Date.now() - wentDown;
        expect(r).toMatchObject({ reason: 'no-network', attempt: 1, message: { en: 'No network connection', ja: 'ネットワークに接続されていません' } });
        await new Promise((res) => setTimeout(res, Math.max(0, wentDown + 3_000 - Date.now())));
        expect(stillReconnecting(id, r)).toBe(true);
      } else {
        await new Promise((r) => setTimeout(r, 3_000));
        // Today's blind spot, kept as the comparison: nothing said while the uplink was gone.
        expect((states.get(id) ?? []).slice(m)).toEqual([]);
      }
      const restored = Date.now();
      await uplinkUp(lab);
      await connectedNow(id, 30_000);
      const connectedMs = Date.now() - restored;
      return { connectedMs, pingMs: await pinger.firstReplyAfter(restored, 30_000), ...(downMs === undefined ? {} : { downMs }) };
    } finally {
      pinger.stop();
      await uplinkUp(lab);
    }
  }

  it('WireGuard: the server\'s UDP blocked → reconnecting "No reply from the server" with since; unblocked → connected; latest handshake known', async () => {
    const { id, peer } = await connect('wireguard');
    expect(sessions.list(0).find((s) => s.id === id)?.lastHandshakeAt).toEqual(expect.any(Number));
    const pinger = startPinger(lab.clientNetns, peer);
    try {
      const m = mark(id);
      const blocked = Date.now();
      await blockServerUdp(lab);
      const r = await waitState(id, (s) => s.status === 'reconnecting', SILENCE_MS + 5_000, m);
      console.log(`WireGuard: UDP blocked → reconnecting after ${Date.now() - blocked} ms (threshold ${SILENCE_MS} ms)`);
      expect(r).toMatchObject({ reason: 'no-reply', attempt: 1, message: { en: 'No reply from the server', ja: 'サーバーから応答がありません' } });
      // The first unanswered send, seen at the next 1 s poll: around the block, not when the state turned.
      expect(r.status === 'reconnecting' ? r.since : 0).toBeGreaterThan(blocked - 1_500);
      expect(r.status === 'reconnecting' ? r.since : Infinity).toBeLessThan(blocked + 2_500);
      await new Promise((res) => setTimeout(res, HELD_BLOCKED_MS));
      expect(stillReconnecting(id, r)).toBe(true);
      const lifted = Date.now();
      await unblockServerUdp(lab);
      await waitState(id, (s) => s.status === 'connected', 10_000, m);
      console.log(`WireGuard: unblocked → connected after ${Date.now() - lifted} ms`);
    } finally {
      pinger.stop();
      await unblockServerUdp(lab);
    }
    await sessions.disconnect({ sessionId: id }, 0);
  });

  it('OpenVPN: the server\'s UDP blocked → reconnecting with the real reason (ping-restart) and since; unblocked → connected', async () => {
    const { id } = await connect('openvpn');
    const m = mark(id);
    const blocked = Date.now();
    await blockServerUdp(lab);
    try {
      const r = await waitState(id, (s) => s.status === 'reconnecting', 10_000, m);
      expect(r).toMatchObject({ reason: 'ping-restart', attempt: 1, message: { en: 'No reply from the server', ja: 'サーバーから応答がありません' } });
      expect(r.status === 'reconnecting' ? r.since : 0).toBeGreaterThanOrEqual(blocked);
      // openvpn retries (each attempt's steps are not news): still reconnecting, same start.
      await new Promise((res) => setTimeout(res, HELD_BLOCKED_MS));
      expect(stillReconnecting(id, r)).toBe(true);
    } finally {
      await unblockServerUdp(lab);
    }
    await waitState(id, (s) => s.status === 'connected', 20_000, m);
    await sessions.disconnect({ sessionId: id }, 0);
  });

  it('uplink down and up: with the network watch WireGuard says "No network connection" at once, both tunnels are usable again within 2 s (without it: printed)', async () => {
    const figures: string[] = [];
    for (const kind of ['openvpn', 'wireguard'] as const) {
      const { id, peer } = await connect(kind);
      await setWatch(false);
      const today = await outage(kind, id, peer);
      await setWatch(true);
      const watched = await outage(kind, id, peer);
      await setWatch(false);
      figures.push(`${kind}: ${watched.downMs === undefined ? '' : `down → "No network connection" ${watched.downMs} ms, `}up → connected ${watched.connectedMs} ms, first ping ${watched.pingMs} ms with the watch; ${today.connectedMs} / ${today.pingMs} ms without`);
      console.log(figures.at(-1));
      expect(watched.connectedMs).toBeLessThanOrEqual(2_000);
      // WireGuard says so within about a second of the uplink going (debounce 150 ms, then iproute2 read back).
      if (kind === 'wireguard') expect(watched.downMs ?? Infinity).toBeLessThanOrEqual(1_500);
      expect(watched.pingMs).not.toBeNull();
      expect(watched.pingMs ?? Infinity).toBeLessThanOrEqual(2_000);
      await sessions.disconnect({ sessionId: id }, 0);
    }
  }, 120_000);
});
