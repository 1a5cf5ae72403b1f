#!/usr/bin/env node
// `npm test`: every check and every test, in two lanes that run at the same time.
//
//   pure lane  typecheck, lint, then the `unit` and `fuzz` projects: CPU only, no root, no network
//   root lane  the `integration`, `security` and `e2e` projects: real servers in namespaces, the
//              real helper, Chromium; serial among themselves (they share the host's routes,
//              resolv.conf and firewall), mostly waiting on processes and the network
//
// Vitest runs projects whose files are serial one after another, so one `vitest run` would
// leave a core idle for the whole root part; two processes overlap them. The root lane streams
// its output; the pure lane's output is printed as each step ends, so lines never interleave.
// Arguments (`npm test -- test/unit/x.test.ts`) run one plain `vitest run` with them instead.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const children = new Set();

function run(command, args, { capture }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: root, stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit', env: process.env });
    children.add(child);
    let output = '';
    if (capture) {
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
    }
    child.on('error', (e) => {
      output += `${command}: ${e.message}\n`;
    });
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ ok: code === 0, code: code ?? (signal ? `signal ${signal}` : 'unknown'), output, seconds: (Date.now() - started) / 1000 });
    });
  });
}

async function pureLane() {
  const steps = [
    ['typecheck', 'npm', ['run', '--silent', 'typecheck']],
    ['lint', 'npm', ['run', '--silent', 'lint']],
    ['unit + fuzz', bin('vitest'), ['run', '--project', 'unit', '--project', 'fuzz']],
  ];
  const failed = [];
  for (const [name, command, args] of steps) {
    const r = await run(command, args, { capture: true });
    process.stdout.write(`\n── pure lane: ${name} ${r.ok ? 'passed' : `FAILED (exit ${r.code})`} in ${r.seconds.toFixed(0)} s ──\n${r.output}`);
    if (!r.ok) failed.push(name);
  }
  return failed;
}

async function rootLane() {
  const r = await run(bin('vitest'), ['run', '--project', 'integration', '--project', 'security', '--project', 'e2e'], { capture: false });
  process.stdout.write(`\n── root lane: integration + security + e2e ${r.ok ? 'passed' : `FAILED (exit ${r.code})`} in ${r.seconds.toFixed(0)} s ──\n`);
  return r.ok ? [] : ['integration + security + e2e'];
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
    process.exit(130);
  });
}

const extra = process.argv.slice(2);
if (extra.length > 0) {
  const r = await run(bin('vitest'), ['run', ...extra], { capture: false });
  process.exit(r.ok ? 0 : 1);
}

const started = Date.now();
const failed = (await Promise.all([pureLane(), rootLane()])).flat();
const total = ((Date.now() - started) / 1000).toFixed(0);
if (failed.length === 0) process.stdout.write(`\nnpm test: everything passed in ${total} s\n`);
else process.stdout.write(`\nnpm test: FAILED — ${failed.join(', ')} (${total} s)\n`);
process.exit(failed.length === 0 ? 0 : 1);
