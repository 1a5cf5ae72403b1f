/**
 * The app's packages (`npm run dist`'s electron-builder step): built where electron-builder can
 * download Electron and fpm from GitHub, with a dependency on tsunagu-helper; elsewhere (as in
 * this sandbox) one sentence saying so.
 */
import { execFileSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { distApp, DOWNLOADS_UNAVAILABLE } from '../../build/dist.js';
import { DIST } from '../../build/package-linux.js';

async function githubReachable(): Promise<boolean> {
  try {
    await lookup('github.com');
    return true;
  } catch {
    return false;
  }
}

describe('npm run dist (the app)', () => {
  it('builds deb and rpm depending on tsunagu-helper, or says in one sentence why it cannot', async () => {
    const reachable = await githubReachable();
    const result = await distApp();
    if (!reachable) {
      expect(result).toEqual({ built: false, message: DOWNLOADS_UNAVAILABLE });
      expect(DOWNLOADS_UNAVAILABLE.split(/[.;:] (?=[A-Z])/)).toHaveLength(1);
      return;
    }
    expect(result.built, result.message).toBe(true);
    const deb = readdirSync(DIST).find((f) => /^tsunagu_.*_amd64\.deb$/.test(f));
    if (!deb) throw new Error(`no app .deb in ${DIST}`);
    expect(execFileSync('dpkg-deb', ['-f', join(DIST, deb), 'Depends'], { encoding: 'utf8' })).toMatch(/\btsunagu-helper\b/);
    const rpm = readdirSync(DIST).find((f) => /^tsunagu-\d.*\.x86_64\.rpm$/.test(f));
    if (!rpm) throw new Error(`no app .rpm in ${DIST}`);
    expect(execFileSync('rpm', ['-qp', '--requires', join(DIST, rpm)], { encoding: 'utf8' })).toMatch(/^tsunagu-helper$/m);
  }, 300_000);
});
