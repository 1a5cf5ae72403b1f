/**
 * Which IPC senders main answers: only the main frame of its own window showing the app's own
 * page. An iframe, another file, or a page that somehow navigated elsewhere gets nothing.
 */

export interface SenderFacts {
  /** The request came from the app window's webContents. */
  fromAppWindow: boolean;
  /** The sending frame is that window's main frame (not an iframe). */
  isMainFrame: boolean;
  /** The sending frame's URL. */
  frameUrl: string;
}

/** `pageUrl` is the file:// URL of the renderer's index.html. */
export function isTrustedSender(sender: SenderFacts | null, pageUrl: string): boolean {
  if (!sender || !sender.fromAppWindow || !sender.isMainFrame) return false;
  let url: URL;
  try {
    url = new URL(sender.frameUrl);
  } catch {
    return false;
  }
  // The page may use a #route; the document itself must be exactly ours.
  url.hash = '';
  url.search = '';
  return url.protocol === 'file:' && url.href === new URL(pageUrl).href;
}
