export type Lang = 'en' | 'ja';

/** Japanese when the user's locale says so (LC_ALL, LC_MESSAGES, LANG), else English. */
export function pickLanguage(env: NodeJS.ProcessEnv): Lang {
  const locale = env['LC_ALL'] || env['LC_MESSAGES'] || env['LANG'] || '';
  return /^ja/i.test(locale) ? 'ja' : 'en';
}
