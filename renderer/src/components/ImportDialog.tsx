import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError, ImportSource } from '../../../shared/ipc/app-api.js';
import { blockImeEnter } from '../ime.js';
import { prepareImport, setImportOpen } from '../state/actions.js';
import { importSourcesForFiles } from '../drop.js';
import { Dialog } from './Dialog.js';
import { ErrorNote } from './ErrorNote.js';

type UrlProblem = 'invalid' | 'not-https';

/** What the address field's words say is wrong (main checks again, and more: credentials, redirects). */
export function urlProblemOf(address: string): UrlProblem | null {
  let parsed: URL;
  try {
    parsed = new URL(address);
  } catch {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(address) && !/^https:/i.test(address) ? 'not-https' : 'invalid';
  }
  return parsed.protocol === 'https:' ? null : 'not-https';
}

/** Where a profile comes from: a file (or .zip), pasted text, or an https address. Main reads and checks it. */
export function ImportDialog() {
  const { t } = useTranslation();
  const fileInput = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [url, setUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const [urlProblem, setUrlProblem] = useState<UrlProblem | null>(null);
  const close = () => setImportOpen(false);

  async function run(sources: ImportSource[]): Promise<void> {
    if (busy) return;
    setBusy(true);
    setError(null);
    for (const source of sources) {
      const result = await prepareImport(source);
      if (!result.ok) {
        setError(result.error);
        setBusy(false);
        return;
      }
    }
    setBusy(false);
  }

  function submitText(event: FormEvent): void {
    event.preventDefault();
    if (text.trim()) void run([{ kind: 'text', text }]);
  }

  function submitUrl(event: FormEvent): void {
    event.preventDefault();
    const address = url.trim();
    const problem = urlProblemOf(address);
    setUrlProblem(problem);
    if (problem === null) void run([{ kind: 'url', url: address }]);
  }

  return (
    <Dialog labelledBy="import-title" onDismiss={close} className="import-dialog">
      <h2 id="import-title">{t('import.title')}</h2>
      <section className="import-source" aria-labelledby="import-file-heading">
        <h3 id="import-file-heading">{t('import.fromFile')}</h3>
        <p className="hint">{t('import.fromFileHelp')}</p>
        <input
          ref={fileInput}
          type="file"
          className="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          multiple
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = '';
            void importSourcesForFiles(files).then((sources) => run(sources));
          }}
        />
        <button type="button" className="button primary" data-initial-focus aria-disabled={busy} onClick={() => busy || fileInput.current?.click()}>
          {t('import.chooseFile')}
        </button>
      </section>
      <form className="import-source" aria-labelledby="import-text-heading" onSubmit={submitText}>
        <h3 id="import-text-heading">{t('import.fromText')}</h3>
        <label className="field">
          <span>{t('import.textLabel')}</span>
          <textarea value={text} rows={5} spellCheck={false} onChange={(e) => setText(e.target.value)} />
        </label>
        <button type="submit" className="button" disabled={!text.trim()} aria-disabled={busy}>{t('import.check')}</button>
      </form>
      {/* noValidate: the app checks the address and says what is wrong in the UI's language, not the browser's. */}
      <form className="import-source" aria-labelledby="import-url-heading" onSubmit={submitUrl} onKeyDown={blockImeEnter} noValidate>
        <h3 id="import-url-heading">{t('import.fromUrl')}</h3>
        <label className="field">
          <span>{t('import.urlLabel')}</span>
          <input
            type="url"
            value={url}
            inputMode="url"
            spellCheck={false}
            placeholder="https://"
            aria-invalid={urlProblem !== null}
            aria-describedby={urlProblem ? 'import-url-problem' : undefined}
            onChange={(e) => {
              setUrl(e.target.value);
              setUrlProblem(null);
            }}
          />
        </label>
        {urlProblem && <p id="import-url-problem" className="field-problem" role="alert">{t(urlProblem === 'not-https' ? 'import.urlNotHttps' : 'import.urlInvalid')}</p>}
        <p className="hint">{t('import.urlHelp')}</p>
        <button type="submit" className="button" disabled={!url.trim()} aria-disabled={busy}>{t('import.download')}</button>
      </form>
      {busy && <p className="hint" role="status">{t('import.checking')}</p>}
      {error && <ErrorNote error={error} title={t('import.failedTitle')} />}
      <div className="button-row end">
        <button type="button" className="button" onClick={close}>{t('common.close')}</button>
      </div>
    </Dialog>
  );
}
