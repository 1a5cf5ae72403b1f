/**
 * The firewall controller's decisions (which intent holds, who may see and lift it, what a
 * restart restores), with the kernel replaced by a recorder; the real nft runs in
 * test/integration/kill-switch.test.ts.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultPolicyValues, type PolicyValues } from '../../shared/policy/table.js';
import { FirewallController, type GuardedSession } from '../../electron/helper/firewall/controller.js';
import { TSUNAGU_FWMARK, type FirewallIntent, type Result } from '../../electron/helper/firewall/intent.js';
import type { ApplyReport } from '../../electron/helper/firewall/apply.js';
import { HelperLog } from '../../electron/helper/log.js';

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function rig(o: { dir?: string; policy?: Partial<PolicyValues>; fail?: () => boolean } = {}) {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'tsunagu-fwc-'));
  chmodSync(dir, 0o700);
  dirs.push(dir);
  const applied: FirewallIntent[] = [];
  const policy = { ...defaultPolicyValues(), ...o.policy };
  const apply = (intent: FirewallIntent): Promise<Result<ApplyReport>> => {
    if (o.fail?.()) return Promise.resolve({ ok: false, error: { code: 'firewall-apply-failed', message: { en: 'no', ja: 'いいえ' }, detail: 'nft said no' } });
    applied.push(intent);
    return Promise.resolve({ ok: true, value: { intent, applyMs: 1, verifyMs: 1, verifiedBy: 'echo' } });
  };
  const c = new FirewallController({ stateDir: dir, target: {}, log: new HelperLog(100), policy: () => policy, apply });
  return { c, dir, applied, policy };
}

const ALICE = 1001;
const BOB = 1002;
const session = (id: string, uid: number, strandOnDrop = true): GuardedSession => ({
  id,
  uid,
  allowLan: false,
  endpoints: [{ protocol: 'udp', address: '198.18.1.1', port: 51820, mark: TSUNAGU_FWMARK }],
  dnsServers: [],
  strandOnDrop,
});

describe.skipIf(!isRoot)('firewall controller', () => {
  it("a guarded session holds a tunnel table; each caller sees only their own session's id; its drop leaves a block only its owner (or root) lifts", async () => {
    const { c, applied } = rig();
    await c.start();
    await c.guard(session('alice00000001', ALICE));
    expect(applied.at(-1)).toMatchObject({ mode: 'tunnel', tunnelInterfaces: [], endpoints: [{ address: '198.18.1.1' }] });
    void c.update('alice00000001', { interfaceName: 'tsu0', connected: true, localIp: '198.18.9.2' });
    await c.release('nobody', false);
    expect(applied.at(-1)).toMatchObject({ mode: 'tunnel', tunnelInterfaces: ['tsu0'], tunnelAddresses: ['198.18.9.2'] });
    expect(c.trafficOf('alice00000001')).toBe('tunnel');
    expect(c.status(ALICE)).toMatchObject({ mode: 'tunnel', sessionId: 'alice00000001', ownSession: true });
    expect(c.status(BOB)).toMatchObject({ mode: 'tunnel', sessionId: null, ownSession: false });
    expect(c.status(0).sessionId).toBe('alice00000001');

    await c.release('alice00000001', false);
    expect(applied.at(-1)).toEqual({ mode: 'blocked', allowLan: false });
    expect(c.status(ALICE)).toMatchObject({ mode: 'blocked', reason: 'kill-switch', sessionId: 'alice00000001' });
    expect(c.strandedSession('alice00000001', BOB)).toBe(false);
    await expect(c.unblock(BOB)).rejects.toMatchObject({ code: 'not-permitted' });
    expect(c.strandedSession('alice00000001', ALICE)).toBe(true);
    expect(await c.unblock(ALICE)).toMatchObject({ mode: 'off', reason: null });
    expect(applied.at(-1)).toEqual({ mode: 'off' });
  });

  it('an explicit end lifts the block; a riding session never leaves one; a failed apply refuses the guard and keeps nothing of it', async () => {
    let failing = false;
    const { c } = rig({ fail: () => failing });
    await c.start();
    await c.guard(session('alice00000001', ALICE));
    await c.release('alice00000001', true);
    expect(c.intent()).toEqual({ mode: 'off' });
    await c.setLockdown(true, false, ALICE);
    await c.guard(session('bob000000001', BOB, false));
    expect(c.status(BOB)).toMatchObject({ mode: 'tunnel', reason: 'lockdown', sessionId: 'bob000000001' });
    await c.release('bob000000001', false);
    expect(c.status(BOB)).toMatchObject({ mode: 'blocked', reason: 'lockdown', sessionId: null });
    failing = true;
    await expect(c.guard(session('alice00000002', ALICE))).rejects.toMatchObject({ code: 'firewall-apply-failed' });
    expect(c.isGuarded('alice00000002')).toBe(false);
  });

  it('AlwaysOn: lockdown from the start, a member can neither turn it off nor unblock; root can', async () => {
    const { c } = rig({ policy: { AlwaysOn: true } });
    await c.start();
    expect(c.status(BOB)).toMatchObject({ mode: 'blocked', reason: 'policy', lockdown: { enabled: true, byPolicy: true } });
    await expect(c.setLockdown(false, undefined, BOB)).rejects.toMatchObject({ code: 'policy-denied' });
    await expect(c.unblock(BOB)).rejects.toMatchObject({ code: 'policy-denied' });
    expect((await c.unblock(0)).mode).toBe('blocked');
  });

  it('a restarted helper restores the block with its owner, and the lockdown setting; quitting lifts the block but keeps lockdown', async () => {
    const first = rig();
    await first.c.start();
    await first.c.guard(session('alice00000001', ALICE));
    await first.c.setLockdown(true, true, ALICE);
    // The helper dies here (no release, no shutdown): a new one reads the same directory.
    const second = rig({ dir: first.dir });
    await second.c.start();
    expect(second.applied[0]).toEqual({ mode: 'blocked', allowLan: false });
    expect(second.c.status(ALICE)).toMatchObject({ mode: 'blocked', reason: 'restart', sessionId: 'alice00000001', ownSession: true, lockdown: { enabled: true } });
    await expect(second.c.unblock(BOB)).rejects.toMatchObject({ code: 'not-permitted' });
    await second.c.shutdown();
    expect(second.applied.at(-1)).toEqual({ mode: 'lockdown', allowLan: true });
  });
  it("interface and addresses known up front (WireGuard): one apply per connect, and 'connected' (update) resolves only once it is verified — with its error when it failed", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsunagu-fwc-'));
    chmodSync(dir, 0o700);
    dirs.push(dir);
    const applied: FirewallIntent[] = [];
    const pending: { intent: FirewallIntent; finish: (ok: boolean) => void }[] = [];
    const apply = (intent: FirewallIntent): Promise<Result<ApplyReport>> =>
      new Promise((resolve) => {
        pending.push({
          intent,
          finish: (ok) => {
            if (ok) applied.push(intent);
            resolve(ok ? { ok: true, value: { intent, applyMs: 1, verifyMs: 1, verifiedBy: 'echo' } } : { ok: false, error: { code: 'firewall-verify-failed', message: { en: 'no', ja: 'いいえ' }, detail: 'differs' } });
          },
        });
      });
    const c = new FirewallController({ stateDir: dir, target: {}, log: new HelperLog(100), policy: () => defaultPolicyValues(), apply });
    const flush = () => new Promise((r) => setImmediate(r));
    const started = c.start();
    await flush();
    for (const p of pending.splice(0)) p.finish(true);
    await started;
    const guarded = c.guard({ ...session('alice00000003', ALICE), interfaceName: 'tsu-a3', tunnelAddresses: ['10.7.0.2', 'fd07::2'] });
    let connected: Result<null> | null = null;
    const reported = c.update('alice00000003', { interfaceName: 'tsu-a3', connected: true, localIp: '10.7.0.2' }).then((r) => (connected = r));
    await flush();
    expect(connected).toBeNull();
    expect(pending.map((p) => p.intent)).toEqual([{ mode: 'tunnel', tunnelInterfaces: ['tsu-a3'], endpoints: session('x', ALICE).endpoints, allowLan: false, dnsServers: [], tunnelAddresses: ['10.7.0.2', 'fd07::2'] }]);
    pending.splice(0)[0]?.finish(true);
    await guarded;
    await reported;
    expect(connected).toEqual({ ok: true, value: null });
    expect(pending).toEqual([]); // connected changed nothing in the intent: no second apply
    const released = c.release('alice00000003', true);
    await flush();
    for (const p of pending.splice(0)) p.finish(true);
    await released;

    // The first apply fails: 'connected' gets the error, never ok.
    const rollback = c.guard({ ...session('alice00000004', ALICE), interfaceName: 'tsu-a4', tunnelAddresses: ['10.7.0.3'] }).catch((e: unknown) => e);
    const second = c.update('alice00000004', { interfaceName: 'tsu-a4', connected: true, localIp: '10.7.0.3' });
    await flush();
    pending.splice(0)[0]?.finish(false);
    await flush();
    for (const p of pending.splice(0)) p.finish(true);
    expect(await rollback).toMatchObject({ code: 'firewall-verify-failed' });
    expect((await second).ok).toBe(false);
    expect(c.trafficOf('alice00000004')).toBe('unprotected');
  });
  it("interface named up front, address assigned by the server (OpenVPN): 'connected' (interfaceUp) waits only for the first apply; the address follows in one apply after it", async () => {
    const { c, applied } = rig();
    await c.start();
    const before = applied.length;
    await c.guard({ ...session('alice00000006', ALICE), interfaceName: 'tsoabcdefgh' });
    expect(applied).toHaveLength(before + 1);
    expect(applied.at(-1)).toMatchObject({ mode: 'tunnel', tunnelInterfaces: ['tsoabcdefgh'], tunnelAddresses: [] });
    expect(await c.interfaceUp('alice00000006', 'tsoabcdefgh')).toEqual({ ok: true, value: null });
    expect(applied).toHaveLength(before + 1);
    expect(c.trafficOf('alice00000006')).toBe('blocked');
    await c.update('alice00000006', { interfaceName: 'tsoabcdefgh', connected: true, localIp: '10.8.0.6' });
    expect(applied).toHaveLength(before + 2);
    expect(applied.at(-1)).toMatchObject({ tunnelInterfaces: ['tsoabcdefgh'], tunnelAddresses: ['10.8.0.6'] });
    expect(c.trafficOf('alice00000006')).toBe('tunnel');
    // Reconnecting (the address leaves the table), then up again: interfaceUp applies nothing, its state stays.
    await c.update('alice00000006', { interfaceName: 'tsoabcdefgh', connected: false, localIp: null });
    const count = applied.length;
    expect(await c.interfaceUp('alice00000006', 'tsoabcdefgh')).toEqual({ ok: true, value: null });
    expect(applied).toHaveLength(count);
    expect(c.trafficOf('alice00000006')).toBe('blocked');
    // A kind whose interface comes from its tool (IKEv2): interfaceUp is the apply that allows it.
    expect(await c.interfaceUp('alice00000006', 'ipsec7')).toEqual({ ok: true, value: null });
    expect(applied.at(-1)).toMatchObject({ tunnelInterfaces: ['ipsec7'] });
    expect(await c.interfaceUp('nobody', 'tun9')).toEqual({ ok: true, value: null });
  });
  it("OpenVPN's pushed DNS (setDns): DNS is narrowed to the valid addresses it names, hostile entries are left out, and 'connected' waits for that apply", async () => {
    const { c, applied } = rig();
    await c.start();
    await c.guard(session('alice00000005', ALICE));
    const narrowed = c.setDns('alice00000005', ['198.18.2.53', 'fd00::53', '1.2.3.4; drop', '::ffff:1.2.3.4']);
    const connected = c.update('alice00000005', { interfaceName: 'tun7', connected: true, localIp: '10.8.0.6' });
    expect(await narrowed).toEqual({ ok: true, value: null });
    expect(await connected).toEqual({ ok: true, value: null });
    expect(applied.at(-1)).toMatchObject({ mode: 'tunnel', tunnelInterfaces: ['tun7'], dnsServers: ['198.18.2.53', 'fd00::53'], tunnelAddresses: ['10.8.0.6'] });
    const count = applied.length;
    expect(await c.setDns('alice00000005', ['198.18.2.53', 'fd00::53'])).toEqual({ ok: true, value: null });
    expect(await c.setDns('alice00000005', ['not an address'])).toEqual({ ok: true, value: null });
    expect(applied.length).toBe(count); // the same servers, or none valid: nothing applied again (the narrowed rules stay)
    expect(await c.setDns('nobody', ['198.18.2.53'])).toEqual({ ok: true, value: null });
    expect(applied.length).toBe(count);
  });
});
