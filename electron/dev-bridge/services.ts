/**
 * The real app services for the dev bridge, with the Electron-only parts replaced:
 *   - the keychain is an in-memory SafeStorage whose backend is 'basic_text', so the vault never
 *     saves a password (as on a Linux desktop without a keyring) and nothing secret reaches disk;
 *   - "save" dialogs answer with a fixed path in the data folder's exports/;
 *   - launch at login only records the choice.
 * Profiles, settings and the helper connection are the real ones (profile store in `dataDir`, the
 * helper client on `socketPath`).
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
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

/** Beside a built renderer: every file it was built from, with the mtime and size it had then. */
const INPUTS_FILE = 'tsunagu-inputs.json';
type RendererInputs = Array<[path: string, mtimeMs: number, size: number]>;

/**
 * Builds the production renderer (renderer/vite.config.ts, as bundleApp does) into `outDir`, and
 * records its inputs (the modules Rollup loaded, the Vite config) for rendererIsCurrent().
 */
export async function buildRenderer(outDir = join(ROOT, 'out', 'dev-bridge', 'renderer')): Promise<string> {
  const { build } = await import('vite');
  const configFile = join(ROOT, 'renderer', 'vite.config.ts');
  const files = new Set<string>([configFile]);
  await build({
    configFile,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
    plugins: [
      {
        name: 'tsunagu-record-inputs',
        generateBundle() {
          for (const id of this.getModuleIds()) {
            const path = id.split('?')[0] ?? '';
            if (isAbsolute(path)) files.add(path);
          }
        },
      },
    ],
  });
  const inputs: RendererInputs = [];
  for (const file of files) {
    const st = statSync(file, { throwIfNoEntry: false });
    if (st?.isFile()) inputs.push([relative(ROOT, file), st.mtimeMs, st.size]);
  }
  writeFileSync(join(outDir, INPUTS_FILE), `${JSON.stringify(inputs)}\n`);
  return outDir;
}

/** Whether `outDir` holds a renderer built by buildRenderer() from the files as they are now. */
export function rendererIsCurrent(outDir: string): boolean {
  let inputs: unknown;
  try {
    inputs = JSON.parse(readFileSync(join(outDir, INPUTS_FILE), 'utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(inputs) || inputs.length === 0 || statSync(join(outDir, 'index.html'), { throwIfNoEntry: false }) === undefined) return false;
  return inputs.every((entry: unknown) => {
    if (!Array.isArray(entry)) return false;
    const [path, mtimeMs, size]: unknown[] = entry;
    if (typeof path !== 'string') return false;
    const st = statSync(join(ROOT, path), { throwIfNoEntry: false });
    return st !== undefined && st.mtimeMs === mtimeMs && st.size === size;
  });
}
