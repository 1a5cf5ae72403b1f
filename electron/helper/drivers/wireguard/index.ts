// The WireGuard driver's public surface (see driver.ts for how a tunnel is run).
export { createWireGuardDriver, DEFAULT_WIREGUARD_TIMINGS, type WireGuardTimings } from './driver.js';
export { cleanupWireGuardResidue, type WireGuardResidue } from './residue.js';
export { dumpCounters, latestPeer, parseWgDump, type WgDump, type WgDumpInterface, type WgDumpPeer } from './dump.js';
export { interfaceNameFor } from './names.js';
