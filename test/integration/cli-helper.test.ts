/**
 * The `tsunagu` CLI against a real helper and lab servers: connect (credentials asked on the
 * terminal — here piped on stdin), status, disconnect, and a failure that exits 1 with the reason.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { down, ping, up, type LabInstance } from '../lab/index.js';
import { processesIn, startHelperProcess, type RunningHelperProcess } from './helper-harness.js';

const CLI = join(import.meta.dirname, '../../out/cli/tsunagu.mjs');

function cli(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.stdin.end(stdin);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let lab: LabInstance | null = null;
let helper: RunningHelperProcess | null = null;
afterEach(async () => {
  await helper?.stop();
  helper = null;
  if (lab) await down(lab.id);
  lab = null;
});

describe('tsunagu connect / status / disconnect', () => {
  it('connects a certificate profile, shows it, and disconnects it', async () => {
    lab = await up('openvpn-udp');
    helper = await startHelperProcess(lab.clientNetns);
    const socket = ['--socket', helper.socketPath];
    const connected = await cli([...socket, 'connect', lab.profile, '--json']);
    expect(connected.code, connected.stderr).toBe(0);
    const result = JSON.parse(connected.stdout) as { sessionId: string; state: string; localIp: string };
    expect(result).toMatchObject({ state: 'connected', localIp: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/) });
    expect(await ping(lab.clientNetns, lab.protectedHostIp, { count: 1 })).toBe(true);

    const status = await cli([...socket, 'status', '--json']);
    expect(status.code).toBe(0);
    const sessions = JSON.parse(status.stdout) as Array<{ id: string; state: { status: string } }>;
    expect(sessions.map((s) => [s.id, s.state.status])).toEqual([[result.sessionId, 'connected']]);

    const human = await cli([...socket, 'status']);
    expect(human.stdout).toContain(result.sessionId);

    const disconnected = await cli([...socket, 'disconnect', result.sessionId]);
    expect(disconnected.code).toBe(0);
    expect(processesIn(lab.clientNetns, ['openvpn'])).toEqual([]);
  });

  it('asks for username and password on the terminal (stdin), and a wrong one exits 1 with the reason', async () => {
    lab = await up('openvpn-userpass');
    helper = await startHelperProcess(lab.clientNetns);
    const good = lab.credentials.good;
    const bad = lab.credentials.bad;
    if (!good || !bad) throw new Error('lab credentials missing');
    const socket = ['--socket', helper.socketPath];
    const ok = await cli([...socket, 'connect', lab.profile, '--json'], `${good.username}\n${good.password}\n`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('Username: ');
    const { sessionId } = JSON.parse(ok.stdout) as { sessionId: string };
    expect((await cli([...socket, 'disconnect', '--all'])).code).toBe(0);
    expect(sessionId).toMatch(/^[a-f0-9]+$/);

    const wrong = await cli([...socket, 'connect', lab.profile], `${bad.username}\n${bad.password}\n`);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/rejected|failed|incorrect|wrong/i);
    expect(processesIn(lab.clientNetns, ['openvpn'])).toEqual([]);
  });

  it('refuses an unsafe profile locally before it reaches the helper, and reports a missing helper', async () => {
    lab = await up('openvpn-udp');
    helper = await startHelperProcess(lab.clientNetns);
    const evil = join(helper.runDir, '..', 'evil.ovpn');
    writeFileSync(evil, 'client\ndev tun\nremote 198.18.1.1\nup /tmp/x.sh\n');
    const refused = await cli(['--socket', helper.socketPath, 'connect', evil]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("'up'");
    const missing = await cli(['--socket', '/nonexistent/helper.sock', 'status']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not running/);
  });
});
