/**
 * Electron's platform services behind the small interfaces the plain-Node services use: the
 * keychain (safeStorage), launch at login, and native file dialogs.
 */
import { homedir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { app, dialog, safeStorage, type BrowserWindow } from 'electron';
import type { Dialogs } from '../services/app-services.js';
import { LinuxAutostart } from '../services/autostart.js';
import type { SafeStorage } from '../services/credential-vault.js';
import { startHidden } from '../services/launch-requests.js';
import { mainText, type MainLanguage } from '../../../shared/i18n/main-catalog.js';
import { PROFILE_DIALOG_EXTENSIONS } from '../../../shared/profiles/kinds.js';

export const electronSafeStorage: SafeStorage = {
  isEncryptionAvailable: () => safeStorage.isEncryptionAvailable(),
  // The backend name exists on Linux only; macOS (Keychain) and Windows (DPAPI) always use the OS store.
  getSelectedStorageBackend: () => (process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os-keychain'),
  encryptString: (plainText) => safeStorage.encryptString(plainText),
  decryptString: (encrypted) => safeStorage.decryptString(encrypted),
};

/** How many leading argv entries are not arguments: the executable, and the script when unpackaged. */
export function argvSkip(): number {
  return process.defaultApp ? 2 : 1;
}

/** The command that starts this app (what a login item or protocol handler runs). */
export function appCommand(): string[] {
  const executable = process.env['APPIMAGE'] ?? process.execPath;
  return process.defaultApp ? [executable, resolve(process.argv[1] ?? '.')] : [executable];
}

export function launchAtLoginSetter(): (enabled: boolean) => Promise<void> {
  if (process.platform === 'linux') {
    const autostart = new LinuxAutostart(process.env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), [...appCommand(), '--hidden']);
    return (enabled) => autostart.set(enabled);
  }
  return async (enabled) => {
    // `args` reaches Windows only; on macOS the app asks wasOpenedAtLogin instead.
    app.setLoginItemSettings({ openAtLogin: enabled, args: ['--hidden'] });
  };
}

/** Started by the login item: stay in the tray. */
export function openedAtLogin(argv: readonly string[]): boolean {
  return startHidden(argv) || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true);
}

export function registerProtocolClient(): void {
  const [executable, ...args] = appCommand();
  if (process.defaultApp && executable) app.setAsDefaultProtocolClient('tsunagu', executable, args);
  else app.setAsDefaultProtocolClient('tsunagu');
}

/** `lang`: the app's language when a dialog opens (its filter names). */
export function nativeDialogs(parent: () => BrowserWindow | null, lang: () => MainLanguage): Dialogs {
  return {
    async chooseSavePath(suggestedName, purpose) {
      const filters = purpose === 'profile'
        ? // The suggested name ends with its kind's extension (profileFileName); the filter takes its last part.
          [{ name: mainText(lang(), 'saveFilterProfile'), extensions: [extname(suggestedName).slice(1)] }]
        : [{ name: mainText(lang(), 'saveFilterText'), extensions: ['txt'] }];
      const options = { defaultPath: join(app.getPath('documents'), suggestedName), filters };
      const window = parent();
      const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
      return result.canceled || !result.filePath ? null : result.filePath;
    },
  };
}

/** The tray's "Import Profile…": files the user picked (any ending in the kind registry, or .zip), or none. */
export async function chooseProfilesToImport(lang: MainLanguage): Promise<string[]> {
  const result = await dialog.showOpenDialog({
    properties: ['openFile', 'multiSelections'],
    filters: [{ name: mainText(lang, 'trayImportFilter'), extensions: [...PROFILE_DIALOG_EXTENSIONS] }],
  });
  return result.canceled ? [] : result.filePaths;
}
