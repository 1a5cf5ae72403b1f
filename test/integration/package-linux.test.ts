/**
 * The Linux packages as an administrator meets them (`npm run package:linux`): lintian on the .deb,
 * the .rpm's contents, scripts and dependencies, then on this machine `dpkg -i` (files, owners,
 * modes, the group, the enabled units, `systemd-analyze verify`), the helper started the way
 * tsunagu-helper.socket/.service start it (systemd is not PID 1 here, so `systemd-socket-activate`
 * with the units' socket path, group, mode, capability bounding set and no-new-privileges), a
 * lab profile connected by a non-root member of the tsunagu group with the installed
 * /usr/bin/tsunagu, then `dpkg -r` with the tunnel up and `dpkg -P`, after which nothing is left.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFDIR, DIST, layout, LIBDIR, PACKAGE_NAME, packageLinux, UNITS } from '../../build/package-linux.js';
import { down, ping, up, type LabInstance } from '../lab/index.js';
import { processesIn, snapshotNetns, type NetnsSnapshot } from './helper-harness.js';

const ROOT = join(import.meta.dirname, '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const DEB = join(DIST, `${PACKAGE_NAME}_${VERSION}_amd64.deb`);
const RPM = join(DIST, `${PACKAGE_NAME}-${VERSION}-1.x86_64.rpm`);
const UNIT_DIR = '/lib/systemd/system';
const MEMBER = 'tsunagu-pkg-member';
const EXECUTABLE = `${LIBDIR}/tsunagu`;
/** What a package build reads: packages older than any of these are rebuilt. */
const INPUTS = ['build', 'resources/linux', 'electron/cli', 'electron/helper', 'shared', 'package.json'];

/**
 * Lintian warnings we accept, and why: `systemctl is-enabled` (a query) and the RPM branch of the
 * shared scripts' start/stop (Debian's goes through deb-systemd-invoke).
 */
const ACCEPTED_LINTIAN_WARNINGS = ['maintainer-script-calls-systemctl'];

function newestMtime(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).filter((n) => n !== 'native').map((n) => newestMtime(join(path, n))));
}

function sh(cmd: string, args: string[], o: { allowFail?: boolean } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LANG: 'C' } });
  const result = { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  if (!o.allowFail && result.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${result.code}: ${r.stderr}${r.stdout}`);
  return result;
}

function installed(): boolean {
  return sh('dpkg-query', ['-W', '-f=${Status}', PACKAGE_NAME], { allowFail: true }).stdout.includes('installed');
}

/** `Key=value` settings of a unit file, by key (the last one wins, as systemd reads them). */
function unitSettings(file: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) settings.set(m[1], m[2]);
  }
  return settings;
}

function setting(settings: Map<string, string>, key: string): string {
  const value = settings.get(key);
  if (value === undefined) throw new Error(`the unit has no ${key}=`);
  return value;
}

/** Everything tsunagu may leave in systemd's configuration: enablement links and masks. */
function systemdTraces(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name.includes('tsunagu')) found.push(path);
      else if (lstatSync(path).isDirectory()) walk(path);
    }
  };
  walk('/etc/systemd/system');
  walk('/var/lib/systemd/deb-systemd-helper-enabled');
  walk('/var/lib/systemd/deb-systemd-helper-masked');
  return found.sort();
}

function helperProcesses(): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p) && (() => {
    try {
      return readlinkSync(`/proc/${p}/exe`) === EXECUTABLE;
    } catch {
      return false;
    }
  })()).map(Number);
}

/** Removes whatever a killed earlier run left: the package, the test user. */
function clearMachine(): void {
  if (installed() || sh('dpkg-query', ['-W', PACKAGE_NAME], { allowFail: true }).code === 0) sh('dpkg', ['--purge', PACKAGE_NAME]);
  if (sh('getent', ['passwd', MEMBER], { allowFail: true }).code === 0) sh('userdel', [MEMBER]);
}

beforeAll(async () => {
  clearMachine();
  const stale = !existsSync(DEB) || !existsSync(RPM) || Math.min(statSync(DEB).mtimeMs, statSync(RPM).mtimeMs) < Math.max(...INPUTS.map((p) => newestMtime(join(ROOT, p))));
  if (stale) await packageLinux();
}, 300_000);

afterAll(() => clearMachine());

describe('the .deb and .rpm as built', () => {
  it('lintian finds no error in the .deb, and only the accepted warnings', () => {
    const r = sh('lintian', ['--tag-display-limit', '0', DEB], { allowFail: true });
    const lines = r.stdout.split('\n').filter((l) => /^[EW]: /.test(l));
    expect(lines.filter((l) => l.startsWith('E: ')), r.stdout).toEqual([]);
    const warnings = new Set(lines.map((l) => l.split(' ')[2] ?? ''));
    expect([...warnings].filter((w) => !ACCEPTED_LINTIAN_WARNINGS.includes(w)), r.stdout).toEqual([]);
  }, 60_000);

  it('the .rpm holds the same layout with its modes and owners, the shared scripts (valid sh) and the dependencies', () => {
    const files = sh('rpm', ['-qp', '--qf', '[%{FILENAMES} %{FILEMODES:octal} %{FILEUSERNAME}:%{FILEGROUPNAME}\\n]', RPM]).stdout.trim().split('\n').sort();
    // rpm's modes carry the file type: 04 directory, 10 regular file, 12 symlink.
    const type = (e: { link?: string; from?: string }) => (e.link !== undefined ? '12' : e.from !== undefined ? '10' : '4');
    expect(files).toEqual(layout('rpm', '').map((e) => `${e.path} ${type(e)}${e.mode.toString(8).padStart(4, '0')} root:root`).sort());
    for (const tag of ['POSTIN', 'PREUN', 'POSTUN']) {
      const script = sh('rpm', ['-qp', '--qf', `%{${tag}}`, RPM]).stdout;
      expect(spawnSync('sh', ['-n'], { input: script }).status, tag).toBe(0);
    }
    const scripts = sh('rpm', ['-qp', '--scripts', RPM]).stdout;
    for (const [scriptlet, call] of [['postinstall', 'tsunagu_configure install'], ['preuninstall', 'tsunagu_stop'], ['postuninstall', 'tsunagu_purge_state']]) {
      expect(scripts).toMatch(new RegExp(`${scriptlet} scriptlet \\(using /bin/sh\\):\\n# Shared by the \\.deb and \\.rpm`));
      expect(scripts).toContain(call);
    }
    const requires = sh('rpm', ['-qp', '--requires', RPM]).stdout.split('\n');
    expect(requires).toEqual(expect.arrayContaining(['openvpn', 'wireguard-tools', 'iproute2', '(openresolv or resolvconf or systemd-resolved)', 'libc.so.6()(64bit)']));
    expect(sh('rpm', ['-qp', '--recommends', RPM]).stdout.split('\n')).toEqual(expect.arrayContaining(['wireguard-go', 'strongswan-charon', 'strongswan-swanctl']));
    expect(sh('rpm', ['-qp', '--configfiles', RPM]).stdout.trim()).toBe(`${CONFDIR}/policy.json`);
  });
});

describe.sequential('installed with dpkg on this machine', () => {
  let lab: LabInstance | null = null;
  let activator: ChildProcess | null = null;
  let activatorExit: Promise<number | null> | null = null;
  let before: NetnsSnapshot | null = null;
  let work: string | null = null;
  afterAll(async () => {
    if (activator && activator.exitCode === null) activator.kill('SIGTERM');
    await activatorExit;
    if (lab) await down(lab.id);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('installs the layout with its owners and modes, the group, the enabled units, units systemd accepts, and keeps /etc/tsunagu when installed again', () => {
    expect(sh('ps', ['-p', '1', '-o', 'comm=']).stdout.trim()).not.toBe('systemd');
    const r = sh('dpkg', ['-i', DEB]);
    expect(r.stderr).toContain('systemd is not running; tsunagu-helper.socket starts at the next boot.');
    const listed = new Set(sh('dpkg', ['-L', PACKAGE_NAME]).stdout.trim().split('\n'));
    for (const e of layout('deb', '')) {
      expect(listed.has(e.path), `${e.path} in dpkg -L`).toBe(true);
      const st = lstatSync(e.path);
      expect([st.uid, st.gid], e.path).toEqual([0, 0]);
      if (e.link !== undefined) expect(readlinkSync(e.path)).toBe(e.link);
      else expect((st.mode & 0o7777).toString(8), e.path).toBe(e.mode.toString(8));
    }
    expect(sh('dpkg-query', ['-W', '-f=${Conffiles}', PACKAGE_NAME]).stdout).toMatch(new RegExp(`^ ${CONFDIR}/policy.json [0-9a-f]{32}$`, 'm'));
    expect(sh('getent', ['group', 'tsunagu']).stdout).toMatch(/^tsunagu:x:\d+:$/m);
    expect(readlinkSync('/etc/systemd/system/sockets.target.wants/tsunagu-helper.socket')).toBe(`${UNIT_DIR}/tsunagu-helper.socket`);
    expect(readlinkSync('/etc/systemd/system/multi-user.target.wants/tsunagu-helper.service')).toBe(`${UNIT_DIR}/tsunagu-helper.service`);
    const verify = sh('systemd-analyze', ['verify', ...UNITS.map((u) => join(UNIT_DIR, u))], { allowFail: true });
    expect(verify, verify.stderr).toMatchObject({ code: 0, stderr: '' });
    // The installed command runs without the machine's Node or node_modules.
    expect(sh('/usr/bin/tsunagu', ['--help']).stdout).toContain('Usage: tsunagu');

    // Installing over it (postinst runs as for an upgrade) keeps what the administrator changed.
    writeFileSync(`${CONFDIR}/policy.json`, '{ }\n');
    writeFileSync(`${CONFDIR}/policy.d/10-site.json`, '{}\n');
    sh('dpkg', ['-i', DEB]);
    expect(readFileSync(`${CONFDIR}/policy.json`, 'utf8')).toBe('{ }\n');
    expect(existsSync(`${CONFDIR}/policy.d/10-site.json`)).toBe(true);
    expect(sh('getent', ['group', 'tsunagu']).code).toBe(0);
  });

  it('tsunagu-firewall.service: a oneshot before network-pre.target, enabled for boot; its command puts the persisted lockdown in the kernel and exits, and nothing when lockdown is off', () => {
    const unit = unitSettings(join(UNIT_DIR, 'tsunagu-firewall.service'));
    expect(setting(unit, 'Type')).toBe('oneshot');
    expect(setting(unit, 'DefaultDependencies')).toBe('no');
    expect(setting(unit, 'Before').split(' ')).toContain('network-pre.target');
    expect(setting(unit, 'Wants')).toBe('network-pre.target');
    expect(readlinkSync('/etc/systemd/system/sysinit.target.wants/tsunagu-firewall.service')).toBe(`${UNIT_DIR}/tsunagu-firewall.service`);
    // A namespace of our own stands for the boot's network; setns needs CAP_SYS_ADMIN on top of the unit's set.
    const netns = `tsunagu-pkgfw-${process.pid}`;
    const stateDir = mkdtempSync(join(tmpdir(), 'tsunagu-pkgfw-'));
    sh('ip', ['netns', 'add', netns]);
    try {
      const caps = setting(unit, 'CapabilityBoundingSet').split(' ').map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`);
      const boot = () => sh('setpriv', [`--bounding-set=-all,${[...caps, '+sys_admin'].join(',')}`, '--no-new-privs', ...setting(unit, 'ExecStart').split(' '), '--netns', netns, '--state-dir', stateDir], { allowFail: true });
      const table = () => sh('ip', ['netns', 'exec', netns, 'nft', 'list', 'table', 'inet', 'tsunagu'], { allowFail: true });
      writeFileSync(join(stateDir, 'lockdown.json'), '{"version":1,"enabled":true,"allowLan":false}\n', { mode: 0o600 });
      const on = boot();
      expect(on.code, on.stderr).toBe(0);
      expect(on.stderr).toContain('kill switch at boot: lockdown in force');
      expect(table().stdout).toContain('policy drop');
      writeFileSync(join(stateDir, 'lockdown.json'), '{"version":1,"enabled":false,"allowLan":false}\n', { mode: 0o600 });
      const off = boot();
      expect(off.code, off.stderr).toBe(0);
      expect(table().code).not.toBe(0);
    } finally {
      sh('ip', ['netns', 'del', netns], { allowFail: true });
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('serves a non-root member of the tsunagu group through the socket, started as the units start it', async () => {
    sh('useradd', ['--system', '-M', '-N', '-G', 'tsunagu', '-s', '/usr/sbin/nologin', MEMBER]);
    lab = await up('openvpn-udp');
    before = await snapshotNetns(lab.clientNetns);
    // The lab's profile lives in root's lab directory; the member imports a copy it can read.
    work = mkdtempSync(join(tmpdir(), 'tsunagu-pkg-'));
    chmodSync(work, 0o755);
    const profile = join(work, basename(lab.profile));
    copyFileSync(lab.profile, profile);
    chmodSync(profile, 0o644);

    const socket = unitSettings(join(UNIT_DIR, 'tsunagu-helper.socket'));
    const service = unitSettings(join(UNIT_DIR, 'tsunagu-helper.service'));
    const socketPath = setting(socket, 'ListenStream');
    const runDir = join(socketPath, '..');
    mkdirSync(runDir, { recursive: true, mode: Number.parseInt(setting(socket, 'DirectoryMode'), 8) });
    const caps = setting(service, 'CapabilityBoundingSet').split(' ').map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`);
    expect(setting(service, 'NoNewPrivileges')).toBe('yes');
    // --netns keeps the tunnel in the lab's namespace; entering one (setns) needs CAP_SYS_ADMIN,
    // which the unit does not grant because it never passes --netns.
    const command = [...setting(service, 'ExecStart').split(' '), '--netns', lab.clientNetns];
    activator = spawn('systemd-socket-activate', ['--listen', socketPath, '--fdname', 'tsunagu-helper.socket', 'setpriv', `--bounding-set=-all,${[...caps, '+sys_admin'].join(',')}`, '--no-new-privs', ...command], { stdio: ['ignore', 'ignore', 'pipe'] });
    let activatorLog = '';
    activator.stderr?.setEncoding('utf8').on('data', (d: string) => { activatorLog += d; });
    const proc = activator;
    activatorExit = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 5000;
    while (!existsSync(socketPath)) {
      if (Date.now() > deadline) throw new Error(`systemd-socket-activate did not bind ${socketPath}: ${activatorLog}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // What SocketUser=, SocketGroup= and SocketMode= make systemd do after binding.
    chownSync(socketPath, 0, Number(sh('getent', ['group', setting(socket, 'SocketGroup')]).stdout.split(':')[2]));
    chmodSync(socketPath, Number.parseInt(setting(socket, 'SocketMode'), 8));

    const asMember = (args: string[]) => sh('runuser', ['-u', MEMBER, '--', '/usr/bin/tsunagu', ...args], { allowFail: true });
    const first = asMember(['connect', profile, '--json']);
    expect(first.code, `${first.stderr}\n${activatorLog}`).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ state: 'connected' });
    expect(await ping(lab.clientNetns, lab.protectedHostIp, { count: 1 })).toBe(true);
    expect(asMember(['disconnect', '--all']).code).toBe(0);
    expect(processesIn(lab.clientNetns, ['openvpn'])).toEqual([]);
    // Up again, for removal to take down.
    const second = asMember(['connect', profile, '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(processesIn(lab.clientNetns, ['openvpn'])).toHaveLength(1);
    expect(helperProcesses()).toEqual([proc.pid]);
  });

  it('dpkg -r stops the helper, which takes its tunnel down: no process, interface, route, rule or DNS change left', async () => {
    const started = Date.now();
    const removed = sh('dpkg', ['-r', PACKAGE_NAME]);
    expect(removed.stderr).not.toContain('did not stop');
    // SIGTERM to teardown to exit, well inside the 30 s the scripts wait before SIGKILL.
    expect(Date.now() - started).toBeLessThan(10_000);
    if (activatorExit) expect(await activatorExit).toBe(0);
    expect(helperProcesses()).toEqual([]);
    if (lab) {
      expect(processesIn(lab.clientNetns, ['openvpn'], { includeStandby: true })).toEqual([]);
      expect(await snapshotNetns(lab.clientNetns)).toEqual(before);
    }
    expect(existsSync('/run/tsunagu')).toBe(false);
    for (const e of layout('deb', '')) {
      const kept = e.path === CONFDIR || e.path.startsWith(`${CONFDIR}/`) || e.path === '/var/lib/tsunagu' || !e.path.includes('tsunagu');
      if (!kept) expect(existsSync(e.path), e.path).toBe(false);
    }
    expect(existsSync(`${CONFDIR}/policy.json`)).toBe(true);
    expect(sh('dpkg-query', ['-W', '-f=${Status}', PACKAGE_NAME]).stdout).toBe('deinstall ok config-files');
  });

  it('dpkg -P removes the configuration, the state, the group and every systemd trace', () => {
    sh('dpkg', ['-P', PACKAGE_NAME]);
    expect(sh('dpkg-query', ['-W', PACKAGE_NAME], { allowFail: true }).code).not.toBe(0);
    for (const path of [CONFDIR, '/var/lib/tsunagu', '/run/tsunagu', LIBDIR, '/usr/bin/tsunagu']) expect(existsSync(path), path).toBe(false);
    expect(sh('getent', ['group', 'tsunagu'], { allowFail: true }).code).toBe(2);
    expect(systemdTraces()).toEqual([]);
  });
});
