// The WireGuard driver's public surface (see driver.ts for how a tunnel is run) and its registration for drivers/registry.ts.
import type { DriverRegistration } from '../registry.js';
import { createWireGuardDriver } from './driver.js';
import { cleanupWireGuardResidue, verifyWireGuardResidue, WireGuardResidueSchema } from './residue.js';

export { createWireGuardDriver, DEFAULT_WIREGUARD_TIMINGS, type WireGuardTimings } from './driver.js';
export { cleanupWireGuardResidue, type WireGuardResidue } from './residue.js';
export { dumpCounters, latestPeer, parseWgDump, type WgDump, type WgDumpInterface, type WgDumpPeer } from './dump.js';
export { interfaceNameFor } from './names.js';

export const wireGuardDriver: DriverRegistration<'wireguard'> = {
  kind: 'wireguard',
  create: (context) => createWireGuardDriver(context),
  residueSchema: WireGuardResidueSchema,
  verifyResidue: verifyWireGuardResidue,
  // wg-quick has no waiting mode to launch ahead; cleanup runs the helper's own commands only.
  cleanup: (residue) => cleanupWireGuardResidue(residue),
};
