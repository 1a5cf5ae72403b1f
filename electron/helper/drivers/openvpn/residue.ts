/**
 * The residue record: what a running OpenVPN session leaves on the system (its openvpn pids, the
 * tun/tap device, DNS records), kept current in <workDir>/residue.json so that a helper restarted
 * after a crash can remove it with cleanupOpenVpnResidue.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { removeDns } from '../../dns.js';
import { isAlive, waitForExit } from '../../exec.js';
import type { Residue } from '../driver.js';
import { managementSocketPath } from './process.js';

export const RESIDUE_FILE = 'residue.json';

/**
 * Keeps <workDir>/residue.json current without blocking the helper: a replacing rename can make
 * the file system flush (ext4 does, on purpose), which would otherwise stall every session's
 * events while a tunnel comes up. Writes run in the background, one at a time, and only the newest
 * record waiting is written; flush() waits until what was saved is on disk.
 */
export class ResidueWriter {
  private next: Residue | null = null;
  private writing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly workDir: string,
    private readonly onError: (message: string) => void,
  ) {}

  save(residue: Residue): void {
    if (this.closed) return;
    this.next = residue;
    this.writing ??= this.drain();
  }

  flush(): Promise<void> {
    return this.writing ?? Promise.resolve();
  }

  /** Writes what was saved, then ignores later saves (the session is being removed). */
  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }

  private async drain(): Promise<void> {
    const path = join(this.workDir, RESIDUE_FILE);
    const tmp = `${path}.tmp`;
    for (let r = this.next; r !== null; r = this.next) {
      this.next = null;
      try {
        await writeFile(tmp, `${JSON.stringify(r)}\n`, { mode: 0o600 });
        // rename is atomic: a crash never leaves half a record.
        await rename(tmp, path);
      } catch (e) {
        this.onError((e as Error).message);
      }
    }
    this.writing = null;
  }
}

export function readCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return [];
  }
}

/**
 * The pid is still one of this session's openvpn processes (pids get reused): its command line
 * names the session's config file (restarts) or the session's management socket (every process;
 * the first one reads its config from stdin).
 */
export function isOurOpenVpn(pid: number, configPath: string): boolean {
  const argv = readCmdline(pid);
  const after = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const ours = after('--config') === configPath || after('--management') === managementSocketPath(dirname(configPath));
  return ours && argv.some((a) => a === 'openvpn' || a.endsWith('/openvpn'));
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
