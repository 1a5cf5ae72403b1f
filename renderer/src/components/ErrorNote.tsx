import { useTranslation } from 'react-i18next';
import type { AppError, Localized } from '../../../shared/ipc/app-api.js';
import { useLocalize } from '../i18n.js';
import { StateIcon } from './StateIcon.js';

/**
 * A failure in words, with the code and technical detail one click away. `alert` reads it out when
 * it appears; off where the change is already announced (a tunnel's state).
 */
export function ErrorNote({ error, title, alert = true }: { error: { code: string; message: Localized; detail?: string } | AppError; title?: string; alert?: boolean }) {
  const { t } = useTranslation();
  const localize = useLocalize();
  return (
    <div className="error-note" role={alert ? 'alert' : undefined}>
      <StateIcon tone="error" />
      <div>
        {title && <p className="error-title">{title}</p>}
        <p>{localize(error.message)}</p>
        <TechnicalDetails code={error.code} detail={error.detail} label={t('common.technicalDetails')} />
      </div>
    </div>
  );
}

export function TechnicalDetails({ code, detail, label }: { code: string; detail?: string; label: string }) {
  const { t } = useTranslation();
  return (
    <details className="technical">
      <summary>{label}</summary>
      <dl>
        <dt>{t('common.errorCode')}</dt>
        <dd><code>{code}</code></dd>
        {detail && (
          <>
            <dt>{t('common.detail')}</dt>
            <dd><pre>{detail}</pre></dd>
          </>
        )}
      </dl>
    </details>
  );
}
