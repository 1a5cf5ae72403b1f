#!/usr/bin/env node
// The tests' system packages (scripts/system-packages.txt, the one list) on this machine: runs
// before `npm test` (its pretest) and before the e2e tests (test/e2e/global-setup.ts).
//
//   all installed          → nothing else happens (one dpkg-query call, a few milliseconds)
//   some missing, root     → apt-get update, then apt-get install of the missing ones
//   some missing, not root → stops with the exact command to run
//   no dpkg/apt (not Debian) → stops with the list and how to go on
//
// TSUNAGU_SKIP_SYSTEM_SETUP=1 skips the check (for machines that provide the tools otherwise).
// `--packages FILE` reads another list (the tests of this script use it).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEFAULT_LIST = join(dirname(fileURLToPath(import.meta.url)), 'system-packages.txt');

function fail(lines) {
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}

function readList(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
}

function onPath(command) {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, command)));
}

/** The packages of `wanted` that dpkg does not report as installed (unknown ones included). */
function missingPackages(wanted) {
  // One call for the whole list; unknown names go to stderr and are simply absent from stdout.
  const query = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\\n', ...wanted], { encoding: 'utf8' });
  if (query.error) fail([`tsunagu: cannot run dpkg-query (${query.error.message}).`]);
  const installed = new Set(
    query.stdout
      .split('\n')
      .map((line) => line.split(' '))
      .filter(([, status]) => status === 'installed')
      .map(([name]) => name),
  );
  return wanted.filter((name) => !installed.has(name));
}

function run(command, args) {
  console.log(`tsunagu: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) fail([`tsunagu: "${[command, ...args].join(' ')}" failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`}).`]);
}

function main() {
  if (process.env.TSUNAGU_SKIP_SYSTEM_SETUP === '1') return;
  const at = process.argv.indexOf('--packages');
  const listFile = at >= 0 ? process.argv[at + 1] : DEFAULT_LIST;
  if (!listFile) fail(['tsunagu: --packages needs a file.']);
  const wanted = readList(listFile);

  if (!existsSync('/etc/debian_version') || !onPath('dpkg-query') || !onPath('apt-get')) {
    fail([
      'tsunagu: the tests need these Debian 12 packages, and this machine has no dpkg/apt to install them:',
      `  ${wanted.join(' ')}`,
      'Run the tests on Debian 12 as root ("sudo npm test"), or install the same tools with your',
      'system\'s package manager and then run: TSUNAGU_SKIP_SYSTEM_SETUP=1 npm test',
    ]);
  }
  const missing = missingPackages(wanted);
  if (missing.length === 0) return;

  const install = ['install', '-y', '-qq', '--no-install-recommends', ...missing];
  if (process.getuid?.() !== 0) {
    fail([
      `tsunagu: the tests need ${missing.length === 1 ? 'a Debian package that is' : `${missing.length} Debian packages that are`} not installed: ${missing.join(' ')}`,
      `Install ${missing.length === 1 ? 'it' : 'them'} as root, then run the tests again:`,
      `  sudo sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get ${install.join(' ')}'`,
    ]);
  }
  console.log(`tsunagu: installing the tests' system packages: ${missing.join(' ')}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', install);
  const still = missingPackages(wanted);
  if (still.length > 0) fail([`tsunagu: apt-get finished but these packages are still not installed: ${still.join(' ')}`]);
}

main();
