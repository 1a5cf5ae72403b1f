/**
 * Reading profiles from disk for import: a single file (with the files beside it), a folder, or a
 * .zip bundle. Plain Node, shared by the app's import and the CLI. Paths never reach the profile
 * engine: it only sees bytes and a basename lookup confined to the folder or the zip.
 */
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import type { LocalizedText } from '../../shared/profiles/diagnostics.js';
import { isProfileBundleName, isProfileFileName, profileEndingsText } from '../../shared/profiles/kinds.js';
import { MAX_INLINED_FILE_BYTES, type ProfileFileSource } from '../../shared/profiles/openvpn/inliner.js';

export const MAX_PROFILE_BYTES = 1024 * 1024;
export const MAX_ZIP_BYTES = 16 * 1024 * 1024;
const MAX_ZIP_ENTRY_BYTES = 4 * 1024 * 1024;
const MAX_ZIP_TOTAL_BYTES = 32 * 1024 * 1024;
/** The endings a folder or .zip is searched for, from the kind registry, for messages. */
const ENDINGS = profileEndingsText();

export interface ProfileCandidate {
  /** What the user sees: "client.ovpn", "bundle.zip/office/client.ovpn". */
  displayName: string;
  fileName: string;
  bytes: Uint8Array;
  files: ProfileFileSource;
}

export interface SourceError {
  code: string;
  path: string;
  message: LocalizedText;
}

export type SourceResult = { ok: true; container: 'file' | 'folder' | 'zip'; candidates: ProfileCandidate[] } | { ok: false; error: SourceError };

function sourceError(code: string, path: string, en: string, ja: string): SourceResult {
  return { ok: false, error: { code, path, message: { en, ja } } };
}

/** Files in one folder, looked up by plain basename only (no subfolders, no `..`). */
export function folderFileSource(folder: string): ProfileFileSource {
  return {
    description: { en: `the folder ${folder}`, ja: `フォルダー ${folder}` },
    read(name: string): Uint8Array | null {
      if (name !== basename(name) || name === '.' || name === '..') return null;
      try {
        const path = join(folder, name);
        if (!statSync(path).isFile()) return null;
        // Read at most one byte past the engine's cap: it reports "too large" without us loading a huge file.
        return readPrefix(path, MAX_INLINED_FILE_BYTES + 1);
      } catch {
        return null;
      }
    },
  };
}

function readPrefix(path: string, limit: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(limit);
    let filled = 0;
    for (;;) {
      const n = readSync(fd, buf, filled, limit - filled, null);
      if (n === 0 || filled + n >= limit) return buf.subarray(0, filled + n);
      filled += n;
    }
  } finally {
    closeSync(fd);
  }
}

function readCapped(path: string, cap: number): Uint8Array | 'too-large' | 'unreadable' {
  try {
    const st = statSync(path);
    if (!st.isFile()) return 'unreadable';
    if (st.size > cap) return 'too-large';
    return new Uint8Array(readFileSync(path));
  } catch {
    return 'unreadable';
  }
}

/** A file the user chose or dropped, by its plain name (the browser has no path). */
export interface ChosenFile {
  name: string;
  bytes: Uint8Array;
  /** The folder it was chosen from (Electron): files the profile names but the user did not choose are looked up there. */
  folder?: string;
  /** Pasted text has no file name: `name` only labels it, and the profile is not named after it. */
  unnamed?: boolean;
}

/** The chosen files, looked up by plain basename (the first of a name wins). */
export function chosenFileSource(files: readonly ChosenFile[]): ProfileFileSource {
  const byName = new Map<string, Uint8Array>();
  for (const f of files) if (!byName.has(f.name)) byName.set(f.name, f.bytes);
  return {
    description: { en: 'the files chosen together with it', ja: '一緒に選択したファイル' },
    read: (name) => (name === basename(name) ? byName.get(name) ?? null : null),
  };
}

/** The first source that has the file; messages name the first source. */
export function layeredFileSource(sources: readonly ProfileFileSource[]): ProfileFileSource {
  const first = sources[0];
  return {
    description: first ? first.description : { en: 'the files chosen together with it', ja: '一緒に選択したファイル' },
    read(name) {
      for (const source of sources) {
        const bytes = source.read(name);
        if (bytes !== null) return bytes;
      }
      return null;
    },
  };
}

/** A source that remembers which names the profile asked for: found ones and missing ones. */
export function recordingFileSource(inner: ProfileFileSource): { source: ProfileFileSource; found: Set<string>; missing: Set<string> } {
  const found = new Set<string>();
  const missing = new Set<string>();
  return {
    found,
    missing,
    source: {
      description: inner.description,
      read(name) {
        const bytes = inner.read(name);
        if (bytes === null) missing.add(name);
        else found.add(name);
        return bytes;
      },
    },
  };
}

export type ChosenPathResult = { ok: true; kind: 'file'; file: ChosenFile } | { ok: true; kind: 'bundle'; candidates: ProfileCandidate[] } | { ok: false; error: SourceError };

/** A chosen path: a loose file (profile or companion), or a folder / .zip whose profiles are read as before. */
export function readChosenPath(path: string): ChosenPathResult {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    // reported below by profileCandidates
  }
  const isZip = isProfileBundleName(path);
  if (isDirectory || isZip) {
    const found = profileCandidates(path);
    return found.ok ? { ok: true, kind: 'bundle', candidates: found.candidates } : found;
  }
  const bytes = readCapped(path, MAX_PROFILE_BYTES);
  if (bytes === 'too-large' || bytes === 'unreadable') {
    const found = profileCandidates(path);
    return found.ok ? { ok: true, kind: 'bundle', candidates: found.candidates } : found;
  }
  if (isZipBytes(bytes)) return bundleOf(zipCandidates(path, bytes));
  return { ok: true, kind: 'file', file: { name: basename(path), bytes, folder: dirname(path) } };
}

/** Chosen bytes that are a .zip (by name or magic number) are read as a bundle. */
export function chosenZip(file: ChosenFile): ChosenPathResult | null {
  if (!isProfileBundleName(file.name) && !isZipBytes(file.bytes)) return null;
  return bundleOf(zipCandidates(file.name, file.bytes));
}

function bundleOf(found: SourceResult): ChosenPathResult {
  return found.ok ? { ok: true, kind: 'bundle', candidates: found.candidates } : found;
}

function isZipBytes(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function zipCandidates(zipPath: string, bytes: Uint8Array): SourceResult {
  let entries: Record<string, Uint8Array>;
  let total = 0;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        if (f.name.endsWith('/') || f.originalSize > MAX_ZIP_ENTRY_BYTES) return false;
        total += f.originalSize;
        return total <= MAX_ZIP_TOTAL_BYTES;
      },
    });
  } catch (e) {
    return sourceError('IMPORT_ZIP_INVALID', zipPath,
      `${basename(zipPath)} is not a readable .zip file (${e instanceof Error ? e.message : String(e)}). Re-create the archive and try again.`,
      `${basename(zipPath)} は読み取れる .zip ファイルではありません。アーカイブを作り直して、もう一度お試しください。`);
  }
  const names = Object.keys(entries).filter((n) => !n.split('/').some((part) => part === '..') && !n.startsWith('__MACOSX/'));
  const profiles = names.filter((n) => isProfileFileName(n)).sort();
  if (profiles.length === 0) {
    return sourceError('IMPORT_ZIP_EMPTY', zipPath,
      `${basename(zipPath)} contains no profile (${ENDINGS.en}).`,
      `${basename(zipPath)} にはプロファイル (${ENDINGS.ja}) が含まれていません。`);
  }
  const candidates = profiles.map((entryName): ProfileCandidate => {
    const dir = entryName.includes('/') ? entryName.slice(0, entryName.lastIndexOf('/') + 1) : '';
    return {
      displayName: `${basename(zipPath)}/${entryName}`,
      fileName: entryName.slice(dir.length),
      bytes: entries[entryName] ?? new Uint8Array(),
      files: {
        description: { en: `${basename(zipPath)} (folder '${dir || '/'}')`, ja: `${basename(zipPath)} (フォルダー '${dir || '/'}')` },
        read(name: string): Uint8Array | null {
          if (name.includes('/') || name === '..') return null;
          return entries[dir + name] ?? null;
        },
      },
    };
  });
  return { ok: true, container: 'zip', candidates };
}

/** Everything importable at `path`: a profile file, every profile in a folder, or in a .zip. */
export function profileCandidates(path: string): SourceResult {
  let st;
  try {
    st = statSync(path);
  } catch {
    return sourceError('IMPORT_NOT_FOUND', path, `${path} does not exist. Check the path.`, `${path} が見つかりません。パスを確認してください。`);
  }
  if (st.isDirectory()) {
    let names: string[];
    try {
      names = readdirSync(path).filter((n) => isProfileFileName(n)).sort();
    } catch {
      return sourceError('IMPORT_UNREADABLE', path, `${path} cannot be read (permission denied?).`, `${path} を読み取れません (アクセス権がない可能性があります)。`);
    }
    if (names.length === 0) {
      return sourceError('IMPORT_FOLDER_EMPTY', path, `${path} contains no profile (${ENDINGS.en}).`, `${path} にはプロファイル (${ENDINGS.ja}) がありません。`);
    }
    const files = folderFileSource(path);
    const candidates: ProfileCandidate[] = [];
    for (const name of names) {
      const bytes = readCapped(join(path, name), MAX_PROFILE_BYTES);
      if (typeof bytes === 'string') continue;
      candidates.push({ displayName: name, fileName: name, bytes, files });
    }
    return { ok: true, container: 'folder', candidates };
  }
  const isZip = isProfileBundleName(path);
  const bytes = readCapped(path, isZip ? MAX_ZIP_BYTES : MAX_PROFILE_BYTES);
  if (bytes === 'too-large') {
    const cap = (isZip ? MAX_ZIP_BYTES : MAX_PROFILE_BYTES) / (1024 * 1024);
    return sourceError('IMPORT_TOO_LARGE', path, `${basename(path)} is larger than ${cap} MiB; a VPN profile is much smaller. Check that it is the right file.`,
      `${basename(path)} は ${cap} MiB を超えています。VPN プロファイルはもっと小さいはずです。正しいファイルか確認してください。`);
  }
  if (bytes === 'unreadable') {
    return sourceError('IMPORT_UNREADABLE', path, `${path} cannot be read (permission denied?).`, `${path} を読み取れません (アクセス権がない可能性があります)。`);
  }
  if (isZip || isZipBytes(bytes)) return zipCandidates(path, bytes);
  return { ok: true, container: 'file', candidates: [{ displayName: basename(path), fileName: basename(path), bytes, files: folderFileSource(dirname(path)) }] };
}
