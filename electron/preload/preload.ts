/** The one object the renderer may use. Nothing else from Electron or Node crosses the bridge. */
import { contextBridge, ipcRenderer } from 'electron';
import type { TsunaguApi } from '../../shared/ipc/app-api.js';

const api: TsunaguApi = {
  inspectProfile: (request) => ipcRenderer.invoke('profiles:inspect', request),
};

contextBridge.exposeInMainWorld('tsunagu', api);
