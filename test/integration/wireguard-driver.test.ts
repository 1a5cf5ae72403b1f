// The WireGuard driver against real wg-quick + wireguard-go servers in lab namespaces (needs root).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TunnelState } from '../../shared/ipc/helper-protocol.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { cleanupPredecessor } from '../../electron/helper/cleanup.js';
import type { Driver, DriverContext } from '../../electron/helper/drivers/driver.js';
import { createWireGuardDriver, interfaceNameFor, type WireGuardResidue, type WireGuardTimings } from '../../electron/helper/drivers/wireguard/index.js';
import { HelperLog } from '../../electron/helper/log.js';
import { wireGuardFwMark } from '../../electron/helper/firewall/intent.js';
import { findWireGuardGo } from '../../electron/helper/drivers/wireguard/system.js';
import { down, fault, ping, pingUntil, up, type LabInstance, type ScenarioName } from '../lab/index.js';
import { standInHelper } from './stand-in-helper.js';

const isRoot = process.getuid?.() === 0;

function sh(netns: string, cmd: string, args: string[]): string {
  try {
    return execFileSync('ip', ['netns', 'exec', netns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return `failed: ${(e as Error).message}`;
  }
}

/** What a tunnel may leave in the client namespace. */
function snapshot(netns: string) {
  return {
    rules4: sh(netns, 'ip', ['-4', 'rule', 'show']),
    rules6: sh(netns, 'ip', ['-6', 'rule', 'show']),
    routes4: sh(netns, 'ip', ['-4', 'route', 'show', 'table', 'all']),
    // The underlay's link-local address (and its local route) appears whenever DAD finishes.
    routes6: sh(netns, 'ip', ['-6', 'route', 'show', 'table', 'all']).replace(/^local fe80::.*\n/gm, ''),
    links: sh(netns, 'ip', ['-o', 'link', 'show']).replace(/\\.*$/gm, ''),
    nft: sh(netns, 'nft', ['list', 'ruleset']),
    srcValidMark: sh(netns, 'sysctl', ['-n', 'net.ipv4.conf.all.src_valid_mark']),
    resolvConf: readFileSync(`/etc/netns/${netns}/resolv.conf`).toString('base64'),
  };
}

interface Harness {
  driver: Driver;
  ifname: string;
  workDir: string;
  states: TunnelState[];
  counters: Array<{ at: number; bytesIn: number; bytesOut: number }>;
  logs: string[];
  /** What routesKnown was called with. */
  routeReports: string[][];
  startedAt: number;
  waitFor(status: TunnelState['status'], timeoutMs: number, after?: number): Promise<TunnelState>;
}

const labs: LabInstance[] = [];
const harnesses: Harness[] = [];

async function lab(scenario: ScenarioName): Promise<LabInstance> {
  const inst = await up(scenario);
  labs.push(inst);
  return inst;
}

function contextFor(inst: LabInstance, profileText: string, connectTimeoutMs: number) {
  const inspection = inspectProfile(profileText, { fileName: basename(inst.profile) });
  if (!inspection.ok || inspection.kind !== 'wireguard') throw new Error(`lab profile refused: ${JSON.stringify(inspection.errors)}`);
  const workDir = mkdtempSync(join(tmpdir(), 'tsunagu-wg-'));
  return { inspection, workDir, sessionId: randomBytes(8).toString('hex'), connectTimeoutMs };
}

function startHarness(
  inst: LabInstance,
  opts: { connectTimeoutMs?: number; timings?: Partial<WireGuardTimings>; profileText?: string; routesOk?: boolean } = {},
): Harness {
  const base = contextFor(inst, opts.profileText ?? readFileSync(inst.profile, 'utf8'), opts.connectTimeoutMs ?? 10_000);
  const waiters = new Set<() => void>();
  const h: Harness = {
    driver: undefined as unknown as Driver,
    ifname: interfaceNameFor(base.sessionId),
    workDir: base.workDir,
    states: [],
    counters: [],
    logs: [],
    routeReports: [],
    startedAt: Date.now(),
    waitFor(status, timeoutMs, after = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = h.states.slice(after).find((s) => s.status === status);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${status} state within ${timeoutMs} ms; states: ${JSON.stringify(h.states)}\n${h.logs.slice(-15).join('\n')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
  const context: DriverContext<'wireguard'> = {
    ...base,
    netns: inst.clientNetns,
    guardRoutes: false,
    events: {
      state: (s) => {
        h.states.push(s);
        for (const w of [...waiters]) w();
      },
      counters: (bytesIn, bytesOut) => h.counters.push({ at: Date.now(), bytesIn, bytesOut }),
      credentialsRequired: () => undefined,
      log: (level, text) => h.logs.push(`${level} ${text}`),
      routesKnown: (prefixes) => {
        h.routeReports.push(prefixes);
        return opts.routesOk ?? true;
      },
    },
  };
  h.driver = createWireGuardDriver(context, opts.timings);
  harnesses.push(h);
  return h;
}

const privateKeyOf = (text: string) => /^PrivateKey\s*=\s*(\S+)/m.exec(text)?.[1] ?? 'missing';

/** Nothing of the tunnel is left: process, interface, socket, files, and the namespace as before. */
function expectClean(inst: LabInstance, h: Harness, before: ReturnType<typeof snapshot>): void {
  expect(findWireGuardGo(h.ifname)).toEqual([]);
  expect(existsSync(`/var/run/wireguard/${h.ifname}.sock`)).toBe(false);
  expect(sh(inst.clientNetns, 'ip', ['link', 'show', 'dev', h.ifname])).toMatch(/^failed/);
  expect(snapshot(inst.clientNetns)).toEqual(before);
  expect(existsSync(join(h.workDir, `${h.ifname}.conf`))).toBe(false);
  expect(existsSync(join(h.workDir, 'residue.json'))).toBe(false);
  const key = privateKeyOf(readFileSync(inst.profile, 'utf8'));
  for (const line of h.logs) expect(line).not.toContain(key);
}

afterEach(async () => {
  for (const h of harnesses.splice(0)) {
    await h.driver.stop('test cleanup').catch(() => undefined);
    rmSync(h.workDir, { recursive: true, force: true });
  }
  for (const inst of labs.splice(0)) await down(inst.id);
});

describe.skipIf(!isRoot)('WireGuard driver (wg-quick + wireguard-go in lab namespaces)', () => {
  it.each(['wireguard-split', 'wireguard-full'] as const)('%s: connects, carries traffic, counts it, and stops cleanly', async (scenario) => {
    const inst = await lab(scenario);
    const before = snapshot(inst.clientNetns);
    const h = startHarness(inst);
    await h.driver.start();
    expect(h.driver.interfaceName()).toBe(h.ifname);
    const connected = await h.waitFor('connected', 10_000);
    const connectMs = Date.now() - h.startedAt;
    expect(connected).toMatchObject({ localIp: '198.18.9.2', localIp6: 'fd74:736c:9::2', remote: '198.18.1.1:51820' });
    expect(h.states.slice(0, 3)).toEqual([
      { status: 'connecting', phase: 'starting' },
      { status: 'connecting', phase: 'handshake' },
      connected,
    ]);
    expect(statSync(join(h.workDir, `${h.ifname}.conf`)).mode & 0o777).toBe(0o600);
    const residue = JSON.parse(readFileSync(join(h.workDir, 'residue.json'), 'utf8')) as WireGuardResidue;
    expect(residue).toMatchObject({ kind: 'wireguard', interfaceName: h.ifname, netns: inst.clientNetns, configPath: join(h.workDir, `${h.ifname}.conf`) });
    expect(residue.pids).toEqual(findWireGuardGo(h.ifname).map((p) => p.pid));
    expect(h.routeReports).toEqual([scenario === 'wireguard-full' ? ['0.0.0.0/0', '::/0'] : expect.arrayContaining(['198.18.9.0/24', '198.18.2.0/24'])]);
    if (scenario === 'wireguard-full') {
      // The exact rules its `up` added, and src_valid_mark as it was before (wg-quick sets it to 1).
      expect(residue.rules).toEqual([
        { kind: 'suppress', family: 4, priority: 32764 },
        { kind: 'fwmark', family: 4, priority: 32765, mark: wireGuardFwMark(h.ifname) },
        { kind: 'suppress', family: 6, priority: 32764 },
        { kind: 'fwmark', family: 6, priority: 32765, mark: wireGuardFwMark(h.ifname) },
      ]);
      expect(residue.srcValidMark).toBe(Number(before.srcValidMark.trim()));
      expect(sh(inst.clientNetns, 'sysctl', ['-n', 'net.ipv4.conf.all.src_valid_mark']).trim()).toBe('1');
    } else {
      expect(residue).toMatchObject({ rules: [], srcValidMark: null });
    }

    expect(await pingUntil(inst.clientNetns, inst.protectedHostIp, 5_000)).toBe(true);
    const first = h.counters.at(-1);
    expect(await ping(inst.clientNetns, inst.tunnelPeerIp, { count: 3 })).toBe(true);
    await expect.poll(() => (h.counters.at(-1)?.at ?? 0) > (first?.at ?? 0) + 50, { timeout: 3_000 }).toBe(true);
    const second = h.counters.at(-1);
    expect(second?.bytesIn).toBeGreaterThan(first?.bytesIn ?? Infinity);
    expect(second?.bytesOut).toBeGreaterThan(first?.bytesOut ?? Infinity);

    const stopAt = Date.now();
    await h.driver.stop('requested by the test');
    const stopMs = Date.now() - stopAt;
    expect(h.states.slice(-2)).toEqual([{ status: 'disconnecting' }, { status: 'disconnected', reason: 'requested by the test' }]);
    expectClean(inst, h, before);
    expect(await ping(inst.clientNetns, inst.protectedHostIp, { waitS: 1 })).toBe(false);
    console.log(`${scenario}: connected ${connectMs} ms after start; stop took ${stopMs} ms`);
  });

  it('wireguard-dns: sets the namespace resolv.conf while connected and restores it byte for byte', async () => {
    const inst = await lab('wireguard-dns');
    const resolvPath = `/etc/netns/${inst.clientNetns}/resolv.conf`;
    const original = readFileSync(resolvPath);
    const before = snapshot(inst.clientNetns);
    const h = startHarness(inst);
    await h.driver.start();
    await h.waitFor('connected', 10_000);
    const during = readFileSync(resolvPath, 'utf8');
    expect(during).toContain('nameserver 198.18.2.53');
    expect(during).toContain('search lab.test');
    await h.driver.stop('done');
    expect(readFileSync(resolvPath).equals(original)).toBe(true);
    expectClean(inst, h, before);
  });

  it('a stop while wg-quick up is still running waits for it, then undoes it', async () => {
    const inst = await lab('wireguard-full');
    const before = snapshot(inst.clientNetns);
    const h = startHarness(inst);
    const starting = h.driver.start();
    await h.driver.stop('cancelled');
    await starting;
    expect(h.states).toEqual([
      { status: 'connecting', phase: 'starting' },
      { status: 'disconnecting' },
      { status: 'disconnected', reason: 'cancelled' },
    ]);
    expectClean(inst, h, before);
  });

  it('wireguard-badkey: no handshake ends in an error within the timeout, and nothing is left', async () => {
    const inst = await lab('wireguard-badkey');
    const before = snapshot(inst.clientNetns);
    const h = startHarness(inst, { connectTimeoutMs: 6_000 });
    await h.driver.start();
    const error = await h.waitFor('error', 9_000);
    const elapsed = Date.now() - h.startedAt;
    expect(error).toEqual({
      status: 'error',
      code: 'no-handshake',
      message: { en: 'No handshake: check the endpoint and keys.', ja: expect.stringContaining('ハンドシェイク') as string },
    });
    expect(elapsed).toBeGreaterThanOrEqual(5_900);
    expect(elapsed).toBeLessThan(7_500);
    expect(h.states.map((s) => s.status)).toEqual(['connecting', 'connecting', 'error']);
    // wireguard-go sent initiations (the first at up, then every 5 s); nothing came back.
    expect(h.counters.at(-1)?.bytesOut).toBeGreaterThan(0);
    expect(h.counters.at(-1)?.bytesIn).toBe(0);
    await h.driver.stop('after error');
    expect(h.states.map((s) => s.status)).toEqual(['connecting', 'connecting', 'error']);
    expectClean(inst, h, before);
  });

  it('an endpoint name that does not resolve fails the setup with the details, and nothing is left', async () => {
    const inst = await lab('wireguard-split');
    const before = snapshot(inst.clientNetns);
    const text = readFileSync(inst.profile, 'utf8').replace(/^Endpoint = .*$/m, 'Endpoint = vpn.nonexistent.invalid:51820');
    const h = startHarness(inst, { profileText: text });
    await h.driver.start();
    const error = await h.waitFor('error', 10_000);
    expect(error).toMatchObject({ code: 'tunnel-setup-failed', message: { en: expect.stringContaining('resolve') as string } });
    expect(error.status === 'error' && error.detail).toMatch(/name resolution/);
    await h.driver.stop('after error');
    expectClean(inst, h, before);
  });

  it.each([
    ['wireguard-full', /removed nft table/],
    ['wireguard-dns', /removed resolvconf record/],
  ] as const)('%s, wireguard-go killed: reports tunnel-process-exited and removes what its wg-quick up added', async (scenario, cleanupLog) => {
    // With its process gone the interface is gone too; the driver removes the full-tunnel rules
    // and nft table, or the DNS record, and the socket.
    const inst = await lab(scenario);
    const before = snapshot(inst.clientNetns);
    const h = startHarness(inst);
    await h.driver.start();
    await h.waitFor('connected', 10_000);
    const [proc] = findWireGuardGo(h.ifname);
    expect(proc).toBeDefined();
    process.kill(proc?.pid ?? 0, 'SIGKILL');
    const error = await h.waitFor('error', 5_000);
    expect(error).toMatchObject({ code: 'tunnel-process-exited' });
    await h.driver.stop('after error');
    expect(h.logs.join('\n')).toMatch(cleanupLog);
    expectClean(inst, h, before);
  });

  it('drop then restore: reconnecting "No reply from the server" while nothing comes back, connected again once it answers', async () => {
    // The real 20 s of silence (dump.ts DEFAULT_SILENCE_MS) does not fit a test; the rule is the same.
    const inst = await lab('wireguard-split');
    const h = startHarness(inst, { timings: { silenceMs: 2_000 } });
    await h.driver.start();
    await h.waitFor('connected', 10_000);
    let pinging = true;
    const pinger = (async () => {
      while (pinging) await ping(inst.clientNetns, inst.tunnelPeerIp, { waitS: 1 });
    })();
    try {
      const dropped = Date.now();
      await fault(inst.id, 'drop');
      const mark = h.states.length;
      const reconnecting = await h.waitFor('reconnecting', 10_000, mark);
      expect(reconnecting).toMatchObject({ status: 'reconnecting', reason: 'no-reply', attempt: 1, message: { en: 'No reply from the server' } });
      // `since`: the first unanswered send (seen at the next 1 s poll), not when the state changed.
      expect(reconnecting.status === 'reconnecting' && reconnecting.since !== undefined && reconnecting.since <= dropped + 2_500).toBe(true);
      await fault(inst.id, 'restore');
      const again = await h.waitFor('connected', 10_000, mark);
      expect(again).toMatchObject({ status: 'connected', remote: '198.18.1.1:51820' });
      console.log(`drop/restore: ${h.states.slice(mark).map((s) => (s.status === 'reconnecting' ? `reconnecting#${s.attempt}` : s.status)).join(' → ')}`);
    } finally {
      pinging = false;
      await pinger;
    }
    expect(await ping(inst.clientNetns, inst.protectedHostIp)).toBe(true);
    await h.driver.stop('done');
  });

  it('a route conflict reported by the session manager: nothing is set up and nothing reported', async () => {
    const inst = await lab('wireguard-full');
    const before = snapshot(inst.clientNetns);
    const h = startHarness(inst, { routesOk: false });
    await h.driver.start();
    expect(h.routeReports).toEqual([['0.0.0.0/0', '::/0']]);
    expect(h.states).toEqual([]);
    expect(findWireGuardGo(h.ifname)).toEqual([]);
    await h.driver.stop('route-conflict');
    expect(h.states).toEqual([]);
    expectClean(inst, h, before);
  });

  it('a config wg-quick would read differently from the inspection is refused before wg-quick runs', async () => {
    const inst = await lab('wireguard-split');
    const before = snapshot(inst.clientNetns);
    const marker = join(tmpdir(), `tsu-wg-hook-${process.pid}`);
    const states: TunnelState[] = [];
    const ctx = contextFor(inst, readFileSync(inst.profile, 'utf8'), 10_000);
    // A hook the inspection never saw, as a desynchronised writer could emit.
    const canonical = `${ctx.inspection.canonical}\n[Interface]\nPostUp = touch ${marker}\n`;
    const driver = createWireGuardDriver({
      ...ctx,
      inspection: { ...ctx.inspection, canonical },
      netns: inst.clientNetns,
      guardRoutes: false,
      events: { state: (st) => states.push(st), counters: () => undefined, credentialsRequired: () => undefined, log: () => undefined, routesKnown: () => true },
    });
    try {
      await driver.start();
      expect(states.at(-1)).toMatchObject({ status: 'error', code: 'tunnel-setup-failed' });
      await driver.stop('after error');
      expect(existsSync(marker)).toBe(false);
      expect(findWireGuardGo(interfaceNameFor(ctx.sessionId))).toEqual([]);
      expect(snapshot(inst.clientNetns)).toEqual(before);
    } finally {
      rmSync(ctx.workDir, { recursive: true, force: true });
      rmSync(marker, { force: true });
    }
  });

  it('two full tunnels in one namespace: stopping one removes its own rules only, the other keeps its rules and routes', async () => {
    const inst = await lab('wireguard-full');
    const before = snapshot(inst.clientNetns);
    const a = startHarness(inst);
    const b = startHarness(inst);
    const rulesOf = (h: Harness) => (JSON.parse(readFileSync(join(h.workDir, 'residue.json'), 'utf8')) as WireGuardResidue).rules;
    // Started together: their ups run one after the other, and each records the rules it added.
    await Promise.all([a.driver.start(), b.driver.start()]);
    expect(rulesOf(a)).toHaveLength(4);
    expect(rulesOf(b)).toHaveLength(4);
    const marks = [a, b].map((h) => rulesOf(h).find((r) => r.kind === 'fwmark'));
    expect(new Set(marks.map((m) => m?.kind === 'fwmark' && m.mark)).size).toBe(2);
    const bMark = marks[1]?.kind === 'fwmark' ? marks[1].mark : 0;
    const bTable = () => sh(inst.clientNetns, 'ip', ['-4', 'route', 'show', 'table', String(bMark)]);
    expect(bTable()).toContain(`default dev ${b.ifname}`);
    const rulesBefore = { v4: sh(inst.clientNetns, 'ip', ['-4', 'rule', 'show']), v6: sh(inst.clientNetns, 'ip', ['-6', 'rule', 'show']) };
    await a.driver.stop('first');
    const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
    // What is left is exactly what was there minus a's four rules: b's suppress rules survived.
    const left4 = lines(sh(inst.clientNetns, 'ip', ['-4', 'rule', 'show']));
    const left6 = lines(sh(inst.clientNetns, 'ip', ['-6', 'rule', 'show']));
    expect(left4).toHaveLength(lines(rulesBefore.v4).length - 2);
    expect(left6).toHaveLength(lines(rulesBefore.v6).length - 2);
    for (const r of rulesOf(b).filter((x) => x.family === 4)) expect(left4.some((l) => l.startsWith(`${r.priority}:`))).toBe(true);
    for (const r of rulesOf(b).filter((x) => x.family === 6)) expect(left6.some((l) => l.startsWith(`${r.priority}:`))).toBe(true);
    expect(left4.filter((l) => l.includes('suppress_prefixlength 0'))).toHaveLength(1);
    expect(bTable()).toContain(`default dev ${b.ifname}`);
    // b still needs src_valid_mark: it goes back to its old value only with the last full tunnel.
    expect(sh(inst.clientNetns, 'sysctl', ['-n', 'net.ipv4.conf.all.src_valid_mark']).trim()).toBe('1');
    await b.driver.stop('second');
    expectClean(inst, a, before);
    expectClean(inst, b, before);
  });

  it('crash cleanup removes a tunnel a killed helper left, with or without its wireguard-go, from the validated record only', async () => {
    const inst = await lab('wireguard-full');
    const before = snapshot(inst.clientNetns);
    for (const killFirst of [false, true]) {
      const s = await standInHelper('wireguard', CRASH_SESSION, inst.profile, inst.clientNetns);
      try {
        const residue = JSON.parse(readFileSync(join(s.sessionDir, 'residue.json'), 'utf8')) as WireGuardResidue;
        const ifname = interfaceNameFor(CRASH_SESSION);
        expect(residue.rules).toHaveLength(4);
        s.helper.kill('SIGKILL');
        const pids = findWireGuardGo(ifname).map((p) => p.pid);
        expect(pids).toHaveLength(1);
        if (killFirst) process.kill(pids[0] ?? 0, 'SIGKILL');
        expect(await cleanupPredecessor(s.runDir, new HelperLog(10))).toEqual([CRASH_SESSION]);
        expect(findWireGuardGo(ifname)).toEqual([]);
        expect(existsSync(`/var/run/wireguard/${ifname}.sock`)).toBe(false);
        expect(existsSync(s.sessionDir)).toBe(false);
        expect(snapshot(inst.clientNetns)).toEqual(before);
      } finally {
        s.dispose();
      }
    }
  });
});

const CRASH_SESSION = 'wgcrash01';
