/**
 * Every import is two steps: `prepare` reads and inspects the source and keeps the result in
 * memory under an import id; the user reviews it; `commit` saves the accepted profiles (or
 * `cancel` forgets them). Nothing reaches the disk before the user has seen what it is.
 */
import { randomBytes } from 'node:crypto';
import type { AppResult, ImportPreview, ImportSource } from '../../../shared/ipc/app-api.js';
import { mainText } from '../../../shared/i18n/main-catalog.js';
import { inspectProfile, type InspectResult } from '../../../shared/profiles/inspect.js';
import { summarizeProfile } from '../../../shared/profiles/summary.js';
import { decodeProfileText } from '../../../shared/profiles/text.js';
import { profileCandidates, type ProfileCandidate } from '../profile-sources.js';
import { appError, failed, ok } from './errors.js';
import { isAccepted, newProfileFrom } from './profile-record.js';
import type { ProfileStore } from './profile-store.js';
import type { DownloadedProfile } from './url-import.js';

interface PendingItem {
  displayName: string;
  originalText: string;
  result: InspectResult;
}

interface PendingImport {
  id: string;
  source: string;
  items: PendingItem[];
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

function inspectCandidate(candidate: ProfileCandidate): PendingItem {
  const decoded = decodeProfileText(candidate.bytes);
  return {
    displayName: candidate.displayName,
    originalText: 'text' in decoded ? decoded.text : '',
    result: inspectProfile(candidate.bytes, { fileName: candidate.fileName, files: candidate.files }),
  };
}

function singleItem(displayName: string, fileName: string | undefined, input: Uint8Array | string): PendingItem {
  const decoded = decodeProfileText(input);
  return {
    displayName,
    originalText: 'text' in decoded ? decoded.text : '',
    result: inspectProfile(input, fileName === undefined ? {} : { fileName }),
  };
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

  private async read(source: ImportSource, lang: 'en' | 'ja'): Promise<AppResult<{ label: string; items: PendingItem[] }>> {
    switch (source.kind) {
      case 'path': {
        const found = profileCandidates(source.path);
        if (!found.ok) return failed({ code: found.error.code, message: found.error.message, detail: found.error.path });
        return ok({ label: source.path, items: found.candidates.map(inspectCandidate) });
      }
      case 'text': {
        const label = mainText(lang, 'pastedText');
        return ok({ label, items: [singleItem(source.fileName ?? label, source.fileName, source.text)] });
      }
      case 'url': {
        const downloaded = await this.options.download(source.url);
        if (!downloaded.ok) return downloaded;
        const { url, fileName, bytes } = downloaded.value;
        return ok({ label: url, items: [singleItem(fileName, fileName, bytes)] });
      }
    }
  }

  async prepare(source: ImportSource, lang: 'en' | 'ja'): Promise<AppResult<ImportPreview>> {
    const read = await this.read(source, lang);
    if (!read.ok) return read;
    this.expire();
    const review: PendingImport = { id: randomBytes(8).toString('hex'), source: read.value.label, items: read.value.items, createdAt: this.now() };
    this.pending.set(review.id, review);
    return ok(this.preview(review, lang));
  }

  private preview(review: PendingImport, lang: 'en' | 'ja'): ImportPreview {
    return {
      importId: review.id,
      source: review.source,
      items: review.items.map(({ displayName, result }) => ({
        file: displayName,
        ok: result.ok,
        kind: result.kind,
        name: result.name,
        layer: result.layer,
        rows: result.profile ? summarizeProfile(result.profile, result.name, lang) : [],
        advisories: result.advisories,
        errors: result.errors,
        inlinedFiles: result.inlinedFiles,
      })),
    };
  }

  /** Saves every accepted item; `names[i]` (when given) names `items[i]`. */
  async commit(importId: string, names?: string[]): Promise<AppResult<{ ids: string[] }>> {
    this.expire();
    const review = this.pending.get(importId);
    if (!review) return failed(appError('import-expired', 'errImportExpired'));
    if (!review.items.some((item) => isAccepted(item.result))) return failed(appError('import-nothing', 'errImportNothing'));
    // Claimed before the first await: a double-click cannot save the same profiles twice.
    this.pending.delete(importId);
    const ids: string[] = [];
    const importedAt = this.now();
    for (const [index, item] of review.items.entries()) {
      const { result } = item;
      if (!isAccepted(result)) continue;
      const name = names?.[index] ?? result.name;
      const saved = await this.options.store.create(newProfileFrom(result, { name, originalText: item.originalText, source: review.source, importedAt }));
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
