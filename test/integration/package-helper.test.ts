/**
 * The shipped helper (`npm run build:helper`: a Node 26 single executable with the addon and the
 * inspection worker beside it) runs a real OpenVPN and a real WireGuard lab scenario: its CLI
 * connects through it, the protected host answers, disconnecting leaves the namespace as it was.
 * Nothing here runs on the machine's Node: the helper, its worker and the CLI are the executable.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildHelper } from '../../build/helper.js';
import { down, ping, up, type LabInstance } from '../lab/index.js';
import { processesIn, snapshotNetns } from './helper-harness.js';

let executable = '';
beforeAll(async () => {
  executable = await buildHelper();
}, 120_000);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'], LANG: 'C' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let lab: LabInstance | null = null;
let helper: ChildProcess | null = null;
let dir: string | null = null;
afterEach(async () => {
  if (helper && helper.exitCode === null) {
    const exited = new Promise((r) => helper?.once('exit', r));
    helper.kill('SIGTERM');
    await exited;
  }
  helper = null;
  if (lab) await down(lab.id);
  lab = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

async function startHelper(netns: string): Promise<{ socketPath: string; output: () => string }> {
  dir = mkdtempSync(join(tmpdir(), 'tsunagu-sea-'));
  chmodSync(dir, 0o755);
  const socketPath = join(dir, 'helper.sock');
  // A clean environment: the executable needs no NODE_PATH, node_modules or system Node.
  const proc = spawn(executable, ['--socket', socketPath, 'helper', '--group', 'root', '--run-dir', join(dir, 'run'), '--netns', netns], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] }, cwd: '/' });
  helper = proc;
  let output = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => { output += d; });
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => { output += d; });
  const deadline = Date.now() + 20_000;
  while (!output.includes('listening on')) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`the helper executable did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { socketPath, output: () => output };
}

describe.each(['openvpn-udp', 'wireguard-split'] as const)('the helper executable with %s', (scenario) => {
  it('connects, reaches the protected host, and disconnects leaving the namespace as it was', async () => {
    lab = await up(scenario);
    const before = await snapshotNetns(lab.clientNetns);
    const { socketPath, output } = await startHelper(lab.clientNetns);
    const version = await run(['--socket', socketPath, 'status', '--json']);
    expect(version.code, version.stderr).toBe(0);
    expect(JSON.parse(version.stdout)).toEqual([]);

    const connected = await run(['--socket', socketPath, 'connect', lab.profile, '--json']);
    expect(connected.code, `${connected.stderr}\n${output()}`).toBe(0);
    const { sessionId, state } = JSON.parse(connected.stdout) as { sessionId: string; state: string };
    expect(state).toBe('connected');
    expect(await ping(lab.clientNetns, lab.protectedHostIp, { count: 1 })).toBe(true);

    const disconnected = await run(['--socket', socketPath, 'disconnect', sessionId]);
    expect(disconnected.code, disconnected.stderr).toBe(0);
    expect(processesIn(lab.clientNetns, ['openvpn', 'wireguard-go'])).toEqual([]);
    expect(await snapshotNetns(lab.clientNetns)).toEqual(before);
    // The inspection ran in the worker thread: the helper would have refused the connect otherwise.
    expect(output()).not.toMatch(/inspection worker (failed|exited)|native addon is missing/);
  });
});
