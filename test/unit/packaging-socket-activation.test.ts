/**
 * Socket activation (electron/helper/socket-activation.ts): the LISTEN_* variables as sd_listen_fds
 * reads them, and a real descriptor passed by `systemd-socket-activate` served by a Node process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LISTEN_FDS_START, parseSocketActivation, takeSocketActivation } from '../../electron/helper/socket-activation.js';

const ROOT = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'tsunagu-activation-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('parseSocketActivation', () => {
  it('takes one descriptor meant for this process, with its name', () => {
    expect(parseSocketActivation({ LISTEN_PID: '42', LISTEN_FDS: '1', LISTEN_FDNAMES: 'tsunagu-helper.socket' }, 42)).toEqual({ kind: 'passed', fd: LISTEN_FDS_START, name: 'tsunagu-helper.socket' });
    expect(parseSocketActivation({ LISTEN_PID: '42', LISTEN_FDS: '1' }, 42)).toEqual({ kind: 'passed', fd: 3, name: null });
  });

  it('ignores variables absent, for another process, or announcing no descriptor', () => {
    expect(parseSocketActivation({}, 42)).toEqual({ kind: 'none' });
    expect(parseSocketActivation({ LISTEN_PID: '41', LISTEN_FDS: '1' }, 42)).toEqual({ kind: 'none' });
    expect(parseSocketActivation({ LISTEN_PID: '42', LISTEN_FDS: '0' }, 42)).toEqual({ kind: 'none' });
  });

  it('refuses malformed variables and more than one socket, with a code and both languages', () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ LISTEN_FDS: '1' }, 'socket-activation-pid', /LISTEN_PID/],
      [{ LISTEN_PID: 'x', LISTEN_FDS: '1' }, 'socket-activation-pid', /"x"/],
      [{ LISTEN_PID: '42', LISTEN_FDS: 'one' }, 'socket-activation-count', /"one"/],
      [{ LISTEN_PID: '42' }, 'socket-activation-count', /null/],
      [{ LISTEN_PID: '42', LISTEN_FDS: '2' }, 'socket-activation-count', /passed 2 sockets/],
    ];
    for (const [env, code, en] of cases) {
      const result = parseSocketActivation(env, 42);
      if (result.kind !== 'invalid') throw new Error(`${JSON.stringify(env)} was accepted`);
      expect(result.failure.code).toBe(code);
      expect(result.failure.userMessage.en).toMatch(en);
      expect(result.failure.userMessage.ja).toMatch(/LISTEN_|ソケット/);
    }
  });

  it('clears the variables so the programs the helper starts do not inherit them', () => {
    const env: Record<string, string | undefined> = { LISTEN_PID: '7', LISTEN_FDS: '1', LISTEN_FDNAMES: 'x', PATH: '/usr/bin' };
    expect(takeSocketActivation(env, 7)).toEqual({ kind: 'passed', fd: 3, name: 'x' });
    expect(env).toEqual({ PATH: '/usr/bin' });
  });
});

describe('listenOnDescriptor', () => {
  it('serves the socket systemd-socket-activate bound, with the variables cleared', async () => {
    const socketPath = join(work, 'helper.sock');
    const script = join(work, 'serve.mts');
    writeFileSync(
      script,
      [
        `import { createServer } from 'node:net';`,
        `import { listenOnDescriptor, takeSocketActivation } from ${JSON.stringify(join(ROOT, 'electron/helper/socket-activation.ts'))};`,
        `const activation = takeSocketActivation();`,
        `if (activation.kind !== 'passed') throw new Error(JSON.stringify(activation));`,
        `const server = createServer((s) => { s.end(JSON.stringify({ name: activation.name, left: Object.keys(process.env).filter((k) => k.startsWith('LISTEN_')) })); server.close(); });`,
        `await listenOnDescriptor(server, activation.fd);`,
      ].join('\n'),
    );
    const child = spawn('systemd-socket-activate', ['--listen', socketPath, '--fdname', 'tsunagu-helper.socket', process.execPath, '--import', 'tsx/esm', script], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // systemd-socket-activate binds first and starts the program at the first connection.
      for (let i = 0; i < 100; i++) {
        try {
          statSync(socketPath);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = createConnection(socketPath);
        let text = '';
        socket.setEncoding('utf8').on('data', (d: string) => { text += d; });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(JSON.parse(reply)).toEqual({ name: 'tsunagu-helper.socket', left: [] });
      expect(await exited, stderr).toBe(0);
    } finally {
      child.kill();
    }
  }, 30_000);
});
