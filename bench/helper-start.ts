/**
 * `npm run bench:helper-start` (root) — the shipped helper (`npm run build:helper`, a Node 26
 * single executable) beside the bundled CLI on the machine's Node:
 *   cold start: spawn → its socket accepts a connection (median of BENCH_ROUNDS, default 10);
 *   RSS: idle 3 s after start (inspection workers warm), and 3 s after one OpenVPN lab tunnel is up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleCli } from '../build/bundle.js';
import { buildHelper } from '../build/helper.js';
import { down, up } from '../test/lab/index.js';
import { median } from './stats.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 10);

interface Variant {
  name: string;
  command: string[];
}

function connects(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * RSS and its anonymous part: the rest are clean pages of the executable file, which the kernel
 * can drop and read again (a single executable maps more of its file than node does).
 */
function rss(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mib = (field: string) => {
    const kib = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1];
    if (kib === undefined) throw new Error(`no ${field} for ${pid}`);
    return (Number(kib) / 1024).toFixed(1);
  };
  return `${mib('VmRSS')} MiB (anonymous ${mib('RssAnon')})`;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function start(variant: Variant, netns: string | null): Promise<{ child: ChildProcess; ms: number; socketPath: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-bench-start-'));
  chmodSync(dir, 0o755);
  const socketPath = join(dir, 'helper.sock');
  const [cmd = '', ...args] = variant.command;
  const t0 = performance.now();
  const child = spawn(cmd, [...args, '--socket', socketPath, 'helper', '--group', 'root', '--run-dir', join(dir, 'run'), ...(netns ? ['--netns', netns] : [])], { stdio: 'ignore' });
  while (!(await connects(socketPath))) {
    if (child.exitCode !== null) throw new Error(`${variant.name} exited ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return { child, ms: performance.now() - t0, socketPath, dir };
}

function cli(variant: Variant, args: string[]): Promise<number | null> {
  const [cmd = '', ...rest] = variant.command;
  const child = spawn(cmd, [...rest, ...args], { stdio: 'ignore' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

const variants: Variant[] = [
  { name: `single executable (Node 26)`, command: [await buildHelper()] },
  { name: `bundled CLI on ${process.version}`, command: [process.execPath, await bundleCli()] },
];

const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const v of variants) {
    const s = await start(v, null);
    times.get(v.name)?.push(s.ms);
    await stop(s.child);
    rmSync(s.dir, { recursive: true, force: true });
  }
}

const lab = await up('openvpn-udp');
try {
  for (const v of variants) {
    const s = await start(v, lab.clientNetns);
    await new Promise((r) => setTimeout(r, 3000));
    const idle = rss(s.child.pid ?? 0);
    const code = await cli(v, ['--socket', s.socketPath, 'connect', lab.profile]);
    if (code !== 0) throw new Error(`${v.name}: connect exited ${code}`);
    await new Promise((r) => setTimeout(r, 3000));
    const tunnel = rss(s.child.pid ?? 0);
    await cli(v, ['--socket', s.socketPath, 'disconnect', '--all']);
    await stop(s.child);
    rmSync(s.dir, { recursive: true, force: true });
    console.log(`${v.name}: cold start to a listening socket ${median(times.get(v.name) ?? []).toFixed(0)} ms (median of ${ROUNDS}); RSS idle ${idle}, with one OpenVPN tunnel ${tunnel}`);
  }
} finally {
  await down(lab.id);
}
