/**
 * Files people pick by mistake (the CA certificate beside the profile, a key, a README): one error
 * that says what the file looks like, instead of one "unknown option" per line.
 */
import { profileError, type LocalizedText, type ProfileError } from './diagnostics.js';
import { profileEndingsText } from './kinds.js';
import { specOf } from './openvpn/directives.js';

/** The endings of profile files, for the messages (kinds.ts). */
const ENDINGS = profileEndingsText();

const PEM_KINDS: Array<[RegExp, LocalizedText]> = [
  [/CERTIFICATE REQUEST/, { en: 'a certificate request', ja: '証明書署名要求' }],
  [/X509 CRL/, { en: 'a certificate revocation list', ja: '証明書失効リスト' }],
  [/CERTIFICATE/, { en: 'a certificate', ja: '証明書' }],
  [/PRIVATE KEY/, { en: 'a private key', ja: '秘密鍵' }],
  [/OpenVPN (Static key|tls-crypt-v2)/, { en: 'an OpenVPN key file (tls-auth / tls-crypt / static key)', ja: 'OpenVPN の鍵ファイル (tls-auth / tls-crypt / 静的鍵)' }],
  [/DH PARAMETERS/, { en: 'Diffie-Hellman parameters', ja: 'Diffie-Hellman パラメーター' }],
  [/PUBLIC KEY/, { en: 'a public key', ja: '公開鍵' }],
];

const SHELL_SETTING = /^[A-Za-z_][A-Za-z0-9_]*=/;

interface Lookalike {
  what: LocalizedText;
  /** Certificates and keys: the companions a profile names (`ca ca.crt`), never a profile themselves. */
  keyMaterial: boolean;
}

/** What the text looks like when it has no OpenVPN directive and no WireGuard section, else null. */
function lookalike(text: string): Lookalike | null {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let inPem = false;
  let firstPem: string | null = null;
  const other: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    const begin = /^-----BEGIN ([A-Za-z0-9 ]+)-----$/.exec(line);
    if (begin) {
      inPem = true;
      firstPem ??= begin[1] ?? '';
      continue;
    }
    if (/^-----END [A-Za-z0-9 ]+-----$/.test(line)) {
      inPem = false;
      continue;
    }
    if (inPem || line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const word = line.split(/[ \t]/)[0] ?? '';
    // A known directive, an inline tag or a section header: it is a profile, maybe a broken one.
    if (specOf(word.replace(/^--/, '')) !== undefined || /^<\/?[a-z0-9-]+>$/i.test(word) || /^\[[A-Za-z]+\]$/.test(line)) return null;
    other.push(line);
  }
  // Text around the PEM (Bag Attributes, an openssl dump) changes nothing: no line is a directive.
  if (firstPem !== null) {
    const what = PEM_KINDS.find(([re]) => re.test(firstPem ?? ''))?.[1] ?? { en: 'a PEM file (keys or certificates)', ja: 'PEM ファイル (鍵または証明書)' };
    return { what, keyMaterial: true };
  }
  if (other.length === 0) return { what: { en: 'an empty file (only comments or blank lines)', ja: '空のファイル (コメントまたは空行のみ)' }, keyMaterial: false };
  if (other.every((l) => SHELL_SETTING.test(l))) return { what: { en: 'a file of NAME=value settings (a script or installer configuration)', ja: 'NAME=value 形式の設定ファイル (スクリプトやインストーラーの設定)' }, keyMaterial: false };
  return { what: { en: 'a text document', ja: 'テキスト文書' }, keyMaterial: false };
}

const BINARY_KEY_FILE = /\.(p12|pfx)$/i;
const BINARY_CERT_FILE = /\.(der|cer|crt|key)$/i;

/**
 * What a file is when it holds certificates or keys (a PEM file, or by its name a binary PKCS#12
 * bundle or DER certificate), or null. Such a file is a companion of the profile that names it.
 */
export function keyMaterialKind(text: string | null, fileName: string): LocalizedText | null {
  if (text === null) {
    if (BINARY_KEY_FILE.test(fileName)) return { en: 'a PKCS#12 bundle (certificate and key)', ja: 'PKCS#12 バンドル (証明書と鍵)' };
    if (BINARY_CERT_FILE.test(fileName)) return { en: 'a binary certificate or key file', ja: 'バイナリ形式の証明書または鍵のファイル' };
    return null;
  }
  const found = lookalike(text);
  return found?.keyMaterial ? found.what : null;
}

/** The one error for a certificate or key chosen without the profile that uses it. */
export function companionAloneError(what: LocalizedText): ProfileError {
  return profileError('IMPORT_COMPANION_ALONE', { line: 0 }, '', {
    en: `This is ${what.en}, not a VPN profile. Choose it together with the profile (.ovpn, .conf …) that uses it: files chosen together are imported as one.`,
    ja: `これは${what.ja}で、VPN プロファイルではありません。これを使うプロファイル (.ovpn、.conf など) と一緒に選択してください。一緒に選択したファイルはまとめて 1 つとしてインポートされます。`,
  });
}

/** The one error for a file that is not a VPN profile, or null when it may be one. */
export function notAProfileError(text: string): ProfileError | null {
  const found = lookalike(text);
  if (!found) return null;
  const { what } = found;
  return profileError('PROFILE_NOT_A_PROFILE', { line: 0 }, '', {
    en: `This is not a VPN profile: it looks like ${what.en}. Choose the profile file your provider gave you (${ENDINGS.en}), and the certificate and key files it uses together with it.`,
    ja: `これは VPN プロファイルではありません。${what.ja}のようです。提供元から受け取ったプロファイルのファイル (${ENDINGS.ja}) を選択してください (プロファイルが使う証明書や鍵のファイルは一緒に選択してください)。`,
  });
}
