// Shared by the ikev2-* unit tests: fixtures and a companion-file source over a fixture folder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfileFileSource } from '../../shared/profiles/openvpn/inliner.js';

export const SWANCTL_DIR = join(import.meta.dirname, '../fixtures/ikev2/swanctl');
export const SSWAN_DIR = join(import.meta.dirname, '../fixtures/ikev2/sswan');

export function fixture(dir: string, name: string): string {
  return readFileSync(join(dir, name), 'utf8');
}

/** The files of a fixture folder, as the app's folder/zip source offers them (by basename). */
export function folder(dir: string, only?: string[]): ProfileFileSource & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    description: { en: 'the test folder', ja: 'テストフォルダー' },
    read(name: string) {
      asked.push(name);
      if (only && !only.includes(name)) return null;
      try {
        return new Uint8Array(readFileSync(join(dir, name)));
      } catch {
        return null;
      }
    },
  };
}

/** Companions given as in-memory files. */
export function memoryFiles(files: Record<string, string | Uint8Array>): ProfileFileSource {
  return {
    description: { en: 'memory', ja: 'メモリ' },
    read: (name) => {
      const f = files[name];
      return f === undefined ? null : typeof f === 'string' ? new TextEncoder().encode(f) : f;
    },
  };
}
