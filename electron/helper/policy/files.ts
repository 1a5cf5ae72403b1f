/**
 * Reading what an administrator placed under the policy directory, trusting only root: a file is
 * accepted when it is a regular file (not a symlink), owned by root and not writable by its group
 * or others, and so is the directory it is in. A file is opened without following a symlink and
 * checked on its descriptor, so it cannot be swapped between the check and the read.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Bytes read at most from one file; a policy or a profile is far smaller. */
export const MAX_ADMIN_FILE_BYTES = 2 * 1024 * 1024;

export type AdminRead = { ok: true; text: string } | { ok: false; problem: string };

function ownershipProblem(stats: Stats, what: string): string | null {
  if (stats.uid !== 0) return `${what} is owned by uid ${stats.uid}, not root`;
  if ((stats.mode & 0o022) !== 0) return `${what} is writable by its group or others (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')})`;
  return null;
}

/** Why the directory at `path` cannot be trusted, 'missing' when it does not exist, or null. */
export function directoryProblem(path: string): string | 'missing' | null {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    return `cannot be read: ${(e as Error).message}`;
  }
  if (stats.isSymbolicLink()) return 'the directory is a symlink';
  if (!stats.isDirectory()) return 'is not a directory';
  return ownershipProblem(stats, 'the directory');
}

export function readAdminFile(path: string): AdminRead {
  let fd: number;
  try {
    if (lstatSync(path).isSymbolicLink()) return { ok: false, problem: 'the file is a symlink' };
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, problem: code === 'ELOOP' ? 'the file is a symlink' : `cannot be opened: ${(e as Error).message}` };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { ok: false, problem: 'is not a regular file' };
    const problem = ownershipProblem(stats, 'the file');
    if (problem) return { ok: false, problem };
    if (stats.size > MAX_ADMIN_FILE_BYTES) return { ok: false, problem: `is larger than ${MAX_ADMIN_FILE_BYTES} bytes` };
    const buffer = Buffer.alloc(stats.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return { ok: true, text: buffer.subarray(0, read).toString('utf8') };
  } catch (e) {
    return { ok: false, problem: `cannot be read: ${(e as Error).message}` };
  } finally {
    closeSync(fd);
  }
}
