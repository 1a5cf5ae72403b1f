/**
 * Files chosen or dropped together are one import (issue 15): profiles read the other files as
 * their companions by name; certificates and keys are never inspected or shown as profiles and
 * their content never reaches the review; a lone certificate gets one sentence; a missing
 * companion can be added to the same review, which is then inspected again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { appError, failed } from '../../electron/main/services/errors.js';
import { ImportReviews, inspectChosen, maskKeyMaterial, orderErrors } from '../../electron/main/services/import-reviews.js';
import { ProfileStore } from '../../electron/main/services/profile-store.js';
import type { ImportFile, ImportPreview, ImportSource } from '../../shared/ipc/app-api.js';
import { importSource } from '../../shared/ipc/app-api.js';
import { catalog } from '../../shared/i18n/catalog.js';
import { PROFILE_KINDS } from '../../shared/profiles/kinds.js';

const SEED = join(import.meta.dirname, '../fixtures/seed');
const SWANCTL = join(import.meta.dirname, '../fixtures/ikev2/swanctl');
const hasIkev2 = (PROFILE_KINDS as readonly string[]).includes('ikev2');
const work = mkdtempSync(join(tmpdir(), 'tsunagu-import-companions-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const seed = (name: string) => new Uint8Array(readFileSync(join(SEED, name)));
const b64 = (name: string, bytes: Uint8Array = seed(name)): ImportFile => ({ name, base64: Buffer.from(bytes).toString('base64') });
const KEY_BODY = readFileSync(join(SEED, 'client.key'), 'utf8').split('\n').filter((l) => l && !l.startsWith('-----'));

let stores = 0;
async function reviews(): Promise<ImportReviews> {
  const store = new ProfileStore(join(work, `s${stores++}`));
  await store.open();
  return new ImportReviews({ store, download: async () => failed<never>(appError('url-network', 'errUrlNetwork')) });
}

async function prepare(r: ImportReviews, source: ImportSource): Promise<ImportPreview> {
  // What the renderer sends is what the IPC schema accepts.
  expect(importSource.safeParse(source).success).toBe(true);
  const prepared = await r.prepare(source, 'en');
  if (!prepared.ok) throw new Error(prepared.error.message.en);
  return prepared.value;
}

function noKeyMaterial(preview: ImportPreview): void {
  const shown = JSON.stringify(preview);
  for (const line of KEY_BODY.slice(0, 5)) expect(shown).not.toContain(line.slice(0, 24));
  expect(shown).not.toContain('BEGIN PRIVATE KEY');
}

describe('files chosen together', () => {
  it("the seed's client profile and its three files (as bytes, as a browser sends them) are one review with one profile", async () => {
    const r = await reviews();
    const preview = await prepare(r, { kind: 'files', files: [b64('client.ovpn'), b64('ca.crt'), b64('client.crt'), b64('client.key')] });
    expect(preview.items).toHaveLength(1);
    expect(preview.items[0]).toMatchObject({ file: 'client.ovpn', ok: true, isProfile: true, kind: 'openvpn', inlinedFiles: ['ca.crt', 'client.crt', 'client.key'], missingFiles: [] });
    expect(preview.unusedFiles).toEqual([]);
    // The placeholder server is pointed out at import.
    expect(preview.items[0]?.advisories.map((a) => a.code)).toContain('OVPN_PLACEHOLDER_SERVER');
    // The summary does not repeat the name the Name field shows.
    expect(preview.items[0]?.rows.some(([label]) => label === 'Name')).toBe(false);
    noKeyMaterial(preview);
  });

  it('in any order, and by path (Electron) as well', async () => {
    const r = await reviews();
    const paths = ['client.key', 'ca.crt', 'client.ovpn', 'client.crt'].map((n) => ({ path: join(SEED, n) }));
    const preview = await prepare(r, { kind: 'files', files: paths });
    expect(preview.items.map((i) => [i.file, i.ok])).toEqual([['client.ovpn', true]]);
    expect(preview.source).toBe(`${SEED} (client.key, ca.crt, client.ovpn, client.crt)`);
  });

  it('a companion no profile uses is named as unused, never read as a profile', async () => {
    const r = await reviews();
    const preview = await prepare(r, { kind: 'files', files: [b64('client.ovpn'), b64('ca.crt'), b64('client.crt'), b64('client.key'), b64('extra.pem', seed('ca.crt'))] });
    expect(preview.items).toHaveLength(1);
    expect(preview.unusedFiles).toEqual(['extra.pem']);
  });

  it('works for any kind: a WireGuard profile chosen with an unrelated certificate is one profile and one unused file', async () => {
    const r = await reviews();
    const preview = await prepare(r, { kind: 'files', files: [b64('wg-client.conf'), b64('ca.crt')] });
    expect(preview.items.map((i) => [i.file, i.ok, i.kind])).toEqual([['wg-client.conf', true, 'wireguard']]);
    expect(preview.unusedFiles).toEqual(['ca.crt']);
  });

  it('a companion the engine reads by name through the file source is found whatever the format (inspectChosen is kind-agnostic)', () => {
    // A bundle's profile (here the zip's, with ca.crt inside) reads the loose chosen files too.
    const zip = inspectChosen({
      loose: [{ name: 'client.crt', bytes: seed('client.crt') }, { name: 'client.key', bytes: seed('client.key') }],
      bundles: [{ displayName: 'bundle.zip/office/client.ovpn', fileName: 'client.ovpn', bytes: seed('client.ovpn'), files: { description: { en: 'bundle.zip', ja: 'bundle.zip' }, read: (n) => (n === 'ca.crt' ? seed('ca.crt') : null) } }],
    });
    expect(zip.items.map((i) => [i.displayName, i.result.ok, i.result.inlinedFiles])).toEqual([['bundle.zip/office/client.ovpn', true, ['ca.crt', 'client.crt', 'client.key']]]);
    expect(zip.unusedFiles).toEqual([]);
  });

  // The companion mechanism asks the engine, so a new kind needs nothing here; this runs once 'ikev2' is registered.
  it.skipIf(!hasIkev2)('an IKEv2 swanctl.conf chosen with its ca.pem, client.pem and client.key is one review with one profile', async () => {
    const r = await reviews();
    const files = ['cert.swanctl.conf', 'ca.pem', 'client.pem', 'client.key'].map((n) => b64(n, new Uint8Array(readFileSync(join(SWANCTL, n)))));
    const preview = await prepare(r, { kind: 'files', files });
    expect(preview.items.map((i) => [i.file, i.kind, i.isProfile, i.missingFiles])).toEqual([['cert.swanctl.conf', 'ikev2', true, []]]);
    expect(preview.unusedFiles).toEqual([]);
    const keyLines = readFileSync(join(SWANCTL, 'client.key'), 'utf8').split('\n').filter((l) => l && !l.startsWith('-----'));
    for (const line of keyLines.slice(0, 3)) expect(JSON.stringify(preview)).not.toContain(line.slice(0, 24));
  });

  it.skipIf(!hasIkev2)('an IKEv2 profile missing its key offers to add it, and the review turns importable', async () => {
    const r = await reviews();
    const files = ['cert.swanctl.conf', 'ca.pem', 'client.pem'].map((n) => b64(n, new Uint8Array(readFileSync(join(SWANCTL, n)))));
    const first = await prepare(r, { kind: 'files', files });
    expect(first.items[0]).toMatchObject({ ok: false, kind: 'ikev2', missingFiles: ['client.key'], rootCauses: 1 });
    expect(first.items[0]?.errors[0]?.message.en).toContain('Choose “Add the missing files…” to add it.');
    const added = await prepare(r, { kind: 'files', files: [b64('client.key', new Uint8Array(readFileSync(join(SWANCTL, 'client.key'))))], addTo: first.importId });
    expect(added.items[0]).toMatchObject({ ok: true, kind: 'ikev2', missingFiles: [] });
  });

  it('a binary .p12 named by the profile is read as its companion, not listed as a file or a profile', async () => {
    const r = await reviews();
    const profile = new TextEncoder().encode('client\ndev tun\nremote vpn.real-provider.net 1194\npkcs12 me.p12\n');
    const p12 = new Uint8Array([0x30, 0x82, 0x0a, 0x00, 0x02, 0x01, 0x03, 0x30, 0x82, 0x09, 0xc6, 0x06]);
    const preview = await prepare(r, { kind: 'files', files: [b64('client.ovpn', profile), b64('me.p12', p12)] });
    expect(preview.items.map((i) => i.file)).toEqual(['client.ovpn']);
    expect(preview.unusedFiles).toEqual([]);
    expect(preview.items[0]?.missingFiles).toEqual([]);
    expect(preview.items[0]?.errors.map((e) => e.code)).not.toContain('IMPORT_FILE_MISSING');
  });

  it('a .zip chosen with loose files is one review as well', async () => {
    const r = await reviews();
    const zip = zipSync({ 'client.ovpn': seed('client.ovpn'), 'ca.crt': seed('ca.crt') });
    const preview = await prepare(r, { kind: 'files', files: [b64('vpn.zip', zip), b64('client.crt'), b64('client.key')] });
    expect(preview.items.map((i) => [i.file, i.ok])).toEqual([['vpn.zip/client.ovpn', true]]);
  });
});

describe('what is not a profile', () => {
  it.each([
    ['ca.crt', 'a certificate'],
    ['client.key', 'a private key'],
  ])('%s chosen alone gets one clear message and no key text', async (name, what) => {
    const r = await reviews();
    const preview = await prepare(r, { kind: 'files', files: [b64(name)] });
    expect(preview.items).toHaveLength(1);
    const [only] = preview.items;
    expect(only).toMatchObject({ file: name, ok: false, isProfile: false, rootCauses: 1 });
    expect(only?.errors).toHaveLength(1);
    expect(only?.errors[0]).toMatchObject({ code: 'IMPORT_COMPANION_ALONE', text: '' });
    expect(only?.errors[0]?.message.en).toBe(`This is ${what}, not a VPN profile. Choose it together with the profile (.ovpn, .conf …) that uses it: files chosen together are imported as one.`);
    expect(only?.errors[0]?.message.ja).toContain('一緒に選択してください');
    expect(only?.advisories).toEqual([]);
    noKeyMaterial(preview);
  });

  it('several certificates and keys chosen without their profile: one message each, none parsed as a profile', async () => {
    const r = await reviews();
    const preview = await prepare(r, { kind: 'files', files: [b64('ca.crt'), b64('client.crt'), b64('client.key')] });
    expect(preview.items.map((i) => [i.file, i.errors.map((e) => e.code)])).toEqual([
      ['ca.crt', ['IMPORT_COMPANION_ALONE']], ['client.crt', ['IMPORT_COMPANION_ALONE']], ['client.key', ['IMPORT_COMPANION_ALONE']],
    ]);
    noKeyMaterial(preview);
  });

  it('a binary PKCS#12 bundle chosen alone is named as such; pasted key text too', async () => {
    const r = await reviews();
    const p12 = new Uint8Array([0x30, 0x82, 0x0a, 0x00, 0x02, 0x01, 0x03, 0x30, 0x82, 0x09, 0xc6, 0x06]);
    const alone = await prepare(r, { kind: 'files', files: [b64('me.p12', p12)] });
    expect(alone.items[0]?.errors.map((e) => e.message.en)).toEqual([expect.stringContaining('This is a PKCS#12 bundle (certificate and key), not a VPN profile.')]);
    const pasted = await prepare(r, { kind: 'text', text: readFileSync(join(SEED, 'client.key'), 'utf8') });
    expect(pasted.items[0]).toMatchObject({ isProfile: false, errors: [{ code: 'IMPORT_COMPANION_ALONE' }] });
    noKeyMaterial(pasted);
  });

  it('a binary file named like a profile is refused as binary, first and alone, without a kind', async () => {
    const r = await reviews();
    const junk = new Uint8Array(256).map((_, i) => (i * 37) & 0xff);
    const preview = await prepare(r, { kind: 'files', files: [b64('broken.ovpn', junk)] });
    expect(preview.items).toHaveLength(1);
    expect(preview.items[0]).toMatchObject({ file: 'broken.ovpn', isProfile: false, rootCauses: 1, errors: [{ code: 'PROFILE_BINARY' }] });
  });
});

describe('a missing companion', () => {
  it('is named, and "Add the missing files" re-inspects the same review with it', async () => {
    const r = await reviews();
    const first = await prepare(r, { kind: 'files', files: [b64('client.ovpn'), b64('ca.crt'), b64('client.crt')] });
    expect(first.items).toHaveLength(1);
    expect(first.items[0]).toMatchObject({ ok: false, isProfile: true, missingFiles: ['client.key'] });
    const [root] = first.items[0]?.errors ?? [];
    expect(root?.code).toBe('IMPORT_FILE_MISSING');
    // Its fix is the review's button, in both languages.
    expect(root?.message.en).toBe("Line 7: 'key' needs the file 'client.key', which was not chosen together with the profile. Choose “Add the missing files…” to add it.");
    // The button's own words, as the renderer labels it.
    expect(root?.message.en).toContain(`“${catalog.en.review.addMissing}”`);
    expect(root?.message.ja).toContain(`「${catalog.ja.review.addMissing}」`);
    expect(root?.message.ja).toBe("7 行目: 'key' にはファイル 'client.key' が必要ですが、プロファイルと一緒に選択されていません。「足りないファイルを追加…」で追加してください。");
    expect(first.items[0]?.rootCauses).toBeGreaterThan(0);

    const added = await prepare(r, { kind: 'files', files: [b64('client.key')], addTo: first.importId });
    expect(added.importId).not.toBe(first.importId);
    expect(added.source).toBe(`${first.source}, client.key`);
    expect(added.items).toHaveLength(1);
    expect(added.items[0]).toMatchObject({ ok: true, missingFiles: [], inlinedFiles: ['ca.crt', 'client.crt', 'client.key'] });
    // The old review is gone; the new one saves.
    expect(await r.commit(first.importId)).toMatchObject({ ok: false, error: { code: 'import-expired' } });
    expect(await r.commit(added.importId)).toMatchObject({ ok: true });
  });

  it('pasted text that names files offers them too; its name still comes from the profile', async () => {
    const r = await reviews();
    const pasted = await prepare(r, { kind: 'text', text: readFileSync(join(SEED, 'client.ovpn'), 'utf8') });
    expect(pasted.items[0]).toMatchObject({ ok: false, isProfile: true, missingFiles: ['ca.crt', 'client.crt', 'client.key'] });
    const added = await prepare(r, { kind: 'files', files: [b64('ca.crt'), b64('client.crt'), b64('client.key')], addTo: pasted.importId });
    expect(added.items).toHaveLength(1);
    expect(added.items[0]).toMatchObject({ ok: true, name: 'vpn-server-ip', inlinedFiles: ['ca.crt', 'client.crt', 'client.key'] });
  });

  it('adding to a review that is gone says so', async () => {
    const r = await reviews();
    const prepared = await r.prepare({ kind: 'files', files: [b64('client.key')], addTo: 'abcdef0123456789' }, 'en');
    expect(prepared).toMatchObject({ ok: false, error: { code: 'import-expired' } });
  });

  it('a profile chosen by path still finds files beside it that were not chosen', async () => {
    const dir = join(work, 'beside');
    rmSync(dir, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    for (const n of ['client.ovpn', 'ca.crt', 'client.crt', 'client.key']) writeFileSync(join(dir, n), seed(n));
    const r = await reviews();
    const preview = await prepare(r, { kind: 'files', files: [{ path: join(dir, 'client.ovpn') }] });
    expect(preview.items[0]).toMatchObject({ ok: true, inlinedFiles: ['ca.crt', 'client.crt', 'client.key'] });
  });
});

describe('root cause first, key material masked', () => {
  it('orders root causes before what follows from them', () => {
    const e = (code: string, line: number) => ({ code, line, column: 1, message: { en: code, ja: code }, text: '' });
    const ordered = orderErrors([e('OVPN_UNKNOWN_OPTION', 1), e('OVPN_UNKNOWN_OPTION', 2), e('PROFILE_NOT_UTF8', 0)]);
    expect(ordered.errors.map((x) => x.code)).toEqual(['PROFILE_NOT_UTF8', 'OVPN_UNKNOWN_OPTION', 'OVPN_UNKNOWN_OPTION']);
    expect(ordered.rootCauses).toBe(1);
    expect(orderErrors([e('POLICY_RUNS_PROGRAM', 2)]).rootCauses).toBe(0);
    // Any kind's missing companion is a root cause.
    expect(orderErrors([e('IKEV2_BAD_PROPOSAL', 3), e('IKEV2_FILE_MISSING', 9)]).errors.map((x) => x.code)).toEqual(['IKEV2_FILE_MISSING', 'IKEV2_BAD_PROPOSAL']);
  });

  it('masks base64 and PEM runs in quoted text, keeps ordinary words and host names', () => {
    expect(maskKeyMaterial(KEY_BODY[0] ?? '')).toBe('[…]');
    expect(maskKeyMaterial('PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=')).toBe('PrivateKey = […]');
    expect(maskKeyMaterial('-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----')).toBe('[…]');
    expect(maskKeyMaterial("Line 4: 'remote' names jp-tok-st022.prod.surfshark.com")).toBe("Line 4: 'remote' names jp-tok-st022.prod.surfshark.com");
    expect(maskKeyMaterial('tls-cipher TLS-DHE-RSA-WITH-AES-256-GCM-SHA384')).toBe('tls-cipher TLS-DHE-RSA-WITH-AES-256-GCM-SHA384');
  });

  it('a profile with a key pasted without its <key> tags never quotes the key in its errors', async () => {
    const r = await reviews();
    const text = `${readFileSync(join(SEED, 'client.ovpn'), 'utf8').replace(/^key .*$/m, '')}${readFileSync(join(SEED, 'client.key'), 'utf8')}`;
    const preview = await prepare(r, { kind: 'files', files: [b64('untagged-key.ovpn', new TextEncoder().encode(text)), b64('ca.crt'), b64('client.crt')] });
    expect(preview.items).toHaveLength(1);
    expect(preview.items[0]?.ok).toBe(false);
    // The engine quotes the offending lines; the review shows where, not what.
    expect(preview.items[0]?.errors.some((e) => e.text.includes('[…]'))).toBe(true);
    noKeyMaterial(preview);
  });
});
