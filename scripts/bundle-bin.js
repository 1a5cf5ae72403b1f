#!/usr/bin/env node
// postinstall, after the native addon: bundles the CLI for the `tsunagu` bin into out/bin
// (build/bundle.ts bundleBin), so `npx tsunagu` starts without compiling TypeScript. An install
// without devDependencies has no esbuild: then the bin runs the sources through tsx, as it does
// whenever out/bin is missing or older than its sources.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

try {
  require.resolve('esbuild');
} catch {
  console.log('tsunagu: esbuild is not installed (no devDependencies); the tsunagu command will run from the TypeScript sources.');
  process.exit(0);
}
const { register } = await import('tsx/esm/api');
register();
try {
  const { bundleBin } = await import(pathToFileURL(join(root, 'build', 'bundle.ts')).href);
  await bundleBin();
} catch (e) {
  // A checkout that does not build now still installs; the bin then runs the sources (and says
  // nothing), so the install is not the place to fail. `npm run build` shows the same error.
  console.warn(`tsunagu: bundling the CLI failed, so the tsunagu command will run from the TypeScript sources: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
}
