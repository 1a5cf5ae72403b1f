/**
 * Start-up cleanup: a helper that crashed (or was killed) may have left tunnels behind. Each
 * session recorded what it put on the system in <runDir>/sessions/<id>/residue.json; a new helper
 * removes all of it before accepting clients, so it never reports or keeps anything stale.
 *
 * A record is data, never instructions: each driver kind has one schema (drivers/registry.ts), and a record that does
 * not pass it (or names anything the helper would not have created for that session) is logged
 * and its directory removed with nothing run. Nothing a record names is executed or handed to a
 * tool as a file: the drivers remove interfaces, rules, routes, nft tables and DNS with the
 * helper's own commands on the validated values.
 */
import { lstatSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RESIDUE_FILE } from './drivers/lifecycle.js';
import { planResidueCleanup, type ResiduePlan } from './drivers/registry.js';
import type { HelperLog } from './log.js';

/** A residue file larger than this is not one the helper wrote (the largest: an OpenVPN record of 16,384 routes, ~1.5 MiB). */
const MAX_RECORD_BYTES = 4 * 1024 * 1024;

type Cleanup = ResiduePlan | null;

/** The cleanup a record in session directory `dir` asks for, or why it is refused (null: no record). */
function planCleanup(dir: string): Cleanup {
  const path = join(dir, RESIDUE_FILE);
  let raw: unknown;
  try {
    // Not read at all when too large (or not a regular file).
    const st = lstatSync(path);
    if (!st.isFile() || st.size > MAX_RECORD_BYTES) return { problem: 'the record is not a file of the size the helper writes' };
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    // No record (nothing was started), or a torn one: the directory is removed all the same.
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : { problem: 'the record is not readable JSON' };
  }
  return planResidueCleanup(dir, raw);
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
    const plan = planCleanup(dir);
    if (plan !== null && 'problem' in plan) {
      log.add('error', `ignored the residue record of session ${JSON.stringify(id)}: ${plan.problem}; nothing was run for it`);
    } else if (plan !== null) {
      try {
        await plan.run(log);
        log.add('warn', `removed what session ${id} (${plan.kind}) left behind after the previous helper stopped`, id);
      } catch (e) {
        log.add('error', `could not fully clean up session ${id}: ${(e as Error).message}`, id);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return ids;
}
