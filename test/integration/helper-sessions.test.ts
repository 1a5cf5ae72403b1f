/**
 * The helper end to end, through its socket, against the lab's real servers: each kind of
 * OpenVPN and WireGuard session connects, reaches the protected host, reports growing byte counts,
 * and leaves nothing behind when disconnected.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HelperRequestError } from '../../electron/main/helper-client.js';
import type { Credentials, HelperEvent } from '../../shared/ipc/helper-protocol.js';
import { ping, pingUntil } from '../lab/index.js';
import { helperRigs, type HelperRig } from './helper-rig.js';
import { isStandby, processesIn, profileOf, snapshotNetns } from './helper-harness.js';

type Rig = HelperRig;
const rigFor = helperRigs();

/** Connect, answer prompts from `answers`, and wait for a terminal or connected state. */
async function connect(r: Rig, answers: Credentials[] = [], timeoutSeconds = 20): Promise<{ sessionId: string; from: number }> {
  const from = r.observer.events.length;
  const queue = [...answers];
  const answered = new Set<HelperEvent>();
  const { sessionId } = await r.observer.client.request('connect', { profile: profileOf(r.lab), options: { connectTimeoutSeconds: timeoutSeconds } });
  const respond = setInterval(() => {
    for (const e of r.observer.events) {
      if (e.event !== 'credentials-required' || e.sessionId !== sessionId || answered.has(e)) continue;
      answered.add(e);
      const next = queue.shift();
      if (next) void r.observer.client.request('credentials', { sessionId, credentials: next }).catch(() => undefined);
    }
  }, 20);
  try {
    await r.observer.waitFor((e): e is HelperEvent => e.event === 'state' && e.sessionId === sessionId && ['connected', 'error', 'disconnected'].includes(e.state.status), (timeoutSeconds + 10) * 1000, from);
  } finally {
    clearInterval(respond);
  }
  return { sessionId, from };
}

/** The full happy path: connected, protected host reachable, counters grow, clean teardown. */
async function provesSession(r: Rig, answers: Credentials[] = []): Promise<void> {
  const before = await snapshotNetns(r.lab.clientNetns);
  const { sessionId, from } = await connect(r, answers);
  const connected = await r.observer.waitForState(sessionId, 'connected', 1000, from);
  expect(connected.localIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  expect(await pingUntil(r.lab.clientNetns, r.lab.protectedHostIp, 5000)).toBe(true);
  const first = await r.observer.waitForStats(sessionId, 3000, r.observer.events.length);
  await ping(r.lab.clientNetns, r.lab.protectedHostIp, { count: 2, waitS: 2 });
  const later = await r.observer.waitForStats(sessionId, 3000, r.observer.events.length);
  expect(later.bytesIn).toBeGreaterThan(first.bytesIn);
  expect(later.bytesOut).toBeGreaterThan(first.bytesOut);

  const result = await r.observer.client.request('disconnect', { sessionId });
  expect(result.sessionIds).toEqual([sessionId]);
  await r.observer.waitFor((e): e is HelperEvent => e.event === 'session-removed' && e.sessionId === sessionId, 10_000, from);
  expect(processesIn(r.lab.clientNetns, ['openvpn', 'wireguard-go'])).toEqual([]);
  const after = await snapshotNetns(r.lab.clientNetns);
  expect(after).toEqual(before);
  expect((await r.observer.client.request('list', {})).sessions).toEqual([]);
}

describe('helper: OpenVPN sessions', () => {
  it('tun over UDP', async () => provesSession(await rigFor('openvpn-udp')));
  it('tun over TCP', async () => provesSession(await rigFor('openvpn-tcp')));
  it('tap (L2)', async () => provesSession(await rigFor('openvpn-tap')));
  it('encrypted key (passphrase asked over the socket)', async () => {
    const r = await rigFor('openvpn-enc-key');
    await provesSession(r, [{ kind: 'passphrase', passphrase: r.lab.credentials.keyPassphrase ?? '' }]);
  });
  it('the seed-style legacy profile (fixed automatically to negotiate CBC)', async () => provesSession(await rigFor('openvpn-legacy')));
  it('two remotes, the first dead: fails over', async () => provesSession(await rigFor('openvpn-failover')));

  it('username/password: right, then wrong ends in an error carrying the reason', async () => {
    const r = await rigFor('openvpn-userpass');
    const good = r.lab.credentials.good;
    const bad = r.lab.credentials.bad;
    if (!good || !bad) throw new Error('lab credentials missing');
    await provesSession(r, [{ kind: 'userpass', ...good }]);
    const { sessionId, from } = await connect(r, [{ kind: 'userpass', ...bad }]);
    const error = await r.observer.waitForState(sessionId, 'error', 1000, from);
    expect(error.code).toBe('auth-failed');
    expect(error.message.en.length).toBeGreaterThan(10);
    await r.observer.waitFor((e): e is HelperEvent => e.event === 'session-removed' && e.sessionId === sessionId, 10_000, from);
    expect(processesIn(r.lab.clientNetns, ['openvpn'])).toEqual([]);
  });

  it('static challenge', async () => {
    const r = await rigFor('openvpn-challenge');
    const good = r.lab.credentials.good;
    const challenge = r.lab.credentials.challenge;
    if (!good || !challenge) throw new Error('lab credentials missing');
    await provesSession(r, [{ kind: 'challenge', ...good, response: challenge.response }]);
  });

  it('pushed DNS is applied while connected and restored exactly after', async () => {
    const r = await rigFor('openvpn-dns');
    const resolv = `/etc/netns/${r.lab.clientNetns}/resolv.conf`;
    const { readFileSync } = await import('node:fs');
    const original = readFileSync(resolv, 'utf8');
    const { sessionId, from } = await connect(r);
    await r.observer.waitForState(sessionId, 'connected', 1000, from);
    await expect.poll(() => readFileSync(resolv, 'utf8'), { timeout: 5000 }).toMatch(/lab\.test/);
    expect(readFileSync(resolv, 'utf8')).not.toBe(original);
    await r.observer.client.request('disconnect', { sessionId });
    await r.observer.waitFor((e): e is HelperEvent => e.event === 'session-removed' && e.sessionId === sessionId, 10_000, from);
    expect(readFileSync(resolv, 'utf8')).toBe(original);
  });
});

describe('helper: WireGuard sessions', () => {
  it('split tunnel', async () => provesSession(await rigFor('wireguard-split')));
  it('full tunnel', async () => provesSession(await rigFor('wireguard-full')));
  it('wrong key: ends in "no handshake" and leaves nothing', async () => {
    const r = await rigFor('wireguard-badkey');
    const before = await snapshotNetns(r.lab.clientNetns);
    const { sessionId, from } = await connect(r, [], 6);
    const error = await r.observer.waitForState(sessionId, 'error', 1000, from);
    expect(error.code).toBe('no-handshake');
    expect(error.message.en).toMatch(/no handshake: check the endpoint and keys/i);
    await r.observer.waitFor((e): e is HelperEvent => e.event === 'session-removed' && e.sessionId === sessionId, 15_000, from);
    expect(processesIn(r.lab.clientNetns, ['wireguard-go'])).toEqual([]);
    expect(await snapshotNetns(r.lab.clientNetns)).toEqual(before);
  });
});

describe('helper: conflicts', () => {
  it('a second full-tunnel session is refused while the first runs', async () => {
    const r = await rigFor('wireguard-full');
    const { sessionId } = await connect(r);
    const again = profileOf(r.lab);
    const err = await r.observer.client.request('connect', { profile: { ...again, text: again.text.replace('PersistentKeepalive', '# PersistentKeepalive'), name: 'second' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HelperRequestError);
    const refusal = (err as HelperRequestError).error;
    expect(refusal.code).toBe('route-conflict');
    // The caller's own session is in the way: the refusal names it in data, with the network.
    expect(refusal.conflict?.sessionId).toBe(sessionId);
    expect(refusal.message.en).toContain(refusal.conflict?.network ?? '(no network)');
    await r.observer.client.request('disconnect', { sessionId });
  });
});

describe('helper: the openvpn started ahead of the inspection', () => {
  it('is killed, having run nothing, when the profile is refused or conflicts', async () => {
    const r = await rigFor('openvpn-udp');
    const before = await snapshotNetns(r.lab.clientNetns);
    const good = profileOf(r.lab);
    const refusal = async (profile: typeof good) => {
      const err = await r.observer.client.request('connect', { profile, options: { connectTimeoutSeconds: 20 } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HelperRequestError);
      return (err as HelperRequestError).error.code;
    };
    const gone = async () => {
      const deadline = Date.now() + 3000;
      while (processesIn(r.lab.clientNetns, ['openvpn']).length > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      return processesIn(r.lab.clientNetns, ['openvpn']);
    };
    expect(await refusal({ ...good, text: `${good.text}up /tmp/tsunagu-never.sh\n`, name: 'evil' })).toBe('profile-refused');
    expect(await gone()).toEqual([]);
    expect(readdirSync(join(r.helper.runDir, 'sessions'))).toEqual([]);
    expect(await snapshotNetns(r.lab.clientNetns)).toEqual(before);
    // The same profile again while it runs, with the helper's standby openvpn waiting (it keeps
    // one once a connect has settled): refused, and the standby is not touched.
    const { sessionId, from } = await connect(r);
    await r.observer.waitForState(sessionId, 'connected', 1000, from);
    const standby = await waitForStandby(r);
    expect(await refusal(good)).toBe('already-connected');
    await new Promise((res) => setTimeout(res, 300));
    expect(processesIn(r.lab.clientNetns, ['openvpn'])).toHaveLength(1);
    expect(await waitForStandby(r)).toEqual(standby);
    expect(readdirSync(join(r.helper.runDir, 'sessions')).sort()).toEqual([sessionId, standby.id].sort());
    await r.observer.client.request('disconnect', { sessionId });
    expect(await gone()).toEqual([]);
  });
});

/** The helper's standby openvpn in the rig's namespace (waits up to 5 s for it to be launched). */
async function waitForStandby(r: Rig): Promise<{ pid: number; id: string }> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const standbys = processesIn(r.lab.clientNetns, ['openvpn'], { includeStandby: true }).filter((p) => isStandby(p.pid));
    if (standbys.length > 1) throw new Error(`more than one standby: ${JSON.stringify(standbys)}`);
    const [one] = standbys;
    if (one) return { pid: one.pid, id: readlinkSync(`/proc/${one.pid}/cwd`).split('/').at(-1) ?? '' };
    if (Date.now() > deadline) throw new Error('no standby openvpn was launched');
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe('helper: the standby openvpn', () => {
  it('waits having read nothing, becomes the next session, is replaced, and goes with the helper', async () => {
    const r = await rigFor('openvpn-udp');
    // None before this helper was asked for an OpenVPN connect.
    expect(processesIn(r.lab.clientNetns, ['openvpn'], { includeStandby: true })).toEqual([]);
    const first = await connect(r);
    await r.observer.waitForState(first.sessionId, 'connected', 1000, first.from);
    const standby = await waitForStandby(r);
    // Idle: no management connection made, no device open, nothing in its directory but the
    // marker and the crash-cleanup record.
    const dir = join(r.helper.runDir, 'sessions', standby.id);
    expect(readdirSync(dir).sort()).toEqual(['residue.json', 'standby']);
    const fds = readdirSync(`/proc/${standby.pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${standby.pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
    expect(fds.filter((f) => f.includes('tun'))).toEqual([]);
    await r.observer.client.request('disconnect', { sessionId: first.sessionId });
    await r.observer.waitFor((e): e is HelperEvent => e.event === 'session-removed' && e.sessionId === first.sessionId, 10_000, first.from);

    // The next connect is the standby: same process, same directory, and a full session.
    const from = r.observer.events.length;
    const next = await r.observer.client.request('connect', { profile: profileOf(r.lab), options: { connectTimeoutSeconds: 20 } });
    expect(next.sessionId).toBe(standby.id);
    await r.observer.waitForState(next.sessionId, 'connected', 20_000, from);
    expect(processesIn(r.lab.clientNetns, ['openvpn']).map((p) => p.pid)).toEqual([standby.pid]);
    expect(await pingUntil(r.lab.clientNetns, r.lab.protectedHostIp, 5000)).toBe(true);
    // …and a new one waits for the connect after that.
    const replacement = await waitForStandby(r);
    expect(replacement.pid).not.toBe(standby.pid);
    await r.observer.client.request('disconnect', { sessionId: next.sessionId });
    await r.observer.waitFor((e): e is HelperEvent => e.event === 'session-removed' && e.sessionId === next.sessionId, 10_000, from);
    expect(processesIn(r.lab.clientNetns, ['openvpn'])).toEqual([]);

    // Stopping the helper stops the standby and removes its directory.
    await r.helper.stop();
    expect(processesIn(r.lab.clientNetns, ['openvpn'], { includeStandby: true })).toEqual([]);
  });

  it('is not kept by a helper run with --no-standby', async () => {
    const r = await rigFor('openvpn-udp', { helperArgs: ['--no-standby'] });
    const { lab, observer } = r;
    const { sessionId, from } = await connect(r);
    await observer.waitForState(sessionId, 'connected', 1000, from);
    await new Promise((res) => setTimeout(res, 500));
    expect(processesIn(lab.clientNetns, ['openvpn'], { includeStandby: true })).toHaveLength(1);
    await observer.client.request('disconnect', { sessionId });
  });
});

describe('helper: several sessions', () => {
  it('ends a second session whose pushed routes overlap the first one (route-conflict, naming it), never the first', async () => {
    const r = await rigFor('openvpn-udp');
    const { readFileSync } = await import('node:fs');
    const { dirname } = await import('node:path');
    const { inspectProfile } = await import('../../shared/profiles/inspect.js');
    const { folderFileSource } = await import('../../electron/main/profile-sources.js');
    // The lab's second form of the same profile: files beside it, inlined at import.
    const referenced = r.lab.extraFiles.find((f) => f.endsWith('.ovpn'));
    if (!referenced) throw new Error('no referenced-files profile in the lab');
    const second = inspectProfile(readFileSync(referenced), { fileName: 'client.ovpn', files: folderFileSource(dirname(referenced)) });
    if (!second.ok || !second.canonical) throw new Error(JSON.stringify(second.errors));
    const a = await connect(r);
    await r.observer.waitForState(a.sessionId, 'connected', 1000, a.from);
    const from = r.observer.events.length;
    const { sessionId: b } = await r.observer.client.request('connect', { profile: { kind: 'openvpn', text: second.canonical, name: 'second' }, options: { connectTimeoutSeconds: 20 } });
    // Both are split tunnels to the same networks the server pushes: the second learns that from
    // its pushed options (routesKnown) and ends; the first never notices.
    const failed = await r.observer.waitForState(b, 'error', 20_000, from);
    expect(failed.code).toBe('route-conflict');
    expect(failed.message.en).toContain(`“${r.lab.scenario}”`);
    expect(failed.status === 'error' ? failed.conflict?.sessionId : undefined).toBe(a.sessionId);
    expect(r.observer.states(b).some((s) => s.status === 'connected')).toBe(false);
    await r.observer.waitFor((e): e is HelperEvent => e.event === 'session-removed' && e.sessionId === b, 10_000, from);
    const { sessions } = await r.observer.client.request('list', {});
    expect(sessions.map((s) => [s.id, s.state.status])).toEqual([[a.sessionId, 'connected']]);
    expect(processesIn(r.lab.clientNetns, ['openvpn'])).toHaveLength(1);
    expect(await pingUntil(r.lab.clientNetns, r.lab.protectedHostIp, 5000)).toBe(true);
    const ended = await r.observer.client.request('disconnect', { all: true });
    expect(ended.sessionIds).toEqual([a.sessionId]);
    expect(processesIn(r.lab.clientNetns, ['openvpn'])).toEqual([]);
  });
});
