// The OpenVPN driver against real openvpn 2.6 servers in the test lab's namespaces. Needs root.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupOpenVpnResidue, createOpenVpnDriver, prelaunchOpenVpn } from '../../electron/helper/drivers/openvpn/index.js';
import { parseOpenVpnResidue } from '../../electron/helper/drivers/openvpn/residue.js';
import { DEVICE_NAME_RE } from '../../electron/helper/drivers/openvpn/device.js';
import { cleanupPredecessor } from '../../electron/helper/cleanup.js';
import { OpenVpnProcess } from '../../electron/helper/drivers/openvpn/process.js';
import { HelperLog } from '../../electron/helper/log.js';
import { STANDBY_MARKER, StandbyPool } from '../../electron/helper/standby.js';
import type { Driver, DriverContext } from '../../electron/helper/drivers/driver.js';
import type { OpenVpnResidue } from '../../electron/helper/drivers/openvpn/residue.js';
import { rereadOpenVpn } from '../../shared/profiles/openvpn/reread.js';
import { isAlive, waitForExit } from '../../electron/helper/exec.js';
import type { CredentialRequest, Credentials, TunnelState } from '../../shared/ipc/helper-protocol.js';
import { inspectProfile, type InspectAccepted } from '../../shared/profiles/inspect.js';
import { down, fault, ping, pingUntil, up, type LabInstance, type ScenarioName } from '../lab/index.js';
import { standInHelper } from './stand-in-helper.js';

const isRoot = process.getuid?.() === 0;

interface Harness {
  driver: Driver;
  states: { at: number; state: TunnelState }[];
  logs: string[];
  requests: CredentialRequest[];
  /** routesKnown calls: the prefixes, and how many states had been reported by then. */
  routeReports: { prefixes: string[]; statesBefore: number }[];
  counters: { in: number; out: number };
  workDir: string;
  t0: number;
  /** Resolves with the first state (at or after index `from`) that matches. */
  waitState(pred: (s: TunnelState) => boolean, timeoutMs: number, from?: number): Promise<TunnelState>;
  pid(): number | null;
}

const harnesses: Harness[] = [];

function need<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error('missing test input');
  return value;
}
const labs = new Map<ScenarioName, LabInstance>();

async function lab(scenario: ScenarioName): Promise<LabInstance> {
  let inst = labs.get(scenario);
  if (!inst) {
    inst = await up(scenario);
    labs.set(scenario, inst);
  }
  return inst;
}

interface StartOptions {
  profileText?: string;
  connectTimeoutMs?: number;
  initialCredentials?: Credentials;
  /** Answers each credentials request in turn. */
  answers?: Credentials[];
  /** Run this exact config instead of the inspected canonical text. */
  canonicalOverride?: string;
  /** The session manager's answer to routesKnown (default: no conflict). */
  routesOk?: boolean;
  /** Another session is active (DriverContext.guardRoutes; default false). */
  guardRoutes?: boolean;
}

async function startDriver(inst: LabInstance, opts: StartOptions = {}): Promise<Harness> {
  const text = opts.profileText ?? readFileSync(inst.profile, 'utf8');
  const inspection = inspectProfile(text, { fileName: 'lab.ovpn' });
  if (!inspection.ok || inspection.kind !== 'openvpn') throw new Error(`profile refused: ${JSON.stringify(inspection.errors)}`);
  const workDir = mkdtempSync(join(tmpdir(), 'tsu-ovpn-'));
  const answers = [...(opts.answers ?? [])];
  const waiters: (() => void)[] = [];
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const h: Harness = {
    driver: undefined as unknown as Driver,
    states: [],
    logs: [],
    requests: [],
    routeReports: [],
    counters: { in: 0, out: 0 },
    workDir,
    t0: Date.now(),
    waitState(pred, timeoutMs, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = h.states.slice(from).find((s) => pred(s.state));
          if (hit) {
            done();
            resolve(hit.state);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out; states: ${JSON.stringify(h.states.map((s) => s.state))}\n${h.logs.slice(-15).join('\n')}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          const i = waiters.indexOf(check);
          if (i >= 0) waiters.splice(i, 1);
        };
        waiters.push(check);
        check();
      });
    },
    pid() {
      const r = JSON.parse(readFileSync(join(workDir, 'residue.json'), 'utf8')) as { pids: number[] };
      return r.pids[0] ?? null;
    },
  };
  h.driver = createOpenVpnDriver({
    sessionId: 'itest0001',
    workDir,
    inspection: opts.canonicalOverride === undefined ? inspection : overridden(inspection, opts.canonicalOverride),
    connectTimeoutMs: opts.connectTimeoutMs ?? 20_000,
    netns: inst.clientNetns,
    guardRoutes: opts.guardRoutes ?? false,
    ...(opts.initialCredentials ? { initialCredentials: opts.initialCredentials } : {}),
    events: {
      state: (state) => {
        h.states.push({ at: Date.now() - h.t0, state });
        notify();
      },
      counters: (i, o) => {
        h.counters = { in: i, out: o };
      },
      credentialsRequired: (request) => {
        h.requests.push(request);
        const a = answers.shift();
        if (a) setTimeout(() => h.driver.provideCredentials(a), 10);
      },
      log: (level, text) => {
        h.logs.push(`${level}: ${text}`);
      },
      routesKnown: (prefixes) => {
        h.routeReports.push({ prefixes, statesBefore: h.states.length });
        return opts.routesOk ?? true;
      },
    },
  });
  harnesses.push(h);
  await h.driver.start();
  return h;
}

/**
 * An inspection that runs `text` as is: its model is openvpn's own reading of the text, since the
 * driver runs only text that reads as the inspected directives.
 */
function overridden(inspection: InspectAccepted<'openvpn'>, text: string): DriverContext<'openvpn'>['inspection'] {
  const reread = rereadOpenVpn(text);
  if (!reread.ok) throw new Error('override is not an openvpn config');
  return { ...inspection, canonical: text, profile: { ...inspection.profile, directives: reread.directives } };
}

function netnsPids(ns: string): number[] {
  return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

function links(ns: string): string[] {
  return execFileSync('ip', ['-n', ns, '-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '')
    .filter(Boolean)
    .sort();
}

function resolvConf(ns: string): string {
  return readFileSync(`/etc/netns/${ns}/resolv.conf`, 'utf8');
}

const isConnected = (s: TunnelState) => s.status === 'connected';

/** Connect, ping the protected host, see counters grow, stop, and check that nothing is left. */
async function fullCycle(scenario: ScenarioName, opts: StartOptions = {}): Promise<Harness> {
  const inst = await lab(scenario);
  const linksBefore = links(inst.clientNetns);
  const dnsBefore = resolvConf(inst.clientNetns);
  const h = await startDriver(inst, opts);
  const connected = await h.waitState(isConnected, 15_000);
  console.log(`${scenario}: spawn → connected ${h.states.find((s) => isConnected(s.state))?.at} ms`);
  expect(connected).toMatchObject({ status: 'connected', remote: '198.18.1.1:1194' });
  // The helper names the device (drivers/openvpn/device.ts); tun or tap as the profile says.
  expect(h.driver.interfaceName()).toMatch(DEVICE_NAME_RE);
  expect(await pingUntil(inst.clientNetns, inst.protectedHostIp, 5_000)).toBe(true);
  const before = { ...h.counters };
  expect(await ping(inst.clientNetns, inst.protectedHostIp, { count: 3, waitS: 2 })).toBe(true);
  // Counters are read on demand (`load-stats`), as the session manager does once a second.
  await h.driver.refreshCounters?.();
  expect(h.counters.in).toBeGreaterThan(before.in);
  expect(h.counters.out).toBeGreaterThan(before.out);
  await h.driver.stop('user');
  expect(h.states.at(-2)?.state).toEqual({ status: 'disconnecting' });
  expect(h.states.at(-1)?.state).toEqual({ status: 'disconnected', reason: 'user' });
  expect(netnsPids(inst.clientNetns)).toEqual([]);
  expect(links(inst.clientNetns)).toEqual(linksBefore);
  expect(resolvConf(inst.clientNetns)).toBe(dnsBefore);
  const residue = JSON.parse(readFileSync(join(h.workDir, 'residue.json'), 'utf8')) as { pids: number[]; dnsRecords: string[] };
  expect(residue).toMatchObject({ kind: 'openvpn', pids: [], dnsRecords: [] });
  // The config (with the private key) and the socket are gone too.
  expect(readdirSync(h.workDir)).toEqual(['residue.json']);
  return h;
}

const CRASH_SESSION = 'crash0001';

describe.skipIf(!isRoot)('OpenVPN driver (real openvpn in the lab)', () => {
  afterEach(async () => {
    for (const h of harnesses.splice(0)) {
      await h.driver.stop('test-cleanup');
      if (process.env.OVPN_TEST_DEBUG) console.log(h.states.map((s) => `${s.at} ${JSON.stringify(s.state)}`).join('\n'), process.env.OVPN_TEST_DEBUG === '2' ? h.logs.join('\n') : '');
      rmSync(h.workDir, { recursive: true, force: true });
    }
  });

  afterAll(async () => {
    for (const inst of labs.values()) await down(inst.id);
    labs.clear();
  });

  it('udp: connects, carries traffic, counts it, and leaves nothing behind', async () => {
    await fullCycle('openvpn-udp');
  });

  it('tcp: connects, carries traffic, and leaves nothing behind', async () => {
    await fullCycle('openvpn-tcp');
  });

  it('tap (L2, bridged): connects, carries traffic, removes the tap device', async () => {
    await fullCycle('openvpn-tap');
  });

  it('username/password: asks, connects with the right password', async () => {
    const inst = await lab('openvpn-userpass');
    const good = need(inst.credentials.good);
    const h = await fullCycle('openvpn-userpass', { answers: [{ kind: 'userpass', ...good }] });
    expect(h.requests).toEqual([{ kind: 'userpass', retry: false }]);
    // The password never reaches the log.
    expect(h.logs.join('\n')).not.toContain(good.password);
  });

  it('username/password: a wrong password ends in an auth-failed error, not a loop', async () => {
    const inst = await lab('openvpn-userpass');
    const h = await startDriver(inst, { initialCredentials: { kind: 'userpass', ...need(inst.credentials.bad) } });
    const err = await h.waitState((s) => s.status === 'error', 10_000);
    expect(err).toMatchObject({ status: 'error', code: 'auth-failed' });
    expect(h.requests).toEqual([]);
    await h.driver.stop('user');
    expect(h.states.at(-1)?.state.status).toBe('error');
    expect(netnsPids(inst.clientNetns)).toEqual([]);
    expect(h.logs.join('\n')).not.toContain(need(inst.credentials.bad).password);
  });

  it('username/password: a respawned openvpn is answered from the session, not the user', async () => {
    const inst = await lab('openvpn-userpass');
    const h = await startDriver(inst, { initialCredentials: { kind: 'userpass', ...need(inst.credentials.good) } });
    await h.waitState(isConnected, 10_000);
    const mark = h.states.length;
    process.kill(need(h.pid()), 'SIGKILL');
    await h.waitState(isConnected, 10_000, mark);
    expect(h.requests).toEqual([]);
  });

  it('username/password: cancelling the prompt disconnects', async () => {
    const inst = await lab('openvpn-userpass');
    const h = await startDriver(inst, { answers: [{ kind: 'cancel' }] });
    expect(await h.waitState((s) => s.status === 'disconnected', 10_000)).toEqual({ status: 'disconnected', reason: 'credentials-cancelled' });
    expect(netnsPids(inst.clientNetns)).toEqual([]);
  });

  it('static challenge: sends SCRV1 and connects', async () => {
    const inst = await lab('openvpn-challenge');
    const c = inst.credentials;
    const h = await startDriver(inst, {
      answers: [{ kind: 'challenge', username: need(c.good).username, password: need(c.good).password, response: need(c.challenge).response }],
    });
    await h.waitState(isConnected, 10_000);
    expect(h.requests).toEqual([{ kind: 'challenge', text: 'Enter OTP', echo: true, needsPassword: true, retry: false }]);
    expect(await pingUntil(inst.clientNetns, inst.protectedHostIp, 5_000)).toBe(true);
  });

  it('static challenge: a wrong response is an auth failure', async () => {
    const inst = await lab('openvpn-challenge');
    const c = inst.credentials;
    const h = await startDriver(inst, {
      answers: [{ kind: 'challenge', username: need(c.good).username, password: need(c.good).password, response: need(c.challenge).badResponse }],
    });
    expect(await h.waitState((s) => s.status === 'error', 10_000)).toMatchObject({ code: 'auth-failed' });
  });

  it('encrypted key: asks for the passphrase and connects; a wrong one is bad-passphrase', async () => {
    const inst = await lab('openvpn-enc-key');
    const pass = need(inst.credentials.keyPassphrase);
    const good = await startDriver(inst, { answers: [{ kind: 'passphrase', passphrase: pass }] });
    await good.waitState(isConnected, 10_000);
    expect(good.requests).toEqual([{ kind: 'passphrase', retry: false }]);
    expect(good.logs.join('\n')).not.toContain(pass);
    await good.driver.stop('user');
    const bad = await startDriver(inst, { initialCredentials: { kind: 'passphrase', passphrase: `${pass}x` } });
    expect(await bad.waitState((s) => s.status === 'error', 10_000)).toMatchObject({ code: 'bad-passphrase' });
  });

  it('legacy CBC profile: connects with the inspected (fixed) config', async () => {
    await fullCycle('openvpn-legacy');
  });

  it('legacy CBC profile without the data-ciphers fix: cipher negotiation error from the management stream', async () => {
    const inst = await lab('openvpn-legacy');
    const raw = readFileSync(inst.profile, 'utf8');
    const h = await startDriver(inst, { canonicalOverride: raw });
    const err = await h.waitState((s) => s.status === 'error', 10_000);
    expect(err).toMatchObject({ code: 'cipher-negotiation-failed' });
    if (err.status === 'error') expect(err.message.en).toContain('no shared cipher');
  });

  it('a config openvpn would read differently from the inspection is refused: the waiting openvpn reads nothing', async () => {
    const inst = await lab('openvpn-udp');
    const inspection = inspectProfile(readFileSync(inst.profile, 'utf8'), { fileName: 'lab.ovpn' });
    if (!inspection.ok || inspection.kind !== 'openvpn') throw new Error('lab profile refused');
    const workDir = mkdtempSync(join(tmpdir(), 'tsu-ovpn-reread-'));
    const prelaunched = prelaunchOpenVpn({ workDir, netns: inst.clientNetns });
    try {
      const driver = createOpenVpnDriver({
        sessionId: 'reread01',
        workDir,
        // A line the inspection never saw, as a desynchronised writer could emit.
        inspection: { ...inspection, canonical: `${inspection.canonical}http-proxy 198.18.1.1 3128 /etc/shadow basic\n` },
        connectTimeoutMs: 10_000,
        netns: inst.clientNetns,
        guardRoutes: false,
        ...(prelaunched ? { prelaunched } : {}),
        events: { state: () => undefined, counters: () => undefined, credentialsRequired: () => undefined, log: () => undefined, routesKnown: () => true },
      });
      await expect(driver.start()).rejects.toThrow(/openvpn would not read the config as checked: .*http-proxy/);
      await prelaunched?.exit;
      expect(readdirSync(workDir).filter((f) => f !== 'mgmt.sock')).toEqual([]);
    } finally {
      prelaunched?.abandon();
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  it('failover: skips the dead first remote and connects to the second', async () => {
    const inst = await lab('openvpn-failover');
    const h = await startDriver(inst);
    const s = await h.waitState(isConnected, 15_000);
    expect(s).toMatchObject({ remote: '198.18.1.1:1194' });
    expect(h.states.some((x) => x.state.status === 'reconnecting')).toBe(false);
    expect(await pingUntil(inst.clientNetns, inst.protectedHostIp, 5_000)).toBe(true);
  });

  it('dns: pushed DNS is in the namespace resolv.conf while connected; byte-identical after stop', async () => {
    const inst = await lab('openvpn-dns');
    const before = resolvConf(inst.clientNetns);
    const h = await startDriver(inst);
    await h.waitState(isConnected, 10_000);
    const during = resolvConf(inst.clientNetns);
    expect(during).toContain('nameserver 198.18.2.53');
    expect(during).toMatch(/^search lab\.test$/m);
    const residue = JSON.parse(readFileSync(join(h.workDir, 'residue.json'), 'utf8')) as { dnsRecords: string[] };
    expect(residue.dnsRecords).toEqual([`resolvconf:${h.driver.interfaceName()}.tsunagu@${inst.clientNetns}`]);
    await h.driver.stop('user');
    expect(resolvConf(inst.clientNetns)).toBe(before);
  });

  it('openvpn killed with SIGKILL: reconnecting (process-exited), then connected again', async () => {
    const inst = await lab('openvpn-udp');
    const h = await startDriver(inst);
    await h.waitState(isConnected, 10_000);
    const firstPid = h.pid();
    expect(firstPid).not.toBeNull();
    const mark = h.states.length;
    const t = Date.now();
    process.kill(need(firstPid), 'SIGKILL');
    expect(await h.waitState((s) => s.status === 'reconnecting', 5_000, mark)).toMatchObject({
      status: 'reconnecting',
      reason: 'process-exited',
      attempt: 1,
      message: { en: 'OpenVPN stopped unexpectedly and is being restarted' },
    });
    await h.waitState(isConnected, 10_000, mark);
    console.log(`SIGKILL → connected again ${Date.now() - t} ms`);
    expect(h.pid()).not.toBe(firstPid);
    expect(await pingUntil(inst.clientNetns, inst.protectedHostIp, 5_000)).toBe(true);
  });

  it('server restart: reconnecting, then connected again within 5 s', async () => {
    const inst = await lab('openvpn-udp');
    const h = await startDriver(inst);
    await h.waitState(isConnected, 10_000);
    const mark = h.states.length;
    const restart = fault(inst.id, 'restart');
    await h.waitState((s) => s.status === 'reconnecting', 10_000, mark);
    await restart;
    const t = Date.now();
    await h.waitState(isConnected, 5_000, mark);
    console.log(`server back → client connected ${Date.now() - t} ms`);
    expect(await pingUntil(inst.clientNetns, inst.protectedHostIp, 5_000)).toBe(true);
  });

  it('link drop: reconnecting (ping-restart), and connected again after restore', async () => {
    const inst = await lab('openvpn-udp');
    const h = await startDriver(inst);
    await h.waitState(isConnected, 10_000);
    const mark = h.states.length;
    await fault(inst.id, 'drop');
    try {
      const s = await h.waitState((x) => x.status === 'reconnecting', 20_000, mark);
      expect(s).toMatchObject({ status: 'reconnecting', reason: 'ping-restart', attempt: 1, message: { en: 'No reply from the server', ja: 'サーバーから応答がありません' } });
    } finally {
      await fault(inst.id, 'restore');
    }
    const t = Date.now();
    await h.waitState(isConnected, 20_000, mark);
    console.log(`restore → connected ${Date.now() - t} ms`);
    expect(await pingUntil(inst.clientNetns, inst.protectedHostIp, 5_000)).toBe(true);
  });

  it('connect timeout: a remote with nothing listening ends in connect-timeout', async () => {
    const inst = await lab('openvpn-udp');
    const text = readFileSync(inst.profile, 'utf8').replace(/^remote 198\.18\.1\.1 1194$/m, 'remote 198.18.1.1 1195');
    expect(text).toContain('remote 198.18.1.1 1195');
    const h = await startDriver(inst, { profileText: text, connectTimeoutMs: 4_000 });
    const t = Date.now();
    const err = await h.waitState((s) => s.status === 'error', 8_000);
    const elapsed = Date.now() - t;
    expect(err).toMatchObject({ code: 'connect-timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(3_500);
    expect(elapsed).toBeLessThan(6_000);
    await h.driver.stop('user');
    expect(netnsPids(inst.clientNetns)).toEqual([]);
  });

  /** The lab profile plus routes outside the tunnel: redirect-gateway's host route to the server via the underlay gateway, and a net_gateway host route. */
  const EXTRA_ROUTES = 'route 203.0.113.7 255.255.255.255 net_gateway\nredirect-gateway def1\n';
  const routes4 = (ns: string) => execFileSync('ip', ['-n', ns, '-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });

  it('routes: the profile\'s and the pushed routes are reported before connected', async () => {
    const inst = await lab('openvpn-udp');
    const h = await startDriver(inst, { profileText: `${readFileSync(inst.profile, 'utf8')}${EXTRA_ROUTES}` });
    await h.waitState(isConnected, 15_000);
    expect(h.routeReports).toHaveLength(1);
    const report = need(h.routeReports[0]);
    // Profile: the net_gateway route and def1's halves; pushed: the protected LAN and the tunnel subnet.
    expect(report.prefixes).toEqual(expect.arrayContaining(['203.0.113.7/32', '0.0.0.0/1', '128.0.0.0/1', '198.18.2.0/24']));
    const connectedAt = h.states.findIndex((s) => isConnected(s.state));
    expect(report.statesBefore).toBeLessThanOrEqual(connectedAt);
    await h.driver.stop('user');
  });

  it('routes: a helper too busy to answer before openvpn connected still learns the pushed routes (from the log history) before connected', async () => {
    const inst = await lab('openvpn-udp');
    const h = await startDriver(inst, { profileText: `${readFileSync(inst.profile, 'utf8')}${EXTRA_ROUTES}` });
    // Block this event loop (the driver's) while openvpn dials in, connects and adds its routes.
    const until = Date.now() + 2_500;
    while (Date.now() < until) {
      // busy: nothing of the driver runs
    }
    await h.waitState(isConnected, 15_000);
    expect(h.logs.join('\n')).toMatch(/Initialization Sequence Completed/);
    expect(h.routeReports[0]?.prefixes).toEqual(expect.arrayContaining(['198.18.2.0/24', '203.0.113.7/32']));
    const residue = JSON.parse(readFileSync(join(h.workDir, 'residue.json'), 'utf8')) as { routes: { dst: string }[] };
    expect(residue.routes.map((r) => r.dst)).toEqual(expect.arrayContaining(['198.18.1.1/32', '203.0.113.7/32']));
    await h.driver.stop('user');
  });

  it('routes: a conflict reported by the session manager ends the session without connected, and nothing stays', async () => {
    const inst = await lab('openvpn-udp');
    const before = routes4(inst.clientNetns);
    const h = await startDriver(inst, { profileText: `${readFileSync(inst.profile, 'utf8')}${EXTRA_ROUTES}`, routesOk: false });
    await expect.poll(() => h.routeReports.length, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => netnsPids(inst.clientNetns), { timeout: 10_000 }).toEqual([]);
    await h.driver.stop('route-conflict');
    expect(h.states.some((s) => isConnected(s.state))).toBe(false);
    expect(routes4(inst.clientNetns)).toBe(before);
  });

  it('routes outside the tunnel: a SIGKILLed openvpn leaves them; the record has them before connected, and teardown removes them', async () => {
    const inst = await lab('openvpn-udp');
    const before = routes4(inst.clientNetns);
    const h = await startDriver(inst, { profileText: `${readFileSync(inst.profile, 'utf8')}${EXTRA_ROUTES}` });
    await h.waitState(isConnected, 15_000);
    // On disk by the time connected is reported.
    const residue = JSON.parse(readFileSync(join(h.workDir, 'residue.json'), 'utf8')) as { routes: { dst: string; gateway: string | null }[] };
    expect(residue.routes).toEqual(
      expect.arrayContaining([expect.objectContaining({ dst: '198.18.1.1/32', gateway: '198.18.1.1' }), expect.objectContaining({ dst: '203.0.113.7/32', gateway: '198.18.1.1' })]),
    );
    process.kill(need(h.pid()), 'SIGKILL');
    await expect.poll(() => netnsPids(inst.clientNetns), { timeout: 5_000 }).toEqual([]);
    const left = routes4(inst.clientNetns);
    expect(left).toContain('203.0.113.7 via 198.18.1.1');
    expect(left).toContain('198.18.1.1 via 198.18.1.1');
    await h.driver.stop('user');
    expect(routes4(inst.clientNetns)).toBe(before);
  });

  it('routes outside the tunnel: one that existed before (openvpn\'s add failed) is not recorded and stays after a SIGKILL and teardown', async () => {
    const inst = await lab('openvpn-udp');
    // The administrator's (or another session's) route, there before the tunnel.
    execFileSync('ip', ['-n', inst.clientNetns, 'route', 'add', '203.0.113.7/32', 'via', '198.18.1.1']);
    try {
      const before = routes4(inst.clientNetns);
      const h = await startDriver(inst, { profileText: `${readFileSync(inst.profile, 'utf8')}${EXTRA_ROUTES}` });
      await h.waitState(isConnected, 15_000);
      const residue = JSON.parse(readFileSync(join(h.workDir, 'residue.json'), 'utf8')) as { routes: { dst: string }[] };
      expect(residue.routes.map((r) => r.dst)).toContain('198.18.1.1/32');
      expect(residue.routes.map((r) => r.dst)).not.toContain('203.0.113.7/32');
      process.kill(need(h.pid()), 'SIGKILL');
      await expect.poll(() => netnsPids(inst.clientNetns), { timeout: 5_000 }).toEqual([]);
      await h.driver.stop('user');
      expect(routes4(inst.clientNetns)).toBe(before);
    } finally {
      execFileSync('ip', ['-n', inst.clientNetns, 'route', 'del', '203.0.113.7/32']);
    }
  });

  it('a hostile server pushing explicit-exit-notify 30, verb 0 and a net_gateway route: the first two are filtered, the route is checked, recorded, and gone after SIGKILL + teardown', async () => {
    const inst = await lab('openvpn-udp');
    const before = routes4(inst.clientNetns);
    // A second server beside the lab's, on its own port, device and subnet, pushing what a hostile one would.
    const serverDir = mkdtempSync(join(inst.dir, 'hostile-'));
    const conf = readFileSync(join(inst.dir, 'server', 'server.conf'), 'utf8')
      .replace(/^port 1194$/m, 'port 1195')
      .replace(/^dev (\S+)-tun$/m, 'dev $1-tu2')
      .replace(/^server 198\.18\.8\.0 /m, 'server 198.18.11.0 ')
      .concat('push "explicit-exit-notify 30"\npush "verb 0"\npush "route 203.0.113.0 255.255.255.0 net_gateway"\n');
    writeFileSync(join(serverDir, 'server.conf'), conf);
    const server = spawn('ip', ['netns', 'exec', inst.serverNetns, 'openvpn', '--config', join(serverDir, 'server.conf')], { cwd: serverDir, stdio: 'ignore' });
    try {
      const profileText = readFileSync(inst.profile, 'utf8').replace(/^remote 198\.18\.1\.1 1194$/m, 'remote 198.18.1.1 1195');
      const h = await startDriver(inst, { profileText });
      await h.waitState(isConnected, 15_000);
      expect(h.routeReports[0]?.prefixes).toEqual(expect.arrayContaining(['203.0.113.0/24', '198.18.2.0/24']));
      expect(h.logs.join('\n')).toContain('explicit-exit-notify 30');
      const residue = JSON.parse(readFileSync(join(h.workDir, 'residue.json'), 'utf8')) as { routes: { dst: string; gateway: string | null }[] };
      expect(residue.routes).toEqual(expect.arrayContaining([expect.objectContaining({ dst: '203.0.113.0/24', gateway: '198.18.1.1' })]));
      // Told to stop, it leaves after its own explicit-exit-notify 1, not the pushed 30 s.
      const t = Date.now();
      await h.driver.stop('user');
      const took = Date.now() - t;
      console.log(`hostile push: stop took ${took} ms`);
      expect(took).toBeLessThan(2_500);
      expect(h.logs.join('\n')).not.toContain('did not exit within');
      expect(routes4(inst.clientNetns)).toBe(before);
      // Killed instead: the pushed net_gateway route outlives it, and teardown removes it.
      const k = await startDriver(inst, { profileText });
      await k.waitState(isConnected, 15_000);
      process.kill(need(k.pid()), 'SIGKILL');
      await expect.poll(() => netnsPids(inst.clientNetns), { timeout: 5_000 }).toEqual([]);
      expect(routes4(inst.clientNetns)).toContain('203.0.113.0/24 via 198.18.1.1');
      await k.driver.stop('user');
      expect(routes4(inst.clientNetns)).toBe(before);
    } finally {
      server.kill('SIGKILL');
      rmSync(serverDir, { recursive: true, force: true });
    }
  });

  /**
   * A second server beside the lab's (own port, device and subnet) pushing redirect-gateway def1;
   * resolves with the profile that reaches it, and a stop.
   */
  function redirectingServer(inst: LabInstance, port: number, subnet: string): { profileText: string; stop(): void } {
    const serverDir = mkdtempSync(join(inst.dir, 'redirect-'));
    const conf = readFileSync(join(inst.dir, 'server', 'server.conf'), 'utf8')
      .replace(/^port 1194$/m, `port ${port}`)
      .replace(/^dev (\S+)-tun$/m, `dev $1-r${port % 10}`)
      .replace(/^server 198\.18\.8\.0 /m, `server ${subnet} `)
      .concat('push "redirect-gateway def1"\n');
    writeFileSync(join(serverDir, 'server.conf'), conf);
    const server = spawn('ip', ['netns', 'exec', inst.serverNetns, 'openvpn', '--config', join(serverDir, 'server.conf')], { cwd: serverDir, stdio: 'ignore' });
    return {
      profileText: readFileSync(inst.profile, 'utf8').replace(/^remote 198\.18\.1\.1 1194$/m, `remote 198.18.1.1 ${port}`),
      stop() {
        server.kill('SIGKILL');
        rmSync(serverDir, { recursive: true, force: true });
      },
    };
  }

  /** Route additions in the namespace (all tables, v4 and v6) while `during` runs, from `ip monitor`. */
  async function routesAddedDuring(ns: string, during: (monitorPid: number) => Promise<void>): Promise<string[]> {
    const monitor = spawn('ip', ['-n', ns, 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    monitor.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await new Promise((r) => monitor.once('spawn', r));
    // ip subscribes to the netlink groups right after it starts.
    await new Promise((r) => setTimeout(r, 200));
    try {
      await during(need(monitor.pid));
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      monitor.kill('SIGKILL');
    }
    return out.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Deleted'));
  }

  it('routes guarded (another session active): a server pushing redirect-gateway gets no route into the namespace before the conflict kills openvpn', async () => {
    const inst = await lab('openvpn-udp');
    const before = routes4(inst.clientNetns);
    const server = redirectingServer(inst, 1196, '198.18.12.0');
    try {
      let h: Harness | undefined;
      const added = await routesAddedDuring(inst.clientNetns, async (monitorPid) => {
        h = await startDriver(inst, { profileText: server.profileText, guardRoutes: true, routesOk: false });
        await expect.poll(() => h?.routeReports.length, { timeout: 15_000 }).toBe(1);
        await expect.poll(() => netnsPids(inst.clientNetns).filter((p) => p !== monitorPid), { timeout: 5_000 }).toEqual([]);
      });
      const guarded = need(h);
      expect(guarded.routeReports[0]?.prefixes).toEqual(expect.arrayContaining(['0.0.0.0/1', '128.0.0.0/1']));
      console.log(`guarded conflict: routes added meanwhile: ${JSON.stringify(added)}`);
      // Only the kernel's own entries for the tunnel address (ifconfig runs on the push, before
      // any check); no route openvpn adds.
      expect(added.filter((l) => !/\bproto kernel\b/.test(l))).toEqual([]);
      expect(added.join('\n')).not.toMatch(/^(0\.0\.0\.0|128\.0\.0\.0)\/1 |^198\.18\.1\.1 via /m);
      await guarded.driver.stop('route-conflict');
      expect(guarded.states.some((s) => isConnected(s.state))).toBe(false);
      expect(routes4(inst.clientNetns)).toBe(before);
      // The same server with no other session active: the routes go in at once, and connect does not wait.
      const alone = await startDriver(inst, { profileText: server.profileText });
      await alone.waitState(isConnected, 15_000);
      expect(routes4(inst.clientNetns)).toMatch(/^0\.0\.0\.0\/1 via /m);
      expect(alone.logs.join('\n')).not.toMatch(/route-delay|Route addition fallback/);
      await alone.driver.stop('user');
      expect(routes4(inst.clientNetns)).toBe(before);
    } finally {
      server.stop();
    }
  });

  it('routes guarded: with no conflict the routes are added after the delay, and connected follows them', async () => {
    const inst = await lab('openvpn-udp');
    const before = routes4(inst.clientNetns);
    const server = redirectingServer(inst, 1197, '198.18.13.0');
    try {
      const h = await startDriver(inst, { profileText: server.profileText, guardRoutes: true });
      await h.waitState(isConnected, 20_000);
      const reportedAt = need(h.routeReports[0]).statesBefore;
      expect(reportedAt).toBeLessThanOrEqual(h.states.findIndex((s) => isConnected(s.state)));
      expect(routes4(inst.clientNetns)).toMatch(/^0\.0\.0\.0\/1 via /m);
      expect(await pingUntil(inst.clientNetns, inst.protectedHostIp, 5_000)).toBe(true);
      console.log(`guarded, no conflict: spawn → connected ${h.states.find((s) => isConnected(s.state))?.at} ms`);
      await h.driver.stop('user');
      expect(routes4(inst.clientNetns)).toBe(before);
    } finally {
      server.stop();
    }
  });

  it('helper crash: openvpn exits with the management connection; cleanup removes the DNS left behind', async () => {
    const inst = await lab('openvpn-dns');
    const dnsBefore = resolvConf(inst.clientNetns);
    const linksBefore = links(inst.clientNetns);
    const s = await standInHelper('openvpn', CRASH_SESSION, inst.profile, inst.clientNetns);
    try {
      const residue = JSON.parse(readFileSync(join(s.sessionDir, 'residue.json'), 'utf8')) as OpenVpnResidue;
      expect(residue.pids).toHaveLength(1);
      expect(residue.dnsRecords).toHaveLength(1);
      expect(resolvConf(inst.clientNetns)).toContain('nameserver 198.18.2.53');
      const pid = need(residue.pids[0]);
      const t = Date.now();
      s.helper.kill('SIGKILL');
      expect(await waitForExit(pid, 5_000)).toBe(true);
      console.log(`helper SIGKILL → openvpn gone ${Date.now() - t} ms`);
      expect(links(inst.clientNetns)).toEqual(linksBefore);
      // DNS is what a crash leaves behind; the residue record is enough to remove it.
      expect(resolvConf(inst.clientNetns)).not.toBe(dnsBefore);
      const parsed = parseOpenVpnResidue(s.sessionDir, residue);
      if (!('residue' in parsed)) throw new Error(parsed.problem);
      await cleanupOpenVpnResidue(s.sessionDir, parsed.residue);
      expect(resolvConf(inst.clientNetns)).toBe(dnsBefore);
      await cleanupOpenVpnResidue(s.sessionDir, parsed.residue); // idempotent
    } finally {
      s.dispose();
    }
  });

  it('helper and openvpn SIGKILLed: the routes outside the tunnel stay, and start-up cleanup removes them from the record', async () => {
    const inst = await lab('openvpn-udp');
    const before = routes4(inst.clientNetns);
    const profile = join(mkdtempSync(join(tmpdir(), 'tsu-ovpn-routes-')), 'routes.ovpn');
    writeFileSync(profile, `${readFileSync(inst.profile, 'utf8')}${EXTRA_ROUTES}`);
    const s = await standInHelper('openvpn', CRASH_SESSION, profile, inst.clientNetns);
    try {
      // Recorded by the time connected was reported, however fast the server or slow the helper.
      const residue = JSON.parse(readFileSync(join(s.sessionDir, 'residue.json'), 'utf8')) as OpenVpnResidue;
      expect(residue.routes.map((r) => r.dst)).toEqual(expect.arrayContaining(['198.18.1.1/32', '203.0.113.7/32']));
      // openvpn first (the stand-in would respawn it after 1 s), then its helper.
      process.kill(need(residue.pids[0]), 'SIGKILL');
      s.helper.kill('SIGKILL');
      await expect.poll(() => netnsPids(inst.clientNetns), { timeout: 5_000 }).toEqual([]);
      expect(routes4(inst.clientNetns)).toContain('203.0.113.7 via 198.18.1.1');
      expect(routes4(inst.clientNetns)).toContain('198.18.1.1 via 198.18.1.1');
      expect(await cleanupPredecessor(s.runDir, new HelperLog(10))).toEqual([CRASH_SESSION]);
      expect(routes4(inst.clientNetns)).toBe(before);
    } finally {
      s.dispose();
      rmSync(dirname(profile), { recursive: true, force: true });
    }
  });

  it('cleanup kills only openvpn processes of the session: executable openvpn, cwd the session directory, its management socket', async () => {
    const inst = await lab('openvpn-udp');
    const base = mkdtempSync(join(tmpdir(), 'tsu-ovpn-residue-'));
    const workDir = join(base, 'residue01');
    mkdirSync(workDir);
    const sock = join(workDir, 'mgmt.sock');
    const openvpnArgs = ['netns', 'exec', inst.clientNetns, 'openvpn', '--config', 'stdin', '--management', sock, 'unix', '--management-client'];
    // A first start reads its config from stdin: it is known by the session's management socket.
    const ours = spawn('ip', openvpnArgs, { cwd: workDir, stdio: ['pipe', 'ignore', 'ignore'] });
    const elsewhere = spawn('ip', ['netns', 'exec', inst.clientNetns, 'openvpn', '--config', 'stdin', '--management', join(base, 'mgmt.sock'), 'unix', '--management-client'], { cwd: workDir, stdio: ['pipe', 'ignore', 'ignore'] });
    const wrongCwd = spawn('ip', openvpnArgs, { cwd: base, stdio: ['pipe', 'ignore', 'ignore'] });
    // Looks like ours in /proc/<pid>/cmdline (argv[0] openvpn, the socket, the cwd), but is not openvpn.
    const impostor = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', '--', '--management', sock], { argv0: 'openvpn', cwd: workDir, stdio: 'ignore' });
    const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
    const all = [ours, elsewhere, wrongCwd, impostor, bystander];
    try {
      await new Promise((r) => setTimeout(r, 300));
      for (const c of all) expect(isAlive(need(c.pid))).toBe(true);
      const parsed = parseOpenVpnResidue(workDir, {
        kind: 'openvpn',
        sessionId: 'residue01',
        pids: [1, ...all.map((c) => need(c.pid))],
        interfaceName: 'tun0',
        dnsRecords: [],
        configPath: join(workDir, 'profile.ovpn'),
      });
      if (!('residue' in parsed)) throw new Error(parsed.problem);
      await cleanupOpenVpnResidue(workDir, parsed.residue);
      expect(await waitForExit(need(ours.pid), 1_000)).toBe(true);
      for (const c of [elsewhere, wrongCwd, impostor, bystander]) expect(isAlive(need(c.pid))).toBe(true);
      expect(isAlive(1)).toBe(true);
    } finally {
      for (const c of all) c.kill('SIGKILL');
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('residue records: one that names another session or a config elsewhere is refused whole', () => {
    const dir = '/run/tsunagu/sessions/abc';
    const record = { kind: 'openvpn', sessionId: 'abc', pids: [], interfaceName: null, dnsRecords: [], configPath: join(dir, 'profile.ovpn') };
    expect('residue' in parseOpenVpnResidue(dir, record)).toBe(true);
    expect(parseOpenVpnResidue(dir, { ...record, sessionId: 'other' })).toEqual({ problem: 'the record names another session' });
    expect(parseOpenVpnResidue(dir, { ...record, configPath: '/tmp/evil.ovpn' })).toEqual({ problem: 'the record names a config outside its session directory' });
    expect('problem' in parseOpenVpnResidue(dir, { ...record, dnsRecords: ['resolvconf:../../etc/passwd'] })).toBe(true);
    expect('problem' in parseOpenVpnResidue(dir, { ...record, netns: 'x; rm -rf /' })).toBe(true);
    expect('problem' in parseOpenVpnResidue(dir, { ...record, routes: [{ family: 4, dst: '10.0.0.1/8', gateway: null, dev: null, table: 0 }] })).toBe(true);
  });

  it('a waiting openvpn is no longer usable once its namespace was replaced under the same name', async () => {
    const netns = `tsu-sb-${process.pid}`;
    const workDir = mkdtempSync(join(tmpdir(), 'tsu-ovpn-standby-ns-'));
    execFileSync('ip', ['netns', 'add', netns]);
    const launched = OpenVpnProcess.launch({ workDir, netns, configPath: null });
    if (typeof launched === 'string') throw new Error(launched);
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(launched.usable).toBe(true);
      execFileSync('ip', ['netns', 'del', netns]);
      execFileSync('ip', ['netns', 'add', netns]);
      expect(launched.usable).toBe(false);
    } finally {
      launched.abandon();
      await launched.exit;
      execFileSync('ip', ['netns', 'del', netns]);
      rmSync(workDir, { recursive: true, force: true });
    }
    expect(launched.usable).toBe(false);
  });

  it('a standby openvpn that outlived its helper is stopped by the next helper\'s start-up cleanup', async () => {
    const inst = await lab('openvpn-udp');
    const runDir = mkdtempSync(join(tmpdir(), 'tsu-ovpn-standby-'));
    const sessionsDir = join(runDir, 'sessions');
    // This test process plays the helper that "died" without its standby exiting (it keeps the
    // standby's stdin open, which a dead helper could not).
    const pool = new StandbyPool({ sessionsDir, netns: inst.clientNetns, prelaunchers: { openvpn: prelaunchOpenVpn }, log: new HelperLog(10) });
    try {
      pool.fill('openvpn');
      const [id] = readdirSync(sessionsDir);
      const pid = Number(readFileSync(join(sessionsDir, need(id), STANDBY_MARKER), 'utf8'));
      await new Promise((r) => setTimeout(r, 300));
      expect(isAlive(pid)).toBe(true);
      const cleaned = await cleanupPredecessor(runDir, new HelperLog(10));
      expect(cleaned).toEqual([id]);
      expect(await waitForExit(pid, 2_000)).toBe(true);
      expect(readdirSync(sessionsDir)).toEqual([]);
    } finally {
      await pool.close();
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});
