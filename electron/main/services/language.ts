/** The UI language: the user's choice, else the first supported one among the system's preferences. */
import type { MainLanguage } from '../../../shared/i18n/main-catalog.js';

export function pickSystemLanguage(preferred: readonly string[]): MainLanguage {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split(/[-_]/)[0];
    if (base === 'ja' || base === 'en') return base;
  }
  return 'en';
}
