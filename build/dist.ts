/**
 * `npm run dist`: everything an administrator installs on Linux, into dist/: the helper's .deb and
 * .rpm (package-linux.ts, offline), then the app's deb, rpm and tar.gz (electron-builder, which
 * depend on tsunagu-helper). electron-builder downloads Electron and its packaging tools (fpm)
 * from GitHub; where it cannot, distApp says so in one sentence (DOWNLOADS_UNAVAILABLE) and the
 * helper packages are still there.
 */
import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleApp } from './bundle.js';
import { packageLinux } from './package-linux.js';

const root = join(import.meta.dirname, '..');

export const DOWNLOADS_UNAVAILABLE =
  "The app's deb, rpm and tar.gz were not built: electron-builder could not download Electron and its packaging tools from GitHub here; run npm run dist on a machine that can reach github.com.";

/** Node's and got's words for a download that could not happen (DNS, refused, timed out, TLS). */
const DOWNLOAD_FAILURE = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|CERT_|UNABLE_TO_GET_ISSUER_CERT)\w*/;

export interface DistResult {
  built: boolean;
  /** One sentence when the downloads were unavailable; electron-builder's output on other failures. */
  message: string;
}

/** Where electron-builder downloads Electron and fpm from. */
const DOWNLOAD_HOST = 'github.com';

async function resolvable(host: string): Promise<boolean> {
  try {
    await lookup(host);
    return true;
  } catch {
    return false;
  }
}

export async function distApp(): Promise<DistResult> {
  // Without a name for the download host electron-builder would bundle, package and then spend
  // ~45 s in its download retries before failing the same way: say so at once instead.
  if (!(await resolvable(DOWNLOAD_HOST))) return { built: false, message: DOWNLOADS_UNAVAILABLE };
  await bundleApp();
  const r = spawnSync(join(root, 'node_modules/.bin/electron-builder'), ['--linux', '-c', 'build/electron-builder.yml', '--publish', 'never'], { cwd: root, encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  if (r.status === 0) return { built: true, message: output };
  return { built: false, message: DOWNLOAD_FAILURE.test(output) ? DOWNLOADS_UNAVAILABLE : output };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const helper = await packageLinux();
  console.log(`Built ${helper.deb} and ${helper.rpm}.`);
  const app = await distApp();
  if (app.built) console.log("Built the app's packages in dist/.");
  else {
    console.error(app.message);
    process.exitCode = 1;
  }
}
