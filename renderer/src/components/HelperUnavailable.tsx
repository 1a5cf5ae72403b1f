import { useTranslation } from 'react-i18next';
import type { HelperStatus } from '../../../shared/ipc/app-api.js';
import { useLocalize } from '../i18n.js';
import { TechnicalDetails } from './ErrorNote.js';
import { StateIcon } from './StateIcon.js';

/** Nothing can connect without the helper: say why and how to fix it; main keeps retrying, so no button. */
export function HelperUnavailable({ helper }: { helper: Extract<HelperStatus, { status: 'unavailable' }> }) {
  const { t } = useTranslation();
  const localize = useLocalize();
  return (
    <div className="helper-screen">
      <StateIcon tone="error" className="huge" />
      <h1>{t('helper.unavailableTitle')}</h1>
      <p className="helper-message">{localize(helper.message)}</p>
      <section className="card how-to-fix" aria-labelledby="how-to-fix-heading">
        <h2 id="how-to-fix-heading">{t('helper.howToFix')}</h2>
        <p className="preformatted">{localize(helper.howToFix)}</p>
      </section>
      <p className="retrying">
        <StateIcon tone="busy" />
        <span>{t('helper.retrying')}</span>
      </p>
      <TechnicalDetails code={helper.reason} label={t('common.technicalDetails')} />
    </div>
  );
}
