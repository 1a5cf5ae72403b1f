/**
 * The `tsunagu` CLI against a real helper and lab servers: connect (credentials asked on the
 * terminal — here piped on stdin), status, disconnect, and a failure that exits 1 with the reason;
 * and the helper running out of file descriptors while a group member floods it (issue 10, finding 4).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { down, ping, up, type LabInstance } from '../lab/index.js';
import { Agent } from '../unit/helper-agent.js';
import { HELPER_PROTOCOL_VERSION } from '../../shared/ipc/helper-protocol.js';
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

/** A user in the helper's group (root, in these tests) only through a supplementary group. */
const MEMBER = { name: 'tsunagu-it-member', uid: 4290, gid: 4290 };

function addMember(): void {
  execFileSync('groupadd', ['-g', String(MEMBER.gid), MEMBER.name]);
  execFileSync('useradd', ['-M', '-N', '-u', String(MEMBER.uid), '-g', String(MEMBER.gid), '-G', 'root', '-s', '/usr/sbin/nologin', MEMBER.name]);
}

function knownMember(): boolean {
  try {
    execFileSync('getent', ['passwd', MEMBER.name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('the helper out of file descriptors', () => {
  const agents: Agent[] = [];
  afterEach(async () => {
    for (const a of agents.splice(0)) await a.close();
    if (knownMember()) {
      // userdel also removes the user's own group (USERGROUPS_ENAB).
      execFileSync('userdel', ['-f', MEMBER.name]);
    }
  });

  // OpenVPN: its driver watches openvpn through the management socket it already holds. WireGuard:
  // its driver polls `wg show` (a spawn that fails with EMFILE) and /proc for wireguard-go (a read
  // that fails with EMFILE), neither of which may read as the tunnel gone.
  it.each(['openvpn-udp', 'wireguard-split'] as const)('keeps serving, and the %s tunnel stays up, when a member (by supplementary group) floods it past RLIMIT_NOFILE', async (scenario) => {
    if (!knownMember()) addMember();
    lab = await up(scenario);
    const running = await startHelperProcess(lab.clientNetns);
    helper = running;
    onTestFailed(() => console.log(`helper output:\n${running.output()}`));
    const socket = ['--socket', helper.socketPath];
    const connected = await cli([...socket, 'connect', lab.profile, '--json']);
    expect(connected.code, connected.stderr).toBe(0);
    const { sessionId } = JSON.parse(connected.stdout) as { sessionId: string };
    expect(await ping(lab.clientNetns, lab.protectedHostIp, { count: 1 })).toBe(true);

    // The member's groups come from /etc/group (SO_PEERCRED has only the primary gid): the case
    // that read /etc/passwd on every accept and crashed the helper with EMFILE.
    const member = await Agent.open(helper.socketPath, MEMBER.uid, 1, MEMBER.gid, [0]);
    agents.push(member);
    expect(await member.request(0, { id: 1, type: 'hello', version: HELPER_PROTOCOL_VERSION, client: 'member' })).toMatchObject({ ok: true, result: { uid: MEMBER.uid } });

    const pid = String(helper.proc.pid);
    const [soft, hard] = execFileSync('prlimit', ['--pid', pid, '--nofile', '--output', 'SOFT,HARD', '--noheadings'], { encoding: 'utf8' }).trim().split(/\s+/);
    const open = readdirSync(`/proc/${pid}/fd`).length;
    execFileSync('prlimit', ['--pid', pid, `--nofile=${open + 6}:${hard}`]);
    let flood: Agent | null = null;
    try {
      flood = await Agent.open(helper.socketPath, MEMBER.uid, 300, MEMBER.gid, [0]);
      agents.push(flood);
      // Past the membership snapshot's TTL: a re-read of the group files now fails with EMFILE too.
      await new Promise((r) => setTimeout(r, 6000));
      // Out of descriptors: connections the helper could not accept were cut without a word.
      const opened = flood;
      expect(Array.from({ length: 300 }, (_, c) => c).filter((c) => opened.closed(c) && opened.messages(c).length === 0).length).toBeGreaterThan(0);
      expect(helper.proc.exitCode).toBeNull();
      expect(await member.request(0, { id: 2, type: 'list' })).toMatchObject({ ok: true });
    } finally {
      await flood?.close();
      execFileSync('prlimit', ['--pid', pid, `--nofile=${soft}:${hard}`]);
    }
    expect(helper.proc.exitCode).toBeNull();
    expect(helper.output()).not.toMatch(/uncaught|unhandled/);
    // The tunnel never noticed, and the helper serves new clients again.
    expect(await ping(lab.clientNetns, lab.protectedHostIp, { count: 1 }), helper.output()).toBe(true);
    const status = await cli([...socket, 'status', '--json']);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as Array<{ id: string; state: { status: string } }>).map((s) => [s.id, s.state.status])).toEqual([[sessionId, 'connected']]);
    const again = await Agent.open(helper.socketPath, MEMBER.uid, 1, MEMBER.gid, [0]);
    agents.push(again);
    expect(await again.request(0, { id: 1, type: 'hello', version: HELPER_PROTOCOL_VERSION, client: 'member' })).toMatchObject({ ok: true });
    await again.close();
    await member.close();
    expect((await cli([...socket, 'disconnect', sessionId])).code).toBe(0);
  }, 120_000);
});
