/** Saved profiles as the list shows them. */
import type { AppError, AppEvent, ProfileSummary } from '../../../shared/ipc/app-api.js';

export type ProfilesState = {
  readonly status: 'loading' | 'ready' | 'failed';
  readonly list: readonly ProfileSummary[];
  readonly error: AppError | null;
  /** Bumped on every profiles-changed event: open details reload when it moves. */
  readonly revision: number;
};

export const initialProfiles: ProfilesState = { status: 'loading', list: [], error: null, revision: 0 };

export function reduceProfiles(state: ProfilesState, event: AppEvent): ProfilesState {
  return event.type === 'profiles-changed' ? { ...state, revision: state.revision + 1 } : state;
}

export function profilesLoaded(state: ProfilesState, list: readonly ProfileSummary[]): ProfilesState {
  return { ...state, status: 'ready', list, error: null };
}

export function profilesFailed(state: ProfilesState, error: AppError): ProfilesState {
  // A failed refresh keeps the list we have; only a first load shows the failure instead of a list.
  return { ...state, status: state.status === 'ready' ? 'ready' : 'failed', error };
}

/** Profiles matching a search (name, server, kind id such as "openvpn", or layer; every word must match), sorted by name. */
export function filterProfiles(list: readonly ProfileSummary[], query: string, collator: Intl.Collator): ProfileSummary[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = words.length === 0
    ? list.slice()
    : list.filter((p) => {
        const haystack = `${p.name}\n${p.server}\n${p.kind}\n${p.layer}`.toLowerCase();
        return words.every((w) => haystack.includes(w));
      });
  return matches.sort((a, b) => collator.compare(a.name, b.name) || a.id.localeCompare(b.id));
}
