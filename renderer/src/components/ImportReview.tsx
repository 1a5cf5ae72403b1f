import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError, ImportPreview } from '../../../shared/ipc/app-api.js';
import { request } from '../api.js';
import { importSourcesForFiles } from '../drop.js';
import { blockImeEnter } from '../ime.js';
import { cancelImport, commitImport } from '../state/actions.js';
import { useUi } from '../state/store.js';
import { KindBadge } from './Badges.js';
import { Dialog } from './Dialog.js';
import { ErrorNote } from './ErrorNote.js';
import { AdvisoryList, InfoRows, ProfileErrorList } from './ProfileFindings.js';
import { StateIcon } from './StateIcon.js';

type Item = ImportPreview['items'][number];

/** The root causes first; what follows from them folded under them (one click away, never lost). */
function Problems({ item }: { item: Item }) {
  const { t } = useTranslation();
  const roots = item.rootCauses ?? 0;
  const folded = roots > 0 ? item.errors.slice(roots) : [];
  return (
    <>
      <h4>{t('review.problemsTitle')}</h4>
      <ProfileErrorList errors={roots > 0 ? item.errors.slice(0, roots) : item.errors} />
      {folded.length > 0 && (
        <details className="review-consequences">
          <summary>{t('review.moreProblems', { count: folded.length })}</summary>
          <ProfileErrorList errors={folded} />
        </details>
      )}
    </>
  );
}

/** For an IPsec profile: IKEv1 or IKEv2, and what tunnel mode means, in plain words. */
function IkeNote({ version }: { version: Item['ikeVersion'] }) {
  const { t } = useTranslation();
  return (
    <aside className="review-ike-note" aria-label={t('review.ikeNoteTitle')}>
      <h4>{t('review.ikeNoteTitle')}</h4>
      {version !== undefined && <p>{version === 1 ? t('review.ikeNoteV1') : t('review.ikeNoteV2')}</p>}
      <p>{t('review.ikeNoteTunnel')}</p>
    </aside>
  );
}

/**
 * What an import would save, before anything is saved: per profile found, the summary, the
 * advisories (automatic fixes marked) or why it is refused. Save (names editable) or cancel.
 * A profile that names files that were not chosen offers to add them to this same review.
 */
export function ImportReview({ preview }: { preview: ImportPreview }) {
  const { t } = useTranslation();
  const [names, setNames] = useState(() => preview.items.map((item) => item.name));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ error: AppError; title: string } | null>(null);
  const addInput = useRef<HTMLInputElement>(null);
  const accepted = preview.items.filter((item) => item.ok).length;
  const refused = preview.items.length - accepted;
  const namesValid = preview.items.every((item, i) => !item.ok || (names[i] ?? '').trim().length > 0);
  const missing = [...new Set(preview.items.flatMap((item) => (item.ok ? [] : item.missingFiles ?? [])))];
  const saveLabel = t('review.save', { count: accepted });

  async function save(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (busy || accepted === 0 || !namesValid) return;
    setBusy(true);
    setError(null);
    const trimmed = names.map((n) => n.trim());
    const renamed = preview.items.some((item, i) => trimmed[i] !== item.name);
    const result = await commitImport(preview.importId, renamed ? trimmed : undefined);
    setBusy(false);
    if (!result.ok) setError({ error: result.error, title: t('review.saveFailed') });
  }

  /** Main inspects the review again with the added files; the new review takes this one's place. */
  async function addFiles(files: File[]): Promise<void> {
    const [source] = await importSourcesForFiles(files, preview.importId);
    if (!source || busy) return;
    setBusy(true);
    setError(null);
    const result = await request((a) => a.profilesPrepareImport({ source }));
    setBusy(false);
    if (!result.ok) {
      setError({ error: result.error, title: t('review.addFailed') });
      return;
    }
    useUi.setState((s) => ({ ...s, reviews: s.reviews.map((r) => (r.importId === preview.importId ? result.value : r)) }));
  }

  const cancel = () => void cancelImport(preview.importId);

  return (
    <Dialog labelledBy="review-title" describedBy="review-summary" onDismiss={cancel} className="review-dialog">
      <form onSubmit={(e) => void save(e)} onKeyDown={blockImeEnter}>
        <h2 id="review-title">{t('review.title')}</h2>
        <p id="review-summary">
          {[
            accepted > 0 ? t('review.summaryAccepted', { count: accepted }) : t('review.summaryNone'),
            refused > 0 ? t('review.summaryRefused', { count: refused }) : '',
            // Only where there is a Save button, and in its words.
            accepted > 0 ? t('review.nothingSavedUntil', { button: saveLabel }) : '',
          ].filter(Boolean).join(t('common.sentenceSeparator'))}
        </p>
        <p className="hint review-source">{t('review.source', { source: preview.source })}</p>
        <div className="review-items">
          {preview.items.map((item, i) => {
            const isProfile = item.isProfile ?? true;
            return (
              <article key={`${i}-${item.file}`} className={`review-item ${item.ok ? 'accepted' : 'refused'}`} aria-labelledby={`review-item-${i}`}>
                <header className="review-item-head">
                  <StateIcon tone={item.ok ? 'ok' : 'error'} />
                  <h3 id={`review-item-${i}`}>{item.file}</h3>
                  {isProfile && <KindBadge kind={item.kind} layer={item.layer} ikeVersion={item.ikeVersion} />}
                  <span className="review-verdict">{item.ok ? t('review.canImport') : isProfile ? t('review.refused') : t('review.notAProfile')}</span>
                </header>
                {item.ok && (
                  <label className="field">
                    <span>{t('review.nameLabel')}</span>
                    <input
                      value={names[i] ?? ''}
                      maxLength={64}
                      required
                      data-initial-focus={i === preview.items.findIndex((x) => x.ok) ? true : undefined}
                      onChange={(e) => setNames((all) => all.map((n, j) => (j === i ? e.target.value : n)))}
                    />
                  </label>
                )}
                {item.rows.length > 0 && <InfoRows rows={item.rows} />}
                {item.ok && item.kind === 'ikev2' && <IkeNote version={item.ikeVersion} />}
                {item.inlinedFiles.length > 0 && <p className="hint">{t('review.inlined', { files: item.inlinedFiles.join(', ') })}</p>}
                {item.errors.length > 0 && <Problems item={item} />}
                {!item.ok && (item.missingFiles?.length ?? 0) > 0 && (
                  <p className="review-missing">{t('review.missingFiles', { files: (item.missingFiles ?? []).join(', ') })}</p>
                )}
                {item.advisories.length > 0 && (
                  <>
                    <h4>{t('findings.advisoriesTitle')}</h4>
                    <AdvisoryList advisories={item.advisories} />
                  </>
                )}
              </article>
            );
          })}
        </div>
        {(preview.unusedFiles?.length ?? 0) > 0 && <p className="hint review-unused">{t('review.unusedFiles', { files: (preview.unusedFiles ?? []).join(', ') })}</p>}
        {busy && <p className="hint" role="status">{t('import.checking')}</p>}
        {error && <ErrorNote error={error.error} title={error.title} />}
        <input
          ref={addInput}
          type="file"
          className="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          multiple
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = '';
            void addFiles(files);
          }}
        />
        <div className="button-row end dialog-footer">
          {missing.length > 0 && (
            <button type="button" className={`button${accepted === 0 ? ' primary' : ''} review-add-missing`} aria-disabled={busy} data-initial-focus={accepted === 0 ? true : undefined} onClick={() => busy || addInput.current?.click()}>
              {t('review.addMissing')}
            </button>
          )}
          <button type="button" className="button" onClick={cancel}>{accepted > 0 ? t('common.cancel') : t('common.close')}</button>
          {accepted > 0 && (
            <button type="submit" className="button primary" disabled={!namesValid} aria-disabled={busy}>
              {saveLabel}
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}
