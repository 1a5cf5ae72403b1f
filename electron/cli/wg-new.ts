/**
 * `tsunagu wg new`: the app's "New WireGuard tunnel" on the command line. Generates the key pair,
 * saves the profile into the app's own profile store (the same folder and record format), and
 * prints the [Peer] block for the server administrator: the block alone on stdout (so it can be
 * redirected to a file), the explanation on stderr; or everything as one JSON object.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { NewWireGuardRequest } from '../../shared/ipc/app-api.js';
import type { NewWireGuardField } from '../../shared/profiles/wireguard/create.js';
import { ProfileStore } from '../main/services/profile-store.js';
import { createWireGuardProfile } from '../main/services/wireguard-create.js';
import type { Lang } from './lang.js';
import type { CliIo } from './main.js';

export const WG_NEW_USAGE = `Usage: tsunagu wg new --name NAME --address CIDRS --endpoint HOST:PORT --server-key KEY
                     --allowed-ips CIDRS [--dns SERVERS] [--keepalive SECONDS] [--json] [--data-dir DIR]
`;

/** The option that fills each field of the app's form. */
const OPTIONS: Record<NewWireGuardField, string> = {
  name: '--name',
  address: '--address',
  dns: '--dns',
  endpoint: '--endpoint',
  serverPublicKey: '--server-key',
  allowedIPs: '--allowed-ips',
  persistentKeepalive: '--keepalive',
};

/** The app's data folder (Electron's userData for "Tsunagu"), or $TSUNAGU_DATA_DIR. */
export function appDataDir(env: NodeJS.ProcessEnv): string {
  const given = env['TSUNAGU_DATA_DIR'];
  if (given) return given;
  const config = env['XDG_CONFIG_HOME'] || join(homedir(), '.config');
  return join(config, 'Tsunagu');
}

const TEXT = {
  en: {
    saved: (name: string, folder: string) => `Saved the WireGuard profile "${name}" in ${folder}.`,
    publicKey: (key: string) => `Your public key: ${key}`,
    send: 'Send the block below to the server administrator. They add it to the server\'s configuration; the tunnel connects once they have. It holds no secret: your private key stays in the profile.',
    refused: 'The tunnel was not created:',
    storeFailed: 'The profile could not be saved:',
  },
  ja: {
    saved: (name: string, folder: string) => `WireGuard のプロファイル「${name}」を ${folder} に保存しました。`,
    publicKey: (key: string) => `あなたの公開鍵: ${key}`,
    send: '次のブロックをサーバー管理者に送ってください。管理者がサーバーの設定に追加すると、トンネルに接続できるようになります。秘密の情報は含まれていません (秘密鍵はプロファイルの中にだけあります)。',
    refused: 'トンネルを作成できませんでした:',
    storeFailed: 'プロファイルを保存できませんでした:',
  },
} as const;

export async function runWgNew(argv: readonly string[], ctx: { lang: Lang; io: CliIo; env?: NodeJS.ProcessEnv }): Promise<number> {
  const { lang, io } = ctx;
  const given = new Map<string, string>();
  let json = false;
  let dataDir: string | undefined;
  const known = new Set([...Object.values(OPTIONS), '--data-dir']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--json') {
      json = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const option = eq > 0 ? arg.slice(0, eq) : arg;
    if (!known.has(option)) {
      io.stderr(`tsunagu wg new: unknown ${option.startsWith('-') ? 'option' : 'argument'} '${arg}'.\n${WG_NEW_USAGE}`);
      return 2;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) {
      io.stderr(`tsunagu wg new: ${option} needs a value.\n${WG_NEW_USAGE}`);
      return 2;
    }
    if (given.has(option)) {
      io.stderr(`tsunagu wg new: ${option} is given twice.\n`);
      return 2;
    }
    if (option === '--data-dir') dataDir = value;
    else given.set(option, value);
  }
  const request: NewWireGuardRequest = {
    name: given.get(OPTIONS.name) ?? '',
    address: given.get(OPTIONS.address) ?? '',
    endpoint: given.get(OPTIONS.endpoint) ?? '',
    serverPublicKey: given.get(OPTIONS.serverPublicKey) ?? '',
    allowedIPs: given.get(OPTIONS.allowedIPs) ?? '',
    ...(given.has(OPTIONS.dns) ? { dns: given.get(OPTIONS.dns) } : {}),
    ...(given.has(OPTIONS.persistentKeepalive) ? { persistentKeepalive: given.get(OPTIONS.persistentKeepalive) } : {}),
  };

  const folder = join(dataDir ?? appDataDir(ctx.env ?? process.env), 'profiles');
  const store = new ProfileStore(folder);
  try {
    await store.open();
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    io.stderr(`tsunagu wg new: ${TEXT[lang].storeFailed} ${folder}: ${detail}\n`);
    return 1;
  }
  const result = await createWireGuardProfile(store, request);
  if (!result.ok) {
    if (json) io.stdout(`${JSON.stringify({ ok: false, error: { code: result.error.code, message: result.error.message[lang], detail: result.error.detail } })}\n`);
    else io.stderr(`tsunagu wg new: ${TEXT[lang].storeFailed} ${result.error.message[lang]}${result.error.detail ? ` (${result.error.detail})` : ''}\n`);
    return 1;
  }
  const reply = result.value;
  if (!reply.created) {
    const errors = reply.fieldErrors.map((e) => ({ field: e.field, option: e.field === 'form' ? null : OPTIONS[e.field], code: e.code, message: e.message[lang] }));
    if (json) io.stdout(`${JSON.stringify({ ok: false, errors })}\n`);
    else io.stderr(`tsunagu wg new: ${TEXT[lang].refused}\n${errors.map((e) => `  ${e.option ?? ''}${e.option ? ': ' : ''}${e.message} [${e.code}]`).join('\n')}\n`);
    return 1;
  }
  if (json) {
    io.stdout(`${JSON.stringify({ ok: true, id: reply.id, name: reply.name, publicKey: reply.publicKey, peerBlock: reply.peerBlock, store: folder })}\n`);
    return 0;
  }
  io.stderr(`${TEXT[lang].saved(reply.name, folder)}\n${TEXT[lang].publicKey(reply.publicKey)}\n\n${TEXT[lang].send}\n\n`);
  io.stdout(reply.peerBlock);
  return 0;
}
