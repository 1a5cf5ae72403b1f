/**
 * The kill switch's intended state on disk, so a helper that crashed (or was restarted, or the
 * machine rebooted) finds what it was doing and keeps blocking. Written atomically (temp file,
 * fsync, rename, fsync of the directory): a reader sees the old record or the new one, never a
 * torn one. The file is root's alone (0600 in a root-only directory): whoever could write it could
 * make the restarted helper lift the block.
 */
import { closeSync, fsyncSync, lstatSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { makeDirectory, unsafeDirectory } from '../run-dir.js';
import { firewallError, FirewallIntentSchema, type FirewallIntent, type Result } from './intent.js';

/** Persistent (not /run): always-on must still hold after a reboot, before the app starts. */
export const DEFAULT_FIREWALL_STATE_DIR = '/var/lib/tsunagu';
export const INTENT_FILE = 'firewall-intent.json';

export const StoredIntentSchema = z
  .object({
    version: z.literal(1),
    intent: FirewallIntentSchema,
    /** The session the intent belongs to, if any (a 'tunnel' or 'blocked' intent). */
    sessionId: z.string().max(200).nullable(),
    /** The uid that session belonged to (who, besides root, may lift its block); absent in older records. */
    uid: z.number().int().min(0).nullable().optional(),
    savedAt: z.string().max(40),
  })
  .strict();
export type StoredIntent = z.infer<typeof StoredIntentSchema>;

const UNSAFE = { en: "The kill switch's state folder is not safe to use.", ja: 'キルスイッチの状態フォルダーは安全に使用できません。' };
const UNREADABLE = { en: "The kill switch's saved state could not be read; traffic stays blocked.", ja: 'キルスイッチの保存された状態を読み取れませんでした。通信は遮断されたままです。' };

function checkedDir(dir: string): Result<string> {
  const why = unsafeDirectory(dir, 'kill switch state directory');
  return why === null ? { ok: true, value: dir } : { ok: false, error: firewallError('firewall-state-unsafe', UNSAFE, why) };
}

/** Creates the state directory (0700 root) when missing; refuses one that others could write. */
export function prepareStateDir(dir: string = DEFAULT_FIREWALL_STATE_DIR): Result<string> {
  try {
    makeDirectory(dir, 0o700);
  } catch (e) {
    return { ok: false, error: firewallError('firewall-state-unsafe', UNSAFE, `cannot create ${dir}: ${(e as Error).message}`) };
  }
  return checkedDir(dir);
}

/** Writes `dir/file` so that a reader sees the old text or the new one, never a torn one. */
export function writeAtomically(dir: string, file: string, text: string): Result<null> {
  const safe = checkedDir(dir);
  if (!safe.ok) return safe;
  const path = join(dir, file);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    rmSync(temp, { force: true });
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch (e) {
    rmSync(temp, { force: true });
    return { ok: false, error: firewallError('firewall-state-unsafe', { en: "The kill switch's state could not be saved.", ja: 'キルスイッチの状態を保存できませんでした。' }, (e as Error).message) };
  }
  return { ok: true, value: null };
}

export function saveIntent(dir: string, intent: FirewallIntent, sessionId: string | null, now: Date = new Date(), uid: number | null = null): Result<StoredIntent> {
  const record: StoredIntent = { version: 1, intent, sessionId, uid, savedAt: now.toISOString() };
  const written = writeAtomically(dir, INTENT_FILE, `${JSON.stringify(record)}\n`);
  return written.ok ? { ok: true, value: record } : written;
}

/** The JSON in `dir/file` (root's alone, 0600); null when there is none. */
export function readPrivateJson(dir: string, file: string): Result<unknown> {
  const safe = checkedDir(dir);
  if (!safe.ok) return safe;
  const path = join(dir, file);
  let text: string;
  try {
    const st = lstatSync(path);
    if (!st.isFile() || st.uid !== 0 || (st.mode & 0o077) !== 0) {
      return { ok: false, error: firewallError('firewall-state-unsafe', UNSAFE, `${path} must be a regular file owned by root with mode 0600`) };
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, value: null };
    return { ok: false, error: firewallError('firewall-state-unreadable', UNREADABLE, (e as Error).message) };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: firewallError('firewall-state-unreadable', UNREADABLE, `${path}: ${(e as Error).message}`) };
  }
}

/** The saved record; null when none was ever saved. A file that is not root's alone, or not valid, is an error (the caller keeps blocking). */
export function loadIntent(dir: string = DEFAULT_FIREWALL_STATE_DIR): Result<StoredIntent | null> {
  const json = readPrivateJson(dir, INTENT_FILE);
  if (!json.ok || json.value === null) return json.ok ? { ok: true, value: null } : json;
  const parsed = StoredIntentSchema.safeParse(json.value);
  if (!parsed.success) return { ok: false, error: firewallError('firewall-state-unreadable', UNREADABLE, `${join(dir, INTENT_FILE)}: ${parsed.error.issues[0]?.message ?? 'invalid'}`) };
  return { ok: true, value: parsed.data };
}

/**
 * What a starting helper puts in the kernel from the saved record: a session that was up or
 * coming up when the helper died has no tunnel process any more, so it becomes 'blocked' (the
 * session manager may then reconnect, which applies 'tunnel' again); 'blocked' and 'lockdown'
 * stay as they are; nothing saved, or 'off', means no table. A record that cannot be read keeps
 * blocking, LAN included (fail closed).
 */
export function intentAfterRestart(saved: Result<StoredIntent | null>): FirewallIntent {
  if (!saved.ok) return { mode: 'blocked', allowLan: false };
  const intent = saved.value?.intent ?? { mode: 'off' };
  if (intent.mode === 'tunnel') return { mode: 'blocked', allowLan: intent.allowLan };
  return intent;
}
