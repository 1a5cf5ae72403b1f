/**
 * `npm start` without the Electron binary (scripts/start.js runs this when it cannot be had): the
 * same app services the Electron main process runs (electron/main/services, on the installed
 * app's data folder and the same helper socket), with the production renderer served by the dev bridge on 127.0.0.1
 * (random port, token) instead of a window. The page opens in the desktop's browser when there is
 * a display; the URL with its token is printed either way. Ctrl-C (SIGINT) or SIGTERM ends this
 * user's tunnels (within 5 s), closes the bridge and exits 0.
 *
 * What differs from Electron is the bridge's (services.ts, shim.ts): passwords are never saved,
 * a file chosen in the browser is imported by its text, and there is no tray or notifications.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pickLanguage } from '../cli/lang.js';
import { DEFAULT_SOCKET } from '../helper/defaults.js';
import { buildRenderer, createBridgeServices, rendererIsCurrent, ROOT, startBridge } from './index.js';

/** The production renderer, where `npm run build` puts it for Electron. */
const RENDERER_DIR = join(ROOT, 'out', 'renderer');

/** The packaged app's userData (Electron: appData/productName), or Electron's --user-data-dir=. */
function dataDir(argv: readonly string[]): string {
  const given = argv.find((a) => a.startsWith('--user-data-dir='))?.slice('--user-data-dir='.length);
  if (given) return given;
  const config = process.env['XDG_CONFIG_HOME'] || join(homedir(), '.config');
  return join(config, 'Tsunagu');
}

function onPath(command: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, command)));
}

/** xdg-open where a desktop session is; detached, so closing the browser is not our concern. */
function openInBrowser(url: string): boolean {
  const display = process.env['DISPLAY'] || process.env['WAYLAND_DISPLAY'];
  if (!display || process.platform !== 'linux' || !onPath('xdg-open')) return false;
  const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
  return true;
}

export async function runBrowserFallback(argv: readonly string[], reason: string): Promise<void> {
  const pkg: unknown = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const version = typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  if (!rendererIsCurrent(RENDERER_DIR)) {
    console.log('Tsunagu: building the renderer (out/renderer)…');
    await buildRenderer(RENDERER_DIR);
  }
  const services = await createBridgeServices({
    dataDir: dataDir(argv),
    socketPath: process.env['TSUNAGU_SOCKET'] ?? DEFAULT_SOCKET,
    systemLanguage: pickLanguage(process.env),
    version,
  });
  void services.start();
  const bridge = await startBridge({ rendererDir: RENDERER_DIR, handlers: services.handlers, events: services.events });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nTsunagu: stopping the browser fallback…');
    await Promise.race([services.connections.disconnectAll(), new Promise((resolve) => setTimeout(resolve, 5000))]);
    await bridge.close();
    services.stop();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop());

  const opened = openInBrowser(bridge.url);
  console.log(
    [
      `Tsunagu is running as the BROWSER FALLBACK: ${reason}`,
      'The same app services run here; instead of the app window, the UI is this page (only this machine can open it, and only with the token):',
      `  ${bridge.url}`,
      opened ? 'It has been opened in your browser.' : 'Open it in a browser on this machine.',
      'In this mode passwords are never saved, files are imported by their text, and there is no tray icon. Ctrl-C stops it.',
    ].join('\n'),
  );
}
