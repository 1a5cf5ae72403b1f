import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { catalog } from '../../shared/i18n/catalog.js';

const preferred = navigator.languages.some((l) => l.startsWith('ja')) ? 'ja' : 'en';

void i18next.use(initReactI18next).init({
  lng: preferred,
  fallbackLng: 'en',
  resources: { en: { translation: catalog.en }, ja: { translation: catalog.ja } },
  interpolation: { escapeValue: false },
});

export default i18next;
