// The e2e tests run the helper as it ships (the bundled CLI) and the renderer as it ships (Vite build).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundleCli } from '../../build/bundle.js';
import { buildRenderer } from '../../electron/dev-bridge/index.js';
import { CHROMIUM, isRoot, RENDERER_DIR, ROOT } from './harness.js';

export default async function setup(): Promise<void> {
  if (!isRoot) throw new Error('The e2e tests start VPN servers and the helper: run them as root (CI does).');
  // Chromium, its fonts and the VPN tools come from the system set-up (npm test runs it as its
  // pretest; a direct `vitest run --project e2e` gets the same here, fast when all is installed).
  const system = spawnSync(process.execPath, [join(ROOT, 'scripts', 'system-setup.js')], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (system.status !== 0) throw new Error(system.stderr.trim() || `scripts/system-setup.js failed (${system.error?.message ?? `exit ${system.status ?? system.signal}`})`);
  // Checked after the set-up, which installs it where it is missing.
  if (!existsSync(CHROMIUM)) throw new Error(`The e2e tests need Chromium at ${CHROMIUM}; the system set-up installs Debian's chromium there (TSUNAGU_CHROMIUM names another).`);
  await bundleCli();
  await buildRenderer(RENDERER_DIR);
}
