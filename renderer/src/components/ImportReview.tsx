import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError, ImportPreview } from '../../../shared/ipc/app-api.js';
import { blockImeEnter } from '../ime.js';
import { cancelImport, commitImport } from '../state/actions.js';
import { KindBadge } from './Badges.js';
import { Dialog } from './Dialog.js';
import { ErrorNote } from './ErrorNote.js';
import { AdvisoryList, InfoRows, ProfileErrorList } from './ProfileFindings.js';
import { StateIcon } from './StateIcon.js';

/**
 * What an import would save, before anything is saved: per profile found, the summary, the
 * advisories (automatic fixes marked) or why it is refused. Save (names editable) or cancel.
 */
export function ImportReview({ preview }: { preview: ImportPreview }) {
  const { t } = useTranslation();
  const [names, setNames] = useState(() => preview.items.map((item) => item.name));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const accepted = preview.items.filter((item) => item.ok).length;
  const refused = preview.items.length - accepted;
  const namesValid = preview.items.every((item, i) => !item.ok || (names[i] ?? '').trim().length > 0);

  async function save(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (busy || accepted === 0 || !namesValid) return;
    setBusy(true);
    setError(null);
    const trimmed = names.map((n) => n.trim());
    const renamed = preview.items.some((item, i) => trimmed[i] !== item.name);
    const result = await commitImport(preview.importId, renamed ? trimmed : undefined);
    setBusy(false);
    if (!result.ok) setError(result.error);
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
            t('review.nothingSaved'),
          ].filter(Boolean).join(t('common.sentenceSeparator'))}
        </p>
        <p className="hint review-source">{t('review.source', { source: preview.source })}</p>
        <div className="review-items">
          {preview.items.map((item, i) => (
            <article key={`${i}-${item.file}`} className={`review-item ${item.ok ? 'accepted' : 'refused'}`} aria-labelledby={`review-item-${i}`}>
              <header className="review-item-head">
                <StateIcon tone={item.ok ? 'ok' : 'error'} />
                <h3 id={`review-item-${i}`}>{item.file}</h3>
                <KindBadge kind={item.kind} layer={item.layer} />
                <span className="review-verdict">{item.ok ? t('review.canImport') : t('review.refused')}</span>
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
              {item.inlinedFiles.length > 0 && <p className="hint">{t('review.inlined', { files: item.inlinedFiles.join(', ') })}</p>}
              {item.errors.length > 0 && (
                <>
                  <h4>{t('review.problemsTitle')}</h4>
                  <ProfileErrorList errors={item.errors} />
                </>
              )}
              {item.advisories.length > 0 && (
                <>
                  <h4>{t('findings.advisoriesTitle')}</h4>
                  <AdvisoryList advisories={item.advisories} />
                </>
              )}
            </article>
          ))}
        </div>
        {error && <ErrorNote error={error} title={t('review.saveFailed')} />}
        <div className="button-row end dialog-footer">
          <button type="button" className="button" onClick={cancel}>{accepted > 0 ? t('common.cancel') : t('common.close')}</button>
          {accepted > 0 && (
            <button type="submit" className="button primary" disabled={!namesValid} aria-disabled={busy}>
              {t('review.save', { count: accepted })}
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}
