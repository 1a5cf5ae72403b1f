/**
 * A profile described in plain words, label by label, for people who are not VPN experts.
 * Used by the CLI's `inspect` and the app's import review.
 */
import { countedText } from '../i18n/counted.js';
import type { ProfileModel, ProfileModels } from './format.js';
import { summarizeIkev2 } from './ikev2/summary.js';
import type { ProfileKind } from './kinds.js';
import type { OpenVpnProfile } from './openvpn/model.js';
import type { WireGuardProfile } from './wireguard/model.js';

type Lang = 'en' | 'ja';
type Row = [label: string, value: string];

const W = {
  en: {
    name: 'Name', servers: 'Servers', auth: 'Sign-in', routing: 'Traffic', dns: 'DNS', ciphers: 'Encryption', control: 'Control channel',
    address: 'Tunnel address', publicKey: 'Public key', peers: 'Peer', none: 'none', cert: 'certificate', p12: 'PKCS#12 certificate bundle',
    userpass: 'username and password', challenge: 'challenge', encKey: 'passphrase-protected key', token: 'smart card / token', random: ' (random order)',
    all: 'all traffic through the VPN', serverDecides: 'as the server decides',
    nopull: 'routes from the server ignored', fromServer: 'from the server', allowed: 'networks',
  },
  ja: {
    name: '名前', servers: 'サーバー', auth: 'サインイン', routing: '通信', dns: 'DNS', ciphers: '暗号化', control: '制御チャネル',
    address: 'トンネルのアドレス', publicKey: '公開鍵', peers: 'ピア', none: 'なし', cert: '証明書', p12: 'PKCS#12 証明書バンドル',
    userpass: 'ユーザー名とパスワード', challenge: 'チャレンジ', encKey: 'パスフレーズ付きの鍵', token: 'スマートカード / トークン', random: ' (ランダム順)',
    all: 'すべての通信を VPN 経由', serverDecides: 'サーバーの指定どおり',
    nopull: 'サーバーからのルートは無視', fromServer: 'サーバーから取得', allowed: 'ネットワーク',
  },
} as const;

function openVpnRows(p: OpenVpnProfile, lang: Lang): Row[] {
  const w = W[lang];
  const auth: string[] = [];
  if (p.auth.certificate) auth.push(w.cert);
  if (p.auth.pkcs12) auth.push(w.p12);
  if (p.auth.token) auth.push(w.token);
  if (p.auth.userPass) auth.push(w.userpass);
  if (p.auth.staticChallenge) auth.push(`${w.challenge} “${p.auth.staticChallenge.text}”`);
  if (p.auth.encryptedKey) auth.push(w.encKey);
  const redirect = p.routing.redirectGateway !== null;
  const routes = p.routing.routes.length + p.routing.routesIpv6.length;
  const routing = redirect ? w.all : routes > 0 ? countedText(lang, 'networksThrough', routes) : p.routing.routeNopull ? w.nopull : w.serverDecides;
  const dns = [...p.dns.servers, ...(p.dns.domain ? [p.dns.domain] : []), ...p.dns.searchDomains];
  const ciphers = p.ciphers.dataCiphers?.join(', ') ?? (lang === 'ja' ? 'OpenVPN 2.6 の既定値' : 'OpenVPN 2.6 defaults');
  return [
    [w.servers, p.remotes.map((r) => `${r.host}:${r.port}/${r.transport}`).join(', ') + (p.remoteRandom ? w.random : '')],
    [w.auth, auth.join(' + ') || w.none],
    [w.routing, routing],
    [w.dns, dns.length > 0 ? dns.join(', ') : w.fromServer],
    [w.ciphers, ciphers],
    [w.control, p.tls.wrapping ?? w.none],
  ];
}

function wireGuardRows(p: WireGuardProfile, lang: Lang): Row[] {
  const w = W[lang];
  const dns = [...p.interface.dns.servers, ...p.interface.dns.searchDomains];
  const full = p.peers.some((peer) => peer.allowedIPs.includes('0.0.0.0/0') || peer.allowedIPs.includes('::/0'));
  const rows: Row[] = [
    [w.address, p.interface.addresses.join(', ') || w.none],
    [w.publicKey, p.interface.publicKey],
    [w.routing, full ? w.all : countedText(lang, 'networksThrough', p.peers.reduce((n, peer) => n + peer.allowedIPs.length, 0))],
    [w.dns, dns.join(', ') || w.none],
  ];
  p.peers.forEach((peer, i) => {
    const endpoint = peer.endpoint ? (peer.endpoint.host.includes(':') ? `[${peer.endpoint.host}]:${peer.endpoint.port}` : `${peer.endpoint.host}:${peer.endpoint.port}`) : '—';
    rows.push([`${w.peers} ${i + 1}`, `${endpoint} (${w.allowed}: ${peer.allowedIPs.join(', ') || w.none})`]);
  });
  return rows;
}

/** Each kind's rows: a kind in the list without its rows here does not compile. */
const ROWS: { [K in ProfileKind]: (profile: ProfileModels[K], lang: Lang) => Row[] } = {
  openvpn: openVpnRows,
  wireguard: wireGuardRows,
  ikev2: summarizeIkev2,
};

function rowsOf<K extends ProfileKind>(kind: K, profile: ProfileModels[K], lang: Lang): Row[] {
  return ROWS[kind](profile, lang);
}

export function summarizeProfile(profile: ProfileModel, name: string, lang: Lang): Row[] {
  const rows: Row[] = [[W[lang].name, name]];
  return rows.concat(rowsOf(profile.kind, profile, lang));
}
