/**
 * The credential vault over a stand-in for Electron's safeStorage (AES-GCM with a key held in
 * memory, like a real keychain holds it): it saves only with a real keychain, never with Linux's
 * basic_text backend or none, never saves one-time challenge responses, and never writes a secret
 * in clear (the whole data folder is searched for it).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CredentialVault, keychainKind } from '../../electron/main/services/credential-vault.js';
import { testKeychain } from '../support/keychain.js';

const work = mkdtempSync(join(tmpdir(), 'tsunagu-main-vault-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let folders = 0;
const folder = () => join(work, `v${folders++}`);

const PROFILE = '0123456789abcdef';
const PASSWORD = 'correct horse battery staple 秘密';
const PASSPHRASE = 'key-passphrase-4711';


/** Every file under `dir`, as raw bytes. */
function allBytes(dir: string): Buffer[] {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return entries.map((e) => join(dir, e)).filter((p) => statSync(p).isFile()).map((p) => readFileSync(p));
}

function expectNowhereInClear(dir: string, secret: string): void {
  const forms = [secret, Buffer.from(secret).toString('base64'), JSON.stringify(secret).slice(1, -1)];
  for (const bytes of allBytes(dir)) {
    for (const form of forms) expect(bytes.includes(Buffer.from(form))).toBe(false);
    expect(bytes.toString('latin1').includes(secret)).toBe(false);
  }
}

describe('keychain kind', () => {
  it('is real only for an OS keychain that is available', () => {
    expect(keychainKind(testKeychain('gnome_libsecret'))).toBe('real');
    expect(keychainKind(testKeychain('kwallet6'))).toBe('real');
    expect(keychainKind(testKeychain('os-keychain'))).toBe('real');
    expect(keychainKind(testKeychain('basic_text'))).toBe('basic_text');
    expect(keychainKind(testKeychain('unknown'))).toBe('unavailable');
    expect(keychainKind(testKeychain('gnome_libsecret', false))).toBe('unavailable');
  });
});

describe('credential vault', () => {
  it('saves and loads with a real keychain, encrypted, in a 0600 file', async () => {
    const dir = folder();
    const vault = new CredentialVault(dir, testKeychain('gnome_libsecret'));
    expect(await vault.save(PROFILE, { kind: 'userpass', username: 'alice', password: PASSWORD })).toBe(true);
    expect(await vault.save(PROFILE, { kind: 'passphrase', passphrase: PASSPHRASE })).toBe(true);
    expect(await vault.load(PROFILE)).toEqual({ userpass: { username: 'alice', password: PASSWORD }, passphrase: PASSPHRASE });
    expect(await vault.profilesWithSaved()).toEqual(new Set([PROFILE]));
    expect(statSync(join(dir, 'credentials.json')).mode & 0o777).toBe(0o600);
    expectNowhereInClear(dir, PASSWORD);
    expectNowhereInClear(dir, PASSPHRASE);
    expectNowhereInClear(dir, 'alice');
  });

  it('persists nothing with basic_text, with no keychain, or before the app is ready', async () => {
    for (const storage of [testKeychain('basic_text'), testKeychain('gnome_libsecret', false), testKeychain('unknown')]) {
      const dir = folder();
      const vault = new CredentialVault(dir, storage);
      expect(await vault.save(PROFILE, { kind: 'userpass', username: 'alice', password: PASSWORD })).toBe(false);
      expect(await vault.save(PROFILE, { kind: 'passphrase', passphrase: PASSPHRASE })).toBe(false);
      expect(await vault.load(PROFILE)).toEqual({});
      expect(await vault.profilesWithSaved()).toEqual(new Set());
      expect(allBytes(dir)).toEqual([]);
    }
  });

  it('keeps the account of a challenge sign-in but never the one-time response', async () => {
    const dir = folder();
    const vault = new CredentialVault(dir, testKeychain('kwallet5'));
    expect(await vault.save(PROFILE, { kind: 'challenge', username: 'bob', password: PASSWORD, response: '987654' })).toBe(true);
    expect(await vault.load(PROFILE)).toEqual({ userpass: { username: 'bob', password: PASSWORD } });
    expect(await vault.save(PROFILE, { kind: 'cancel' })).toBe(false);
    expectNowhereInClear(dir, PASSWORD);
  });

  it('forgets one kind or everything, and treats what it cannot decrypt as not saved', async () => {
    const dir = folder();
    const vault = new CredentialVault(dir, testKeychain('gnome_libsecret'));
    await vault.save(PROFILE, { kind: 'userpass', username: 'alice', password: PASSWORD });
    await vault.save(PROFILE, { kind: 'passphrase', passphrase: PASSPHRASE });
    await vault.forget(PROFILE, 'userpass');
    expect(await vault.load(PROFILE)).toEqual({ passphrase: PASSPHRASE });
    await vault.forget(PROFILE);
    expect(await vault.load(PROFILE)).toEqual({});
    expect(await vault.profilesWithSaved()).toEqual(new Set());

    await vault.save(PROFILE, { kind: 'userpass', username: 'alice', password: PASSWORD });
    // Another keychain (a reset login keyring) cannot decrypt the entry.
    expect(await new CredentialVault(dir, testKeychain('gnome_libsecret')).load(PROFILE)).toEqual({});
  });
});
