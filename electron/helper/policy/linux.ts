/**
 * The Linux policy reader: `<dir>/policy.json`, then `<dir>/policy.d/*.json` in name order (byte
 * order, as `ls` in the C locale), `<dir>` being /etc/tsunagu unless the helper is given
 * --policy-dir. Only root's files count (files.ts); a refused file is a document with a problem.
 */
import { readdirSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { PolicyDocument } from '../../../shared/policy/resolve.js';
import { directoryProblem, readAdminFile } from './files.js';
import type { PolicyReader } from './reader.js';

export const DEFAULT_POLICY_DIR = '/etc/tsunagu';
export const POLICY_FILE = 'policy.json';
export const POLICY_D = 'policy.d';
export const PROFILES_DIR = 'profiles';

function documentOf(path: string): PolicyDocument {
  const read = readAdminFile(path);
  if (!read.ok) return { origin: path, problem: read.problem };
  try {
    return { origin: path, values: JSON.parse(read.text) as unknown };
  } catch (e) {
    return { origin: path, problem: `is not valid JSON (${(e as Error).message})` };
  }
}

/** The names in a directory, in byte order; [] when it cannot be listed. */
export function sortedEntries(dir: string): string[] {
  try {
    return readdirSync(dir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  } catch {
    return [];
  }
}

export class LinuxPolicyReader implements PolicyReader {
  constructor(readonly dir: string = DEFAULT_POLICY_DIR) {}

  read(): PolicyDocument[] {
    const top = directoryProblem(this.dir);
    if (top === 'missing') return [];
    if (top) return [{ origin: this.dir, problem: top }];
    const documents: PolicyDocument[] = [];
    const file = join(this.dir, POLICY_FILE);
    if (sortedEntries(this.dir).includes(POLICY_FILE)) documents.push(documentOf(file));
    const drop = join(this.dir, POLICY_D);
    const dropProblem = directoryProblem(drop);
    if (dropProblem === 'missing') return documents;
    if (dropProblem) return [...documents, { origin: drop, problem: dropProblem }];
    for (const name of sortedEntries(drop)) {
      if (name.endsWith('.json') && !name.startsWith('.')) documents.push(documentOf(join(drop, name)));
    }
    return documents;
  }

  /** The policy directory, policy.d and profiles/ (any change there, even a new subdirectory). */
  watch(changed: () => void): () => void {
    return watchDirectories([this.dir, join(this.dir, POLICY_D), join(this.dir, PROFILES_DIR)], changed);
  }
}

/**
 * fs.watch on each directory that exists; events are gathered for `debounceMs` (an editor's save is
 * several), then the watchers are set up again (policy.d may have appeared or been replaced) and
 * `changed` is called once.
 */
export function watchDirectories(dirs: readonly string[], changed: () => void, debounceMs = 200): () => void {
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const fire = () => {
    timer = null;
    if (stopped) return;
    arm();
    changed();
  };
  const arm = () => {
    for (const w of watchers) w.close();
    watchers = [];
    for (const dir of dirs) {
      try {
        const w = watch(dir, { persistent: false }, () => {
          timer ??= setTimeout(fire, debounceMs);
        });
        // A watched directory removed ends its watcher; its parent's watcher sees the change.
        w.on('error', () => w.close());
        watchers.push(w);
      } catch {
        // Missing for now: the parent directory's watcher re-arms once it appears.
      }
    }
  };
  arm();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    for (const w of watchers) w.close();
    watchers = [];
  };
}
