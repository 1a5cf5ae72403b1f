/**
 * Strings the main process shows itself: the tray menu and tooltip, notifications, the helper's
 * status, and the errors main reports to the renderer. Both languages are required for every key
 * (a test checks that the placeholders match). Placeholders use i18next's `{{name}}` syntax so the
 * catalog can be loaded into i18next unchanged.
 */
import { MANAGED_TEXT } from '../policy/locks.js';

const en = {
  // --- tray ---
  trayTooltip: 'Tsunagu — {{status}}',
  trayNotConnected: 'Not connected',
  trayConnecting: 'Connecting to {{name}}…',
  trayAuthenticating: 'Signing in to {{name}}…',
  trayWaitingForSignIn: '{{name}} is waiting for your sign-in',
  trayReconnecting: 'Reconnecting to {{name}}…',
  trayDisconnecting: 'Disconnecting {{name}}…',
  trayConnected: 'Connected to {{name}} ({{address}})',
  trayConnectedMany: 'Connected to {{count}} VPNs',
  trayFailed: 'Could not connect {{name}}',
  trayHelperStarting: 'Contacting the VPN helper…',
  trayHelperUnavailable: 'VPN helper not available',
  trayConnect: 'Connect “{{name}}”',
  trayDisconnect: 'Disconnect “{{name}}”',
  trayNoProfiles: 'No profiles yet',
  trayOpen: 'Open Tsunagu',
  trayImport: 'Import Profile…',
  trayImportFilter: 'VPN profiles',
  saveFilterProfile: 'VPN profile',
  saveFilterText: 'Text',
  trayQuit: 'Quit Tsunagu',
  trayDisconnectAndQuit: 'Disconnect and Quit',

  // --- notifications ---
  notifyConnectedTitle: 'VPN connected',
  notifyConnectedBody: '{{name}} is connected ({{address}}).',
  notifyDroppedTitle: 'VPN disconnected',
  notifyDroppedBody: '{{name}} was disconnected: {{reason}}',
  notifyFailedTitle: 'VPN connection failed',
  notifyFailedBody: '{{name}}: {{message}}',
  notifyHelperLostTitle: 'VPN helper stopped',

  // --- helper status ---
  helperNotRunning: 'The Tsunagu helper is not running, so VPNs cannot be connected.',
  helperNotRunningFix: 'Start it in a terminal with “sudo systemctl start tsunagu-helper” (installed app) or “sudo npx tsunagu helper” (from the source folder).',
  helperPermissionDenied: 'This user is not allowed to use the Tsunagu helper.',
  helperPermissionDeniedFix: 'Ask an administrator to add you to the “tsunagu” group (sudo usermod -aG tsunagu $USER), then sign out and in again.',
  helperUntrusted: 'The helper socket {{path}} is not owned by root, so Tsunagu will not trust it.',
  helperUntrustedFix: 'Remove whatever created it and start the real helper: “sudo systemctl restart tsunagu-helper”.',
  helperVersionMismatch: 'The Tsunagu helper is a different version from this app.',
  helperVersionMismatchFix: 'Update Tsunagu, then restart the helper (“sudo systemctl restart tsunagu-helper”) so both match.',
  helperStoppedReason: 'the VPN helper stopped',

  // --- errors ---
  errBadRequest: 'The request was not understood.',
  errUntrustedSender: 'Refused a request that did not come from Tsunagu’s own window.',
  errInternal: 'Something went wrong inside Tsunagu.',
  errProfileNotFound: 'This profile no longer exists.',
  errProfileConnected: 'Disconnect “{{name}}” before deleting it.',
  errManaged: MANAGED_TEXT.en,
  detailServers: 'Servers',
  errNameInvalid: 'Choose a name with at least one letter or digit.',
  errStoreWrite: 'Tsunagu could not save to its data folder.',
  errStoreRead: 'Tsunagu could not read its data folder.',
  errImportExpired: 'This import is no longer waiting for review. Start the import again.',
  errImportNothing: 'Nothing here can be imported: every profile was refused.',
  errExportFailed: 'The file could not be written.',
  errUrlInvalid: 'This is not a valid web address.',
  errUrlNotHttps: 'Only https addresses are accepted, so the profile cannot be read or changed on the way.',
  errUrlCredentials: 'Web addresses with a user name or password in them are refused.',
  errUrlRedirectInsecure: 'The server redirected to an address that is not https; the download was stopped.',
  errUrlTooManyRedirects: 'The server redirected too many times.',
  errUrlStatus: 'The server answered with an error (HTTP {{status}}).',
  errUrlContentType: 'The address returned “{{type}}”, not a VPN profile.',
  errUrlWebPage: 'The address returned a web page, not a VPN profile. You may need to sign in on the website and download the profile file instead.',
  errUrlTooLarge: 'The download is larger than {{limit}}; a VPN profile is much smaller.',
  errUrlTimeout: 'The server did not answer in time.',
  errUrlNetwork: 'The server could not be reached.',
  errDeepLinkInvalid: 'This Tsunagu link is not valid. A link must look like tsunagu://import?url=https://…',
  errHelperUnavailable: 'The VPN helper is not available.',
  errNotConnected: '“{{name}}” is not connected.',
  errNoPrompt: '“{{name}}” is not waiting for a sign-in.',
  errCredentialsRejected: 'The helper did not accept the sign-in details.',
  errConnectOnLaunchUnknown: 'The profile chosen to connect at launch does not exist.',
  errLaunchAtLogin: 'Launch at login could not be changed.',
  pastedText: 'pasted text',

  // --- leak protection (issue 14) ---
  trayBlocked: 'Blocked — the VPN is down',
  trayLockdown: 'Always-on: traffic is blocked until a VPN connects',
  errFirewallUnsupported: 'This version of the Tsunagu helper cannot block traffic outside the VPN. Update Tsunagu.',
};

type Keys = keyof typeof en;

const ja: Record<Keys, string> = {
  trayTooltip: 'Tsunagu — {{status}}',
  trayNotConnected: '未接続',
  trayConnecting: '{{name}} に接続中…',
  trayAuthenticating: '{{name}} にサインイン中…',
  trayWaitingForSignIn: '{{name}} のサインイン入力を待っています',
  trayReconnecting: '{{name}} に再接続中…',
  trayDisconnecting: '{{name}} を切断中…',
  trayConnected: '{{name}} に接続済み ({{address}})',
  trayConnectedMany: '{{count}} 件の VPN に接続済み',
  trayFailed: '{{name}} に接続できませんでした',
  trayHelperStarting: 'VPN ヘルパーに接続中…',
  trayHelperUnavailable: 'VPN ヘルパーを利用できません',
  trayConnect: '「{{name}}」に接続',
  trayDisconnect: '「{{name}}」を切断',
  trayNoProfiles: 'プロファイルはまだありません',
  trayOpen: 'Tsunagu を開く',
  trayImport: 'プロファイルをインポート…',
  trayImportFilter: 'VPN プロファイル',
  saveFilterProfile: 'VPN プロファイル',
  saveFilterText: 'テキスト',
  trayQuit: 'Tsunagu を終了',
  trayDisconnectAndQuit: '切断して終了',

  notifyConnectedTitle: 'VPN に接続しました',
  notifyConnectedBody: '{{name}} に接続しました ({{address}})。',
  notifyDroppedTitle: 'VPN が切断されました',
  notifyDroppedBody: '{{name}} が切断されました: {{reason}}',
  notifyFailedTitle: 'VPN に接続できませんでした',
  notifyFailedBody: '{{name}}: {{message}}',
  notifyHelperLostTitle: 'VPN ヘルパーが停止しました',

  helperNotRunning: 'Tsunagu ヘルパーが動作していないため、VPN に接続できません。',
  helperNotRunningFix: 'ターミナルで「sudo systemctl start tsunagu-helper」(インストール版) または「sudo npx tsunagu helper」(ソースフォルダーから) を実行して起動してください。',
  helperPermissionDenied: 'このユーザーは Tsunagu ヘルパーを使用できません。',
  helperPermissionDeniedFix: '管理者に「tsunagu」グループへの追加 (sudo usermod -aG tsunagu $USER) を依頼し、いったんサインアウトしてから再度サインインしてください。',
  helperUntrusted: 'ヘルパーのソケット {{path}} の所有者が root ではないため、Tsunagu は信頼しません。',
  helperUntrustedFix: 'これを作成したものを取り除き、正規のヘルパーを起動してください:「sudo systemctl restart tsunagu-helper」',
  helperVersionMismatch: 'Tsunagu ヘルパーのバージョンがこのアプリと異なります。',
  helperVersionMismatchFix: 'Tsunagu を更新し、ヘルパーを再起動して (「sudo systemctl restart tsunagu-helper」) バージョンを揃えてください。',
  helperStoppedReason: 'VPN ヘルパーが停止しました',

  errBadRequest: 'リクエストを理解できませんでした。',
  errUntrustedSender: 'Tsunagu 自身のウィンドウ以外からのリクエストを拒否しました。',
  errInternal: 'Tsunagu の内部で問題が発生しました。',
  errProfileNotFound: 'このプロファイルはもう存在しません。',
  errProfileConnected: '「{{name}}」を削除する前に切断してください。',
  errManaged: MANAGED_TEXT.ja,
  detailServers: 'サーバー',
  errNameInvalid: '文字または数字を 1 文字以上含む名前を指定してください。',
  errStoreWrite: 'Tsunagu のデータフォルダーに保存できませんでした。',
  errStoreRead: 'Tsunagu のデータフォルダーを読み取れませんでした。',
  errImportExpired: 'このインポートは確認待ちではなくなりました。もう一度インポートしてください。',
  errImportNothing: 'インポートできるものがありません。すべてのプロファイルが拒否されました。',
  errExportFailed: 'ファイルを書き込めませんでした。',
  errUrlInvalid: '正しい Web アドレスではありません。',
  errUrlNotHttps: 'https のアドレスのみ受け付けます (途中でプロファイルを読まれたり書き換えられたりしないようにするためです)。',
  errUrlCredentials: 'ユーザー名やパスワードを含む Web アドレスは受け付けません。',
  errUrlRedirectInsecure: 'サーバーが https 以外のアドレスへリダイレクトしたため、ダウンロードを中止しました。',
  errUrlTooManyRedirects: 'サーバーのリダイレクトが多すぎます。',
  errUrlStatus: 'サーバーがエラーを返しました (HTTP {{status}})。',
  errUrlContentType: 'このアドレスが返したのは「{{type}}」で、VPN プロファイルではありません。',
  errUrlWebPage: 'このアドレスが返したのは Web ページで、VPN プロファイルではありません。Web サイトにサインインしてプロファイルのファイルをダウンロードする必要があるかもしれません。',
  errUrlTooLarge: 'ダウンロードが {{limit}} を超えています。VPN プロファイルはもっと小さいはずです。',
  errUrlTimeout: 'サーバーが時間内に応答しませんでした。',
  errUrlNetwork: 'サーバーに接続できませんでした。',
  errDeepLinkInvalid: 'この Tsunagu リンクは正しくありません。リンクは tsunagu://import?url=https://… の形式である必要があります。',
  errHelperUnavailable: 'VPN ヘルパーを利用できません。',
  errNotConnected: '「{{name}}」は接続されていません。',
  errNoPrompt: '「{{name}}」はサインイン入力を待っていません。',
  errCredentialsRejected: 'ヘルパーがサインイン情報を受け付けませんでした。',
  errConnectOnLaunchUnknown: '起動時に接続するプロファイルが存在しません。',
  errLaunchAtLogin: 'ログイン時の起動設定を変更できませんでした。',
  pastedText: '貼り付けたテキスト',

  trayBlocked: '遮断中 — VPN が切断されています',
  trayLockdown: '常時接続: VPN に接続するまで通信を遮断しています',
  errFirewallUnsupported: 'このバージョンの Tsunagu ヘルパーは VPN 以外の通信を遮断できません。Tsunagu を更新してください。',
};

export const mainCatalog = { en, ja } as const;

export type MainLanguage = keyof typeof mainCatalog;
export type MainKey = Keys;
export type MainVars = Record<string, string | number>;

/** The string for `key` in `lang`, with `{{placeholders}}` filled in. */
export function mainText(lang: MainLanguage, key: MainKey, vars: MainVars = {}): string {
  return mainCatalog[lang][key].replace(/\{\{(\w+)\}\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** The same message in every language, as errors and helper statuses carry it. */
export function mainTexts(key: MainKey, vars: MainVars = {}): { en: string; ja: string } {
  return { en: mainText('en', key, vars), ja: mainText('ja', key, vars) };
}
