/**
 * The OpenVPN driver's public surface: the driver factory for the session manager and the crash
 * cleanup for a residue record left by a previous helper.
 */
import type { Driver, DriverContext, Prelaunched } from '../driver.js';
import { OpenVpnDriver } from './driver.js';
import { OpenVpnProcess } from './process.js';

export { cleanupOpenVpnResidue } from './residue.js';

export function createOpenVpnDriver(context: DriverContext): Driver {
  return new OpenVpnDriver(context);
}

/** Launches openvpn ahead of the inspection, reading its config from stdin (process.ts). */
export function prelaunchOpenVpn(target: { workDir: string; netns: string | null }): Prelaunched | null {
  const launched = OpenVpnProcess.launch({ ...target, configPath: null });
  return typeof launched === 'string' ? null : launched;
}
