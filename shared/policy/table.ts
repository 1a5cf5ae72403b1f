/**
 * The administrator policies: one declaration each, the single source of truth. The policy file's
 * JSON Schema, the sample policy.json and the README's administrator table are generated from this
 * table (generate.ts); every platform's reader (Linux files today, Windows HKLM and macOS managed
 * preferences beside it) only supplies raw values per origin, and resolve.ts validates them here.
 */
import * as z from 'zod';
import type { LocalizedText } from '../profiles/diagnostics.js';
import { PROFILE_KINDS, profileKindSchema } from '../profiles/kinds.js';
import { serverPattern } from './servers.js';

/** Who makes a policy hold: the root helper (a client cannot get around it) or the app (its UI). */
export type Enforcer = 'helper' | 'app';

export interface PolicyDeclaration<S extends z.ZodType = z.ZodType> {
  schema: S;
  default: z.infer<S>;
  description: LocalizedText;
  enforcedBy: Enforcer;
}

function declare<S extends z.ZodType>(d: PolicyDeclaration<S>): PolicyDeclaration<S> {
  return d;
}

/** The kinds of profile the helper runs (its protocol's `kind`): the one list, shared/profiles/kinds.ts. */
export { PROFILE_KINDS } from '../profiles/kinds.js';
export const profileKind = profileKindSchema;

/** A provisioned profile's id: its file name in `<policy dir>/profiles/` without the extension. */
export const provisionedId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a provisioned profile id: lowercase letters, digits, . _ - (up to 64)');

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export const POLICIES = {
  AllowUserProfiles: declare({
    schema: z.boolean(),
    default: true,
    enforcedBy: 'helper',
    description: {
      en: 'Users may import, edit, delete and connect their own (personal) profiles. When false only provisioned profiles connect.',
      ja: 'ユーザーが自分の (個人) プロファイルをインポート・編集・削除・接続できます。false のときは配布されたプロファイルだけが接続できます。',
    },
  }),
  AllowScripts: declare({
    schema: z.boolean(),
    default: false,
    enforcedBy: 'helper',
    description: {
      en: 'Profiles may run scripts as root: OpenVPN up/down/route-up (script-security 2) and WireGuard PreUp/PostUp/PreDown/PostDown. The only switch for them.',
      ja: 'プロファイルが root 権限でスクリプトを実行できます: OpenVPN の up/down/route-up (script-security 2) と WireGuard の PreUp/PostUp/PreDown/PostDown。これらを許可する唯一の設定です。',
    },
  }),
  AllowSavePasswords: declare({
    schema: z.boolean(),
    default: true,
    enforcedBy: 'app',
    description: {
      en: 'The app may save VPN passwords in the system keyring.',
      ja: 'アプリが VPN のパスワードをシステムのキーリングに保存できます。',
    },
  }),
  AllowedKinds: declare({
    schema: z.array(profileKind).max(PROFILE_KINDS.length),
    default: [...PROFILE_KINDS],
    enforcedBy: 'helper',
    description: {
      en: `The kinds of personal profile that may connect (${PROFILE_KINDS.join(', ')}).`,
      ja: `接続できる個人プロファイルの種類 (${PROFILE_KINDS.join('、')})。`,
    },
  }),
  AllowedServers: declare({
    schema: z.array(serverPattern).max(1000),
    default: ['*'],
    enforcedBy: 'helper',
    description: {
      en: 'The servers a personal profile may connect to: every remote and endpoint, and every proxy an OpenVPN profile connects through (it reaches the server for the tunnel), must match one pattern — a host name, `*.example.com` (its subdomains), an address or CIDR (`192.0.2.0/24`), or `*` (any). A host name is matched by name only, never by what it resolves to.',
      ja: '個人プロファイルの接続先として許可するサーバー: すべての remote と endpoint、および OpenVPN プロファイルが経由するすべてのプロキシ (トンネルの代わりにサーバーへ接続します) がいずれかのパターンに一致する必要があります — ホスト名、`*.example.com` (そのサブドメイン)、アドレスまたは CIDR (`192.0.2.0/24`)、`*` (すべて)。ホスト名は名前だけで照合し、名前解決の結果では照合しません。',
    },
  }),
  AutoConnectProfile: declare({
    schema: z.union([provisionedId, z.literal('')]),
    default: '',
    enforcedBy: 'app',
    description: {
      en: 'The id of a provisioned profile the app connects when it starts (empty: none).',
      ja: 'アプリの起動時に接続する配布プロファイルの ID (空: なし)。',
    },
  }),
  AlwaysOn: declare({
    schema: z.boolean(),
    default: false,
    enforcedBy: 'helper',
    description: {
      en: 'A user who is not root cannot disconnect a tunnel or quit the app, and lockdown is on: the helper blocks all traffic whenever no tunnel is up, from its start (and at boot with the installed service). Users cannot turn lockdown off or lift the block.',
      ja: 'root 以外のユーザーはトンネルを切断したりアプリを終了したりできません。また、ロックダウンが有効になり、トンネルが接続されていない間はヘルパーが起動時から (インストール済みのサービスでは起動直後から) すべての通信を遮断します。ユーザーはロックダウンを無効にしたり、遮断を解除したりできません。',
    },
  }),
  KillSwitch: declare({
    schema: z.boolean(),
    default: false,
    enforcedBy: 'helper',
    description: {
      en: 'The kill switch is forced on for every full-tunnel session: traffic outside the tunnel is blocked while it connects, is connected or reconnects, and stays blocked if it drops, until the user disconnects. Users cannot turn it off.',
      ja: 'すべてのフルトンネル接続でキルスイッチを強制的に有効にします。接続中・接続済み・再接続中はトンネル外の通信を遮断し、トンネルが切れても利用者が切断するまで遮断を続けます。利用者は無効にできません。',
    },
  }),
  StartAtLogin: declare({
    schema: z.boolean(),
    default: false,
    enforcedBy: 'app',
    description: {
      en: 'The app starts when the user logs in, and the user cannot turn this off.',
      ja: 'ユーザーのログイン時にアプリが起動し、ユーザーはこれを無効にできません。',
    },
  }),
  LogLevel: declare({
    schema: z.enum(LOG_LEVELS),
    default: 'info',
    enforcedBy: 'helper',
    description: {
      en: `The lowest level of the helper's lines written to its journal (${LOG_LEVELS.join(', ')}).`,
      ja: `ヘルパーがジャーナルに書き込む行の最低レベル (${LOG_LEVELS.join('、')})。`,
    },
  }),
} as const;

export type PolicyName = keyof typeof POLICIES;
export type PolicyValues = { -readonly [K in PolicyName]: z.infer<(typeof POLICIES)[K]['schema']> };

export const POLICY_NAMES = Object.keys(POLICIES) as PolicyName[];

export function isPolicyName(name: string): name is PolicyName {
  return Object.hasOwn(POLICIES, name);
}

/** Values are JSON scalars or lists of them: a list is copied so nobody changes the table's. */
function copy<T>(value: T): T {
  return Array.isArray(value) ? (value.slice() as T) : value;
}

export function defaultPolicyValues(): PolicyValues {
  return Object.fromEntries(POLICY_NAMES.map((n) => [n, copy(POLICIES[n].default)])) as PolicyValues;
}

/** The effective values, as the helper reports them (its `policy` request). */
export const policyValues = z.object(Object.fromEntries(POLICY_NAMES.map((n) => [n, POLICIES[n].schema])) as { [K in PolicyName]: (typeof POLICIES)[K]['schema'] }).strict();
