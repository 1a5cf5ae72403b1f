/**
 * The OpenVPN driver's public surface: the driver factory for the session manager and the crash
 * cleanup for a residue record left by a previous helper.
 */
import type { Driver, DriverContext } from '../driver.js';
import { OpenVpnDriver } from './driver.js';

export { cleanupOpenVpnResidue } from './residue.js';

export function createOpenVpnDriver(context: DriverContext): Driver {
  return new OpenVpnDriver(context);
}
