/**
 * What the operating system asks the app to open at launch or in a second instance: profile files
 * (every ending in the kind registry, shared/profiles/kinds.ts, and .zip) and tsunagu:// links,
 * picked out of a command line. Windows and Linux
 * deliver both through argv; macOS through open-file / open-url events (handled by the shell).
 */
import { isAbsolute, resolve } from 'node:path';
import { isProfileBundleName, isProfileFileName } from '../../../shared/profiles/kinds.js';

export type LaunchRequest = { kind: 'file'; path: string } | { kind: 'link'; url: string };

/**
 * `argv` as Electron gives it; `skip` is how many leading entries are the executable (1) and, when
 * run unpackaged (`electron main.js`), the script (2). Switches (`--hidden`, Chromium's) are ignored.
 */
export function launchRequests(argv: readonly string[], options: { cwd: string; skip: number }): LaunchRequest[] {
  const requests: LaunchRequest[] = [];
  for (const arg of argv.slice(options.skip)) {
    if (arg.startsWith('-')) continue;
    if (/^tsunagu:/i.test(arg)) requests.push({ kind: 'link', url: arg });
    else if (isProfileFileName(arg) || isProfileBundleName(arg)) requests.push({ kind: 'file', path: isAbsolute(arg) ? arg : resolve(options.cwd, arg) });
  }
  return requests;
}

/** The app was started by the login item: stay in the tray. */
export function startHidden(argv: readonly string[]): boolean {
  return argv.includes('--hidden');
}
