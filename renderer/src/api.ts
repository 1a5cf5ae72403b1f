/** The renderer's one door to the world: the preload's `window.tsunagu`, set once at start. */
import type { AppResult, TsunaguApi } from '../../shared/ipc/app-api.js';
import { catalog } from '../../shared/i18n/catalog.js';

declare global {
  interface Window {
    tsunagu: TsunaguApi;
  }
}

let current: TsunaguApi | null = null;

export function setApi(api: TsunaguApi): void {
  current = api;
}

export function api(): TsunaguApi {
  if (!current) throw new Error('the Tsunagu API is used before start()');
  return current;
}

/**
 * Calls main. A refused request rejects the IPC promise instead of returning an AppError;
 * turn that into an AppError too, so every caller handles one shape.
 */
export async function request<T>(call: (api: TsunaguApi) => Promise<AppResult<T>>): Promise<AppResult<T>> {
  try {
    return await call(api());
  } catch (e) {
    return {
      ok: false,
      error: {
        code: 'ipc-failed',
        message: { en: catalog.en.errors.ipcFailed, ja: catalog.ja.errors.ipcFailed },
        detail: e instanceof Error ? e.message : String(e),
      },
    };
  }
}
