/**
 * Findings 7 and 10: where the helper keeps its socket and its state. A run directory others can
 * write is refused; a planted crash record makes the helper run nothing and kill nothing foreign;
 * and with the default layout a group member (not root) connects through the shipped CLI while a
 * non-member cannot even open the socket.
 */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pingUntil, run } from '../lab/index.js';
import { processesIn } from '../integration/helper-harness.js';
import { Rig, sleep } from './rig.js';
import { Agent, ConnectError, GROUP, helperDir, runCli, running, startSecHelper, toolsDir } from './users.js';

let rig: Rig;
beforeAll(async () => {
  rig = await Rig.start('openvpn-udp');
});
afterAll(async () => {
  await rig.close();
});

describe('finding 7: the run directory', () => {
  /** Starts a helper on `runDir` and expects it to refuse: exit non-zero, never listening. */
  async function refusesToStart(runDir: string): Promise<string> {
    const helper = await startSecHelper(rig.lab.clientNetns, { runDir, waitListening: false });
    const deadline = Date.now() + 10_000;
    while (helper.alive() && !helper.output().includes('listening on') && Date.now() < deadline) await sleep(50);
    const code = helper.alive() ? 'still running' : await helper.exited;
    const output = helper.output();
    await helper.stop();
    expect.soft(output, runDir).not.toContain('listening on');
    expect.soft(code, runDir).not.toBe(0);
    expect.soft(code, runDir).not.toBe('still running');
    return output;
  }

  it('refuses to start on a group- or other-writable run dir, sessions dir or parent, or a symlink', async () => {
    const base = helperDir();
    try {
      const variants: Array<[string, () => string]> = [
        ['run dir 0777', () => { const d = join(base, 'a'); mkdirSync(d); chmodSync(d, 0o777); return d; }],
        ['run dir 0770', () => { const d = join(base, 'b'); mkdirSync(d); chmodSync(d, 0o770); return d; }],
        ['sessions dir 0777', () => { const d = join(base, 'c'); mkdirSync(join(d, 'sessions'), { recursive: true, mode: 0o700 }); chmodSync(join(d, 'sessions'), 0o777); return d; }],
        ['parent 0777', () => { const p = join(base, 'd'); mkdirSync(p); chmodSync(p, 0o777); return join(p, 'run'); }],
        ['run dir a symlink', () => { const t = join(base, 'target'); mkdirSync(t, { mode: 0o700 }); const d = join(base, 'e'); symlinkSync(t, d); return d; }],
        ['sessions dir a symlink', () => { const d = join(base, 'f'); mkdirSync(d, { mode: 0o700 }); const t = join(base, 'target2'); mkdirSync(t, { mode: 0o700 }); symlinkSync(t, join(d, 'sessions')); return d; }],
      ];
      for (const [what, make] of variants) {
        const out = await refusesToStart(make());
        console.log(`${what}: ${out.trim().split('\n').at(-1) ?? ''}`);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('a planted residue record (PostDown config, pid 1, a foreign pid) is cleaned without running or killing anything', async () => {
    const base = helperDir();
    const marker = join(base, 'postdown-ran');
    const foreign = spawn('sleep', ['600'], { stdio: 'ignore' });
    const ifname = 'tsusec0';
    try {
      // A live WireGuard interface for the record to name (as a victim's would be).
      await run('ip', ['netns', 'exec', rig.lab.clientNetns, 'wireguard-go', ifname]);
      const sessions = join(base, 'run', 'sessions');
      const wgDir = join(sessions, 'aaaaaaaaaaaaaaaa');
      const ovpnDir = join(sessions, 'bbbbbbbbbbbbbbbb');
      for (const d of [join(base, 'run'), sessions, wgDir, ovpnDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
      const key = (await run('wg', ['genkey'])).stdout.trim();
      const configPath = join(wgDir, `${ifname}.conf`);
      writeFileSync(configPath, `[Interface]\nPrivateKey = ${key}\nPostDown = touch ${marker}\n`, { mode: 0o600 });
      writeFileSync(join(wgDir, 'residue.json'), JSON.stringify({ kind: 'wireguard', sessionId: 'aaaaaaaaaaaaaaaa', pids: [1, foreign.pid], interfaceName: ifname, dnsRecords: [], configPath, netns: rig.lab.clientNetns }));
      writeFileSync(join(ovpnDir, 'residue.json'), JSON.stringify({ kind: 'openvpn', sessionId: 'bbbbbbbbbbbbbbbb', pids: [1, foreign.pid], interfaceName: 'tun9', dnsRecords: [], configPath: `/proc/${foreign.pid}/cmdline` }));
      const helper = await rig.restartHelper({ dir: base });
      await sleep(500);
      expect.soft(existsSync(marker)).toBe(false);
      expect.soft(running(foreign.pid ?? -1)).toBe(true);
      expect(helper.alive()).toBe(true);
    } finally {
      foreign.kill('SIGKILL');
      for (const p of processesIn(rig.lab.clientNetns, ['wireguard-go'])) process.kill(p.pid, 'SIGKILL');
      await rig.restartHelper();
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('finding 10: the default layout', () => {
  it('a non-root member connects with the default paths and pings through; a non-member is refused', async () => {
    const socket = '/run/tsunagu/helper.sock';
    // Skip-proof: the default path must be ours for this test, never another helper's.
    if (existsSync(socket)) {
      const alive = await new Promise<boolean>((resolve) => {
        const probe = createConnection(socket);
        probe.once('connect', () => { probe.destroy(); resolve(true); });
        probe.once('error', () => resolve(false));
      });
      if (alive) throw new Error(`another helper is serving ${socket}; stop it before running the security suite`);
    }
    const hadRunDir = existsSync('/run/tsunagu');
    const helper = await startSecHelper(rig.lab.clientNetns, { defaultPaths: true });
    const eve = await Agent.start('eve');
    try {
      expect.soft(statSync('/run/tsunagu').mode & 0o777).toBe(0o755);
      expect.soft(statSync(join('/run/tsunagu', 'sessions')).mode & 0o777).toBe(0o700);
      const st = lstatSync(socket);
      expect.soft(st.mode & 0o777).toBe(0o660);
      expect(st.uid).toBe(0);
      expect(st.gid).toBe(Number((await run('getent', ['group', GROUP])).stdout.split(':')[2]));

      const profile = join(toolsDir(), 'default-layout.ovpn');
      copyFileSync(rig.lab.profile, profile);
      chmodSync(profile, 0o644);
      const up = await runCli('alice', ['connect', profile, '--json', '--timeout', '20']);
      expect(up.code, up.stderr).toBe(0);
      expect(JSON.parse(up.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ state: 'connected' });
      expect(await pingUntil(rig.lab.clientNetns, rig.lab.protectedHostIp, 5000)).toBe(true);
      const downed = await runCli('alice', ['disconnect', '--all']);
      expect(downed.code, downed.stderr).toBe(0);

      const status = await runCli('eve', ['status']);
      expect(status.code).toBe(1);
      expect(status.stderr).toMatch(/may not use/i);
      const err = await eve.open(socket).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe('EACCES');
    } finally {
      eve.stop();
      await helper.stop();
      if (!hadRunDir) rmSync('/run/tsunagu', { recursive: true, force: true });
    }
  });
});
