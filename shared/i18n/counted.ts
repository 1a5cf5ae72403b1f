/**
 * Counted phrases built outside React (the profile summary, the profile engine's messages), with
 * i18next's plural rules: the `counted` strings of the UI catalog, keys ending _zero/_one/_other
 * (Japanese has no plural forms, so only _other, and _zero where "none" reads better than "0").
 * A private i18next instance, set up synchronously here, so nothing depends on the renderer's.
 */
import i18next from 'i18next';
import type { LocalizedText } from '../profiles/diagnostics.js';
import { catalog, type Catalog, type UiLanguage } from './catalog.js';

/** A counted phrase's key without its plural suffix. */
export type CountedKey = keyof Catalog['counted'] extends infer K ? (K extends `${infer Base}_${'zero' | 'one' | 'other'}` ? Base : never) : never;

type Vars = Record<string, string | number>;

const counted = i18next.createInstance();
void counted.init({
  lng: 'en',
  fallbackLng: 'en',
  initAsync: false,
  // Not a word on stdout: the CLI prints these phrases, and its output is read by scripts.
  showSupportNotice: false,
  resources: { en: { translation: { counted: catalog.en.counted } }, ja: { translation: { counted: catalog.ja.counted } } },
  // Plain text: React escapes what it renders, a terminal needs no escaping.
  interpolation: { escapeValue: false },
});

/** The phrase for `count` in `lang`, `{{count}}` and the other placeholders filled in. */
export function countedText(lang: UiLanguage, key: CountedKey, count: number, vars: Vars = {}): string {
  return counted.t(`counted.${key}`, { ...vars, lng: lang, count });
}

/** The phrase in both languages, as profile messages carry it (`vars` per language when they differ). */
export function countedTexts(key: CountedKey, count: number, vars: Vars | LocalizedVars = {}): LocalizedText {
  const [en, ja] = isLocalizedVars(vars) ? [vars.en, vars.ja] : [vars, vars];
  return { en: countedText('en', key, count, en), ja: countedText('ja', key, count, ja) };
}

type LocalizedVars = { en: Vars; ja: Vars };

function isLocalizedVars(vars: Vars | LocalizedVars): vars is LocalizedVars {
  return typeof vars['en'] === 'object' && typeof vars['ja'] === 'object';
}
