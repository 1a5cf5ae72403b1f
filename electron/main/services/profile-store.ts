/**
 * The user's saved profiles: one JSON record per profile in a private folder
 * (`<userData>/profiles`), each written atomically. Records that do not parse (hand-edited,
 * from a newer version) are skipped rather than taking the whole list down.
 */
import { randomBytes } from 'node:crypto';
import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppResult } from '../../../shared/ipc/app-api.js';
import { safeProfileName } from '../../../shared/profiles/name.js';
import { ensurePrivateFolder, isTemporaryName, removeStaleTemporaries, writeFileAtomic, type TempWriter } from './atomic-file.js';
import { appError, errorDetail, failed, ok } from './errors.js';
import { PROFILE_NAME_MAX, profileRecord, type NewProfile, type ProfileRecord } from './profile-record.js';

export function newId(): string {
  return randomBytes(8).toString('hex');
}

/** `desired`, or `desired (2)`, `(3)` … whichever no other profile uses (ignoring case). */
export function uniqueName(desired: string, taken: Iterable<string>): string {
  const used = new Set([...taken].map((n) => n.toLocaleLowerCase()));
  if (!used.has(desired.toLocaleLowerCase())) return desired;
  const base = /^(.*) \(\d+\)$/.exec(desired)?.[1] ?? desired;
  for (let n = 2; ; n++) {
    const suffix = ` (${n})`;
    const candidate = `${base.slice(0, PROFILE_NAME_MAX - suffix.length).trimEnd()}${suffix}`;
    if (!used.has(candidate.toLocaleLowerCase())) return candidate;
  }
}

export interface ProfileStoreOptions {
  /** Swapped by tests to simulate a crash in the middle of a write. */
  writer?: TempWriter;
}

export class ProfileStore {
  // Mutations run one at a time, so two imports cannot both claim the same free name.
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * The records, read from disk once and then kept in step with every write: this process owns
   * the folder (single-instance lock), and listing 1,000 profiles must not re-read 1,000 files.
   */
  private cache: Map<string, ProfileRecord> | null = null;
  private loading: Promise<Map<string, ProfileRecord>> | null = null;

  constructor(readonly folder: string, private readonly options: ProfileStoreOptions = {}) {}

  async open(): Promise<void> {
    await ensurePrivateFolder(this.folder);
    await removeStaleTemporaries(this.folder);
    // Read the records now, while the window is still loading, so its first list is instant.
    void this.records();
  }

  private path(id: string): string {
    return join(this.folder, `${id}.json`);
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private records(): Promise<Map<string, ProfileRecord>> {
    if (this.cache) return Promise.resolve(this.cache);
    this.loading ??= this.load().then((loaded) => {
      this.cache ??= loaded;
      this.loading = null;
      return this.cache;
    });
    return this.loading;
  }

  private async load(): Promise<Map<string, ProfileRecord>> {
    let names: string[];
    try {
      names = await readdir(this.folder);
    } catch {
      return new Map();
    }
    const records = await Promise.all(
      names.filter((n) => n.endsWith('.json') && !isTemporaryName(n)).map((n) => this.read(join(this.folder, n))),
    );
    return new Map(records.filter((r): r is ProfileRecord => r !== null).map((r) => [r.id, r]));
  }

  async list(): Promise<ProfileRecord[]> {
    return [...(await this.records()).values()].sort((a, b) => a.name.localeCompare(b.name) || a.importedAt - b.importedAt);
  }

  private async read(path: string): Promise<ProfileRecord | null> {
    try {
      const parsed = profileRecord.safeParse(JSON.parse(await readFile(path, 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  async get(id: string): Promise<AppResult<ProfileRecord>> {
    const record = (await this.records()).get(id);
    return record ? ok(record) : failed(appError('profile-not-found', 'errProfileNotFound'));
  }

  private async write(record: ProfileRecord): Promise<AppResult<ProfileRecord>> {
    try {
      await writeFileAtomic(this.path(record.id), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, writer: this.options.writer });
      (await this.records()).set(record.id, record);
      return ok(record);
    } catch (e) {
      return failed(appError('store-write-failed', 'errStoreWrite', {}, errorDetail(e)));
    }
  }

  private cleanName(name: string): AppResult<string> {
    const cleaned = safeProfileName(name);
    return cleaned === '' ? failed(appError('profile-name-invalid', 'errNameInvalid')) : ok(cleaned);
  }

  /** Saves a new profile under a fresh id, with " (2)" etc. added when the name is taken. */
  create(profile: NewProfile): Promise<AppResult<ProfileRecord>> {
    return this.serialize(async () => {
      const name = this.cleanName(profile.name);
      if (!name.ok) return name;
      const taken = (await this.list()).map((r) => r.name);
      return this.write({ ...profile, version: 1, id: newId(), name: uniqueName(name.value, taken) });
    });
  }

  rename(id: string, newName: string): Promise<AppResult<ProfileRecord>> {
    return this.serialize(async () => {
      const name = this.cleanName(newName);
      if (!name.ok) return name;
      const current = await this.get(id);
      if (!current.ok) return current;
      const taken = (await this.list()).filter((r) => r.id !== id).map((r) => r.name);
      return this.write({ ...current.value, name: uniqueName(name.value, taken) });
    });
  }

  remove(id: string): Promise<AppResult<{ ok: true }>> {
    return this.serialize(async () => {
      try {
        await unlink(this.path(id));
        (await this.records()).delete(id);
        return ok({ ok: true as const });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return failed(appError('profile-not-found', 'errProfileNotFound'));
        return failed(appError('store-write-failed', 'errStoreWrite', {}, errorDetail(e)));
      }
    });
  }

  /** Writes the canonical text to `path`, private to the user (it holds keys). */
  async exportTo(id: string, path: string): Promise<AppResult<{ ok: true }>> {
    const record = await this.get(id);
    if (!record.ok) return record;
    try {
      await writeFileAtomic(path, record.value.canonical, { mode: 0o600 });
      return ok({ ok: true as const });
    } catch (e) {
      return failed(appError('export-failed', 'errExportFailed', {}, errorDetail(e)));
    }
  }
}
