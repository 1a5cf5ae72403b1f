/**
 * NetworkManager-openvpn connections (`service-type=org.freedesktop.NetworkManager.openvpn`) as
 * an .ovpn profile. NetworkManager never gives openvpn a config file: its service builds a command
 * line from the `[vpn]` data keys. Each key we know becomes the directive that service would pass;
 * the result then goes through the OpenVPN inspector like any .ovpn, so the policy, advisories and
 * inlining of the certificate files (named by basename: `ca corp-ca.pem`) are the usual ones.
 */
import type { Advisory, LocalizedText, ProfileError } from '../diagnostics.js';
import { basenameOf } from '../openvpn/inliner.js';
import { quoteArg } from '../openvpn/lexer.js';
import { specOf } from '../openvpn/directives.js';
import { dangerText } from '../policy.js';
import { AlignedText } from './aligned-text.js';
import { findEntry, findGroup, listValue, stringValue, type Keyfile, type KeyfileEntry, type KeyfileGroup } from './keyfile.js';
import { badValue, entryError, fileMissing, ignoredKey, missingKey, secretNotImported, unknownKey } from './messages.js';
import type { TranslateContext, TranslatorResult } from './translation.js';

/** [vpn] keys that are properties of the VPN setting itself, not plugin data. */
const VPN_PROPERTIES = new Set(['service-type', 'user-name', 'persistent', 'timeout']);

/** How NetworkManager keeps each secret (saved, agent, not saved): Tsunagu's credential flow decides instead. */
const SECRET_FLAGS = new Set(['password-flags', 'cert-pass-flags', 'http-proxy-password-flags', 'challenge-response-flags']);

/** Data keys whose value is copied as the one argument of the directive of the same (or the given) name. */
const ONE_ARGUMENT: Record<string, string> = {
  cipher: 'cipher',
  'data-ciphers': 'data-ciphers',
  'data-ciphers-fallback': 'data-ciphers-fallback',
  auth: 'auth',
  'tls-cipher': 'tls-cipher',
  'tls-version-max': 'tls-version-max',
  'remote-cert-tls': 'remote-cert-tls',
  'ns-cert-type': 'ns-cert-type',
  'tls-remote': 'tls-remote',
  'allow-compression': 'allow-compression',
  'mtu-disc': 'mtu-disc',
};

/** Data keys holding a number, and the directive each becomes. */
const NUMERIC: Record<string, string> = {
  ping: 'ping',
  'ping-exit': 'ping-exit',
  'ping-restart': 'ping-restart',
  'reneg-seconds': 'reneg-sec',
  'tunnel-mtu': 'tun-mtu',
  'fragment-size': 'fragment',
  'connect-timeout': 'connect-timeout',
  'max-routes': 'max-routes',
};

/** `yes` flags and the directive each turns on. */
const FLAGS: Record<string, string> = {
  float: 'float',
  'remote-random': 'remote-random',
  'remote-random-hostname': 'remote-random-hostname',
  'tun-ipv6': 'tun-ipv6',
  'push-peer-info': 'push-peer-info',
};

/** Certificate and key files: the data key and the directive that inlines the file. */
const FILE_KEYS: Record<string, string> = {
  ca: 'ca',
  'extra-certs': 'extra-certs',
  'crl-verify-file': 'crl-verify',
  'tls-crypt': 'tls-crypt',
  'tls-crypt-v2': 'tls-crypt-v2',
};

const PROTOCOLS = new Set(['udp', 'udp4', 'udp6', 'tcp', 'tcp4', 'tcp6', 'tcp-client', 'tcp4-client', 'tcp6-client']);

const CONNECTION_TYPES = ['tls', 'password', 'password-tls', 'static-key'] as const;
type ConnectionType = (typeof CONNECTION_TYPES)[number];

interface Remote {
  host: string;
  port: string | null;
  proto: string | null;
}

const t = (en: string, ja: string): LocalizedText => ({ en, ja });

class Collector {
  readonly out = new AlignedText();
  readonly errors: ProfileError[] = [];
  readonly advisories: Advisory[] = [];
  readonly files: string[] = [];
  constructor(readonly ctx: TranslateContext) {}

  /** The unescaped, trimmed value, or null after recording the error. */
  value(entry: KeyfileEntry): string | null {
    const v = stringValue(entry);
    if (!v.ok) {
      this.errors.push(v.error);
      return null;
    }
    return v.value.trim();
  }

  directive(at: number, name: string, ...args: string[]): void {
    this.out.add(at, [name, ...args].map(quoteArg).join(' '));
  }

  /** A file reference, by basename; checked against the companion files when the caller has them. */
  file(entry: KeyfileEntry, directive: string, ...rest: string[]): void {
    const path = this.value(entry);
    if (path === null) return;
    const name = basenameOf(path);
    if (path === '' || name === '' || name === '.' || name === '..') {
      this.errors.push(badValue(entry, path, t('it must name a certificate or key file', '証明書または鍵のファイル名が必要です')));
      return;
    }
    if (this.ctx.files && this.ctx.files.read(name) === null) {
      this.errors.push(fileMissing(entry, name, this.ctx.files.description));
      return;
    }
    if (!this.files.includes(name)) this.files.push(name);
    this.directive(entry.line, directive, name, ...rest);
  }
}

function yes(value: string): boolean {
  return value === 'yes' || value === 'true' || value === '1';
}

/** NetworkManager's `remote`: `host[:port[:proto]]` items, `[v6]` bracketed, separated by commas or blanks. */
function parseRemotes(value: string): Remote[] | LocalizedText {
  const items = value.split(/[,\s]+/).filter((s) => s !== '');
  if (items.length === 0) return t('it names no server', 'サーバーが指定されていません');
  const remotes: Remote[] = [];
  for (const item of items) {
    let host: string;
    let rest: string[];
    if (item.startsWith('[')) {
      const close = item.indexOf(']');
      if (close < 0) return t(`'${item}' opens '[' without closing it`, `'${item}' の '[' が閉じていません`);
      host = item.slice(1, close);
      const tail = item.slice(close + 1);
      if (tail !== '' && !tail.startsWith(':')) return t(`'${item}' has text after ']' that is not ':port'`, `'${item}' の ']' の後が ':ポート' ではありません`);
      rest = tail === '' ? [] : tail.slice(1).split(':');
    } else {
      const parts = item.split(':');
      if (parts.length > 3) {
        return t(`'${item}' has too many ':'; write an IPv6 address in brackets, as in '[2001:db8::1]:1194:udp'`, `'${item}' に ':' が多すぎます。IPv6 アドレスは '[2001:db8::1]:1194:udp' のように角かっこで囲んでください`);
      }
      host = parts[0] ?? '';
      rest = parts.slice(1);
    }
    const [port, proto] = rest;
    if (host === '') return t(`'${item}' has no host name`, `'${item}' にホスト名がありません`);
    if (port !== undefined && port !== '' && !validPort(port)) return t(`the port in '${item}' must be a number from 1 to 65535`, `'${item}' のポートは 1 から 65535 までの数値でなければなりません`);
    if (proto !== undefined && proto !== '' && !PROTOCOLS.has(proto)) return t(`the protocol in '${item}' must be udp or tcp`, `'${item}' のプロトコルは udp か tcp でなければなりません`);
    remotes.push({ host, port: port === undefined || port === '' ? null : port, proto: proto === undefined || proto === '' ? null : proto });
  }
  return remotes;
}

function validPort(port: string): boolean {
  return /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}

/** `[vpn]` data → directives. Keys are handled in file order; the ones that interact are read first. */
function translateData(c: Collector, vpn: KeyfileGroup, secrets: KeyfileGroup | undefined): void {
  const data = vpn.entries.filter((e) => !VPN_PROPERTIES.has(e.key));
  const get = (key: string): KeyfileEntry | undefined => data.find((e) => e.key === key);

  const typeEntry = get('connection-type');
  let type: ConnectionType = 'tls';
  let typeKnown = true;
  if (typeEntry) {
    const v = c.value(typeEntry);
    if (v !== null && !(CONNECTION_TYPES as readonly string[]).includes(v)) {
      typeKnown = false;
      c.errors.push(badValue(typeEntry, v, t("NetworkManager's OpenVPN connection types are tls, password, password-tls and static-key", 'NetworkManager の OpenVPN 接続方式は tls、password、password-tls、static-key のいずれかです')));
    } else if (v !== null) type = v as ConnectionType;
  }

  const portEntry = get('port');
  const protoTcp = get('proto-tcp');
  const defaultPort = portEntry ? c.value(portEntry) : null;
  if (portEntry && defaultPort !== null && !validPort(defaultPort)) {
    c.errors.push(badValue(portEntry, defaultPort, t('the port must be a number from 1 to 65535', 'ポートは 1 から 65535 までの数値でなければなりません')));
  }
  const tcp = protoTcp ? yes(c.value(protoTcp) ?? '') : false;

  const remoteEntry = get('remote');
  if (!remoteEntry) c.errors.push(missingKey(vpn, 'vpn', 'remote', t('names the VPN server', 'VPN サーバーを指定するものです')));
  else {
    const v = c.value(remoteEntry);
    if (v !== null) {
      const remotes = parseRemotes(v);
      if (!Array.isArray(remotes)) c.errors.push(badValue(remoteEntry, v, remotes));
      else {
        c.out.add(remoteEntry.line, ...remotes.map((r) =>
          ['remote', r.host, r.port ?? defaultPort ?? '1194', r.proto ?? (tcp ? 'tcp-client' : 'udp')].map(quoteArg).join(' ')));
      }
    }
  }

  const cert = get('cert');
  const key = get('key');
  const certPath = cert ? c.value(cert) : null;
  const keyPath = key ? c.value(key) : null;
  const pkcs12 = certPath !== null && (/\.(p12|pfx)$/i.test(certPath) || certPath === keyPath);
  // With an unknown connection type, which files it needs is unknown too.
  const usesTls = typeKnown && (type === 'tls' || type === 'password-tls');
  if (usesTls && !cert) c.errors.push(missingKey(vpn, 'vpn', 'cert', t(`the '${type}' connection type needs (the client certificate)`, `接続方式 '${type}' に必要なクライアント証明書です`)));
  if (usesTls && !pkcs12 && !key) c.errors.push(missingKey(vpn, 'vpn', 'key', t(`the '${type}' connection type needs (the client's private key)`, `接続方式 '${type}' に必要なクライアントの秘密鍵です`)));

  if (type === 'static-key' && !get('static-key')) {
    c.errors.push(missingKey(vpn, 'vpn', 'static-key', t("the 'static-key' connection type needs (the shared key file)", "接続方式 'static-key' に必要な共有鍵ファイルです")));
  }

  const username = get('username');
  const usernameValue = username ? c.value(username) : null;

  for (const entry of data) {
    const k = entry.key;
    if (k === 'connection-type') {
      if (type === 'password' || type === 'password-tls') {
        if (usernameValue) c.out.add(entry.line, '<auth-user-pass>', usernameValue, '</auth-user-pass>');
        else c.directive(entry.line, 'auth-user-pass');
      }
    } else if (k === 'remote' || k === 'port' || k === 'proto-tcp' || k === 'username') {
      // Read above: they shape the remote lines and auth-user-pass.
      if (k === 'username' && type !== 'password' && type !== 'password-tls') {
        c.advisories.push(ignoredKey(entry, t(`The '${type}' connection type signs in without a user name.`, `接続方式 '${type}' はユーザー名を使わずにサインインします。`)));
      }
    } else if (k === 'cert' || k === 'key') {
      if (!usesTls) c.advisories.push(ignoredKey(entry, t(`The '${type}' connection type uses no client certificate.`, `接続方式 '${type}' はクライアント証明書を使いません。`)));
      else if (pkcs12) {
        if (k === 'cert') c.file(entry, 'pkcs12');
        else if (keyPath !== certPath) {
          c.errors.push(entryError('NM_UNSUPPORTED_VALUE', entry, t(
            "'cert' names a PKCS#12 bundle, which holds the key too, so a separate 'key' file cannot be used with it. Remove one of them.",
            "'cert' は鍵も含む PKCS#12 バンドルを指しているため、別の 'key' ファイルは併用できません。どちらかを削除してください。")));
        }
      } else c.file(entry, k);
    } else if (k in FILE_KEYS) {
      c.file(entry, FILE_KEYS[k] ?? k);
    } else if (k === 'ta') {
      const dir = get('ta-dir');
      const d = dir ? c.value(dir) : null;
      if (dir && d !== null && d !== '' && d !== '0' && d !== '1') c.errors.push(badValue(dir, d, t('the key direction is 0 or 1', '鍵の方向は 0 か 1 です')));
      else c.file(entry, 'tls-auth', ...(d === '0' || d === '1' ? [d] : []));
    } else if (k === 'static-key') {
      if (type !== 'static-key') c.advisories.push(ignoredKey(entry, t(`The '${type}' connection type uses no static key.`, `接続方式 '${type}' は静的鍵を使いません。`)));
      else {
        const dir = get('static-key-direction');
        const d = dir ? c.value(dir) : null;
        if (dir && d !== null && d !== '' && d !== '0' && d !== '1') c.errors.push(badValue(dir, d, t('the key direction is 0 or 1', '鍵の方向は 0 か 1 です')));
        else c.file(entry, 'secret', ...(d === '0' || d === '1' ? [d] : []));
      }
    } else if (k === 'ta-dir' || k === 'static-key-direction' || k === 'remote-ip') {
      // Part of 'ta', 'static-key' and 'local-ip'.
    } else if (k === 'local-ip') {
      const remoteIp = get('remote-ip');
      const local = c.value(entry);
      const remote = remoteIp ? c.value(remoteIp) : null;
      if (local !== null && remote !== null) c.directive(entry.line, 'ifconfig', local, remote);
      else if (!remoteIp) c.errors.push(missingKey(vpn, 'vpn', 'remote-ip', t("goes with 'local-ip' (the tunnel's two addresses)", "'local-ip' と対になるもの (トンネルの両端のアドレス) です")));
    } else if (k === 'dev-type' || k === 'tap-dev' || k === 'dev') {
      // The device type is written with 'client'; the name is Tsunagu's to choose.
      if (k === 'dev') c.advisories.push(ignoredKey(entry, t('Tsunagu names its tunnel devices itself.', 'Tsunagu はトンネルのデバイス名を自分で付けます。')));
    } else if (k in ONE_ARGUMENT) {
      const v = c.value(entry);
      if (v !== null && v !== '') c.directive(entry.line, ONE_ARGUMENT[k] ?? k, v);
    } else if (k === 'tls-version-min') {
      const v = c.value(entry);
      if (v !== null && v !== '') c.directive(entry.line, 'tls-version-min', ...v.split(/\s+/));
    } else if (k === 'verify-x509-name') {
      const v = c.value(entry);
      if (v === null) continue;
      const colon = v.indexOf(':');
      const kind = colon < 0 ? '' : v.slice(0, colon);
      if (!['subject', 'name', 'name-prefix'].includes(kind) || v.slice(colon + 1) === '') {
        c.errors.push(badValue(entry, v, t("NetworkManager writes it as 'subject:<DN>', 'name:<host>' or 'name-prefix:<prefix>'", "NetworkManager は 'subject:<DN>'、'name:<ホスト名>'、'name-prefix:<接頭辞>' の形で書きます")));
      } else c.directive(entry.line, 'verify-x509-name', v.slice(colon + 1), kind);
    } else if (k in NUMERIC) {
      const v = c.value(entry);
      if (v === null) continue;
      if (!/^\d{1,9}$/.test(v)) c.errors.push(badValue(entry, v, t('it must be a whole number', '整数でなければなりません')));
      else c.directive(entry.line, NUMERIC[k] ?? k, v);
    } else if (k === 'mssfix') {
      const v = c.value(entry);
      if (v === null) continue;
      if (yes(v)) c.directive(entry.line, 'mssfix');
      else if (/^\d{1,5}$/.test(v)) c.directive(entry.line, 'mssfix', v);
      else if (v !== 'no') c.errors.push(badValue(entry, v, t("it is 'yes' or a size in bytes", "'yes' またはバイト数です")));
    } else if (k in FLAGS) {
      const v = c.value(entry);
      if (v !== null && yes(v)) c.directive(entry.line, FLAGS[k] ?? k);
    } else if (k === 'comp-lzo') {
      const v = c.value(entry);
      // 'no-by-default' is NetworkManager's "leave it to the server": no directive.
      if (v === 'yes' || v === 'no' || v === 'adaptive') c.directive(entry.line, 'comp-lzo', v);
      else if (v !== null && v !== 'no-by-default') c.errors.push(badValue(entry, v, t('it is yes, no, adaptive or no-by-default', 'yes、no、adaptive、no-by-default のいずれかです')));
    } else if (k === 'compress') {
      const v = c.value(entry);
      if (v === 'yes') c.directive(entry.line, 'compress');
      else if (v === 'lzo' || v === 'lz4' || v === 'lz4-v2' || v === 'stub' || v === 'stub-v2') c.directive(entry.line, 'compress', v);
      else if (v !== null && v !== 'no') c.errors.push(badValue(entry, v, t('it is yes, no, lzo, lz4 or lz4-v2', 'yes、no、lzo、lz4、lz4-v2 のいずれかです')));
    } else if (k === 'proxy-type') {
      translateProxy(c, entry, get);
    } else if (k === 'proxy-server' || k === 'proxy-port' || k === 'proxy-retry') {
      // Part of 'proxy-type'.
    } else if (k === 'http-proxy-username') {
      c.advisories.push(ignoredKey(entry, t('Proxy sign-in is not imported: the proxy must let the VPN connection through without a password.', 'プロキシのサインイン情報はインポートしません。プロキシはパスワードなしで VPN の接続を通す必要があります。'), 'warning'));
    } else if (k === 'crl-verify-dir') {
      c.errors.push(entryError('NM_UNSUPPORTED_VALUE', entry, t(
        "'crl-verify-dir' points at a directory of revocation lists, which cannot be imported. Ask your provider for a single CRL file.",
        "'crl-verify-dir' は失効リストのディレクトリを指しているため、インポートできません。提供元に単一の CRL ファイルを依頼してください。")));
    } else if (k === 'keysize') {
      c.advisories.push(ignoredKey(entry, t('OpenVPN 2.6 removed the key size setting; the cipher decides it.', 'OpenVPN 2.6 で鍵長の設定は廃止されました。暗号方式が鍵長を決めます。')));
    } else if (SECRET_FLAGS.has(k)) {
      // How NetworkManager stores secrets; Tsunagu's credential flow replaces it.
    } else {
      const spec = specOf(k);
      if (spec?.role === 'dangerous' && spec.danger) {
        const why = dangerText(spec.danger);
        c.errors.push(entryError('NM_PROGRAM_KEY', entry, t(
          `'${k}' would make OpenVPN do what its directive '${k}' does: it ${why.en}. Tsunagu refuses this connection; remove the line.`,
          `'${k}' は OpenVPN のディレクティブ '${k}' と同じ働きをし、${why.ja}。Tsunagu はこの接続を受け付けません。行を削除してください。`)));
      } else c.advisories.push(unknownKey(entry, 'vpn'));
    }
  }

  for (const entry of secrets?.entries ?? []) {
    const what: Record<string, LocalizedText> = {
      password: t(' password', 'パスワード'),
      'cert-pass': t(' private key passphrase', '秘密鍵のパスフレーズ'),
      'http-proxy-password': t(' proxy password', 'プロキシのパスワード'),
    };
    c.advisories.push(secretNotImported(entry, what[entry.key] ?? t(` secret '${entry.key}'`, `シークレット '${entry.key}' `)));
  }
}

function translateProxy(c: Collector, entry: KeyfileEntry, get: (key: string) => KeyfileEntry | undefined): void {
  const type = c.value(entry);
  if (type === null || type === '' || type === 'none') return;
  if (type !== 'http' && type !== 'socks') {
    c.errors.push(badValue(entry, type, t('the proxy type is http or socks', 'プロキシの種類は http か socks です')));
    return;
  }
  const serverEntry = get('proxy-server');
  const portEntry = get('proxy-port');
  const server = serverEntry ? c.value(serverEntry) : null;
  const port = portEntry ? c.value(portEntry) : null;
  if (!server) {
    c.errors.push(badValue(entry, type, t("a proxy needs 'proxy-server' (its host name)", "プロキシには 'proxy-server' (ホスト名) が必要です")));
    return;
  }
  if (portEntry && port !== null && !validPort(port)) {
    c.errors.push(badValue(portEntry, port, t('the port must be a number from 1 to 65535', 'ポートは 1 から 65535 までの数値でなければなりません')));
    return;
  }
  c.directive(entry.line, type === 'http' ? 'http-proxy' : 'socks-proxy', server, port ?? (type === 'http' ? '8080' : '1080'));
  const retry = get('proxy-retry');
  if (retry && yes(c.value(retry) ?? '')) c.directive(retry.line, type === 'http' ? 'http-proxy-retry' : 'socks-proxy-retry');
}

/** NetworkManager's own IP settings, where openvpn has a directive that does the same. */
function translateIp(c: Collector, group: KeyfileGroup | undefined, family: 4 | 6): void {
  for (const entry of group?.entries ?? []) {
    const k = entry.key;
    if (k === 'method') {
      const v = c.value(entry);
      if (v !== null && v !== 'auto' && !(family === 6 && (v === 'ignore' || v === 'disabled'))) {
        c.advisories.push(ignoredKey(entry, t(`Addresses come from the VPN server ('method=${v}' is NetworkManager's own setting).`, `アドレスは VPN サーバーから割り当てられます ('method=${v}' は NetworkManager 独自の設定です)。`)));
      } else if (family === 6 && (v === 'ignore' || v === 'disabled')) {
        c.directive(entry.line, 'pull-filter', 'ignore', 'ifconfig-ipv6');
        c.directive(entry.line, 'pull-filter', 'ignore', 'route-ipv6');
      }
    } else if (k === 'never-default') {
      const v = c.value(entry);
      if (v === 'true') c.directive(entry.line, 'pull-filter', 'ignore', 'redirect-gateway');
    } else if (k === 'ignore-auto-routes') {
      const v = c.value(entry);
      if (v === 'true') c.directive(entry.line, 'route-nopull');
    } else if (k === 'dns' || k === 'dns-search') {
      const list = listValue(entry);
      if (!list.ok) {
        c.errors.push(list.error);
        continue;
      }
      for (const item of list.value.map((s) => s.trim()).filter((s) => s !== '')) {
        c.directive(entry.line, 'dhcp-option', k === 'dns' ? (family === 4 ? 'DNS' : 'DNS6') : 'DOMAIN', item);
      }
    } else if (/^routes?\d*$/.test(k)) {
      const v = c.value(entry);
      if (v === null) continue;
      const route = parseRoute(v, family);
      if (typeof route !== 'string') c.errors.push(badValue(entry, v, route));
      else c.out.add(entry.line, route);
    } else if (k === 'ignore-auto-dns') {
      if (c.value(entry) === 'true') c.directive(entry.line, 'pull-filter', 'ignore', 'dhcp-option DNS');
    } else if (/^route\d+_options$/.test(k) || k === 'may-fail' || k === 'dns-priority' || k === 'addr-gen-mode' || k === 'ip6-privacy') {
      // How NetworkManager itself treats the connection; nothing for openvpn to do.
    } else c.advisories.push(ignoredKey(entry, t(`NetworkManager's [ipv${family}] '${k}' has no OpenVPN counterpart here.`, `NetworkManager の [ipv${family}] '${k}' に対応する OpenVPN の設定はありません。`)));
  }
}

/** `route1=10.1.0.0/16[,gateway[,metric]]` → `route 10.1.0.0 255.255.0.0 [gateway [metric]]` (`route-ipv6` for v6). */
function parseRoute(value: string, family: 4 | 6): string | LocalizedText {
  const [dest = '', gateway, metric] = value.split(',').map((s) => s.trim());
  const slash = dest.indexOf('/');
  const address = slash < 0 ? dest : dest.slice(0, slash);
  const prefix = slash < 0 ? (family === 4 ? 32 : 128) : Number(dest.slice(slash + 1));
  const shape = t(`NetworkManager writes routes as 'address/prefix[,gateway[,metric]]'`, `NetworkManager はルートを 'アドレス/プレフィックス[,ゲートウェイ[,メトリック]]' の形で書きます`);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128) || address === '') return shape;
  if (family === 6) return ['route-ipv6', `${address}/${prefix}`, ...(gateway ? [gateway] : []), ...(metric ? [metric] : [])].map(quoteArg).join(' ');
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return shape;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const netmask = [24, 16, 8, 0].map((s) => (mask >>> s) & 0xff).join('.');
  const gw = gateway && gateway !== '0.0.0.0' ? gateway : metric ? 'vpn_gateway' : undefined;
  return ['route', address, netmask, ...(gw ? [gw] : []), ...(metric ? [metric] : [])].map(quoteArg).join(' ');
}

export function translateOpenVpnKeyfile(keyfile: Keyfile, ctx: TranslateContext): TranslatorResult {
  const c = new Collector(ctx);
  const connection = findGroup(keyfile, 'connection');
  const vpn = findGroup(keyfile, 'vpn');
  if (!vpn) return { ok: false, errors: [missingKey(connection, 'vpn', 'service-type', t('says which VPN this is', 'どの VPN かを示すものです'))] };
  const typeLine = findEntry(connection, 'type')?.line ?? vpn.line;
  const devType = findEntry(vpn, 'dev-type');
  const tapDev = findEntry(vpn, 'tap-dev');
  let dev = 'tun';
  if (devType) {
    const v = c.value(devType);
    if (v === 'tap' || v === 'tun') dev = v;
    else if (v !== null) c.errors.push(badValue(devType, v, t('the device type is tun or tap', 'デバイスの種類は tun か tap です')));
  } else if (tapDev && yes(c.value(tapDev) ?? '')) dev = 'tap';
  c.directive(typeLine, 'client');
  c.directive(typeLine, 'dev', dev);
  // NetworkManager's service runs openvpn with --nobind unless a local port is set.
  c.directive(typeLine, 'nobind');
  if (ctx.name !== null) {
    const id = findEntry(connection, 'id');
    c.directive(id?.line ?? typeLine, 'setenv', 'FRIENDLY_NAME', ctx.name);
  }
  translateData(c, vpn, findGroup(keyfile, 'vpn-secrets'));
  translateIp(c, findGroup(keyfile, 'ipv4'), 4);
  translateIp(c, findGroup(keyfile, 'ipv6'), 6);
  for (const group of keyfile.groups) {
    if (['connection', 'vpn', 'vpn-secrets', 'ipv4', 'ipv6', 'proxy', 'ethtool', 'match'].includes(group.name)) continue;
    for (const entry of group.entries) c.advisories.push(unknownKey(entry, group.name));
  }
  if (c.errors.length > 0) return { ok: false, errors: c.errors.sort((a, b) => a.line - b.line) };
  return { ok: true, text: c.out.toString(), files: c.files, advisories: c.advisories.sort((a, b) => a.line - b.line) };
}

