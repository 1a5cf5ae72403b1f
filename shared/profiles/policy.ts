/**
 * The security policy for client profiles, shared by the app (at import) and the privileged helper
 * (again, before anything runs as root). It is an allow-list: see openvpn/directives.ts for the
 * full table. Refusal is the default; an administrator may allow scripts, nothing more.
 */
import { profileError, type LocalizedText, type ProfileError } from './diagnostics.js';
import type { ProfileKind } from './kinds.js';
import { SAFE_SETENV, specOf, type DangerClass } from './openvpn/directives.js';

export interface ProfilePolicy {
  /**
   * Administrator opt-in (MDM / admin settings only, never a profile or a user toggle): lets
   * OpenVPN profiles run up/down/route-up scripts (script-security 2) and WireGuard profiles run
   * PreUp/PostUp/PreDown/PostDown. Native code, file writes and control sockets stay refused.
   */
  allowScripts: boolean;
}

export const DEFAULT_POLICY: ProfilePolicy = Object.freeze({ allowScripts: false });

const DANGER_TEXT: Record<DangerClass, LocalizedText> = {
  'runs-program': { en: 'runs a program with administrator (root) rights', ja: '管理者 (root) 権限でプログラムを実行します' },
  'replaces-system-tool': {
    en: 'replaces the system tools OpenVPN runs as administrator (root)',
    ja: 'OpenVPN が管理者 (root) 権限で実行するシステムツールを置き換えます',
  },
  'loads-native-code': {
    en: 'loads native code into the privileged VPN process',
    ja: '特権を持つ VPN プロセスにネイティブコードを読み込みます',
  },
  'writes-file': { en: 'writes a file anywhere on this computer as administrator', ja: '管理者権限でこのコンピューター上の任意のファイルに書き込みます' },
  'reads-file': { en: 'reads a file anywhere on this computer as administrator', ja: '管理者権限でこのコンピューター上の任意のファイルを読み取ります' },
  'control-socket': {
    en: 'opens a control channel that Tsunagu reserves for itself',
    ja: 'Tsunagu 専用の制御チャネルを開きます',
  },
  'process-control': {
    en: 'changes how the VPN process runs, which Tsunagu controls itself',
    ja: 'Tsunagu が管理する VPN プロセスの動作を変更します',
  },
  'socket-privilege': {
    en: "gives the VPN's connection an administrator-only socket option (a routing mark or a fixed network device) that can send traffic past other connections' routes",
    ja: 'VPN の通信に管理者専用のソケット設定 (ルーティングマークや固定のネットワークデバイス) を与え、他の接続のルートを迂回して通信を送れるようにします',
  },
};

/** What a class of refused directives could do as root, in both languages. */
export function dangerText(danger: DangerClass): LocalizedText {
  return DANGER_TEXT[danger];
}

export interface DirectiveUse {
  name: string;
  args: string[];
  line: number;
  column: number;
  source: string;
  setenvOpt: boolean;
}

/**
 * Checks one OpenVPN directive against the policy. Returns the refusal, or null when allowed.
 * `setenv opt X` has already been unwrapped to X: openvpn runs it all the same.
 */
export function checkOpenVpnDirective(use: DirectiveUse, policy: ProfilePolicy = DEFAULT_POLICY): ProfileError | null {
  const spec = specOf(use.name);
  const where = { line: use.line, column: use.column };
  const shown = use.setenvOpt ? `setenv opt ${use.name}` : use.name;

  if (use.name === 'setenv') {
    const variable = use.args[0] ?? '';
    if (variable === 'GENERIC_CONFIG') {
      return profileError('POLICY_GENERIC_CONFIG', where, use.source, {
        en: `Line ${use.line}: this is a generic (server-locked) configuration, not a profile for one user. Download your personal profile from the server's web portal instead.`,
        ja: `${use.line} 行目: これはユーザー個別のプロファイルではなく汎用 (サーバーロック) 設定です。サーバーのウェブポータルから自分用のプロファイルをダウンロードしてください。`,
      });
    }
    if (SAFE_SETENV.test(variable)) return null;
    return profileError('POLICY_SETENV', where, use.source, {
      en: `Line ${use.line}: 'setenv ${variable}' sets an environment variable for programs the VPN runs as administrator, so Tsunagu refuses it. Remove the line.`,
      ja: `${use.line} 行目: 'setenv ${variable}' は VPN が管理者権限で実行するプログラムの環境変数を設定するため、Tsunagu は受け付けません。この行を削除してください。`,
    });
  }

  if (use.name === 'lport' && !unprivilegedPort(use.args[0] ?? '')) {
    return privilegedPortError(use, 'lport', use.args[0] ?? '');
  }

  if (!spec || spec.role !== 'dangerous' || !spec.danger) return null;
  if (spec.danger === 'runs-program' && policy.allowScripts) return null;

  const why = DANGER_TEXT[spec.danger];
  const adminHint = spec.danger === 'runs-program';
  return profileError(`POLICY_${spec.danger.toUpperCase().replace(/-/g, '_')}`, where, use.source, {
    en:
      `Line ${use.line}: '${shown}' ${why.en}, so Tsunagu refuses this profile. Remove the line` +
      (adminHint ? ', or ask your administrator to allow scripts in Tsunagu’s managed settings.' : '.'),
    ja:
      `${use.line} 行目: '${shown}' は${why.ja}。そのため Tsunagu はこのプロファイルを受け付けません。この行を削除してください` +
      (adminHint ? '。または管理者に Tsunagu の管理設定でスクリプトの許可を依頼してください。' : '。'),
  });
}

/** Ports below 1024 are bound only by root: a profile must not borrow the helper's right to them. */
export const FIRST_UNPRIVILEGED_PORT = 1024;

/** A numeric port root is not needed for (a service name could resolve to anything). */
export function unprivilegedPort(value: string): boolean {
  return /^\d{1,5}$/.test(value) && Number(value) >= FIRST_UNPRIVILEGED_PORT && Number(value) <= 65535;
}

/** The local port a profile would bind is privileged (below 1024), or not a plain number. */
export function privilegedPortError(use: { line: number; column?: number; source: string }, directive: string, port: string): ProfileError {
  return profileError('POLICY_PRIVILEGED_PORT', { line: use.line, column: use.column }, use.source, {
    en: `Line ${use.line}: '${directive} ${port}' makes the VPN process bind local port '${port}', which only administrators may use (or which is not a plain number), so Tsunagu refuses it. Remove the line (a client needs no fixed local port), or use a number from ${FIRST_UNPRIVILEGED_PORT} to 65535.`,
    ja: `${use.line} 行目: '${directive} ${port}' は VPN プロセスにローカルポート '${port}' を使わせます。このポートは管理者しか使えない (または単純な数値ではない) ため、Tsunagu は受け付けません。この行を削除する (クライアントに固定のローカルポートは不要です) か、${FIRST_UNPRIVILEGED_PORT} から 65535 までの数値を指定してください。`,
  });
}

/** A directive that names a file still present after import: the helper never reads user paths. */
export function fileReferenceError(use: DirectiveUse, file: string): ProfileError {
  return profileError('POLICY_FILE_REFERENCE', { line: use.line, column: use.column }, use.source, {
    en: `Line ${use.line}: '${use.name}' refers to the file '${file}'. Import the profile together with that file (in the same folder or in a .zip) so Tsunagu can include it in the profile.`,
    ja: `${use.line} 行目: '${use.name}' はファイル '${file}' を参照しています。Tsunagu がプロファイルに取り込めるよう、そのファイルと一緒に (同じフォルダーまたは .zip で) インポートしてください。`,
  });
}

/** What to ask the administrator for instead of a server configuration, per kind. */
const CLIENT_FILE: Record<ProfileKind, LocalizedText> = {
  openvpn: { en: 'the client profile (.ovpn)', ja: 'クライアント用プロファイル (.ovpn)' },
  wireguard: { en: 'the client configuration (.conf) with an Endpoint', ja: 'Endpoint を含むクライアント用設定 (.conf)' },
  ikev2: { en: 'the client connection (swanctl.conf, .sswan or .mobileconfig)', ja: 'クライアント用の接続設定 (swanctl.conf、.sswan または .mobileconfig)' },
};

export function serverConfigError(kind: ProfileKind, line: number, text: string): ProfileError {
  const { en: what, ja: whatJa } = CLIENT_FILE[kind];
  return profileError('POLICY_SERVER_CONFIG', { line }, text, {
    en: `This is a server configuration${line > 0 ? ` (line ${line}: '${text}')` : ''}, not a client profile. Ask your administrator for ${what} and import that instead.`,
    ja: `これはクライアント用プロファイルではなく、サーバーの設定です${line > 0 ? ` (${line} 行目: '${text}')` : ''}。管理者に${whatJa}を依頼し、そちらをインポートしてください。`,
  });
}

export interface WireGuardHook {
  key: 'PreUp' | 'PostUp' | 'PreDown' | 'PostDown';
  line: number;
  value: string;
}

/** WireGuard's PreUp/PostUp/PreDown/PostDown are shell commands run as root by wg-quick. */
export function checkWireGuardHooks(hooks: WireGuardHook[], policy: ProfilePolicy = DEFAULT_POLICY): ProfileError[] {
  if (policy.allowScripts) return [];
  return hooks.map((h) =>
    profileError('POLICY_WG_SCRIPT', { line: h.line }, `${h.key} = ${h.value}`, {
      en: `Line ${h.line}: '${h.key}' runs a shell command as administrator (root), so Tsunagu refuses this configuration. Remove the line, or ask your administrator to allow scripts in Tsunagu’s managed settings.`,
      ja: `${h.line} 行目: '${h.key}' は管理者 (root) 権限でシェルコマンドを実行するため、Tsunagu はこの設定を受け付けません。この行を削除するか、管理者に Tsunagu の管理設定でスクリプトの許可を依頼してください。`,
    }),
  );
}
