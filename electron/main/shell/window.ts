/**
 * The app window: sandboxed, context-isolated, no Node, only the preload's API; closing it hides
 * it to the tray (the VPN keeps running), quitting is done from the tray or the app menu.
 */
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, nativeTheme, type IpcMainInvokeEvent } from 'electron';
import { isTrustedSender } from '../services/trusted-sender.js';

export interface WindowPaths {
  preload: string;
  index: string;
  icon?: string;
}

const LIGHT = '#ffffff';
const DARK = '#1e1f22';

export class AppWindow {
  private window: BrowserWindow | null = null;
  private quitting = false;
  private readonly waiting: Array<[channel: string, payload: unknown]> = [];
  readonly pageUrl: string;

  constructor(private readonly paths: WindowPaths) {
    this.pageUrl = pathToFileURL(paths.index).href;
  }

  /** Closing hides to the tray until this is called (before quitting). */
  allowClose(): void {
    this.quitting = true;
  }

  private create(): BrowserWindow {
    const window = new BrowserWindow({
      width: 980,
      height: 700,
      minWidth: 640,
      minHeight: 480,
      title: 'Tsunagu',
      show: false,
      autoHideMenuBar: true,
      backgroundColor: nativeTheme.shouldUseDarkColors ? DARK : LIGHT,
      ...(this.paths.icon ? { icon: this.paths.icon } : {}),
      webPreferences: {
        preload: this.paths.preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        spellcheck: false,
      },
    });
    window.on('close', (event) => {
      if (this.quitting) return;
      event.preventDefault();
      window.hide();
    });
    // The page follows prefers-color-scheme itself; the window's own background (seen while
    // loading or resizing) follows along.
    const followTheme = () => window.setBackgroundColor(nativeTheme.shouldUseDarkColors ? DARK : LIGHT);
    nativeTheme.on('updated', followTheme);
    window.on('closed', () => {
      nativeTheme.off('updated', followTheme);
      this.window = null;
    });
    window.webContents.on('did-finish-load', () => {
      for (const [channel, payload] of this.waiting.splice(0)) window.webContents.send(channel, payload);
    });
    // A dead renderer would leave a blank window; load the page again.
    window.webContents.on('render-process-gone', () => {
      if (!window.isDestroyed()) void window.loadFile(this.paths.index);
    });
    void window.loadFile(this.paths.index);
    return window;
  }

  /** Shows the window, creating it on first use (it then appears once its page has painted). */
  show(): void {
    // Before ready there can be no window; startup shows it once the app is ready.
    if (!app.isReady()) return;
    const window = this.window;
    if (!window) {
      const created = this.create();
      created.once('ready-to-show', () => created.show());
      this.window = created;
      return;
    }
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }

  /** For native dialogs' parent; null while no window exists. */
  browserWindow(): BrowserWindow | null {
    return this.window;
  }

  isFocused(): boolean {
    return this.window !== null && this.window.isVisible() && this.window.isFocused();
  }

  isVisible(): boolean {
    return this.window !== null && this.window.isVisible();
  }

  /**
   * Sends to the page. Most events are state the page fetches when it loads, so they are dropped
   * while it is not there; `keep` ones (an import to review) wait for the page instead.
   */
  send(channel: string, payload: unknown, keep = false): void {
    const window = this.window;
    if (window && !window.isDestroyed() && !window.webContents.isLoading()) window.webContents.send(channel, payload);
    else if (keep) this.waiting.push([channel, payload]);
  }

  isTrusted(event: IpcMainInvokeEvent): boolean {
    const window = this.window;
    const frame = event.senderFrame;
    if (!window || window.isDestroyed() || !frame) return false;
    return isTrustedSender({ fromAppWindow: event.sender === window.webContents, isMainFrame: frame === window.webContents.mainFrame, frameUrl: frame.url }, this.pageUrl);
  }
}
