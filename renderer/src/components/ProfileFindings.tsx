import { useTranslation } from 'react-i18next';
import type { ImportPreview, ProfileDetails } from '../../../shared/ipc/app-api.js';
import { useLocalize } from '../i18n.js';
import { StateIcon } from './StateIcon.js';

type Advisory = ProfileDetails['advisories'][number];
type ProfileError = ImportPreview['items'][number]['errors'][number];

/**
 * The engine's messages start with "Line 4: " ("4 行目: "); the list shows the line beside the
 * message already, so the message's own copy is left out (the line is given once).
 */
export function withoutLinePrefix(message: string, line: number): string {
  if (line <= 0) return message;
  const stripped = message.replace(new RegExp(`^(?:Line ${line}: |${line} 行目: ?)`), '');
  return stripped === message ? message : stripped.charAt(0).toUpperCase() + stripped.slice(1);
}

/** Label/value rows main wrote in the UI language (servers, sign-in, routes, DNS …). */
export function InfoRows({ rows }: { rows: readonly (readonly [string, string])[] }) {
  return (
    <dl className="info-rows">
      {rows.map(([label, value], i) => (
        <div key={`${i}-${label}`}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Outdated or noteworthy settings: what, why it matters, and the fix (marked when Tsunagu applied it). */
export function AdvisoryList({ advisories }: { advisories: readonly Advisory[] }) {
  const { t } = useTranslation();
  const localize = useLocalize();
  return (
    <ul className="findings">
      {advisories.map((a) => (
        <li key={`${a.code}-${a.line}`} className={`finding severity-${a.severity}`}>
          <span className={`finding-icon severity-${a.severity}`} aria-hidden="true">{a.severity === 'warning' ? '!' : 'i'}</span>
          <div>
            <p className="finding-title">
              <span className="visually-hidden">{a.severity === 'warning' ? t('findings.warning') : t('findings.info')}: </span>
              {withoutLinePrefix(localize(a.message), a.line)}
              {a.line > 0 && <span className="finding-line"> {t('findings.line', { line: a.line })}</span>}
            </p>
            <p>{localize(a.explanation)}</p>
            {a.fix && (
              <p className="finding-fix">
                <span className={`fix-tag${a.fix.automatic ? ' automatic' : ''}`}>{a.fix.automatic ? t('findings.fixedAutomatically') : t('findings.suggestedFix')}</span>{' '}
                {localize(a.fix.description)}
              </p>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}

/** Why a profile was refused: each problem with its line, code and the offending text. */
export function ProfileErrorList({ errors }: { errors: readonly ProfileError[] }) {
  const { t } = useTranslation();
  const localize = useLocalize();
  return (
    <ul className="findings">
      {errors.map((e) => (
        <li key={`${e.code}-${e.line}-${e.column}`} className="finding severity-error">
          <StateIcon tone="error" className="finding-icon" />
          <div>
            <p className="finding-title">
              {withoutLinePrefix(localize(e.message), e.line)}
              {e.line > 0 && <span className="finding-line"> {t('findings.lineColumn', { line: e.line, column: e.column })}</span>}
            </p>
            {e.text && <pre className="offending">{e.text}</pre>}
            <p className="finding-code">{t('common.errorCode')}: <code>{e.code}</code></p>
          </div>
        </li>
      ))}
    </ul>
  );
}
