/**
 * The one object the renderer may use, `window.tsunagu`. Nothing else from Electron or Node
 * crosses the bridge: not ipcRenderer, not the IPC event objects (listeners get the AppEvent only).
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { AppEvent } from '../../shared/ipc/app-api.js';
import { EVENT_CHANNEL, createApi } from './api.js';

const api = createApi({
  invoke: (channel, request) => ipcRenderer.invoke(channel, request),
  subscribe: (listener) => {
    const forward = (_event: IpcRendererEvent, appEvent: AppEvent) => listener(appEvent);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
  // Dropped files carry no path in the renderer since Electron 32; only the preload can ask.
  pathForFile: (file) => webUtils.getPathForFile(file as File),
});

contextBridge.exposeInMainWorld('tsunagu', api);
