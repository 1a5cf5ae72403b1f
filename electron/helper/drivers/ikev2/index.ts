/**
 * The IKEv2/IPsec driver's registration (registry.ts): the driver, charon launched ahead of the
 * inspection, and crash cleanup of what a session's charon left (residue.ts).
 */
import { basename } from 'node:path';
import type { Prelaunched } from '../driver.js';
import type { DriverRegistration } from '../registry.js';
import { CharonProcess } from './charon.js';
import { createIkev2Driver } from './driver.js';
import { cleanupIkev2Residue, Ikev2ResidueSchema, parseIkev2Residue } from './residue.js';

export { createIkev2Driver, DEFAULT_IKEV2_TIMINGS, type Ikev2Timings } from './driver.js';
export { cleanupIkev2Residue, type Ikev2Residue } from './residue.js';

/**
 * Starts the session's charon while the profile is inspected: it loads its plugins and opens its
 * VICI socket with the helper's fixed strongswan.conf, and holds no connection or secret until the
 * driver loads them after the profile passed. A refused profile's charon is killed having sent nothing.
 */
export function prelaunchCharon(target: { workDir: string; netns: string | null }): Prelaunched | null {
  const launched = CharonProcess.launch({ ...target, sessionId: basename(target.workDir) });
  return typeof launched === 'string' ? null : launched;
}

export const ikev2Driver: DriverRegistration<'ikev2'> = {
  kind: 'ikev2',
  create: (context) => createIkev2Driver(context),
  prelaunch: prelaunchCharon,
  residueSchema: Ikev2ResidueSchema,
  verifyResidue: (residue, dir) => parseIkev2Residue(dir, residue),
  cleanup: (residue, log) => cleanupIkev2Residue(residue, log),
};
