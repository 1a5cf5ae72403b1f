/**
 * The real app services for the dev bridge, with the Electron-only parts replaced:
 *   - the keychain is an in-memory SafeStorage whose backend is 'basic_text', so the vault never
 *     saves a password (as on a Linux desktop without a keyring) and nothing secret reaches disk;
 *   - "save" dialogs answer with a fixed path in the data folder's exports/;
 *   - launch at login only records the choice.
 * Profiles, settings and the helper connection are the real ones (profile store in `dataDir`, the
 * helper client on `socketPath`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createAppServices, type AppServices } from '../main/services/app-services.js';
import type { SafeStorage } from '../main/services/credential-vault.js';

export const ROOT = join(import.meta.dirname, '..', '..');

/** basic_text: encryption "available", but the vault treats it as no keychain and never uses it. */
export function basicTextStorage(): SafeStorage {
  return {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => 'basic_text',
    encryptString: () => {
      throw new Error('the dev bridge never saves secrets');
    },
    decryptString: () => {
      throw new Error('the dev bridge never saves secrets');
    },
  };
}

export interface BridgeServicesOptions {
  dataDir: string;
  socketPath: string;
  systemLanguage?: 'en' | 'ja';
  version?: string;
}

export async function createBridgeServices(options: BridgeServicesOptions): Promise<AppServices> {
  const exports = join(options.dataDir, 'exports');
  return createAppServices({
    dataDir: options.dataDir,
    version: options.version ?? '0.0.0-bridge',
    platform: process.platform,
    systemLanguage: options.systemLanguage ?? 'en',
    safeStorage: basicTextStorage(),
    dialogs: {
      chooseSavePath: async (suggestedName) => {
        mkdirSync(exports, { recursive: true, mode: 0o700 });
        return join(exports, suggestedName.replace(/[/\\]/g, '_'));
      },
    },
    setLaunchAtLogin: async () => undefined,
    helper: { socketPath: options.socketPath, backoff: { minMs: 200, maxMs: 2000 } },
  });
}

/** Builds the production renderer (renderer/vite.config.ts, as bundleApp does) into `outDir`. */
export async function buildRenderer(outDir = join(ROOT, 'out', 'dev-bridge', 'renderer')): Promise<string> {
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'renderer', 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}
