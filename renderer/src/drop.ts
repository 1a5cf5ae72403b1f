/** Files dropped on the window or picked in the file chooser, turned into one import source for main. */
import type { ImportFile, ImportSource } from '../../shared/ipc/app-api.js';
import { api } from './api.js';

const MAX_FILE_BYTES = 1024 * 1024;

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * Files chosen or dropped together are ONE import: a profile and the files it names (ca.crt,
 * client.key …) travel together, so main can read the companions by name. Main needs a path where
 * the preload can see one (a folder or .zip is read there); a file without a path (a browser, or
 * dragged out of another app's memory) is sent as its bytes. A file over the cap is sent cut one
 * byte past it, so main names it as too large instead of it vanishing. `addTo` adds the files to
 * that pending review, which main inspects again.
 */
export async function importSourcesForFiles(files: readonly File[], addTo?: string): Promise<ImportSource[]> {
  const chosen: ImportFile[] = [];
  for (const file of files) {
    const path = api().pathForFile(file);
    if (path) {
      chosen.push({ path });
      continue;
    }
    const bytes = new Uint8Array(await file.slice(0, MAX_FILE_BYTES + 1).arrayBuffer());
    chosen.push({ name: file.name.slice(0, 255) || 'profile', base64: toBase64(bytes) });
  }
  if (chosen.length === 0) return [];
  return [addTo === undefined ? { kind: 'files', files: chosen } : { kind: 'files', files: chosen, addTo }];
}

/** How a source is named in a failure message. */
export function sourceLabel(source: ImportSource): string {
  switch (source.kind) {
    case 'path':
      return source.path;
    case 'url':
      return source.url;
    case 'text':
      return source.fileName ?? '';
    case 'files':
      return source.files.map((f) => ('path' in f ? f.path.split(/[\\/]/).pop() ?? f.path : f.name)).join(', ');
  }
}

/** True when a drag carries files (not text or a link being dragged around the page). */
export function dragHasFiles(types: readonly string[]): boolean {
  return types.includes('Files');
}
