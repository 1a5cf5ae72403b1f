/**
 * An IKEv2 profile in plain words, row by row (the same [label, value] rows as summary.ts gives
 * the other kinds), for the CLI's `inspect` and the import review.
 */
import { countedText } from '../../i18n/counted.js';
import type { Ikev2LocalAuth, Ikev2Profile } from './model.js';
import { ikev2Routes } from './routes.js';

type Lang = 'en' | 'ja';
type Row = [label: string, value: string];

const W = {
  en: {
    server: 'Server', identity: 'Your identity', user: 'User name', serverIdentity: 'Server identity', auth: 'Sign-in', version: 'Key exchange', vip: 'Virtual IP',
    networks: 'Traffic', proposals: 'Encryption', dns: 'DNS', then: ', then ', anyId: 'any (checked by certificate only)',
    defaultId: 'your address or certificate name', fromServer: 'from the server', none: 'none', defaults: 'strongSwan defaults',
    ikev1: 'IKEv1 (old, deprecated by RFC 8247)', ikev2: 'IKEv2', aggressive: ', aggressive mode', all: 'all traffic through the VPN',
    askServer: 'asked from the server', asked: ' (asked when connecting)',
    serverCert: 'server proves itself with a certificate', serverPsk: 'server proves itself with the pre-shared key',
    auths: {
      psk: 'pre-shared key', pubkey: 'certificate', 'eap-mschapv2': 'username and password (EAP-MSCHAPv2)', 'eap-tls': 'certificate (EAP-TLS)',
      eap: 'username and password (EAP)', xauth: 'username and password (XAuth)',
    } satisfies Record<Ikev2LocalAuth, string>,
  },
  ja: {
    server: 'サーバー', identity: 'あなたの ID', user: 'ユーザー名', serverIdentity: 'サーバーの ID', auth: 'サインイン', version: '鍵交換', vip: '仮想 IP',
    networks: '通信', proposals: '暗号化', dns: 'DNS', then: '、続けて', anyId: '指定なし (証明書のみで確認)',
    defaultId: 'アドレスまたは証明書の名前', fromServer: 'サーバーから取得', none: 'なし', defaults: 'strongSwan の既定値',
    ikev1: 'IKEv1 (旧版、RFC 8247 で非推奨)', ikev2: 'IKEv2', aggressive: '、アグレッシブモード', all: 'すべての通信を VPN 経由',
    askServer: 'サーバーに割り当てを依頼', asked: ' (接続時に入力)',
    serverCert: 'サーバーは証明書で証明', serverPsk: 'サーバーは事前共有鍵で証明',
    auths: {
      psk: '事前共有鍵', pubkey: '証明書', 'eap-mschapv2': 'ユーザー名とパスワード (EAP-MSCHAPv2)', 'eap-tls': '証明書 (EAP-TLS)',
      eap: 'ユーザー名とパスワード (EAP)', xauth: 'ユーザー名とパスワード (XAuth)',
    } satisfies Record<Ikev2LocalAuth, string>,
  },
} as const;

function hostPort(host: string, port: number | null): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === null ? h : `${h}:${port}`;
}

export function summarizeIkev2(p: Ikev2Profile, lang: Lang): Row[] {
  const w = W[lang];
  const first = p.local[0];
  const user = p.local.map((l) => l.xauthId ?? l.eapId).find((u) => u !== null) ?? null;
  const auth = p.local
    .map((l) => {
      const password = (l.auth === 'eap' || l.auth === 'eap-mschapv2') ? p.secrets.eapPassword : l.auth === 'xauth' ? p.secrets.xauthPassword : '';
      return `${w.auths[l.auth]}${password === null ? w.asked : ''}`;
    })
    .join(w.then);
  const routes = ikev2Routes(p);
  const full = routes.includes('0.0.0.0/0') || routes.includes('::/0');
  const vips = p.vips.map((v) => (v === '0.0.0.0' || v === '::' ? `${w.askServer} (${v.includes(':') ? 'IPv6' : 'IPv4'})` : v));
  const esp = [...new Set(p.children.flatMap((c) => c.espProposals ?? []))];
  const proposals = [p.proposals ? `IKE ${p.proposals.join(', ')}` : '', esp.length > 0 ? `ESP ${esp.join(', ')}` : ''].filter((x) => x !== '').join('; ');
  const rows: Row[] = [
    [w.server, p.remoteAddrs.map((a) => hostPort(a, p.remotePort)).join(', ')],
    [w.identity, first?.id ?? w.defaultId],
    ...(user !== null ? [[w.user, user] satisfies Row] : []),
    [w.serverIdentity, p.remote.id ?? w.anyId],
    [w.auth, `${auth}; ${p.remote.auth === 'psk' ? w.serverPsk : w.serverCert}`],
    [w.version, `${p.version === 1 ? w.ikev1 : w.ikev2}${p.version === 1 && p.aggressive ? w.aggressive : ''}`],
    [w.vip, vips.join(', ') || w.none],
    [w.networks, full ? w.all : `${countedText(lang, 'networksThrough', routes.length)}: ${routes.join(', ')}`],
    [w.proposals, proposals || w.defaults],
    [w.dns, p.dnsServers.length > 0 ? p.dnsServers.join(', ') : w.fromServer],
  ];
  return rows;
}
