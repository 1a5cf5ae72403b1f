// The WireGuard driver against real wg-quick + wireguard-go servers in lab namespaces (needs root).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TunnelState } from '../../shared/ipc/helper-protocol.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import type { Driver, DriverContext, Residue } from '../../electron/helper/drivers/driver.js';
import { cleanupWireGuardResidue, createWireGuardDriver, interfaceNameFor, type WireGuardTimings } from '../../electron/helper/drivers/wireguard/index.js';
import { writeResidue } from '../../electron/helper/drivers/wireguard/residue.js';
import { findWireGuardGo } from '../../electron/helper/drivers/wireguard/system.js';
import { down, fault, ping, pingUntil, up, type LabInstance, type ScenarioName } from '../lab/index.js';

const isRoot = process.getuid?.() === 0;
const WG_ENV = { ...process.env, WG_QUICK_USERSPACE_IMPLEMENTATION: 'wireguard-go' };

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
  if (!inspection.ok || inspection.canonical === null) throw new Error(`lab profile refused: ${JSON.stringify(inspection.errors)}`);
  const workDir = mkdtempSync(join(tmpdir(), 'tsunagu-wg-'));
  return { inspection: inspection as DriverContext['inspection'], workDir, sessionId: randomBytes(8).toString('hex'), connectTimeoutMs };
}

function startHarness(
  inst: LabInstance,
  opts: { connectTimeoutMs?: number; timings?: Partial<WireGuardTimings>; profileText?: string } = {},
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
  const context: DriverContext = {
    ...base,
    netns: inst.clientNetns,
    events: {
      state: (s) => {
        h.states.push(s);
        for (const w of [...waiters]) w();
      },
      counters: (bytesIn, bytesOut) => h.counters.push({ at: Date.now(), bytesIn, bytesOut }),
      credentialsRequired: () => undefined,
      log: (level, text) => h.logs.push(`${level} ${text}`),
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
    expect(connected).toMatchObject({ localIp: '198.18.9.2', remote: '198.18.1.1:51820' });
    expect(h.states.slice(0, 3)).toEqual([
      { status: 'connecting', phase: 'starting' },
      { status: 'connecting', phase: 'handshake' },
      connected,
    ]);
    expect(statSync(join(h.workDir, `${h.ifname}.conf`)).mode & 0o777).toBe(0o600);
    const residue = JSON.parse(readFileSync(join(h.workDir, 'residue.json'), 'utf8')) as Residue & { fwmarkTable: number | null };
    expect(residue).toMatchObject({ kind: 'wireguard', interfaceName: h.ifname, netns: inst.clientNetns, configPath: join(h.workDir, `${h.ifname}.conf`) });
    expect(residue.pids).toEqual(findWireGuardGo(h.ifname).map((p) => p.pid));
    if (scenario === 'wireguard-full') {
      await expect.poll(() => (JSON.parse(readFileSync(join(h.workDir, 'residue.json'), 'utf8')) as { fwmarkTable: number | null }).fwmarkTable).toBe(51820);
      expect(sh(inst.clientNetns, 'ip', ['-4', 'rule', 'show'])).toContain('lookup 51820');
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
    ['wireguard-full', /removed leftover nft table/],
    ['wireguard-dns', /removed leftover resolvconf record/],
  ] as const)('%s, wireguard-go killed: reports tunnel-process-exited and removes what wg-quick would have', async (scenario, cleanupLog) => {
    // With its process gone the interface is gone too and `wg-quick down` refuses to run, so the
    // driver itself removes the full-tunnel rules and nft table, or the DNS record, and the socket.
    const inst = await lab(scenario);
    const before = snapshot(inst.clientNetns);
    const h = startHarness(inst);
    await h.driver.start();
    await h.waitFor('connected', 10_000);
    if (scenario === 'wireguard-full') {
      await expect.poll(() => readFileSync(join(h.workDir, 'residue.json'), 'utf8')).toContain('"fwmarkTable": 51820');
    }
    const [proc] = findWireGuardGo(h.ifname);
    expect(proc).toBeDefined();
    process.kill(proc?.pid ?? 0, 'SIGKILL');
    const error = await h.waitFor('error', 5_000);
    expect(error).toMatchObject({ code: 'tunnel-process-exited' });
    await h.driver.stop('after error');
    expect(h.logs.join('\n')).toMatch(cleanupLog);
    expectClean(inst, h, before);
  });

  it('drop then restore: reconnecting while handshakes fail, connected again after a new handshake', async () => {
    // Real thresholds (180 s key expiry + 15 s) do not fit a test; the driver's logic is the same.
    const inst = await lab('wireguard-split');
    const h = startHarness(inst, { timings: { keyExpiryMs: 2_000, staleMarginMs: 2_000 } });
    await h.driver.start();
    await h.waitFor('connected', 10_000);
    let pinging = true;
    const pinger = (async () => {
      while (pinging) await ping(inst.clientNetns, inst.tunnelPeerIp, { waitS: 1 });
    })();
    try {
      await fault(inst.id, 'drop');
      const mark = h.states.length;
      const reconnecting = await h.waitFor('reconnecting', 10_000, mark);
      expect(reconnecting).toEqual({ status: 'reconnecting', reason: 'handshake-stale', attempt: 1 });
      // WireGuard keeps using the current keys until it has heard nothing for 15 s after sending
      // (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT); only then does it retry the handshake, every 5 s.
      // Restoring earlier would just resume traffic on the old keys without a new handshake.
      await new Promise((r) => setTimeout(r, 16_000));
      await fault(inst.id, 'restore');
      const again = await h.waitFor('connected', 15_000, mark);
      expect(again).toMatchObject({ status: 'connected', remote: '198.18.1.1:51820' });
      console.log(`drop/restore: ${h.states.slice(mark).map((s) => (s.status === 'reconnecting' ? `reconnecting#${s.attempt}` : s.status)).join(' → ')}`);
    } finally {
      pinging = false;
      await pinger;
    }
    expect(await ping(inst.clientNetns, inst.protectedHostIp)).toBe(true);
    await h.driver.stop('done');
  });

  it('cleanupWireGuardResidue removes a tunnel a crashed helper left, with or without its wireguard-go', async () => {
    const inst = await lab('wireguard-full');
    const before = snapshot(inst.clientNetns);
    const profile = readFileSync(inst.profile, 'utf8');
    for (const killFirst of [false, true]) {
      const { inspection, workDir, sessionId } = contextFor(inst, profile, 10_000);
      const ifname = interfaceNameFor(sessionId);
      const configPath = join(workDir, `${ifname}.conf`);
      writeFileSync(configPath, inspection.canonical, { mode: 0o600 });
      execFileSync('ip', ['netns', 'exec', inst.clientNetns, 'wg-quick', 'up', configPath], { env: WG_ENV, stdio: 'ignore' });
      const pids = findWireGuardGo(ifname).map((p) => p.pid);
      expect(pids).toHaveLength(1);
      writeResidue(workDir, { kind: 'wireguard', sessionId, pids, interfaceName: ifname, dnsRecords: [], configPath, netns: inst.clientNetns, fwmarkTable: 51820 });
      if (killFirst) process.kill(pids[0] ?? 0, 'SIGKILL');
      // What the helper's start-up reader passes on: only the Residue fields.
      const stripped: Residue = { kind: 'wireguard', sessionId, pids, interfaceName: ifname, dnsRecords: [], configPath };
      await cleanupWireGuardResidue(stripped);
      expect(findWireGuardGo(ifname)).toEqual([]);
      expect(existsSync(`/var/run/wireguard/${ifname}.sock`)).toBe(false);
      expect(existsSync(configPath)).toBe(false);
      expect(snapshot(inst.clientNetns)).toEqual(before);
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
