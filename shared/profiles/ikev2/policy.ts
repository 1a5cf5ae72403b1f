/**
 * The IKEv2 refusals every sub-format shares: a responder's configuration, L2TP/IPsec and
 * transport mode, and programs charon would run as root (`updown`, ipsec.conf's `leftupdown`).
 */
import { profileError, type ProfileError } from '../diagnostics.js';

/**
 * A gateway (responder) configuration: address pools, clients expected to sign in with EAP or
 * XAuth, no concrete server to connect to. Same code as the other kinds' server refusal.
 */
export function ikev2ServerConfigError(line: number, text: string, column = 1): ProfileError {
  return profileError('POLICY_SERVER_CONFIG', { line, column }, text, {
    en: `This is a server (gateway) configuration${line > 0 ? ` (line ${line}: '${text}')` : ''}, not a client profile: it waits for clients instead of connecting to a server. Ask your administrator for the client configuration (swanctl.conf with the server's address in 'remote_addrs', or a .sswan / .mobileconfig file) and import that instead.`,
    ja: `これはクライアント用プロファイルではなく、サーバー (ゲートウェイ) の設定です${line > 0 ? ` (${line} 行目: '${text}')` : ''}。サーバーに接続するのではなく、クライアントからの接続を待ちます。管理者にクライアント用の設定 ('remote_addrs' にサーバーのアドレスがある swanctl.conf、または .sswan / .mobileconfig ファイル) を依頼し、そちらをインポートしてください。`,
  });
}

/** L2TP/IPsec (transport mode carrying UDP 1701), or transport mode at all: Tsunagu connects tunnels only. */
export function l2tpError(line: number, column: number, text: string, l2tpSelector: boolean): ProfileError {
  const where = line > 0 ? { en: `Line ${line}: `, ja: `${line} 行目: ` } : { en: '', ja: '' };
  const why = l2tpSelector
    ? { en: 'limits the connection to L2TP (UDP port 1701)', ja: '接続を L2TP (UDP ポート 1701) に限定しています' }
    : { en: 'asks for IPsec transport mode, which is what L2TP/IPsec uses', ja: 'L2TP/IPsec で使われる IPsec トランスポートモードを指定しています' };
  return profileError('IKEV2_L2TP_UNSUPPORTED', { line, column }, text, {
    en: `${where.en}this ${why.en}. L2TP/IPsec is not supported: Tsunagu connects IKEv2 (or IKEv1) in tunnel mode only. Ask your administrator whether the server also offers IKEv2, OpenVPN or WireGuard.`,
    ja: `${where.ja}この設定は${why.ja}。L2TP/IPsec には対応していません。Tsunagu は IKEv2 (または IKEv1) のトンネルモードでのみ接続します。サーバーが IKEv2、OpenVPN、WireGuard にも対応しているか管理者に確認してください。`,
  });
}

/** `updown` and its ipsec.conf forms run a program as root on every tunnel change. */
export function updownError(line: number, column: number, text: string, key: string): ProfileError {
  return profileError('POLICY_IKEV2_SCRIPT', { line, column }, text, {
    en: `${line > 0 ? `Line ${line}: ` : ''}'${key}' runs a program with administrator (root) rights every time the tunnel goes up or down, so Tsunagu refuses this profile. Remove the line, or ask your administrator to allow scripts in Tsunagu’s managed settings.`,
    ja: `${line > 0 ? `${line} 行目: ` : ''}'${key}' はトンネルの接続・切断のたびに管理者 (root) 権限でプログラムを実行するため、Tsunagu はこのプロファイルを受け付けません。この行を削除するか、管理者に Tsunagu の管理設定でスクリプトの許可を依頼してください。`,
  });
}
