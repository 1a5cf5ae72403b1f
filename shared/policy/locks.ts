/**
 * What the policy locks in the app, for a given caller: one pure function used by main (which
 * refuses a locked action) and the renderer (which greys it out and says the organisation manages
 * it). The helper enforces the security-relevant ones again on its side.
 */
import type { LocalizedText } from '../profiles/diagnostics.js';
import type { PolicyValues } from './table.js';

export interface Locks {
  /** Import, rename and delete of personal profiles (AllowUserProfiles=false). */
  personalProfiles: boolean;
  /** Remembering a password (AllowSavePasswords=false). */
  savePassword: boolean;
  /** Disconnecting or quitting (AlwaysOn, unless the caller is root). */
  disconnect: boolean;
  /** The launch-at-login setting (StartAtLogin). */
  startAtLogin: boolean;
}

export function locksFor(policy: PolicyValues, uid: number): Locks {
  return {
    personalProfiles: !policy.AllowUserProfiles,
    savePassword: !policy.AllowSavePasswords,
    disconnect: policy.AlwaysOn && uid !== 0,
    startAtLogin: policy.StartAtLogin,
  };
}

export const MANAGED_TEXT: LocalizedText = { en: 'Managed by your organization', ja: '組織によって管理されています' };
