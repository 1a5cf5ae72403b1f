/**
 * The packaged shape of the app: the real Electron binary with out/main/main.js (Playwright's
 * _electron). Runs only where the binary was fetched (`npm start` or `npm run electron:install`);
 * elsewhere the tests are skipped with that reason.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron } from 'playwright';
import { describe, expect, it } from 'vitest';
import { bundleApp } from '../../build/bundle.js';
import { ROOT } from './harness.js';

function electronBinary(): string | null {
  const pathFile = join(ROOT, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(ROOT, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

const binary = electronBinary();

describe('the Electron app', () => {
  if (!binary) {
    it.skip('needs the Electron binary, which is absent here (npm start or npm run electron:install fetches it)', () => undefined);
    return;
  }

  it('opens its window with the profiles page and no helper', async () => {
    await bundleApp();
    const userData = mkdtempSync(join(tmpdir(), 'tsunagu-electron-'));
    const app = await electron.launch({
      executablePath: binary,
      args: [join(ROOT, 'out/main/main.js'), `--user-data-dir=${userData}`, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
      env: { ...process.env, TSUNAGU_SOCKET: join(userData, 'no-helper.sock') },
    });
    try {
      const page = await app.firstWindow();
      await page.getByRole('navigation').waitFor({ timeout: 30_000 });
      // The preload, not the bridge's shim, provides the API.
      expect(await page.evaluate(() => typeof window.tsunagu.profilesList)).toBe('function');
      await page.getByText('The Tsunagu service is not available').waitFor({ timeout: 30_000 });
    } finally {
      await app.close();
      rmSync(userData, { recursive: true, force: true });
    }
  }, 120_000);
});
