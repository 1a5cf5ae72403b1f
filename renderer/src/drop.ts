/** Files dropped on the window or picked in the file chooser, turned into import sources for main. */
import type { ImportSource } from '../../shared/ipc/app-api.js';
import { api } from './api.js';

const MAX_TEXT_BYTES = 1024 * 1024;

/**
 * Main needs the path (a .ovpn may name `ca ca.crt` beside it), which only the preload can see.
 * A file without a path (dragged out of another app's memory) is sent as text instead.
 */
export async function importSourcesForFiles(files: readonly File[]): Promise<ImportSource[]> {
  const sources: ImportSource[] = [];
  for (const file of files) {
    const path = api().pathForFile(file);
    if (path) sources.push({ kind: 'path', path });
    else if (file.size <= MAX_TEXT_BYTES) sources.push({ kind: 'text', text: await file.text(), fileName: file.name.slice(0, 255) });
  }
  return sources;
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
  }
}

/** True when a drag carries files (not text or a link being dragged around the page). */
export function dragHasFiles(types: readonly string[]): boolean {
  return types.includes('Files');
}
