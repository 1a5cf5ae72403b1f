/**
 * Diagnostics are values, never exceptions: every problem the profile engine finds is reported
 * with a stable code (for the UI and for tests), a location, the offending text, and a message in
 * each language the UI ships.
 */
import { countedTexts } from '../i18n/counted.js';

export interface LocalizedText {
  en: string;
  ja: string;
}

export type { ProfileKind } from './kinds.js';

/** An error makes a profile unusable. Line and column are 1-based; 0 means "the whole profile". */
export interface ProfileError {
  code: string;
  line: number;
  column: number;
  message: LocalizedText;
  /** The offending text, quoted back to the user (trimmed to a readable length). */
  text: string;
}

/** A fix the engine can apply for the user. `automatic` fixes are applied at import. */
export interface AdvisoryFix {
  automatic: boolean;
  description: LocalizedText;
}

/** An advisory leaves the profile usable but explains something outdated, weak or surprising. */
export interface Advisory {
  code: string;
  severity: 'warning' | 'info';
  line: number;
  message: LocalizedText;
  /** Why it matters, in plain words. */
  explanation: LocalizedText;
  fix?: AdvisoryFix;
}

const MAX_QUOTED = 120;

/**
 * Problems listed per profile. A junk file has thousands; a short list plus one summary keeps
 * the answer small for the UI and for the helper's socket (issue 10, finding 8).
 */
export const MAX_REPORTED_ERRORS = 50;
export const MAX_REPORTED_ADVISORIES = 50;

/** Shortens the offending text so an error message stays readable. */
export function quoteOffender(text: string): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ');
  return oneLine.length > MAX_QUOTED ? `${oneLine.slice(0, MAX_QUOTED - 1)}…` : oneLine;
}

export function profileError(
  code: string,
  where: { line: number; column?: number },
  text: string,
  message: LocalizedText,
): ProfileError {
  return { code, line: where.line, column: where.column ?? 1, text: quoteOffender(text), message };
}

/**
 * The first MAX_REPORTED_ERRORS of `errors` (already in the order to show), plus one summary when
 * more were found or checking stopped early (`stoppedAt`: the line where it stopped, else 0).
 */
export function capErrors(errors: ProfileError[], stoppedAt = 0): ProfileError[] {
  if (errors.length <= MAX_REPORTED_ERRORS && stoppedAt === 0) return errors;
  const shown = errors.slice(0, MAX_REPORTED_ERRORS);
  const hidden = errors.length - shown.length;
  const line = stoppedAt || (errors[MAX_REPORTED_ERRORS]?.line ?? 0);
  const more = hidden > 0 ? countedTexts('moreProblems', hidden) : { en: '…and possibly more problems', ja: '…ほかにも問題がある可能性があります' };
  const stop = stoppedAt > 0 ? { en: `; checking stopped at line ${stoppedAt}`, ja: `。${stoppedAt} 行目で検査を止めました` } : { en: '', ja: '' };
  shown.push(
    profileError('PROFILE_TOO_MANY_ERRORS', { line }, '', {
      en: `${more.en}${stop.en}. Fix the ones above first, and check that this file really is a VPN profile.`,
      ja: `${more.ja}${stop.ja}。まず上の問題を直し、このファイルが本当に VPN のプロファイルか確認してください。`,
    }),
  );
  return shown;
}

/** The first MAX_REPORTED_ADVISORIES advisories, plus one note saying how many were left out. */
export function capAdvisories(advisories: Advisory[]): Advisory[] {
  if (advisories.length <= MAX_REPORTED_ADVISORIES) return advisories;
  const shown = advisories.slice(0, MAX_REPORTED_ADVISORIES);
  const hidden = advisories.length - shown.length;
  shown.push({
    code: 'PROFILE_TOO_MANY_ADVISORIES',
    severity: 'info',
    line: advisories[MAX_REPORTED_ADVISORIES]?.line ?? 0,
    message: { en: `…and ${hidden} more notes like the ones above.`, ja: `…ほかに同様の注意が ${hidden} 件あります。` },
    explanation: { en: 'Only the first notes are listed to keep the list readable.', ja: '一覧を読みやすくするため、最初の注意だけを表示しています。' },
  });
  return shown;
}
