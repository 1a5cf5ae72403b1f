// Start-up cleanup against planted residue records (needs root): a record is data, never
// instructions. Nothing it names is run or handed to a tool, no foreign process is killed, and a
// record that does not pass its schema is logged and its directory removed with nothing done.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanupPredecessor } from '../../electron/helper/cleanup.js';
import { interfaceNameFor } from '../../electron/helper/drivers/wireguard/names.js';
import { findWireGuardGo } from '../../electron/helper/drivers/wireguard/system.js';
import { isAlive } from '../../electron/helper/exec.js';
import { HelperLog } from '../../electron/helper/log.js';

const isRoot = process.getuid?.() === 0;

let base: string;
let runDir: string;
let netns: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'tsu-residue-'));
  runDir = join(base, 'run');
  mkdirSync(join(runDir, 'sessions'), { recursive: true });
  netns = `tsu-res-${process.pid}`;
  if (isRoot) execFileSync('ip', ['netns', 'add', netns]);
});

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  if (isRoot) execFileSync('ip', ['netns', 'del', netns]);
  rmSync(base, { recursive: true, force: true });
});

/** Plants `<runDir>/sessions/<id>/residue.json` (and any further files) as a crashed helper might have left. */
function plant(id: string, record: unknown, files: Record<string, string> = {}): string {
  const dir = join(runDir, 'sessions', id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'residue.json'), typeof record === 'string' ? record : JSON.stringify(record));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function cleanup(): Promise<string[]> {
  const log = new HelperLog(100);
  const lines: string[] = [];
  log.subscribe((l) => lines.push(`${l.level}: ${l.text}`));
  await cleanupPredecessor(runDir, log);
  return lines;
}

const hostileConfig = (marker: string) =>
  `[Interface]\nPrivateKey = wEipZ20RSYyW6T2duZmzLuDbaLaHV7I58/CLCb644WE=\nPreDown = touch ${marker}\nPostDown = touch ${marker}\n`;

const linkExists = (name: string) => {
  try {
    execFileSync('ip', ['-n', netns, 'link', 'show', 'dev', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

function spawnChild(cmd: string, args: string[], o: { argv0?: string; cwd?: string } = {}): number {
  const c = spawn(cmd, args, { stdio: 'ignore', ...o });
  children.push(c);
  if (c.pid === undefined) throw new Error(`${cmd} did not start`);
  return c.pid;
}

describe.skipIf(!isRoot)('start-up cleanup of planted residue records', () => {
  it("a WireGuard record's config with PreDown/PostDown hooks: never run; the interface is removed by the helper itself", async () => {
    const id = 'planted01';
    const ifname = interfaceNameFor(id);
    const marker = join(base, 'hook-ran');
    // A real WireGuard interface (userspace) by the helper's own name for the session, as a crash
    // leaves it: wg-quick down would accept it and run the hooks.
    execFileSync('ip', ['netns', 'exec', netns, 'wireguard-go', ifname], { stdio: 'ignore' });
    expect(findWireGuardGo(ifname)).toHaveLength(1);
    const dir = plant(
      id,
      { kind: 'wireguard', sessionId: id, pids: [], interfaceName: ifname, dnsRecords: [], configPath: join(runDir, 'sessions', id, `${ifname}.conf`), netns, rules: [], srcValidMark: null },
      { [`${ifname}.conf`]: hostileConfig(marker) },
    );
    const lines = await cleanup();
    expect(existsSync(marker)).toBe(false);
    expect(linkExists(ifname)).toBe(false);
    expect(findWireGuardGo(ifname)).toEqual([]);
    expect(existsSync(`/var/run/wireguard/${ifname}.sock`)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(lines.join('\n')).toContain(`removed what session ${id} (wireguard) left behind`);
  });

  it('a WireGuard record naming a config elsewhere, or an interface the helper did not name: refused whole, nothing run or removed', async () => {
    const marker = join(base, 'hook-ran');
    const elsewhere = join(base, 'evil.conf');
    writeFileSync(elsewhere, hostileConfig(marker));
    execFileSync('ip', ['-n', netns, 'link', 'add', 'victim0', 'type', 'bridge']);
    const ok = (id: string) => ({ kind: 'wireguard', sessionId: id, pids: [], interfaceName: interfaceNameFor(id), dnsRecords: [], configPath: null, netns, rules: [], srcValidMark: null });
    plant('planted02', { ...ok('planted02'), configPath: elsewhere });
    plant('planted03', { ...ok('planted03'), interfaceName: 'victim0' });
    plant('planted04', { ...ok('planted04'), sessionId: 'someone-else' });
    plant('planted05', { ...ok('planted05'), netns: '../../proc/1/ns/net' });
    plant('planted06', { ...ok('planted06'), dnsRecords: ['../../../etc/passwd'] });
    const lines = await cleanup();
    expect(existsSync(marker)).toBe(false);
    expect(linkExists('victim0')).toBe(true);
    for (const id of ['planted02', 'planted03', 'planted04', 'planted05', 'planted06']) {
      expect(lines.some((l) => l.startsWith('error: ') && l.includes(`session "${id}"`) && l.includes('nothing was run'))).toBe(true);
      expect(existsSync(join(runDir, 'sessions', id))).toBe(false);
    }
  });

  it('records naming pid 1, a foreign process, and look-alikes of openvpn / wireguard-go: nothing is killed', async () => {
    const id = 'planted07';
    const dir = join(runDir, 'sessions', id);
    mkdirSync(dir, { recursive: true });
    const sleeper = spawnChild('sleep', ['30']);
    // argv[0] "openvpn", the session's management socket, the session's directory as cwd: only the executable differs.
    const fakeOpenvpn = spawnChild(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', '--', '--management', join(dir, 'mgmt.sock')], { argv0: 'openvpn', cwd: dir });
    const ifname = interfaceNameFor('planted08');
    const fakeWireguardGo = spawnChild(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { argv0: 'wireguard-go' });
    await new Promise((r) => setTimeout(r, 200));
    plant(id, { kind: 'openvpn', sessionId: id, pids: [1, sleeper, fakeOpenvpn, process.pid], interfaceName: null, dnsRecords: [], configPath: null });
    plant('planted08', { kind: 'wireguard', sessionId: 'planted08', pids: [1, sleeper, fakeWireguardGo, process.pid], interfaceName: ifname, dnsRecords: [], configPath: null, netns, rules: [], srcValidMark: null });
    await cleanup();
    for (const pid of [1, sleeper, fakeOpenvpn, fakeWireguardGo, process.pid]) expect(isAlive(pid)).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });

  it('torn, oversized, symlinked, unknown or mistyped records: logged, directory removed, nothing done', async () => {
    plant('bad01', '{"kind":"openvpn",');
    plant('bad02', JSON.stringify({ kind: 'ikev2', sessionId: 'bad02' }));
    plant('bad03', `${JSON.stringify({ kind: 'openvpn', sessionId: 'bad03', pids: [], interfaceName: null, dnsRecords: [], configPath: null })}${' '.repeat(5 * 1024 * 1024)}`);
    plant('bad04', { kind: 'openvpn', sessionId: 'bad04', pids: ['1'], interfaceName: null, dnsRecords: [], configPath: null });
    plant('bad05', { kind: 'openvpn', sessionId: 'bad05', pids: [], interfaceName: 'tun0; reboot', dnsRecords: [], configPath: null });
    // A symlink to a file elsewhere: not followed.
    const linkDir = join(runDir, 'sessions', 'bad07');
    mkdirSync(linkDir);
    symlinkSync('/etc/passwd', join(linkDir, 'residue.json'));
    plant('bad06', { kind: 'openvpn', sessionId: 'bad06', pids: [], interfaceName: null, dnsRecords: [], configPath: null, routes: [{ family: 4, dst: '0.0.0.0/0 via 1.2.3.4', gateway: null, dev: null, table: 0 }] });
    const lines = await cleanup();
    for (const id of ['bad01', 'bad02', 'bad03', 'bad04', 'bad05', 'bad06', 'bad07']) {
      expect(lines.filter((l) => l.includes(`session "${id}"`))).toHaveLength(1);
      expect(existsSync(join(runDir, 'sessions', id))).toBe(false);
    }
  });
});
