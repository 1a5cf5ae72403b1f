/** Feeds main's AppEvents into the stores (through the reducers) and announces state changes. */
import type { AppEvent, TsunaguApi } from '../../../shared/ipc/app-api.js';
import type { LogLine } from '../../../shared/ipc/helper-protocol.js';
import { i18next } from '../i18n.js';
import { announce, connect, refreshConnections, refreshFirewall, refreshProfiles } from './actions.js';
import { reduceConnections, refusedSignIn } from './connections.js';
import { firewallNotice, reduceFirewall } from './firewall.js';
import { reduceHelper } from './helper.js';
import { reduceManaged } from './managed.js';
import { appendLogs } from './logs.js';
import { reduceProfiles } from './profiles.js';
import { reduceSettings } from './settings.js';
import { useConnections, useFirewall, useHelper, useLogs, useManaged, useProfiles, useSettings, useUi } from './store.js';
import { tunnelView } from './tunnel-view.js';
import { reduceUi } from './ui.js';

/** Log lines can arrive by the hundred: render them in batches. */
const LOG_BATCH_MS = 100;
let pendingLogs: LogLine[] = [];
let logTimer: ReturnType<typeof setTimeout> | null = null;

function flushLogs(): void {
  const lines = pendingLogs;
  pendingLogs = [];
  logTimer = null;
  useLogs.setState((s) => appendLogs(s, lines));
}

export function routeEvent(event: AppEvent): void {
  switch (event.type) {
    case 'connection': {
      const id = event.connection.profileId;
      const before = useConnections.getState();
      useConnections.setState((s) => reduceConnections(s, event));
      announceStateChange(before.byProfile[id]?.state.status, event);
      // The server refused the password the user just typed: ask again in place, no Connect needed.
      if (refusedSignIn(before, useConnections.getState(), id)) void connect(id);
      return;
    }
    case 'stats':
      useConnections.setState((s) => reduceConnections(s, event));
      return;
    case 'helper': {
      const wasAvailable = useHelper.getState().status.status === 'available';
      useHelper.setState((s) => reduceHelper(s, event));
      if (!wasAvailable && event.helper.status === 'available') {
        void refreshConnections();
        void refreshFirewall();
      }
      return;
    }
    case 'firewall': {
      const before = firewallNotice(useFirewall.getState().firewall, useConnections.getState().byProfile)?.kind;
      useFirewall.setState((s) => reduceFirewall(s, event));
      const after = firewallNotice(event.firewall, useConnections.getState().byProfile)?.kind;
      // The notice itself is an alert; the live region says when it is over.
      if (before === 'vpn-down' && after === undefined && event.firewall?.mode === 'off') announce(i18next.t('protection.line.direct'));
      return;
    }
    case 'profiles-changed':
      useProfiles.setState((s) => reduceProfiles(s, event));
      void refreshProfiles();
      return;
    case 'settings-changed':
      useSettings.setState((s) => reduceSettings(s, event));
      return;
    case 'managed':
      useManaged.setState((s) => reduceManaged(s, event));
      return;
    case 'log':
      pendingLogs.push(event.line);
      logTimer ??= setTimeout(flushLogs, LOG_BATCH_MS);
      return;
    case 'import-review':
    case 'import-failed':
      useUi.setState((s) => reduceUi(s, event));
      return;
  }
}

function announceStateChange(before: string | undefined, event: Extract<AppEvent, { type: 'connection' }>): void {
  const { state, profileId, prompt } = event.connection;
  if (before === state.status) return;
  const name = useProfiles.getState().list.find((p) => p.id === profileId)?.name ?? '';
  const view = tunnelView(state, prompt !== null);
  const words = i18next.t(view.label, { attempt: view.attempt ?? 1 });
  announce(i18next.t('announce.state', { name, state: state.status === 'error' ? `${words}: ${state.message[i18next.language === 'ja' ? 'ja' : 'en']}` : words }));
}

export function connectEvents(api: TsunaguApi): () => void {
  return api.onEvent(routeEvent);
}
