/**
 * The helper's directories (contract C4): `/run/tsunagu` 0755 root:root holds the socket, and
 * `/run/tsunagu/sessions` 0700 root holds the session work directories (configs, management
 * sockets, residue records that crash cleanup acts on as root). Whoever can write to either, or to
 * a directory above them, or swap one for a symlink, can plant what root later reads; so the
 * helper refuses to start unless every component of both paths is a real directory owned by root
 * and writable by nobody else.
 *
 * One exception, as in sudo and OpenSSH: a root-owned parent with the sticky bit (such as /tmp)
 * may be world-writable, because in a sticky directory only an entry's owner can rename or remove
 * it, so the root-owned directory inside cannot be swapped.
 */
import { chmodSync, lstatSync, mkdirSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';

const STICKY = 0o1000;

/** Every path from `/` down to `path`. */
function components(path: string): string[] {
  const parts = resolve(path).split(sep).filter(Boolean);
  return ['/', ...parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)];
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Why `path` is not a safe root-only directory, in one sentence that says what to fix, or null
 * when it is safe. `role` names it in the sentence ("run directory", "sessions directory").
 */
export function unsafeDirectory(path: string, role: string): string | null {
  if (!isAbsolute(path)) return `the ${role} ${path} must be an absolute path`;
  const all = components(path);
  for (const [i, dir] of all.entries()) {
    const own = i === all.length - 1;
    const what = own ? `the ${role} ${dir}` : `${dir} (a parent of the ${role} ${path})`;
    let st: Stats | null;
    try {
      st = lstatOrNull(dir);
    } catch (e) {
      return `${what} cannot be checked (${(e as Error).message}); fix its permissions`;
    }
    if (!st) return `${what} does not exist; create it as root with mode 0755`;
    if (st.isSymbolicLink()) return `${what} is a symbolic link; give the real path instead`;
    if (!st.isDirectory()) return `${what} is not a directory; remove it or choose another path`;
    if (st.uid !== 0) return `${what} is owned by uid ${st.uid}, not root; run chown root:root ${dir}`;
    const writableByOthers = (st.mode & 0o022) !== 0;
    if (writableByOthers && (own || (st.mode & STICKY) === 0)) {
      return `${what} is writable by group or others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}); run chmod go-w ${dir}`;
    }
  }
  return null;
}

/**
 * Creates `path` and any missing parents (parents 0755, `path` itself `mode`), exactly with those
 * modes whatever the umask. Existing directories are left as they are (they are checked, not fixed).
 */
export function makeDirectory(path: string, mode: number): void {
  const missing: string[] = [];
  for (let dir = resolve(path); lstatOrNull(dir) === null; dir = dirname(dir)) missing.unshift(dir);
  for (const dir of missing) {
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, dir === resolve(path) ? mode : 0o755);
  }
}
