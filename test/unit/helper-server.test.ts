/**
 * The helper's socket server against raw clients: permissions, the handshake, validation of every
 * frame, refusal of unsafe profiles sent straight to the socket, and robustness under 10,000
 * malformed frames. Tunnels are not started here (see test/integration for real sessions): the
 * driver used is a scripted one that records what it was asked to do.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver, DriverContext, Prelaunched } from '../../electron/helper/drivers/driver.js';
import { LineFramer } from '../../electron/helper/framing.js';
import { HelperLog, redact } from '../../electron/helper/log.js';
import { mayUseHelper, parseGroup, parseUsers } from '../../electron/helper/peer.js';
import { HelperServer } from '../../electron/helper/server.js';
import { SessionManager } from '../../electron/helper/sessions.js';
import { HELPER_PROTOCOL_VERSION, MAX_FRAME_BYTES } from '../../shared/ipc/helper-protocol.js';
import type { ProfileKind } from '../../shared/profiles/kinds.js';

const dir = mkdtempSync(join(tmpdir(), 'tsunagu-helper-'));
chmodSync(dir, 0o755);
const socketPath = join(dir, 'helper.sock');
const started: DriverContext[] = [];

function scriptedDriver(ctx: DriverContext): Driver {
  started.push(ctx);
  return {
    start: async () => {
      ctx.events.state({ status: 'connecting', phase: 'connecting' });
      setTimeout(() => ctx.events.state({ status: 'connected', localIp: '10.8.0.2', remote: '198.18.1.1:1194', since: Date.now() }), 20);
    },
    provideCredentials: () => false,
    stop: async (reason) => ctx.events.state({ status: 'disconnected', reason }),
    interfaceName: () => 'tun9',
  };
}

/** Stand-ins for openvpn processes launched before the inspection. */
const launched: Array<{ workDir: string; abandoned: boolean }> = [];
function fakePrelaunch(target: { workDir: string }): Prelaunched {
  const handle = { workDir: target.workDir, abandoned: false };
  launched.push(handle);
  let exited = (): void => undefined;
  const exit = new Promise<void>((resolve) => { exited = resolve; });
  return {
    pid: 4242,
    usable: true,
    exit,
    abandon: () => { handle.abandoned = true; exited(); },
    residue: (sessionId) => ({ kind: 'openvpn', sessionId, pids: [4242], interfaceName: null, dnsRecords: [], configPath: null }),
  };
}

const log = new HelperLog(1000);
const sessions = new SessionManager({ runDir: dir, log, drivers: { openvpn: scriptedDriver, wireguard: scriptedDriver }, prelaunchers: { openvpn: fakePrelaunch } });
const server = new HelperServer({ socketPath, group: 'root', sessions, log });

beforeAll(async () => {
  await server.listen();
});
afterAll(async () => {
  await sessions.shutdown();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw NDJSON client that collects every message. */
class RawClient {
  readonly messages: Array<Record<string, unknown>> = [];
  private buffer = '';
  private waiters: Array<() => void> = [];
  constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      let nl;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        this.messages.push(JSON.parse(this.buffer.slice(0, nl)) as Record<string, unknown>);
        this.buffer = this.buffer.slice(nl + 1);
        for (const w of this.waiters.splice(0)) w();
      }
    });
  }
  static open(): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(socketPath);
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  send(text: string): void {
    this.socket.write(text);
  }
  async reply(id: number | null, predicate: (m: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = this.messages.find((m) => 'ok' in m && m['id'] === id && predicate(m));
      if (found) {
        this.messages.splice(this.messages.indexOf(found), 1);
        return found;
      }
      if (Date.now() > deadline) throw new Error(`no reply ${id}: ${JSON.stringify(this.messages.slice(-3))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
  async hello(): Promise<void> {
    this.send(`${JSON.stringify({ id: 1, type: 'hello', version: HELPER_PROTOCOL_VERSION, client: 'test' })}\n`);
    expect((await this.reply(1))['ok']).toBe(true);
  }
}

describe('helper socket', () => {
  it('is a root-owned socket with mode 0660 and the helper group', () => {
    const st = statSync(socketPath);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.uid).toBe(0);
    expect(st.gid).toBe(0);
  });

  it('refuses a uid outside root and the group at connect', () => {
    const probe = spawnSync(process.execPath, ['-e', `require('net').connect(${JSON.stringify(socketPath)}).on('connect', () => { console.log('connected'); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(0) })`], { uid: 65534, gid: 65534, encoding: 'utf8' });
    expect(probe.stdout.trim()).toBe('EACCES');
  });

  it('requires hello with the right version before anything else', async () => {
    const c = await RawClient.open();
    c.send(`${JSON.stringify({ id: 5, type: 'list' })}\n`);
    expect(await c.reply(5)).toMatchObject({ ok: false, error: { code: 'hello-required' } });
    c.send(`${JSON.stringify({ id: 6, type: 'hello', version: 999, client: 'x' })}\n`);
    expect(await c.reply(6)).toMatchObject({ ok: false, error: { code: 'version-mismatch' } });
    c.send(`${JSON.stringify({ id: 7, type: 'hello', version: HELPER_PROTOCOL_VERSION, client: 'x' })}\n`);
    expect(await c.reply(7)).toMatchObject({ ok: true, result: { version: HELPER_PROTOCOL_VERSION, uid: 0 } });
    c.socket.destroy();
  });

  it('answers malformed input with an error and keeps the connection', async () => {
    const c = await RawClient.open();
    await c.hello();
    c.send('this is not json\n');
    expect(await c.reply(null)).toMatchObject({ ok: false, error: { code: 'bad-json' } });
    c.send(`${JSON.stringify({ id: 3, type: 'connect', profile: { kind: 'openvpn' } })}\n`);
    expect(await c.reply(3)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    c.send(`${JSON.stringify({ id: 4, type: 'frobnicate' })}\n`);
    expect(await c.reply(4)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    c.send(`${'x'.repeat(MAX_FRAME_BYTES + 10)}\n`);
    expect(await c.reply(null, (m) => (m['error'] as { code: string }).code === 'frame-too-large')).toBeDefined();
    c.send(`${JSON.stringify({ id: 8, type: 'list' })}\n`);
    expect(await c.reply(8)).toMatchObject({ ok: true, result: { sessions: [] } });
    c.socket.destroy();
  });

  const CA = '<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>\n';
  const base = `client\ndev tun\nremote 198.18.1.1 1194\nremote-cert-tls server\nauth-user-pass\n${CA}`;
  const wg = '[Interface]\nPrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=\nAddress = 10.7.0.2/32\n\n[Peer]\nPublicKey = m58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=\nAllowedIPs = 10.7.0.0/24\nEndpoint = 198.18.1.1:51820\n';
  const unsafe: Array<[string, ProfileKind, string, string]> = [
    ['up', 'openvpn', `${base}up /tmp/pwn.sh\n`, "'up'"],
    ['plugin', 'openvpn', `${base}plugin /tmp/pwn.so\n`, "'plugin'"],
    ['management', 'openvpn', `${base}management 0.0.0.0 7505\n`, "'management'"],
    ['log to a system path', 'openvpn', `${base}log /etc/cron.d/pwn\n`, "'log'"],
    ['config', 'openvpn', `${base}config /etc/shadow\n`, "'config'"],
    ['setenv opt up', 'openvpn', `${base}setenv opt up /tmp/pwn.sh\n`, "'setenv opt up'"],
    ['WireGuard PostUp', 'wireguard', wg.replace('Address', 'PostUp = touch /tmp/pwn\nAddress'), "'PostUp'"],
  ];
  for (const [label, kind, text, named] of unsafe) {
    it(`refuses a profile with ${label} sent straight to the socket`, async () => {
      const before = started.length;
      const launchedBefore = launched.length;
      const c = await RawClient.open();
      await c.hello();
      c.send(`${JSON.stringify({ id: 2, type: 'connect', profile: { kind, text, name: 'evil' } })}\n`);
      const reply = await c.reply(2);
      expect(reply).toMatchObject({ ok: false, error: { code: 'profile-refused' } });
      expect((reply['error'] as { message: { en: string } }).message.en).toContain(named);
      expect(started.length).toBe(before);
      // An openvpn launched ahead is abandoned, and the session's directory is gone.
      const ahead = launched.slice(launchedBefore);
      expect(ahead).toHaveLength(kind === 'openvpn' ? 1 : 0);
      for (const l of ahead) {
        expect(l.abandoned).toBe(true);
        expect(existsSync(l.workDir)).toBe(false);
      }
      c.socket.destroy();
    });
  }

  it('drops a bare script-security 2 sent straight to the socket: it permits scripts and runs none, and none may run', async () => {
    const c = await RawClient.open();
    await c.hello();
    const before = started.length;
    c.send(`${JSON.stringify({ id: 2, type: 'connect', profile: { kind: 'openvpn', text: `${base}script-security 2\n`, name: 'permits' } })}\n`);
    const reply = await c.reply(2);
    expect(reply).toMatchObject({ ok: true });
    const ctx = started[before];
    expect(ctx?.inspection.canonical).toContain('remote 198.18.1.1');
    expect(ctx?.inspection.canonical).not.toContain('script-security');
    c.send(`${JSON.stringify({ id: 3, type: 'disconnect', sessionId: (reply['result'] as { sessionId: string }).sessionId })}\n`);
    expect(await c.reply(3)).toMatchObject({ ok: true });
    c.socket.destroy();
  });

  it('runs a valid profile through a driver, streams its state, and a client leaving does not end it', async () => {
    const c = await RawClient.open();
    await c.hello();
    c.send(`${JSON.stringify({ id: 2, type: 'subscribe' })}\n`);
    await c.reply(2);
    c.send(`${JSON.stringify({ id: 3, type: 'connect', profile: { kind: 'wireguard', text: wg, name: 'office' } })}\n`);
    const reply = await c.reply(3);
    const sessionId = (reply['result'] as { sessionId: string }).sessionId;
    expect(sessionId).toMatch(/^[a-f0-9]{16}$/);
    const ctx = started[started.length - 1];
    expect(ctx?.inspection.canonical).toContain('PrivateKey = qCi5');
    await expect.poll(() => c.messages.some((m) => m['event'] === 'stats' && m['sessionId'] === sessionId), { timeout: 3000 }).toBe(true);
    // Log lines are pushed only to subscribers that asked for them.
    expect(c.messages.some((m) => m['event'] === 'log')).toBe(false);
    c.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const d = await RawClient.open();
    await d.hello();
    d.send(`${JSON.stringify({ id: 2, type: 'list' })}\n`);
    const listed = (await d.reply(2))['result'] as { sessions: Array<{ id: string; state: { status: string }; uid: number }> };
    expect(listed.sessions.map((s) => [s.id, s.state.status, s.uid])).toEqual([[sessionId, 'connected', 0]]);
    d.send(`${JSON.stringify({ id: 5, type: 'subscribe', logs: true })}\n`);
    await d.reply(5);
    d.send(`${JSON.stringify({ id: 3, type: 'disconnect', sessionId })}\n`);
    expect(await d.reply(3)).toMatchObject({ ok: true, result: { sessionIds: [sessionId] } });
    await expect.poll(() => d.messages.some((m) => m['event'] === 'log' && (m['line'] as { sessionId: string }).sessionId === sessionId), { timeout: 3000 }).toBe(true);
    d.send(`${JSON.stringify({ id: 4, type: 'log', sessionId, lines: 50 })}\n`);
    const lines = ((await d.reply(4))['result'] as { lines: Array<{ text: string; uid: number }> }).lines;
    expect(lines.some((l) => l.text.includes('requested by uid 0') && l.uid === 0)).toBe(true);
    d.socket.destroy();
  });

  it('hands an openvpn launched ahead to the driver of an accepted profile', async () => {
    const c = await RawClient.open();
    await c.hello();
    const count = launched.length;
    c.send(`${JSON.stringify({ id: 2, type: 'connect', profile: { kind: 'openvpn', text: base, name: 'ahead' } })}\n`);
    const reply = await c.reply(2);
    expect(reply['ok']).toBe(true);
    expect(launched).toHaveLength(count + 1);
    const handle = launched.at(-1);
    expect(handle?.abandoned).toBe(false);
    expect(started.at(-1)?.prelaunched).toBeDefined();
    expect(started.at(-1)?.workDir).toBe(handle?.workDir);
    c.send(`${JSON.stringify({ id: 3, type: 'disconnect', all: true })}\n`);
    await c.reply(3);
    c.socket.destroy();
  });

  it('refuses two full-tunnel sessions with a clear error', async () => {
    const c = await RawClient.open();
    await c.hello();
    const full = wg.replace('AllowedIPs = 10.7.0.0/24', 'AllowedIPs = 0.0.0.0/0, ::/0').replace('Address = 10.7.0.2/32', 'Address = 10.7.0.2/32\nDNS = 10.7.0.1');
    c.send(`${JSON.stringify({ id: 2, type: 'connect', profile: { kind: 'wireguard', text: full, name: 'first' } })}\n`);
    const first = await c.reply(2);
    expect(first['ok']).toBe(true);
    const other = `${base}redirect-gateway def1\n`;
    c.send(`${JSON.stringify({ id: 3, type: 'connect', profile: { kind: 'openvpn', text: other, name: 'second' } })}\n`);
    const second = await c.reply(3);
    expect(second).toMatchObject({ ok: false, error: { code: 'route-conflict' } });
    // The same user: the other session is named.
    expect((second['error'] as { message: { en: string } }).message.en).toContain('“first”');
    expect(launched.at(-1)?.abandoned).toBe(true);
    c.send(`${JSON.stringify({ id: 4, type: 'disconnect', all: true })}\n`);
    await c.reply(4);
    c.socket.destroy();
  });

  it('survives 10,000 malformed and fuzzed frames and still answers', async () => {
    const c = await RawClient.open();
    await c.hello();
    const frame = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 3 }),
      fc.record({ id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), type: fc.constantFrom('hello', 'connect', 'disconnect', 'list', 'subscribe', 'credentials', 'log', 'x'), sessionId: fc.string({ maxLength: 40 }), profile: fc.anything({ maxDepth: 2 }) }).map((o) => JSON.stringify(o)),
      fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const frames = fc.sample(frame, 10_000).map((f) => `${f.replace(/\n/g, ' ')}\n`);
    for (let i = 0; i < frames.length; i += 500) c.send(frames.slice(i, i + 500).join(''));
    c.send(`${JSON.stringify({ id: 424242, type: 'list' })}\n`);
    const reply = await c.reply(424242);
    expect(reply['ok']).toBe(true);
    const d = await RawClient.open();
    await d.hello();
    d.socket.destroy();
    c.socket.destroy();
  }, 60_000);
});

describe('helper building blocks', () => {
  it('frames lines, drops oversize frames and carries on', () => {
    const f = new LineFramer(10);
    expect(f.push(Buffer.from('ab'))).toEqual([]);
    expect(f.push(Buffer.from('c\r\nde\n'))).toEqual([{ kind: 'line', text: 'abc' }, { kind: 'line', text: 'de' }]);
    expect(f.push(Buffer.from('0123456789ABC'))).toEqual([]);
    expect(f.push(Buffer.from('DEF\nok\n'))).toEqual([{ kind: 'oversize', bytes: 16 }, { kind: 'line', text: 'ok' }]);
  });

  it('redacts passwords, keys and tokens from log lines', () => {
    expect(redact('password "Auth" "hunter2"')).not.toContain('hunter2');
    expect(redact('auth-token abc.def')).not.toContain('abc.def');
    expect(redact('PrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=')).not.toContain('qCi5ug');
    expect(redact('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----')).not.toContain('MIIE');
    expect(redact('state CONNECTED 10.8.0.2')).toBe('state CONNECTED 10.8.0.2');
  });

  it('lets root and members of the group in, nobody else', () => {
    const users = parseUsers('alice:x:1001:1001::/home/alice:/bin/sh\nbob:x:1002:1002::/home/bob:/bin/sh\ncarol:x:1003:1500::/home/carol:/bin/sh\n');
    const group = parseGroup('root:x:0:\ntsunagu:x:1500:alice\n', 'tsunagu');
    expect(group).toEqual({ name: 'tsunagu', gid: 1500, members: ['alice'] });
    if (!group) return;
    expect(mayUseHelper({ pid: 1, uid: 0, gid: 0 }, group, users)).toBe(true);
    expect(mayUseHelper({ pid: 1, uid: 1001, gid: 1001 }, group, users)).toBe(true);
    expect(mayUseHelper({ pid: 1, uid: 1003, gid: 1003 }, group, users)).toBe(true);
    expect(mayUseHelper({ pid: 1, uid: 1002, gid: 1002 }, group, users)).toBe(false);
  });
});

describe('helper log ring', () => {
  it('keeps the newest lines in order once full', () => {
    const ring = new HelperLog(3);
    for (let i = 1; i <= 7; i++) ring.add('info', `line ${i}`, i % 2 ? 'aaaaaaaa' : 'bbbbbbbb');
    expect(ring.recent(10, 0).map((l) => l.text)).toEqual(['line 5', 'line 6', 'line 7']);
    expect(ring.recent(2, 0).map((l) => l.text)).toEqual(['line 6', 'line 7']);
    expect(ring.recent(10, 0, 'aaaaaaaa').map((l) => l.text)).toEqual(['line 5', 'line 7']);
  });
});
