import { useEffect, useRef, useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { dragHasFiles, importSourcesForFiles, sourceLabel } from '../drop.js';
import { dismissImportFailure, importDropped, setImportOpen, showPage } from '../state/actions.js';
import { pendingPrompt } from '../state/connections.js';
import { locksOf } from '../state/managed.js';
import { useConnections, useHelper, useManaged, useUi } from '../state/store.js';
import type { Page } from '../state/ui.js';
import { Announcer } from './Announcer.js';
import { CredentialsDialog } from './CredentialsDialog.js';
import { ErrorNote } from './ErrorNote.js';
import { HelperUnavailable } from './HelperUnavailable.js';
import { ImportDialog } from './ImportDialog.js';
import { ImportReview } from './ImportReview.js';
import { FirewallBanner } from './LeakProtection.js';
import { LogPage } from './LogPage.js';
import { ProfilesPage } from './ProfilesPage.js';
import { SettingsPage } from './SettingsPage.js';
import { StateIcon } from './StateIcon.js';

const PAGES: readonly Page[] = ['profiles', 'logs', 'settings'];

export function App() {
  const { t } = useTranslation();
  const page = useUi((s) => s.page);
  const helper = useHelper((s) => s.status);
  const { dragging, handlers } = useFileDrop();
  const importFailure = useUi((s) => s.importFailure);
  const importLocked = useManaged((s) => locksOf(s).personalProfiles);
  useFindShortcut();

  return (
    <div className="app" {...handlers}>
      <header className="app-header">
        <span className="brand">{t('app.name')}</span>
        <nav aria-label={t('nav.label')}>
          <ul>
            {PAGES.map((p) => (
              <li key={p}>
                <button type="button" className="nav-button" aria-current={page === p ? 'page' : undefined} onClick={() => showPage(p)}>
                  {t(`nav.${p}`)}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="button primary" disabled={importLocked} title={importLocked ? t('common.managed') : undefined} onClick={() => setImportOpen(true)}>{t('import.open')}</button>
      </header>
      {helper.status === 'connecting' && (
        <p className="banner">
          <StateIcon tone="busy" />
          {t('helper.connecting')}
        </p>
      )}
      <FirewallBanner />
      {importFailure && (
        <div className="banner error">
          <ErrorNote error={importFailure.error} title={importFailure.source ? t('import.failedNamed', { source: importFailure.source }) : t('import.failedTitle')} />
          <button type="button" className="button" onClick={dismissImportFailure}>{t('common.dismiss')}</button>
        </div>
      )}
      <main className="app-main">
        {page === 'profiles' && (helper.status === 'unavailable' ? <HelperUnavailable helper={helper} /> : <ProfilesPage />)}
        {page === 'logs' && <LogPage />}
        {page === 'settings' && <SettingsPage />}
      </main>
      <ModalLayer />
      <Announcer />
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <p>{t('import.dropHere')}</p>
        </div>
      )}
    </div>
  );
}

/** One modal at a time, most urgent first: a sign-in the tunnel waits for, then import reviews, then the import chooser. */
function ModalLayer() {
  const waiting = useConnections(pendingPrompt);
  const review = useUi((s) => s.reviews[0]);
  const importOpen = useUi((s) => s.importOpen);
  if (waiting?.prompt) {
    return <CredentialsDialog key={`${waiting.profileId}-${waiting.sessionId}-${JSON.stringify(waiting.prompt)}`} connection={waiting} prompt={waiting.prompt} />;
  }
  if (review) return <ImportReview key={review.importId} preview={review} />;
  if (importOpen) return <ImportDialog />;
  return null;
}

/** Files dropped anywhere on the window are imported (the browser must not open them). */
function useFileDrop() {
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);

  function over(event: DragEvent<HTMLDivElement>): void {
    event.preventDefault();
    if (dragHasFiles(Array.from(event.dataTransfer.types))) event.dataTransfer.dropEffect = 'copy';
  }

  async function drop(event: DragEvent<HTMLDivElement>): Promise<void> {
    event.preventDefault();
    depth.current = 0;
    setDragging(false);
    const sources = await importSourcesForFiles(Array.from(event.dataTransfer.files));
    await importDropped(sources, sources.map(sourceLabel));
  }

  return {
    dragging,
    handlers: {
      onDragEnter: (event: DragEvent<HTMLDivElement>) => {
        if (!dragHasFiles(Array.from(event.dataTransfer.types))) return;
        depth.current += 1;
        setDragging(true);
      },
      onDragLeave: () => {
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setDragging(false);
      },
      onDragOver: over,
      onDrop: (event: DragEvent<HTMLDivElement>) => void drop(event),
    },
  };
}

/** Ctrl+F / ⌘F jumps to the search box of the page on screen. */
function useFindShortcut(): void {
  useEffect(() => {
    function onKey(event: KeyboardEvent): void {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'f') {
        const search = document.querySelector<HTMLInputElement>('.app-main input[type="search"]');
        if (search) {
          event.preventDefault();
          search.focus();
          search.select();
        }
      }
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
