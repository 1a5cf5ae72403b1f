/**
 * The set-up path a newcomer takes, in a clean clone of the committed HEAD: the README's
 * `npm install` (from this machine's npm cache), then the `tsunagu` bin as `npx tsunagu` runs it
 * (from the bundle the install built, not through tsx), and the system set-up that `npm test` runs
 * first: its fast path when every package is there, and the exact command when it cannot install.
 */
import { execFile, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const exec = promisify(execFile);

let work = '';
let clone = '';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tsunagu-clone-'));
  clone = join(work, 'tsunagu');
  await exec('git', ['clone', '--quiet', `file://${ROOT}`, clone]);
  await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: clone, maxBuffer: 64 * 1024 * 1024 });
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a fresh clone, after npm install', () => {
  it('has the bin bundled by the install, and npx tsunagu runs it', async () => {
    expect(existsSync(join(clone, 'out', 'bin', 'inputs.json'))).toBe(true);
    const help = await exec('npx', ['--no-install', 'tsunagu', '--help'], { cwd: clone });
    expect(help.stdout).toMatch(/^Usage: tsunagu/);
    const inspected = await exec('npx', ['--no-install', 'tsunagu', 'inspect', '--json', join('test', 'fixtures', 'seed', 'wg-client.conf')], { cwd: clone });
    expect(JSON.parse(inspected.stdout)).toMatchObject({ ok: true, kind: 'wireguard', name: 'wg-client', errors: [] });
  });

  it('runs the bin from the bundle while it is current (no TypeScript loader), from the sources once they change', () => {
    const bin = join(clone, 'electron', 'cli', 'bin.js');
    const tsx = join(clone, 'node_modules', 'tsx');
    const seed = join('test', 'fixtures', 'seed', 'wg-client.conf');
    const run = () => spawnSync(bin, ['inspect', seed], { cwd: clone, encoding: 'utf8' });
    // With tsx out of reach, only the bundle can answer.
    renameSync(tsx, `${tsx}.hidden`);
    try {
      const bundled = run();
      expect(bundled.stderr).toBe('');
      expect(bundled.status).toBe(0);
      expect(bundled.stdout).toContain('importable');

      appendFileSync(join(clone, 'electron', 'cli', 'main.ts'), '\n// changed after the install\n');
      // Now the bundle is stale: the bin goes to the sources, which need tsx…
      expect(run().status).not.toBe(0);
    } finally {
      renameSync(`${tsx}.hidden`, tsx);
    }
    // …and with it, answers the same.
    const fromSources = run();
    expect(fromSources.status).toBe(0);
    expect(fromSources.stdout).toContain('importable');
  });
});

describe('the system set-up npm test runs first', () => {
  it('is the pretest, reading the one package list', () => {
    const pkg: unknown = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ scripts: { pretest: 'node scripts/system-setup.js' } });
    expect(readFileSync(join(clone, 'scripts', 'system-packages.txt'), 'utf8')).toMatch(/^chromium$/m);
  });

  it('with everything installed: one dpkg query, no apt-get', () => {
    // An apt-get first on PATH that leaves a mark: the fast path must never call it.
    const shims = join(work, 'shims');
    mkdirSync(shims, { recursive: true });
    const mark = join(work, 'apt-get-called');
    writeFileSync(join(shims, 'apt-get'), `#!/bin/sh\ntouch '${mark}'\nexit 1\n`);
    chmodSync(join(shims, 'apt-get'), 0o755);
    const start = performance.now();
    const result = spawnSync(process.execPath, [join(clone, 'scripts', 'system-setup.js')], { encoding: 'utf8', env: { ...process.env, PATH: `${shims}:${process.env['PATH'] ?? ''}` } });
    const elapsed = performance.now() - start;
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(existsSync(mark)).toBe(false);
    expect(elapsed).toBeLessThan(2000);
  });

  it('not root, with a package missing: stops with the exact command', () => {
    const list = join(work, 'packages.txt');
    writeFileSync(list, '# one installed, one that is not\nopenvpn\ntsunagu-no-such-package\n');
    chmodSync(work, 0o755);
    chmodSync(list, 0o644);
    const result = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(clone, 'scripts', 'system-setup.js'), '--packages', list], { cwd: '/', encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('not installed: tsunagu-no-such-package\n');
    expect(result.stderr).toContain("sudo sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tsunagu-no-such-package'");
  });

  it('without dpkg and apt: stops and says how to go on', () => {
    const result = spawnSync(process.execPath, [join(clone, 'scripts', 'system-setup.js')], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('no dpkg/apt');
    expect(result.stderr).toContain('TSUNAGU_SKIP_SYSTEM_SETUP=1 npm test');
  });
});
