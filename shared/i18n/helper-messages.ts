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
  // One code per connecting phase, so that each phase reads in the UI's language.
  'session.connecting.starting': { en: 'state connecting (starting)', ja: '状態: 接続中 (開始しています)' },
  'session.connecting.resolving': { en: 'state connecting (resolving)', ja: '状態: 接続中 (サーバーを探しています)' },
  'session.connecting.connecting': { en: 'state connecting (connecting)', ja: '状態: 接続中 (サーバーに接続しています)' },
  'session.connecting.handshake': { en: 'state connecting (handshake)', ja: '状態: 接続中 (安全な接続を確立しています)' },
  'session.connecting.configuring': { en: 'state connecting (configuring)', ja: '状態: 接続中 (ネットワークを設定しています)' },
  'session.connecting.waiting': { en: 'state connecting (waiting)', ja: '状態: 接続中 (サーバーの応答を待っています)' },
  'session.authenticating': { en: 'state authenticating', ja: '状態: 認証中' },
  'session.connected': { en: 'state connected {{localIp}} via {{remote}}', ja: '状態: 接続済み ({{remote}} 経由、アドレス {{localIp}})' },
  'session.reconnecting': { en: 'state reconnecting ({{reason}}, attempt {{attempt}})', ja: '状態: 再接続中 ({{reason}}、{{attempt}} 回目)' },
  'session.disconnecting': { en: 'state disconnecting', ja: '状態: 切断中' },
  'session.disconnected': { en: 'state disconnected ({{reason}})', ja: '状態: 切断済み ({{reason}})' },
  'session.error': { en: 'state error {{code}}: {{message_en}}', ja: '状態: エラー {{code}}: {{message_ja}}' },
  'session.errorDetail': { en: 'state error {{code}}: {{message_en}} — {{detail}}', ja: '状態: エラー {{code}}: {{message_ja}} — {{detail}}' },
  'session.workDirNotRemoved': { en: 'could not remove {{path}}: {{error}}', ja: '{{path}} を削除できませんでした: {{error}}' },
  'session.teardownFailed': { en: 'teardown failed: {{error}}', ja: '後片付けに失敗しました: {{error}}' },
  'session.serversPinned': { en: 'servers pinned for this session: {{pins}}', ja: 'このセッションのサーバーのアドレスを固定しました: {{pins}}' },
  'session.killSwitchOn': { en: 'kill switch on: only the tunnel passes', ja: 'キルスイッチ有効: トンネルの通信だけを通します' },
  'session.killSwitchOnLan': { en: 'kill switch on: only the tunnel passes (and the local network)', ja: 'キルスイッチ有効: トンネルとローカルネットワークの通信だけを通します' },
  'session.recoverFailed': { en: 'recover: {{error}}', ja: '復旧に失敗しました: {{error}}' },
  'standby.unavailable': { en: 'no {{kind}} standby: {{error}}', ja: '{{kind}} の待機プロセスを用意できませんでした: {{error}}' },

  // --- the socket server ---
  'server.listening': {
    en: '{{name}} listening on {{where}} (root and group \'{{group}}\')',
    ja: '{{name}} が {{where}} で待ち受けています (root とグループ「{{group}}」)',
  },
  'server.listeningActivated': {
    en: '{{name}} listening on the socket systemd passed (root and group \'{{group}}\')',
    ja: '{{name}} が systemd から渡されたソケットで待ち受けています (root とグループ「{{group}}」)',
  },
  'server.listeningActivatedNamed': {
    en: '{{name}} listening on the socket systemd passed ({{socket}}) (root and group \'{{group}}\')',
    ja: '{{name}} が systemd から渡されたソケット ({{socket}}) で待ち受けています (root とグループ「{{group}}」)',
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
  'driver.promptCancelled': { en: 'The credentials prompt was cancelled; disconnecting.', ja: 'サインイン情報の入力が取り消されたため、切断します。' },
  'driver.teardownTook': { en: 'teardown took {{ms}} ms', ja: '後片付けに {{ms}} ミリ秒かかりました' },
  'driver.stillPresent': { en: 'still present after teardown: {{item}}', ja: '後片付けの後も残っています: {{item}}' },
  'driver.notRemoved': { en: 'could not remove: {{items}}', ja: '削除できませんでした: {{items}}' },
  'driver.internal': { en: 'internal: {{error}}', ja: '内部エラー: {{error}}' },

  // --- OpenVPN driver ---
  'openvpn.refused': { en: 'refusing to run openvpn: {{problem}}', ja: 'openvpn の実行を拒否しました: {{problem}}' },
  'openvpn.startFailed': { en: 'could not start openvpn: {{error}}', ja: 'openvpn を起動できませんでした: {{error}}' },
  'openvpn.started': { en: 'openvpn started (pid {{pid}})', ja: 'openvpn を起動しました (プロセス ID {{pid}})' },
  'openvpn.startedInNetns': { en: 'openvpn started (pid {{pid}}, namespace {{netns}})', ja: 'openvpn を起動しました (プロセス ID {{pid}}、ネットワーク名前空間 {{netns}})' },
  'openvpn.exited': { en: 'openvpn exited ({{how}})', ja: 'openvpn が終了しました ({{how}})' },
  'openvpn.restarting': { en: 'restarting openvpn in {{seconds}} s', ja: '{{seconds}} 秒後に openvpn を再起動します' },
  'openvpn.killing': { en: 'openvpn did not exit within {{seconds}} s; killing it', ja: 'openvpn が {{seconds}} 秒以内に終了しなかったため、強制終了します' },
  'openvpn.removedLeftovers': { en: 'removed what openvpn left: {{items}}', ja: 'openvpn が残したものを削除しました: {{items}}' },
  'openvpn.managementConnected': { en: 'openvpn connected to the management socket', ja: 'openvpn が管理ソケットに接続しました' },
  'openvpn.commandRefused': { en: 'openvpn refused \'{{command}}\': {{reply}}', ja: 'openvpn がコマンド「{{command}}」を拒否しました: {{reply}}' },
  'openvpn.commandUnanswered': { en: '\'{{command}}\' not answered: {{error}}', ja: 'コマンド「{{command}}」に応答がありません: {{error}}' },
  'openvpn.waitingBeforeAttempt': { en: 'waiting {{seconds}} s before the next attempt', ja: '次の接続試行まで {{seconds}} 秒待ちます' },
  'openvpn.attemptFailed': { en: 'connection attempt failed ({{reason}}); trying again', ja: '接続に失敗しました ({{reason}})。もう一度試します' },
  'openvpn.connectedWithErrors': { en: 'openvpn connected with errors ({{detail}})', ja: 'openvpn は接続しましたが、エラーがありました ({{detail}})' },
  'openvpn.routesRefused': {
    en: 'the helper refused the routes of this connection (see its error: a conflict with another connection, or a kill switch for a tunnel that carries only some networks); openvpn was stopped',
    ja: 'ヘルパーがこの接続のルートを拒否したため、openvpn を停止しました (理由はエラーを参照: 別の接続との競合、または一部のネットワークだけを通すトンネルへのキルスイッチ)',
  },
  'openvpn.webLoginUnsupported': { en: 'The server asks for a web login, which Tsunagu does not support yet.', ja: 'サーバーが Web でのログインを求めていますが、Tsunagu はまだ対応していません。' },
  'openvpn.loginRefusedForNow': { en: 'the server refused the login for now ({{reason}}); openvpn will retry', ja: 'サーバーが今回のログインを拒否しました ({{reason}})。openvpn が再試行します' },
  'openvpn.sessionToken': { en: 'the server issued a session token', ja: 'サーバーがセッショントークンを発行しました' },
  'openvpn.answeringPrompt': { en: 'answering the \'{{label}}\' prompt with this session\'s credentials', ja: '「{{label}}」の入力要求に、このセッションのサインイン情報で応答します' },
  'openvpn.waitingPassphrase': { en: 'waiting for the key passphrase', ja: '鍵のパスフレーズの入力を待っています' },
  'openvpn.waitingChallenge': { en: 'waiting for a challenge response', ja: '追加の確認への回答を待っています' },
  'openvpn.waitingUserPass': { en: 'waiting for a username and password', ja: 'ユーザー名とパスワードの入力を待っています' },

  // --- WireGuard driver ---
  'wireguard.up': { en: 'wg-quick up', ja: 'wg-quick up を実行します' },
  'wireguard.upInNetns': { en: 'wg-quick up in netns {{netns}}', ja: 'ネットワーク名前空間 {{netns}} で wg-quick up を実行します' },
  'wireguard.upTookGo': { en: 'wg-quick up took {{ms}} ms; wireguard-go pid {{pids}}', ja: 'wg-quick up に {{ms}} ミリ秒かかりました。wireguard-go のプロセス ID は {{pids}} です' },
  'wireguard.upTookKernel': { en: 'wg-quick up took {{ms}} ms; no wireguard-go (kernel WireGuard)', ja: 'wg-quick up に {{ms}} ミリ秒かかりました。wireguard-go は使っていません (カーネルの WireGuard)' },
  'wireguard.noHandshake': { en: 'no handshake within {{ms}} ms', ja: '{{ms}} ミリ秒以内にハンドシェイクがありませんでした' },
  'wireguard.rulesUnlisted': {
    en: 'could not list the ip rules: the ones wg-quick added will stay after disconnect',
    ja: 'ip ルールを一覧できませんでした。wg-quick が追加したルールは切断後も残ります',
  },
  'wireguard.goExited': { en: 'wireguard-go (pid {{pids}}) exited', ja: 'wireguard-go (プロセス ID {{pids}}) が終了しました' },
  'wireguard.showFailed': { en: 'wg show failed: {{error}}', ja: 'wg show に失敗しました: {{error}}' },
  'wireguard.dumpProblems': { en: 'wg show dump: {{problems}}', ja: 'wg show dump の問題: {{problems}}' },
  'wireguard.firstHandshake': { en: 'first handshake with {{endpoint}} {{ms}} ms after start', ja: '開始から {{ms}} ミリ秒で {{endpoint}} と最初のハンドシェイクをしました' },
  'wireguard.firstHandshakePeer': { en: 'first handshake with the peer {{ms}} ms after start', ja: '開始から {{ms}} ミリ秒でピアと最初のハンドシェイクをしました' },
  'wireguard.answersAgain': { en: 'the server answers again after {{seconds}} s ({{attempts}} retry interval(s))', ja: '{{seconds}} 秒後にサーバーが再び応答しました (再試行の間隔 {{attempts}} 回分)' },
  'wireguard.silent': {
    en: 'nothing received for {{seconds}} s while sending (latest handshake {{age}} s ago): reconnecting',
    ja: '送信中に {{seconds}} 秒間何も受信していません (最後のハンドシェイクは {{age}} 秒前)。再接続します',
  },

  // --- IKEv2 driver ---
  'ikev2.charonStarted': { en: 'charon pid {{pid}}', ja: 'charon を起動しました (プロセス ID {{pid}})' },
  'ikev2.charonStartedInNetns': { en: 'charon pid {{pid}} in namespace {{netns}}', ja: 'charon を起動しました (プロセス ID {{pid}}、ネットワーク名前空間 {{netns}})' },
  'ikev2.charonAhead': { en: 'charon pid {{pid}} (launched ahead)', ja: '事前に起動した charon を使います (プロセス ID {{pid}})' },
  'ikev2.charonAheadInNetns': { en: 'charon pid {{pid}} in namespace {{netns}} (launched ahead)', ja: '事前に起動した charon を使います (プロセス ID {{pid}}、ネットワーク名前空間 {{netns}})' },
  'ikev2.charonExited': { en: 'charon exited ({{how}})', ja: 'charon が終了しました ({{how}})' },
  'ikev2.charonExitedWith': { en: 'charon exited ({{how}}): {{failure}}', ja: 'charon が終了しました ({{how}}): {{failure}}' },
  'ikev2.waitingCredentials': { en: 'waiting for the {{method}} user name and password', ja: '{{method}} のユーザー名とパスワードの入力を待っています' },
  'ikev2.waitingCredentialsRetry': { en: 'waiting for the {{method}} user name and password (the last one was refused)', ja: '{{method}} のユーザー名とパスワードの入力を待っています (前回の入力は拒否されました)' },
  'ikev2.waitingPassphrase': { en: 'waiting for the passphrase of the private key', ja: '秘密鍵のパスフレーズの入力を待っています' },
  'ikev2.waitingPassphraseRetry': { en: 'waiting for the passphrase of the private key (the last one was refused)', ja: '秘密鍵のパスフレーズの入力を待っています (前回の入力は拒否されました)' },
  'ikev2.passphraseWrong': { en: 'The passphrase does not open the private key.', ja: 'このパスフレーズでは秘密鍵を開けません。' },
  'ikev2.passwordRefused': { en: '{{message_en}}', ja: '{{message_ja}}' },
  'ikev2.passwordRefusedDetail': { en: '{{message_en}} ({{detail}})', ja: '{{message_ja}} ({{detail}})' },
  'ikev2.childUp': { en: 'CHILD_SA up after {{ms}} ms', ja: '{{ms}} ミリ秒で CHILD_SA が確立しました' },
  'ikev2.terminateFailed': { en: 'terminate: {{error}}', ja: '終了要求に失敗しました: {{error}}' },
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

/**
 * A log line as a user reads it in `lang`: the helper's own (a known code with its parameters) from
 * this catalogue; a tool's line, a code this build does not know (a newer helper) or a line whose
 * parameters do not fit its code, as its text.
 */
export function helperLineText(line: { text: string; code?: string; params?: Readonly<Record<string, HelperParamValue>> }, lang: HelperMessageLanguage): string {
  if (line.code === undefined || line.params === undefined || !isHelperMessageCode(line.code)) return line.text;
  return renderHelperMessage(lang, line.code, line.params) ?? line.text;
}

/** A localized text as the two parameters `<name>_en` and `<name>_ja` (see the header). */
export function localizedParams<N extends string>(name: N, text: { en: string; ja: string }): Record<`${N}_en` | `${N}_ja`, string> {
  return { [`${name}_en`]: text.en, [`${name}_ja`]: text.ja } as Record<`${N}_en` | `${N}_ja`, string>;
}
