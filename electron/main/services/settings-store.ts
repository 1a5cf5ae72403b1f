/**
 * The user's settings (`<userData>/settings.json`): validated on the way in and out, defaults for
 * anything missing or invalid (one bad field does not reset the others), written atomically.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { settings as settingsSchema, type AppResult, type Settings } from '../../../shared/ipc/app-api.js';
import { ensurePrivateFolder, writeFileAtomic, type TempWriter } from './atomic-file.js';
import { appError, errorDetail, failed, ok } from './errors.js';

export const DEFAULT_SETTINGS: Settings = {
  launchAtLogin: false,
  connectOnLaunch: null,
  notifications: true,
  language: 'system',
  // Issue 14: on by default for full-tunnel sessions; the LAN only when the user allows it.
  killSwitch: true,
  allowLan: false,
};

export interface FirewallOptions {
  killSwitch?: false;
  allowLan: boolean;
}

/**
 * What a connect asks of the helper's firewall. The kill switch on is the helper's own default
 * (on for full tunnels, also one an OpenVPN server pushes; split tunnels are not guarded), so it
 * is left unsaid: an explicit `true` would make the helper refuse a split-tunnel profile.
 */
export function connectOptionsFrom(settings: Pick<Settings, 'killSwitch' | 'allowLan'>): FirewallOptions {
  return settings.killSwitch ? { allowLan: settings.allowLan } : { killSwitch: false, allowLan: settings.allowLan };
}

/** Keeps each field that is valid on its own; the default for the rest. */
export function settingsFrom(raw: unknown): Settings {
  const result: Settings = { ...DEFAULT_SETTINGS };
  if (typeof raw !== 'object' || raw === null) return result;
  const fields = settingsSchema.shape;
  const record = raw as Record<string, unknown>;
  const pick = <K extends keyof Settings>(key: K): void => {
    const parsed = fields[key].safeParse(record[key]);
    // The schema of field K accepted the value, so it has K's type.
    if (parsed.success) result[key] = parsed.data as Settings[K];
  };
  pick('launchAtLogin');
  pick('connectOnLaunch');
  pick('notifications');
  pick('language');
  pick('killSwitch');
  pick('allowLan');
  return result;
}

export class SettingsStore {
  private current: Settings = { ...DEFAULT_SETTINGS };
  private readonly path: string;

  constructor(readonly folder: string, private readonly options: { writer?: TempWriter } = {}) {
    this.path = join(folder, 'settings.json');
  }

  async load(): Promise<Settings> {
    await ensurePrivateFolder(this.folder);
    try {
      this.current = settingsFrom(JSON.parse(await readFile(this.path, 'utf8')));
    } catch {
      this.current = { ...DEFAULT_SETTINGS };
    }
    return this.get();
  }

  get(): Settings {
    return { ...this.current };
  }

  async update(changes: Partial<Settings>): Promise<AppResult<Settings>> {
    const next = settingsSchema.safeParse({ ...this.current, ...changes });
    if (!next.success) return failed(appError('bad-request', 'errBadRequest', {}, next.error.message));
    try {
      await writeFileAtomic(this.path, `${JSON.stringify(next.data, null, 2)}\n`, { mode: 0o600, writer: this.options.writer });
    } catch (e) {
      return failed(appError('store-write-failed', 'errStoreWrite', {}, errorDetail(e)));
    }
    this.current = next.data;
    return ok(this.get());
  }
}
