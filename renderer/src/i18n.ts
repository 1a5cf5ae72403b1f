/** i18next for the renderer: both catalogs loaded, language from settings or the system, switchable live. */
import i18next from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import type { Localized } from '../../shared/ipc/app-api.js';
import { catalog, type Catalog, type UiLanguage } from '../../shared/i18n/catalog.js';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: Catalog };
  }
}

export async function initI18n(lang: UiLanguage): Promise<void> {
  await i18next.use(initReactI18next).init({
    lng: lang,
    fallbackLng: 'en',
    supportedLngs: ['en', 'ja'],
    resources: { en: { translation: catalog.en }, ja: { translation: catalog.ja } },
    // React escapes what it renders.
    interpolation: { escapeValue: false },
  });
  document.documentElement.lang = lang;
}

/** Switches every screen and `<html lang>` (which also turns on Japanese phrase-aware line breaks). */
export function applyLanguage(lang: UiLanguage): void {
  document.documentElement.lang = lang;
  if (i18next.language !== lang) void i18next.changeLanguage(lang);
}

/** The language of the page before settings are known: the browser's preference. */
export function browserLanguage(): UiLanguage {
  return navigator.languages.some((l) => l.toLowerCase().startsWith('ja')) ? 'ja' : 'en';
}

export function useLanguage(): UiLanguage {
  const { i18n } = useTranslation();
  return i18n.language === 'ja' ? 'ja' : 'en';
}

/** Picks the UI language out of a message main sent in both. */
export function useLocalize(): (message: Localized) => string {
  const lang = useLanguage();
  return (message) => message[lang];
}

export { i18next };
