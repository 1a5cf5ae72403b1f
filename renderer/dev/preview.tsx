/**
 * Dev preview: the real UI against a fake API (see fake-api.ts for the URL parameters), plus
 * page=logs|settings and select=<profile id>. It also measures how long the profile list takes
 * from the list reply to the first painted frame, and writes it to <html data-list-render-ms>.
 */
import { start } from '../src/start.js';
import { useProfiles, useUi } from '../src/state/store.js';
import { createFakeApi, readOptions } from './fake-api.js';

const params = new URLSearchParams(location.search);
const api = createFakeApi(readOptions(params));
const root = document.getElementById('root');

function measureListRender(): void {
  const unsubscribe = useProfiles.subscribe((s) => {
    if (s.status !== 'ready') return;
    unsubscribe();
    const delivered = performance.getEntriesByName('fake:profiles-delivered')[0]?.startTime ?? 0;
    const painted = (): void => {
      if (!document.querySelector('[role="option"]')) {
        requestAnimationFrame(painted);
        return;
      }
      // The frame after the one that contains the rows: they have been painted by now.
      requestAnimationFrame(() => {
        document.documentElement.dataset.listRenderMs = (performance.now() - delivered).toFixed(1);
      });
    };
    requestAnimationFrame(painted);
  });
}

if (root) {
  measureListRender();
  await start(api, root);
  const page = params.get('page');
  if (page === 'logs' || page === 'settings') useUi.setState({ page });
  const select = params.get('select');
  if (select) useUi.setState({ selectedId: select });
}
