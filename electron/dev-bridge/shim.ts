/**
 * Browser-side stand-in for the preload: `window.tsunagu` for the production renderer served by the
 * dev bridge (electron/dev-bridge/server.ts) to an ordinary browser. Bundled by esbuild (IIFE) and
 * loaded by a classic <script> placed before the app's module script, so it is defined first.
 *
 * Same surface as the preload (it reuses createApi() and PRELOAD_CHANNELS, so the method names are
 * methodName() of every channel of app-api.ts), different transport:
 *   - each call POSTs `{ channel, request }` to /bridge/invoke and gets the AppResult back (the
 *     bridge validates it with the channel's schema and calls the real app services);
 *   - `onEvent` listens to AppEvents over Server-Sent Events (/bridge/events).
 *
 * DIFFERENCE FROM ELECTRON, pathForFile: a browser File has no path (Electron's webUtils gives one),
 * so this always returns ''. The renderer then reads the file's bytes itself and imports it as
 * `{ kind: 'text', text, fileName }` (renderer/src/drop.ts). Consequences: a profile that refers
 * to files beside it (`ca ca.crt`) cannot find them, and a .zip cannot be imported in the browser
 * (it would need a path). Profiles with everything inline, as the lab's are, import the same way.
 *
 * The bridge's token is a cookie (HttpOnly, SameSite=Strict) set when the page was first opened
 * with `?token=`; fetch and EventSource send it on their own, so nothing here handles the secret.
 */
import type { AppEvent } from '../../shared/ipc/app-api.js';
import { createApi, type PreloadBridge } from '../preload/api.js';

const listeners = new Set<(event: AppEvent) => void>();
const source = new EventSource('./bridge/events');

// The renderer subscribes before its first request so no event falls in between; with SSE the
// subscription is only live once the stream is open, so requests wait for that (at most 5 s).
const streamOpen = new Promise<void>((resolve) => {
  source.addEventListener('open', () => resolve(), { once: true });
  setTimeout(resolve, 5000);
});

source.addEventListener('message', (message: MessageEvent<string>) => {
  let event: AppEvent;
  try {
    event = JSON.parse(message.data) as AppEvent;
  } catch {
    return;
  }
  performance.mark(`tsunagu:event:${event.type}`);
  for (const listener of listeners) listener(event);
});

const bridge: PreloadBridge = {
  async invoke(channel, request) {
    await streamOpen;
    // Marks let tests measure from a request to what the page shows (e.g. the first profiles:list).
    performance.mark(`tsunagu:invoke:${channel}`);
    const response = await fetch('./bridge/invoke', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel, request }),
      credentials: 'same-origin',
    });
    if (!response.ok) throw new Error(`bridge answered ${response.status} for ${channel}`);
    const result: unknown = await response.json();
    performance.mark(`tsunagu:reply:${channel}`);
    return result;
  },
  subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  // See the header: a browser cannot see paths; '' makes the renderer send the file's text.
  pathForFile: () => '',
};

window.tsunagu = createApi(bridge);
