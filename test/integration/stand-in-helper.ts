/**
 * A stand-in helper in its own process, so that a test can kill it hard (SIGKILL) the way a crash
 * would: it runs one real driver for one session in <runDir>/sessions/<sessionId>, and resolves
 * once that driver reports connected. Crash-cleanup tests then start a helper's clean-up on the
 * same run directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..', '..');

const DRIVERS = {
  openvpn: { module: 'electron/helper/drivers/openvpn/index.js', factory: 'createOpenVpnDriver', fileName: 'lab.ovpn' },
  wireguard: { module: 'electron/helper/drivers/wireguard/index.js', factory: 'createWireGuardDriver', fileName: 'lab.conf' },
} as const;

export interface StandInHelper {
  helper: ChildProcess;
  runDir: string;
  sessionDir: string;
  dispose(): void;
}

export async function standInHelper(kind: keyof typeof DRIVERS, sessionId: string, profile: string, netns: string): Promise<StandInHelper> {
  const driver = DRIVERS[kind];
  const runDir = mkdtempSync(join(tmpdir(), `tsu-${kind}-crash-`));
  const script = join(runDir, 'helper.mts');
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';
import { ${driver.factory} } from ${JSON.stringify(join(repo, driver.module))};
import { inspectProfile } from ${JSON.stringify(join(repo, 'shared/profiles/inspect.js'))};
const [profile, netns, workDir] = process.argv.slice(2);
const inspection = inspectProfile(readFileSync(profile, 'utf8'), { fileName: ${JSON.stringify(driver.fileName)} });
const d = ${driver.factory}({ sessionId: ${JSON.stringify(sessionId)}, workDir, inspection, connectTimeoutMs: 20000, netns, guardRoutes: false,
  events: { state: (s) => console.log(JSON.stringify(s)), counters: () => {}, credentialsRequired: () => {}, log: () => {}, routesKnown: () => true } });
await d.start();
setInterval(() => {}, 1000);
`,
  );
  const sessionDir = join(runDir, 'sessions', sessionId);
  mkdirSync(sessionDir, { recursive: true });
  const helper = spawn(process.execPath, ['--import', 'tsx', script, profile, netns, sessionDir], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  const dispose = () => {
    if (helper.exitCode === null && helper.signalCode === null) helper.kill('SIGKILL');
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`stand-in helper did not connect: ${out}`)), 20_000);
      helper.stdout?.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('"status":"connected"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (e) {
    dispose();
    throw e;
  }
  return { helper, runDir, sessionDir, dispose };
}
