import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError, ImportSource } from '../../../shared/ipc/app-api.js';
import { blockImeEnter } from '../ime.js';
import { prepareImport, setImportOpen } from '../state/actions.js';
import { importSourcesForFiles } from '../drop.js';
import { Dialog } from './Dialog.js';
import { ErrorNote } from './ErrorNote.js';

/** Where a profile comes from: a file (or .zip), pasted text, or an https address. Main reads and checks it. */
export function ImportDialog() {
  const { t } = useTranslation();
  const fileInput = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [url, setUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
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
    if (address) void run([{ kind: 'url', url: address }]);
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
          accept=".ovpn,.conf,.zip,.txt"
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
      <form className="import-source" aria-labelledby="import-url-heading" onSubmit={submitUrl} onKeyDown={blockImeEnter}>
        <h3 id="import-url-heading">{t('import.fromUrl')}</h3>
        <label className="field">
          <span>{t('import.urlLabel')}</span>
          <input type="url" value={url} inputMode="url" spellCheck={false} placeholder="https://" pattern="https://.*" onChange={(e) => setUrl(e.target.value)} />
        </label>
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
