/** What the window shows: the page, the selected profile, pending import reviews, announcements. */
import type { AppError, AppEvent, ImportPreview, ProfileSummary } from '../../../shared/ipc/app-api.js';

export type Page = 'profiles' | 'logs' | 'settings';

export type UiState = {
  readonly page: Page;
  readonly selectedId: string | null;
  readonly search: string;
  readonly importOpen: boolean;
  /** Imports waiting for review, the first one is on screen. */
  readonly reviews: readonly ImportPreview[];
  /** An import that could not even be read (dropped file, or one main opened): shown as a banner. */
  readonly importFailure: { readonly source: string; readonly error: AppError } | null;
  /** Text for the screen-reader live region; seq changes even when the text repeats. */
  readonly announcement: { readonly text: string; readonly seq: number };
};

export const initialUi: UiState = {
  page: 'profiles',
  selectedId: null,
  search: '',
  importOpen: false,
  reviews: [],
  importFailure: null,
  announcement: { text: '', seq: 0 },
};

export function reduceUi(state: UiState, event: AppEvent): UiState {
  switch (event.type) {
    case 'import-review':
      return enqueueReview(state, event.preview);
    case 'import-failed':
      return importFailed(state, { source: event.source, error: event.error });
    default:
      return state;
  }
}

export function importFailed(state: UiState, failure: UiState['importFailure']): UiState {
  return failure === null && state.importFailure === null ? state : { ...state, importFailure: failure };
}

export function enqueueReview(state: UiState, preview: ImportPreview): UiState {
  if (state.reviews.some((r) => r.importId === preview.importId)) return state;
  return { ...state, reviews: [...state.reviews, preview], importOpen: false };
}

export function reviewClosed(state: UiState, importId: string): UiState {
  return { ...state, reviews: state.reviews.filter((r) => r.importId !== importId) };
}

/** After the list changes: keep the selection if it still exists, otherwise pick the first profile. */
export function selectionAfterList(state: UiState, list: readonly ProfileSummary[]): UiState {
  if (state.selectedId !== null && list.some((p) => p.id === state.selectedId)) return state;
  const first = list[0]?.id ?? null;
  return first === state.selectedId ? state : { ...state, selectedId: first };
}

export function announced(state: UiState, text: string): UiState {
  return { ...state, announcement: { text, seq: state.announcement.seq + 1 } };
}
