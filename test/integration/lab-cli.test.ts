// The lab CLI, and teardown when the owning process is interrupted or killed.
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { labRoot, leftovers, ping, reapOrphans, run, SCENARIO_NAMES } from '../lab/index.js';
import { labSuite } from '../lab/suite.js';

labSuite(); // host snapshot check

// A prefix of its own, so `down --all` here sweeps only this file's instances, never a parallel run's.
const PREFIX = 'tsz';
const env = { ...process.env, TSUNAGU_LAB_PREFIX: PREFIX };

function cli(args: string[], opts: { asNobody?: boolean } = {}) {
  const argv = [process.execPath, '--import', 'tsx', 'test/lab/cli.ts', ...args];
  return opts.asNobody
    ? run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...argv], { env, allowFail: true })
    : run(argv[0] ?? 'node', argv.slice(1), { env, allowFail: true });
}

interface UpJson {
  id: string;
  scenario: string;
  clientNetns: string;
  profile: string;
  extraFiles: string[];
  credentials: Record<string, unknown>;
  tunnelPeerIp: string;
  protectedHostIp: string;
  companions?: { scenario: string; profile: string; extraFiles: string[]; credentials: Record<string, unknown>; tunnelPeerIp: string }[];
}

async function cliUp(scenario: string, ...more: string[]): Promise<UpJson> {
  const r = await cli(['up', scenario, ...more, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as UpJson;
}

function netnsInodesOf(id: string): Promise<number[]> {
  return run('sh', ['-c', `stat -c %i /run/netns/${id}-* 2>/dev/null || true`]).then((r) =>
    r.stdout.split('\n').filter(Boolean).map(Number),
  );
}

describe('lab CLI', () => {
  // CLI instances are persistent (not owned by this process): sweep them even if a test fails.
  afterAll(async () => {
    await cli(['down', '--all']);
  });

  it('npm run lab -- scenarios lists every scenario', async () => {
    const r = await run('npm', ['run', '-s', 'lab', '--', 'scenarios']);
    const names = r.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual([...SCENARIO_NAMES]);
  });

  it('errors are one clear line with exit code 1', async () => {
    const bad = await cli(['up', 'openvpn-bogus']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`lab: unknown scenario "openvpn-bogus"; valid: ${SCENARIO_NAMES.join(', ')}\n`);
    const nobody = await cli(['up', 'openvpn-udp'], { asNobody: true });
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toBe('lab: the lab must run as root (it creates network namespaces)\n');
    const fault = await cli(['fault', `${PREFIX}-000000`, 'explode']);
    expect(fault.code).toBe(1);
    expect(fault.stderr).toMatch(/^lab: unknown fault "explode"; valid: stop, start, restart, kill, drop, restore, link-down, link-up\n$/);
    const missing = await cli(['fault', `${PREFIX}-000000`, 'stop']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^lab: no running lab instance "tsz-000000"/);
    // Companions are checked before the root check, so even nobody gets the real reason.
    const sameFamily = await cli(['up', 'openvpn-udp', '--with', 'openvpn-tcp'], { asNobody: true });
    expect(sameFamily.code).toBe(1);
    expect(sameFamily.stderr).toMatch(/^lab: companion openvpn-tcp is OpenVPN like the primary openvpn-udp: a companion must be another family; valid with openvpn-udp: wireguard-split, .*, ikev1-xauth\n$/);
    const tap = await cli(['up', 'wireguard-split', '--with', 'openvpn-tap']);
    expect(tap.code).toBe(1);
    expect(tap.stderr).toMatch(/^lab: openvpn-tap cannot be a companion .*; valid with wireguard-split: openvpn-udp, /);
    const unknown = await cli(['up', 'openvpn-udp', '--with', 'ikev2-psk,wireguard-bogus']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^lab: unknown companion scenario "wireguard-bogus"; valid with openvpn-udp: /);
    const dangling = await cli(['up', 'openvpn-udp', '--with']);
    expect(dangling.stderr).toBe('lab: --with needs scenario names, e.g. --with wireguard-split\n');
    const elsewhere = await cli(['list', '--with', 'wireguard-split']);
    expect(elsewhere.stderr).toBe('lab: --with goes with `up` only\n');
    expect((await cli(['list', '--json'])).stdout.trim()).toBe('[]');
  });

  it('up --json, list, fault, down', async () => {
    const info = await cliUp('openvpn-udp');
    expect(Object.keys(info).sort()).toEqual(
      ['clientNetns', 'credentials', 'extraFiles', 'id', 'profile', 'protectedHostIp', 'scenario', 'tunnelPeerIp'].sort(),
    );
    expect(info.id).toMatch(/^tsz-[0-9a-f]{6}$/);
    expect(info.clientNetns).toBe(`${info.id}-c`);
    const inodes = await netnsInodesOf(info.id);
    expect(inodes).toHaveLength(3);

    // It outlives the CLI process that made it.
    const listed = await cli(['list', '--json']);
    const entries = JSON.parse(listed.stdout) as (UpJson & { serverRunning: boolean })[];
    expect(entries.find((e) => e.id === info.id)?.serverRunning).toBe(true);

    expect((await cli(['fault', info.id, 'stop'])).code).toBe(0);
    const afterStop = JSON.parse((await cli(['list', '--json'])).stdout) as { id: string; serverRunning: boolean }[];
    expect(afterStop.find((e) => e.id === info.id)?.serverRunning).toBe(false);
    expect((await cli(['fault', info.id, 'start'])).code).toBe(0);
    expect((await cli(['fault', info.id, 'link-down'])).code).toBe(0);
    expect((await cli(['fault', info.id, 'link-up'])).code).toBe(0);

    const d = await cli(['down', info.id]);
    expect(d.stdout).toBe(`${info.id} down\n`);
    expect(leftovers(info.id, inodes)).toEqual([]);
    expect((await cli(['list'])).stdout).not.toContain(info.id);
  });

  it('up --with: companions in up --json and list, gone after down', async () => {
    const info = await cliUp('openvpn-udp', '--with', 'wireguard-split');
    expect(info.scenario).toBe('openvpn-udp');
    expect(info.companions).toEqual([
      { scenario: 'wireguard-split', profile: `${labRoot()}/${info.id}/wireguard-split/${info.id}-wc.conf`, extraFiles: [], credentials: {}, tunnelPeerIp: '198.18.9.1' },
    ]);
    const inodes = await netnsInodesOf(info.id);
    // One client namespace reaches the companion's server.
    await run('ip', ['netns', 'exec', info.clientNetns, 'env', 'WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go', 'wg-quick', 'up', info.companions?.[0]?.profile ?? '']);
    expect(await ping(info.clientNetns, info.protectedHostIp)).toBe(true);

    const entries = JSON.parse((await cli(['list', '--json'])).stdout) as (UpJson & { serverRunning: boolean })[];
    const entry = entries.find((e) => e.id === info.id);
    expect(entry?.serverRunning).toBe(true);
    expect(entry?.companions).toEqual([{ ...info.companions?.[0], serverRunning: true }]);
    expect((await cli(['list'])).stdout).toContain(`\n  + wireguard-split    server up  ${info.companions?.[0]?.profile}\n`);

    expect((await cli(['down', info.id])).code).toBe(0);
    expect(leftovers(info.id, inodes)).toEqual([]);
  });

  it('down --all sweeps instances, stray namespaces and host devices with the prefix', async () => {
    const a = await cliUp('wireguard-split');
    const b = await cliUp('ikev2-psk');
    const stray = `${PREFIX}-abcdef`;
    await run('ip', ['netns', 'add', `${stray}-s`]);
    await run('ip', ['link', 'add', `${stray}-d`, 'type', 'veth', 'peer', 'name', `${stray}-e`]);
    const inodes = [...(await netnsInodesOf(a.id)), ...(await netnsInodesOf(b.id)), ...(await netnsInodesOf(stray))];
    // A client the CLI knows nothing about, started by hand in a lab namespace.
    await run('ip', ['netns', 'exec', a.clientNetns, 'env', 'WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go', 'wg-quick', 'up', a.profile]);
    expect(await ping(a.clientNetns, a.protectedHostIp)).toBe(true);

    const r = await cli(['down', '--all']);
    expect(r.code).toBe(0);
    for (const id of [a.id, b.id, stray]) expect(r.stdout).toContain(id);
    for (const id of [a.id, b.id, stray]) expect(leftovers(id, inodes)).toEqual([]);
  });
});

describe('teardown when the owner goes away', () => {
  function hold(scenario: string, withClient: boolean) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/lab/fixtures/hold.ts', scenario, withClient ? 'client' : ''], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    const ready = new Promise<{ id: string; netnsInodes: number[] }>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line) as { id: string; netnsInodes: number[] });
      });
      void exited.then(() => reject(new Error(`fixture exited early: ${out}`)));
    });
    return { child, ready, exited };
  }

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`${sig} to the owning process tears its instance down (client connected)`, async () => {
      const h = hold('openvpn-udp', true);
      const inst = await h.ready;
      expect(leftovers(inst.id, inst.netnsInodes).length).toBeGreaterThan(0);
      h.child.kill(sig);
      expect((await h.exited).signal).toBe(sig);
      expect(leftovers(inst.id, inst.netnsInodes)).toEqual([]);
    });
  }

  it('after SIGKILL, reapOrphans removes the orphaned instance', async () => {
    const h = hold('wireguard-split', true);
    const inst = await h.ready;
    h.child.kill('SIGKILL');
    await h.exited;
    expect(leftovers(inst.id, inst.netnsInodes).length).toBeGreaterThan(0);
    expect(reapOrphans()).toContain(inst.id);
    expect(leftovers(inst.id, inst.netnsInodes)).toEqual([]);
  });
});
