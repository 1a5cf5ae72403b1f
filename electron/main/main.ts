/**
 * The Electron main process: a thin shell. Windows are locked down (context isolation, sandbox,
 * no Node in the renderer, no navigation, no new windows, no permissions); every IPC call is
 * validated against the shared schema and accepted only from our own window.
 */
import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, session, type IpcMainInvokeEvent } from 'electron';
import { APP_CHANNELS, type AppChannel, type AppRequest } from '../../shared/ipc/app-api.js';
import { inspectForRenderer } from './inspect-service.js';

const rendererIndex = join(import.meta.dirname, '..', 'renderer', 'index.html');
let mainWindow: BrowserWindow | null = null;

function uiLanguage(): 'en' | 'ja' {
  return app.getPreferredSystemLanguages().some((l) => l.startsWith('ja')) ? 'ja' : 'en';
}

function fromOurWindow(event: IpcMainInvokeEvent): boolean {
  return mainWindow !== null && event.sender === mainWindow.webContents && event.senderFrame?.url.startsWith('file://') === true;
}

function handle<C extends AppChannel>(channel: C, run: (request: AppRequest<C>) => unknown): void {
  ipcMain.handle(channel, (event, raw: unknown) => {
    if (!fromOurWindow(event)) throw new Error(`refused ${channel}: unknown sender`);
    const parsed = APP_CHANNELS[channel].request.safeParse(raw);
    if (!parsed.success) throw new Error(`refused ${channel}: ${parsed.error.issues[0]?.message ?? 'invalid request'}`);
    // The schema for channel C has just accepted the data, so it has C's request type.
    return run(parsed.data as AppRequest<C>);
  });
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 960,
    height: 680,
    title: 'Tsunagu',
    webPreferences: {
      preload: join(import.meta.dirname, '..', 'preload', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  mainWindow.webContents.on('will-navigate', (e) => e.preventDefault());
  mainWindow.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  void mainWindow.loadFile(rendererIndex);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    handle('profiles:inspect', (request) => inspectForRenderer(request, uiLanguage()));
    createWindow();
  });
  app.on('window-all-closed', () => app.quit());
}
