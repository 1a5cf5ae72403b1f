/**
 * Builds what runs outside development, into out/:
 *   out/cli/tsunagu.mjs   the CLI, including the privileged helper (`tsunagu helper`), as one
 *                         plain-Node file (no TypeScript loader: less memory, faster start),
 *                         with the helper's native addon and its inspection worker
 *                         (inspection-worker.mjs) beside it;
 *   out/bin/              the same CLI for the `tsunagu` bin (electron/cli/bin.js), split so a
 *                         command loads only what it uses (the helper stack is its own chunk) and
 *                         minified; inputs.json lists every source file with its mtime and size
 *                         so bin.js can tell cheaply whether it is current. Built by `npm install`
 *                         (postinstall, scripts/bundle-bin.js) and `npm run build`;
 *   out/main, out/preload the Electron main process (ESM) and preload (CJS, as sandboxed
 *                         preloads require), and out/renderer (Vite).
 * `npm run build` builds everything; tests build only the CLI (see test/integration/global-setup.ts).
 */
import { copyFileSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
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

/** What out/bin/inputs.json holds: every file the bin bundle was built from, relative to the root. */
export interface BinInputs {
  files: Array<[path: string, mtimeMs: number, size: number]>;
}

/**
 * out/bin: the CLI (entry tsunagu.mjs) and the helper's inspection worker as two entry points of
 * one split build, sharing chunks, with the addon beside them (peer.ts and inspector.ts look beside
 * their own chunk). Built in a temporary folder and swapped in whole, so a `tsunagu` starting
 * meanwhile never sees half a bundle and a helper running from the old one keeps its files.
 */
export async function bundleBin(): Promise<string> {
  const out = join(root, 'out/bin');
  const staging = `${out}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  const result = await esbuild({
    absWorkingDir: root,
    entryPoints: { tsunagu: join(root, 'electron/cli/entry.ts'), 'inspection-worker': join(root, 'electron/helper/inspection-worker.ts') },
    outdir: staging,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: requireShim },
    metafile: true,
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'electron/helper/native/build/Release/peercred.node'), join(staging, 'peercred.node'));
  const inputs: BinInputs = {
    files: Object.keys(result.metafile.inputs).map((path) => {
      const st = statSync(join(root, path));
      return [relative(root, join(root, path)), st.mtimeMs, st.size];
    }),
  };
  writeFileSync(join(staging, 'inputs.json'), `${JSON.stringify(inputs)}\n`);
  const old = `${out}.${process.pid}.old`;
  let replaced = false;
  try {
    renameSync(out, old);
    replaced = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  renameSync(staging, out);
  if (replaced) rmSync(old, { recursive: true, force: true });
  return join(out, 'tsunagu.mjs');
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
  await bundleBin();
  await bundleApp();
  console.log('Built out/cli, out/bin, out/main, out/preload and out/renderer.');
}
