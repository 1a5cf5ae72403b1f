/**
 * Certificates and keys that an IKEv2 connection names by path (NetworkManager's `certificate=`,
 * ipsec.conf's `leftcert=`, ipsec.secrets' `: RSA key.pem`), read from the files beside it by
 * basename, as the OpenVPN inliner does, and returned as the PEM text the IKEv2 model holds.
 */
import type { LocalizedText } from '../diagnostics.js';
import { KEY_LABELS, derToPem, looksLikeDer, pemBlocks } from '../ikev2/pem.js';
import { basenameOf, MAX_INLINED_FILE_BYTES, type ProfileFileSource } from '../openvpn/inliner.js';

/** `missing`: the file is not there (the user can add it); otherwise it is there but unusable. */
export type CompanionRead = { ok: true; pem: string[]; name: string } | { ok: false; missing: boolean; reason: LocalizedText };

const t = (en: string, ja: string): LocalizedText => ({ en, ja });

const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);

/**
 * The certificates (`want: 'certificates'`, one or more) or the one unencrypted private key
 * (`want: 'key'`) in the file `path` names. DER certificates become PEM; keys must be PEM, since
 * a DER key's form cannot be told without decoding it.
 */
export function readCompanionPem(path: string, files: ProfileFileSource | undefined, want: 'certificates' | 'key'): CompanionRead {
  const name = basenameOf(path.trim());
  if (name === '' || name === '.' || name === '..') return { ok: false, missing: false, reason: t(`'${path}' does not name a file`, `'${path}' はファイル名になっていません`) };
  if (!files) {
    return { ok: false, missing: true, reason: t(`it needs the file '${name}'; import the profile together with it (in the same folder or .zip)`, `ファイル '${name}' が必要です。プロファイルと一緒に (同じフォルダーまたは .zip で) インポートしてください`) };
  }
  const bytes = files.read(name);
  if (bytes === null) {
    return { ok: false, missing: true, reason: t(`it needs the file '${name}', which is not in ${files.description.en}; put it next to the profile and import again`, `ファイル '${name}' が必要ですが、${files.description.ja} にありません。プロファイルと同じ場所に置いて、もう一度インポートしてください`) };
  }
  if (bytes.length > MAX_INLINED_FILE_BYTES) {
    return { ok: false, missing: false, reason: t(`'${name}' is ${Math.ceil(bytes.length / 1024)} KiB, larger than any certificate or key; check that it is the right file`, `'${name}' は ${Math.ceil(bytes.length / 1024)} KiB あり、証明書や鍵としては大きすぎます。正しいファイルか確認してください`) };
  }
  if (/\.(p12|pfx)$/i.test(name)) {
    return { ok: false, missing: false, reason: t(`'${name}' is a PKCS#12 bundle; extract the certificate and key as PEM files (openssl pkcs12 -in ${name} -nodes) and import them instead`, `'${name}' は PKCS#12 バンドルです。証明書と鍵を PEM ファイルとして取り出し (openssl pkcs12 -in ${name} -nodes)、そちらをインポートしてください`) };
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const blocks = pemBlocks(text);
  if (want === 'certificates') {
    const certs = blocks.filter((b) => CERTIFICATE_LABELS.has(b.label)).map((b) => b.text.replace(/(X509 |TRUSTED )CERTIFICATE-----/g, 'CERTIFICATE-----'));
    if (certs.length > 0) return { ok: true, pem: certs, name };
    if (blocks.length === 0 && looksLikeDer(bytes)) return { ok: true, pem: [derToPem(bytes, 'CERTIFICATE')], name };
    return { ok: false, missing: false, reason: t(`'${name}' holds no certificate (no -----BEGIN CERTIFICATE----- block)`, `'${name}' に証明書 (-----BEGIN CERTIFICATE----- のブロック) がありません`) };
  }
  const keys = blocks.filter((b) => KEY_LABELS.has(b.label));
  const key = keys[0];
  if (!key) return { ok: false, missing: false, reason: t(`'${name}' holds no PEM private key (-----BEGIN PRIVATE KEY-----)`, `'${name}' に PEM 形式の秘密鍵 (-----BEGIN PRIVATE KEY-----) がありません`) };
  if (keys.length > 1) return { ok: false, missing: false, reason: t(`'${name}' holds ${keys.length} private keys; keep only the one for this connection`, `'${name}' に秘密鍵が ${keys.length} 個あります。この接続用の 1 つだけにしてください`) };
  if (key.encrypted) {
    return { ok: false, missing: false, reason: t(`the private key in '${name}' is encrypted with a passphrase; save it unencrypted (openssl pkey -in ${name} -out plain.key) and import that file`, `'${name}' の秘密鍵はパスフレーズで暗号化されています。暗号化を外して保存し (openssl pkey -in ${name} -out plain.key)、そのファイルをインポートしてください`) };
  }
  return { ok: true, pem: [key.text], name };
}
