/**
 * Crash-safe file replacement: the data goes to a temporary file in the same folder, is flushed
 * to disk, and only then renamed over the target (rename within one file system is atomic), after
 * which the folder itself is flushed so the rename survives a power cut. A crash at any point
 * leaves either the old file or the new one, never a torn mix; at worst a stray temporary file,
 * which readers ignore and `removeStaleTemporaries` deletes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const TEMP_MARKER = '.tmp-';

/** How bytes reach the temporary file; tests swap it to simulate a crash mid-write. */
export interface TempWriter {
  write(file: FileHandle, data: Uint8Array): Promise<void>;
}

const plainWriter: TempWriter = {
  async write(file, data) {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await file.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  },
};

export interface AtomicWriteOptions {
  /** Permission bits of the new file (default 0o600: everything main stores is private). */
  mode?: number;
  writer?: TempWriter;
}

export function isTemporaryName(name: string): boolean {
  return name.includes(TEMP_MARKER);
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const folder = dirname(path);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const temp = join(folder, `.${basename(path)}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
  // 'wx': never follow or reuse something already at the temporary name.
  const file = await open(temp, 'wx', options.mode ?? 0o600);
  let renamed = false;
  try {
    try {
      await (options.writer ?? plainWriter).write(file, bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
    renamed = true;
    await syncFolder(folder);
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}

/** Creates a private folder (0700) for main's data if it does not exist. */
export async function ensurePrivateFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
}

/** Deletes temporary files left by a crash in `folder`. */
export async function removeStaleTemporaries(folder: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }
  await Promise.all(names.filter(isTemporaryName).map((name) => unlink(join(folder, name)).catch(() => undefined)));
}
