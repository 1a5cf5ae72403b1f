/**
 * IKEv2/IPsec through the real helper (`tsunagu helper` as it ships, its session manager and its
 * standby charon), against the lab's strongSwan responders: PSK, EAP (password in the connect
 * request, and asked over the socket), certificates and IKEv1 XAuth connect, reach the protected
 * host, report growing byte counts and leave nothing when disconnected (a passphrase-protected
 * key asked at connect); wrong PSK, wrong password, proposal mismatch and an unreachable server
 * each end in their own error code within 10 s.
 * Also `tsunagu inspect --json` on a lab client.swanctl.conf with its companions beside it.
 */
import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { routingTableFor } from '../../electron/helper/drivers/ikev2/charon.js';
import type { Credentials, HelperEvent } from '../../shared/ipc/helper-protocol.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import {
  down,
  dropIke,
  IKE_COMPANIONS,
  ikeResidue,
  ping,
  pingUntil,
  REFUSED_PROPOSALS,
  restoreIke,
  up,
  writeIkeVariant,
  type IkeOverrides,
  type ScenarioName,
} from '../lab/index.js';
import { helperRigs, type HelperRig } from './helper-rig.js';
import { isStandby, processesIn, snapshotNetns, type NetnsSnapshot } from './helper-harness.js';

const CLI = join(import.meta.dirname, '../../out/cli/tsunagu.mjs');

type IkeScenario = Extract<ScenarioName, 'ikev2-psk' | 'ikev2-eap' | 'ikev2-cert' | 'ikev1-xauth'>;

type Rig = HelperRig;
const rigFor = helperRigs<IkeScenario>();

/** The profile as the app sends it: client.swanctl.conf inspected with its companions beside it. */
function ikeProfile(path: string, name: string): { kind: 'ikev2'; text: string; name: string } {
  const dir = dirname(path);
  const files = {
    description: { en: dir, ja: dir },
    read: (n: string) => (/^[A-Za-z0-9._-]+$/.test(n) && existsSync(join(dir, n)) ? new Uint8Array(readFileSync(join(dir, n))) : null),
  };
  const inspection = inspectProfile(readFileSync(path, 'utf8'), { fileName: path, files });
  if (!inspection.ok) throw new Error(`lab profile refused: ${JSON.stringify(inspection.errors)}`);
  if (inspection.kind !== 'ikev2') throw new Error(`lab profile read as ${inspection.kind}`);
  return { kind: 'ikev2', text: inspection.canonical, name };
}

/** The canonical text without its stored EAP/XAuth password (the user is then asked). */
function withoutPassword(text: string, password: string): string {
  const lines = text.split('\n');
  const kept = lines.filter((l) => !l.includes(`"${password}"`) && !l.includes(` ${password}`));
  expect(kept.length).toBe(lines.length - 1);
  return kept.join('\n');
}

interface Attempt {
  sessionId: string;
  from: number;
  ms: number;
  asked: Extract<HelperEvent, { event: 'credentials-required' }>[];
}

/** Connect, answer prompts from `answers`, and wait for a terminal or connected state. */
async function connect(r: Rig, profile: { kind: 'ikev2'; text: string; name: string }, o: { answers?: Credentials[]; credentials?: Credentials; timeoutSeconds?: number } = {}): Promise<Attempt> {
  const from = r.observer.events.length;
  const queue = [...(o.answers ?? [])];
  const asked: Attempt['asked'] = [];
  const timeoutSeconds = o.timeoutSeconds ?? 20;
  const t0 = performance.now();
  const { sessionId } = await r.observer.client.request('connect', {
    profile,
    options: { connectTimeoutSeconds: timeoutSeconds, ...(o.credentials ? { credentials: o.credentials } : {}) },
  });
  const respond = setInterval(() => {
    for (const e of r.observer.events.slice(from)) {
      if (e.event !== 'credentials-required' || e.sessionId !== sessionId || asked.includes(e)) continue;
      asked.push(e);
      const next = queue.shift();
      if (next) void r.observer.client.request('credentials', { sessionId, credentials: next }).catch(() => undefined);
      else void r.observer.client.request('disconnect', { sessionId }).catch(() => undefined);
    }
  }, 20);
  try {
    await r.observer.waitFor(
      (e): e is HelperEvent => e.event === 'state' && e.sessionId === sessionId && ['connected', 'error', 'disconnected'].includes(e.state.status),
      (timeoutSeconds + 10) * 1000,
      from,
    );
  } finally {
    clearInterval(respond);
  }
  return { sessionId, from, ms: performance.now() - t0, asked };
}

async function removed(r: Rig, a: Attempt): Promise<void> {
  await r.observer.waitFor((e): e is HelperEvent => e.event === 'session-removed' && e.sessionId === a.sessionId, 10_000, a.from);
}

/**
 * What the helper's standby charon holds in the namespace: a standby is launched the way a
 * session's charon is (kernel-libipsec opens its TUN device, charon adds its policy rule to its
 * own, empty table) and has read no profile. It belongs to no session, so it is not a leftover;
 * everything else must be gone.
 */
interface StandbyHoldings {
  devices: string[];
  tables: number[];
}

function standbyHoldings(netns: string): StandbyHoldings {
  const out: StandbyHoldings = { devices: [], tables: [] };
  for (const { pid } of processesIn(netns, ['charon'], { includeStandby: true })) {
    if (!isStandby(pid)) continue;
    out.tables.push(routingTableFor(basename(readlinkSync(`/proc/${pid}/cwd`))));
    for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
      try {
        const iff = /^iff:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1];
        if (iff) out.devices.push(iff);
      } catch {
        // closed while we looked
      }
    }
  }
  return out;
}

function ownedByStandby(line: string, h: StandbyHoldings): boolean {
  if (h.devices.some((d) => new RegExp(`\\b${d}\\b`).test(line))) return true;
  if (h.tables.some((t) => new RegExp(`lookup ${t}\\b`).test(line))) return true;
  const m = /^charon process (\d+)$/.exec(line);
  return m !== null && isStandby(Number(m[1]));
}

/** ikeResidue of the namespace without what the standby holds. */
async function sessionResidue(netns: string): Promise<string[]> {
  const h = standbyHoldings(netns);
  return (await ikeResidue(netns)).filter((l) => !ownedByStandby(l, h));
}

/** snapshotNetns without what the standby holds (one may have appeared or been replaced meanwhile). */
async function snapshotWithoutStandby(netns: string): Promise<NetnsSnapshot> {
  const h = standbyHoldings(netns);
  const s = await snapshotNetns(netns);
  const keep = (text: string) => text.split('\n').filter((l) => !ownedByStandby(l, h)).join('\n');
  return { ...s, links: s.links.filter((l) => !h.devices.includes(l)), routes: keep(s.routes), rules: keep(s.rules) };
}

/** Connected, protected host reachable, counters grow, disconnect leaves nothing. */
async function provesSession(r: Rig, profile = ikeProfile(r.lab.profile, r.lab.scenario), o: { answers?: Credentials[]; credentials?: Credentials; whileConnected?: () => void } = {}): Promise<Attempt> {
  const before = await snapshotWithoutStandby(r.lab.clientNetns);
  expect(await sessionResidue(r.lab.clientNetns)).toEqual([]);
  const a = await connect(r, profile, o);
  const connected = await r.observer.waitForState(a.sessionId, 'connected', 1000, a.from);
  expect(connected.localIp).toMatch(/^198\.18\.10\.\d+$/);
  expect(await pingUntil(r.lab.clientNetns, r.lab.protectedHostIp, 5000)).toBe(true);
  const first = await r.observer.waitForStats(a.sessionId, 3000, r.observer.events.length);
  await ping(r.lab.clientNetns, r.lab.protectedHostIp, { count: 3, waitS: 2 });
  const later = await r.observer.waitForStats(a.sessionId, 3000, r.observer.events.length);
  expect(later.bytesIn).toBeGreaterThan(first.bytesIn);
  expect(later.bytesOut).toBeGreaterThan(first.bytesOut);
  o.whileConnected?.();

  const result = await r.observer.client.request('disconnect', { sessionId: a.sessionId });
  expect(result.sessionIds).toEqual([a.sessionId]);
  await removed(r, a);
  expect(processesIn(r.lab.clientNetns, ['charon'])).toEqual([]);
  expect(await sessionResidue(r.lab.clientNetns)).toEqual([]);
  expect(await snapshotWithoutStandby(r.lab.clientNetns)).toEqual(before);
  expect((await r.observer.client.request('list', {})).sessions).toEqual([]);
  return a;
}

/** A failing attempt: its own error code, within 10 s of the connect request, nothing left. */
async function failsWith(r: Rig, profile: { kind: 'ikev2'; text: string; name: string }, code: string, o: { credentials?: Credentials; answers?: Credentials[] } = {}): Promise<void> {
  const a = await connect(r, profile, { ...o, timeoutSeconds: 30 });
  const error = await r.observer.waitForState(a.sessionId, 'error', 1000, a.from);
  expect(error.code).toBe(code);
  expect(error.message.en.length).toBeGreaterThan(10);
  expect(error.message.ja.length).toBeGreaterThan(5);
  expect(a.ms).toBeLessThan(10_000);
  console.log(`${r.lab.scenario}: ${code} after ${Math.round(a.ms)} ms`);
  await removed(r, a);
  expect(processesIn(r.lab.clientNetns, ['charon'])).toEqual([]);
  expect(await sessionResidue(r.lab.clientNetns)).toEqual([]);
}

function variant(r: Rig, overrides: IkeOverrides, name: string) {
  return ikeProfile(writeIkeVariant(r.lab, overrides).profile, name);
}

describe('helper: IKE sessions', () => {
  it('IKEv2 PSK', async () => {
    const r = await rigFor('ikev2-psk');
    await provesSession(r);
    // The first connect leaves a standby charon (as it does an openvpn); the next connect runs on it.
    const deadline = Date.now() + 5000;
    const standbys = () => processesIn(r.lab.clientNetns, ['charon'], { includeStandby: true }).filter((p) => isStandby(p.pid));
    while (standbys().length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    const standby = standbys();
    expect(standby).toHaveLength(1);
    const pid = standby[0]?.pid;
    await provesSession(r, undefined, { whileConnected: () => expect(processesIn(r.lab.clientNetns, ['charon'])).toEqual([{ pid, comm: 'charon' }]) });
  });

  it('IKEv2 EAP: the password given with the connect request, then asked over the socket', async () => {
    const r = await rigFor('ikev2-eap');
    const good = r.lab.credentials.good;
    if (!good) throw new Error('lab credentials missing');
    const stored = ikeProfile(r.lab.profile, r.lab.scenario);
    const asking = { ...stored, text: withoutPassword(stored.text, good.password) };
    const given = await provesSession(r, asking, { credentials: { kind: 'userpass', ...good } });
    expect(given.asked).toEqual([]);
    const prompted = await provesSession(r, asking, { answers: [{ kind: 'userpass', ...good }] });
    expect(prompted.asked.map((e) => e.request)).toEqual([expect.objectContaining({ kind: 'userpass', retry: false })]);
  });

  it('IKEv2 certificates both ways (three companions); then with the key passphrase-protected, its passphrase asked', async () => {
    const r = await rigFor('ikev2-cert');
    await provesSession(r);
    // The same profile with client.key encrypted (PKCS#8): imported as it is, asked at connect.
    const variant = writeIkeVariant(r.lab, {});
    const keyFile = join(dirname(variant.profile), IKE_COMPANIONS.key);
    const passphrase = 'lab key passphrase';
    writeFileSync(keyFile, createPrivateKey(readFileSync(keyFile)).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }));
    const profile = ikeProfile(variant.profile, 'encrypted key');
    expect(profile.text).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    const asked = await provesSession(r, profile, { answers: [{ kind: 'passphrase', passphrase }] });
    expect(asked.asked.map((e) => e.request)).toEqual([{ kind: 'passphrase', retry: false }]);
  });

  it('IKEv1 main mode, PSK + XAuth', async () => provesSession(await rigFor('ikev1-xauth')));
});

describe('helper: IKE failures, each with its own code within 10 s', () => {
  it('wrong PSK → ikev2-auth-failed', async () => {
    const r = await rigFor('ikev2-psk');
    await failsWith(r, variant(r, { psk: `${r.lab.credentials.psk ?? ''}x` }, 'wrong psk'), 'ikev2-auth-failed');
  });

  it('wrong EAP password (stored in the profile) → ikev2-eap-failed', async () => {
    const r = await rigFor('ikev2-eap');
    await failsWith(r, variant(r, { user: r.lab.credentials.bad }, 'wrong password'), 'ikev2-eap-failed');
  });

  it('IKE proposal mismatch → ikev2-proposal-mismatch', async () => {
    const r = await rigFor('ikev2-cert');
    await failsWith(r, variant(r, { proposals: [REFUSED_PROPOSALS.ike] }, 'proposal mismatch'), 'ikev2-proposal-mismatch');
  });

  it('server not answering IKE → ikev2-server-unreachable', async () => {
    const r = await rigFor('ikev2-psk');
    await dropIke(r.lab);
    try {
      await failsWith(r, ikeProfile(r.lab.profile, r.lab.scenario), 'ikev2-server-unreachable');
    } finally {
      await restoreIke(r.lab);
    }
  });
});

describe('tsunagu inspect on a lab client.swanctl.conf', () => {
  it('reports kind ikev2 with the companions read from beside it', async () => {
    const lab = await up('ikev2-cert');
    try {
      const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, 'inspect', '--json', lab.profile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C' } });
        let stdout = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
        child.on('close', (code) => resolve({ code, stdout }));
      });
      expect(out.code).toBe(0);
      const json = JSON.parse(out.stdout) as { ok: boolean; kind: string; errors: unknown[] };
      expect(json).toMatchObject({ ok: true, kind: 'ikev2', errors: [] });
    } finally {
      await down(lab.id);
    }
  });
});
