/**
 * The lifecycle every driver composes (electron/helper/drivers/lifecycle.ts): the order of states a
 * user sees whatever the tool, the first error winning, one teardown, the connect timer and the
 * residue record on disk.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectTimeoutState, DriverLifecycle, RESIDUE_FILE, type ErrorState } from '../../electron/helper/drivers/lifecycle.js';
import type { ResidueRecord } from '../../electron/helper/drivers/driver.js';
import type { LogLine, TunnelState } from '../../shared/ipc/helper-protocol.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface TestResidue extends ResidueRecord<'openvpn'> {
  step: number;
}

function rig(teardown: () => Promise<void> = () => Promise.resolve()) {
  const workDir = mkdtempSync(join(tmpdir(), 'tsu-lifecycle-'));
  dirs.push(workDir);
  const states: TunnelState[] = [];
  const logs: Array<[LogLine['level'], string]> = [];
  let teardowns = 0;
  const life = new DriverLifecycle<TestResidue>({
    events: { state: (s) => states.push(s) },
    log: (level, text) => logs.push([level, text]),
    workDir,
    teardown: () => {
      teardowns += 1;
      return teardown();
    },
  });
  return { life, states, logs, workDir, teardowns: () => teardowns };
}

const error = (code: string): ErrorState => ({ status: 'error', code, message: { en: `failed ${code}`, ja: `失敗 ${code}` } });
const residue = (step: number): TestResidue => ({ kind: 'openvpn', sessionId: 's1', pids: [step], step });
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await wait(5);
  }
}

describe('DriverLifecycle states', () => {
  it('drops a state equal to the last one reported; connected states are compared without `since`', () => {
    const { life, states } = rig();
    life.begin();
    life.emit({ status: 'connecting', phase: 'starting' });
    life.emit({ status: 'connecting', phase: 'starting' });
    life.emit({ status: 'connecting', phase: 'handshake' });
    life.emit({ status: 'connected', localIp: '10.0.0.2', remote: '198.18.1.1', since: 1 });
    life.emit({ status: 'connected', localIp: '10.0.0.2', remote: '198.18.1.1', since: 2 });
    life.emit({ status: 'reconnecting', reason: 'x', attempt: 1 });
    life.emit({ status: 'connected', localIp: '10.0.0.2', remote: '198.18.1.1', since: 3 });
    expect(states.map((s) => s.status)).toEqual(['connecting', 'connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('the first error wins: reported once, teardown begun once, later errors only logged and no state after', async () => {
    const { life, states, logs, teardowns } = rig();
    life.begin();
    life.emit({ status: 'connecting', phase: 'starting' });
    expect(life.fail(error('first'))).toBe(true);
    expect(life.fail(error('second'))).toBe(false);
    life.emit({ status: 'connected', localIp: '10.0.0.2', remote: 'r', since: 1 });
    expect(states).toEqual([{ status: 'connecting', phase: 'starting' }, error('first')]);
    expect(logs).toContainEqual(['error', 'failed first [first]']);
    expect(logs.some(([level, text]) => level === 'debug' && text.includes('[second]'))).toBe(true);
    expect(life.active).toBe(false);
    // stop() after an error: the teardown already under way, no disconnecting/disconnected.
    await life.stop('requested');
    expect(teardowns()).toBe(1);
    expect(states.at(-1)).toEqual(error('first'));
  });

  it('stop: disconnecting, then the teardown exactly once, then disconnected with the reason; a second stop is the same stop', async () => {
    let release = (): void => undefined;
    const { life, states, teardowns } = rig(() => new Promise<void>((r) => (release = r)));
    life.begin();
    life.emit({ status: 'connected', localIp: '10.0.0.2', remote: 'r', since: 1 });
    const first = life.stop('requested by the user');
    const second = life.stop('helper stopped');
    await wait(5);
    expect(states.at(-1)).toEqual({ status: 'disconnecting' });
    expect(life.stopping).toBe(true);
    // Nothing the tool reports while it goes down reaches the user.
    life.emit({ status: 'reconnecting', reason: 'x', attempt: 1 });
    expect(life.fail(error('late'))).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(teardowns()).toBe(1);
    expect(states.slice(1)).toEqual([{ status: 'disconnecting' }, { status: 'disconnected', reason: 'requested by the user' }]);
  });

  it('a teardown that fails still ends in disconnected, and stop() rejects with its error', async () => {
    const { life, states } = rig(() => Promise.reject(new Error('wg0 still present')));
    life.begin();
    await expect(life.stop('requested')).rejects.toThrow('wg0 still present');
    expect(states).toEqual([{ status: 'disconnecting' }, { status: 'disconnected', reason: 'requested' }]);
  });

  it('a failed teardown begun by fail() is not an unhandled rejection, and stop() reports it', async () => {
    const { life } = rig(() => Promise.reject(new Error('left behind')));
    life.begin();
    life.fail(error('x'));
    await wait(5);
    await expect(life.stop('after')).rejects.toThrow('left behind');
  });

  it('stop before begin runs nothing and reports nothing; begin then refuses', async () => {
    const { life, states, teardowns } = rig();
    await life.stop('early');
    expect(teardowns()).toBe(0);
    expect(states).toEqual([]);
    expect(life.begin()).toBe(false);
  });

  it('begin() only once', () => {
    const { life } = rig();
    expect(life.begin()).toBe(true);
    expect(life.begin()).toBe(false);
    expect(life.started && life.active).toBe(true);
  });

  it('endQuietly: no state of its own; stop then only tears down', async () => {
    const { life, states, teardowns } = rig();
    life.begin();
    life.emit({ status: 'connecting', phase: 'starting' });
    life.endQuietly();
    life.emit({ status: 'connecting', phase: 'handshake' });
    await life.stop('route conflict');
    expect(states).toEqual([{ status: 'connecting', phase: 'starting' }]);
    expect(teardowns()).toBe(1);
  });
});

describe('DriverLifecycle connect timer', () => {
  it('fires the error the driver names, once, when not connected in time', async () => {
    const { life, states, teardowns } = rig();
    life.begin();
    life.startConnectTimer(30, () => connectTimeoutState(30, 'last state WAIT'));
    await until(() => states.length > 0);
    await wait(50);
    expect(states).toHaveLength(1);
    expect(states[0]).toMatchObject({ status: 'error', code: 'connect-timeout', detail: 'last state WAIT' });
    expect(teardowns()).toBe(1);
  });

  it('time paused (the user typing a password) does not count', async () => {
    const { life, states } = rig();
    life.begin();
    // Generous margins: a loaded machine delays timers by tens of milliseconds.
    life.startConnectTimer(400, () => error('timeout'));
    await wait(100);
    life.pauseConnectTimer();
    const pausedAt = Date.now();
    await wait(500);
    expect(states).toEqual([]);
    life.resumeConnectTimer();
    const resumedAt = Date.now();
    await until(() => states.length > 0);
    // ~300 ms were left when it was paused: it fired that long after the resume, not at once.
    expect(Date.now() - resumedAt).toBeGreaterThanOrEqual(250);
    expect(resumedAt - pausedAt).toBeGreaterThanOrEqual(500);
    expect(states).toEqual([error('timeout')]);
  });

  it('cleared once connected: never fires, and resume does not bring it back', async () => {
    const { life, states } = rig();
    life.begin();
    life.startConnectTimer(60, () => error('timeout'));
    life.clearConnectTimer();
    life.resumeConnectTimer();
    await wait(150);
    expect(states).toEqual([]);
  });

  it('a teardown clears it', async () => {
    const { life, states } = rig();
    life.begin();
    life.startConnectTimer(40, () => error('timeout'));
    await life.stop('requested');
    await wait(80);
    expect(states.map((s) => s.status)).toEqual(['disconnecting', 'disconnected']);
  });

  it('connectTimeoutState speaks both languages', () => {
    const s = connectTimeoutState(12_000, null);
    expect(s).toMatchObject({ status: 'error', code: 'connect-timeout' });
    expect(s.message.en).toContain('12 seconds');
    expect(s.message.ja).toContain('12 秒');
    expect('detail' in s).toBe(false);
  });
});

describe('DriverLifecycle residue record', () => {
  const read = (dir: string): unknown => JSON.parse(readFileSync(join(dir, RESIDUE_FILE), 'utf8'));

  it('background saves write only the newest record of a burst, on the next turn; flush waits for it', async () => {
    const { life, workDir } = rig();
    for (let i = 1; i <= 5; i++) life.residue.save(residue(i));
    expect(existsSync(join(workDir, RESIDUE_FILE))).toBe(false);
    await life.residue.flush();
    expect(read(workDir)).toEqual(residue(5));
    life.residue.save(residue(6));
    await life.residue.flush();
    expect(read(workDir)).toEqual(residue(6));
    expect(readdirSync(workDir)).toEqual([RESIDUE_FILE]);
  });

  it('saveNow is on disk when it returns and supersedes a background save still to come', async () => {
    const { life, workDir } = rig();
    life.residue.save(residue(1));
    life.residue.saveNow(residue(2));
    expect(read(workDir)).toEqual(residue(2));
    await life.residue.flush();
    await wait(5);
    expect(read(workDir)).toEqual(residue(2));
  });

  it('close writes what was saved and ignores later saves; remove deletes the record', async () => {
    const { life, workDir } = rig();
    life.residue.save(residue(1));
    await life.residue.close();
    life.residue.save(residue(2));
    life.residue.saveNow(residue(3));
    await life.residue.flush();
    expect(read(workDir)).toEqual(residue(1));
    await life.residue.remove();
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('a write that fails is logged as a warning, not thrown', async () => {
    const { life, logs, workDir } = rig();
    rmSync(workDir, { recursive: true, force: true });
    life.residue.saveNow(residue(1));
    life.residue.save(residue(2));
    await life.residue.flush();
    expect(logs.filter(([level, text]) => level === 'warn' && text.startsWith('could not write the residue record'))).toHaveLength(2);
  });
});
