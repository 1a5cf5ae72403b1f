// Public surface of the test lab (see cli.ts for the command line).
export {
  assertRoot,
  down,
  downAll,
  fault,
  FAULTS,
  get,
  isFaultKind,
  list,
  reapOrphans,
  scenarios,
  serverRunning,
  teardownSync,
  up,
  type FaultKind,
  type SweepReport,
  type UpOptions,
} from './lab.js';
export { checkCompanions, companionInfo, validCompanions } from './companions.js';
export {
  familyOf,
  isScenarioName,
  publicInfo,
  SCENARIO_NAMES,
  type CompanionInfo,
  type Family,
  type LabCompanion,
  type LabCredentials,
  type LabInfo,
  type LabInstance,
  type ScenarioName,
  type UserPass,
} from './state.js';
export { ADDR, LAB_PREFIX, labRoot } from './names.js';
export {
  dropIke,
  IKE_COMPANIONS,
  IKE_CONNECTION,
  IKE_PROFILE_FILE,
  REFUSED_PROPOSALS,
  restoreIke,
  SERVER_PROPOSALS,
  type IkeAuth,
  type IkeLabProfile,
} from './ikev2.js';
export { CHALLENGE_PROMPT, LEGACY_DATA_CIPHERS_FIX, LEGACY_TLS_CIPHERS } from './openvpn.js';
export * from './clients.js';
export { diffHost, leftovers, snapshotHost, type HostSnapshot } from './host.js';
export { formatTimings, measureTimings, type Timing } from './timings.js';
export { isAlive, run, runSync, type RunResult } from './exec.js';
