/**
 * Advisories: settings that still work but are outdated, weak or surprising. Each has a stable code,
 * English and Japanese text, and — where it changes nothing but the problem — an automatic fix.
 */
import { openSslProvides } from './ciphers.js';
import type { Advisory, LocalizedText } from '../diagnostics.js';
import { unprivilegedPort } from '../policy.js';
import { isPlaceholderHost, placeholderHostText } from '../placeholder-host.js';
import type { OpenVpnDirective, OpenVpnProfile } from './model.js';
import type { RawDirective } from './reader.js';

export interface OpenVpnAdvisoryItem {
  advisory: Advisory;
  /** Present for automatic fixes: returns the corrected directive list. */
  apply?: (directives: OpenVpnDirective[]) => OpenVpnDirective[];
}

/** OpenVPN 2.6's default `data-ciphers`. */
export const DEFAULT_DATA_CIPHERS = ['AES-256-GCM', 'AES-128-GCM', 'CHACHA20-POLY1305'];
const SWEET32 = /^(BF|DES|DES-EDE|DES-EDE3|CAST5|RC2|IDEA|SEED)(-|$)/i;

const t = (en: string, ja: string): LocalizedText => ({ en, ja });

export type DroppedCode = 'OVPN_SCRIPT_SECURITY_DROPPED' | 'OVPN_UNKNOWN_IGNORED' | 'OVPN_WINDOWS_ONLY' | 'OVPN_OBSOLETE_DROPPED' | 'OVPN_SERVER_OPTION_DROPPED' | 'OVPN_HELPER_OWNED_DROPPED';

const DROPPED: Record<DroppedCode, { severity: 'warning' | 'info'; message: (d: RawDirective) => LocalizedText; why: LocalizedText }> = {
  OVPN_UNKNOWN_IGNORED: {
    severity: 'info',
    message: (d) => t(`Line ${d.line}: '${d.name}' is not an OpenVPN 2.6 option; the profile marks it as optional, so it is left out.`,
      `${d.line} 行目: '${d.name}' は OpenVPN 2.6 のオプションではありません。プロファイルで省略可能と指定されているため、除外しました。`),
    why: t('Options wrapped in "setenv opt" or listed in "ignore-unknown-option" are meant for other clients; OpenVPN 2.6 ignores them too.',
      '"setenv opt" で囲まれたオプションや "ignore-unknown-option" に列挙されたオプションは他のクライアント向けで、OpenVPN 2.6 も無視します。'),
  },
  OVPN_WINDOWS_ONLY: {
    severity: 'info',
    message: (d) => t(`Line ${d.line}: '${d.name}' only works on Windows and is left out here.`,
      `${d.line} 行目: '${d.name}' は Windows 専用のため、ここでは除外しました。`),
    why: t('OpenVPN on this system refuses Windows-only options; leaving them out changes nothing for this connection.',
      'このシステムの OpenVPN は Windows 専用オプションを受け付けません。除外してもこの接続には影響しません。'),
  },
  OVPN_OBSOLETE_DROPPED: {
    severity: 'info',
    message: (d) => t(`Line ${d.line}: '${d.name}' is obsolete and has no effect in OpenVPN 2.6; it is left out.`,
      `${d.line} 行目: '${d.name}' は古いオプションで OpenVPN 2.6 では効果がないため、除外しました。`),
    why: t('The option was removed or is ignored by current OpenVPN versions.',
      'このオプションは現在の OpenVPN では削除済み、または無視されます。'),
  },
  OVPN_SCRIPT_SECURITY_DROPPED: {
    severity: 'info',
    message: (d) => t(`Line ${d.line}: '${d.name} ${d.args[0] ?? ''}' would allow scripts to run with administrator (root) rights. Tsunagu runs no profile scripts, so the line is left out.`,
      `${d.line} 行目: '${d.name} ${d.args[0] ?? ''}' は管理者 (root) 権限でのスクリプト実行を許可します。Tsunagu はプロファイルのスクリプトを実行しないため、この行は除外しました。`),
    why: t('The option only permits scripts; it runs nothing itself. Without it OpenVPN still starts, and any script line in the profile is refused on its own.',
      'このオプションはスクリプトを許可するだけで、それ自体は何も実行しません。除外しても OpenVPN は起動し、プロファイル内のスクリプト行はそれぞれ個別に拒否されます。'),
  },
  OVPN_HELPER_OWNED_DROPPED: {
    severity: 'info',
    message: (d) => t(`Line ${d.line}: '${d.name}' asks OpenVPN to give up its administrator rights; Tsunagu's helper starts and supervises the VPN process itself, so the line is left out.`,
      `${d.line} 行目: '${d.name}' は OpenVPN に管理者権限を手放すよう指示します。VPN プロセスは Tsunagu のヘルパーが起動・管理するため、この行は除外しました。`),
    why: t('The helper has to stop the process and remove its routes and addresses when the connection ends, which it can only do for a process it owns; the connection itself is the same.',
      '接続の終了時にヘルパーはプロセスを停止し、ルートとアドレスを削除する必要があり、それは自分が所有するプロセスにしかできません。接続そのものは変わりません。'),
  },
  OVPN_SERVER_OPTION_DROPPED: {
    severity: 'warning',
    message: (d) => t(`Line ${d.line}: '${d.name}' is a server option and is left out of this client profile.`,
      `${d.line} 行目: '${d.name}' はサーバー用のオプションのため、このクライアント用プロファイルから除外しました。`),
    why: t('Server options have no meaning for a client; the profile may have been copied from a server configuration.',
      'サーバー用オプションはクライアントでは意味を持ちません。サーバーの設定からコピーされた可能性があります。'),
  },
};

/** An advisory for a line the parser left out of the model (the fix is already applied). */
export function droppedAdvisory(code: DroppedCode, d: RawDirective): Advisory {
  const entry = DROPPED[code];
  return {
    code,
    severity: entry.severity,
    line: d.line,
    message: entry.message(d),
    explanation: entry.why,
    fix: { automatic: true, description: t('The line is left out of the saved profile.', 'この行は保存されるプロファイルから除外されます。') },
  };
}

/**
 * The most exit notifications a profile may ask for. openvpn stays alive about a second per
 * notification after it was told to stop; more would outlast the helper's teardown grace, get it
 * killed and leave its routes behind (issue 10, finding 6).
 */
export const MAX_EXIT_NOTIFY = 2;

/** `explicit-exit-notify` without a count means 1. */
function exitNotifyCount(d: OpenVpnDirective): number {
  return Number(d.args[0] ?? '1');
}

/** Applies `fix` to every directive, inside <connection> blocks too. */
function mapDirectives(ds: OpenVpnDirective[], fix: (d: OpenVpnDirective) => OpenVpnDirective): OpenVpnDirective[] {
  return ds.map((d) => (d.block ? { ...d, block: mapDirectives(d.block, fix) } : fix(d)));
}

/** Root-only effects a profile asks for that are taken out or bounded, each with a note. */
function rootSafetyItems(profile: OpenVpnProfile, lines: Map<OpenVpnDirective, number>): OpenVpnAdvisoryItem[] {
  const items: OpenVpnAdvisoryItem[] = [];
  const all = profile.directives.flatMap((d) => (d.block ? [d, ...d.block] : [d]));
  const lineOf = (d: OpenVpnDirective | undefined) => (d ? lines.get(d) ?? 0 : 0);

  const longNotify = all.find((d) => d.name === 'explicit-exit-notify' && exitNotifyCount(d) > MAX_EXIT_NOTIFY);
  if (longNotify) {
    const line = lineOf(longNotify);
    items.push({
      advisory: {
        code: 'OVPN_EXIT_NOTIFY_CLAMPED',
        severity: 'info',
        line,
        message: t(`Line ${line}: 'explicit-exit-notify ${longNotify.args[0]}' is reduced to ${MAX_EXIT_NOTIFY}.`,
          `${line} 行目: 'explicit-exit-notify ${longNotify.args[0]}' を ${MAX_EXIT_NOTIFY} に減らします。`),
        explanation: t(`Each notification keeps the VPN process running about a second after you disconnect. Tsunagu waits only a few seconds before it stops the process, so more than ${MAX_EXIT_NOTIFY} could leave its routes behind. ${MAX_EXIT_NOTIFY} notifications are plenty for the server to notice.`,
          `通知 1 回ごとに、切断後も VPN プロセスが約 1 秒動き続けます。Tsunagu はプロセスを停止するまで数秒しか待たないため、${MAX_EXIT_NOTIFY} 回を超えるとルートが残る恐れがあります。サーバーが切断に気付くには ${MAX_EXIT_NOTIFY} 回で十分です。`),
        fix: { automatic: true, description: t(`Use 'explicit-exit-notify ${MAX_EXIT_NOTIFY}'.`, `'explicit-exit-notify ${MAX_EXIT_NOTIFY}' を使います。`) },
      },
      apply: (ds) => mapDirectives(ds, (d) => (d.name === 'explicit-exit-notify' && exitNotifyCount(d) > MAX_EXIT_NOTIFY ? { ...d, args: [String(MAX_EXIT_NOTIFY)] } : d)),
    });
  }

  const peerInfo = profile.directives.find((d) => d.name === 'push-peer-info');
  if (peerInfo) {
    const line = lineOf(peerInfo);
    // Dropped rather than refused: servers work without it (the basic IV_ peer info is always sent).
    items.push({
      advisory: {
        code: 'OVPN_PUSH_PEER_INFO_DROPPED',
        severity: 'info',
        line,
        message: t(`Line ${line}: 'push-peer-info' is left out.`, `${line} 行目: 'push-peer-info' を除外します。`),
        explanation: t("It would send the server details of this computer, such as its network card's hardware (MAC) address and system version. The connection works without it.",
          'このコンピューターの詳細 (ネットワークカードのハードウェア (MAC) アドレスやシステムのバージョンなど) をサーバーに送信してしまいます。これがなくても接続できます。'),
        fix: { automatic: true, description: t('The line is left out of the saved profile.', 'この行は保存されるプロファイルから除外されます。') },
      },
      apply: (ds) => ds.filter((d) => d.name !== 'push-peer-info'),
    });
  }

  // A fixed name (tun0, myvpn) could be one another session or the system already uses, and the
  // helper cleans up by name; plain tun/tap, and the helper gives the device a name of the session's own.
  const devices = profile.directives.filter((d) => d.name === 'dev' && d.args[0] !== 'tun' && d.args[0] !== 'tap');
  const namedDevice = devices[0];
  if (namedDevice) {
    const line = lineOf(namedDevice);
    const kind = profile.layer === 'L2' ? 'tap' : 'tun';
    items.push({
      advisory: {
        code: 'OVPN_DEVICE_NAME_DROPPED',
        severity: 'info',
        line,
        message: t(`Line ${line}: the fixed device name '${namedDevice.args[0]}' is replaced by '${kind}'.`,
          `${line} 行目: 固定のデバイス名 '${namedDevice.args[0]}' を '${kind}' に置き換えます。`),
        explanation: t('Tsunagu then gives the tunnel a name of this connection’s own, so it never takes a name another connection or the system is using. Nothing else changes.',
          'トンネルには Tsunagu がこの接続専用の名前を付けるため、他の接続やシステムが使っている名前を奪うことはありません。ほかには何も変わりません。'),
        fix: { automatic: true, description: t(`Use 'dev ${kind}'.`, `'dev ${kind}' を使います。`) },
      },
      apply: (ds) => ds.map((d) => (devices.includes(d) ? { ...d, args: [kind] } : d)),
    });
  }

  // `port N` is also the local port. A bound socket on it needs local/lport/bind (refused with a
  // privileged port by the parser) or a mode without `pull`; `nobind` ahead of every block rules it out.
  const privileged = all.find((d) => d.name === 'port' && !unprivilegedPort(d.args[0] ?? ''));
  const firstBlock = profile.directives.findIndex((d) => d.block !== undefined);
  const nobindFirst = profile.directives.some((d, i) => d.name === 'nobind' && (firstBlock < 0 || i < firstBlock));
  if (privileged && !nobindFirst) {
    const line = lineOf(privileged);
    const port = privileged.args[0] ?? '';
    items.push({
      advisory: {
        code: 'OVPN_NOBIND_ADDED',
        severity: 'info',
        line,
        message: t(`Line ${line}: 'port ${port}' also names the local port; Tsunagu adds 'nobind'.`,
          `${line} 行目: 'port ${port}' はローカルポートも指定します。Tsunagu は 'nobind' を追加します。`),
        explanation: t(`The VPN process runs as administrator, so it could take local port ${port}, which ordinary users may not use. A client needs no fixed local port, and the server is still reached on port ${port}.`,
          `VPN プロセスは管理者権限で動くため、一般ユーザーには使えないローカルポート ${port} を使えてしまいます。クライアントに固定のローカルポートは不要で、サーバーには引き続きポート ${port} で接続します。`),
        fix: { automatic: true, description: t("Add 'nobind' at the top of the profile.", "プロファイルの先頭に 'nobind' を追加します。") },
      },
      apply: (ds) => [{ name: 'nobind', args: [] }, ...ds],
    });
  }
  return items;
}

function versionBelow12(v: string): boolean {
  const m = /^(\d+)\.(\d+)$/.exec(v);
  return m !== null && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 2));
}

export function openVpnAdvisories(profile: OpenVpnProfile, lines: Map<OpenVpnDirective, number>): OpenVpnAdvisoryItem[] {
  const items: OpenVpnAdvisoryItem[] = [];
  const find = (name: string) => profile.directives.find((d) => d.name === name);
  const lineOf = (name: string) => {
    const d = find(name);
    return d ? lines.get(d) ?? 0 : 0;
  };
  const staticKey = find('secret') !== undefined;
  const { ciphers, tls } = profile;
  items.push(...rootSafetyItems(profile, lines));

  if (ciphers.cipher && !staticKey && !openSslProvides(ciphers.cipher)) {
    // openvpn refuses a data-ciphers list naming a cipher it lacks, so it is not added there.
    items.push({
      advisory: {
        code: 'OVPN_CIPHER_UNAVAILABLE',
        severity: 'warning',
        line: lineOf('cipher'),
        message: t(`Line ${lineOf('cipher')}: 'cipher ${ciphers.cipher}' is not available in OpenVPN 2.6 on this system (OpenSSL 3 moved it to its legacy module); OpenVPN negotiates a modern cipher with the server instead.`,
          `${lineOf('cipher')} 行目: 'cipher ${ciphers.cipher}' はこのシステムの OpenVPN 2.6 では使えません (OpenSSL 3 がレガシーモジュールに移しました)。OpenVPN は代わりにサーバーと最新の暗号を交渉します。`),
        explanation: t(`A server that only offers ${ciphers.cipher} cannot be reached from this computer; ask your provider to enable AES-GCM.`,
          `${ciphers.cipher} しか提供しないサーバーには、このコンピューターから接続できません。提供元に AES-GCM の有効化を依頼してください。`),
      },
    });
  }
  if (ciphers.cipher && ciphers.dataCiphers === null && !staticKey && !DEFAULT_DATA_CIPHERS.includes(ciphers.cipher.toUpperCase()) && ciphers.cipher !== 'none' && openSslProvides(ciphers.cipher)) {
    const cipher = ciphers.cipher;
    const list = [...DEFAULT_DATA_CIPHERS, cipher].join(':');
    items.push({
      advisory: {
        code: 'OVPN_CIPHER_WITHOUT_DATA_CIPHERS',
        severity: 'warning',
        line: lineOf('cipher'),
        message: t(`Line ${lineOf('cipher')}: 'cipher ${cipher}' is ignored by OpenVPN 2.6 unless it is also listed in 'data-ciphers'.`,
          `${lineOf('cipher')} 行目: 'cipher ${cipher}' は 'data-ciphers' にも含まれていない限り OpenVPN 2.6 では無視されます。`),
        explanation: t(`Without it, a server that only offers ${cipher} fails with "no shared cipher". Adding it keeps the modern ciphers first and ${cipher} as the last resort.`,
          `このままでは ${cipher} のみを提供するサーバーへの接続が「共通の暗号がない」エラーで失敗します。追加しても最新の暗号が優先され、${cipher} は最後の手段として使われます。`),
        fix: { automatic: true, description: t(`Add 'data-ciphers ${list}'.`, `'data-ciphers ${list}' を追加します。`) },
      },
      apply: (ds) => {
        const at = ds.map((d) => d.name).lastIndexOf('cipher');
        return [...ds.slice(0, at + 1), { name: 'data-ciphers', args: [list] }, ...ds.slice(at + 1)];
      },
    });
  }

  const weak = [ciphers.cipher, ...(ciphers.dataCiphers ?? [])].filter((c): c is string => c !== null && SWEET32.test(c.replace(/^\?/, '')));
  if (weak.length > 0) {
    items.push({
      advisory: {
        code: 'OVPN_WEAK_CIPHER',
        severity: 'warning',
        line: lineOf('cipher') || lineOf('data-ciphers'),
        message: t(`The profile allows the weak cipher ${weak.join(', ')}.`, `このプロファイルは脆弱な暗号 ${weak.join(', ')} を許可しています。`),
        explanation: t('64-bit block ciphers such as Blowfish and 3DES can be broken on long-lived connections (SWEET32). Ask your provider to move to AES-GCM.',
          'Blowfish や 3DES のような 64 ビットブロック暗号は、長時間の接続で解読される恐れがあります (SWEET32)。提供元に AES-GCM への移行を依頼してください。'),
      },
    });
  }

  const compression = ciphers.compression;
  if (compression && !/^(compress (stub|stub-v2)|comp-lzo no)$/.test(compression)) {
    const name = find('compress') ? 'compress' : 'comp-lzo';
    items.push({
      advisory: {
        code: 'OVPN_COMPRESSION',
        severity: 'warning',
        line: lineOf(name),
        message: t(`Line ${lineOf(name)}: '${compression}' turns on compression, which weakens encryption (VORACLE).`,
          `${lineOf(name)} 行目: '${compression}' は圧縮を有効にします。圧縮は暗号化を弱めます (VORACLE 攻撃)。`),
        explanation: t('An attacker who can inject traffic can guess secrets from the size of compressed packets. OpenVPN 2.6 only decompresses what the server sends. Ask the server administrator to turn compression off, then remove this line.',
          '通信を注入できる攻撃者は、圧縮後のパケットサイズから秘密を推測できます。OpenVPN 2.6 はサーバーから届いたデータの展開のみ行います。サーバー管理者に圧縮の無効化を依頼し、その後この行を削除してください。'),
        fix: { automatic: false, description: t('Remove the line once the server no longer compresses.', 'サーバー側で圧縮が無効になったら、この行を削除します。') },
      },
    });
  }

  const identityChecked = tls.remoteCertTls !== null || tls.verifyX509Name !== null || tls.peerFingerprint ||
    ['ns-cert-type', 'remote-cert-eku', 'remote-cert-ku', 'verify-hash'].some((n) => find(n) !== undefined);
  if (!identityChecked && !staticKey) {
    items.push({
      advisory: {
        code: 'OVPN_NO_SERVER_IDENTITY_CHECK',
        severity: 'warning',
        line: 0,
        message: t("The profile does not check that the server's certificate is a server certificate.",
          'このプロファイルは、サーバーの証明書がサーバー用の証明書であることを確認していません。'),
        explanation: t("Without 'remote-cert-tls server' (or 'verify-x509-name'), another user with a client certificate from the same authority could pose as the server.",
          "'remote-cert-tls server' (または 'verify-x509-name') がないと、同じ認証局のクライアント証明書を持つ他のユーザーがサーバーになりすませます。"),
        fix: { automatic: false, description: t("Add 'remote-cert-tls server' (if your provider confirms the server certificate is marked for server use).",
          "'remote-cert-tls server' を追加します (サーバー証明書がサーバー用であることを提供元が確認できる場合)。") },
      },
    });
  }

  if (find('ns-cert-type')) {
    items.push({
      advisory: {
        code: 'OVPN_NS_CERT_TYPE',
        severity: 'warning',
        line: lineOf('ns-cert-type'),
        message: t(`Line ${lineOf('ns-cert-type')}: 'ns-cert-type' is deprecated and will be removed from OpenVPN.`,
          `${lineOf('ns-cert-type')} 行目: 'ns-cert-type' は非推奨で、今後 OpenVPN から削除されます。`),
        explanation: t("It relies on an obsolete Netscape certificate field. 'remote-cert-tls server' checks the modern key usage instead.",
          "廃止された Netscape 証明書フィールドに依存しています。'remote-cert-tls server' は現在の鍵用途を検証します。"),
        fix: { automatic: false, description: t("Replace it with 'remote-cert-tls server'.", "'remote-cert-tls server' に置き換えます。") },
      },
    });
  }

  if (tls.versionMin && versionBelow12(tls.versionMin)) {
    items.push({
      advisory: {
        code: 'OVPN_TLS_VERSION_MIN_LOW',
        severity: 'warning',
        line: lineOf('tls-version-min'),
        message: t(`Line ${lineOf('tls-version-min')}: 'tls-version-min ${tls.versionMin}' allows TLS versions older than 1.2.`,
          `${lineOf('tls-version-min')} 行目: 'tls-version-min ${tls.versionMin}' は TLS 1.2 より古いバージョンを許可しています。`),
        explanation: t('TLS 1.0 and 1.1 have known weaknesses; OpenVPN 2.6 requires 1.2 by default.',
          'TLS 1.0 と 1.1 には既知の脆弱性があります。OpenVPN 2.6 は既定で 1.2 以上を要求します。'),
        fix: { automatic: false, description: t("Change it to 'tls-version-min 1.2'.", "'tls-version-min 1.2' に変更します。") },
      },
    });
  }

  if (profile.layer === 'L2') {
    items.push({
      advisory: {
        code: 'OVPN_LAYER2_TAP',
        severity: 'info',
        line: lineOf('dev-type') || lineOf('dev'),
        message: t('This is a bridged (L2, tap) VPN: your computer joins the remote network segment itself.',
          'これはブリッジ接続 (L2, tap) の VPN です。このコンピューターはリモートのネットワークセグメントに直接参加します。'),
        explanation: t('Broadcast traffic (DHCP, discovery) crosses the tunnel both ways, which costs bandwidth and exposes this computer to the remote LAN. Phones and OpenVPN Connect cannot use tap profiles.',
          'ブロードキャスト通信 (DHCP や機器検出など) がトンネルを双方向に流れるため、帯域を消費し、このコンピューターがリモート LAN に露出します。スマートフォンや OpenVPN Connect は tap プロファイルを使えません。'),
      },
    });
  }

  if (staticKey) {
    items.push({
      advisory: {
        code: 'OVPN_STATIC_KEY',
        severity: 'warning',
        line: lineOf('secret'),
        message: t(`Line ${lineOf('secret')}: the profile uses a static key ('secret') instead of TLS.`,
          `${lineOf('secret')} 行目: このプロファイルは TLS ではなく静的鍵 ('secret') を使用しています。`),
        explanation: t('Static-key mode has no forward secrecy and is removed in OpenVPN 2.7. Ask your provider for a certificate-based profile.',
          '静的鍵モードには前方秘匿性がなく、OpenVPN 2.7 で削除されます。提供元に証明書ベースのプロファイルを依頼してください。'),
      },
    });
  }

  const ignoredRemotes = profile.directives.filter((d) => d.name === 'remote');
  if (profile.usesConnectionBlocks && ignoredRemotes.length > 0) {
    const line = lines.get(ignoredRemotes[0] as OpenVpnDirective) ?? 0;
    items.push({
      advisory: {
        code: 'OVPN_REMOTES_IGNORED',
        severity: 'warning',
        line,
        message: t(`Line ${line}: 'remote' lines outside <connection> blocks are ignored because the profile has <connection> blocks.`,
          `${line} 行目: プロファイルに <connection> ブロックがあるため、ブロック外の 'remote' 行は無視されます。`),
        explanation: t('OpenVPN only tries the servers named in the <connection> blocks.', 'OpenVPN は <connection> ブロック内のサーバーのみに接続を試みます。'),
        fix: { automatic: true, description: t('Remove the ignored remote lines.', '無視される remote 行を削除します。') },
      },
      apply: (ds) => ds.filter((d) => d.name !== 'remote'),
    });
  }

  if (tls.wrapping === 'tls-auth' && tls.keyDirection === null && profile.inline['tls-auth'] !== undefined) {
    items.push({
      advisory: {
        code: 'OVPN_TLS_AUTH_NO_DIRECTION',
        severity: 'warning',
        line: lineOf('tls-auth'),
        message: t("The inline <tls-auth> key has no 'key-direction'; it will be used in both directions.",
          "インラインの <tls-auth> 鍵に 'key-direction' がないため、双方向で使用されます。"),
        explanation: t("Most servers use key direction 0, so clients need 'key-direction 1'. If connecting stalls at the TLS handshake, this is the likely cause.",
          "多くのサーバーは鍵方向 0 を使うため、クライアントには 'key-direction 1' が必要です。TLS ハンドシェイクで止まる場合、これが原因の可能性があります。"),
        fix: { automatic: false, description: t("Add 'key-direction 1' if your provider confirms it.", "提供元が確認できれば 'key-direction 1' を追加します。") },
      },
    });
  }

  items.push(...placeholderServerItems(profile, lines));

  if (profile.auth.embeddedUser?.hasPassword) {
    items.push({
      advisory: {
        code: 'OVPN_EMBEDDED_PASSWORD',
        severity: 'info',
        line: lineOf('auth-user-pass'),
        message: t('The profile contains a saved password.', 'このプロファイルには保存されたパスワードが含まれています。'),
        explanation: t('Anyone who can read the profile file can read the password. Tsunagu keeps profiles in your private data folder.',
          'プロファイルのファイルを読める人は誰でもパスワードを読めます。Tsunagu はプロファイルを個人用データフォルダーに保存します。'),
      },
    });
  }
  return items;
}

/** Every `remote` (top level or in a <connection> block) whose host cannot be a real server, once per name. */
function placeholderServerItems(profile: OpenVpnProfile, lines: Map<OpenVpnDirective, number>): OpenVpnAdvisoryItem[] {
  const seen = new Set<string>();
  const items: OpenVpnAdvisoryItem[] = [];
  const visit = (ds: OpenVpnDirective[]): void => {
    for (const d of ds) {
      if (d.block) visit(d.block);
      const host = d.name === 'remote' ? d.args[0] : undefined;
      if (host === undefined || seen.has(host) || !isPlaceholderHost(host)) continue;
      seen.add(host);
      const line = lines.get(d) ?? 0;
      const text = placeholderHostText(host, line, 'remote');
      items.push({
        advisory: { code: 'OVPN_PLACEHOLDER_SERVER', severity: 'warning', line, message: text.message, explanation: text.explanation, fix: { automatic: false, description: text.fix } },
      });
    }
  };
  visit(profile.directives);
  return items;
}
