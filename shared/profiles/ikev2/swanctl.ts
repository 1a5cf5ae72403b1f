/**
 * swanctl.conf → Ikev2Profile. Imports the first client connection of the `connections` section
 * with the `secrets` that belong to it; certificate and key files are read from the companion
 * files (or from the canonical text's own `tsunagu { files { } }` section, see writer.ts).
 *
 * Refused: server (responder) configurations, L2TP/IPsec and other transport-mode setups,
 * `updown` scripts unless the policy allows scripts, smart cards, and settings that change what
 * charon does in ways the model cannot express. Settings that only tune timers or logging are
 * listed in one advisory and left to charon's defaults.
 */
import type { Advisory, ProfileError } from '../diagnostics.js';
import { basenameOf, MAX_INLINED_FILE_BYTES } from '../openvpn/inliner.js';
import { DEFAULT_POLICY } from '../policy.js';
import { ikev2Advisories, unusedSecretAdvisories, type UnusedSecret } from './advisories.js';
import type { Ikev2Child, Ikev2LocalAuth, Ikev2LocalRound, Ikev2Profile, Ikev2RemoteAuth, Ikev2RemoteRound } from './model.js';
import { derToPem, looksLikeDer, pemBlocks } from './pem.js';
import { pkcs12CaAdvisory, readPkcs12 } from './pkcs12.js';
import { ikev2ServerConfigError, l2tpError, updownError } from './policy.js';
import type { Ikev2ReadOptions, Ikev2ReadResult } from './result.js';
import { readSettings, settingsError, subsection, valueOf, type SettingsPlace, type SettingsSection, type SettingsValue } from './settings.js';
import {
  hasControlCharacter, isL2tpSelector, parseBool, parseDuration, parseIdentity, parsePort, parseProposals, parseRemoteAddress, parseTrafficSelector, parseVip,
  splitList, type Parsed,
} from './values.js';

/** The canonical text's own section (writer.ts): DNS servers and the file material. */
export const TSUNAGU_SECTION = 'tsunagu';

const CONN_KEYS = new Set(['version', 'local_addrs', 'remote_addrs', 'remote_port', 'proposals', 'vips', 'aggressive', 'encap', 'mobike', 'dpd_delay']);
/** Timers, retries and negotiation details left to charon's defaults; they change no security property. */
const CONN_IGNORED = new Set([
  'pull', 'dscp', 'fragmentation', 'childless', 'send_certreq', 'send_cert', 'keyingtries', 'unique', 'reauth_time', 'rekey_time',
  'over_time', 'rand_time', 'dpd_timeout', 'ocsp', 'ppk_id', 'ppk_required',
]);
const CONN_UNSUPPORTED = new Set(['local_port', 'if_id_in', 'if_id_out', 'mediation', 'mediated_by', 'mediation_peer', 'pools']);
const CHILD_KEYS = new Set(['local_ts', 'remote_ts', 'esp_proposals', 'mode', 'updown']);
const CHILD_IGNORED = new Set([
  'start_action', 'close_action', 'dpd_action', 'rekey_time', 'life_time', 'rand_time', 'rekey_bytes', 'life_bytes', 'rand_bytes',
  'rekey_packets', 'life_packets', 'rand_packets', 'hostaccess', 'inactivity', 'replay_window', 'hw_offload', 'copy_df', 'copy_ecn',
  'copy_dscp', 'policies', 'policies_fwd_out', 'priority', 'ipcomp', 'reqid', 'interface',
]);
const CHILD_UNSUPPORTED = new Set(['ah_proposals', 'sha256_96', 'mark_in', 'mark_out', 'mark_in_sa', 'set_mark_in', 'set_mark_out', 'if_id_in', 'if_id_out', 'label', 'label_mode', 'tfc_padding']);
const LOCAL_IGNORED = new Set(['aaa_id', 'round']);
const REMOTE_IGNORED = new Set(['ca_id', 'cert_policy']);

const EMPTY_AT: SettingsPlace = { file: null, line: 0, column: 1 };

class Reader {
  readonly errors: ProfileError[] = [];
  readonly advisories: Advisory[] = [];
  readonly lines = new Map<string, number>();
  readonly inlined: string[] = [];
  readonly ignored: string[] = [];
  private readonly embedded = new Map<string, string>();

  constructor(readonly options: Ikev2ReadOptions) {}

  error(code: string, at: SettingsPlace, text: string, en: string, ja: string): void {
    this.errors.push(settingsError(code, at, text, en, ja));
  }

  note(field: string, at: SettingsPlace): void {
    if (at.file === null && !this.lines.has(field)) this.lines.set(field, at.line);
  }

  parsed<T>(v: SettingsValue, result: Parsed<T>): T | undefined {
    if (result.ok) return result.value;
    this.error('IKEV2_BAD_VALUE', v.at, v.source, `'${v.key}': ${result.reason.en}`, `'${v.key}': ${result.reason.ja}`);
    return undefined;
  }

  embed(files: SettingsSection): void {
    for (const e of files.entries) {
      if (e.kind === 'value') this.embedded.set(e.key, e.value);
      else this.error('IKEV2_UNKNOWN_SECTION', e.at, e.source, `'${e.name}' does not belong in '${TSUNAGU_SECTION}.files'.`, `'${e.name}' は '${TSUNAGU_SECTION}.files' に書けません。`);
    }
  }

  /** A referenced file's bytes, from the canonical text's own files or the companions; null = reported. */
  file(ref: SettingsValue, path: string): Uint8Array | string | null {
    const inline = this.embedded.get(path);
    if (inline !== undefined) return inline;
    const name = basenameOf(path);
    const bytes = name === '' ? null : this.options.files?.read(name) ?? null;
    if (bytes === null) {
      this.error('IKEV2_FILE_MISSING', ref.at, ref.source,
        `'${ref.key}' needs the file '${name || path}', which was not given with the profile. Put it next to the profile (or in the same .zip) and import again.`,
        `'${ref.key}' にはファイル '${name || path}' が必要ですが、プロファイルと一緒に渡されていません。プロファイルと同じ場所 (または同じ .zip) に置いて、もう一度インポートしてください。`);
      return null;
    }
    if (bytes.length > MAX_INLINED_FILE_BYTES) {
      this.error('IKEV2_FILE_TOO_LARGE', ref.at, ref.source, `'${name}' is ${Math.ceil(bytes.length / 1024)} KiB; files up to ${MAX_INLINED_FILE_BYTES / 1024} KiB can be included. Check that it is the right file.`,
        `'${name}' は ${Math.ceil(bytes.length / 1024)} KiB です。取り込めるのは ${MAX_INLINED_FILE_BYTES / 1024} KiB までです。正しいファイルか確認してください。`);
      return null;
    }
    if (!this.inlined.includes(name)) this.inlined.push(name);
    return bytes;
  }

  /** Every certificate in a referenced file (PEM, or one DER certificate). */
  certificates(ref: SettingsValue, path: string): string[] {
    const content = this.file(ref, path);
    if (content === null) return [];
    const text = typeof content === 'string' ? content : decodeText(content);
    if (text !== null && text.includes('-----BEGIN')) {
      const certs = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE');
      if (certs.length > 0) return certs.map((b) => b.text.replace(/-----(BEGIN|END) (X509|TRUSTED) CERTIFICATE-----/g, '-----$1 CERTIFICATE-----'));
    } else if (typeof content !== 'string' && looksLikeDer(content)) {
      return [derToPem(content, 'CERTIFICATE')];
    }
    this.error('IKEV2_NOT_A_CERTIFICATE', ref.at, ref.source, `'${basenameOf(path)}' holds no certificate (PEM or DER). Check that it is the right file.`,
      `'${basenameOf(path)}' には証明書 (PEM または DER) がありません。正しいファイルか確認してください。`);
    return [];
  }

  /** A PKCS#12 bundle's certificate, key and CA certificates; null = reported. */
  pkcs12(ref: SettingsValue, password: string | null): { clientCert: string; privateKey: string; caCerts: string[] } | null {
    const content = this.file(ref, ref.value);
    if (content === null) return null;
    const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    const read = readPkcs12(bytes, password);
    if (read.ok) {
      if (read.caCerts.length > 0) this.advisories.push(pkcs12CaAdvisory(ref.at.file === null ? ref.at.line : 0, read.caCerts.length));
      return read;
    }
    const name = basenameOf(ref.value);
    if (read.reason === 'password') {
      this.error('IKEV2_PKCS12_PASSWORD', ref.at, ref.source, `the PKCS#12 bundle '${name}' cannot be opened with ${password === null ? 'no password' : 'the password given in its secret'}. Put the bundle's password in 'secret' of this section.`,
        `PKCS#12 バンドル '${name}' を${password === null ? 'パスワードなしで' : 'シークレットに指定されたパスワードで'}開けません。バンドルのパスワードをこのセクションの 'secret' に書いてください。`);
    } else {
      this.error('IKEV2_PKCS12_UNREADABLE', ref.at, ref.source, `'${name}' is not a PKCS#12 bundle with a certificate and its private key. Check that it is the right file.`,
        `'${name}' は証明書と秘密鍵を含む PKCS#12 バンドルではありません。正しいファイルか確認してください。`);
    }
    return null;
  }

  privateKey(ref: SettingsValue, path: string): string | null {
    const content = this.file(ref, path);
    if (content === null) return null;
    const text = typeof content === 'string' ? content : decodeText(content);
    const keys = text === null ? [] : pemBlocks(text).filter((b) => b.label.endsWith('PRIVATE KEY'));
    const key = keys[0];
    if (!key) {
      this.error('IKEV2_NOT_A_KEY', ref.at, ref.source, `'${basenameOf(path)}' holds no PEM private key. A DER key must be converted to PEM first (openssl pkey -in key.der -inform DER -out key.pem).`,
        `'${basenameOf(path)}' に PEM 形式の秘密鍵がありません。DER 形式の鍵はまず PEM に変換してください (openssl pkey -in key.der -inform DER -out key.pem)。`);
      return null;
    }
    // A PKCS#8 encrypted key is kept as it is: its passphrase is asked at connect. The legacy
    // OpenSSL form (Proc-Type/DEK-Info headers) is not one plain PEM block, so it is refused.
    if (key.encrypted && key.label !== 'ENCRYPTED PRIVATE KEY') {
      this.error('IKEV2_KEY_ENCRYPTED', ref.at, ref.source, `the private key '${basenameOf(path)}' is encrypted in OpenSSL's old format. Convert it to PKCS#8, keeping a passphrase (openssl pkcs8 -topk8 -v2 aes256 -in key.pem -out key-pkcs8.pem), name that file here and import again; the passphrase is asked at connect.`,
        `秘密鍵 '${basenameOf(path)}' は OpenSSL の古い形式で暗号化されています。パスフレーズを付けたまま PKCS#8 に変換し (openssl pkcs8 -topk8 -v2 aes256 -in key.pem -out key-pkcs8.pem)、そのファイル名をここに書いてもう一度インポートしてください。パスフレーズは接続時に尋ねます。`);
      return null;
    }
    return key.text;
  }
}

function decodeText(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function values(section: SettingsSection): SettingsValue[] {
  return section.entries.filter((e): e is SettingsValue => e.kind === 'value');
}

function sections(section: SettingsSection): SettingsSection[] {
  return section.entries.filter((e): e is SettingsSection => e.kind === 'section');
}

/** Why a connection is a responder's (a server configuration), or null for a client connection. */
function serverReason(conn: SettingsSection): { at: SettingsPlace; text: string } | null {
  const pools = valueOf(conn, 'pools');
  if (pools) return { at: pools.at, text: pools.source };
  for (const s of sections(conn)) {
    if (!/^remote(-|$)/.test(s.name)) continue;
    const auth = valueOf(s, 'auth');
    if (auth && /^(eap|xauth)/i.test(auth.value)) return { at: auth.at, text: auth.source };
  }
  const remote = valueOf(conn, 'remote_addrs');
  if (!remote) {
    const local = valueOf(conn, 'local_addrs');
    return local ? { at: local.at, text: local.source } : { at: conn.at, text: `${conn.source} (no remote_addrs)` };
  }
  const items = splitList(remote.value);
  if (items.length === 0) return { at: remote.at, text: remote.source };
  for (const item of items) {
    const parsed = parseRemoteAddress(item);
    if (parsed.ok && parsed.value.kind !== 'host') return { at: remote.at, text: remote.source };
  }
  return null;
}

function mapLocalAuth(r: Reader, v: SettingsValue, version: 1 | 2): Ikev2LocalAuth | undefined {
  const a = v.value.toLowerCase();
  if (a === 'psk') return 'psk';
  if (/^(pubkey|rsa|ecdsa|ed25519|ed448)([-/:].*)?$/.test(a)) return 'pubkey';
  if (a === 'eap' || a === 'eap-mschapv2' || a === 'eap-tls') {
    if (version === 1) {
      r.error('IKEV2_EAP_NEEDS_IKEV2', v.at, v.source, `'auth = ${v.value}': EAP exists only in IKEv2, and this connection is IKEv1 ('version = 1'). Use 'version = 2', or XAuth for IKEv1.`,
        `'auth = ${v.value}': EAP は IKEv2 にしかありませんが、この接続は IKEv1 ('version = 1') です。'version = 2' にするか、IKEv1 では XAuth を使ってください。`);
      return undefined;
    }
    return a;
  }
  if (a === 'xauth' || a === 'xauth-generic') {
    if (version === 2) {
      r.error('IKEV2_XAUTH_NEEDS_IKEV1', v.at, v.source, `'auth = ${v.value}': XAuth exists only in IKEv1; add 'version = 1' to the connection, or use EAP (for example eap-mschapv2) with IKEv2.`,
        `'auth = ${v.value}': XAuth は IKEv1 にしかありません。接続に 'version = 1' を追加するか、IKEv2 では EAP (例: eap-mschapv2) を使ってください。`);
      return undefined;
    }
    return 'xauth';
  }
  r.error('IKEV2_AUTH_UNSUPPORTED', v.at, v.source, `'auth = ${v.value}' is not supported. Tsunagu signs in with psk, pubkey (certificates), eap-mschapv2, eap-tls, eap or (IKEv1) xauth.`,
    `'auth = ${v.value}' には対応していません。Tsunagu が使える認証は psk、pubkey (証明書)、eap-mschapv2、eap-tls、eap、(IKEv1 の) xauth です。`);
  return undefined;
}

function mapRemoteAuth(r: Reader, v: SettingsValue): Ikev2RemoteAuth | undefined {
  const a = v.value.toLowerCase();
  if (a === 'psk') return 'psk';
  if (a === 'pubkey') return 'pubkey';
  if (/^(rsa|ecdsa|ed25519|ed448|pubkey)([-/:].*)$|^(rsa|ecdsa|ed25519|ed448)$/.test(a)) {
    r.advisories.push({
      code: 'IKEV2_AUTH_CONSTRAINT_DROPPED', severity: 'info', line: v.at.file === null ? v.at.line : 0,
      message: { en: `'auth = ${v.value}' is imported as 'pubkey'.`, ja: `'auth = ${v.value}' は 'pubkey' として取り込みます。` },
      explanation: {
        en: "The server is still checked with its certificate and the trusted CAs; only the restriction to one signature scheme is left to charon's defaults, which accept no broken scheme.",
        ja: 'サーバーは引き続き証明書と信頼する CA で検証されます。署名方式の限定だけが charon の既定に任されます (既定では破られた方式は受け入れません)。',
      },
    });
    return 'pubkey';
  }
  r.error('IKEV2_AUTH_UNSUPPORTED', v.at, v.source, `'auth = ${v.value}' for the server is not supported: a server proves itself with a certificate (pubkey) or the pre-shared key (psk).`,
    `サーバー側の 'auth = ${v.value}' には対応していません。サーバーは証明書 (pubkey) か事前共有鍵 (psk) で自分を証明します。`);
  return undefined;
}

interface Refs {
  clientCerts: SettingsValue[];
}

function readLocal(r: Reader, s: SettingsSection, version: 1 | 2, index: number, refs: Refs): Ikev2LocalRound | undefined {
  let auth: Ikev2LocalAuth | undefined = 'pubkey';
  let id: string | null = null;
  let eapId: string | null = null;
  let xauthId: string | null = null;
  let usesClientCert = false;
  for (const v of values(s)) {
    const key = v.key;
    if (key === 'auth') {
      auth = mapLocalAuth(r, v, version);
      r.note(`local.${index}.auth`, v.at);
      if (auth === 'xauth') r.note('local.xauth', v.at);
    } else if (key === 'id' || key === 'eap_id' || key === 'xauth_id') {
      const parsed = r.parsed(v, parseIdentity(v.value));
      if (parsed === undefined) continue;
      if (key === 'id') id = parsed;
      else if (key === 'eap_id') eapId = parsed;
      else xauthId = parsed;
      r.note(`local.${index}.${key}`, v.at);
    } else if (key === 'certs') {
      const files = splitList(v.value);
      if (files.length > 1) {
        r.error('IKEV2_SEVERAL_CLIENT_CERTS', v.at, v.source, "'certs' names several certificates; Tsunagu presents one client certificate. Keep the one your administrator issued to you.",
          "'certs' に複数の証明書があります。Tsunagu が提示するクライアント証明書は 1 つです。管理者から発行されたものだけを残してください。");
      } else if (files.length === 1) {
        refs.clientCerts.push(v);
        usesClientCert = true;
      }
    } else if (key === 'pubkeys') {
      r.error('IKEV2_RAW_PUBKEY_UNSUPPORTED', v.at, v.source, "'pubkeys' (raw public keys without certificates) is not supported. Use a certificate ('certs').",
        "'pubkeys' (証明書なしの公開鍵) には対応していません。証明書 ('certs') を使ってください。");
    } else if (key === 'groups' || key === 'cacerts' || key === 'revocation') {
      r.error('IKEV2_UNKNOWN_KEY', v.at, v.source, `'${key}' belongs in the 'remote' section, not in '${s.name}'.`, `'${key}' は '${s.name}' ではなく 'remote' セクションに書く設定です。`);
    } else if (LOCAL_IGNORED.has(key)) {
      r.ignored.push(`${s.name}.${key}`);
    } else {
      unknownKey(r, v, s.name);
    }
  }
  for (const sub of sections(s)) {
    if (/^cert(-|$)/.test(sub.name)) {
      const file = valueOf(sub, 'file');
      if (file && !valueOf(sub, 'handle')) {
        refs.clientCerts.push(file);
        usesClientCert = true;
      } else {
        r.error('IKEV2_TOKEN_UNSUPPORTED', sub.at, sub.source, `'${sub.name}' uses a certificate on a smart card or token, which Tsunagu does not support. Use a certificate file ('certs').`,
          `'${sub.name}' はスマートカードやトークン上の証明書を使いますが、Tsunagu は対応していません。証明書ファイル ('certs') を使ってください。`);
      }
    } else {
      r.error('IKEV2_UNKNOWN_SECTION', sub.at, sub.source, `'${sub.name}' does not belong in '${s.name}'.`, `'${sub.name}' は '${s.name}' に書けません。`);
    }
  }
  if (auth === undefined) return undefined;
  return { auth, id, eapId, xauthId, usesClientCert };
}

function unknownKey(r: Reader, v: SettingsValue, where: string): void {
  r.error('IKEV2_UNKNOWN_KEY', v.at, v.source, `'${v.key}' is not a setting Tsunagu knows in '${where}'. Check the spelling against swanctl.conf(5), or remove it.`,
    `'${v.key}' は '${where}' で Tsunagu が知らない設定です。swanctl.conf(5) で綴りを確認するか、削除してください。`);
}

function unsupportedKey(r: Reader, v: SettingsValue): void {
  r.error('IKEV2_UNSUPPORTED_KEY', v.at, v.source, `'${v.key}' is not supported by Tsunagu's IKEv2 connections (it changes how charon binds, marks or relays traffic). Remove it.`,
    `'${v.key}' は Tsunagu の IKEv2 接続では使えません (charon の待ち受けや通信のマーク・中継を変える設定です)。削除してください。`);
}

function readRemote(r: Reader, s: SettingsSection | undefined, caRefs: SettingsValue[], serverRefs: SettingsValue[]): Ikev2RemoteRound {
  const remote: Ikev2RemoteRound = { auth: 'pubkey', id: null, revocation: null };
  if (!s) return remote;
  for (const v of values(s)) {
    if (v.key === 'auth') {
      remote.auth = mapRemoteAuth(r, v) ?? 'pubkey';
      r.note('remote.auth', v.at);
    } else if (v.key === 'id') {
      const id = r.parsed(v, parseIdentity(v.value));
      if (id !== undefined) remote.id = id;
      r.note('remote.id', v.at);
    } else if (v.key === 'cacerts') {
      caRefs.push(v);
    } else if (v.key === 'certs') {
      serverRefs.push(v);
    } else if (v.key === 'revocation') {
      const rev = v.value.toLowerCase();
      if (rev === 'strict' || rev === 'ifuri' || rev === 'relaxed') remote.revocation = rev;
      else r.error('IKEV2_BAD_VALUE', v.at, v.source, `'revocation = ${v.value}': use strict, ifuri or relaxed.`, `'revocation = ${v.value}': strict、ifuri、relaxed のいずれかを指定してください。`);
    } else if (REMOTE_IGNORED.has(v.key)) {
      r.ignored.push(`${s.name}.${v.key}`);
    } else if (v.key === 'pubkeys') {
      r.error('IKEV2_RAW_PUBKEY_UNSUPPORTED', v.at, v.source, "'pubkeys' (raw public keys without certificates) is not supported. Use the server's CA certificate ('cacerts').",
        "'pubkeys' (証明書なしの公開鍵) には対応していません。サーバーの CA 証明書 ('cacerts') を使ってください。");
    } else {
      unknownKey(r, v, s.name);
    }
  }
  for (const sub of sections(s)) r.error('IKEV2_UNKNOWN_SECTION', sub.at, sub.source, `'${sub.name}' does not belong in '${s.name}'.`, `'${sub.name}' は '${s.name}' に書けません。`);
  return remote;
}

function readSelectors(r: Reader, v: SettingsValue, l2tp: { at: SettingsPlace; text: string } | null): { ts: string[]; l2tp: { at: SettingsPlace; text: string } | null } {
  const out: string[] = [];
  let found = l2tp;
  for (const item of splitList(v.value)) {
    const ts = r.parsed(v, parseTrafficSelector(item));
    if (!ts) continue;
    if (isL2tpSelector(ts) && !found) found = { at: v.at, text: v.source };
    out.push(ts.text);
  }
  return { ts: out, l2tp: found };
}

function readChild(r: Reader, s: SettingsSection, index: number, options: Ikev2ReadOptions): Ikev2Child | undefined {
  const child: Ikev2Child = { name: s.name, localTs: [], remoteTs: [], espProposals: null, mode: 'tunnel', updown: null };
  let l2tp: { at: SettingsPlace; text: string } | null = null;
  let transport: SettingsValue | null = null;
  for (const v of values(s)) {
    if (v.key === 'local_ts' || v.key === 'remote_ts') {
      const read = readSelectors(r, v, l2tp);
      l2tp = read.l2tp;
      if (v.key === 'local_ts') child.localTs = read.ts;
      else child.remoteTs = read.ts;
      r.note(`children.${index}.${v.key}`, v.at);
    } else if (v.key === 'esp_proposals') {
      child.espProposals = r.parsed(v, parseProposals(v.value)) ?? null;
      r.note(`children.${index}.esp_proposals`, v.at);
    } else if (v.key === 'mode') {
      const mode = v.value.toLowerCase();
      if (mode === 'transport') transport = v;
      else if (mode !== 'tunnel') {
        r.error('IKEV2_MODE_UNSUPPORTED', v.at, v.source, `'mode = ${v.value}' is not supported: Tsunagu connects in tunnel mode only.`, `'mode = ${v.value}' には対応していません。Tsunagu はトンネルモードでのみ接続します。`);
      }
    } else if (v.key === 'updown') {
      const policy = options.policy ?? DEFAULT_POLICY;
      if (policy.allowScripts) child.updown = v.value;
      else r.errors.push(updownError(v.at.file === null ? v.at.line : 0, v.at.column, v.source, 'updown'));
    } else if (CHILD_IGNORED.has(v.key)) {
      r.ignored.push(`${s.name}.${v.key}`);
    } else if (CHILD_UNSUPPORTED.has(v.key)) {
      unsupportedKey(r, v);
    } else if (!CHILD_KEYS.has(v.key)) {
      unknownKey(r, v, s.name);
    }
  }
  for (const sub of sections(s)) r.error('IKEV2_UNKNOWN_SECTION', sub.at, sub.source, `'${sub.name}' does not belong in the child '${s.name}'.`, `'${sub.name}' は子 SA '${s.name}' に書けません。`);
  if (l2tp || transport) {
    const where = l2tp ?? { at: transport?.at ?? EMPTY_AT, text: transport?.source ?? '' };
    r.errors.push(l2tpError(where.at.file === null ? where.at.line : 0, where.at.column, where.text, l2tp !== null));
    return undefined;
  }
  return child;
}

interface SecretEntry {
  section: SettingsSection;
  ids: string[];
  secret: SettingsValue | undefined;
}

interface KeyEntry {
  section: SettingsSection;
  file: SettingsValue;
}

interface Bundle extends KeyEntry {
  password: string | null;
}

interface SecretEntries {
  ike: SecretEntry[];
  eap: SecretEntry[];
  xauth: SecretEntry[];
  keys: KeyEntry[];
  bundles: Bundle[];
}

function secretEntries(r: Reader, secrets: SettingsSection | undefined): SecretEntries {
  const out: SecretEntries = { ike: [], eap: [], xauth: [], keys: [], bundles: [] };
  if (!secrets) return out;
  for (const v of values(secrets)) unknownKey(r, v, 'secrets');
  for (const s of sections(secrets)) {
    const type = /^([a-z0-9]+)(?:-|$)/.exec(s.name)?.[1] ?? '';
    if (type === 'ike' || type === 'eap' || type === 'xauth' || type === 'ntlm') {
      const entry: SecretEntry = { section: s, ids: [], secret: undefined };
      for (const v of values(s)) {
        if (v.key === 'secret') entry.secret = v;
        else if (/^id(-|$)/.test(v.key)) entry.ids.push(v.value);
        else unknownKey(r, v, s.name);
      }
      (type === 'ike' ? out.ike : type === 'xauth' ? out.xauth : out.eap).push(entry);
    } else if (type === 'private' || type === 'rsa' || type === 'ecdsa' || type === 'pkcs8') {
      const file = valueOf(s, 'file');
      if (file) out.keys.push({ section: s, file });
      for (const v of values(s)) if (v.key !== 'file' && v.key !== 'secret') unknownKey(r, v, s.name);
    } else if (type === 'pkcs12') {
      const file = valueOf(s, 'file');
      const secret = valueOf(s, 'secret');
      if (file) out.bundles.push({ section: s, file, password: secret ? secretText(r, secret) : null });
      else r.error('IKEV2_NO_FILENAME', s.at, s.source, `'${s.name}' names no file.`, `'${s.name}' にファイル名がありません。`);
      for (const v of values(s)) if (v.key !== 'file' && v.key !== 'secret') unknownKey(r, v, s.name);
    } else if (type === 'token') {
      r.error('IKEV2_TOKEN_UNSUPPORTED', s.at, s.source, `'${s.name}' uses a key on a smart card or token, which Tsunagu does not support. Use a certificate and key file, or a PKCS#12 bundle ('pkcs12-… { file = … }'), instead.`, `'${s.name}' はスマートカードやトークン上の鍵を使いますが、Tsunagu は対応していません。代わりに証明書と鍵のファイル、または PKCS#12 バンドル ('pkcs12-… { file = … }') を使ってください。`);
    } else if (type === 'ppk') {
      r.ignored.push(`secrets.${s.name}`);
    } else {
      r.error('IKEV2_UNKNOWN_SECTION', s.at, s.source, `'${s.name}' is not a kind of secret swanctl knows (ike, eap, xauth, private, …).`, `'${s.name}' は swanctl が知らない種類のシークレットです (ike、eap、xauth、private など)。`);
    }
  }
  return out;
}

/** swanctl's secret encodings: `0x` hex and `0s` base64; the model holds text. */
function secretText(r: Reader, v: SettingsValue): string | null {
  let bytes: Uint8Array | null = null;
  if (/^0x[0-9a-f]*$/i.test(v.value)) {
    const hex = v.value.slice(2);
    if (hex.length % 2 === 0) bytes = Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
  } else if (/^0s/.test(v.value)) {
    try {
      bytes = Uint8Array.from(atob(v.value.slice(2)), (c) => c.charCodeAt(0));
    } catch {
      bytes = null;
    }
  } else if (v.value !== '') return v.value;
  const text = bytes ? decodeText(bytes) : null;
  if (text === null || text === '' || hasControlCharacter(text)) {
    r.error('IKEV2_SECRET_UNREADABLE', v.at, '(secret)', "this secret is empty or binary. Tsunagu keeps secrets as text; write it as plain text in quotes.",
      'このシークレットは空かバイナリです。Tsunagu はシークレットをテキストで保持します。引用符で囲んだテキストで書いてください。');
    return null;
  }
  return text;
}

/** The secret of `entries` this connection takes (recorded in `taken`), as text. */
function pickSecret(r: Reader, entries: SecretEntry[], owners: Array<string | null>, field: string, taken: Set<SettingsSection>): string | null {
  const mine = owners.filter((o): o is string => o !== null);
  const matched = entries.find((e) => e.ids.some((id) => mine.includes(id))) ?? entries.find((e) => e.ids.length === 0);
  if (!matched) return null;
  taken.add(matched.section);
  if (!matched.secret) return null;
  r.note(field, matched.secret.at);
  return secretText(r, matched.secret);
}

function readConnection(r: Reader, conn: SettingsSection, root: SettingsSection, options: Ikev2ReadOptions): Ikev2Profile | undefined {
  const p: Ikev2Profile = {
    kind: 'ikev2', connection: conn.name, version: 2, remoteAddrs: [], remotePort: null, localAddrs: [], local: [],
    remote: { auth: 'pubkey', id: null, revocation: null }, aggressive: false, vips: [], proposals: null, encap: false, mobike: true,
    dpdDelay: null, children: [], files: { caCerts: [], serverCerts: [], clientCert: null, privateKey: null },
    secrets: { psk: null, eapPassword: null, xauthPassword: null }, dnsServers: [],
  };
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(conn.name)) {
    r.error('IKEV2_BAD_NAME', conn.at, conn.source, `the connection name '${conn.name}' may hold only letters, digits, '-' and '_' (up to 64).`,
      `接続名 '${conn.name}' に使えるのは英数字、'-'、'_' だけです (64 文字まで)。`);
  }
  const version = valueOf(conn, 'version');
  if (version) {
    r.note('version', version.at);
    if (version.value === '1') p.version = 1;
    else if (version.value !== '2' && version.value !== '0') {
      r.error('IKEV2_BAD_VALUE', version.at, version.source, `'version = ${version.value}': use 1 (IKEv1), 2 (IKEv2) or 0 (either).`, `'version = ${version.value}': 1 (IKEv1)、2 (IKEv2)、0 (どちらでも) のいずれかを指定してください。`);
    }
  }
  for (const v of values(conn)) {
    const key = v.key;
    if (key === 'version') continue;
    if (key === 'remote_addrs') {
      for (const item of splitList(v.value)) {
        const a = r.parsed(v, parseRemoteAddress(item));
        if (a?.kind === 'host') p.remoteAddrs.push(a.value);
      }
      r.note('remote_addrs', v.at);
    } else if (key === 'local_addrs') {
      for (const item of splitList(v.value)) {
        const a = r.parsed(v, parseRemoteAddress(item));
        if (a?.kind === 'host') p.localAddrs.push(a.value);
        else if (a) r.error('IKEV2_BAD_VALUE', v.at, v.source, `'local_addrs': '${item}' is not one local address.`, `'local_addrs': '${item}' は 1 つのローカルアドレスではありません。`);
      }
    } else if (key === 'remote_port') {
      p.remotePort = r.parsed(v, parsePort(v.value)) ?? null;
    } else if (key === 'proposals') {
      p.proposals = r.parsed(v, parseProposals(v.value)) ?? null;
      r.note('proposals', v.at);
    } else if (key === 'vips') {
      p.vips = splitList(v.value).map((x) => r.parsed(v, parseVip(x))).filter((x): x is string => x !== undefined);
    } else if (key === 'aggressive' || key === 'encap' || key === 'mobike') {
      const b = r.parsed(v, parseBool(v.value));
      if (b !== undefined) p[key] = b;
      r.note(key, v.at);
    } else if (key === 'dpd_delay') {
      const d = r.parsed(v, parseDuration(v.value));
      p.dpdDelay = d === undefined || d === 0 ? null : d;
    } else if (CONN_IGNORED.has(key)) {
      r.ignored.push(`${conn.name}.${key}`);
    } else if (CONN_UNSUPPORTED.has(key)) {
      unsupportedKey(r, v);
    } else if (!CONN_KEYS.has(key)) {
      unknownKey(r, v, conn.name);
    }
  }
  if (p.version === 2 && p.aggressive) {
    p.aggressive = false;
    r.advisories.push({
      code: 'IKEV2_AGGRESSIVE_IGNORED', severity: 'info', line: r.lines.get('aggressive') ?? 0,
      message: { en: "'aggressive' applies to IKEv1 only and is ignored for this IKEv2 connection.", ja: "'aggressive' は IKEv1 専用のため、この IKEv2 接続では無視します。" },
      explanation: { en: 'IKEv2 has a single exchange; aggressive mode does not exist there.', ja: 'IKEv2 の交換は 1 種類だけで、アグレッシブモードはありません。' },
    });
  }

  const refs: Refs = { clientCerts: [] };
  const caRefs: SettingsValue[] = [];
  const serverRefs: SettingsValue[] = [];
  const locals = sections(conn).filter((s) => /^local(-|$)/.test(s.name));
  const roundOf = (s: SettingsSection): number => Number(valueOf(s, 'round')?.value ?? 0) || 0;
  locals.sort((a, b) => roundOf(a) - roundOf(b));
  locals.forEach((s, i) => {
    const round = readLocal(r, s, p.version, i, refs);
    if (round) p.local.push(round);
  });
  if (locals.length === 0) {
    r.error('IKEV2_NO_LOCAL_AUTH', conn.at, conn.source, `the connection '${conn.name}' has no 'local' section saying how you sign in (for example local { auth = psk }).`,
      `接続 '${conn.name}' に、サインイン方法を示す 'local' セクションがありません (例: local { auth = psk })。`);
  } else if (locals.length > 2) {
    const third = locals[2];
    if (third) r.error('IKEV2_TOO_MANY_ROUNDS', third.at, third.source, 'more than two sign-in rounds are not supported.', '3 回以上のサインインには対応していません。');
  }
  const xauthRound = p.local.findIndex((l) => l.auth === 'xauth');
  if (xauthRound === 0) {
    const s = locals[0];
    if (s) r.error('IKEV2_XAUTH_FIRST_ROUND', s.at, s.source, "XAuth is the second sign-in round of IKEv1: add a first round ('local-1 { auth = psk }' or pubkey) and put 'auth = xauth' in 'local-2'.",
      "XAuth は IKEv1 の 2 回目のサインインです。1 回目 ('local-1 { auth = psk }' または pubkey) を追加し、'auth = xauth' は 'local-2' に書いてください。");
  }
  const remotes = sections(conn).filter((s) => /^remote(-|$)/.test(s.name));
  if (remotes.length > 1) {
    const second = remotes[1];
    if (second) r.error('IKEV2_TOO_MANY_ROUNDS', second.at, second.source, 'a second round of server authentication is not supported.', 'サーバー認証の 2 回目には対応していません。');
  }
  p.remote = readRemote(r, remotes[0], caRefs, serverRefs);

  const children = subsection(conn, 'children');
  if (!children || sections(children).length === 0) {
    r.error('IKEV2_NO_CHILD', children?.at ?? conn.at, children?.source ?? conn.source, `the connection '${conn.name}' has no 'children' section, so no traffic would go through it. Add one (for example children { net { remote_ts = 0.0.0.0/0 } }).`,
      `接続 '${conn.name}' に 'children' セクションがないため、通信がトンネルを通りません。追加してください (例: children { net { remote_ts = 0.0.0.0/0 } })。`);
  } else {
    for (const v of values(children)) unknownKey(r, v, 'children');
    sections(children).forEach((s, i) => {
      const child = readChild(r, s, i, options);
      if (child) p.children.push(child);
    });
  }
  for (const s of sections(conn)) {
    if (!/^(local|remote)(-|$)/.test(s.name) && s.name !== 'children') {
      r.error('IKEV2_UNKNOWN_SECTION', s.at, s.source, `'${s.name}' does not belong in the connection '${conn.name}'.`, `'${s.name}' は接続 '${conn.name}' に書けません。`);
    }
  }

  // Files: trust anchors, pinned server certificates, the client certificate and its key.
  for (const ref of caRefs) for (const f of splitList(ref.value)) p.files.caCerts.push(...r.certificates(ref, f));
  const authorities = subsection(root, 'authorities');
  if (authorities) {
    for (const a of sections(authorities)) {
      for (const v of values(a)) {
        if (v.key === 'cacert' || v.key === 'file') p.files.caCerts.push(...r.certificates(v, v.value));
        else if (v.key === 'crl_uris' || v.key === 'ocsp_uris' || v.key === 'cert_uri_base') r.ignored.push(`authorities.${a.name}.${v.key}`);
        else unknownKey(r, v, a.name);
      }
    }
  }
  for (const ref of serverRefs) for (const f of splitList(ref.value)) p.files.serverCerts.push(...r.certificates(ref, f));
  const distinctClient = [...new Set(refs.clientCerts.map((c) => splitList(c.value)[0] ?? ''))];
  const firstClient = refs.clientCerts[0];
  if (distinctClient.length > 1 && refs.clientCerts[1]) {
    const second = refs.clientCerts[1];
    r.error('IKEV2_SEVERAL_CLIENT_CERTS', second.at, second.source, 'the sign-in rounds use different client certificates; Tsunagu presents one.', 'サインインの各回で異なるクライアント証明書が使われています。Tsunagu が提示するのは 1 つです。');
  } else if (firstClient) {
    const certs = r.certificates(firstClient, splitList(firstClient.value)[0] ?? '');
    p.files.clientCert = certs[0] ?? null;
    if (certs.length > 1) p.files.caCerts.push(...certs.slice(1));
  }

  const secretSection = subsection(root, 'secrets');
  const entries = secretEntries(r, secretSection);
  const bundle = entries.bundles[0];
  const certRounds = p.local.filter((l) => l.auth === 'pubkey' || l.auth === 'eap-tls');
  /** The secrets entries this connection takes; the others are said in advisories. */
  const taken = new Set<SettingsSection>();
  if (bundle && certRounds.length > 0 && p.files.clientCert === null) {
    taken.add(bundle.section);
    const read = r.pkcs12(bundle.file, bundle.password);
    if (read) {
      p.files.clientCert = read.clientCert;
      p.files.privateKey = read.privateKey;
      p.files.caCerts.push(...read.caCerts);
      for (const l of certRounds) l.usesClientCert = true;
    }
  }
  for (const [i, l] of p.local.entries()) {
    const s = locals[i];
    if ((l.auth === 'pubkey' || l.auth === 'eap-tls') && !l.usesClientCert && s && !(bundle && p.files.clientCert === null)) {
      r.error('IKEV2_CLIENT_CERT_MISSING', s.at, s.source, `'${s.name}' signs in with a certificate ('auth = ${l.auth}') but names none. Add 'certs = <your certificate file>' and import it together with that file.`,
        `'${s.name}' は証明書でサインインします ('auth = ${l.auth}') が、証明書が指定されていません。'certs = <証明書ファイル>' を追加し、そのファイルと一緒にインポートしてください。`);
    }
  }
  if (p.files.clientCert !== null && p.files.privateKey === null) {
    const keyRef = entries.keys[0];
    if (keyRef) {
      taken.add(keyRef.section);
      p.files.privateKey = r.privateKey(keyRef.file, keyRef.file.value);
    }
    else if (firstClient) p.files.privateKey = guessKey(r, firstClient);
  }
  const localIds = p.local.map((l) => l.id);
  p.secrets.psk = pickSecret(r, entries.ike, [...localIds, p.remote.id, ...p.remoteAddrs], 'secrets.psk', taken);
  p.secrets.eapPassword = pickSecret(r, entries.eap, p.local.flatMap((l) => [l.eapId ?? l.id]), 'secrets.eap', taken);
  p.secrets.xauthPassword = pickSecret(r, entries.xauth, p.local.flatMap((l) => [l.xauthId ?? l.id]), 'secrets.xauth', taken);
  r.advisories.push(...unusedSecretAdvisories(unusedSecrets(entries, taken)));

  const needsPsk = p.local.some((l) => l.auth === 'psk') || p.remote.auth === 'psk';
  if (needsPsk && p.secrets.psk === null) {
    r.error('IKEV2_PSK_MISSING', secretSection?.at ?? conn.at, secretSection?.source ?? conn.source,
      "this connection signs in with a pre-shared key, but no 'ike' secret for it is given. Add secrets { ike-1 { secret = \"…\" } } (with 'id' lines naming this connection's identities, or none).",
      "この接続は事前共有鍵でサインインしますが、対応する 'ike' シークレットがありません。secrets { ike-1 { secret = \"…\" } } を追加してください ('id' 行はこの接続の ID にするか、省略します)。");
  }
  if (p.remote.auth === 'pubkey' && p.files.caCerts.length === 0 && p.files.serverCerts.length === 0) {
    const s = remotes[0] ?? conn;
    r.error('IKEV2_CA_MISSING', s.at, s.source,
      "the server proves itself with a certificate, but no CA certificate is given to check it. Add 'cacerts = <CA file>' to the 'remote' section and import it together with that file.",
      "サーバーは証明書で自分を証明しますが、それを検証する CA 証明書が指定されていません。'remote' セクションに 'cacerts = <CA ファイル>' を追加し、そのファイルと一緒にインポートしてください。");
  }
  if (p.remoteAddrs.length === 0 && r.errors.length === 0) {
    r.errors.push(ikev2ServerConfigError(conn.at.line, conn.source));
  }
  return r.errors.length > 0 ? undefined : p;
}

/** The entries of `secrets` outside `taken`, for unusedSecretAdvisories. */
function unusedSecrets(entries: SecretEntries, taken: Set<SettingsSection>): UnusedSecret[] {
  const lineOf = (s: SettingsSection): number => (s.at.file === null ? s.at.line : 0);
  const out: UnusedSecret[] = [];
  for (const list of [entries.ike, entries.eap, entries.xauth]) {
    const chosen = list.find((e) => taken.has(e.section))?.section.name ?? null;
    for (const e of list) if (!taken.has(e.section)) out.push({ kind: 'shared', section: e.section.name, line: lineOf(e.section), ids: e.ids, taken: chosen });
  }
  const keys = [...entries.keys, ...entries.bundles];
  const key = keys.find((k) => taken.has(k.section))?.file.value ?? null;
  for (const k of keys) if (!taken.has(k.section)) out.push({ kind: 'key', section: k.section.name, line: lineOf(k.section), file: k.file.value, taken: key });
  return out;
}

/** swanctl loads every key of its private/ directory; beside a profile, the key is named after its certificate. */
function guessKey(r: Reader, certRef: SettingsValue): string | null {
  const cert = basenameOf(splitList(certRef.value)[0] ?? '');
  const stem = cert.replace(/\.(pem|crt|cer|der)$/i, '');
  for (const name of [`${stem}.key`, `${stem}.key.pem`, `${stem}-key.pem`, `${stem}_key.pem`]) {
    const bytes = r.options.files?.read(name) ?? null;
    if (bytes === null) continue;
    const synthetic: SettingsValue = { ...certRef, key: 'file', value: name };
    r.advisories.push({
      code: 'IKEV2_KEY_BY_NAME', severity: 'info', line: certRef.at.file === null ? certRef.at.line : 0,
      message: { en: `The private key for '${cert}' is taken from '${name}' beside the profile.`, ja: `'${cert}' の秘密鍵は、プロファイルと同じ場所の '${name}' から取り込みます。` },
      explanation: { en: "The profile names no key ('secrets { private-… { file = … } }'); swanctl would load every key in its private/ directory. Tsunagu uses the file named after the certificate.", ja: "プロファイルに鍵の指定 ('secrets { private-… { file = … } }') がありません。swanctl なら private/ ディレクトリの鍵をすべて読み込みます。Tsunagu は証明書と同じ名前のファイルを使います。" },
    });
    return r.privateKey(synthetic, name);
  }
  r.error('IKEV2_PRIVATE_KEY_MISSING', certRef.at, certRef.source,
    `the certificate '${cert}' needs its private key, but the profile names none. Add secrets { private-1 { file = <key file> } } and import it together with that file (or put '${stem}.key' beside the profile).`,
    `証明書 '${cert}' には秘密鍵が必要ですが、プロファイルで指定されていません。secrets { private-1 { file = <鍵ファイル> } } を追加してそのファイルと一緒にインポートするか、'${stem}.key' をプロファイルと同じ場所に置いてください。`);
  return null;
}

function readTsunagu(r: Reader, s: SettingsSection, p: { dns: string[] }): void {
  for (const v of values(s)) {
    if (v.key === 'dns_servers') {
      p.dns = splitList(v.value).map((x) => r.parsed(v, parseVip(x))).filter((x): x is string => x !== undefined);
      r.note('dns_servers', v.at);
    } else unknownKey(r, v, TSUNAGU_SECTION);
  }
  for (const sub of sections(s)) {
    if (sub.name === 'files') r.embed(sub);
    else r.error('IKEV2_UNKNOWN_SECTION', sub.at, sub.source, `'${sub.name}' does not belong in '${TSUNAGU_SECTION}'.`, `'${sub.name}' は '${TSUNAGU_SECTION}' に書けません。`);
  }
}

const DAEMON_SECTIONS = new Set(['charon', 'charon-systemd', 'charon-nm', 'libstrongswan', 'starter', 'swanctl', 'pki', 'libtls', 'libimcv', 'manager', 'scepclient', 'attest', 'pool', 'charon-svc', 'charon-cmd']);

/** Reads swanctl.conf text (or the canonical text) into the model. Never throws. */
export function readSwanctl(text: string, options: Ikev2ReadOptions = {}): Ikev2ReadResult {
  const settings = readSettings(text, options.files);
  if (!settings.ok) return settings;
  const root = settings.root;
  const r = new Reader(options);
  r.errors.push(...settings.includeErrors);
  const extra = { dns: [] as string[] };
  const connections = subsection(root, 'connections');
  for (const v of values(root)) unknownKey(r, v, 'swanctl.conf');
  for (const s of sections(root)) {
    if (s.name === TSUNAGU_SECTION) readTsunagu(r, s, extra);
    else if (s.name === 'pools') continue;
    else if (DAEMON_SECTIONS.has(s.name) && !connections) {
      r.errors.length = 0;
      r.error('IKEV2_DAEMON_SETTINGS', s.at, s.source,
        "this is strongSwan's daemon configuration (strongswan.conf: plugins, logging, includes), not a VPN connection. Import the swanctl.conf (or .sswan) file that describes your connection instead.",
        'これは strongSwan デーモンの設定 (strongswan.conf: プラグイン、ログ、include) で、VPN の接続ではありません。接続を記述した swanctl.conf (または .sswan) ファイルをインポートしてください。');
      return { ok: false, errors: r.errors };
    } else if (s.name !== 'connections' && s.name !== 'secrets' && s.name !== 'authorities') {
      r.error('IKEV2_UNKNOWN_SECTION', s.at, s.source, `'${s.name}' is not a section of swanctl.conf (connections, secrets, authorities).`, `'${s.name}' は swanctl.conf のセクション (connections、secrets、authorities) ではありません。`);
    }
  }
  const conns = connections ? sections(connections) : [];
  if (conns.length === 0) {
    r.error('IKEV2_NO_CONNECTION', connections?.at ?? EMPTY_AT, connections?.source ?? '', "there is no connection in 'connections { }'.", "'connections { }' に接続がありません。");
    return { ok: false, errors: r.errors };
  }
  if (r.errors.length > 0) return { ok: false, errors: r.errors };
  const client = conns.find((c) => serverReason(c) === null);
  if (!client) {
    const first = conns[0];
    const reason = first ? serverReason(first) : null;
    return { ok: false, errors: [ikev2ServerConfigError(reason && reason.at.file === null ? reason.at.line : 0, reason?.text ?? '')] };
  }
  const pools = subsection(root, 'pools');
  if (pools) return { ok: false, errors: [ikev2ServerConfigError(pools.at.file === null ? pools.at.line : 0, pools.source)] };
  const profile = readConnection(r, client, root, options);
  if (!profile) return { ok: false, errors: r.errors };
  profile.dnsServers = extra.dns;
  const others = conns.filter((c) => c !== client).map((c) => c.name);
  if (others.length > 0) {
    r.advisories.push({
      code: 'IKEV2_OTHER_CONNECTIONS', severity: 'info', line: client.at.file === null ? client.at.line : 0,
      message: { en: `Only the connection '${client.name}' is imported; also in the file: ${others.join(', ')}.`, ja: `接続 '${client.name}' だけを取り込みます。ファイル内のほかの接続: ${others.join(', ')}。` },
      explanation: { en: 'A Tsunagu profile is one connection. Import the file again after moving another connection first if you need it too.', ja: 'Tsunagu のプロファイルは 1 つの接続です。ほかの接続も必要な場合は、その接続を先頭に移してもう一度インポートしてください。' },
    });
  }
  if (r.ignored.length > 0) {
    r.advisories.push({
      code: 'IKEV2_IGNORED_SETTINGS', severity: 'info', line: 0,
      message: { en: `Left to charon's defaults: ${r.ignored.join(', ')}.`, ja: `charon の既定値に任せる設定: ${r.ignored.join(', ')}。` },
      explanation: { en: 'These settings tune timers, retries and negotiation details; Tsunagu runs the connection with strongSwan’s defaults for them, which change no security property.', ja: 'これらはタイマー、再試行、交渉の細部を調整する設定です。Tsunagu は strongSwan の既定値で接続します。セキュリティ上の性質は変わりません。' },
    });
  }
  const lineOf = (field: string): number => r.lines.get(field) ?? 0;
  const advisories = [...r.advisories, ...ikev2Advisories(profile, lineOf)].sort((a, b) => a.line - b.line);
  return { ok: true, profile, advisories, inlinedFiles: [...settings.includedFiles, ...r.inlined] };
}
