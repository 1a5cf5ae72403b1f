/**
 * The OpenVPN driver's public surface: its registration (driver factory, prelauncher, residue
 * record and crash cleanup) for drivers/registry.ts.
 */
import type { Driver, DriverContext, Prelaunched } from '../driver.js';
import type { DriverRegistration } from '../registry.js';
import { OpenVpnDriver } from './driver.js';
import { OpenVpnProcess } from './process.js';
import { cleanupOpenVpnResidue, OpenVpnResidueSchema, verifyOpenVpnResidue } from './residue.js';

export { cleanupOpenVpnResidue } from './residue.js';

export function createOpenVpnDriver(context: DriverContext<'openvpn'>): Driver {
  return new OpenVpnDriver(context);
}

/** Launches openvpn ahead of the inspection, reading its config from stdin (process.ts). */
export function prelaunchOpenVpn(target: { workDir: string; netns: string | null }): Prelaunched | null {
  const launched = OpenVpnProcess.launch({ ...target, configPath: null });
  return typeof launched === 'string' ? null : launched;
}

export const openVpnDriver: DriverRegistration<'openvpn'> = {
  kind: 'openvpn',
  create: createOpenVpnDriver,
  prelaunch: prelaunchOpenVpn,
  residueSchema: OpenVpnResidueSchema,
  verifyResidue: verifyOpenVpnResidue,
  cleanup: (residue, _log, dir) => cleanupOpenVpnResidue(dir, residue),
};
