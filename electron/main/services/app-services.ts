/**
 * Everything the renderer can ask for, as plain-Node services: one async handler per channel of
 * APP_CHANNELS (each returning an AppResult) and one stream of AppEvents. No Electron here: the
 * shell injects dialogs, the keychain and the login item, and a browser test bridge can serve the
 * same object.
 */
import { join } from 'node:path';
import type { AppEvent, AppHandlers, AppResult, ImportPreview, ImportSource, ProfileDetails, ProfileSummary, Settings } from '../../../shared/ipc/app-api.js';
import { mainTexts } from '../../../shared/i18n/main-catalog.js';
import type { LogLine } from '../../../shared/ipc/helper-protocol.js';
import type { MainLanguage } from '../../../shared/i18n/main-catalog.js';
import { profileFileName } from '../../../shared/profiles/kinds.js';
import { writeFileAtomic } from './atomic-file.js';
import { CredentialVault, type SafeStorage } from './credential-vault.js';
import { appError, errorDetail, failed, ok } from './errors.js';
import { EventSource } from './events.js';
import { ConnectionManager, managedError, provisionedProfileId, type ConnectionManagerOptions } from './helper-connection.js';
import { ImportReviews } from './import-reviews.js';
import type { LaunchRequest } from './launch-requests.js';
import { detailsOf, summaryOf } from './profile-record.js';
import { ProfileStore } from './profile-store.js';
import { connectOptionsFrom, SettingsStore } from './settings-store.js';
import type { TrayState } from './tray-model.js';
import { downloadProfile, parseDeepLink, type UrlDownloadOptions } from './url-import.js';
import { createWireGuardProfile } from './wireguard-create.js';

/** Native dialogs, provided by the shell (a test bridge answers with fixed paths). */
export interface Dialogs {
  /** Where to save an export; null when the user cancelled. */
  chooseSavePath(suggestedName: string, purpose: 'profile' | 'log'): Promise<string | null>;
}

export interface AppServicesOptions {
  /** Private folder for profiles, settings, saved credentials (the app's userData). */
  dataDir: string;
  version: string;
  platform: string;
  systemLanguage: MainLanguage;
  safeStorage: SafeStorage;
  dialogs: Dialogs;
  /** Applies launch at login (login item on macOS/Windows, autostart entry on Linux). */
  setLaunchAtLogin(enabled: boolean): Promise<void>;
  helper: Pick<ConnectionManagerOptions, 'socketPath' | 'openLink' | 'backoff'>;
  download?: UrlDownloadOptions;
}

export interface AppServices {
  readonly handlers: AppHandlers;
  readonly events: EventSource<AppEvent>;
  readonly connections: ConnectionManager;
  /** Connects to the helper and, once it answers, the profile chosen to connect at launch. */
  start(): Promise<void>;
  stop(): void;
  settings(): Settings;
  language(): MainLanguage;
  profileName(id: string): string;
  trayState(): TrayState;
  /** A file or link the OS asked the app to open: shown for review, or reported as failed. */
  open(request: LaunchRequest): Promise<void>;
}

function formatLog(lines: LogLine[]): string {
  return lines.map((l) => `${new Date(l.at).toISOString()} ${l.level.padEnd(5)}${l.sessionId ? ` [${l.sessionId}]` : ''} ${l.text}`).join('\n') + '\n';
}

export async function createAppServices(options: AppServicesOptions): Promise<AppServices> {
  const events = new EventSource<AppEvent>();
  const store = new ProfileStore(join(options.dataDir, 'profiles'));
  await store.open();
  const settingsStore = new SettingsStore(options.dataDir);
  await settingsStore.load();
  const vault = new CredentialVault(options.dataDir, options.safeStorage);
  const connections = new ConnectionManager({
    ...options.helper,
    profiles: store,
    vault,
    sessionsFile: join(options.dataDir, 'sessions.json'),
    firewallSettings: () => connectOptionsFrom(settingsStore.get()),
  });
  connections.events.on((event) => {
    events.emit(event);
    // Provisioned profiles are part of the list; StartAtLogin is set for the user.
    if (event.type !== 'managed') return;
    events.emit({ type: 'profiles-changed' });
    if (event.managed.policy.StartAtLogin && !settingsStore.get().launchAtLogin) void enforceLaunchAtLogin();
  });
  const enforceLaunchAtLogin = async () => {
    try {
      await options.setLaunchAtLogin(true);
      const updated = await settingsStore.update({ launchAtLogin: true });
      if (updated.ok) events.emit({ type: 'settings-changed', settings: updated.value });
    } catch {
      // The desktop refused the autostart entry; the setting stays as it was, and locked.
    }
  };
  const imports = new ImportReviews({ store, download: (url) => downloadProfile(url, options.download) });

  // Names for the tray and notifications, refreshed whenever the list changes.
  let profileNames: Array<{ id: string; name: string }> = [];
  const refreshNames = async () => {
    profileNames = (await store.list()).map((r) => ({ id: r.id, name: r.name }));
  };
  await refreshNames();
  /** The provisioned profiles first, as the list shows them. */
  const allNames = () => [...connections.managed().provisioned.map((p) => ({ id: p.profileId, name: p.name })), ...profileNames];
  const profilesChanged = async () => {
    await refreshNames();
    events.emit({ type: 'profiles-changed' });
  };

  const language = (): MainLanguage => {
    const chosen = settingsStore.get().language;
    return chosen === 'system' ? options.systemLanguage : chosen;
  };

  const prepare = (source: ImportSource): Promise<AppResult<ImportPreview>> =>
    connections.locks().personalProfiles ? Promise.resolve(failed(managedError())) : imports.prepare(source, language());

  const provisionedSummaries = (saved: Set<string>): ProfileSummary[] =>
    connections.managed().provisioned.map((p) => ({
      id: p.profileId,
      name: p.name,
      kind: p.kind,
      layer: p.layer,
      server: p.servers[0] ?? '',
      importedAt: 0,
      needsCredentials: false,
      hasSavedCredentials: saved.has(p.profileId),
      advisoryCount: 0,
      provisioned: true,
    }));
  const isProvisioned = (id: string) => connections.managed().provisioned.some((p) => p.profileId === id);
  /** Renaming, deleting, exporting: never a provisioned profile, and no personal one when they are locked. */
  const editable = (id: string) => !isProvisioned(id) && !connections.locks().personalProfiles;

  const handlers: AppHandlers = {
    'app:info': async () => ok({ version: options.version, platform: options.platform, systemLanguage: options.systemLanguage, keychain: vault.keychain() }),

    'profiles:list': async () => {
      const saved = await vault.profilesWithSaved();
      return ok({ profiles: [...provisionedSummaries(saved), ...(await store.list()).map((r) => summaryOf(r, saved.has(r.id)))] });
    },

    'profiles:get': async ({ id }) => {
      const managed = connections.managed().provisioned.find((p) => p.profileId === id);
      if (managed) {
        const summary = provisionedSummaries(await vault.profilesWithSaved()).find((p) => p.id === id);
        if (!summary) return failed(appError('not-found', 'errProfileNotFound'));
        const lang = language();
        const details: ProfileDetails = { ...summary, rows: [[mainTexts('detailServers')[lang], managed.servers.join(', ')]], advisories: [], publicKey: null, maskedConfig: '' };
        return ok(details);
      }
      const record = await store.get(id);
      if (!record.ok) return record;
      const saved = await vault.profilesWithSaved();
      return ok(detailsOf(record.value, saved.has(id), language()));
    },

    'profiles:prepare-import': async ({ source }) => prepare(source),

    'profiles:commit-import': async ({ importId, names }) => {
      if (connections.locks().personalProfiles) return failed(managedError());
      const result = await imports.commit(importId, names);
      await profilesChanged();
      return result;
    },

    'profiles:cancel-import': async ({ importId }) => {
      imports.cancel(importId);
      return ok({ ok: true as const });
    },

    'profiles:rename': async ({ id, name }) => {
      if (!editable(id)) return failed(managedError());
      const renamed = await store.rename(id, name);
      if (!renamed.ok) return renamed;
      await profilesChanged();
      return ok({ ok: true as const });
    },

    'profiles:delete': async ({ id }) => {
      if (!editable(id)) return failed(managedError());
      const record = await store.get(id);
      if (!record.ok) return record;
      if (connections.isActive(id)) return failed(appError('profile-connected', 'errProfileConnected', { name: record.value.name }));
      const removed = await store.remove(id);
      if (!removed.ok) return removed;
      await vault.forget(id);
      connections.forgetProfile(id);
      if (settingsStore.get().connectOnLaunch === id) {
        const updated = await settingsStore.update({ connectOnLaunch: null });
        if (updated.ok) events.emit({ type: 'settings-changed', settings: updated.value });
      }
      await profilesChanged();
      return removed;
    },

    'profiles:new-wireguard': async (request) => {
      if (connections.locks().personalProfiles) return failed(managedError());
      const result = await createWireGuardProfile(store, request);
      if (result.ok && result.value.created) await profilesChanged();
      return result;
    },

    'profiles:export': async ({ id }) => {
      if (isProvisioned(id)) return failed(managedError());
      const record = await store.get(id);
      if (!record.ok) return record;
      const path = await options.dialogs.chooseSavePath(profileFileName(record.value.name, record.value.kind), 'profile');
      if (path === null) return ok({ path: null });
      const written = await store.exportTo(id, path);
      return written.ok ? ok({ path }) : written;
    },

    'managed:get': async () => ok(connections.managed()),
    'connections:list': async () => ok({ connections: connections.connections(), helper: connections.helperStatus() }),
    'connections:connect': async ({ id }) => connections.connect(id),
    'connections:disconnect': async ({ id }) => connections.disconnect(id),
    'connections:credentials': async ({ id, credentials, remember }) => connections.provideCredentials(id, credentials, remember),

    'settings:get': async () => ok(settingsStore.get()),

    'settings:set': async (changes) => {
      const before = settingsStore.get();
      if (changes.connectOnLaunch) {
        const exists = await store.get(changes.connectOnLaunch);
        if (!exists.ok) return failed(appError('connect-on-launch-unknown', 'errConnectOnLaunchUnknown'));
      }
      if (changes.launchAtLogin === false && connections.locks().startAtLogin) return failed(managedError());
      if (changes.launchAtLogin !== undefined && changes.launchAtLogin !== before.launchAtLogin) {
        try {
          await options.setLaunchAtLogin(changes.launchAtLogin);
        } catch (e) {
          return failed(appError('launch-at-login-failed', 'errLaunchAtLogin', {}, errorDetail(e)));
        }
      }
      const updated = await settingsStore.update(changes);
      if (!updated.ok) return updated;
      events.emit({ type: 'settings-changed', settings: updated.value });
      // Always-on keeps the LAN as the user has it now.
      if (changes.allowLan !== undefined && changes.allowLan !== before.allowLan && connections.firewall()?.lockdown.enabled === true) {
        const relocked = await connections.setLockdown(true);
        if (!relocked.ok) return relocked;
      }
      return updated;
    },

    'log:recent': async ({ profileId, lines }) => connections.recentLog(profileId, lines ?? 500),

    'log:export': async ({ profileId }) => {
      const log = await connections.recentLog(profileId, 5000);
      if (!log.ok) return log;
      const path = await options.dialogs.chooseSavePath('tsunagu-log.txt', 'log');
      if (path === null) return ok({ path: null });
      try {
        await writeFileAtomic(path, formatLog(log.value.lines), { mode: 0o600 });
      } catch (e) {
        return failed(appError('export-failed', 'errExportFailed', {}, errorDetail(e)));
      }
      return ok({ path });
    },

    'firewall:get': async () => ok({ firewall: connections.firewall() }),
    'firewall:set-lockdown': async ({ enabled }) => connections.setLockdown(enabled),
    'firewall:lift-block': async () => connections.liftBlock(),
  };

  let launchConnectDone = false;
  connections.helperChanges.on(({ next }) => {
    if (next.status !== 'available' || launchConnectDone) return;
    launchConnectDone = true;
    // The administrator's AutoConnectProfile comes before the user's choice.
    const managedAuto = connections.managed().policy.AutoConnectProfile;
    if (managedAuto) {
      const autoId = provisionedProfileId(managedAuto);
      // Only a profile the helper provisioned (the personal store never holds one).
      if (isProvisioned(autoId)) void connections.connect(autoId);
      else console.warn(`tsunagu: AutoConnectProfile "${managedAuto}" names no provisioned profile; nothing connected at start`);
      return;
    }
    const id = settingsStore.get().connectOnLaunch;
    if (id && profileNames.some((p) => p.id === id)) void connections.connect(id);
  });

  const open = async (request: LaunchRequest): Promise<void> => {
    let prepared: AppResult<ImportPreview>;
    let label: string;
    if (request.kind === 'file') {
      label = request.path;
      prepared = await prepare({ kind: 'path', path: request.path });
    } else {
      label = request.url;
      const target = parseDeepLink(request.url);
      prepared = target.ok ? await prepare({ kind: 'url', url: target.value.href }) : target;
    }
    if (prepared.ok) events.emit({ type: 'import-review', preview: prepared.value });
    else events.emit({ type: 'import-failed', source: label, error: prepared.error });
  };

  return {
    handlers,
    events,
    connections,
    start: () => connections.start(),
    stop: () => connections.stop(),
    settings: () => settingsStore.get(),
    language,
    profileName: (id) => allNames().find((p) => p.id === id)?.name ?? id,
    trayState: () => ({ lang: language(), helper: connections.helperStatus(), profiles: allNames(), connections: connections.connections(), disconnectLocked: connections.locks().disconnect, firewall: connections.firewall() }),
    open,
  };
}
