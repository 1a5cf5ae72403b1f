/**
 * The helper's own log messages (issue 15), the single source of their words: the helper renders
 * the English into a line's `text` (what the journal keeps) and sends `code` + `params`; the UI
 * renders the same code in its language. A tool's lines (openvpn's, charon's) have no code.
 *
 * Placeholders use i18next's `{{name}}` syntax. Both languages take the same parameters, with one
 * exception for text that is itself localized (an error's message): `{{message_en}}` in English and
 * `{{message_ja}}` in Japanese stand for one parameter given in both languages; a line carries both.
 * English texts are what the helper logged before codes existed (tests and journals match them).
 */

const messages = {
  // --- sessions ---
  'session.requested': {
    en: 'session {{sessionId}} ({{kind}}, “{{name}}”) requested by uid {{uid}}',
    ja: 'セッション {{sessionId}} ({{kind}}、「{{name}}」) がユーザー ID {{uid}} から要求されました',
  },
  'session.connecting': { en: 'state connecting ({{phase}})', ja: '状態: 接続中 ({{phase}})' },
  'session.authenticating': { en: 'state authenticating', ja: '状態: 認証中' },
  'session.connected': { en: 'state connected {{localIp}} via {{remote}}', ja: '状態: 接続済み ({{remote}} 経由、アドレス {{localIp}})' },
  'session.reconnecting': { en: 'state reconnecting ({{reason}}, attempt {{attempt}})', ja: '状態: 再接続中 ({{reason}}、{{attempt}} 回目)' },
  'session.disconnecting': { en: 'state disconnecting', ja: '状態: 切断中' },
  'session.disconnected': { en: 'state disconnected ({{reason}})', ja: '状態: 切断済み ({{reason}})' },
  'session.error': { en: 'state error {{code}}: {{message_en}}', ja: '状態: エラー {{code}}: {{message_ja}}' },
  'session.errorDetail': { en: 'state error {{code}}: {{message_en}} — {{detail}}', ja: '状態: エラー {{code}}: {{message_ja}} — {{detail}}' },
  'session.workDirNotRemoved': { en: 'could not remove {{path}}: {{error}}', ja: '{{path}} を削除できませんでした: {{error}}' },
  'session.teardownFailed': { en: 'teardown failed: {{error}}', ja: '後片付けに失敗しました: {{error}}' },
  'standby.unavailable': { en: 'no {{kind}} standby: {{error}}', ja: '{{kind}} の待機プロセスを用意できませんでした: {{error}}' },

  // --- the socket server ---
  'server.listening': {
    en: '{{name}} listening on {{where}} (root and group \'{{group}}\')',
    ja: '{{name}} が {{where}} で待ち受けています (root とグループ「{{group}}」)',
  },
  'server.socketDirClosed': {
    en: '{{dir}} is not searchable by the group or others (mode {{mode}}): only root can reach the socket; run chmod 0755 {{dir}}',
    ja: '{{dir}} はグループやその他のユーザーが検索できません (モード {{mode}})。ソケットに接続できるのは root だけです。chmod 0755 {{dir}} を実行してください',
  },
  'server.requestFailed': { en: 'request {{type}} failed: {{detail}}', ja: 'リクエスト {{type}} に失敗しました: {{detail}}' },
  'server.clientConnected': {
    en: 'client \'{{client}}\' connected (uid {{uid}}, pid {{pid}})',
    ja: 'クライアント「{{client}}」が接続しました (ユーザー ID {{uid}}、プロセス ID {{pid}})',
  },
  'helper.stopping': { en: 'helper stopping: tearing down every session', ja: 'ヘルパーを停止します: すべてのセッションを終了しています' },

  // --- policy and provisioned profiles ---
  'policy.problem': { en: 'policy: {{problem}}', ja: 'ポリシー: {{problem}}' },
  'policy.changed': { en: 'policy: {{name}} = {{value}} (from {{source}})', ja: 'ポリシー: {{name}} = {{value}} (設定元: {{source}})' },
  'provisioned.problem': { en: 'provisioned profile {{problem}}', ja: '組織のプロファイル: {{problem}}' },
  'provisioned.refused': {
    en: 'provisioned profile {{id}}: refused: {{code}} line {{line}}',
    ja: '組織のプロファイル {{id}} は拒否されました: {{code}} ({{line}} 行目)',
  },
  'provisioned.refusedNoReason': { en: 'provisioned profile {{id}}: refused: no reason given', ja: '組織のプロファイル {{id}} は拒否されました (理由の記載なし)' },
  'provisioned.notInspected': {
    en: 'provisioned profile {{id}}: could not be inspected: {{error}}',
    ja: '組織のプロファイル {{id}} を検査できませんでした: {{error}}',
  },
  'provisioned.list': { en: 'provisioned profiles: {{ids}}', ja: '組織のプロファイル: {{ids}}' },
  'provisioned.none': { en: 'provisioned profiles: none', ja: '組織のプロファイル: なし' },

  // --- every driver (drivers/lifecycle.ts) ---
  'driver.residueWriteFailed': { en: 'could not write the residue record: {{error}}', ja: '後片付け用の記録を書き込めませんでした: {{error}}' },
  'driver.failed': { en: '{{message_en}} [{{code}}]', ja: '{{message_ja}} [{{code}}]' },
  'driver.failedAfterEnd': { en: 'after the end: {{message_en}} [{{code}}]', ja: '終了後のエラー: {{message_ja}} [{{code}}]' },
} as const satisfies Record<string, { en: string; ja: string }>;

export const helperMessages: Readonly<Record<HelperMessageCode, { readonly en: string; readonly ja: string }>> = messages;

export type HelperMessageCode = keyof typeof messages;
export type HelperMessageLanguage = 'en' | 'ja';
export type HelperParamValue = string | number;

/** The `{{name}}` placeholders of a template, as a union of names. */
type Placeholders<S extends string> = S extends `${string}{{${infer P}}}${infer Rest}` ? P | Placeholders<Rest> : never;

/** The parameters code C needs: every placeholder of either language (both halves of a localized one). */
export type HelperMessageParams<C extends HelperMessageCode> = Record<Placeholders<(typeof messages)[C]['en']> | Placeholders<(typeof messages)[C]['ja']>, HelperParamValue>;

/** A code with its parameters, as one value (a union: the tag says which parameters it holds). */
export type CodedMessage = { [C in HelperMessageCode]: { code: C; params: HelperMessageParams<C> } }[HelperMessageCode];

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/** Whether a code (from the wire: any string) is one this catalogue knows. */
export function isHelperMessageCode(code: string): code is HelperMessageCode {
  return Object.hasOwn(messages, code);
}

/** The placeholder names a template uses, in order of first use. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ''))];
}

/**
 * The message in `lang` with its placeholders filled in one pass (a value is never read as a
 * placeholder or a code); null when a placeholder has no parameter, so a caller falls back to
 * the line's English text instead of showing a hole.
 */
export function renderHelperMessage(lang: HelperMessageLanguage, code: HelperMessageCode, params: Readonly<Record<string, HelperParamValue>>): string | null {
  let missing = false;
  const text = helperMessages[code][lang].replace(PLACEHOLDER, (_whole, name: string) => {
    if (!Object.hasOwn(params, name)) {
      missing = true;
      return '';
    }
    return String(params[name]);
  });
  return missing ? null : text;
}

/** A localized text as the two parameters `<name>_en` and `<name>_ja` (see the header). */
export function localizedParams<N extends string>(name: N, text: { en: string; ja: string }): Record<`${N}_en` | `${N}_ja`, string> {
  return { [`${name}_en`]: text.en, [`${name}_ja`]: text.ja } as Record<`${N}_en` | `${N}_ja`, string>;
}
