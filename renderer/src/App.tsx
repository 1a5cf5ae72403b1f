import { useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppReply } from '../../shared/ipc/app-api.js';
import { api } from './api.js';

type Inspection = AppReply<'profiles:inspect'>;

export function App() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language === 'ja' ? 'ja' : 'en';
  const [result, setResult] = useState<Inspection | null>(null);
  const [status, setStatus] = useState<string>('');

  async function check(file: File) {
    setStatus(t('checking'));
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      setResult(await api.inspectProfile({ fileName: file.name, bytes }));
      setStatus('');
    } catch {
      setResult(null);
      setStatus(t('unreadable'));
    }
  }

  function onDrop(e: DragEvent<HTMLElement>) {
    e.preventDefault();
    const file = e.dataTransfer.files[0];
    if (file) void check(file);
  }

  return (
    <main className="app" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
      <header>
        <h1>{t('appName')}</h1>
        <p>{t('tagline')}</p>
        <label>
          {t('language')}{' '}
          <select value={lang} onChange={(e) => void i18n.changeLanguage(e.target.value)}>
            <option value="en">English</option>
            <option value="ja">日本語</option>
          </select>
        </label>
      </header>
      <section className="drop">
        <p>{t('dropHint')}</p>
        <input type="file" accept=".ovpn,.conf" aria-label={t('choose')} onChange={(e) => e.target.files?.[0] && void check(e.target.files[0])} />
      </section>
      <p role="status" aria-live="polite">{status}</p>
      {result && (
        <section className="result" aria-label={result.name}>
          <h2>
            {result.name} — {result.ok ? t('importable') : t('refused')}
          </h2>
          <dl>
            {result.summary.map(([label, value]) => (
              <div key={label}>
                <dt>{label}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
          {result.advisories.length > 0 && (
            <>
              <h3>{t('advisories')}</h3>
              <ul>
                {result.advisories.map((a) => (
                  <li key={`${a.code}-${a.line}`} className={a.severity}>
                    <strong>{a.message[lang]}</strong>
                    <p>{a.explanation[lang]}</p>
                    {a.fix && <p>{a.fix.automatic ? t('fixedAutomatically') : t('suggestedFix')}: {a.fix.description[lang]}</p>}
                  </li>
                ))}
              </ul>
            </>
          )}
          {result.errors.length > 0 && (
            <>
              <h3>{t('errors')}</h3>
              <ul>
                {result.errors.map((e) => (
                  <li key={`${e.code}-${e.line}-${e.column}`} className="error">
                    <strong>{e.message[lang]}</strong>
                    {e.text && <code>{e.text}</code>}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
    </main>
  );
}
