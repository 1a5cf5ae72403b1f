#!/usr/bin/env node
// `npm start`: make sure the Electron binary is present (fetching it on first run where the
// network allows), build the app, and launch it.
//
// `npm install` deliberately skips Electron's own download (package.json "allowScripts") so that
// installs succeed on machines that cannot reach Electron's download host; this is where the
// binary is obtained instead. Where it cannot be had, the same app services start with the
// production renderer in a browser instead (electron/dev-bridge/browser-fallback.ts), and the
// output says so.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const electronDir = join(root, 'node_modules', 'electron');
const electronVersion = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version;

function electronBinary() {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const relative = readFileSync(pathFile, 'utf8').trim();
  const base = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(electronDir, 'dist');
  const binary = join(base, relative);
  return existsSync(binary) ? binary : null;
}

function obtainElectron() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return;
  console.log(`Tsunagu: fetching the Electron ${electronVersion} binary (first run only)…`);
  const result = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 5 * 60_000,
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' },
  });
  return result.status === 0;
}

let binary = electronBinary();
if (!binary) {
  obtainElectron();
  binary = electronBinary();
}
if (!binary) {
  // No Electron here: the same app services, with the UI in a browser through the dev bridge.
  const { register } = await import('tsx/esm/api');
  register();
  const { runBrowserFallback } = await import('../electron/dev-bridge/browser-fallback.ts');
  await runBrowserFallback(
    process.argv.slice(2),
    `the Electron ${electronVersion} binary is missing and could not be downloaded from Electron's release host ` +
      '("npm run electron:install" fetches it where the network allows, or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron ' +
      `${electronVersion} folder; "npm start" then opens the app window).`,
  );
} else {
  startElectron(binary);
}

function startElectron(binary) {
  const build = spawnSync(process.execPath, [require.resolve('tsx/cli'), join(root, 'build', 'bundle.ts')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);

  const app = spawn(binary, [join(root, 'out', 'main', 'main.js'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  app.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 0));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => app.kill(sig));
}
