/**
 * The residue record: what a running OpenVPN session leaves on the system (its openvpn pids, the
 * tun/tap device, DNS records), kept current in <workDir>/residue.json so that a helper restarted
 * after a crash can remove it with cleanupOpenVpnResidue.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDns } from '../../dns.js';
import { isAlive, waitForExit } from '../../exec.js';
import type { Residue } from '../driver.js';

export const RESIDUE_FILE = 'residue.json';

export function writeResidue(workDir: string, residue: Residue): void {
  const path = join(workDir, RESIDUE_FILE);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(residue)}\n`, { mode: 0o600 });
  // rename is atomic: a crash never leaves half a record.
  renameSync(tmp, path);
}

export function readCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return [];
  }
}

/** The pid is still one of our openvpn processes (pids get reused). */
export function isOurOpenVpn(pid: number, configPath: string): boolean {
  const argv = readCmdline(pid);
  const i = argv.indexOf('--config');
  return i >= 0 && argv[i + 1] === configPath && argv.some((a) => a === 'openvpn' || a.endsWith('/openvpn'));
}

async function killOpenVpn(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await waitForExit(pid, 3_000)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitForExit(pid, 2_000);
}

/**
 * Kills leftover openvpn processes of a session (only those whose command line still names the
 * session's config: pids get reused) and removes its DNS records. The tun/tap device goes away
 * with its process. Never throws for one failed item: it tries them all, then reports.
 */
export async function cleanupOpenVpnResidue(residue: Residue): Promise<void> {
  const problems: string[] = [];
  const configPath = residue.configPath;
  for (const pid of residue.pids) {
    if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid)) continue;
    if (configPath === null || !isOurOpenVpn(pid, configPath)) continue;
    await killOpenVpn(pid);
    if (isAlive(pid)) problems.push(`openvpn pid ${pid} did not exit`);
  }
  for (const record of residue.dnsRecords) {
    try {
      await removeDns({ netns: null, record });
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length > 0) throw new Error(`OpenVPN cleanup incomplete: ${problems.join('; ')}`);
}
