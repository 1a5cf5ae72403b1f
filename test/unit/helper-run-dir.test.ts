/**
 * The helper's directories (issue 10, findings 7 and 10; contract C4): it refuses to start unless
 * the run directory and the sessions directory, and every directory above them, are root's alone
 * (root-owned, not group/other-writable, no symlinks; a root-owned sticky parent such as /tmp is
 * fine), saying in one sentence what to fix; the layout it creates lets a group member reach
 * the socket while session state stays root-only; and under socket activation it serves the
 * socket systemd bound.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_RUN_DIR, DEFAULT_SOCKET, SESSIONS_DIR_NAME } from '../../electron/helper/defaults.js';
import { prepareRunDir, startHelper } from '../../electron/helper/main.js';
import { unsafeDirectory } from '../../electron/helper/run-dir.js';
import { HELPER_PROTOCOL_VERSION } from '../../shared/ipc/helper-protocol.js';
import { Agent } from './helper-agent.js';

const base = mkdtempSync(join(tmpdir(), 'tsunagu-rundir-'));
chmodSync(base, 0o755);
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
/** A fresh directory under the base (root-owned, 0755). */
function fresh(): string {
  const d = join(base, `case${++n}`);
  mkdirSync(d);
  chmodSync(d, 0o755);
  return d;
}

const mode = (p: string) => statSync(p).mode & 0o7777;

describe('start-up directory checks', () => {
  it('creates a missing run directory 0755 and its sessions directory 0700', () => {
    const runDir = join(fresh(), 'a', 'run');
    prepareRunDir(runDir);
    expect(mode(join(runDir, '..'))).toBe(0o755);
    expect(mode(runDir)).toBe(0o755);
    expect(mode(join(runDir, SESSIONS_DIR_NAME))).toBe(0o700);
    expect(unsafeDirectory(runDir, 'run directory')).toBeNull();
  });

  it('sets existing root-owned directories to the layout: sessions 0700, the run directory 0755 (an older helper made it 0700)', () => {
    const runDir = fresh();
    chmodSync(runDir, 0o700);
    mkdirSync(join(runDir, SESSIONS_DIR_NAME));
    chmodSync(join(runDir, SESSIONS_DIR_NAME), 0o755);
    prepareRunDir(runDir);
    expect(mode(runDir)).toBe(0o755);
    expect(mode(join(runDir, SESSIONS_DIR_NAME))).toBe(0o700);
  });

  const cases: Array<[string, (dir: string) => string, RegExp]> = [
    ['a run directory owned by another user', (d) => { chownSync(d, 1234, 1234); return d; }, /run directory .* is owned by uid 1234, not root; run chown root:root /],
    ['a group-writable run directory', (d) => { chmodSync(d, 0o775); return d; }, /run directory .* is writable by group or others \(mode 0775\); run chmod go-w /],
    ['an other-writable run directory, sticky or not', (d) => { chmodSync(d, 0o1777); return d; }, /writable by group or others \(mode 1777\)/],
    ['a run directory that is a symlink', (d) => { const real = join(d, 'real'); mkdirSync(real); const link = join(d, 'link'); symlinkSync(real, link); return link; }, /is a symbolic link; give the real path instead/],
    ['a sessions directory that is a symlink', (d) => { mkdirSync(join(d, 'elsewhere'), { mode: 0o700 }); symlinkSync(join(d, 'elsewhere'), join(d, SESSIONS_DIR_NAME)); return d; }, /sessions directory .* is a symbolic link/],
    ['a sessions directory owned by another user', (d) => { mkdirSync(join(d, SESSIONS_DIR_NAME)); chownSync(join(d, SESSIONS_DIR_NAME), 1234, 0); return d; }, /sessions directory .* owned by uid 1234/],
    ['a group-writable parent', (d) => { chmodSync(d, 0o770); const r = join(d, 'run'); mkdirSync(r); return r; }, /\(a parent of the run directory .*\) is writable by group or others \(mode 0770\)/],
    ['a sticky parent owned by another user', (d) => { chmodSync(d, 0o1777); chownSync(d, 1234, 1234); const r = join(d, 'run'); mkdirSync(r); return r; }, /a parent of the run directory .* owned by uid 1234/],
    ['a run directory that is a file', (d) => { const f = join(d, 'file'); writeFileSync(f, ''); return f; }, /is not a directory/],
    ['a relative path', () => 'run/tsunagu', /must be an absolute path/],
  ];
  for (const [label, craft, message] of cases) {
    it(`refuses ${label}, in one sentence saying what to fix`, () => {
      const runDir = craft(fresh());
      expect(() => prepareRunDir(runDir)).toThrow(message);
    });
  }

  it('accepts a root-owned sticky parent (like /tmp: a root-owned entry in it cannot be swapped)', () => {
    const d = fresh();
    chmodSync(d, 0o1777);
    expect(() => prepareRunDir(join(d, 'run'))).not.toThrow();
  });

  it('the helper does not start over an unsafe run directory', async () => {
    const d = fresh();
    chmodSync(d, 0o777);
    await expect(startHelper({ socketPath: join(d, 'helper.sock'), group: 'root', runDir: d, netns: null, standby: false, mirror: () => undefined })).rejects.toThrow(/run directory .* writable by group or others/);
  });
});

describe('the default layout', () => {
  it('is the socket in /run/tsunagu with session state in /run/tsunagu/sessions', () => {
    expect(DEFAULT_RUN_DIR).toBe('/run/tsunagu');
    expect(DEFAULT_SOCKET).toBe(join(DEFAULT_RUN_DIR, 'helper.sock'));
  });

  it('lets a non-root group member in (socket 0660 root:group in a 0755 run dir), keeps sessions root-only, and a non-member out', async () => {
    // The default layout under a scratch root: <root>/run/tsunagu/helper.sock, as the defaults lay it out.
    const runDir = join(fresh(), 'run', 'tsunagu');
    const socketPath = join(runDir, 'helper.sock');
    const helper = await startHelper({ socketPath, group: 'users', runDir, netns: null, standby: false, mirror: () => undefined });
    try {
      expect(mode(runDir)).toBe(0o755);
      expect(mode(join(runDir, SESSIONS_DIR_NAME))).toBe(0o700);
      const st = statSync(socketPath);
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, 100, 0o660]);
      // uid 4100 with primary group 'users' (gid 100): a member.
      const member = await Agent.open(socketPath, 4100, 1, 100);
      const reply = await member.request(0, { id: 1, type: 'hello', version: HELPER_PROTOCOL_VERSION, client: 'member' });
      expect(reply).toMatchObject({ ok: true, result: { uid: 4100 } });
      expect(await member.request(0, { id: 2, type: 'list' })).toMatchObject({ ok: true, result: { sessions: [] } });
      await member.close();
      // The member cannot look into session state.
      const peek = spawnSync('ls', [join(runDir, SESSIONS_DIR_NAME)], { uid: 4100, gid: 100, encoding: 'utf8' });
      expect(peek.status).not.toBe(0);
      expect(peek.stderr).toMatch(/Permission denied/);
      // A non-member is refused by the kernel at connect().
      const outsider = await Agent.open(socketPath, 65534, 1, 65534);
      expect(outsider.error(0)).toBe('EACCES');
      await outsider.close();
    } finally {
      await helper.stop();
    }
  }, 30_000);
});

describe('socket activation', () => {
  it('serves the socket systemd passed (path, owner and mode are the unit’s) and leaves it in place when stopping', async () => {
    const work = fresh();
    const socketPath = join(work, 'helper.sock');
    const script = join(work, 'helper.mts');
    writeFileSync(script, [
      `import { startHelper } from ${JSON.stringify(join(import.meta.dirname, '../../electron/helper/main.ts'))};`,
      `const helper = await startHelper({ socketPath: '/nonexistent/unused.sock', group: 'root', runDir: ${JSON.stringify(join(work, 'run'))}, netns: null, standby: false });`,
      `process.once('SIGTERM', () => { void helper.stop().then(() => process.exit(0)); });`,
    ].join('\n'));
    const child = spawn('systemd-socket-activate', ['--listen', socketPath, '--fdname', 'tsunagu-helper.socket', process.execPath, '--import', 'tsx/esm', script], { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 200 && !existsSync(socketPath); i++) await new Promise((r) => setTimeout(r, 20));
      // The first connection starts the helper, which then serves it on the passed descriptor.
      const agent = await Agent.open(socketPath, 0);
      const reply = await agent.request(0, { id: 1, type: 'hello', version: HELPER_PROTOCOL_VERSION, client: 'activated' });
      expect(reply, stderr).toMatchObject({ ok: true, result: { uid: 0 } });
      await agent.close();
      expect(stderr).toContain('listening on the socket systemd passed (tsunagu-helper.socket)');
    } finally {
      child.kill('SIGTERM');
      expect(await exited, stderr).toBe(0);
    }
    expect(existsSync(socketPath)).toBe(true);
  }, 30_000);
});
