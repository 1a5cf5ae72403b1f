/**
 * Saved sign-in details, encrypted by the operating system's keychain through Electron's
 * safeStorage (injected, so this runs in plain Node). Something is saved only when the user asked
 * for it AND the keychain is a real one: Linux's `basic_text` backend encrypts with a hard-coded
 * password, which protects nothing, so there the user is asked every time instead. Challenge
 * responses (one-time codes) are never saved. Nothing is ever written in clear.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import type { Credentials } from '../../../shared/ipc/helper-protocol.js';
import { ensurePrivateFolder, writeFileAtomic } from './atomic-file.js';

/** The part of Electron's `safeStorage` the vault uses. */
export interface SafeStorage {
  isEncryptionAvailable(): boolean;
  /** Linux's backend ('gnome_libsecret', 'kwallet5', 'basic_text', 'unknown' …); elsewhere the shell reports the OS keychain. */
  getSelectedStorageBackend(): string;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export type KeychainKind = 'real' | 'basic_text' | 'unavailable';

export function keychainKind(storage: SafeStorage): KeychainKind {
  if (!storage.isEncryptionAvailable()) return 'unavailable';
  const backend = storage.getSelectedStorageBackend();
  if (backend === 'basic_text') return 'basic_text';
  // 'unknown' is what Linux reports before the app is ready: nothing is known to protect the key yet.
  if (backend === 'unknown') return 'unavailable';
  return 'real';
}

const userPass = z.object({ username: z.string(), password: z.string() });
const passphrase = z.object({ passphrase: z.string() });
export type SavedUserPass = z.infer<typeof userPass>;

export interface SavedCredentials {
  userpass?: SavedUserPass;
  passphrase?: string;
}

/** Encrypted entries per profile, base64 of safeStorage's output. */
const vaultFile = z.object({
  version: z.literal(1),
  profiles: z.record(z.string(), z.object({ userpass: z.string().optional(), passphrase: z.string().optional() })),
});
type VaultFile = z.infer<typeof vaultFile>;

export class CredentialVault {
  private readonly path: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly folder: string, private readonly storage: SafeStorage) {
    this.path = join(folder, 'credentials.json');
  }

  keychain(): KeychainKind {
    return keychainKind(this.storage);
  }

  private async readFile(): Promise<VaultFile> {
    try {
      const parsed = vaultFile.safeParse(JSON.parse(await readFile(this.path, 'utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // missing or unreadable: no saved credentials
    }
    return { version: 1, profiles: {} };
  }

  private mutate(change: (file: VaultFile) => void): Promise<void> {
    const run = this.queue.then(async () => {
      const file = await this.readFile();
      change(file);
      await ensurePrivateFolder(this.folder);
      await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Saves what can be reused from `credentials` for `profileId`, if the keychain is real.
   * Returns whether anything was saved.
   */
  async save(profileId: string, credentials: Credentials): Promise<boolean> {
    if (this.keychain() !== 'real') return false;
    let field: 'userpass' | 'passphrase';
    let secret: string;
    switch (credentials.kind) {
      case 'userpass':
      case 'challenge':
        // For a challenge, only the account is reusable; the response is a one-time code.
        field = 'userpass';
        secret = JSON.stringify({ username: credentials.username, password: credentials.password });
        break;
      case 'passphrase':
        field = 'passphrase';
        secret = JSON.stringify({ passphrase: credentials.passphrase });
        break;
      case 'cancel':
        return false;
    }
    const encrypted = this.storage.encryptString(secret).toString('base64');
    await this.mutate((file) => {
      file.profiles[profileId] = { ...file.profiles[profileId], [field]: encrypted };
    });
    return true;
  }

  async load(profileId: string): Promise<SavedCredentials> {
    if (this.keychain() !== 'real') return {};
    const entry = (await this.readFile()).profiles[profileId];
    if (!entry) return {};
    const saved: SavedCredentials = {};
    const decrypt = (value: string): unknown => {
      try {
        return JSON.parse(this.storage.decryptString(Buffer.from(value, 'base64')));
      } catch {
        // Another keychain (or a reset one) cannot decrypt it: as good as not saved.
        return null;
      }
    };
    if (entry.userpass) {
      const parsed = userPass.safeParse(decrypt(entry.userpass));
      if (parsed.success) saved.userpass = parsed.data;
    }
    if (entry.passphrase) {
      const parsed = passphrase.safeParse(decrypt(entry.passphrase));
      if (parsed.success) saved.passphrase = parsed.data.passphrase;
    }
    return saved;
  }

  /** Profiles with something saved (read without decrypting: macOS may prompt on decrypt). */
  async profilesWithSaved(): Promise<Set<string>> {
    if (this.keychain() !== 'real') return new Set();
    return new Set(Object.keys((await this.readFile()).profiles));
  }

  /** Forgets one kind of saved secret for a profile, or all of them. */
  async forget(profileId: string, field?: 'userpass' | 'passphrase'): Promise<void> {
    const current = (await this.readFile()).profiles[profileId];
    if (!current) return;
    await this.mutate((file) => {
      const entry = file.profiles[profileId];
      if (!entry) return;
      const kept = field === 'userpass' ? { passphrase: entry.passphrase } : field === 'passphrase' ? { userpass: entry.userpass } : {};
      const others = Object.entries(file.profiles).filter(([id]) => id !== profileId);
      const keep = Object.values(kept).some((v) => v !== undefined);
      file.profiles = Object.fromEntries(keep ? [...others, [profileId, kept]] : others);
    });
  }
}
