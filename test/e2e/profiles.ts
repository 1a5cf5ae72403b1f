/** Profiles for the e2e tests: many written through the store's API (the list's performance test), lab IKE files chosen in the UI. */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Locator, Page } from 'playwright';
import { newProfileFrom, isAccepted } from '../../electron/main/services/profile-record.js';
import { ProfileStore } from '../../electron/main/services/profile-store.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { ROOT } from './harness.js';

/** Writes `count` WireGuard profiles through the profile store's API (not the UI). */
export async function writeProfiles(dataDir: string, count: number): Promise<void> {
  const text = readFileSync(join(ROOT, 'test/fixtures/seed/wg-client.conf'), 'utf8');
  const result = inspectProfile(text, { fileName: 'wg-client.conf' });
  if (!isAccepted(result)) throw new Error('the seed WireGuard profile was refused');
  // The services open the store at <dataDir>/profiles (createAppServices).
  const store = new ProfileStore(join(dataDir, 'profiles'));
  await store.open();
  for (let i = 0; i < count; i++) {
    const created = await store.create(newProfileFrom(result, { name: `Office ${String(i + 1).padStart(4, '0')}`, originalText: text, source: 'e2e', importedAt: 1_700_000_000_000 + i }));
    if (!created.ok) throw new Error(`profile ${i} not saved: ${created.error.code}`);
  }
}

/** A file as the browser's file chooser hands it over. */
export interface ChosenFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/**
 * A lab IKE scenario's client.swanctl.conf (or `text` in its place, e.g. a variant) with its
 * companion files (CA, client certificate, key), as a user chooses them together.
 */
export function ikeLabFiles(profile: { profile: string; extraFiles: string[] }, text?: string): ChosenFile[] {
  const file = (path: string, body?: string): ChosenFile => ({ name: basename(path), mimeType: 'application/octet-stream', buffer: body === undefined ? readFileSync(path) : Buffer.from(body) });
  return [file(profile.profile, text), ...profile.extraFiles.map((f) => file(f))];
}

/** Import… → Choose files… with `files` chosen together; returns the review dialog. */
export async function chooseTogether(page: Page, files: ChosenFile[], words = { importButton: 'Import…', importDialog: 'Import a profile', chooseFiles: 'Choose files…', review: 'Check before saving' }): Promise<Locator> {
  await page.getByRole('button', { name: words.importButton }).first().click();
  const dialog = page.getByRole('dialog', { name: words.importDialog });
  await dialog.waitFor();
  const chooser = page.waitForEvent('filechooser');
  await dialog.getByRole('button', { name: words.chooseFiles }).click();
  await (await chooser).setFiles(files);
  const review = page.getByRole('dialog', { name: words.review });
  await review.waitFor();
  return review;
}
