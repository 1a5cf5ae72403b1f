/**
 * What each dpkg step asks of systemd, through the .deb's real maintainer scripts run by a real
 * dpkg: install version A (the built .deb), upgrade to B (the same tree, a higher version),
 * remove, purge. systemd is not PID 1 here, so dpkg runs in a private mount namespace where
 * /run/systemd/system exists (the scripts' "systemd is running" test), with PATH starting at
 * recording stand-ins: deb-systemd-invoke records and does nothing (it stands for systemd acting),
 * systemctl records, answers daemon-reload and hands the rest (is-enabled, the helper's preset) to
 * the real systemctl offline (--root=/); deb-systemd-helper records and runs the real one.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFDIR, DIST, PACKAGE_NAME, packageLinux, UNITS } from '../../build/package-linux.js';

const ROOT = join(import.meta.dirname, '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const DEB_A = join(DIST, `${PACKAGE_NAME}_${VERSION}_amd64.deb`);
/** The same inputs as package-linux.test.ts: a .deb older than any of them is rebuilt. */
const INPUTS = ['build', 'resources/linux', 'electron/cli', 'electron/helper', 'shared', 'package.json'];
const VERSION_B = `${VERSION}+upgradetest1`;
const ALL = UNITS.join(' ');

function newestMtime(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).filter((n) => n !== 'native').map((n) => newestMtime(join(path, n))));
}

function sh(cmd: string, args: string[], o: { allowFail?: boolean; env?: NodeJS.ProcessEnv } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LANG: 'C', ...o.env } });
  const result = { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  if (!o.allowFail && result.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${result.code}: ${r.stderr}${r.stdout}`);
  return result;
}

function clearMachine(): void {
  if (sh('dpkg-query', ['-W', PACKAGE_NAME], { allowFail: true }).code === 0) sh('dpkg', ['--purge', PACKAGE_NAME]);
}

let work = '';
let stubs = '';
let log = '';
let debB = '';

/** A recording stand-in: one line per call, "<name> <args>\t<caller's command line>", then `then` (sh). */
function stub(name: string, then: string): void {
  const path = join(stubs, name);
  writeFileSync(path, `#!/bin/sh\nprintf '%s\\t%s\\n' "${name} $*" "$(tr '\\0' ' ' < /proc/$PPID/cmdline)" >> "${log}"\n${then}\n`);
  chmodSync(path, 0o755);
}

const SCRIPT_CALLER = new RegExp(`^/bin/sh /var/lib/dpkg/info/${PACKAGE_NAME}\\.(\\w+)(.*)$`);

/**
 * Runs dpkg as if systemd were PID 1; returns the calls our maintainer scripts made, each as
 * "<script> <its arguments>: <call>" (deb-systemd-helper's own systemctl calls are left out).
 */
function dpkg(args: string[]): { calls: string[]; stderr: string } {
  writeFileSync(log, '');
  const script = 'mount -t tmpfs tsunagu-upgrade-test /run/systemd && mkdir /run/systemd/system && exec dpkg "$@"';
  const r = sh('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...args], { env: { PATH: `${stubs}:${process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` } });
  const calls = readFileSync(log, 'utf8').split('\n').flatMap((line) => {
    const [call, caller] = line.split('\t');
    const m = SCRIPT_CALLER.exec(caller?.trim() ?? '');
    return call && m ? [`${m[1]}${m[2]?.trimEnd() ?? ''}: ${call}`] : [];
  });
  return { calls, stderr: r.stderr };
}

beforeAll(async () => {
  clearMachine();
  if (!existsSync(DEB_A) || statSync(DEB_A).mtimeMs < Math.max(...INPUTS.map((p) => newestMtime(join(ROOT, p))))) await packageLinux();
  work = mkdtempSync(join(tmpdir(), 'tsunagu-upgrade-'));
  stubs = join(work, 'bin');
  mkdirSync(stubs);
  log = join(work, 'calls.log');
  stub('deb-systemd-invoke', 'exit 0');
  stub('systemctl', '[ "$1" = daemon-reload ] && exit 0\ncase "$1" in --root=*) exec /usr/bin/systemctl "$@" ;; esac\nexec /usr/bin/systemctl --root=/ "$@"');
  stub('deb-systemd-helper', 'exec /usr/bin/deb-systemd-helper "$@"');
  // Version B: A's tree and scripts under a higher version, uncompressed (quick to build).
  const tree = join(work, 'b');
  sh('dpkg-deb', ['-R', DEB_A, tree]);
  const control = join(tree, 'DEBIAN/control');
  writeFileSync(control, readFileSync(control, 'utf8').replace(/^Version: .*$/m, `Version: ${VERSION_B}`));
  debB = join(work, `${PACKAGE_NAME}_${VERSION_B}_amd64.deb`);
  sh('dpkg-deb', ['--root-owner-group', '-Znone', '--build', tree, debB]);
  rmSync(tree, { recursive: true, force: true });
}, 300_000);

afterAll(() => {
  clearMachine();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.sequential('dpkg steps and the service actions they trigger', () => {
  it('a fresh install enables the three units and starts them', () => {
    const r = dpkg(['-i', DEB_A]);
    expect(r.calls).toEqual([
      ...UNITS.map((u) => `postinst configure: deb-systemd-helper enable ${u}`),
      'postinst configure: systemctl daemon-reload',
      `postinst configure: deb-systemd-invoke start ${ALL}`,
    ]);
    expect(r.stderr).not.toContain('systemd is not running');
  });

  it('an upgrade keeps /etc/tsunagu, stops nothing, and restarts tsunagu-helper.service only', () => {
    writeFileSync(`${CONFDIR}/policy.json`, '{ "AutoConnectProfile": "site" }\n');
    writeFileSync(`${CONFDIR}/policy.d/10-site.json`, '{}\n');
    writeFileSync(`${CONFDIR}/profiles/site.ovpn`, 'remote 192.0.2.1\n', { mode: 0o600 });
    const r = dpkg(['-i', debB]);
    expect(sh('dpkg-query', ['-W', '-f=${Version}', PACKAGE_NAME]).stdout).toBe(VERSION_B);
    // The old prerm ("upgrade") leaves the helper running; the new postinst re-enables what was
    // enabled and restarts the service onto the new binary. The socket keeps listening, and
    // tsunagu-firewall.service (a oneshot for boot) is not run again.
    const step = `postinst configure ${VERSION}`;
    expect(r.calls).toEqual([
      ...UNITS.flatMap((u) => [`${step}: deb-systemd-helper --quiet was-enabled ${u}`, `${step}: deb-systemd-helper enable ${u}`]),
      `${step}: systemctl daemon-reload`,
      `${step}: systemctl --quiet is-enabled tsunagu-helper.socket`,
      `${step}: deb-systemd-invoke restart tsunagu-helper.service`,
    ]);
    expect(readFileSync(`${CONFDIR}/policy.json`, 'utf8')).toBe('{ "AutoConnectProfile": "site" }\n');
    expect(readFileSync(`${CONFDIR}/policy.d/10-site.json`, 'utf8')).toBe('{}\n');
    expect(readFileSync(`${CONFDIR}/profiles/site.ovpn`, 'utf8')).toBe('remote 192.0.2.1\n');
    expect((statSync(`${CONFDIR}/profiles`).mode & 0o777).toString(8)).toBe('700');
  });

  it('an upgrade after the administrator disabled the socket keeps it disabled and restarts nothing', () => {
    sh('systemctl', ['--root=/', 'disable', 'tsunagu-helper.socket']);
    const r = dpkg(['-i', debB]);
    const step = `postinst configure ${VERSION_B}`;
    expect(r.calls).toContain(`${step}: deb-systemd-helper update-state tsunagu-helper.socket`);
    expect(r.calls).not.toContain(`${step}: deb-systemd-helper enable tsunagu-helper.socket`);
    expect(r.calls.filter((c) => c.includes('deb-systemd-invoke'))).toEqual([]);
    expect(existsSync('/etc/systemd/system/sockets.target.wants/tsunagu-helper.socket')).toBe(false);
  });

  it('dpkg -r stops the three units, masks them, and keeps /etc/tsunagu', () => {
    const r = dpkg(['-r', PACKAGE_NAME]);
    expect(r.calls).toEqual([
      `prerm remove: deb-systemd-invoke stop ${ALL}`,
      'postrm remove: systemctl daemon-reload',
      ...UNITS.map((u) => `postrm remove: deb-systemd-helper mask ${u}`),
    ]);
    expect(readFileSync(`${CONFDIR}/policy.d/10-site.json`, 'utf8')).toBe('{}\n');
    expect(existsSync(`${CONFDIR}/profiles/site.ovpn`)).toBe(true);
  });

  it('dpkg -P starts or stops nothing, purges the units\' state, and removes /etc/tsunagu with what the administrator added', () => {
    const r = dpkg(['-P', PACKAGE_NAME]);
    expect(r.calls).toEqual([
      'postrm purge: systemctl daemon-reload',
      ...UNITS.flatMap((u) => [`postrm purge: deb-systemd-helper purge ${u}`, `postrm purge: deb-systemd-helper unmask ${u}`]),
    ]);
    expect(existsSync(CONFDIR)).toBe(false);
    expect(existsSync('/var/lib/tsunagu')).toBe(false);
  });
});
