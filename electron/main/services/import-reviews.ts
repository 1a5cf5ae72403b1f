/**
 * Every import is two steps: `prepare` reads and inspects the source and keeps the result in
 * memory under an import id; the user reviews it; `commit` saves the accepted profiles (or
 * `cancel` forgets them). Nothing reaches the disk before the user has seen what it is.
 *
 * Files chosen or dropped together are one import: the profiles among them read the others
 * (ca.crt, client.key, ta.key, a .p12, swanctl's certificates …) as companion files by name,
 * whatever the profile's kind, and a companion is never inspected or shown as a profile.
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type { AppResult, ImportFile, ImportPreview, ImportSource } from '../../../shared/ipc/app-api.js';
import { mainText } from '../../../shared/i18n/main-catalog.js';
import type { Advisory, LocalizedText, ProfileError } from '../../../shared/profiles/diagnostics.js';
import { inspectProfile, type InspectResult } from '../../../shared/profiles/inspect.js';
import { isProfileFileName } from '../../../shared/profiles/kinds.js';
import { companionAloneError, keyMaterialKind } from '../../../shared/profiles/not-a-profile.js';
import type { ProfileFileSource } from '../../../shared/profiles/openvpn/inliner.js';
import { summarizeProfile } from '../../../shared/profiles/summary.js';
import { decodeProfileText } from '../../../shared/profiles/text.js';
import {
  chosenFileSource, chosenZip, folderFileSource, layeredFileSource, MAX_PROFILE_BYTES, readChosenPath, recordingFileSource,
  type ChosenFile, type ProfileCandidate,
} from '../profile-sources.js';
import { appError, failed, ok } from './errors.js';
import { isAccepted, newProfileFrom } from './profile-record.js';
import type { ProfileStore } from './profile-store.js';
import type { DownloadedProfile } from './url-import.js';

export interface PendingItem {
  displayName: string;
  originalText: string;
  result: InspectResult;
  /** False for a file that is not a profile (a lone certificate, a document): shown without a kind. */
  isProfile: boolean;
  /** Names the profile asked for that were not found (only for a refused profile). */
  missingFiles: string[];
}

/** What a review was made from, kept so that "Add the missing files…" can inspect it again. */
export interface ChosenInputs {
  loose: ChosenFile[];
  bundles: ProfileCandidate[];
}

interface PendingImport {
  id: string;
  source: string;
  items: PendingItem[];
  unusedFiles: string[];
  inputs: ChosenInputs | null;
  createdAt: number;
}

export interface ImportReviewsOptions {
  store: ProfileStore;
  download: (url: string) => Promise<AppResult<DownloadedProfile>>;
  now?: () => number;
  /** How long an unanswered review is kept (default 30 minutes). */
  ttlMs?: number;
  /** Reviews kept at once; the oldest is dropped beyond this (default 20). */
  maxPending?: number;
}

/** The engine's verdict "this is not a profile at all" (its one error), for any kind. */
const NOT_A_PROFILE = new Set(['PROFILE_NOT_A_PROFILE', 'PROFILE_BINARY']);

/**
 * Errors that explain the others: shown first, the rest folded under them. A file that is not a
 * profile, or a profile that cannot be read without a missing file, makes every later error moot.
 */
const ROOT_CAUSES = new Set([
  'PROFILE_BINARY', 'PROFILE_NOT_A_PROFILE', 'PROFILE_NOT_UTF8', 'IMPORT_COMPANION_ALONE', 'POLICY_SERVER_CONFIG', 'OVPN_NOT_A_CLIENT',
  'IMPORT_FILE_BINARY', 'IMPORT_FILE_TOO_LARGE', 'POLICY_FILE_REFERENCE',
]);
/** Every kind names a missing companion file <KIND>_FILE_MISSING (IMPORT_ for OpenVPN's inliner, IKEV2_ …). */
const FILE_MISSING = /^[A-Z0-9]+_FILE_MISSING$/;

function isRootCause(e: ProfileError): boolean {
  return ROOT_CAUSES.has(e.code) || FILE_MISSING.test(e.code);
}

function isNotAProfile(result: InspectResult): boolean {
  return !result.ok && result.errors.length > 0 && result.errors.every((e) => NOT_A_PROFILE.has(e.code));
}

function textOf(bytes: Uint8Array): string | null {
  const decoded = decodeProfileText(bytes);
  return 'text' in decoded ? decoded.text : null;
}

/**
 * Key material never reaches the screen: a run of base64 or hex long enough to be part of a key,
 * certificate or static key is replaced wherever an error or advisory quotes the profile.
 */
const KEY_LIKE = /[A-Za-z0-9+/]{24,}={0,2}/g;

export function maskKeyMaterial(text: string): string {
  return text.replace(/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g, '[…]')
    .replace(KEY_LIKE, (run) => (/[0-9]/.test(run) && /[A-Za-z]/.test(run) ? '[…]' : run));
}

function maskLocalized(text: LocalizedText): LocalizedText {
  return { en: maskKeyMaterial(text.en), ja: maskKeyMaterial(text.ja) };
}

function maskError(e: ProfileError): ProfileError {
  return { ...e, text: maskKeyMaterial(e.text), message: maskLocalized(e.message) };
}

function maskAdvisory(a: Advisory): Advisory {
  return { ...a, message: maskLocalized(a.message), explanation: maskLocalized(a.explanation) };
}

/**
 * The engine tells a missing file's fix for any caller ("put it next to the profile"); in the review
 * the fix is the button beside it, so the message says that, in the same two languages.
 */
function missingFileError(e: ProfileError, missingFiles: readonly string[]): ProfileError {
  if (!FILE_MISSING.test(e.code)) return e;
  const [directive = '', ...args] = e.text.trim().split(/\s+/);
  const name = missingFiles.find((n) => args.some((a) => a.replace(/^["']|["']$/g, '').split(/[\\/]/).pop() === n));
  if (name === undefined) return e;
  const where = e.line > 0 ? { en: `Line ${e.line}: `, ja: `${e.line} 行目: ` } : { en: '', ja: '' };
  return {
    ...e,
    message: {
      en: `${where.en}'${directive}' needs the file '${name}', which was not chosen together with the profile. Choose “Add the missing files…” to add it.`,
      ja: `${where.ja}'${directive}' にはファイル '${name}' が必要ですが、プロファイルと一緒に選択されていません。「足りないファイルを追加…」で追加してください。`,
    },
  };
}

/** Root causes first (in their own order), then what follows from them; how many lead. */
export function orderErrors(errors: readonly ProfileError[]): { errors: ProfileError[]; rootCauses: number } {
  const roots = errors.filter(isRootCause);
  const rest = errors.filter((e) => !isRootCause(e));
  return { errors: [...roots, ...rest], rootCauses: roots.length };
}

function item(displayName: string, input: Uint8Array | string, result: InspectResult, isProfile: boolean, missingFiles: string[] = []): PendingItem {
  const decoded = decodeProfileText(input);
  return { displayName, originalText: 'text' in decoded ? decoded.text : '', result, isProfile, missingFiles };
}

/** A certificate or key chosen alone gets one sentence saying so; other non-profiles keep the engine's. */
function notAProfileItem(file: ChosenFile, probe: InspectResult): PendingItem {
  const what = keyMaterialKind(textOf(file.bytes), file.name);
  const result: InspectResult = what && !probe.ok ? { ...probe, errors: [companionAloneError(what)], advisories: [] } : probe;
  return item(file.name, file.bytes, result, false);
}

/**
 * One import from files chosen together: which are profiles, which are their companions (by what
 * the engine says, so any kind's companions work), and each profile inspected with the chosen files
 * (then the folder it was chosen from, or its .zip) as the files it names.
 */
export function inspectChosen(inputs: ChosenInputs): { items: PendingItem[]; unusedFiles: string[] } {
  const chosen = chosenFileSource(inputs.loose);
  const profiles: Array<{ displayName: string; fileName: string | undefined; bytes: Uint8Array; beside: ProfileFileSource | null }> = [];
  const companions: Array<{ file: ChosenFile; probe: InspectResult }> = [];
  const refusedFiles: PendingItem[] = [];
  for (const file of inputs.loose) {
    const fileName = file.unnamed ? undefined : file.name;
    const probe = inspectProfile(file.bytes, fileName === undefined ? {} : { fileName });
    if (!isNotAProfile(probe)) profiles.push({ displayName: file.name, fileName, bytes: file.bytes, beside: file.folder ? folderFileSource(file.folder) : null });
    // Named like a profile (kinds.ts): a non-profile so named is shown as a refused file, not a companion.
    else if (isProfileFileName(file.name) && !keyMaterialKind(textOf(file.bytes), file.name)) refusedFiles.push(item(file.name, file.bytes, probe, false));
    else companions.push({ file, probe });
  }
  for (const c of inputs.bundles) profiles.push({ displayName: c.displayName, fileName: c.fileName, bytes: c.bytes, beside: c.files });

  if (profiles.length === 0) {
    return { items: [...refusedFiles, ...companions.map(({ file, probe }) => notAProfileItem(file, probe))], unusedFiles: [] };
  }
  const used = new Set<string>();
  const items = profiles.map((p) => {
    const recorder = recordingFileSource(layeredFileSource(p.beside ? [chosen, p.beside] : [chosen]));
    const result = inspectProfile(p.bytes, p.fileName === undefined ? { files: recorder.source } : { fileName: p.fileName, files: recorder.source });
    for (const name of recorder.found) used.add(name);
    return item(p.displayName, p.bytes, result, !isNotAProfile(result), result.ok ? [] : [...recorder.missing].sort());
  });
  const unusedFiles = companions.map(({ file }) => file.name).filter((name) => !used.has(name));
  return { items: [...items, ...refusedFiles], unusedFiles };
}

type Read = { label: string; items: PendingItem[]; unusedFiles: string[]; inputs: ChosenInputs | null };

function fileError(code: string, en: string, ja: string, detail: string): AppResult<never> {
  return failed({ code, message: { en, ja }, detail });
}

function chosenLabel(files: readonly ImportFile[]): string {
  const paths = files.flatMap((f) => ('path' in f ? [f.path] : []));
  const [first] = paths;
  if (paths.length === 1 && files.length === 1 && first !== undefined) return first;
  const names = files.map((f) => ('path' in f ? basename(f.path) : f.name)).join(', ');
  const folders = new Set(paths.map((p) => dirname(p)));
  const label = paths.length === files.length && folders.size === 1 ? `${[...folders].join('')} (${names})` : names;
  return label.length > 300 ? `${label.slice(0, 299)}…` : label;
}

/** Reads every chosen file: paths from disk (folders and .zip as bundles), names with their bytes. */
function readChosen(files: readonly ImportFile[]): AppResult<ChosenInputs> {
  const inputs: ChosenInputs = { loose: [], bundles: [] };
  for (const f of files) {
    if ('path' in f) {
      const read = readChosenPath(f.path);
      if (!read.ok) return failed({ code: read.error.code, message: read.error.message, detail: read.error.path });
      if (read.kind === 'file') inputs.loose.push(read.file);
      else inputs.bundles.push(...read.candidates);
      continue;
    }
    const name = basename(f.name.replace(/\\/g, '/'));
    const bytes = new Uint8Array(Buffer.from(f.base64, 'base64'));
    if (bytes.length > MAX_PROFILE_BYTES) {
      return fileError('IMPORT_TOO_LARGE', `${name} is larger than 1 MiB; a VPN profile and its files are much smaller. Check that it is the right file.`,
        `${name} は 1 MiB を超えています。VPN プロファイルとそのファイルはもっと小さいはずです。正しいファイルか確認してください。`, name);
    }
    const file: ChosenFile = { name, bytes };
    const zip = chosenZip(file);
    if (zip === null) inputs.loose.push(file);
    else if (!zip.ok) return failed({ code: zip.error.code, message: zip.error.message, detail: zip.error.path });
    else if (zip.kind === 'bundle') inputs.bundles.push(...zip.candidates);
  }
  return ok(inputs);
}

/** The newly chosen files replace chosen files of the same name; bundles are added. */
function mergeInputs(before: ChosenInputs, added: ChosenInputs): ChosenInputs {
  const names = new Set(added.loose.map((f) => f.name));
  return { loose: [...added.loose, ...before.loose.filter((f) => !names.has(f.name))], bundles: [...before.bundles, ...added.bundles] };
}

export class ImportReviews {
  private readonly pending = new Map<string, PendingImport>();

  constructor(private readonly options: ImportReviewsOptions) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private expire(): void {
    const limit = this.now() - (this.options.ttlMs ?? 30 * 60_000);
    for (const [id, p] of this.pending) if (p.createdAt < limit) this.pending.delete(id);
    const max = this.options.maxPending ?? 20;
    // Map iteration is insertion order: the first entries are the oldest.
    for (const id of this.pending.keys()) {
      if (this.pending.size < max) break;
      this.pending.delete(id);
    }
  }

  private async read(source: ImportSource, lang: 'en' | 'ja'): Promise<AppResult<Read>> {
    switch (source.kind) {
      case 'path':
      case 'files': {
        const files: ImportFile[] = source.kind === 'path' ? [{ path: source.path }] : source.files;
        const read = readChosen(files);
        if (!read.ok) return read;
        let inputs = read.value;
        let label = chosenLabel(files);
        if (source.kind === 'files' && source.addTo !== undefined) {
          this.expire();
          const before = this.pending.get(source.addTo);
          if (!before?.inputs) return failed(appError('import-expired', 'errImportExpired'));
          inputs = mergeInputs(before.inputs, inputs);
          label = `${before.source}, ${files.map((f) => ('path' in f ? basename(f.path) : f.name)).join(', ')}`;
        }
        return ok({ label, inputs, ...inspectChosen(inputs) });
      }
      // Pasted and downloaded profiles are one chosen file each: files they name can be added later.
      case 'text': {
        const label = mainText(lang, 'pastedText');
        const pasted: ChosenFile = source.fileName === undefined ? { name: label, bytes: new TextEncoder().encode(source.text), unnamed: true } : { name: source.fileName, bytes: new TextEncoder().encode(source.text) };
        const inputs: ChosenInputs = { loose: [pasted], bundles: [] };
        return ok({ label, inputs, ...inspectChosen(inputs) });
      }
      case 'url': {
        const downloaded = await this.options.download(source.url);
        if (!downloaded.ok) return downloaded;
        const { url, fileName, bytes } = downloaded.value;
        const inputs: ChosenInputs = { loose: [{ name: fileName, bytes }], bundles: [] };
        return ok({ label: url, inputs, ...inspectChosen(inputs) });
      }
    }
  }

  async prepare(source: ImportSource, lang: 'en' | 'ja'): Promise<AppResult<ImportPreview>> {
    const read = await this.read(source, lang);
    if (!read.ok) return read;
    // The review the files were added to is replaced by the new one (a new id: its items changed).
    if (source.kind === 'files' && source.addTo !== undefined) this.pending.delete(source.addTo);
    this.expire();
    const { label, items, unusedFiles, inputs } = read.value;
    const review: PendingImport = { id: randomBytes(8).toString('hex'), source: label, items, unusedFiles, inputs, createdAt: this.now() };
    this.pending.set(review.id, review);
    return ok(this.preview(review, lang));
  }

  private preview(review: PendingImport, lang: 'en' | 'ja'): ImportPreview {
    return {
      importId: review.id,
      source: review.source,
      items: review.items.map(({ displayName, result, isProfile, missingFiles }) => {
        const ordered = orderErrors(result.errors.map((e) => maskError(missingFileError(e, missingFiles))));
        // The review's Name field shows the name; the summary's own "Name" row would repeat it.
        const rows = result.profile ? summarizeProfile(result.profile, result.name, lang).filter(([, value], i) => !(i === 0 && value === result.name)) : [];
        return {
          file: displayName,
          ok: result.ok,
          kind: result.kind,
          name: result.name,
          layer: result.layer,
          ...(result.profile?.kind === 'ikev2' ? { ikeVersion: result.profile.version } : {}),
          rows,
          advisories: result.advisories.map(maskAdvisory),
          errors: ordered.errors,
          inlinedFiles: result.inlinedFiles,
          isProfile,
          rootCauses: ordered.rootCauses,
          missingFiles,
        };
      }),
      unusedFiles: review.unusedFiles,
    };
  }

  /** Saves every accepted item; `names[i]` (when given) names `items[i]`. */
  async commit(importId: string, names?: string[]): Promise<AppResult<{ ids: string[] }>> {
    this.expire();
    const review = this.pending.get(importId);
    if (!review) return failed(appError('import-expired', 'errImportExpired'));
    if (!review.items.some((entry) => isAccepted(entry.result))) return failed(appError('import-nothing', 'errImportNothing'));
    // Claimed before the first await: a double-click cannot save the same profiles twice.
    this.pending.delete(importId);
    const ids: string[] = [];
    const importedAt = this.now();
    for (const [index, entry] of review.items.entries()) {
      const { result } = entry;
      if (!isAccepted(result)) continue;
      const name = names?.[index] ?? result.name;
      const saved = await this.options.store.create(newProfileFrom(result, { name, originalText: entry.originalText, source: review.source, importedAt }));
      if (!saved.ok) return saved;
      ids.push(saved.value.id);
    }
    return ok({ ids });
  }

  cancel(importId: string): void {
    this.pending.delete(importId);
  }

  get size(): number {
    return this.pending.size;
  }
}
