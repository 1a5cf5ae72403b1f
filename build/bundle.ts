/**
 * Builds what `npm start` and electron-builder run: the main process (ESM) and the preload (CJS,
 * as sandboxed preloads require) with esbuild, and the renderer with Vite, into out/.
 */
import { join } from 'node:path';
import { build as esbuild } from 'esbuild';
import { build as vite } from 'vite';

const root = join(import.meta.dirname, '..');

await esbuild({
  entryPoints: [join(root, 'electron/main/main.ts')],
  outfile: join(root, 'out/main/main.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  external: ['electron'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
await esbuild({
  entryPoints: [join(root, 'electron/preload/preload.ts')],
  outfile: join(root, 'out/preload/preload.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  external: ['electron'],
  logLevel: 'warning',
});
await vite({ configFile: join(root, 'renderer/vite.config.ts'), logLevel: 'warn' });
console.log('Built out/main, out/preload and out/renderer.');
