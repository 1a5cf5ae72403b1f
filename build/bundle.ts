/**
 * Builds what runs outside development, into out/:
 *   out/cli/tsunagu.mjs   the CLI, including the privileged helper (`tsunagu helper`), as one
 *                         plain-Node file (no TypeScript loader: less memory, faster start),
 *                         with the helper's native addon and its inspection worker
 *                         (inspection-worker.mjs) beside it;
 *   out/main, out/preload the Electron main process (ESM) and preload (CJS, as sandboxed
 *                         preloads require), and out/renderer (Vite).
 * `npm run build` builds everything; tests build only the CLI (see test/integration/global-setup.ts).
 */
import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build as esbuild } from 'esbuild';

const root = join(import.meta.dirname, '..');
// Bundled ESM still meets CommonJS dependencies that call require(); give them one.
const requireShim = "import { createRequire as __tsunaguCreateRequire } from 'node:module'; const require = __tsunaguCreateRequire(import.meta.url);";

export async function bundleCli(): Promise<string> {
  const outfile = join(root, 'out/cli/tsunagu.mjs');
  await esbuild({
    entryPoints: [join(root, 'electron/cli/entry.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: `#!/usr/bin/env node\n${requireShim}` },
    logLevel: 'warning',
  });
  // The helper's inspection worker thread (electron/helper/inspector.ts finds it beside the CLI).
  await esbuild({
    entryPoints: [join(root, 'electron/helper/inspection-worker.ts')],
    outfile: join(root, 'out/cli/inspection-worker.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: requireShim },
    logLevel: 'warning',
  });
  mkdirSync(join(root, 'out/cli'), { recursive: true });
  // Copied beside and renamed into place: a helper running from out/cli has the addon mapped, and
  // rewriting that file in place makes it crash (SIGSEGV) the next time it calls into the addon.
  const addon = join(root, 'out/cli/peercred.node');
  copyFileSync(join(root, 'electron/helper/native/build/Release/peercred.node'), `${addon}.${process.pid}.tmp`);
  renameSync(`${addon}.${process.pid}.tmp`, addon);
  return outfile;
}

/**
 * The Electron main process (ESM, Electron external) and the preload (CJS: sandboxed preloads
 * cannot be modules), into `outDir`/main and `outDir`/preload.
 */
export async function bundleElectron(outDir = join(root, 'out')): Promise<void> {
  await esbuild({
    entryPoints: [join(root, 'electron/main/main.ts')],
    outfile: join(outDir, 'main/main.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: ['electron'],
    banner: { js: requireShim },
    logLevel: 'warning',
  });
  await esbuild({
    entryPoints: [join(root, 'electron/preload/preload.ts')],
    outfile: join(outDir, 'preload/preload.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    external: ['electron'],
    logLevel: 'warning',
  });
}

export async function bundleApp(): Promise<void> {
  const { build: vite } = await import('vite');
  await bundleElectron();
  await vite({ configFile: join(root, 'renderer/vite.config.ts'), logLevel: 'warn' });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await bundleCli();
  await bundleApp();
  console.log('Built out/cli, out/main, out/preload and out/renderer.');
}
