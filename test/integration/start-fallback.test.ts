/**
 * `npm start` where the Electron binary cannot be had (ELECTRON_OVERRIDE_DIST_PATH names a folder
 * without one, so no download is tried either): the browser fallback starts the real app services
 * on a fresh data folder and a real helper's socket, prints the bridge URL with its token, and the
 * production renderer loads from it in Chromium and lists a profile the services imported. SIGINT
 * stops it: exit 0 and nothing left of its process group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright';
import { afterEach, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, ROOT } from '../e2e/harness.js';
import { startHelperProcess } from './helper-harness.js';

const URL_LINE = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}/;

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('npm start without the Electron binary', () => {
  it('is what npm start runs', () => {
    const pkg: unknown = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ scripts: { start: 'node scripts/start.js' } });
  });

  it('serves the app through the token-protected bridge, then stops cleanly on SIGINT', async () => {
    const work = mkdtempSync(join(tmpdir(), 'tsunagu-start-'));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    const dataDir = join(work, 'data');
    const noElectron = join(work, 'no-electron');
    // Without a helper the app shows its "service not available" page instead of the profiles.
    const helper = await startHelperProcess(null);
    cleanups.push(async () => void (await helper.stop()));

    const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'scripts', 'start.js'), `--user-data-dir=${dataDir}`], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: noElectron, DISPLAY: '', WAYLAND_DISPLAY: '', TSUNAGU_SOCKET: helper.socketPath, LANG: 'C.UTF-8' },
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error('npm start did not start');
    cleanups.push(() => {
      if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

    const url = await until(() => URL_LINE.exec(output)?.[0], `the bridge URL in:\n${output}`, 110_000);
    expect(output).toContain('BROWSER FALLBACK');
    expect(output).toContain('Electron');
    const { origin } = new URL(url);
    const token = new URL(url).searchParams.get('token') ?? '';

    // The token is the key: without it the bridge serves nothing.
    expect((await fetch(`${origin}/`)).status).toBe(403);

    // The real services behind it: a profile imported through the bridge lands in the data folder.
    const invoke = async (channel: string, request: unknown) => {
      const response = await fetch(`${origin}/bridge/invoke`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tsunagu-token': token }, body: JSON.stringify({ channel, request }) });
      expect(response.status).toBe(200);
      const reply: unknown = await response.json();
      return reply;
    };
    const text = readFileSync(join(ROOT, 'test', 'fixtures', 'seed', 'wg-client.conf'), 'utf8');
    const prepared = await invoke('profiles:prepare-import', { source: { kind: 'text', text, fileName: 'wg-client.conf' } });
    expect(prepared).toMatchObject({ ok: true, value: { importId: expect.any(String) } });
    const importId = typeof prepared === 'object' && prepared !== null && 'value' in prepared && typeof prepared.value === 'object' && prepared.value !== null && 'importId' in prepared.value ? prepared.value.importId : null;
    expect(await invoke('profiles:commit-import', { importId, names: ['Fallback WireGuard'] })).toMatchObject({ ok: true, value: { ids: [expect.any(String)] } });
    expect(readdirSync(join(dataDir, 'profiles')).length).toBeGreaterThan(0);

    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page.setDefaultTimeout(30_000);
    await page.goto(url);
    // The token moved into a cookie and left the address bar.
    expect(page.url()).toBe(`${origin}/`);
    await page.getByRole('navigation').waitFor();
    await page.getByRole('listbox').getByRole('option', { name: /Fallback WireGuard/ }).waitFor();
    await browser.close();

    expect(groupAlive(pid)).toBe(true);
    process.kill(pid, 'SIGINT');
    expect(await exited).toEqual({ code: 0, signal: null });
    // esbuild's service process ends when its parent's pipe closes: give it a moment.
    await until(() => (groupAlive(pid) ? undefined : true), 'the process group to be gone', 5000);
  });
});
