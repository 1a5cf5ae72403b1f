/**
 * Errors and advisories shared by the NetworkManager translators. Every one names the keyfile's
 * own line, so the user can find the setting in the file they chose.
 */
import type { Advisory, LocalizedText, ProfileError } from '../diagnostics.js';
import { keyfileError, type KeyfileEntry, type KeyfileGroup } from './keyfile.js';

export type NmErrorCode =
  | 'NM_SYNTAX'
  | 'NM_TOO_LARGE'
  | 'NM_DUPLICATE_KEY'
  | 'NM_BAD_ESCAPE'
  | 'NM_BAD_VALUE'
  | 'NM_MISSING_KEY'
  | 'NM_NOT_VPN'
  | 'NM_VPN_UNSUPPORTED'
  | 'NM_L2TP_UNSUPPORTED'
  | 'NM_PROGRAM_KEY'
  | 'NM_SECRET_NOT_STORED'
  | 'NM_FILE_MISSING'
  | 'NM_FILE_UNREADABLE'
  | 'NM_UNSUPPORTED_VALUE'
  | 'NM_INTERNAL';

export function entryError(code: NmErrorCode, entry: KeyfileEntry, message: LocalizedText): ProfileError {
  return keyfileError(code, entry.line, entry.column, entry.source, message);
}

export function badValue(entry: KeyfileEntry, value: string, expected: LocalizedText): ProfileError {
  return entryError('NM_BAD_VALUE', entry, {
    en: `'${entry.key}=${value}' is not valid: ${expected.en}.`,
    ja: `'${entry.key}=${value}' は正しくありません: ${expected.ja}。`,
  });
}

export function missingKey(group: KeyfileGroup | undefined, groupName: string, key: string, why: LocalizedText): ProfileError {
  const line = group?.line ?? 0;
  return keyfileError('NM_MISSING_KEY', line, 1, group ? `[${group.name}]` : '', {
    en: `[${groupName}] has no '${key}', which ${why.en}. Export the connection again from NetworkManager, or add the setting.`,
    ja: `[${groupName}] に '${key}' がありません。これは${why.ja}。NetworkManager から接続をもう一度書き出すか、設定を追加してください。`,
  });
}

/** A setting NetworkManager knows that has no counterpart here: left out, and the user is told. */
export function ignoredKey(entry: KeyfileEntry, why: LocalizedText, severity: Advisory['severity'] = 'info'): Advisory {
  return {
    code: 'NM_KEY_IGNORED',
    severity,
    line: entry.line,
    message: {
      en: `Line ${entry.line}: '${entry.key}' is not imported.`,
      ja: `${entry.line} 行目: '${entry.key}' はインポートされません。`,
    },
    explanation: why,
  };
}

/** A key this translator does not know at all (a newer plugin version, or a hand edit). */
export function unknownKey(entry: KeyfileEntry, group: string): Advisory {
  return {
    code: 'NM_KEY_UNKNOWN',
    severity: 'warning',
    line: entry.line,
    message: {
      en: `Line ${entry.line}: '${entry.key}' in [${group}] is not a setting Tsunagu knows, so it is left out.`,
      ja: `${entry.line} 行目: [${group}] の '${entry.key}' は Tsunagu が知らない設定のため、取り込みません。`,
    },
    explanation: {
      en: 'Check the connection after import: if this setting mattered, ask your administrator for a profile in the VPN’s own format (.ovpn, .conf, swanctl.conf).',
      ja: 'インポート後に接続を確認してください。この設定が重要な場合は、VPN 本来の形式 (.ovpn、.conf、swanctl.conf) のプロファイルを管理者に依頼してください。',
    },
  };
}

/** A password NetworkManager had saved: Tsunagu asks for it at connect (and its vault may keep it). */
export function secretNotImported(entry: KeyfileEntry, what: LocalizedText): Advisory {
  return {
    code: 'NM_SECRET_NOT_IMPORTED',
    severity: 'info',
    line: entry.line,
    message: {
      en: `Line ${entry.line}: the saved ${what.en} is not imported; Tsunagu asks for it when you connect.`,
      ja: `${entry.line} 行目: 保存されていた${what.ja}はインポートしません。接続するときに Tsunagu が尋ねます。`,
    },
    explanation: {
      en: 'Profiles are stored and shown as text; a password is kept only in Tsunagu’s credential store, if you choose to save it there.',
      ja: 'プロファイルはテキストとして保存・表示されます。パスワードは、保存を選んだ場合に限り Tsunagu の資格情報ストアに保管されます。',
    },
  };
}

export function fileMissing(entry: KeyfileEntry, name: string, where: LocalizedText): ProfileError {
  return entryError('NM_FILE_MISSING', entry, {
    en: `'${entry.key}' needs the file '${name}', which is not in ${where.en}. Put it next to the connection file (or in the same .zip) and import again.`,
    ja: `'${entry.key}' にはファイル '${name}' が必要ですが、${where.ja} にありません。接続ファイルと同じ場所 (または同じ .zip) に置いて、もう一度インポートしてください。`,
  });
}

export const NO_FILES: LocalizedText = { en: 'the files given with it', ja: '一緒に渡されたファイル' };
