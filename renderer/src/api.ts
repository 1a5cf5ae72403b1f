import type { TsunaguApi } from '../../shared/ipc/app-api.js';

declare global {
  interface Window {
    tsunagu: TsunaguApi;
  }
}

export const api: TsunaguApi = window.tsunagu;
