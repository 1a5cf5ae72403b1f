/**
 * The Electron main process: a thin shell that wires Electron to the plain-Node services under
 * ./services. It owns the window, the tray, notifications, the single-instance lock and the
 * operating system's ways of opening things (files, tsunagu:// links); everything else is a
 * service with tests.
 */
import { join } from 'node:path';
import { app, ipcMain, nativeTheme, session } from 'electron';
import { APP_EVENT_CHANNEL } from '../../shared/ipc/app-api.js';
import { DEFAULT_SOCKET } from '../helper/defaults.js';
import { createAppServices, type AppServices } from './services/app-services.js';
import { pickSystemLanguage } from './services/language.js';
import { launchRequests, type LaunchRequest } from './services/launch-requests.js';
import { NotificationThrottle, notificationForChange, notificationForHelper } from './services/notification-rules.js';
import { registerHandlers } from './services/register-handlers.js';
import { trayModel, type TrayAction } from './services/tray-model.js';
import { showNotification } from './shell/notifications.js';
import { argvSkip, chooseProfilesToImport, electronSafeStorage, launchAtLoginSetter, nativeDialogs, openedAtLogin, registerProtocolClient } from './shell/platform.js';
import { guardAllWebContents, lockDownSession } from './shell/security.js';
import { TrayController } from './shell/tray.js';
import { AppWindow } from './shell/window.js';

const here = import.meta.dirname;
const rendererDir = join(here, '..', 'renderer');
const resourcesDir = app.isPackaged ? process.resourcesPath : join(here, '..', '..', 'resources');

/** What a second instance forwards: its own arguments and working folder. */
interface ForwardedLaunch {
  argv: string[];
  cwd: string;
}

function isForwardedLaunch(data: unknown): data is ForwardedLaunch {
  if (typeof data !== 'object' || data === null) return false;
  const { argv, cwd } = data as Record<string, unknown>;
  return Array.isArray(argv) && argv.every((a) => typeof a === 'string') && typeof cwd === 'string';
}

const forward: ForwardedLaunch = { argv: process.argv.slice(argvSkip()), cwd: process.cwd() };

if (!app.requestSingleInstanceLock(forward)) {
  // Another Tsunagu is running: it received our files and links with the lock request.
  app.quit();
} else {
  let services: AppServices | null = null;
  const waiting: LaunchRequest[] = launchRequests(forward.argv, { cwd: forward.cwd, skip: 0 });
  const window = new AppWindow({
    preload: join(here, '..', 'preload', 'preload.cjs'),
    index: join(rendererDir, 'index.html'),
    icon: join(resourcesDir, 'icons', '512x512.png'),
  });

  const deliver = (request: LaunchRequest) => {
    if (services) void services.open(request);
    else waiting.push(request);
  };

  app.on('second-instance', (_event, argv, cwd, additionalData) => {
    const launch = isForwardedLaunch(additionalData) ? additionalData : { argv: argv.slice(argvSkip()), cwd };
    for (const request of launchRequests(launch.argv, { cwd: launch.cwd, skip: 0 })) deliver(request);
    window.show();
  });
  // macOS sends files and links as events, possibly before the app is ready.
  app.on('open-file', (event, path) => {
    event.preventDefault();
    deliver({ kind: 'file', path });
  });
  app.on('open-url', (event, url) => {
    event.preventDefault();
    deliver({ kind: 'link', url });
  });
  // The window hides to the tray; the app lives until Quit.
  app.on('window-all-closed', () => undefined);
  app.on('activate', () => window.show());

  guardAllWebContents();
  registerProtocolClient();
  if (process.platform === 'win32') app.setAppUserModelId('app.tsunagu.desktop');

  let quitting: Promise<void> | null = null;
  app.on('before-quit', (event) => {
    window.allowClose();
    const running = services;
    if (!running || !running.connections.endsOnQuit()) return;
    // Under AlwaysOn the tunnels are the helper's to keep: the app quits and they stay up.
    if (running.connections.locks().disconnect) return;
    // Quitting ends this user's tunnels first (the tray says "Disconnect and Quit"), within 5 s.
    event.preventDefault();
    quitting ??= Promise.race([running.connections.disconnectAll(), new Promise<void>((resolve) => setTimeout(resolve, 5000))]).then(() => {
      running.stop();
      app.exit(0);
    });
  });

  void app.whenReady().then(async () => {
    nativeTheme.themeSource = 'system';
    lockDownSession(session.defaultSession, rendererDir);

    const running = await createAppServices({
      dataDir: app.getPath('userData'),
      version: app.getVersion(),
      platform: process.platform,
      systemLanguage: pickSystemLanguage(app.getPreferredSystemLanguages()),
      safeStorage: electronSafeStorage,
      dialogs: nativeDialogs(() => window.browserWindow(), () => services?.language() ?? 'en'),
      setLaunchAtLogin: launchAtLoginSetter(),
      helper: { socketPath: process.env['TSUNAGU_SOCKET'] ?? DEFAULT_SOCKET },
    });
    services = running;
    registerHandlers(ipcMain, running.handlers, (event) => window.isTrusted(event));

    const onTrayAction = (action: TrayAction) => {
      switch (action.type) {
        case 'connect':
          void running.connections.connect(action.profileId);
          break;
        case 'disconnect':
          void running.connections.disconnect(action.profileId);
          break;
        case 'open':
          window.show();
          break;
        case 'import':
          void chooseProfilesToImport(running.language()).then((paths) => {
            for (const path of paths) void running.open({ kind: 'file', path });
          });
          break;
        case 'quit':
          app.quit();
          break;
      }
    };
    const tray = new TrayController(join(resourcesDir, 'tray'), onTrayAction, () => window.show());
    const refreshTray = () => tray.update(trayModel(running.trayState()));
    refreshTray();

    running.events.on((event) => {
      // Things that need the user: a sign-in prompt, a file or link to review. The window comes
      // up first; a review waits for the page if it is still loading.
      const review = event.type === 'import-review' || event.type === 'import-failed';
      const needsUser = review || (event.type === 'connection' && event.connection.prompt !== null);
      if (needsUser && !window.isFocused()) window.show();
      window.send(APP_EVENT_CHANNEL, event, review);
      if (event.type !== 'stats' && event.type !== 'log') refreshTray();
    });
    nativeTheme.on('updated', refreshTray);

    const throttle = new NotificationThrottle();
    const notificationContext = () => ({ lang: running.language(), enabled: running.settings().notifications, windowFocused: window.isFocused() });
    running.connections.changes.on((change) => {
      const notification = notificationForChange(change, { ...notificationContext(), profileName: running.profileName(change.next.profileId) });
      if (notification && throttle.allow(notification)) showNotification(notification, () => window.show());
    });
    running.connections.helperChanges.on(({ previous, next }) => {
      const notification = notificationForHelper(previous, next, notificationContext());
      if (notification && throttle.allow(notification)) showNotification(notification, () => window.show());
    });

    if (!openedAtLogin(process.argv)) window.show();
    await running.start();
    for (const request of waiting.splice(0)) void running.open(request);
    // Keep the autostart entry pointing at this executable (it moves with updates).
    if (running.settings().launchAtLogin) void launchAtLoginSetter()(true).catch(() => undefined);
  });
}

