/**
 * The kill switch as an attack surface (issue 14): a member must neither see nor lift another
 * user's block, nor turn lockdown off when the AlwaysOn policy forces it, nor get a hostile option
 * or profile past the helper. Real users (agent.ts) against the real helper on the wireguard-full lab.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findWireguardGo } from '../lab/wireguard.js';
import { connect, Rig, waitRemoved, type ConnectOutcome } from './rig.js';
import type { Conn } from './users.js';

let rig: Rig;
let policyDir: string;

beforeAll(async () => {
  rig = await Rig.start('wireguard-full');
  policyDir = mkdtempSync(join(tmpdir(), 'tsunagu-sec-fw-policy-'));
  chmodSync(policyDir, 0o755);
  mkdirSync(join(policyDir, 'profiles'), { mode: 0o700 });
});
afterAll(async () => {
  await rig.close();
  rmSync(policyDir, { recursive: true, force: true });
});

interface Status {
  mode: string;
  reason: string | null;
  sessionId: string | null;
  ownSession: boolean;
  lockdown: { enabled: boolean; byPolicy: boolean };
}

async function status(c: Conn): Promise<Status> {
  const r = await c.request({ type: 'firewall' });
  expect(r.ok).toBe(true);
  return r.result as Status;
}

function sessionOf(o: ConnectOutcome): string {
  if (o.refused) throw new Error(`connect refused: ${o.code} ${o.message}`);
  return o.sessionId;
}

describe('the kill switch, attacked by a member', () => {
  it("bob sees that traffic is held but never alice's session; he can neither unblock nor disconnect her dropped tunnel; she can", async () => {
    const alice = await rig.client('alice');
    const bob = await rig.client('bob');
    const outcome = await connect(alice, rig.profile());
    const id = sessionOf(outcome);
    expect(await status(alice)).toMatchObject({ mode: 'tunnel', sessionId: id, ownSession: true });
    expect(await status(bob)).toMatchObject({ mode: 'tunnel', sessionId: null, ownSession: false });
    // Her tunnel's process dies: the block stays, and it is hers.
    const list = await alice.request({ type: 'list' });
    const iface = (list.result as { sessions: Array<{ id: string; interfaceName: string | null }> }).sessions.find((s) => s.id === id)?.interfaceName ?? '';
    const pid = findWireguardGo(rig.lab.clientNetns, iface);
    expect(pid).not.toBeNull();
    process.kill(pid ?? 0, 'SIGKILL');
    await waitRemoved(alice, id, 15_000);
    expect(await status(alice)).toMatchObject({ mode: 'blocked', reason: 'kill-switch', sessionId: id, ownSession: true });
    expect(await status(bob)).toMatchObject({ mode: 'blocked', sessionId: null, ownSession: false });
    // Bob's pushed firewall events never named her session either.
    expect(bob.events().filter((e) => e.event === 'firewall').map((e) => (e['status'] as Status).sessionId).filter((s) => s !== null)).toEqual([]);
    const unblock = await bob.request({ type: 'unblock' });
    expect(unblock.ok).toBe(false);
    expect(unblock.error?.code).toBe('not-permitted');
    expect(unblock.error?.message.ja).not.toBe('');
    const byId = await bob.request({ type: 'disconnect', sessionId: id });
    expect(byId.error?.code).toBe('no-such-session');
    const all = await bob.request({ type: 'disconnect', all: true });
    expect(all.result).toEqual({ sessionIds: [] });
    expect((await status(alice)).mode).toBe('blocked');
    // Her Disconnect is the way out.
    const mine = await alice.request({ type: 'disconnect', sessionId: id });
    expect(mine.result).toEqual({ sessionIds: [id] });
    expect((await status(bob)).mode).toBe('off');
  });

  it('hostile options and profiles are refused with a clear error: a kill switch on a split tunnel, non-boolean flags, a FwMark of its own', async () => {
    const bob = await rig.client('bob');
    const full = rig.profile('wireguard-full', 'bob');
    const split = { ...full, text: full.text.replace(/^AllowedIPs\s*=.*$/m, 'AllowedIPs = 198.18.2.0/24') };
    const splitKs = await bob.request({ type: 'connect', profile: split, options: { killSwitch: true } });
    expect(splitKs.error?.code).toBe('kill-switch-needs-full-tunnel');
    expect(splitKs.error?.message.ja).not.toBe('');
    for (const options of [{ allowLan: 'yes' }, { killSwitch: 'off' }, { killSwitch: 0 }]) {
      const r = await bob.request({ type: 'connect', profile: full, options });
      expect(r.error?.code, JSON.stringify(options)).toBe('bad-request');
    }
    const lockdown = await bob.request({ type: 'set-lockdown', enabled: 'false' });
    expect(lockdown.error?.code).toBe('bad-request');
    // A profile that brings its own mark (to pass as the tunnel's packets) never reaches wg-quick.
    const marked = { ...full, text: full.text.replace(/^\[Interface\]$/m, '[Interface]\nFwMark = 0x7473756e') };
    const r = await connect(bob, marked);
    expect(r.refused && r.code).toBe('profile-refused');
    expect((await status(bob)).mode).toBe('off');
  });

  it('under the AlwaysOn policy traffic is blocked from helper start; a member can neither turn lockdown off nor unblock', async () => {
    writeFileSync(join(policyDir, 'policy.json'), `${JSON.stringify({ AlwaysOn: true })}\n`, { mode: 0o644 });
    await rig.restartHelper({ policyDir });
    const bob = await rig.client('bob');
    expect(await status(bob)).toMatchObject({ mode: 'blocked', reason: 'policy', lockdown: { enabled: true, byPolicy: true } });
    const off = await bob.request({ type: 'set-lockdown', enabled: false });
    expect(off.error?.code).toBe('policy-denied');
    expect(off.error?.message.ja).not.toBe('');
    const unblock = await bob.request({ type: 'unblock' });
    expect(unblock.error?.code).toBe('policy-denied');
    expect((await status(bob)).mode).toBe('blocked');
    // A tunnel still connects through the lockdown (and then carries the traffic).
    const outcome = await connect(bob, rig.profile('wireguard-full', 'bob-under-lockdown'));
    sessionOf(outcome);
    expect((await status(bob)).mode).toBe('tunnel');
    // The session ends with the helper (rig.close): under AlwaysOn a member cannot disconnect it.
  });
});
