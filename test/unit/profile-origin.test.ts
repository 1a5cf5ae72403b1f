/**
 * Issue 15, "'imported on' wording for created profiles": a profile made with "New WireGuard
 * tunnel" (or `tsunagu wg new`, the same function) is marked created in its summary, so the details
 * say "Created on …"; an imported one still says "Imported on …". en/ja.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import i18next from 'i18next';
import { afterAll, describe, expect, it } from 'vitest';
import { newProfileFrom, summaryOf } from '../../electron/main/services/profile-record.js';
import { ProfileStore } from '../../electron/main/services/profile-store.js';
import { createWireGuardProfile } from '../../electron/main/services/wireguard-create.js';
import { catalog } from '../../shared/i18n/catalog.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';

const work = mkdtempSync(join(tmpdir(), 'tsunagu-origin-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const request = { name: 'Made here', address: '10.9.0.2/32', endpoint: '198.18.1.1:51820', serverPublicKey: 'm58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=', allowedIPs: '10.9.0.0/24' };
const imported = '[Interface]\nPrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=\nAddress = 10.8.0.2/32\n\n[Peer]\nPublicKey = m58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=\nAllowedIPs = 10.8.0.0/24\nEndpoint = 198.18.1.1:51820\n';

describe('where a profile came from', () => {
  it('a created profile is marked created in its summary; an imported one is not', async () => {
    const store = new ProfileStore(join(work, 'profiles'));
    await store.open();
    const made = await createWireGuardProfile(store, request, { now: 1_700_000_000_000 });
    if (!made.ok || !made.value.created) throw new Error(JSON.stringify(made));
    const inspection = inspectProfile(imported, { fileName: 'office.conf' });
    if (!inspection.ok || inspection.canonical === null) throw new Error(JSON.stringify(inspection.errors));
    const saved = await store.create(newProfileFrom(inspection, { name: 'Office', originalText: imported, source: '/home/alice/office.conf', importedAt: 1_700_000_000_000 }));
    if (!saved.ok) throw new Error(saved.error.message.en);

    const summaries = (await store.list()).map((record) => summaryOf(record, false));
    expect(summaries.map((s) => [s.name, s.created ?? false])).toEqual([['Made here', true], ['Office', false]]);
  });

  it('the details say "Created on" for a created profile and "Imported on" for an imported one, in English and Japanese', () => {
    const t = i18next.createInstance();
    void t.init({ lng: 'en', initAsync: false, showSupportNotice: false, resources: { en: { translation: catalog.en }, ja: { translation: catalog.ja } }, interpolation: { escapeValue: false } });
    const date = '2026/12/02 16:00';
    expect(t.t('details.createdOn', { lng: 'en', date })).toBe(`Created on ${date}`);
    expect(t.t('details.createdOn', { lng: 'ja', date })).toBe(`${date} に作成`);
    expect(t.t('details.importedOn', { lng: 'en', date })).toBe(`Imported on ${date}`);
    expect(t.t('details.importedOn', { lng: 'ja', date })).toBe(`${date} にインポート`);
  });
});
