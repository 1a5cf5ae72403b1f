/** Everything that calls main and then updates a store. Components call these; reducers stay pure. */
import type { AppError, AppResult, ImportSource, Settings } from '../../../shared/ipc/app-api.js';
import type { Credentials } from '../../../shared/ipc/helper-protocol.js';
import { request } from '../api.js';
import { i18next } from '../i18n.js';
import { connectionsLoaded, signInDropped, signInSent } from './connections.js';
import { firewallLoaded } from './firewall.js';
import { logsLoaded } from './logs.js';
import { managedLoaded } from './managed.js';
import { filterProfiles, profilesFailed, profilesLoaded } from './profiles.js';
import { useConnections, useFirewall, useHelper, useLogs, useManaged, useProfiles, useSettings, useUi } from './store.js';
import { isActive } from './tunnel-view.js';
import { announced, enqueueReview, importFailed, reviewClosed, selectionAfterList, type Page } from './ui.js';

type Done = { ok: true } | { ok: false; error: AppError };

function done<T>(result: AppResult<T>): Done {
  return result.ok ? { ok: true } : { ok: false, error: result.error };
}

/** App info and settings first: the language has to be known before the first screen is drawn. */
export async function loadStartupState(): Promise<void> {
  const [info, settings] = await Promise.all([request((a) => a.appInfo({})), request((a) => a.settingsGet({}))]);
  useSettings.setState({ info: info.ok ? info.value : null, settings: settings.ok ? settings.value : null });
  void refreshProfiles();
  void refreshConnections();
  void refreshManaged();
  void refreshFirewall();
}

export async function refreshFirewall(): Promise<void> {
  const result = await request((a) => a.firewallGet({}));
  if (result.ok) useFirewall.setState((s) => firewallLoaded(s, result.value.firewall));
}

/** Always-on on or off; main answers with the firewall as the helper now has it. */
export async function setLockdown(enabled: boolean): Promise<Done> {
  const result = await request((a) => a.firewallSetLockdown({ enabled }));
  if (result.ok) useFirewall.setState((s) => firewallLoaded(s, result.value));
  return done(result);
}

/** "Disconnect" on "Blocked — the VPN is down": main ends the holding session or lifts the block. */
export async function liftBlock(): Promise<Done> {
  return done(await request((a) => a.firewallLiftBlock({})));
}

export async function refreshManaged(): Promise<void> {
  const result = await request((a) => a.managedGet({}));
  if (result.ok) useManaged.setState((s) => managedLoaded(s, result.value));
}

export async function refreshProfiles(): Promise<void> {
  const result = await request((a) => a.profilesList({}));
  if (!result.ok) {
    useProfiles.setState((s) => profilesFailed(s, result.error));
    return;
  }
  useProfiles.setState((s) => profilesLoaded(s, result.value.profiles));
  const sorted = filterProfiles(result.value.profiles, '', new Intl.Collator(i18next.language, { numeric: true }));
  useUi.setState((s) => selectionAfterList(s, sorted));
}

export async function refreshConnections(): Promise<void> {
  const result = await request((a) => a.connectionsList({}));
  if (!result.ok) return;
  useConnections.setState((s) => connectionsLoaded(s, result.value.connections));
  useHelper.setState({ status: result.value.helper });
}

export async function loadLogs(lines = 2000): Promise<Done> {
  const since = useLogs.getState().nextSeq;
  const result = await request((a) => a.logRecent({ lines }));
  if (result.ok) useLogs.setState((s) => logsLoaded(s, result.value.lines, since));
  return done(result);
}

export async function connect(id: string): Promise<Done> {
  return done(await request((a) => a.connectionsConnect({ id })));
}

export async function disconnect(id: string): Promise<Done> {
  return done(await request((a) => a.connectionsDisconnect({ id })));
}

export async function sendCredentials(id: string, credentials: Credentials, remember: boolean): Promise<Done> {
  // Kept until the server answers: a refused password is asked again with the username filled in.
  if (credentials.kind === 'userpass' || (credentials.kind === 'challenge' && credentials.password !== '')) {
    const { username } = credentials;
    useConnections.setState((s) => signInSent(s, id, username));
  } else if (credentials.kind === 'cancel') {
    useConnections.setState((s) => signInDropped(s, id));
  }
  return done(await request((a) => a.connectionsCredentials({ id, credentials, remember })));
}

/**
 * "Disconnect it and connect": ends the tunnel that already routes the network, waits until it is
 * down (the helper frees its routes then), and connects `id`.
 */
export async function disconnectThenConnect(otherId: string, id: string, timeoutMs = 30_000): Promise<Done> {
  const stopped = await disconnect(otherId);
  if (!stopped.ok) return stopped;
  const down = await new Promise<boolean>((resolve) => {
    const isDown = (s: ReturnType<typeof useConnections.getState>) => !isActive(s.byProfile[otherId]?.state);
    if (isDown(useConnections.getState())) return resolve(true);
    const timer = setTimeout(() => {
      off();
      resolve(false);
    }, timeoutMs);
    const off = useConnections.subscribe((s) => {
      if (!isDown(s)) return;
      clearTimeout(timer);
      off();
      resolve(true);
    });
  });
  if (!down) return { ok: false, error: { code: 'disconnect-timeout', message: { en: i18next.t('conflict.stillUp', { lng: 'en' }), ja: i18next.t('conflict.stillUp', { lng: 'ja' }) } } };
  return connect(id);
}

/** Asks main to read and check a profile; on success its review opens. */
export async function prepareImport(source: ImportSource): Promise<Done> {
  const result = await request((a) => a.profilesPrepareImport({ source }));
  if (result.ok) useUi.setState((s) => enqueueReview(s, result.value));
  return done(result);
}

/** Imports dropped files one after the other; the first failure is shown and stops the rest. */
export async function importDropped(sources: readonly ImportSource[], labels: readonly string[]): Promise<void> {
  useUi.setState((s) => importFailed(s, null));
  for (const [i, source] of sources.entries()) {
    const result = await prepareImport(source);
    if (!result.ok) {
      useUi.setState((s) => importFailed(s, { source: labels[i] ?? '', error: result.error }));
      return;
    }
  }
}

export function dismissImportFailure(): void {
  useUi.setState((s) => importFailed(s, null));
}

export async function commitImport(importId: string, names: string[] | undefined): Promise<Done> {
  const result = await request((a) => a.profilesCommitImport(names ? { importId, names } : { importId }));
  if (!result.ok) return done(result);
  useUi.setState((s) => reviewClosed(s, importId));
  await refreshProfiles();
  const first = result.value.ids[0];
  if (first) useUi.setState((s) => ({ ...s, page: 'profiles', selectedId: first, search: '' }));
  announce(i18next.t('import.saved', { count: result.value.ids.length }));
  return { ok: true };
}

export async function cancelImport(importId: string): Promise<void> {
  useUi.setState((s) => reviewClosed(s, importId));
  // Nothing was saved; if main already forgot this import there is nothing to undo either.
  await request((a) => a.profilesCancelImport({ importId }));
}

export async function renameProfile(id: string, name: string): Promise<Done> {
  const result = await request((a) => a.profilesRename({ id, name }));
  if (result.ok) {
    await refreshProfiles();
    announce(i18next.t('details.renamed', { name }));
  }
  return done(result);
}

export async function deleteProfile(id: string, name: string): Promise<Done> {
  const result = await request((a) => a.profilesDelete({ id }));
  if (result.ok) {
    useUi.setState((s) => (s.selectedId === id ? { ...s, selectedId: null } : s));
    await refreshProfiles();
    announce(i18next.t('details.deleted', { name }));
  }
  return done(result);
}

/** Main asks where to save (its save dialog); the reply's path is null when the user cancelled. */
export async function exportProfile(id: string): Promise<AppResult<{ path: string | null }>> {
  return request((a) => a.profilesExport({ id }));
}

export async function exportLogs(): Promise<AppResult<{ path: string | null }>> {
  return request((a) => a.logExport({}));
}

export async function changeSettings(patch: Partial<Settings>): Promise<Done> {
  const result = await request((a) => a.settingsSet(patch));
  if (result.ok) useSettings.setState({ settings: result.value });
  return done(result);
}

export function announce(text: string): void {
  useUi.setState((s) => announced(s, text));
}

export function showPage(page: Page): void {
  useUi.setState({ page });
}

export function selectProfile(id: string): void {
  useUi.setState({ selectedId: id });
}

export function setImportOpen(importOpen: boolean): void {
  useUi.setState({ importOpen });
}
