/** UI strings in every language Tsunagu ships. Keys are stable; both languages are required. */
export const catalog = {
  en: {
    appName: 'Tsunagu',
    tagline: 'OpenVPN, WireGuard and IKEv2 in one place',
    dropHint: 'Drop an .ovpn or .conf profile here, or choose one, to check it before importing.',
    choose: 'Choose a profile…',
    importable: 'Can be imported',
    refused: 'Cannot be imported',
    advisories: 'Advisories',
    errors: 'Problems',
    fixedAutomatically: 'Fixed automatically',
    suggestedFix: 'Suggested fix',
    line: 'Line',
    language: 'Language',
    checking: 'Checking…',
    unreadable: 'The file could not be read.',
  },
  ja: {
    appName: 'Tsunagu（つなぐ）',
    tagline: 'OpenVPN・WireGuard・IKEv2 をひとつに',
    dropHint: '.ovpn または .conf のプロファイルをここにドロップするか選択すると、インポート前に内容を確認できます。',
    choose: 'プロファイルを選択…',
    importable: 'インポートできます',
    refused: 'インポートできません',
    advisories: '注意事項',
    errors: '問題点',
    fixedAutomatically: '自動で修正されます',
    suggestedFix: '推奨される対処',
    line: '行',
    language: '言語',
    checking: '確認中…',
    unreadable: 'ファイルを読み取れませんでした。',
  },
} as const;

export type UiLanguage = keyof typeof catalog;
export type UiKey = keyof (typeof catalog)['en'];
