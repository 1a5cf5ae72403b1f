/**
 * Who sees what (issue 10, findings 3, 5 and 9): a caller sees only its own sessions, events and
 * log lines, root sees all; another user's session cannot be named, ended or answered; conflicts
 * do not reveal another user's profile name; routes the server pushes are checked when the driver
 * learns them (DriverEvents.routesKnown), ending the new session, never the existing one; control
 * characters are refused in names and escaped in log lines. Alice and Bob are child processes
 * with their own uids (helper-agent.ts); the helper runs in-process as root with `--group root`.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver, DriverContext } from '../../electron/helper/drivers/driver.js';
import { escapeControls, HelperLog, redact } from '../../electron/helper/log.js';
import { HelperServer } from '../../electron/helper/server.js';
import { SessionManager } from '../../electron/helper/sessions.js';
import { Agent } from './helper-agent.js';

const ALICE = 4001;
const BOB = 4002;
const dir = mkdtempSync(join(tmpdir(), 'tsunagu-visibility-'));
chmodSync(dir, 0o755);
const socketPath = join(dir, 'helper.sock');

/** Routes the next started driver reports as pushed by its server (then cleared). */
let nextPush: string[] | null = null;
const routeVerdicts: boolean[] = [];

function scriptedDriver(ctx: DriverContext): Driver {
  const push = nextPush;
  nextPush = null;
  return {
    start: async () => {
      ctx.events.state({ status: 'connecting', phase: 'connecting' });
      ctx.events.log('info', 'AUTH: sending username=alice-login to the server');
      ctx.events.credentialsRequired({ kind: 'userpass', retry: false });
      setTimeout(() => {
        if (push) {
          const ok = ctx.events.routesKnown(push);
          routeVerdicts.push(ok);
          if (!ok) return;
        }
        ctx.events.state({ status: 'connected', localIp: '10.7.0.2', remote: '198.18.1.1:51820', since: Date.now() });
      }, 10);
    },
    provideCredentials: () => true,
    stop: async (reason) => ctx.events.state({ status: 'disconnected', reason }),
    interfaceName: () => 'wg9',
  };
}

function wg(n: number, name: string, allowed = `10.7.${n}.0/24`): { kind: 'wireguard'; text: string; name: string } {
  return {
    kind: 'wireguard',
    name,
    text: `[Interface]\nPrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=\nAddress = 10.7.${n}.2/32\n\n[Peer]\nPublicKey = m58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=\nAllowedIPs = ${allowed}\nEndpoint = 198.18.1.1:51820\n`,
  };
}

const log = new HelperLog(5000);
const sessions = new SessionManager({ runDir: dir, log, statsIntervalMs: 30, drivers: { openvpn: scriptedDriver, wireguard: scriptedDriver } });
const server = new HelperServer({ socketPath, group: 'root', sessions, log });
let alice: Agent;
let bob: Agent;

beforeAll(async () => {
  await server.listen();
  alice = await Agent.open(socketPath, ALICE);
  bob = await Agent.open(socketPath, BOB);
  await alice.hello();
  await bob.hello();
  await alice.request(0, { id: 2, type: 'subscribe', logs: true });
  await bob.request(0, { id: 2, type: 'subscribe', logs: true });
});
afterAll(async () => {
  await alice.close();
  await bob.close();
  await sessions.shutdown();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const errorOf = (m: Record<string, unknown>) => m['error'] as { code: string; message: { en: string; ja: string }; conflict?: { network: string; sessionId?: string } };
let nextId = 100;
const id = () => ++nextId;

/** Event messages a client received about a session. */
function eventsAbout(agent: Agent, sessionId: string): Array<Record<string, unknown>> {
  return agent.messages().filter((m) => 'event' in m && (m['sessionId'] === sessionId || (m['line'] as { sessionId?: string } | undefined)?.sessionId === sessionId));
}

describe('each user sees only their own', () => {
  let aliceSession = '';

  it('sessions, states, stats, prompts and log lines of one user reach only that user (and root)', async () => {
    const reply = await alice.request(0, { id: id(), type: 'connect', profile: wg(50, 'alice-office') });
    aliceSession = (reply['result'] as { sessionId: string }).sessionId;
    await alice.until(() => eventsAbout(alice, aliceSession).some((m) => m['event'] === 'stats'), 'stats for alice');
    const mine = eventsAbout(alice, aliceSession).map((m) => m['event']);
    expect(mine).toEqual(expect.arrayContaining(['state', 'stats', 'credentials-required', 'log']));
    // Alice's log line had a user name in it; it is gone.
    const lines = eventsAbout(alice, aliceSession).flatMap((m) => (m['event'] === 'log' ? [(m['line'] as { text: string }).text] : []));
    expect(lines.some((t) => t.includes('username=[redacted]'))).toBe(true);
    expect(lines.join('\n')).not.toContain('alice-login');
    // Bob got nothing about it, and no helper-wide line either.
    expect(eventsAbout(bob, aliceSession)).toEqual([]);
    expect(bob.messages().filter((m) => m['event'] === 'log').every((m) => (m['line'] as { uid: number | null }).uid === BOB)).toBe(true);
    // list and log, likewise.
    expect(await bob.request(0, { id: id(), type: 'list' })).toMatchObject({ ok: true, result: { sessions: [] } });
    const bobLog = (await bob.request(0, { id: id(), type: 'log', lines: 5000 }))['result'] as { lines: Array<{ uid: number | null; text: string }> };
    expect(bobLog.lines.length).toBeGreaterThan(0);
    expect(bobLog.lines.every((l) => l.uid === BOB)).toBe(true);
    const aliceLog = (await alice.request(0, { id: id(), type: 'log', lines: 5000, sessionId: aliceSession }))['result'] as { lines: Array<{ uid: number | null }> };
    expect(aliceLog.lines.length).toBeGreaterThan(0);
    expect(aliceLog.lines.every((l) => l.uid === ALICE)).toBe(true);
    expect((await bob.request(0, { id: id(), type: 'log', lines: 5000, sessionId: aliceSession }))['result']).toEqual({ lines: [] });
    const aliceList = (await alice.request(0, { id: id(), type: 'list' }))['result'] as { sessions: Array<{ id: string; uid: number }> };
    expect(aliceList.sessions.map((s) => [s.id, s.uid])).toEqual([[aliceSession, ALICE]]);
    // Root sees everything, helper-wide lines included.
    expect(sessions.list(0).map((s) => s.id)).toEqual([aliceSession]);
    expect(log.recent(5000, 0).some((l) => l.uid === null && l.text.includes('listening on'))).toBe(true);
  });

  it("another user's session cannot be ended or answered, and is not even there", async () => {
    for (const message of [{ type: 'disconnect', sessionId: aliceSession }, { type: 'credentials', sessionId: aliceSession, credentials: { kind: 'cancel' } }]) {
      const reply = await bob.request(0, { id: id(), ...message });
      expect(errorOf(reply).code).toBe('no-such-session');
    }
    expect(await bob.request(0, { id: id(), type: 'disconnect', all: true })).toMatchObject({ ok: true, result: { sessionIds: [] } });
    expect(sessions.list(0).map((s) => s.id)).toEqual([aliceSession]);
  });

  it("a route conflict with another user's session does not name it", async () => {
    const reply = await bob.request(0, { id: id(), type: 'connect', profile: wg(51, 'bob-vpn', '10.7.50.128/25') });
    const error = errorOf(reply);
    expect(error.code).toBe('route-conflict');
    expect(error.message.en).toContain("another user's connection");
    expect(error.message.en).toContain('10.7.50.128/25');
    // The conflict in data names the network only: neither alice's session id nor her profile.
    expect(error.conflict).toEqual({ network: '10.7.50.128/25' });
    expect(JSON.stringify(reply)).not.toContain('alice-office');
    expect(JSON.stringify(reply)).not.toContain(aliceSession);
  });

  it('a route pushed by the server that conflicts ends the new session (route-conflict), never the existing one', async () => {
    const before = routeVerdicts.length;
    nextPush = ['0.0.0.0/1', '128.0.0.0/1'];
    const reply = await bob.request(0, { id: id(), type: 'connect', profile: wg(52, 'bob-split') });
    const bobSession = (reply['result'] as { sessionId: string }).sessionId;
    await bob.until(() => eventsAbout(bob, bobSession).some((m) => m['event'] === 'session-removed'), 'bob session removed');
    expect(routeVerdicts.slice(before)).toEqual([false]);
    const states = eventsAbout(bob, bobSession).flatMap((m) => (m['event'] === 'state' ? [m['state'] as { status: string; code?: string; message?: { en: string }; conflict?: { network: string; sessionId?: string } }] : []));
    expect(states.some((s) => s.status === 'connected')).toBe(false);
    const failed = states.find((s) => s.status === 'error');
    expect(failed?.code).toBe('route-conflict');
    expect(failed?.message?.en).toContain("another user's connection");
    // Alice's tunnel address is the first network both route; her session is not named.
    expect(failed?.conflict).toEqual({ network: '10.7.50.2/32' });
    expect(JSON.stringify(eventsAbout(bob, bobSession))).not.toContain('alice-office');
    expect(JSON.stringify(eventsAbout(bob, bobSession))).not.toContain(aliceSession);
    // Alice's tunnel is untouched, and she never heard of Bob's.
    expect(sessions.list(0).map((s) => [s.id, s.state.status])).toEqual([[aliceSession, 'connected']]);
    expect(eventsAbout(alice, bobSession)).toEqual([]);
  });

  it("one user's own split tunnel inside their full tunnel is fine; two overlapping split tunnels are not, and name the other", async () => {
    nextPush = ['0.0.0.0/0'];
    const full = (await alice.request(0, { id: id(), type: 'connect', profile: wg(53, 'alice-full') }))['result'] as { sessionId: string };
    await alice.until(() => sessions.list(ALICE).find((s) => s.id === full.sessionId && s.state.status === 'connected'), 'alice full tunnel');
    expect(sessions.list(ALICE).find((s) => s.id === full.sessionId)?.fullTunnel).toBe(true);
    const overlap = await alice.request(0, { id: id(), type: 'connect', profile: wg(54, 'alice-lab', '10.7.50.0/26') });
    expect(errorOf(overlap).code).toBe('route-conflict');
    expect(errorOf(overlap).message.en).toContain('“alice-office”');
    // Her own session, so the conflict in data names it: the app offers to disconnect exactly that one.
    expect(errorOf(overlap).conflict).toEqual({ network: '10.7.50.2/32', sessionId: aliceSession });
    await alice.request(0, { id: id(), type: 'disconnect', all: true });
    expect(sessions.list(0)).toEqual([]);
    // Bob never saw any of it.
    expect(bob.messages().filter((m) => m['event'] === 'session-removed')).toHaveLength(1);
  });
});

describe('control characters', () => {
  it('are refused in names: hello client, profile name, credential user names and answers; NUL/CR/LF in secrets', async () => {
    const profile = wg(60, 'fine');
    const attempts: Array<Record<string, unknown>> = [
      { type: 'hello', version: 1, client: 'app\n2026-01-01T00:00:00Z info forged line' },
      { type: 'connect', profile: { ...profile, name: 'office\u2028forged' } },
      { type: 'connect', profile: { ...profile, name: 'office\u001b[2J' } },
      { type: 'connect', profile: { ...profile, name: 'tab\there' } },
      { type: 'connect', profile: { ...profile, name: 'c1\u0085' } },
      { type: 'credentials', sessionId: 'aaaaaaaaaaaaaaaa', credentials: { kind: 'userpass', username: 'alice\nsignal SIGTERM', password: 'x' } },
      { type: 'credentials', sessionId: 'aaaaaaaaaaaaaaaa', credentials: { kind: 'userpass', username: 'alice', password: 'x\nsignal SIGTERM' } },
      { type: 'credentials', sessionId: 'aaaaaaaaaaaaaaaa', credentials: { kind: 'challenge', username: 'alice', password: 'x', response: '123\r\n456' } },
      { type: 'credentials', sessionId: 'aaaaaaaaaaaaaaaa', credentials: { kind: 'passphrase', passphrase: 'a\u0000b' } },
    ];
    for (const attempt of attempts) {
      const reply = await alice.request(0, { id: id(), ...attempt });
      expect(errorOf(reply).code, JSON.stringify(attempt)).toBe('bad-request');
    }
    // Profile text has newlines, of course; an ordinary password may hold anything else.
    const ok = await alice.request(0, { id: id(), type: 'credentials', sessionId: 'aaaaaaaaaaaaaaaa', credentials: { kind: 'userpass', username: 'alice', password: 'p\t"\u2028ä' } });
    expect(errorOf(ok).code).toBe('no-such-session');
  });

  it('are escaped in every log line (ring, subscribers, mirror)', () => {
    const mirrored: string[] = [];
    const ring = new HelperLog(10, (line) => mirrored.push(line.text));
    const line = ring.add('info', 'peer said: hi\n2026-01-01T00:00:00Z error forged\r\u001b[31m\u0085\u2028end');
    expect(line.text).toBe('peer said: hi\\n2026-01-01T00:00:00Z error forged\\r\\x1b[31m\\x85\\u2028end');
    expect(mirrored).toEqual([line.text]);
    expect(escapeControls('plain text, ünïcödé')).toBe('plain text, ünïcödé');
  });

  it('user names are redacted from log lines, the words around them kept', () => {
    expect(redact('username "Auth" alice')).toBe('username "Auth" [redacted]');
    expect(redact('AUTH: user=alice ok')).toBe('AUTH: user=[redacted] ok');
    expect(redact("login: 'bob smith' accepted")).toBe("login: [redacted] accepted");
    expect(redact('user "carol" authenticated')).toBe('user [redacted] authenticated');
    expect(redact("Need 'Auth' username/password")).toBe("Need 'Auth' username/password");
  });
});
