/**
 * strongSwan's `.sswan` profile (the JSON the Android and Apple apps import) → Ikev2Profile.
 *
 * The apps' own defaults are applied, so the connection behaves as it does there: a virtual IP
 * (IPv4 and IPv6) is always requested, all traffic goes through the tunnel unless
 * `split-tunneling.subnets` says otherwise, the server must prove the identity `remote.id` (by
 * default its address) with a certificate, and the EAP user name is also the IKE identity.
 * A PKCS#12 client certificate (`local.p12`) is read when it has no password (a .sswan carries
 * none; the apps ask for it), and refused with the command that removes the password otherwise.
 */
import type { Advisory, ProfileError } from '../diagnostics.js';
import { profileError } from '../diagnostics.js';
import { ikev2Advisories } from './advisories.js';
import type { Ikev2Files, Ikev2LocalRound, Ikev2Profile } from './model.js';
import { derToPem, fromBase64, pemBlocks } from './pem.js';
import { pkcs12CaAdvisory, readPkcs12 } from './pkcs12.js';
import type { Ikev2ReadOptions, Ikev2ReadResult } from './result.js';
import { hasControlCharacter, parseIdentity, parsePort, parseProposals, parseRemoteAddress, parseTrafficSelector, parseVip, type Parsed } from './values.js';

export const SSWAN_TYPES = ['ikev2-eap', 'ikev2-cert', 'ikev2-cert-eap', 'ikev2-eap-tls', 'ikev2-byod-eap'] as const;

/** A JSON object whose `type` is one of strongSwan's IKEv2 profile types. */
export function looksLikeSswan(text: string, fileName: string | undefined): boolean {
  const t = text.trimStart();
  if (!t.startsWith('{')) return false;
  if (fileName !== undefined && /\.sswan$/i.test(fileName)) return true;
  return /"type"\s*:\s*"ikev2-[a-z-]+"/.test(t) && /"remote"\s*:\s*\{/.test(t);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The line and column of a key in the text (its first occurrence after `after`), for messages. */
function locate(text: string, key: string, after = 0): { line: number; column: number; offset: number } {
  const at = text.indexOf(`"${key}"`, after);
  if (at < 0) return { line: 0, column: 1, offset: after };
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - before.lastIndexOf('\n'), offset: at };
}

class SswanReader {
  readonly errors: ProfileError[] = [];
  readonly advisories: Advisory[] = [];
  readonly lines = new Map<string, number>();

  constructor(readonly text: string) {}

  where(path: string[]): { line: number; column: number } {
    let offset = 0;
    let found = { line: 0, column: 1 };
    for (const key of path) {
      const l = locate(this.text, key, offset);
      offset = l.offset;
      found = { line: l.line, column: l.column };
    }
    return found;
  }

  error(code: string, path: string[], en: string, ja: string): void {
    const at = this.where(path);
    const p = at.line > 0 ? { en: `Line ${at.line}: `, ja: `${at.line} 行目: ` } : { en: '', ja: '' };
    this.errors.push(profileError(code, at, path.join('.'), { en: `${p.en}${en}`, ja: `${p.ja}${ja}` }));
  }

  parsed<T>(path: string[], r: Parsed<T>): T | undefined {
    if (r.ok) return r.value;
    this.error('IKEV2_BAD_VALUE', path, `'${path.join('.')}': ${r.reason.en}`, `'${path.join('.')}': ${r.reason.ja}`);
    return undefined;
  }

  string(obj: JsonObject, key: string, path: string[]): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v.trim();
    if (typeof v === 'number') return String(v);
    this.error('IKEV2_BAD_VALUE', [...path, key], `'${[...path, key].join('.')}' must be text.`, `'${[...path, key].join('.')}' はテキストでなければなりません。`);
    return undefined;
  }

  note(field: string, path: string[]): void {
    this.lines.set(field, this.where(path).line);
  }
}

function certificatePem(r: SswanReader, value: string): string | null {
  if (value.includes('-----BEGIN')) {
    const block = pemBlocks(value).find((b) => b.label === 'CERTIFICATE');
    if (block) return block.text;
  }
  const der = fromBase64(value);
  if (der && der.length > 4 && der[0] === 0x30) return derToPem(der, 'CERTIFICATE');
  const text = der ? new TextDecoder().decode(der) : '';
  const block = pemBlocks(text).find((b) => b.label === 'CERTIFICATE');
  if (block) return block.text;
  r.error('IKEV2_NOT_A_CERTIFICATE', ['remote', 'cert'], "'remote.cert' is not a base64-encoded certificate.", "'remote.cert' は base64 でエンコードされた証明書ではありません。");
  return null;
}

function listOrSpaced(v: Json | undefined): string[] {
  if (typeof v === 'string') return v.split(/[\s,]+/).filter((x) => x !== '');
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string').map((x) => x.trim());
  return [];
}

export function readSswan(text: string, _options: Ikev2ReadOptions = {}): Ikev2ReadResult {
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (e) {
    const m = e instanceof SyntaxError ? /position (\d+)/.exec(e.message) : null;
    const offset = m ? Number(m[1]) : -1;
    const line = offset >= 0 ? text.slice(0, offset).split('\n').length : 0;
    return {
      ok: false,
      errors: [profileError('IKEV2_SSWAN_NOT_JSON', { line }, e instanceof Error ? e.message : '', {
        en: `${line > 0 ? `Line ${line}: ` : ''}this .sswan file is not valid JSON, so it cannot be read. Ask your provider for the file again.`,
        ja: `${line > 0 ? `${line} 行目: ` : ''}この .sswan ファイルは正しい JSON ではないため読めません。提供元にもう一度ファイルを依頼してください。`,
      })],
    };
  }
  const r = new SswanReader(text);
  if (!isObject(json)) {
    r.error('IKEV2_SSWAN_NOT_JSON', [], 'a .sswan file is one JSON object.', '.sswan ファイルは 1 つの JSON オブジェクトです。');
    return { ok: false, errors: r.errors };
  }
  const type = r.string(json, 'type', []);
  const remote = json.remote;
  const local = isObject(json.local) ? json.local : {};
  if (json.uuid === undefined) r.error('IKEV2_SSWAN_FIELD_MISSING', [], "the profile has no 'uuid', which every .sswan file has. Check that it is the file your provider gave you.", "プロファイルに、どの .sswan ファイルにもある 'uuid' がありません。提供元から渡されたファイルか確認してください。");
  if (!isObject(remote) || r.string(remote, 'addr', ['remote']) === undefined) {
    r.error('IKEV2_SSWAN_FIELD_MISSING', ['remote'], "the profile has no server address ('remote.addr').", "プロファイルにサーバーのアドレス ('remote.addr') がありません。");
    return { ok: false, errors: r.errors };
  }
  if (type === 'ikev2-byod-eap') {
    r.error('IKEV2_SSWAN_BYOD_UNSUPPORTED', ['type'], "'ikev2-byod-eap' checks the device's health for the network (EAP-TNC), which Tsunagu cannot do. Ask your administrator for an 'ikev2-eap' or certificate profile.",
      "'ikev2-byod-eap' はネットワーク向けに端末の状態を検査します (EAP-TNC) が、Tsunagu にはできません。'ikev2-eap' または証明書のプロファイルを管理者に依頼してください。");
    return { ok: false, errors: r.errors };
  }
  if (type === undefined || !(SSWAN_TYPES as readonly string[]).includes(type)) {
    r.error('IKEV2_SSWAN_TYPE', ['type'], `the profile type '${type ?? ''}' is not one strongSwan knows (${SSWAN_TYPES.slice(0, 4).join(', ')}).`, `プロファイルの種類 '${type ?? ''}' は strongSwan の種類 (${SSWAN_TYPES.slice(0, 4).join('、')}) ではありません。`);
    return { ok: false, errors: r.errors };
  }
  r.note('type', ['type']);

  const addr = r.string(remote, 'addr', ['remote']) ?? '';
  const server = r.parsed(['remote', 'addr'], parseRemoteAddress(addr));
  const remoteAddrs = server?.kind === 'host' ? [server.value] : [];
  if (server && server.kind !== 'host') r.error('IKEV2_BAD_VALUE', ['remote', 'addr'], `'remote.addr' must be one server, not '${addr}'.`, `'remote.addr' は 1 台のサーバーでなければなりません ('${addr}' ではなく)。`);
  const portText = r.string(remote, 'port', ['remote']);
  const remotePort = portText === undefined ? null : r.parsed(['remote', 'port'], parsePort(portText)) ?? null;
  const remoteIdText = r.string(remote, 'id', ['remote']);
  const remoteId = remoteIdText === undefined || remoteIdText === '' ? (remoteAddrs[0] ?? null) : r.parsed(['remote', 'id'], parseIdentity(remoteIdText)) ?? null;
  r.note('remote.id', ['remote', 'id']);
  const caText = r.string(remote, 'cert', ['remote']);
  const caCerts: string[] = [];
  if (caText !== undefined && caText !== '') {
    const pem = certificatePem(r, caText);
    if (pem) caCerts.push(pem);
  } else {
    r.error('IKEV2_CA_MISSING', ['remote'],
      "the profile has no CA certificate ('remote.cert') to check the server with; the strongSwan app would use the device's trusted CAs, which Tsunagu does not hand to strongSwan. Ask your provider for a profile that includes the CA certificate.",
      "サーバーを検証する CA 証明書 ('remote.cert') がプロファイルにありません。strongSwan アプリは端末の信頼済み CA を使いますが、Tsunagu はそれを strongSwan に渡しません。CA 証明書を含むプロファイルを提供元に依頼してください。");
  }
  const revocation = isObject(remote.revocation) && remote.revocation.strict === true ? 'strict' : null;

  const localIdText = r.string(local, 'id', ['local']);
  const localId = localIdText === undefined || localIdText === '' ? null : r.parsed(['local', 'id'], parseIdentity(localIdText)) ?? null;
  const eapIdText = r.string(local, 'eap_id', ['local']);
  const eapId = eapIdText === undefined || eapIdText === '' ? null : r.parsed(['local', 'eap_id'], parseIdentity(eapIdText)) ?? null;
  const password = r.string(local, 'shared_secret', ['local']);
  if (password !== undefined && hasControlCharacter(password)) {
    r.error('IKEV2_SECRET_UNREADABLE', ['local', 'shared_secret'], "the password contains control characters.", 'パスワードに制御文字が含まれています。');
  }

  const eap: Ikev2LocalRound = { auth: 'eap', id: localId ?? eapId, eapId, xauthId: null, usesClientCert: false };
  const cert: Ikev2LocalRound = { auth: 'pubkey', id: localId, eapId: null, xauthId: null, usesClientCert: true };
  const rounds: Ikev2LocalRound[] =
    type === 'ikev2-eap' ? [eap]
    : type === 'ikev2-cert' ? [cert]
    : type === 'ikev2-cert-eap' ? [cert, { ...eap, id: null }]
    : [{ auth: 'eap-tls', id: localId, eapId, xauthId: null, usesClientCert: true }];
  if ((type === 'ikev2-eap' || type === 'ikev2-cert-eap') && eapId === null) {
    r.error('IKEV2_SSWAN_FIELD_MISSING', ['local'], "the profile signs in with a user name and password but gives no user name ('local.eap_id').", "プロファイルはユーザー名とパスワードでサインインしますが、ユーザー名 ('local.eap_id') がありません。");
  }
  const files: Ikev2Files = { caCerts, serverCerts: [], clientCert: null, privateKey: null };
  if (rounds.some((x) => x.usesClientCert)) {
    if (typeof local.p12 === 'string' && local.p12 !== '') {
      const bytes = fromBase64(local.p12);
      // A .sswan carries no password for its bundle: the apps ask for it at import.
      const bundle = bytes ? readPkcs12(bytes, null) : ({ ok: false, reason: 'malformed' } as const);
      if (bundle.ok) {
        files.clientCert = bundle.clientCert;
        files.privateKey = bundle.privateKey;
        files.caCerts.push(...bundle.caCerts);
        if (bundle.caCerts.length > 0) r.advisories.push(pkcs12CaAdvisory(r.where(['local', 'p12']).line, bundle.caCerts.length));
      } else if (bundle.reason === 'password') {
        r.error('IKEV2_PKCS12_PASSWORD', ['local', 'p12'],
          "the client certificate bundle ('local.p12') is protected by a password, which a .sswan file does not carry and Tsunagu cannot ask for at import yet. Remove the password (openssl pkcs12 -in bundle.p12 -nodes | openssl pkcs12 -export -passout pass: -out plain.p12), put the new bundle in 'local.p12', and import again.",
          "クライアント証明書のバンドル ('local.p12') はパスワードで保護されていますが、.sswan ファイルにはパスワードが含まれず、Tsunagu はインポート時にまだ尋ねられません。パスワードを外し (openssl pkcs12 -in bundle.p12 -nodes | openssl pkcs12 -export -passout pass: -out plain.p12)、新しいバンドルを 'local.p12' に入れて、もう一度インポートしてください。");
      } else {
        r.error('IKEV2_PKCS12_UNREADABLE', ['local', 'p12'], "'local.p12' is not a base64 PKCS#12 bundle with a certificate and its private key.", "'local.p12' は証明書と秘密鍵を含む base64 の PKCS#12 バンドルではありません。");
      }
    } else {
      r.error('IKEV2_SSWAN_CERT_MISSING', ['type'],
        `a '${type}' profile signs in with a certificate, but this file carries none ('local.p12'): the strongSwan app lets you pick one installed on the device. Ask your provider for the certificate, and import it with a swanctl.conf profile.`,
        `'${type}' のプロファイルは証明書でサインインしますが、このファイルには証明書 ('local.p12') がありません (strongSwan アプリでは端末にインストール済みの証明書を選びます)。証明書を提供元に依頼し、swanctl.conf のプロファイルと一緒にインポートしてください。`);
    }
  }

  const ike = r.string(json, 'ike-proposal', []);
  const esp = r.string(json, 'esp-proposal', []);
  const proposals = ike === undefined || ike === '' ? null : r.parsed(['ike-proposal'], parseProposals(ike)) ?? null;
  const espProposals = esp === undefined || esp === '' ? null : r.parsed(['esp-proposal'], parseProposals(esp)) ?? null;
  if (proposals) r.note('proposals', ['ike-proposal']);
  if (espProposals) r.note('children.0.esp_proposals', ['esp-proposal']);
  const dnsServers = listOrSpaced(json['dns-servers']).map((d) => r.parsed(['dns-servers'], parseVip(d))).filter((d): d is string => d !== undefined);

  const split = isObject(json['split-tunneling']) ? json['split-tunneling'] : {};
  const subnets = listOrSpaced(split.subnets).map((s) => r.parsed(['split-tunneling', 'subnets'], parseTrafficSelector(s))?.text).filter((s): s is string => s !== undefined);
  const ignored: string[] = [];
  for (const key of ['mtu', 'nat-keepalive', 'ipv6-transport', 'proxy', 'apps', 'excluded-apps', 'included-apps']) if (json[key] !== undefined) ignored.push(key);
  for (const key of ['excluded', 'block-ipv4', 'block-ipv6']) if (split[key] !== undefined) ignored.push(`split-tunneling.${key}`);
  if (remote.certreq !== undefined) ignored.push('remote.certreq');
  if (local['rsa-pss'] !== undefined) ignored.push('local.rsa-pss');
  if (ignored.length > 0) {
    r.advisories.push({
      code: 'IKEV2_SSWAN_IGNORED', severity: split.excluded !== undefined || json.apps !== undefined || json['excluded-apps'] !== undefined ? 'warning' : 'info', line: 0,
      message: { en: `Not applied by Tsunagu: ${ignored.join(', ')}.`, ja: `Tsunagu では適用しない設定: ${ignored.join(', ')}。` },
      explanation: {
        en: 'These are settings of the strongSwan app on the phone (per-app VPN, excluded networks, proxy, MTU, keepalive). Tsunagu sends the networks listed above through the tunnel, for every program on this computer.',
        ja: 'これらは携帯端末の strongSwan アプリの設定です (アプリごとの VPN、除外するネットワーク、プロキシ、MTU、キープアライブ)。Tsunagu は上記のネットワークを、このコンピューターのすべてのプログラムについてトンネル経由にします。',
      },
    });
  }
  if (r.errors.length > 0) return { ok: false, errors: r.errors };

  const name = r.string(json, 'name', []);
  const connection = (name ?? addr).replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64) || 'sswan';
  const profile: Ikev2Profile = {
    kind: 'ikev2',
    connection,
    version: 2,
    remoteAddrs,
    remotePort,
    localAddrs: [],
    local: rounds,
    remote: { auth: 'pubkey', id: remoteId, revocation },
    aggressive: false,
    vips: ['0.0.0.0', '::'],
    proposals,
    encap: false,
    mobike: true,
    dpdDelay: null,
    children: [{ name: 'net', localTs: [], remoteTs: subnets.length > 0 ? subnets : ['0.0.0.0/0', '::/0'], espProposals, mode: 'tunnel', updown: null }],
    files,
    secrets: { psk: null, eapPassword: password === undefined || password === '' ? null : password, xauthPassword: null },
    dnsServers,
  };
  const lineOf = (field: string): number => r.lines.get(field) ?? 0;
  return { ok: true, profile, advisories: [...r.advisories, ...ikev2Advisories(profile, lineOf)].sort((a, b) => a.line - b.line), inlinedFiles: [], ...(name ? { name } : {}) };
}
