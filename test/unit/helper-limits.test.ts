/**
 * The helper's limits and robustness against a hostile group member (issue 10, findings 4 and 8):
 * thousands of idle connections, running out of file descriptors, unfinished input held across
 * connections, session and launch floods, and a 2 MiB junk profile. The server runs in-process as
 * root with `--group root`; other users are child processes with their own uid (helper-agent.ts).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type { Driver, DriverContext } from '../../electron/helper/drivers/driver.js';
import { HelperFailure, MAX_ERROR_DETAIL_CHARS } from '../../electron/helper/failure.js';
import { Inspector, WORKER_READY } from '../../electron/helper/inspector.js';
import { DEFAULT_LIMITS, LaunchBuckets, type HelperLimits } from '../../electron/helper/limits.js';
import { HelperLog } from '../../electron/helper/log.js';
import { GroupMembership } from '../../electron/helper/peer.js';
import { HelperServer } from '../../electron/helper/server.js';
import { SessionManager } from '../../electron/helper/sessions.js';
import { HELPER_PROTOCOL_VERSION } from '../../shared/ipc/helper-protocol.js';
import { Agent } from './helper-agent.js';

const dirs: string[] = [];
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function scriptedDriver(ctx: DriverContext): Driver {
  return {
    start: async () => {
      ctx.events.state({ status: 'connecting', phase: 'connecting' });
      setTimeout(() => ctx.events.state({ status: 'connected', localIp: '10.7.0.2', remote: '198.18.1.1:51820', since: Date.now() }), 10);
    },
    provideCredentials: () => false,
    stop: async (reason) => ctx.events.state({ status: 'disconnected', reason }),
    interfaceName: () => 'wg9',
  };
}

/** A WireGuard profile of its own: network 10.7.n.0/24. */
function wg(n: number): { kind: 'wireguard'; text: string; name: string } {
  return {
    kind: 'wireguard',
    name: `net${n}`,
    text: `[Interface]\nPrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=\nAddress = 10.7.${n}.2/32\n\n[Peer]\nPublicKey = m58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=\nAllowedIPs = 10.7.${n}.0/24\nEndpoint = 198.18.1.1:51820\n`,
  };
}

async function helper(limits: Partial<HelperLimits> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-limits-'));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  const socketPath = join(dir, 'helper.sock');
  const log = new HelperLog(5000);
  const sessions = new SessionManager({ runDir: dir, log, drivers: { openvpn: scriptedDriver, wireguard: scriptedDriver }, limits });
  const membership = new GroupMembership('root');
  const server = new HelperServer({ socketPath, group: 'root', sessions, log, limits, membership });
  await server.listen();
  const stop = async () => {
    await sessions.shutdown();
    await server.close();
  };
  stops.push(stop);
  return { socketPath, log, sessions, server, membership, stop };
}

/** An in-process root client: every line it receives, parsed. */
interface Conn {
  socket: Socket;
  lines: Array<Record<string, unknown>>;
  closed: boolean;
}

function connect(socketPath: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    const conn: Conn = { socket, lines: [], closed: false };
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      buffer += d;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        conn.lines.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>);
        buffer = buffer.slice(nl + 1);
      }
    });
    socket.on('close', () => { conn.closed = true; });
    socket.once('connect', () => resolve(conn));
    socket.once('error', reject);
  });
}

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function request(conn: Conn, message: Record<string, unknown> & { id: number }): Promise<Record<string, unknown>> {
  conn.socket.write(`${JSON.stringify(message)}\n`);
  return until(() => conn.lines.find((m) => 'ok' in m && m['id'] === message.id), `reply ${message.id}`);
}

const hello = { id: 1, type: 'hello', version: HELPER_PROTOCOL_VERSION, client: 'limits-test' };
const codeOf = (m: Record<string, unknown> | undefined) => (m?.['error'] as { code?: string } | undefined)?.code;

describe('connections', () => {
  it('caps connections per uid (32) and in total (256) with too-many-connections, reading no file per accept, and keeps serving', async () => {
    const h = await helper();
    const readsBefore = h.membership.reads;
    // Root: 2,000 idle connections, 100 at a time, each batch accepted before the next (connect()
    // returns before the helper accepts: 2,000 at once would overflow the listen backlog, EAGAIN).
    const root: Conn[] = [];
    for (let i = 0; i < 20; i++) {
      const admitted = h.server.connectionCount(0);
      const batch = await Promise.all(Array.from({ length: 100 }, () => connect(h.socketPath)));
      await until(() => batch.filter((c) => c.lines.length > 0).length + h.server.connectionCount(0) - admitted === 100, `batch ${i} accepted`);
      root.push(...batch);
    }
    await until(() => root.filter((c) => c.closed).length === 2000 - DEFAULT_LIMITS.connectionsPerUid, 'refused root connections to close');
    const refusedRoot = root.filter((c) => c.closed);
    expect(refusedRoot.every((c) => codeOf(c.lines[0]) === 'too-many-connections')).toBe(true);
    expect(h.server.connectionCount(0)).toBe(DEFAULT_LIMITS.connectionsPerUid);
    // Eight other users, 40 each: 32 + 8 × 32 would pass 256, so the total cap refuses the rest.
    const agents = await Promise.all(Array.from({ length: 8 }, (_, i) => Agent.open(h.socketPath, 3001 + i, 40)));
    await until(() => h.server.connectionCount() === DEFAULT_LIMITS.connections
      && agents.every((a) => Array.from({ length: 40 }, (_, c) => c).filter((c) => a.closed(c)).length + (h.server.connectionCount(3001 + agents.indexOf(a))) === 40), 'every agent connection settled');
    for (const [i, a] of agents.entries()) {
      expect(h.server.connectionCount(3001 + i)).toBeLessThanOrEqual(DEFAULT_LIMITS.connectionsPerUid);
      for (let c = 0; c < 40; c++) if (a.closed(c)) expect(codeOf(a.messages(c)[0])).toBe('too-many-connections');
    }
    expect(h.server.connectionCount()).toBe(DEFAULT_LIMITS.connections);
    // Membership came from the snapshot: not a file read per accept.
    expect(h.membership.reads - readsBefore).toBeLessThanOrEqual(1);
    // Refusals are logged once per uid and interval, not once per connection.
    expect(h.log.recent(5000, 0).filter((l) => l.text.includes('refused a connection')).length).toBeLessThanOrEqual(9);
    // An admitted idle connection still works, and room made by closing is usable at once.
    const idle = root.find((c) => !c.closed);
    if (!idle) throw new Error('no admitted root connection');
    expect(await request(idle, hello)).toMatchObject({ ok: true });
    for (const c of root) c.socket.destroy();
    await Promise.all(agents.map((a) => a.close()));
    await until(() => h.server.connectionCount() === 0, 'connections to be forgotten');
    const fresh = await connect(h.socketPath);
    await request(fresh, hello);
    expect(await request(fresh, { id: 2, type: 'list' })).toMatchObject({ ok: true, result: { sessions: [] } });
    fresh.socket.destroy();
  }, 60_000);

  it('survives running out of file descriptors (EMFILE at accept, no file read per accept): a session stays up and the helper serves again', async () => {
    const h = await helper({ connectionsPerUid: 10_000, connections: 10_000 });
    const first = await connect(h.socketPath);
    await request(first, hello);
    const { result } = await request(first, { id: 2, type: 'connect', profile: wg(1) }) as { result: { sessionId: string } };
    await until(() => h.sessions.list(0).find((s) => s.id === result.sessionId && s.state.status === 'connected'), 'session connected');
    const [soft, hard] = execFileSync('prlimit', ['--pid', String(process.pid), '--nofile', '--output', 'SOFT,HARD', '--noheadings'], { encoding: 'utf8' }).trim().split(/\s+/);
    const before = h.server.connectionCount();
    // Room for the agent's pipes and a few connections; then every accept fails with EMFILE. The
    // clients are another process: in this one their own socket() would fail first.
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${readdirSync('/proc/self/fd').length + 14}:${hard}`]);
    const seen = { admitted: 0, cut: 0 };
    let agent: Agent | null = null;
    try {
      const opened = await Agent.open(h.socketPath, 0, 60);
      agent = opened;
      await new Promise((r) => setTimeout(r, 500));
      seen.admitted = h.server.connectionCount() - before;
      // Node (libuv) closes what it cannot accept; nothing reaches the helper's code for those.
      seen.cut = Array.from({ length: 60 }, (_, c) => c).filter((c) => opened.closed(c) && opened.messages(c).length === 0).length;
    } finally {
      // Descriptors back first (the agent's connections and pipes), or prlimit itself cannot start.
      await agent?.close();
      await until(() => h.server.connectionCount() === before, 'the agent connections to be closed');
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${soft}:${hard}`]);
    }
    expect(seen.admitted).toBeLessThan(60);
    expect(seen.cut).toBeGreaterThan(0);
    // Still serving, and the session never noticed.
    const next = await connect(h.socketPath);
    await request(next, hello);
    const listed = await request(next, { id: 2, type: 'list' }) as { result: { sessions: Array<{ id: string; state: { status: string } }> } };
    expect(listed.result.sessions.map((s) => [s.id, s.state.status])).toEqual([[result.sessionId, 'connected']]);
    expect(await request(first, { id: 3, type: 'list' })).toMatchObject({ ok: true });
    next.socket.destroy();
    first.socket.destroy();
  }, 30_000);

  it('drops a connection whose unfinished input would pass the cap across all connections (input-too-large)', async () => {
    const h = await helper({ bufferedInputBytes: 8 * 1024 * 1024 });
    const conns = await Promise.all([0, 1, 2].map(() => connect(h.socketPath)));
    for (const c of conns) await request(c, hello);
    const chunk = 'x'.repeat(3.5 * 1024 * 1024);
    conns[0]?.socket.write(chunk);
    conns[1]?.socket.write(chunk);
    await until(() => h.server.bufferedInput === 7 * 1024 * 1024, 'two connections buffered');
    conns[2]?.socket.write(chunk);
    const dropped = conns[2];
    if (!dropped) throw new Error('no third connection');
    await until(() => dropped.closed, 'third connection dropped');
    expect(codeOf(dropped.lines.find((m) => m['ok'] === false))).toBe('input-too-large');
    expect(h.server.bufferedInput).toBe(7 * 1024 * 1024);
    // The others live on: finishing a frame frees its share.
    const c0 = conns[0];
    if (!c0) throw new Error('no first connection');
    c0.socket.write('\n');
    await until(() => c0.lines.some((m) => codeOf(m) === 'bad-json'), 'bad-json for the finished junk frame');
    expect(h.server.bufferedInput).toBe(3.5 * 1024 * 1024);
    expect(await request(c0, { id: 9, type: 'list' })).toMatchObject({ ok: true });
    for (const c of conns) c.socket.destroy();
  }, 30_000);
});

describe('group membership', () => {
  it('comes from a snapshot: a change is seen after the TTL, a failed re-read keeps the last one, a deleted group admits only root', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsunagu-groups-'));
    dirs.push(dir);
    const groupFile = join(dir, 'group');
    const passwdFile = join(dir, 'passwd');
    writeFileSync(groupFile, 'root:x:0:\ntsunagu:x:1500:alice\n');
    writeFileSync(passwdFile, 'alice:x:1001:1001::/:/bin/sh\nbob:x:1002:1002::/:/bin/sh\n');
    const m = new GroupMembership('tsunagu', { groupFile, passwdFile, ttlMs: 50 });
    expect(await m.load()).toEqual({ name: 'tsunagu', gid: 1500, members: ['alice'] });
    const bob = { pid: 1, uid: 1002, gid: 1002 };
    expect(await m.mayUse({ pid: 1, uid: 1001, gid: 1001 })).toBe(true);
    expect(await m.mayUse(bob)).toBe(false);
    writeFileSync(groupFile, 'root:x:0:\ntsunagu:x:1500:alice,bob\n');
    // Within the TTL the snapshot answers (no read); after it, the new member is in.
    const reads = m.reads;
    expect(await m.mayUse(bob)).toBe(false);
    expect(m.reads).toBe(reads);
    await new Promise((r) => setTimeout(r, 60));
    expect(await m.mayUse(bob)).toBe(true);
    // The files cannot be read (EMFILE, a replace under way): the last snapshot answers, nothing throws.
    rmSync(groupFile);
    await new Promise((r) => setTimeout(r, 60));
    await expect(m.mayUse(bob)).resolves.toBe(true);
    writeFileSync(groupFile, 'root:x:0:\n');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await m.mayUse(bob)).toBe(false);
    expect(await m.mayUse({ pid: 1, uid: 0, gid: 0 })).toBe(true);
  });
});

describe('sessions and launches', () => {
  it('refuses a uid more sessions than its cap (too-many-sessions), also when asked all at once', async () => {
    const h = await helper({ sessionsPerUid: 2 });
    await h.sessions.connect(wg(10), {}, 2001);
    await h.sessions.connect(wg(11), {}, 2001);
    await expect(h.sessions.connect(wg(12), {}, 2001)).rejects.toMatchObject({ code: 'too-many-sessions' });
    // Another user has a cap of its own.
    await h.sessions.connect(wg(13), {}, 2002);
    // Concurrent requests are counted while in flight.
    const burst = await Promise.allSettled([20, 21, 22, 23, 24].map((n) => h.sessions.connect(wg(n), {}, 2003)));
    expect(burst.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(burst.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as HelperFailure).map((e) => e.code)).toEqual(['too-many-sessions', 'too-many-sessions', 'too-many-sessions']);
    // Root (who could run openvpn itself) has no session cap.
    for (const n of [25, 26, 27]) await h.sessions.connect(wg(n), {}, 0);
    // Ending one makes room.
    const mine = h.sessions.list(2001);
    expect(mine).toHaveLength(2);
    await h.sessions.disconnect({ sessionId: mine[0]?.id }, 2001);
    await h.sessions.connect(wg(12), {}, 2001);
  });

  it('refuses a uid launching faster than its rate (too-many-launches); refused profiles count too', async () => {
    const h = await helper({ launchBurst: 3, launchesPerMinute: 3 });
    await h.sessions.connect(wg(30), {}, 2101);
    await expect(h.sessions.connect({ ...wg(31), text: `${wg(31).text}PostUp = touch /tmp/x\n` }, {}, 2101)).rejects.toMatchObject({ code: 'profile-refused' });
    await h.sessions.connect(wg(32), {}, 2101);
    await expect(h.sessions.connect(wg(33), {}, 2101)).rejects.toMatchObject({ code: 'too-many-launches' });
    await h.sessions.connect(wg(34), {}, 2102);
    for (const n of [35, 36, 37, 38]) await h.sessions.connect(wg(n), {}, 0);
  });

  it('token buckets refill at their rate', () => {
    let now = 0;
    const buckets = new LaunchBuckets(20, 20, () => now);
    for (let i = 0; i < 20; i++) expect(buckets.take(7)).toBe(true);
    expect(buckets.take(7)).toBe(false);
    expect(buckets.take(8)).toBe(true);
    now += 2900;
    expect(buckets.take(7)).toBe(false);
    now += 100;
    expect(buckets.take(7)).toBe(true);
    expect(buckets.take(7)).toBe(false);
    now += 3_600_000;
    for (let i = 0; i < 20; i++) expect(buckets.take(7)).toBe(true);
    expect(buckets.take(7)).toBe(false);
  });
});

/** 2 MiB of lines that are each an unknown directive: the engine's worst case in errors. */
function junk(): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < 2 * 1024 * 1024 - 16; i++) {
    const line = `x${(i % 65536).toString(16).padStart(4, '0')}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

describe('inspection', () => {
  it('a 2 MiB junk profile does not hold up another caller (list within 50 ms) and gets a small refusal', async () => {
    const h = await helper();
    const attacker = await connect(h.socketPath);
    const other = await connect(h.socketPath);
    await request(attacker, hello);
    await request(other, hello);
    let id = 10;
    const roundTrip = async () => {
      const t = performance.now();
      await request(other, { id: ++id, type: 'list' });
      await new Promise((r) => setTimeout(r, 5));
      return performance.now() - t - 5;
    };
    // This machine's own noise first (other test files run beside this one), then during the junk.
    const baseline: number[] = [];
    for (let i = 0; i < 20; i++) baseline.push(await roundTrip());
    const text = junk();
    attacker.socket.write(`${JSON.stringify({ id: 2, type: 'connect', profile: { kind: 'openvpn', name: 'junk', text } })}\n`);
    const latencies: number[] = [];
    while (!attacker.lines.some((m) => m['id'] === 2)) latencies.push(await roundTrip());
    const reply = attacker.lines.find((m) => m['id'] === 2);
    expect(codeOf(reply)).toBe('profile-refused');
    const size = JSON.stringify(reply).length;
    const detail = (reply?.['error'] as { detail: string }).detail;
    expect(detail).toMatch(/more errors/);
    const slowest = Math.max(...latencies);
    const noise = Math.max(...baseline);
    console.log(`junk profile: ${latencies.length} list round trips during its inspection, slowest ${slowest.toFixed(1)} ms (before it: ${noise.toFixed(1)} ms); refusal ${size} bytes`);
    expect(latencies.length).toBeGreaterThan(2);
    // The target: at most 50 ms more than the machine's own noise just before (both printed above);
    // guarded at twice that, as the repository's other timing tests are, so that a loaded CI
    // machine cannot fail it by chance. On the event loop, inspection took over a second with the
    // unbounded engine (about 70 ms with the bounded one).
    expect(slowest).toBeLessThan(2 * (noise + 50));
    expect(size).toBeLessThan(MAX_ERROR_DETAIL_CHARS + 4000);
    attacker.socket.destroy();
    other.socket.destroy();
  }, 30_000);

  it('an inspection over its time limit is killed and refused; another caller is served meanwhile, and a fresh worker takes the next', async () => {
    // The engine bounds its own work now (a 2 MiB profile takes well under a second), so a worker
    // that hangs on demand stands in for a pathological profile.
    const threads: Worker[] = [];
    const inspector = new Inspector({ allowScripts: false }, 300, 2, () => {
      const w = new Worker(`
        const { parentPort } = require('node:worker_threads');
        parentPort.on('message', (job) => {
          if (job.text === 'hang') for (;;);
          parentPort.postMessage({ id: job.id, ok: true, errorCount: 0, result: { ok: false, kind: job.kind, name: job.name, layer: 'L3', advisories: [], errors: [], profile: null, canonical: null, inlinedFiles: [] } });
        });
        parentPort.postMessage(${JSON.stringify(WORKER_READY)});
      `, { eval: true });
      threads.push(w);
      return w;
    });
    stops.push(() => inspector.close());
    const exited = new Set<Worker>();
    const t = performance.now();
    const hanging = inspector.inspect({ kind: 'openvpn', text: 'hang', name: 'evil' });
    // Meanwhile another caller's profile goes to the second worker at once.
    await until(() => threads.length > 0, 'first worker');
    const other = await inspector.inspect({ kind: 'openvpn', text: 'fine', name: 'other' });
    expect(other.result.name).toBe('other');
    expect(performance.now() - t).toBeLessThan(300);
    await expect(hanging).rejects.toMatchObject({ code: 'profile-refused', detail: expect.stringMatching(/^inspection-timeout/) });
    expect(performance.now() - t).toBeGreaterThanOrEqual(300);
    const first = threads[0];
    if (!first) throw new Error('no worker');
    first.once('exit', () => exited.add(first));
    await until(() => first.threadId === -1 || exited.has(first), 'the hung worker to be terminated');
    const next = await inspector.inspect({ kind: 'wireguard', text: 'fine', name: 'next' });
    expect(next.result.name).toBe('next');
  }, 30_000);

  it('caps error replies: message and detail are cut, saying how much was left out', () => {
    const error = new HelperFailure('internal', { en: 'e'.repeat(50_000), ja: 'j'.repeat(50_000) }, 'd'.repeat(1_000_000)).toError();
    expect(error.detail?.length).toBe(MAX_ERROR_DETAIL_CHARS);
    expect(error.detail).toMatch(/more characters\)$/);
    expect(JSON.stringify(error).length).toBeLessThan(8000);
  });
});
