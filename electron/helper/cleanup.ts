/**
 * Start-up cleanup: a helper that crashed (or was killed) may have left tunnels behind. Each
 * session recorded what it put on the system in <runDir>/sessions/<id>/residue.json; a new helper
 * removes all of it before accepting clients, so it never reports or keeps anything stale.
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Residue } from './drivers/driver.js';
import { cleanupOpenVpnResidue } from './drivers/openvpn/index.js';
import { cleanupWireGuardResidue } from './drivers/wireguard/index.js';
import type { HelperLog } from './log.js';

function readResidue(path: string): Residue | null {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<Residue>;
    if ((value.kind === 'openvpn' || value.kind === 'wireguard') && typeof value.sessionId === 'string' && Array.isArray(value.pids)) {
      return {
        kind: value.kind,
        sessionId: value.sessionId,
        pids: value.pids.filter((p): p is number => Number.isInteger(p) && p > 1),
        interfaceName: typeof value.interfaceName === 'string' ? value.interfaceName : null,
        dnsRecords: Array.isArray(value.dnsRecords) ? value.dnsRecords.filter((r): r is string => typeof r === 'string') : [],
        configPath: typeof value.configPath === 'string' ? value.configPath : null,
      };
    }
  } catch {
    // No record, or a torn one: the directory is removed below all the same.
  }
  return null;
}

/** Removes everything earlier helpers left under `runDir`. Returns the session ids cleaned. */
export async function cleanupPredecessor(runDir: string, log: HelperLog): Promise<string[]> {
  const sessionsDir = join(runDir, 'sessions');
  let ids: string[];
  try {
    ids = readdirSync(sessionsDir);
  } catch {
    return [];
  }
  for (const id of ids) {
    const dir = join(sessionsDir, id);
    const residue = readResidue(join(dir, 'residue.json'));
    if (residue) {
      try {
        await (residue.kind === 'openvpn' ? cleanupOpenVpnResidue(residue) : cleanupWireGuardResidue(residue));
        log.add('warn', `removed what session ${id} (${residue.kind}) left behind after the previous helper stopped`, id);
      } catch (e) {
        log.add('error', `could not fully clean up session ${id}: ${(e as Error).message}`, id);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return ids;
}
