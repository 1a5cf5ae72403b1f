// The e2e tests run the helper as it ships (the bundled CLI) and the renderer as it ships (Vite build).
import { bundleCli } from '../../build/bundle.js';
import { buildRenderer } from '../../electron/dev-bridge/index.js';
import { CHROMIUM, hasChromium, isRoot, RENDERER_DIR } from './harness.js';

export default async function setup(): Promise<void> {
  if (!isRoot) throw new Error('The e2e tests start VPN servers and the helper: run them as root (CI does).');
  if (!hasChromium) throw new Error(`The e2e tests need Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set TSUNAGU_CHROMIUM.`);
  await bundleCli();
  await buildRenderer(RENDERER_DIR);
}
