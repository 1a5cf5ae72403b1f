#!/usr/bin/env node
// The `tsunagu` command (package.json "bin", what `npx tsunagu` runs). It runs the bundled CLI in
// out/bin/ (built by `npm install` and `npm run build`), which starts about as fast as Node itself.
// In a checkout whose sources changed since that build, or where it was never built, it runs the
// same main() from the TypeScript sources through tsx instead (slower to start, always current).
//
// "Current" is decided from out/bin/inputs.json: every file the bundle was built from, with the
// mtime and size it had then; one stat per file, a few milliseconds in all.
import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';

const root = new URL('../../', import.meta.url);
const bundle = new URL('out/bin/', root);

function bundleIsCurrent() {
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(new URL('inputs.json', bundle), 'utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(inputs?.files)) return false;
  for (const [path, mtimeMs, size] of inputs.files) {
    const st = statSync(new URL(path, root), { throwIfNoEntry: false });
    if (!st || st.mtimeMs !== mtimeMs || st.size !== size) return false;
  }
  return true;
}

// Node 22+ keeps compiled code between runs (a no-op where the API does not exist).
module.enableCompileCache?.();

if (bundleIsCurrent()) {
  // entry.ts runs main() and sets process.exitCode.
  await import(new URL('tsunagu.mjs', bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('./main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
