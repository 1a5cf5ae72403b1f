/** Writes many profiles through the profile store's API (not the UI), for the list's performance test. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newProfileFrom, isAccepted } from '../../electron/main/services/profile-record.js';
import { ProfileStore } from '../../electron/main/services/profile-store.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { ROOT } from './harness.js';

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
