/**
 * Main's stores on a real temporary folder: profiles (import review → save, names, rename, delete,
 * export), settings, and the atomic writes under them — a writer that dies half-way and a child
 * process killed mid-write in a loop must never leave a record that does not parse.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isTemporaryName, writeFileAtomic, type TempWriter } from '../../electron/main/services/atomic-file.js';
import { ImportReviews } from '../../electron/main/services/import-reviews.js';
import { detailsOf, newProfileFrom, profileRecord, isAccepted, type NewProfile } from '../../electron/main/services/profile-record.js';
import { ProfileStore, uniqueName } from '../../electron/main/services/profile-store.js';
import { DEFAULT_SETTINGS, SettingsStore, settingsFrom } from '../../electron/main/services/settings-store.js';
import { failed } from '../../electron/main/services/errors.js';
import { appError } from '../../electron/main/services/errors.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';

const ROOT = join(import.meta.dirname, '../..');
const SEED = join(ROOT, 'test/fixtures/seed');
const work = mkdtempSync(join(tmpdir(), 'tsunagu-main-stores-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let folders = 0;
function folder(): string {
  return join(work, `f${folders++}`);
}

const WG = readFileSync(join(SEED, 'wg-client.conf'), 'utf8');
const PRIVATE_KEY = 'qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=';

function wireGuardProfile(name: string, padding = ''): NewProfile {
  const result = inspectProfile(WG, { fileName: 'wg-client.conf' });
  if (!isAccepted(result)) throw new Error('seed profile refused');
  return newProfileFrom(result, { name, originalText: WG + padding, source: 'test', importedAt: 1 });
}

const noDownloads = async () => failed<never>(appError('url-network', 'errUrlNetwork'));

describe('profile store', () => {
  it('saves one private JSON record per profile and lists them by name', async () => {
    const store = new ProfileStore(folder());
    await store.open();
    const b = await store.create(wireGuardProfile('Branch'));
    const a = await store.create(wireGuardProfile('Admin'));
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect((await store.list()).map((r) => r.name)).toEqual(['Admin', 'Branch']);
    const file = join(store.folder, `${a.value.id}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(store.folder).mode & 0o777).toBe(0o700);
    expect(profileRecord.parse(JSON.parse(readFileSync(file, 'utf8')))).toMatchObject({ id: a.value.id, name: 'Admin', kind: 'wireguard', server: '192.168.108.101:51820', needsCredentials: false });
  });

  it('gives duplicate names " (2)", " (3)" and keeps renames unique too', async () => {
    const store = new ProfileStore(folder());
    await store.open();
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await store.create(wireGuardProfile('Office'));
      if (r.ok) names.push(r.value.name);
    }
    expect(names).toEqual(['Office', 'Office (2)', 'Office (3)']);
    const created = await store.create(wireGuardProfile('Home'));
    if (!created.ok) throw new Error('not saved');
    const renamed = await store.rename(created.value.id, 'office');
    expect(renamed.ok && renamed.value.name).toBe('office (4)');
    // Renaming a profile to its own name is not a clash.
    const same = await store.rename(created.value.id, 'office (4)');
    expect(same.ok && same.value.name).toBe('office (4)');
    expect(uniqueName('Office (2)', ['Office', 'Office (2)'])).toBe('Office (3)');
    expect(uniqueName('x'.repeat(64), ['x'.repeat(64)])).toHaveLength(64);
  });

  it('runs concurrent imports one at a time, so names never collide', async () => {
    const store = new ProfileStore(folder());
    await store.open();
    await Promise.all(Array.from({ length: 8 }, () => store.create(wireGuardProfile('Same'))));
    const names = (await store.list()).map((r) => r.name);
    expect(new Set(names).size).toBe(8);
  });

  it('reports a missing profile and a bad name as AppErrors in both languages', async () => {
    const store = new ProfileStore(folder());
    await store.open();
    const missing = await store.get('0123456789abcdef');
    expect(missing).toMatchObject({ ok: false, error: { code: 'profile-not-found' } });
    if (!missing.ok) expect(missing.error.message.ja).toMatch(/プロファイル/);
    const created = await store.create(wireGuardProfile('A'));
    if (!created.ok) throw new Error('not saved');
    expect(await store.rename(created.value.id, ' ... ')).toMatchObject({ ok: false, error: { code: 'profile-name-invalid' } });
    expect(await store.remove('0123456789abcdef')).toMatchObject({ ok: false, error: { code: 'profile-not-found' } });
  });

  it('skips records that do not parse instead of failing the list', async () => {
    const store = new ProfileStore(folder());
    await store.open();
    await store.create(wireGuardProfile('Good'));
    writeFileSync(join(store.folder, 'abcdefabcdef0000.json'), '{"version":1,"id":"abcdefabcdef0000"');
    writeFileSync(join(store.folder, 'fedcbafedcba0000.json'), JSON.stringify({ version: 99 }));
    expect((await store.list()).map((r) => r.name)).toEqual(['Good']);
  });

  it('deletes, and exports the canonical text with mode 0600', async () => {
    const store = new ProfileStore(folder());
    await store.open();
    const created = await store.create(wireGuardProfile('Export me'));
    if (!created.ok) throw new Error('not saved');
    const target = join(work, 'exported.conf');
    writeFileSync(target, 'old', { mode: 0o644 });
    expect(await store.exportTo(created.value.id, target)).toEqual({ ok: true, value: { ok: true } });
    expect(readFileSync(target, 'utf8')).toBe(created.value.canonical);
    expect(readFileSync(target, 'utf8')).toContain(`PrivateKey = ${PRIVATE_KEY}`);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(await store.exportTo(created.value.id, join(work, 'no-such-folder', 'x.conf'))).toMatchObject({ ok: false, error: { code: 'export-failed' } });
    expect((await store.remove(created.value.id)).ok).toBe(true);
    expect(await store.list()).toEqual([]);
  });

  it('shows details with secrets masked, in the UI language', async () => {
    const store = new ProfileStore(folder());
    await store.open();
    const created = await store.create(wireGuardProfile('Masked'));
    if (!created.ok) throw new Error('not saved');
    const en = detailsOf(created.value, false, 'en');
    expect(en.maskedConfig).not.toContain(PRIVATE_KEY);
    expect(en.maskedConfig).toContain('PrivateKey = [hidden]');
    expect(en.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(en.rows[0]).toEqual(['Name', 'Masked']);
    expect(detailsOf(created.value, false, 'ja').rows[0]).toEqual(['名前', 'Masked']);

    const ovpn = inspectProfile(readFileSync(join(SEED, 'client.ovpn')), { fileName: 'client.ovpn', files: { description: { en: 'seed', ja: 'seed' }, read: (n) => (/^[\w.]+$/.test(n) ? readFileSync(join(SEED, n)) : null) } });
    if (!isAccepted(ovpn)) throw new Error('seed openvpn profile refused');
    const saved = await store.create(newProfileFrom(ovpn, { name: 'OVPN', originalText: '', source: 'test', importedAt: 2 }));
    if (!saved.ok) throw new Error('not saved');
    const details = detailsOf(saved.value, false, 'en');
    expect(saved.value.canonical).toContain('-----BEGIN PRIVATE KEY-----');
    expect(details.maskedConfig).not.toContain('BEGIN PRIVATE KEY');
    expect(details.maskedConfig).toContain('<key>\n[hidden]\n</key>');
    expect(details.maskedConfig).toContain('BEGIN CERTIFICATE');
  });
});

describe('import review', () => {
  it('keeps a prepared import in memory only, and saves it on commit', async () => {
    const store = new ProfileStore(folder());
    await store.open();
    const reviews = new ImportReviews({ store, download: noDownloads });
    const preview = await reviews.prepare({ kind: 'path', path: join(SEED, 'client.ovpn') }, 'en');
    if (!preview.ok) throw new Error(preview.error.message.en);
    expect(preview.value).toMatchObject({ source: join(SEED, 'client.ovpn'), items: [{ file: 'client.ovpn', ok: true, kind: 'openvpn', name: 'client', inlinedFiles: ['ca.crt', 'client.crt', 'client.key'] }] });
    expect(readdirSync(store.folder)).toEqual([]);
    const committed = await reviews.commit(preview.value.importId, ['Work VPN']);
    if (!committed.ok) throw new Error(committed.error.message.en);
    const saved = await store.get(committed.value.ids[0] ?? '');
    expect(saved.ok && saved.value).toMatchObject({ name: 'Work VPN', kind: 'openvpn', server: 'vpn-server-ip:1194/udp', source: join(SEED, 'client.ovpn') });
    expect(saved.ok && saved.value.originalText).toBe(readFileSync(join(SEED, 'client.ovpn'), 'utf8'));
    // Committing twice does not save twice.
    expect(await reviews.commit(preview.value.importId)).toMatchObject({ ok: false, error: { code: 'import-expired' } });
  });

  it('cancels, expires old reviews, and refuses to commit when everything was refused', async () => {
    let now = 1_000_000;
    const store = new ProfileStore(folder());
    await store.open();
    const reviews = new ImportReviews({ store, download: noDownloads, now: () => now, ttlMs: 60_000 });
    const pasted = await reviews.prepare({ kind: 'text', text: WG }, 'ja');
    if (!pasted.ok) throw new Error('prepare failed');
    expect(pasted.value.source).toBe('貼り付けたテキスト');
    reviews.cancel(pasted.value.importId);
    expect(await reviews.commit(pasted.value.importId)).toMatchObject({ ok: false, error: { code: 'import-expired' } });

    const stale = await reviews.prepare({ kind: 'text', text: WG, fileName: 'home.conf' }, 'en');
    if (!stale.ok) throw new Error('prepare failed');
    now += 61_000;
    expect(await reviews.commit(stale.value.importId)).toMatchObject({ ok: false, error: { code: 'import-expired' } });

    const server = await reviews.prepare({ kind: 'path', path: join(SEED, 'server.conf') }, 'en');
    if (!server.ok) throw new Error('prepare failed');
    expect(server.value.items[0]).toMatchObject({ ok: false, errors: [{ code: 'POLICY_SERVER_CONFIG' }] });
    expect(await reviews.commit(server.value.importId)).toMatchObject({ ok: false, error: { code: 'import-nothing' } });
    expect(await reviews.prepare({ kind: 'path', path: join(work, 'missing.ovpn') }, 'en')).toMatchObject({ ok: false, error: { code: 'IMPORT_NOT_FOUND' } });
    expect(await store.list()).toEqual([]);
  });

  it('keeps at most 20 reviews, dropping the oldest', async () => {
    const store = new ProfileStore(folder());
    const reviews = new ImportReviews({ store, download: noDownloads });
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const r = await reviews.prepare({ kind: 'text', text: WG }, 'en');
      if (r.ok) ids.push(r.value.importId);
    }
    expect(reviews.size).toBe(20);
    expect(await reviews.commit(ids[0] ?? '')).toMatchObject({ ok: false, error: { code: 'import-expired' } });
  });
});

describe('settings store', () => {
  it('starts from defaults and keeps valid fields of a damaged file', async () => {
    const dir = folder();
    const store = new SettingsStore(dir);
    expect(await store.load()).toEqual(DEFAULT_SETTINGS);
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ launchAtLogin: true, notifications: 'yes', language: 'ja', connectOnLaunch: '../../etc' }));
    expect(await store.load()).toEqual({ ...DEFAULT_SETTINGS, launchAtLogin: true, language: 'ja' });
    writeFileSync(join(dir, 'settings.json'), '{ not json');
    expect(await store.load()).toEqual(DEFAULT_SETTINGS);
    expect(settingsFrom(null)).toEqual(DEFAULT_SETTINGS);
  });

  it('validates updates and writes them atomically (0600)', async () => {
    const dir = folder();
    const store = new SettingsStore(dir);
    await store.load();
    expect(await store.update({ notifications: false, connectOnLaunch: '0123456789abcdef' })).toMatchObject({ ok: true, value: { notifications: false, connectOnLaunch: '0123456789abcdef' } });
    expect(await new SettingsStore(dir).load()).toMatchObject({ notifications: false, connectOnLaunch: '0123456789abcdef' });
    expect(statSync(join(dir, 'settings.json')).mode & 0o777).toBe(0o600);
    expect(await store.update({ language: 'fr' as 'en' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(store.get().language).toBe('system');
  });
});

/** A writer that puts half the bytes in the temporary file and then "crashes". */
const halfThenCrash: TempWriter = {
  async write(file, data) {
    await file.write(data, 0, Math.floor(data.length / 2));
    throw new Error('simulated crash mid-write');
  },
};

describe('atomic writes', () => {
  it('leave the old record intact when the writer dies half-way', async () => {
    const dir = folder();
    const store = new ProfileStore(dir);
    await store.open();
    const created = await store.create(wireGuardProfile('Before'));
    if (!created.ok) throw new Error('not saved');
    const crashing = new ProfileStore(dir, { writer: halfThenCrash });
    const renamed = await crashing.rename(created.value.id, 'After');
    expect(renamed).toMatchObject({ ok: false, error: { code: 'store-write-failed', detail: 'simulated crash mid-write' } });
    const settings = new SettingsStore(dir, { writer: halfThenCrash });
    await settings.load();
    expect((await settings.update({ notifications: false })).ok).toBe(false);
    expect(settings.get().notifications).toBe(true);
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) expect(() => JSON.parse(readFileSync(join(dir, name), 'utf8'))).not.toThrow();
    expect((await store.get(created.value.id)).ok && (await store.list())[0]?.name).toBe('Before');
  });

  it('ignore and clean up temporary files a crash left behind', async () => {
    const dir = folder();
    const store = new ProfileStore(dir);
    await store.open();
    await store.create(wireGuardProfile('Kept'));
    const torn = join(dir, '.0123456789abcdef.json.tmp-1-abcd');
    writeFileSync(torn, '{"version":1,"id":"0123');
    expect(isTemporaryName('.0123456789abcdef.json.tmp-1-abcd')).toBe(true);
    expect((await store.list()).map((r) => r.name)).toEqual(['Kept']);
    await new ProfileStore(dir).open();
    expect(readdirSync(dir).some(isTemporaryName)).toBe(false);
  });

  it('never leave a torn record when the writing process is killed at random moments', async () => {
    const dir = folder();
    const store = new ProfileStore(dir);
    await store.open();
    // Large records (≈ 600 KB) so that a kill often lands in the middle of writing one.
    const padding = `# ${'x'.repeat(600_000)}\n`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await store.create(wireGuardProfile(`Record ${i}`, padding));
      if (r.ok) ids.push(r.value.id);
    }
    const child = join(work, 'rename-forever.mts');
    writeFileSync(child, [
      `const { ProfileStore } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'electron/main/services/profile-store.ts')).href)});`,
      `const store = new ProfileStore(${JSON.stringify(dir)});`,
      `const ids = ${JSON.stringify(ids)};`,
      'process.stdout.write("ready\\n");',
      'for (let n = 0; ; n++) { const r = await store.rename(ids[n % ids.length], `Renamed ${n}`); if (!r.ok) throw new Error(r.error.detail); }',
    ].join('\n'));
    const tornTemporaries = new Set<string>();
    for (let round = 0; round < 16; round++) {
      const proc = spawn(process.execPath, ['--import', 'tsx', child], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
      const exited = new Promise((r) => proc.once('exit', r));
      // Half the rounds kill at a random moment; the other half the instant a temporary file
      // appears, i.e. while a record is being written.
      const watcher = round % 2 === 1 ? watch(dir, (_event, name) => {
        if (name && isTemporaryName(name)) proc.kill('SIGKILL');
      }) : null;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 150));
      proc.kill('SIGKILL');
      await exited;
      watcher?.close();
      for (const name of readdirSync(dir).filter(isTemporaryName)) tornTemporaries.add(name);
      for (const name of readdirSync(dir).filter((n) => !isTemporaryName(n))) {
        const record = profileRecord.parse(JSON.parse(readFileSync(join(dir, name), 'utf8')));
        expect(record.originalText.length).toBeGreaterThan(600_000);
      }
      const listed = await new ProfileStore(dir).list();
      expect(listed.map((r) => r.id).sort()).toEqual([...ids].sort());
    }
    // Evidence that kills did land mid-write (they left temporaries), not only between writes.
    expect(tornTemporaries.size).toBeGreaterThan(0);
  }, 60_000);

  it('writes bytes exactly and replaces the previous content', async () => {
    const path = join(folder(), 'x.bin');
    await new ProfileStore(join(path, '..')).open();
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, 'second');
    expect(readFileSync(path, 'utf8')).toBe('second');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
