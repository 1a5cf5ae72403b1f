/**
 * The renderer's cage (Electron security checklist): no permissions, no requests outside the
 * app's own files, no navigation, no new windows, no <webview>. Applied to every webContents the
 * app ever creates, not just the main window.
 */
import { sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, type Session } from 'electron';

// Writing to the clipboard ("Copy public key") is the one permission the UI uses.
const ALLOWED_PERMISSIONS = new Set(['clipboard-sanitized-write']);

export function lockDownSession(session: Session, rendererDir: string): void {
  const ownFiles = pathToFileURL(rendererDir + sep).href;
  const isOwn = (url: string) => url.startsWith(ownFiles);
  session.setPermissionRequestHandler((contents, permission, callback) => callback(ALLOWED_PERMISSIONS.has(permission) && isOwn(contents.getURL())));
  session.setPermissionCheckHandler((contents, permission) => ALLOWED_PERMISSIONS.has(permission) && contents !== null && isOwn(contents.getURL()));
  // Nothing but the packaged renderer may load: no remote scripts, images or beacons, whatever
  // a profile or a compromised page contains (the CSP says the same inside the page).
  session.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isOwn(details.url) || details.url.startsWith('data:') || details.url.startsWith('devtools:');
    callback({ cancel: !allowed });
  });
}

export function guardAllWebContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    // Programmatic loads (loadFile) do not emit these; anything the page starts is refused.
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-frame-navigate', (event) => {
      if (!event.isMainFrame) event.preventDefault();
    });
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}
