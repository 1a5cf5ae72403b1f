/**
 * NetworkManager-strongswan connections (`service-type=org.freedesktop.NetworkManager.strongswan`)
 * as an IKEv2 profile, with the defaults charon-nm applies: IKEv2 only, the gateway's address as
 * its identity when none is given, the client's traffic sent as 0.0.0.0/0 and ::/0, a virtual IP
 * only when `virtual=yes`. Certificates and keys named by path are read from the files beside the
 * keyfile. The profile is written with the IKEv2 writer and inspected like any IKEv2 profile.
 */
import type { Advisory, LocalizedText, ProfileError } from '../diagnostics.js';
import type { Ikev2LocalRound, Ikev2Profile } from '../ikev2/model.js';
import { connectionNameFrom, parseIdentity, parsePort, parseProposals, parseRemoteAddress, parseTrafficSelector, type Parsed } from '../ikev2/values.js';
import { writeIkev2 } from '../ikev2/writer.js';
import { readCompanionPem } from './companion-pem.js';
import { findGroup, listValue, stringValue, type Keyfile, type KeyfileEntry } from './keyfile.js';
import { badValue, entryError, ignoredKey, missingKey, unknownKey } from './messages.js';
import type { TranslateContext, TranslatorResult } from './translation.js';

const t = (en: string, ja: string): LocalizedText => ({ en, ja });

const METHODS = ['eap', 'psk', 'cert', 'key', 'agent', 'smartcard', 'eap-tls'] as const;
type Method = (typeof METHODS)[number];

/** [vpn] keys that are properties of the VPN setting itself, not plugin data. */
const VPN_PROPERTIES = new Set(['service-type', 'user-name', 'persistent', 'timeout']);

class Collector {
  readonly errors: ProfileError[] = [];
  readonly advisories: Advisory[] = [];

  value(entry: KeyfileEntry | undefined): string | null {
    if (!entry) return null;
    const v = stringValue(entry);
    if (!v.ok) {
      this.errors.push(v.error);
      return null;
    }
    return v.value.trim();
  }

  parsed<T>(entry: KeyfileEntry, value: string, result: Parsed<T>): T | null {
    if (result.ok) return result.value;
    this.errors.push(entryError('NM_BAD_VALUE', entry, { en: `'${entry.key}=${value}': ${result.reason.en}`, ja: `'${entry.key}=${value}': ${result.reason.ja}` }));
    return null;
  }
}

/** NetworkManager separates proposals and selectors with ';' (older versions also ','). */
function items(value: string): string[] {
  return value.split(/[;,]/).map((s) => s.trim()).filter((s) => s !== '');
}

export function translateStrongSwanKeyfile(keyfile: Keyfile, ctx: TranslateContext): TranslatorResult {
  const c = new Collector();
  const vpn = findGroup(keyfile, 'vpn');
  const secretsGroup = findGroup(keyfile, 'vpn-secrets');
  if (!vpn) return { ok: false, errors: [missingKey(findGroup(keyfile, 'connection'), 'vpn', 'address', t('names the VPN server', 'VPN サーバーを指定するものです'))] };
  const get = (k: string): KeyfileEntry | undefined => vpn.entries.find((e) => e.key === k);
  const secret = (k: string): KeyfileEntry | undefined => secretsGroup?.entries.find((e) => e.key === k);
  const known = new Set<string>();
  const use = (k: string): KeyfileEntry | undefined => {
    known.add(k);
    return get(k);
  };

  // The server.
  const addressEntry = use('address');
  let remoteAddrs: string[] = [];
  if (!addressEntry) c.errors.push(missingKey(vpn, 'vpn', 'address', t('names the VPN server', 'VPN サーバーを指定するものです')));
  else {
    const v = c.value(addressEntry);
    const parsed = v === null ? null : c.parsed(addressEntry, v, parseRemoteAddress(v));
    if (parsed && parsed.kind !== 'host') {
      c.errors.push(entryError('NM_BAD_VALUE', addressEntry, t(`'address=${v ?? ''}' is not one server but any address or a range, which only a server accepts. Give the VPN server's host name or address.`, `'address=${v ?? ''}' は 1 台のサーバーではなく任意のアドレスや範囲を表し、サーバー側でしか使えません。VPN サーバーのホスト名またはアドレスを指定してください。`)));
    } else if (parsed) remoteAddrs = [parsed.value];
  }
  const portEntry = use('server-port');
  const portText = c.value(portEntry);
  const remotePort = portEntry && portText !== null && portText !== '' ? c.parsed(portEntry, portText, parsePort(portText)) : null;

  // How the client authenticates.
  const methodEntry = use('method');
  let method: Method = 'key';
  if (methodEntry) {
    const v = c.value(methodEntry);
    if (v !== null && (METHODS as readonly string[]).includes(v)) method = v as Method;
    else if (v !== null) c.errors.push(badValue(methodEntry, v, t('NetworkManager-strongswan methods are eap, psk, cert, key, agent, smartcard and eap-tls', 'NetworkManager-strongswan の方式は eap、psk、cert、key、agent、smartcard、eap-tls のいずれかです')));
  }
  const certSource = c.value(use('cert-source'));
  if (method === 'cert' && certSource !== null && certSource !== 'file') method = certSource === 'agent' ? 'agent' : 'smartcard';
  if (methodEntry && (method === 'agent' || method === 'smartcard')) {
    c.errors.push(entryError('NM_UNSUPPORTED_VALUE', methodEntry, method === 'agent'
      ? t("The private key is held by ssh-agent, which Tsunagu's helper cannot reach. Use a certificate and key file (method=cert) or ask for a swanctl.conf profile.", '秘密鍵は ssh-agent が保持しており、Tsunagu のヘルパーからは使えません。証明書と鍵のファイル (method=cert) を使うか、swanctl.conf のプロファイルを依頼してください。')
      : t('The private key is on a smart card, which Tsunagu does not support yet. Use a certificate and key file (method=cert) or ask your administrator.', '秘密鍵はスマートカード上にあり、Tsunagu はまだ対応していません。証明書と鍵のファイル (method=cert) を使うか、管理者に相談してください。')));
  }
  const user = c.value(use('user'));
  const localIdEntry = use('local-identity');
  const localIdText = c.value(localIdEntry);
  const localId = localIdEntry && localIdText !== null && localIdText !== '' ? c.parsed(localIdEntry, localIdText, parseIdentity(localIdText)) : null;
  const remoteIdEntry = use('remote-identity');
  const remoteIdText = c.value(remoteIdEntry);
  const remoteId = remoteIdEntry && remoteIdText !== null && remoteIdText !== '' ? c.parsed(remoteIdEntry, remoteIdText, parseIdentity(remoteIdText)) : null;

  const usesCert = method === 'cert' || method === 'key' || method === 'eap-tls';
  const eap = method === 'eap' || method === 'eap-tls';
  if (eap && method === 'eap' && (user === null || user === '')) {
    c.errors.push(missingKey(vpn, 'vpn', 'user', t('is the user name EAP signs in with', 'EAP でサインインするユーザー名です')));
  }
  let round: Ikev2LocalRound;
  if (method === 'psk') round = { auth: 'psk', id: localId ?? (user || null), eapId: null, xauthId: null, usesClientCert: false };
  else if (method === 'eap') round = { auth: 'eap', id: localId ?? (user || null), eapId: user || null, xauthId: null, usesClientCert: false };
  else if (method === 'eap-tls') round = { auth: 'eap-tls', id: localId, eapId: user || null, xauthId: null, usesClientCert: true };
  else round = { auth: 'pubkey', id: localId, eapId: null, xauthId: null, usesClientCert: true };

  // Files.
  const used: string[] = [];
  const files = { caCerts: [] as string[], serverCerts: [] as string[], clientCert: null as string | null, privateKey: null as string | null };
  const caEntry = use('certificate');
  const caPath = c.value(caEntry);
  if (caEntry && caPath) {
    const r = readCompanionPem(caPath, ctx.files, 'certificates');
    if (r.ok) {
      files.caCerts = r.pem;
      used.push(r.name);
    }
    else c.errors.push(entryError(r.missing ? 'NM_FILE_MISSING' : 'NM_FILE_UNREADABLE', caEntry, t(`'certificate=${caPath}': ${r.reason.en}.`, `'certificate=${caPath}': ${r.reason.ja}。`)));
  } else if (method !== 'psk' && method !== 'agent' && method !== 'smartcard') {
    // charon-nm then trusts the whole system store; Tsunagu checks the server against its own CA only.
    c.errors.push(missingKey(vpn, 'vpn', 'certificate', t(
      "names the CA certificate that signed the server's certificate. NetworkManager then trusted every authority of this computer; Tsunagu checks the server against the VPN's own CA only. Add 'certificate=<CA file>' and import the CA file with the connection",
      "サーバー証明書に署名した CA 証明書を指定するものです。NetworkManager はこの場合コンピューターのすべての認証局を信頼していましたが、Tsunagu は VPN 独自の CA だけでサーバーを確認します。'certificate=<CA ファイル>' を追加し、CA ファイルを接続と一緒にインポートしてください")));
  }
  const certEntry = use('usercert');
  const keyEntry = use('userkey');
  if (usesCert && method !== 'agent' && method !== 'smartcard') {
    const certPath = c.value(certEntry);
    if (!certEntry || !certPath) c.errors.push(missingKey(vpn, 'vpn', 'usercert', t(`the '${method}' method needs (the client certificate)`, `方式 '${method}' に必要なクライアント証明書です`)));
    else {
      const r = readCompanionPem(certPath, ctx.files, 'certificates');
      if (r.ok) {
        files.clientCert = r.pem[0] ?? null;
        used.push(r.name);
      }
      else c.errors.push(entryError(r.missing ? 'NM_FILE_MISSING' : 'NM_FILE_UNREADABLE', certEntry, t(`'usercert=${certPath}': ${r.reason.en}.`, `'usercert=${certPath}': ${r.reason.ja}。`)));
    }
    const keyPath = c.value(keyEntry);
    if (!keyEntry || !keyPath) c.errors.push(missingKey(vpn, 'vpn', 'userkey', t(`the '${method}' method needs (the client's private key)`, `方式 '${method}' に必要なクライアントの秘密鍵です`)));
    else {
      const r = readCompanionPem(keyPath, ctx.files, 'key');
      if (r.ok) {
        files.privateKey = r.pem[0] ?? null;
        used.push(r.name);
      }
      else c.errors.push(entryError(r.missing ? 'NM_FILE_MISSING' : 'NM_FILE_UNREADABLE', keyEntry, t(`'userkey=${keyPath}': ${r.reason.en}.`, `'userkey=${keyPath}': ${r.reason.ja}。`)));
    }
  } else {
    for (const entry of [certEntry, keyEntry]) {
      if (entry) c.advisories.push(ignoredKey(entry, t(`The '${method}' method uses no client certificate.`, `方式 '${method}' はクライアント証明書を使いません。`)));
    }
  }

  // Secrets.
  const secrets = { psk: null as string | null, eapPassword: null as string | null, xauthPassword: null as string | null };
  const password = secret('password') ?? secret('psk');
  const passwordValue = password ? stringValue(password) : null;
  if (passwordValue && !passwordValue.ok) c.errors.push(passwordValue.error);
  const passwordText = passwordValue?.ok ? passwordValue.value : null;
  if (method === 'psk') {
    if (passwordText === null || passwordText === '') {
      c.errors.push(missingKey(secretsGroup ?? vpn, 'vpn-secrets', 'password', t('holds the pre-shared key; NetworkManager kept it in a keyring, so export the connection with its secrets (nmcli --show-secrets) or ask for the key', '事前共有鍵を保持するものです。NetworkManager がキーリングに保管しているため、シークレット付きで接続を書き出す (nmcli --show-secrets) か、鍵を問い合わせてください')));
    } else secrets.psk = passwordText;
  } else if (method === 'eap' && passwordText) secrets.eapPassword = passwordText;
  else if (password && usesCert) c.advisories.push(ignoredKey(password, t('A saved private key passphrase is not used: Tsunagu imports only unencrypted keys.', '保存された秘密鍵のパスフレーズは使いません。Tsunagu は暗号化されていない鍵だけをインポートします。')));
  known.add('password-flags');

  // Tunnel.
  const virtual = c.value(use('virtual')) === 'yes';
  const ipv6 = findGroup(keyfile, 'ipv6');
  const ipv6Method = ipv6?.entries.find((e) => e.key === 'method');
  // NetworkManager's default for a VPN is method=auto: an IPv6 address is requested too.
  const v6Method = ipv6Method ? c.value(ipv6Method) : null;
  const v6Off = v6Method === 'ignore' || v6Method === 'disabled';
  const vips = virtual ? ['0.0.0.0', ...(v6Off ? [] : ['::'])] : [];
  const encap = c.value(use('encap')) === 'yes';
  const ipcomp = use('ipcomp');
  if (ipcomp && c.value(ipcomp) === 'yes') c.advisories.push(ignoredKey(ipcomp, t('IP compression is not used; the connection works without it.', 'IP 圧縮は使いません。圧縮なしでも接続できます。')));

  let proposals: string[] | null = null;
  let espProposals: string[] | null = null;
  const proposalOn = c.value(use('proposal')) === 'yes';
  for (const k of ['ike', 'esp'] as const) {
    const entry = use(k);
    const v = c.value(entry);
    if (!entry || v === null || v === '') continue;
    if (!proposalOn) {
      c.advisories.push(ignoredKey(entry, t("'proposal=yes' is not set, so NetworkManager used charon's default algorithms; so does Tsunagu.", "'proposal=yes' が設定されていないため、NetworkManager は charon の既定のアルゴリズムを使っていました。Tsunagu も同じです。")));
      continue;
    }
    const parsed = c.parsed(entry, v, parseProposals(items(v).join(',')));
    if (k === 'ike') proposals = parsed;
    else espProposals = parsed;
  }
  const selectors = (k: 'local-ts' | 'remote-ts'): string[] => {
    const entry = use(k);
    const v = c.value(entry);
    if (!entry || v === null || v === '') return [];
    return items(v).flatMap((item) => {
      const ts = c.parsed(entry, item, parseTrafficSelector(item));
      return ts ? [ts.text] : [];
    });
  };
  const localTs = selectors('local-ts');
  const remoteTsGiven = selectors('remote-ts');

  const dnsServers: string[] = [];
  for (const group of [findGroup(keyfile, 'ipv4'), ipv6]) {
    const dns = group?.entries.find((e) => e.key === 'dns');
    if (!dns) continue;
    const list = listValue(dns);
    if (!list.ok) c.errors.push(list.error);
    else dnsServers.push(...list.value.map((s) => s.trim()).filter((s) => s !== ''));
  }

  for (const entry of vpn.entries) {
    if (!known.has(entry.key) && !VPN_PROPERTIES.has(entry.key)) c.advisories.push(unknownKey(entry, 'vpn'));
  }
  if (c.errors.length > 0) return { ok: false, errors: c.errors.sort((a, b) => a.line - b.line) };

  const connection = connectionNameFrom(ctx.name, 'networkmanager');
  const profile: Ikev2Profile = {
    kind: 'ikev2',
    connection,
    version: 2,
    remoteAddrs,
    remotePort,
    localAddrs: [],
    local: [round],
    remote: { auth: method === 'psk' ? 'psk' : 'pubkey', id: remoteId ?? remoteAddrs[0] ?? null, revocation: null },
    aggressive: false,
    vips,
    proposals,
    encap,
    mobike: true,
    dpdDelay: null,
    children: [{
      name: connection,
      localTs,
      // charon-nm proposes everything (0.0.0.0/0, ::/0) unless the connection lists its own.
      remoteTs: remoteTsGiven.length > 0 ? remoteTsGiven : ['0.0.0.0/0', '::/0'],
      espProposals,
      mode: 'tunnel',
      updown: null,
    }],
    files,
    secrets,
    dnsServers,
  };
  return { ok: true, text: writeIkev2(profile), files: [...new Set(used)], advisories: c.advisories.sort((a, b) => a.line - b.line) };
}
