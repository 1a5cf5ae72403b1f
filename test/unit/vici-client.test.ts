// ViciClient (and ViciCommands) against a scripted stand-in for charon on a temporary Unix socket:
// queueing, streamed events, event registration, timeouts, a peer that closes mid-reply or sends
// an oversized or malformed packet.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_QUEUED, ViciClient, ViciClientError } from '../../electron/helper/drivers/ikev2/vici/client.js';
import { PACKET, PacketReader, encodePacket, type ViciPacket, type ViciSection } from '../../electron/helper/drivers/ikev2/vici/codec.js';
import { ViciCommandError, ViciCommands } from '../../electron/helper/drivers/ikev2/vici/commands.js';

type Handler = (p: ViciPacket, peer: Peer) => void;

interface Peer {
  send(p: ViciPacket): void;
  raw(bytes: Uint8Array): void;
  socket: Socket;
}

/** A stand-in for charon: records what it receives and answers through `handler`. */
class FakeCharon {
  readonly seen: ViciPacket[] = [];
  readonly peers: Peer[] = [];
  closedPeers = 0;

  private constructor(
    readonly path: string,
    private readonly server: Server,
  ) {}

  static async start(path: string, handler: Handler): Promise<FakeCharon> {
    const server = createServer();
    const fake = new FakeCharon(path, server);
    server.on('connection', (socket) => {
      const peer: Peer = { socket, send: (p) => socket.write(encodePacket(p)), raw: (b) => socket.write(b) };
      fake.peers.push(peer);
      const reader = new PacketReader();
      socket.on('data', (d: Buffer) => {
        for (const p of reader.push(d)) {
          fake.seen.push(p);
          handler(p, peer);
        }
      });
      socket.on('error', () => undefined);
      socket.on('close', () => fake.closedPeers++);
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return fake;
  }

  close(): Promise<void> {
    for (const p of this.peers) p.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** charon's behaviour for the commands these tests use. */
function standardHandler(extra?: (p: ViciPacket, peer: Peer) => boolean): Handler {
  return (p, peer) => {
    if (extra?.(p, peer)) return;
    if (p.type === PACKET.EVENT_REGISTER || p.type === PACKET.EVENT_UNREGISTER) {
      peer.send({ type: p.name === 'no-such-event' ? PACKET.EVENT_UNKNOWN : PACKET.EVENT_CONFIRM });
    } else if (p.type === PACKET.CMD_REQUEST) {
      if (p.name === 'echo') peer.send({ type: PACKET.CMD_RESPONSE, message: p.message ?? {} });
      else peer.send({ type: PACKET.CMD_UNKNOWN });
    }
  };
}

const until = async (cond: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

async function rejection(p: Promise<unknown>): Promise<ViciClientError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ViciClientError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

let dir: string;
let fake: FakeCharon | null = null;
let client: ViciClient | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vici-client-'));
});
afterEach(async () => {
  client?.close();
  client = null;
  await fake?.close();
  fake = null;
  rmSync(dir, { recursive: true, force: true });
});

async function setup(handler: Handler, timeoutMs = 2000): Promise<{ fake: FakeCharon; client: ViciClient }> {
  fake = await FakeCharon.start(join(dir, 'charon.vici'), handler);
  client = await ViciClient.connect(fake.path, { timeoutMs });
  return { fake, client };
}

describe('ViciClient', () => {
  it('sends one command at a time and gives each reply to its own request', async () => {
    const pending: { p: ViciPacket; peer: Peer }[] = [];
    const { fake, client } = await setup((p, peer) => pending.push({ p, peer }));
    const replies = [client.request('echo', { n: '1' }), client.request('echo', { n: '2' }), client.request('echo', { n: '3' })];
    for (let i = 0; i < 3; i++) {
      await until(() => pending.length === 1);
      // The next command is not on the wire before this one is answered.
      await new Promise((r) => setTimeout(r, 20));
      expect(fake.seen).toHaveLength(i + 1);
      const next = pending.shift();
      next?.peer.send({ type: PACKET.CMD_RESPONSE, message: { reply: `to ${String(next.p.message?.['n'])}` } });
    }
    expect(await Promise.all(replies)).toEqual([{ reply: 'to 1' }, { reply: 'to 2' }, { reply: 'to 3' }]);
    expect(fake.seen.map((p) => [p.type, p.name, p.message])).toEqual([
      [PACKET.CMD_REQUEST, 'echo', { n: '1' }],
      [PACKET.CMD_REQUEST, 'echo', { n: '2' }],
      [PACKET.CMD_REQUEST, 'echo', { n: '3' }],
    ]);
  });

  it('streams a command\'s events while it runs: register, request, events, reply, unregister', async () => {
    const { fake, client } = await setup(
      standardHandler((p, peer) => {
        if (p.type !== PACKET.CMD_REQUEST || p.name !== 'initiate') return false;
        for (const msg of ['one', 'two', 'three']) peer.send({ type: PACKET.EVENT, name: 'control-log', message: { msg } });
        peer.send({ type: PACKET.EVENT, name: 'ike-updown', message: { up: 'yes' } });
        peer.send({ type: PACKET.CMD_RESPONSE, message: { success: 'yes' } });
        return true;
      }),
    );
    const updowns: ViciSection[] = [];
    await client.listen(['ike-updown'], (_name, msg) => updowns.push(msg));
    const logs: string[] = [];
    const reply = await client.request('initiate', { child: 'lab' }, { stream: 'control-log', onEvent: (m) => logs.push(String(m['msg'])) });
    expect(reply).toEqual({ success: 'yes' });
    expect(logs).toEqual(['one', 'two', 'three']);
    // An event the command does not stream goes to its listener, not to the command.
    expect(updowns).toEqual([{ up: 'yes' }]);
    expect(fake.seen.map((p) => [p.type, p.name])).toEqual([
      [PACKET.EVENT_REGISTER, 'ike-updown'],
      [PACKET.EVENT_REGISTER, 'control-log'],
      [PACKET.CMD_REQUEST, 'initiate'],
      [PACKET.EVENT_UNREGISTER, 'control-log'],
    ]);
  });

  it('delivers registered events to their listener (others are ignored); an unknown event is refused', async () => {
    const { fake, client } = await setup(standardHandler());
    const got: [string, ViciSection][] = [];
    await client.listen(['ike-updown', 'child-updown'], (name, msg) => got.push([name, msg]));
    const peer = fake.peers[0];
    peer?.send({ type: PACKET.EVENT, name: 'child-updown', message: { up: 'yes' } });
    peer?.send({ type: PACKET.EVENT, name: 'ike-updown', message: {} });
    peer?.send({ type: PACKET.EVENT, name: 'log', message: { msg: 'not registered' } });
    await until(() => got.length === 2);
    expect(got).toEqual([
      ['child-updown', { up: 'yes' }],
      ['ike-updown', {}],
    ]);
    const e = await rejection(client.listen(['no-such-event'], () => undefined));
    expect(e.code).toBe('vici-unknown-event');
    // Still usable afterwards.
    expect(await client.request('echo', { still: 'here' })).toEqual({ still: 'here' });
  });

  it('registers an event once for several listeners, and a command streams it without deregistering it', async () => {
    const { fake, client } = await setup(
      standardHandler((p, peer) => {
        if (p.type !== PACKET.CMD_REQUEST || p.name !== 'initiate') return false;
        peer.send({ type: PACKET.EVENT, name: 'control-log', message: { msg: 'during' } });
        peer.send({ type: PACKET.CMD_RESPONSE, message: {} });
        return true;
      }),
    );
    const a: string[] = [];
    const b: string[] = [];
    await client.listen(['control-log'], (_n, m) => a.push(String(m['msg'])));
    await client.listen(['control-log'], (_n, m) => b.push(String(m['msg'])));
    const own: string[] = [];
    await client.request('initiate', {}, { stream: 'control-log', onEvent: (m) => own.push(String(m['msg'])) });
    fake.peers[0]?.send({ type: PACKET.EVENT, name: 'control-log', message: { msg: 'after' } });
    await until(() => b.length === 2);
    expect({ a, b, own }).toEqual({ a: ['during', 'after'], b: ['during', 'after'], own: ['during'] });
    expect(fake.seen.map((p) => [p.type, p.name])).toEqual([
      [PACKET.EVENT_REGISTER, 'control-log'],
      [PACKET.CMD_REQUEST, 'initiate'],
    ]);
  });

  it('rejects an unknown command but stays usable (deregistering its stream first)', async () => {
    const { fake, client } = await setup(standardHandler());
    const e = await rejection(client.request('no-such-command', {}, { stream: 'control-log' }));
    expect(e.code).toBe('vici-unknown-command');
    expect(e.operation).toBe('no-such-command');
    expect(fake.seen.map((p) => p.type)).toEqual([PACKET.EVENT_REGISTER, PACKET.CMD_REQUEST, PACKET.EVENT_UNREGISTER]);
    expect(await client.request('echo', { ok: 'yes' })).toEqual({ ok: 'yes' });
  });

  it('resolves (does not throw) a reply with success = no', async () => {
    const { client } = await setup(standardHandler());
    expect(await client.request('echo', { success: 'no', errmsg: 'nope' })).toEqual({ success: 'no', errmsg: 'nope' });
  });

  it('times out a request that gets no reply, closes the connection and rejects the queued ones', async () => {
    const { fake, client } = await setup(() => undefined, 150);
    const closed: string[] = [];
    client.onClose((r) => closed.push(r.code));
    const started = Date.now();
    const first = rejection(client.request('silence'));
    const second = rejection(client.request('echo'));
    const e = await first;
    expect(e.code).toBe('vici-timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await second).code).toBe('vici-closed');
    expect(client.isClosed).toBe(true);
    expect(closed).toEqual(['vici-timeout']);
    await until(() => fake.closedPeers === 1);
    expect(fake.seen.map((p) => p.name)).toEqual(['silence']);
    expect((await rejection(client.request('echo'))).code).toBe('vici-closed');
  });

  it('uses a per-request timeout', async () => {
    const { client } = await setup(() => undefined, 5000);
    const started = Date.now();
    expect((await rejection(client.request('silence', {}, { timeoutMs: 50 }))).code).toBe('vici-timeout');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rejects with vici-closed when charon closes the connection in the middle of a reply', async () => {
    const { client } = await setup((_p, peer) => {
      const frame = encodePacket({ type: PACKET.CMD_RESPONSE, message: { success: 'yes', errmsg: 'x'.repeat(100) } });
      peer.raw(frame.subarray(0, 40));
      peer.socket.end();
    });
    const closed: ViciClientError[] = [];
    client.onClose((r) => closed.push(r));
    const e = await rejection(client.request('echo'));
    expect(e.code).toBe('vici-closed');
    expect(e.message).toMatch(/charon closed the connection \(40 bytes of an unfinished packet were dropped\)/);
    expect(closed.map((c) => c.code)).toEqual(['vici-closed']);
  });

  it('refuses an oversized packet from its length prefix and drops the connection', async () => {
    const { fake, client } = await setup((_p, peer) => {
      // Announces 1 MiB and sends only the first bytes: the client must not wait for (or hold) the rest.
      peer.raw(Uint8Array.of(0x00, 0x10, 0x00, 0x00, PACKET.CMD_RESPONSE, 3));
    });
    const e = await rejection(client.request('echo'));
    expect(e.code).toBe('vici-protocol');
    expect(e.message).toMatch(/packet-too-large.*1048576 bytes \(at most 524288\)/);
    await until(() => fake.closedPeers === 1);
  });

  it('drops the connection on a malformed reply or on a reply nobody asked for', async () => {
    const { client } = await setup((_p, peer) => peer.raw(Uint8Array.of(0, 0, 0, 3, PACKET.CMD_RESPONSE, 9, 9)));
    const e = await rejection(client.request('echo'));
    expect(e.code).toBe('vici-protocol');
    expect(e.message).toMatch(/unknown-element at byte 1/);

    await fake?.close();
    fake = await FakeCharon.start(join(dir, 'other.vici'), () => undefined);
    const c2 = await ViciClient.connect(fake.path, { timeoutMs: 2000 });
    const reasons: string[] = [];
    c2.onClose((r) => reasons.push(`${r.code}: ${r.message}`));
    await until(() => fake?.peers.length === 1);
    fake.peers[0]?.send({ type: PACKET.CMD_RESPONSE, message: {} });
    await until(() => reasons.length === 1);
    expect(reasons).toEqual(['vici-protocol: unexpected CMD_RESPONSE with no request pending']);
  });

  it('drops the connection when charon answers a registration with a command reply', async () => {
    const { client } = await setup((_p, peer) => peer.send({ type: PACKET.CMD_RESPONSE, message: {} }));
    const e = await rejection(client.listen(['ike-updown'], () => undefined));
    expect(e.code).toBe('vici-protocol');
    expect(e.message).toMatch(/unexpected CMD_RESPONSE while waiting for the reply to register/);
  });

  it('close() rejects what is pending, and later requests', async () => {
    const { client } = await setup(() => undefined);
    const p = rejection(client.request('echo'));
    const q = rejection(client.request('echo'));
    client.close();
    expect((await p).code).toBe('vici-closed');
    expect((await q).code).toBe('vici-closed');
    expect((await rejection(client.request('echo'))).code).toBe('vici-closed');
  });

  it(`refuses more than ${MAX_QUEUED} waiting operations`, async () => {
    const { client } = await setup(() => undefined);
    const all = Array.from({ length: MAX_QUEUED + 2 }, () => client.request('echo').catch((e: unknown) => e));
    const last = await all[all.length - 1];
    expect(last).toBeInstanceOf(ViciClientError);
    expect(last instanceof ViciClientError && last.code).toBe('vici-busy');
    client.close();
    await Promise.all(all);
  });

  it('survives a callback that throws', async () => {
    const logged: string[] = [];
    fake = await FakeCharon.start(
      join(dir, 'charon.vici'),
      standardHandler((p, peer) => {
        if (p.name !== 'streamer') return false;
        peer.send({ type: PACKET.EVENT, name: 'list-sa', message: { a: '1' } });
        peer.send({ type: PACKET.CMD_RESPONSE, message: {} });
        return true;
      }),
    );
    client = await ViciClient.connect(fake.path, { timeoutMs: 2000, log: (t) => logged.push(t) });
    const reply = await client.request('streamer', {}, {
      stream: 'list-sa',
      onEvent: () => {
        throw new Error('boom');
      },
    });
    expect(reply).toEqual({});
    expect(logged).toEqual(['VICI stream handler of streamer threw: boom']);
    expect(await client.request('echo', { x: 'y' })).toEqual({ x: 'y' });
  });

  it('fails to connect to a missing socket or a path too long for a Unix socket', async () => {
    const e = await rejection(ViciClient.connect(join(dir, 'missing.vici'), { timeoutMs: 1000 }));
    expect(e.code).toBe('vici-connect-failed');
    expect(e.message).toMatch(/ENOENT/);
    expect((await rejection(ViciClient.connect(`/tmp/${'x'.repeat(120)}`, { timeoutMs: 1000 }))).code).toBe('vici-connect-failed');
  });
});

describe('ViciCommands over the client', () => {
  it('maps success = no and CMD_UNKNOWN to command errors, and streams initiate\'s control-log', async () => {
    const { fake, client } = await setup(
      standardHandler((p, peer) => {
        if (p.type !== PACKET.CMD_REQUEST) return false;
        if (p.name === 'initiate') {
          peer.send({ type: PACKET.EVENT, name: 'control-log', message: { group: 'IKE', level: '0', 'ikesa-name': 'lab', 'ikesa-uniqueid': '3', msg: 'initiating' } });
          peer.send({ type: PACKET.EVENT, name: 'control-log', message: { group: 'IKE', level: '1', msg: 'received AUTHENTICATION_FAILED notify error' } });
          peer.send({ type: PACKET.CMD_RESPONSE, message: { success: 'no', errmsg: "establishing CHILD_SA 'lab' failed" } });
          return true;
        }
        if (p.name === 'load-conn') {
          peer.send({ type: PACKET.CMD_RESPONSE, message: { success: 'yes' } });
          return true;
        }
        return false;
      }),
    );
    const vici = new ViciCommands(client);
    expect(await vici.loadConn('lab', { version: '2', children: { lab: { remote_ts: ['10.0.0.0/8'] } } })).toEqual({ ok: true, value: undefined });
    expect(fake.seen.at(-1)?.message).toEqual({ lab: { version: '2', children: { lab: { remote_ts: ['10.0.0.0/8'] } } } });

    const logs: string[] = [];
    const r = await vici.initiate({ child: 'lab', ike: 'lab', timeout: 3000, loglevel: 1 }, (l) => logs.push(`${l.level} ${l.ikeSaName} ${l.msg}`));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBeInstanceOf(ViciCommandError);
      expect({ command: r.error.command, errmsg: r.error.errmsg, code: r.error.code }).toEqual({
        command: 'initiate',
        errmsg: "establishing CHILD_SA 'lab' failed",
        code: 'vici-command-failed',
      });
    }
    expect(logs).toEqual(['0 lab initiating', '1 null received AUTHENTICATION_FAILED notify error']);
    const initiate = fake.seen.find((p) => p.name === 'initiate');
    expect(initiate?.message).toEqual({ child: 'lab', timeout: '3000', ike: 'lab', loglevel: '1' });

    const unknown = await vici.clearCreds();
    expect(unknown.ok ? null : unknown.error.errmsg).toBe('charon does not know this command');
    await expect(vici.initiate({ child: 'lab', timeout: 0 })).rejects.toThrow(RangeError);
  });

  it('collects list-sa events into typed summaries', async () => {
    const { client } = await setup(
      standardHandler((p, peer) => {
        if (p.name !== 'list-sas') return false;
        for (const n of ['a', 'b']) {
          peer.send({
            type: PACKET.EVENT,
            name: 'list-sa',
            message: {
              [n]: {
                state: 'ESTABLISHED',
                version: '2',
                'local-vips': ['10.1.0.2', Uint8Array.of(0xff)],
                established: 'soon',
                'child-sas': { [`${n}-1`]: { name: n, 'bytes-in': '18446744073709551615', 'bytes-out': '12', 'local-ts': ['10.1.0.2/32'] } },
              },
            },
          });
        }
        peer.send({ type: PACKET.CMD_RESPONSE, message: {} });
        return true;
      }),
    );
    const r = await new ViciCommands(client).listSas({ noblock: true });
    if (!r.ok) throw r.error;
    expect(r.value.map((s) => [s.name, s.state, s.version, s.localVips, s.establishedSeconds])).toEqual([
      ['a', 'ESTABLISHED', 2, ['10.1.0.2'], null],
      ['b', 'ESTABLISHED', 2, ['10.1.0.2'], null],
    ]);
    // A counter past 2^53 is not a number we can represent exactly: null, not a rounded figure.
    expect(r.value[0]?.children[0]).toMatchObject({ key: 'a-1', name: 'a', bytesIn: null, bytesOut: 12, packetsIn: null, localTs: ['10.1.0.2/32'] });
  });
});
