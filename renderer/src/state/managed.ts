/**
 * The administrator's policy and provisioned profiles, as main reports them from the helper, and
 * what they lock in the UI (locked controls are greyed out with "Managed by your organization").
 * Components select single booleans from locksOf: a selector returning a new object would make
 * zustand re-render without end.
 */
import type { AppEvent, ManagedState, ProfileSummary } from '../../../shared/ipc/app-api.js';
import { locksFor, type Locks } from '../../../shared/policy/locks.js';

export type ManagedStore = { readonly managed: ManagedState | null };

export const initialManaged: ManagedStore = { managed: null };

/** Nothing is locked until main has said what the policy is (main and the helper refuse regardless). */
export const NO_LOCKS: Locks = Object.freeze({ personalProfiles: false, savePassword: false, disconnect: false, startAtLogin: false });

export function reduceManaged(state: ManagedStore, event: AppEvent): ManagedStore {
  return event.type === 'managed' ? { managed: event.managed } : state;
}

export function managedLoaded(_state: ManagedStore, managed: ManagedState): ManagedStore {
  return { managed };
}

export function locksOf(state: ManagedStore): Locks {
  return state.managed ? locksFor(state.managed.policy, state.managed.uid) : NO_LOCKS;
}

/** What the details pane offers for a profile: a provisioned one is read-only, a personal one follows the lock. */
export function profileActions(profile: Pick<ProfileSummary, 'provisioned'>, personalProfilesLocked: boolean): { rename: boolean; delete: boolean; export: boolean } {
  const personal = profile.provisioned !== true;
  return { rename: personal && !personalProfilesLocked, delete: personal && !personalProfilesLocked, export: personal };
}
