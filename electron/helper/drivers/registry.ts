/**
 * The helper's drivers, one registration per kind: how to run a session of that kind, how to give
 * its tool a head start, and how crash cleanup reads and acts on the residue record such a session
 * leaves (residue.json in its work directory). sessions.ts, standby.ts, cleanup.ts and main.ts look
 * kinds up here; adding a kind is its folder under drivers/ and one line in ResidueRecords and
 * DRIVERS.
 */
import { basename } from 'node:path';
import type { z } from 'zod';
import type { ProfileKind } from '../../../shared/profiles/kinds.js';
import type { HelperLog } from '../log.js';
import type { Driver, DriverContext, Prelauncher } from './driver.js';
import { ikev2Driver } from './ikev2/index.js';
import type { Ikev2Residue } from './ikev2/residue.js';
import { openVpnDriver } from './openvpn/index.js';
import type { OpenVpnResidue } from './openvpn/residue.js';
import { wireGuardDriver } from './wireguard/index.js';
import type { WireGuardResidue } from './wireguard/residue.js';

/** Each kind's residue record: ResidueRecord's fields plus what its teardown needs. */
export interface ResidueRecords {
  openvpn: OpenVpnResidue;
  wireguard: WireGuardResidue;
  ikev2: Ikev2Residue;
}

export type ResidueOf<K extends ProfileKind> = ResidueRecords[K];

export interface DriverRegistration<K extends ProfileKind> {
  kind: K;
  create(context: DriverContext<K>): Driver;
  /** Launches the tool ahead of the inspection (and for standbys); kinds without it start their tool in start(). */
  prelaunch?: Prelauncher;
  /** zod schema of this kind's residue record (written in the session dir, read by crash cleanup). */
  residueSchema: z.ZodType<ResidueOf<K>>;
  /**
   * Further checks of a record that passed the schema, against the session directory `dir` it was
   * read from (every name must be one the helper derives for that session). Returns the record to
   * clean up (possibly with names replaced by the helper's own) or why it is refused.
   */
  verifyResidue?(residue: ResidueOf<K>, dir: string): { residue: ResidueOf<K> } | { problem: string };
  /**
   * Stops and removes what a crashed helper's session of this kind left (never runs the profile).
   * Rejects listing what stayed.
   */
  cleanup(residue: ResidueOf<K>, log: HelperLog, dir: string): Promise<void>;
}

export const DRIVERS: { [K in ProfileKind]: DriverRegistration<K> } = {
  openvpn: openVpnDriver,
  wireguard: wireGuardDriver,
  ikev2: ikev2Driver,
};

/** The cleanup a residue record (already parsed JSON) read from session directory `dir` asks for, or why it is refused. */
export type ResiduePlan = { kind: ProfileKind; run: (log: HelperLog) => Promise<void> } | { problem: string };

function planFor<K extends ProfileKind>(registration: DriverRegistration<K>, dir: string, raw: unknown): ResiduePlan {
  const parsed = registration.residueSchema.safeParse(raw);
  if (!parsed.success) {
    return { problem: `not a residue record of kind ${registration.kind} (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})` };
  }
  // The directory's name is the session id: a record naming another session is not this one's.
  if (parsed.data.sessionId !== basename(dir)) return { problem: 'the record names another session' };
  const verified = registration.verifyResidue ? registration.verifyResidue(parsed.data, dir) : { residue: parsed.data };
  if ('problem' in verified) return verified;
  return { kind: registration.kind, run: (log) => registration.cleanup(verified.residue, log, dir) };
}

export function isDriverKind(kind: unknown): kind is ProfileKind {
  return typeof kind === 'string' && Object.hasOwn(DRIVERS, kind);
}

export function planResidueCleanup(dir: string, raw: unknown): ResiduePlan {
  const kind = typeof raw === 'object' && raw !== null && 'kind' in raw ? raw.kind : undefined;
  if (!isDriverKind(kind)) return { problem: 'the record is of no known kind' };
  return planFor(DRIVERS[kind], dir, raw);
}

/** The prelaunchers of the kinds that have one (SessionManager and StandbyPool options). */
export function registeredPrelaunchers(): Partial<Record<ProfileKind, Prelauncher>> {
  const out: Partial<Record<ProfileKind, Prelauncher>> = {};
  for (const registration of Object.values(DRIVERS)) if (registration.prelaunch) out[registration.kind] = registration.prelaunch;
  return out;
}
