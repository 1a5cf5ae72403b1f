/** Boots the UI against a TsunaguApi: the preload's in the app, a fake one in the dev preview. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { TsunaguApi } from '../../shared/ipc/app-api.js';
import { setApi } from './api.js';
import { App } from './components/App.js';
import { applyLanguage, browserLanguage, initI18n } from './i18n.js';
import { loadStartupState } from './state/actions.js';
import { connectEvents } from './state/events.js';
import { effectiveLanguage } from './state/settings.js';
import { useSettings } from './state/store.js';
import './styles/base.css';
import './styles/layout.css';
import './styles/components.css';

export async function start(api: TsunaguApi, root: HTMLElement): Promise<void> {
  setApi(api);
  // A file dropped outside a drop target would make Chromium open it: never navigate on a drop.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
  // Subscribe before the first fetch, so no event falls between a reply and the subscription.
  connectEvents(api);
  await loadStartupState();
  const fallback = browserLanguage();
  await initI18n(effectiveLanguage(useSettings.getState(), fallback));
  useSettings.subscribe((s) => applyLanguage(effectiveLanguage(s, fallback)));
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
