#!/usr/bin/env node
// postinstall: builds the helper's small native addon (Unix-socket peer credentials, Linux only).
// Elsewhere there is no helper to run, so nothing is built and the install goes on.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.platform !== 'linux') {
  console.log('tsunagu: the privileged helper is Linux-only; skipping its native addon.');
  process.exit(0);
}
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'electron', 'helper', 'native');
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
const result = spawnSync(cmd, [...args, 'rebuild', '--directory', dir, '--loglevel', 'warn'], { stdio: 'inherit' });
if (result.status !== 0) {
  console.error('tsunagu: building the helper addon failed; install a C compiler (build-essential) and Node headers, then run "npm rebuild".');
  process.exit(result.status ?? 1);
}
