import type { InstanceNames } from './names.js';
import type { LabCredentials, ScenarioName, ServerState } from './state.js';

export interface BuildContext {
  id: string;
  scenario: ScenarioName;
  names: InstanceNames;
  /** The instance's state directory (profiles, keys, configs, logs). */
  dir: string;
}

export interface BuildResult {
  profile: string;
  extraFiles: string[];
  credentials: LabCredentials;
  tunnelPeerIp: string;
  server: ServerState;
}
