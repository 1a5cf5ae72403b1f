/** User settings and what main tells us about the platform. */
import type { AppEvent, AppReply, Settings } from '../../../shared/ipc/app-api.js';
import type { UiLanguage } from '../../../shared/i18n/catalog.js';

export type AppInfo = AppReply<'app:info'>;

export type SettingsState = { readonly settings: Settings | null; readonly info: AppInfo | null };

export const initialSettings: SettingsState = { settings: null, info: null };

export function reduceSettings(state: SettingsState, event: AppEvent): SettingsState {
  return event.type === 'settings-changed' ? { ...state, settings: event.settings } : state;
}

/** The language to show: the setting, or the system's when the setting says so (or is unknown yet). */
export function effectiveLanguage(state: SettingsState, fallback: UiLanguage): UiLanguage {
  const chosen = state.settings?.language ?? 'system';
  if (chosen !== 'system') return chosen;
  return state.info?.systemLanguage ?? fallback;
}

/** Whether a "remember" choice can be honoured: only with a real OS keychain. */
export function canRememberSecrets(state: SettingsState): boolean {
  return state.info?.keychain === 'real';
}
