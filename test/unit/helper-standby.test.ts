/**
 * The helper's standby policy (electron/helper/standby.ts) through the session manager, with a
 * scripted driver and stand-in processes: when a standby is launched, who gets it, what never
 * touches it, and that it always goes away. The real openvpn standby is exercised in
 * test/integration/helper-sessions.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Driver, DriverContext, Prelaunched } from '../../electron/helper/drivers/driver.js';
import { HelperLog } from '../../electron/helper/log.js';
import { SessionManager } from '../../electron/helper/sessions.js';
import { STANDBY_MARKER, StandbyPool } from '../../electron/helper/standby.js';
import type { HelperEvent } from '../../shared/ipc/helper-protocol.js';

const CA = '<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>\n';
const profile = { kind: 'openvpn' as const, text: `client\ndev tun\nremote 198.18.1.1 1194\nremote-cert-tls server\nauth-user-pass\n${CA}`, name: 'office' };
const other = { ...profile, text: profile.text.replace('198.18.1.1', '198.18.1.2'), name: 'home' };
const evil = { ...profile, text: `${profile.text}up /tmp/pwn.sh\n`, name: 'evil' };

interface Fake extends Prelaunched {
  workDir: string;
  abandoned: boolean;
  /** Simulates the process dying on its own. */
  die(): void;
}

let nextPid = 5000;
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function rig(o: { standby: boolean; outcome?: 'connected' | 'error' }) {
  const runDir = mkdtempSync(join(tmpdir(), 'tsunagu-standby-'));
  dirs.push(runDir);
  const launched: Fake[] = [];
  const prelaunch = (target: { workDir: string }): Prelaunched => {
    let exited = (): void => undefined;
    const fake: Fake = {
      pid: nextPid++,
      workDir: target.workDir,
      abandoned: false,
      usable: true,
      exit: new Promise<void>((resolve) => { exited = resolve; }),
      abandon: () => { fake.abandoned = true; fake.die(); },
      die: () => { (fake as { usable: boolean }).usable = false; exited(); },
      residue: (sessionId) => ({ kind: 'openvpn', sessionId, pids: [fake.pid], interfaceName: null, dnsRecords: [], configPath: join(target.workDir, 'profile.ovpn') }),
    };
    launched.push(fake);
    return fake;
  };
  const started: DriverContext[] = [];
  const driver = (ctx: DriverContext): Driver => {
    started.push(ctx);
    return {
      start: async () => {
        setTimeout(() => ctx.events.state(o.outcome === 'error'
          ? { status: 'error', code: 'auth-failed', message: { en: 'no', ja: 'no' } }
          : { status: 'connected', localIp: '10.8.0.2', remote: '198.18.1.1:1194', since: Date.now() }), 5);
      },
      provideCredentials: () => false,
      stop: async (reason) => ctx.events.state({ status: 'disconnected', reason }),
      interfaceName: () => 'tun0',
    };
  };
  const sessions = new SessionManager({ runDir, log: new HelperLog(100), drivers: { openvpn: driver, wireguard: driver }, prelaunchers: { openvpn: prelaunch }, standby: o.standby });
  const events: HelperEvent[] = [];
  sessions.onEvent((e) => events.push(e));
  const settled = async (sessionId: string) => {
    for (let i = 0; i < 200; i++) {
      if (events.some((e) => e.event === 'state' && e.sessionId === sessionId && e.state.status !== 'connecting')) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    // The standby is launched just after the settling event has gone out.
    await new Promise((r) => setImmediate(r));
  };
  const sessionDirs = () => readdirSync(join(runDir, 'sessions')).sort();
  return { runDir, sessions, launched, started, settled, sessionDirs };
}

describe('standby openvpn (the next connect does not wait for openvpn to load)', () => {
  it('is launched only once a connect of its kind has settled, and the next connect takes it', async () => {
    const r = rig({ standby: true });
    const first = await r.sessions.connect(profile, {}, 1000);
    // The first connect's openvpn was launched for it (during the inspection), not a standby.
    expect(r.launched).toHaveLength(1);
    expect(r.started[0]?.prelaunched).toBe(r.launched[0]);
    await r.settled(first.sessionId);
    expect(r.launched).toHaveLength(2);
    const standby = r.launched[1];
    if (!standby) throw new Error('no standby');
    // Its directory is marked, and records the process for crash cleanup like any session's.
    expect(readFileSync(join(standby.workDir, STANDBY_MARKER), 'utf8').trim()).toBe(String(standby.pid));
    expect(JSON.parse(readFileSync(join(standby.workDir, 'residue.json'), 'utf8'))).toMatchObject({ kind: 'openvpn', pids: [standby.pid] });

    const second = await r.sessions.connect(other, {}, 1000);
    // Taken as is: no launch during this connect, the session is the standby's directory.
    expect(r.started[1]?.prelaunched).toBe(standby);
    expect(second.sessionId).toBe(standby.workDir.split('/').at(-1));
    expect(existsSync(join(standby.workDir, STANDBY_MARKER))).toBe(false);
    expect(standby.abandoned).toBe(false);
    await r.settled(second.sessionId);
    // Replaced once that connect settled.
    expect(r.launched).toHaveLength(3);
    await r.sessions.shutdown();
  });

  it('is never touched by a refused or conflicting profile', async () => {
    const r = rig({ standby: true });
    const first = await r.sessions.connect(profile, {}, 1000);
    await r.settled(first.sessionId);
    const standby = r.launched.at(-1);
    const count = r.launched.length;
    await expect(r.sessions.connect(evil, {}, 1000)).rejects.toMatchObject({ code: 'profile-refused' });
    await expect(r.sessions.connect(profile, {}, 1000)).rejects.toMatchObject({ code: 'already-connected' });
    // No launch for them, and the standby still waits, unread, in its marked directory.
    expect(r.launched).toHaveLength(count);
    expect(standby?.abandoned).toBe(false);
    expect(r.sessionDirs()).toEqual([first.sessionId, standby?.workDir.split('/').at(-1)].sort());
    await r.sessions.shutdown();
  });

  it('is also replaced after a connect that failed, and not launched for another kind', async () => {
    const r = rig({ standby: true, outcome: 'error' });
    const wg = { kind: 'wireguard' as const, name: 'wg', text: '[Interface]\nPrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=\nAddress = 10.7.0.2/32\n\n[Peer]\nPublicKey = m58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=\nAllowedIPs = 10.7.0.0/24\nEndpoint = 198.18.1.1:51820\n' };
    const w = await r.sessions.connect(wg, {}, 1000);
    await r.settled(w.sessionId);
    expect(r.launched).toHaveLength(0);
    const o = await r.sessions.connect(profile, {}, 1000);
    await r.settled(o.sessionId);
    expect(r.launched).toHaveLength(2);
    await r.sessions.shutdown();
  });

  it('that died is forgotten: its directory goes and the next connect launches openvpn itself', async () => {
    const r = rig({ standby: true });
    const first = await r.sessions.connect(profile, {}, 1000);
    await r.settled(first.sessionId);
    const standby = r.launched.at(-1);
    standby?.die();
    await new Promise((res) => setImmediate(res));
    expect(existsSync(standby?.workDir ?? '/')).toBe(false);
    await r.sessions.disconnect({ all: true }, 1000);
    const count = r.launched.length;
    const next = await r.sessions.connect(profile, {}, 1000);
    expect(r.launched).toHaveLength(count + 1);
    expect(r.started.at(-1)?.prelaunched).toBe(r.launched[count]);
    expect(next.sessionId).toBe(r.launched[count]?.workDir.split('/').at(-1));
    await r.sessions.shutdown();
  });

  it('is stopped, with its directory, when the helper shuts down', async () => {
    const r = rig({ standby: true });
    const first = await r.sessions.connect(profile, {}, 1000);
    await r.settled(first.sessionId);
    const standby = r.launched.at(-1);
    expect(standby?.usable).toBe(true);
    await r.sessions.shutdown();
    expect(standby?.usable).toBe(false);
    expect(r.sessionDirs()).toEqual([]);
  });

  it('is never launched with standby off', async () => {
    const r = rig({ standby: false });
    for (const p of [profile, other]) {
      const s = await r.sessions.connect(p, {}, 1000);
      await r.settled(s.sessionId);
    }
    expect(r.launched).toHaveLength(2);
    expect(r.started.map((c) => c.prelaunched)).toEqual(r.launched);
    await r.sessions.shutdown();
  });

  it('is retired, not replaced, after being idle for the idle limit', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'tsunagu-standby-'));
    dirs.push(runDir);
    const exits: Array<() => void> = [];
    let alive = true;
    const pool = new StandbyPool({
      sessionsDir: runDir,
      netns: null,
      log: new HelperLog(10),
      idleMs: 30,
      prelaunchers: {
        openvpn: () => ({
          pid: 77,
          get usable() { return alive; },
          exit: new Promise<void>((resolve) => exits.push(resolve)),
          abandon: () => { alive = false; for (const e of exits) e(); },
          residue: (sessionId) => ({ kind: 'openvpn', sessionId, pids: [77], interfaceName: null, dnsRecords: [], configPath: null }),
        }),
      },
    });
    pool.fill('openvpn');
    expect(pool.has('openvpn')).toBe(true);
    expect(readdirSync(runDir)).toHaveLength(1);
    await new Promise((res) => setTimeout(res, 80));
    expect(pool.has('openvpn')).toBe(false);
    expect(alive).toBe(false);
    expect(readdirSync(runDir)).toEqual([]);
    expect(pool.take('openvpn')).toBeNull();
    await pool.close();
  });
});
