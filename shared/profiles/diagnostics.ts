/**
 * Diagnostics are values, never exceptions: every problem the profile engine finds is reported
 * with a stable code (for the UI and for tests), a location, the offending text, and a message in
 * each language the UI ships.
 */

export interface LocalizedText {
  en: string;
  ja: string;
}

export type ProfileKind = 'openvpn' | 'wireguard';

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
