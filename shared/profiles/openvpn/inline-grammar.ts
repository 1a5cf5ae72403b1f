/**
 * What an inline `<tag>` body must contain, per tag: a certificate PEM, a private key, an OpenVPN
 * static key, base64 PKCS#12 ... openvpn hands these to OpenSSL or its own key reader only after
 * the connection has started; checking them at import turns "cannot load" (or a body that is
 * really something else) into a clear error with the block's line, and refuses empty blocks.
 */
import { profileError, type LocalizedText, type ProfileError } from '../diagnostics.js';

export type InlineGrammar =
  | 'ca-certificates'
  | 'certificates'
  | 'private-key'
  | 'crl'
  | 'static-key'
  | 'tls-crypt-v2-client-key'
  | 'pkcs12'
  | 'user-pass'
  | 'fingerprints'
  | 'dh-parameters';

const CERTIFICATE = ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'];
const PRIVATE_KEY = ['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY'];
const CRL = 'X509 CRL';
const TLS_CRYPT_V2 = 'OpenVPN tls-crypt-v2 client key';
const STATIC_HEAD = '-----BEGIN OpenVPN Static key V1-----';
const STATIC_FOOT = '-----END OpenVPN Static key V1-----';
/** crypto.c read_key_file(): two 128-byte keys (cipher + HMAC halves, one per direction). */
const STATIC_KEY_BYTES = 256;
/** parse_hash_fingerprint(): SHA-256 as 32 colon-separated hex pairs (the inline default). */
const FINGERPRINT = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/;

const t = (en: string, ja: string): LocalizedText => ({ en, ja });

/** What each grammar expects, in the user's words. */
const EXPECTED: Record<InlineGrammar, LocalizedText> = {
  'ca-certificates': t('one or more PEM certificates (-----BEGIN CERTIFICATE-----)', '1 つ以上の PEM 形式の証明書 (-----BEGIN CERTIFICATE-----)'),
  certificates: t('one or more PEM certificates (-----BEGIN CERTIFICATE-----)', '1 つ以上の PEM 形式の証明書 (-----BEGIN CERTIFICATE-----)'),
  'private-key': t('one PEM private key (-----BEGIN PRIVATE KEY-----, possibly ENCRYPTED)', 'PEM 形式の秘密鍵 1 つ (-----BEGIN PRIVATE KEY-----、暗号化されたものも可)'),
  crl: t('one or more PEM certificate revocation lists (-----BEGIN X509 CRL-----)', '1 つ以上の PEM 形式の失効リスト (-----BEGIN X509 CRL-----)'),
  'static-key': t(`an OpenVPN static key (${STATIC_HEAD}, ${STATIC_KEY_BYTES * 2} hex digits, ${STATIC_FOOT})`, `OpenVPN の静的鍵 (${STATIC_HEAD}、16 進数 ${STATIC_KEY_BYTES * 2} 桁、${STATIC_FOOT})`),
  'tls-crypt-v2-client-key': t(`one tls-crypt-v2 client key (-----BEGIN ${TLS_CRYPT_V2}-----)`, `tls-crypt-v2 のクライアント鍵 1 つ (-----BEGIN ${TLS_CRYPT_V2}-----)`),
  pkcs12: t('a PKCS#12 file encoded as base64 text', 'base64 テキストにした PKCS#12 ファイル'),
  'user-pass': t('a username on the first line and, optionally, a password on the second', '1 行目にユーザー名、必要なら 2 行目にパスワード'),
  fingerprints: t('SHA-256 fingerprints, one per line (AB:CD:…, 32 pairs)', '1 行に 1 つの SHA-256 フィンガープリント (AB:CD:…、32 組)'),
  'dh-parameters': t('PEM Diffie-Hellman parameters (-----BEGIN DH PARAMETERS-----)', 'PEM 形式の Diffie-Hellman パラメータ (-----BEGIN DH PARAMETERS-----)'),
};

interface PemBlock {
  label: string;
  /** What its base64 content decodes to; null when it is not valid base64. */
  content: Base64Info | null;
  /** RFC 1421 headers (legacy encrypted keys): the content is ciphertext, not DER. */
  headers: boolean;
}

interface Base64Info {
  bytes: number;
  first: number;
}

const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Size and first byte of base64 text given as lines (blanks ignored), or null if it is not
 * base64. Line by line, without building or decoding the whole text: a megabyte CRL stays cheap.
 */
function base64Info(lines: readonly string[]): Base64Info | null {
  let chars = 0;
  let padding = 0;
  let head = '';
  for (const raw of lines) {
    const line = /[ \t\r]/.test(raw) ? raw.replace(/[ \t\r]/g, '') : raw;
    if (line === '') continue;
    // '=' only pads the very end.
    if (padding > 0 || !BASE64_LINE.test(line)) return null;
    padding = line.endsWith('==') ? 2 : line.endsWith('=') ? 1 : 0;
    if (head.length < 4) head += line.slice(0, 4 - head.length);
    chars += line.length;
  }
  if (chars === 0 || chars % 4 !== 0) return null;
  return { bytes: (chars / 4) * 3 - padding, first: atob(head).charCodeAt(0) };
}

/**
 * PEM blocks as OpenSSL's PEM reader finds them; text outside blocks is ignored, as OpenSSL
 * does (exports often carry "Bag Attributes" or a text dump before the PEM). `null` when a block
 * is not closed or its END label differs.
 */
function pemBlocks(body: string): PemBlock[] | null {
  const lines = body.split('\n');
  const trimmed = (i: number) => (lines[i] as string).replace(/[ \t\r]+$/, '');
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!(lines[i] as string).startsWith('-----BEGIN ')) continue;
    const begin = /^-----BEGIN (.+)-----$/.exec(trimmed(i));
    if (!begin) continue;
    const label = begin[1] as string;
    const endLine = `-----END ${label}-----`;
    let end = i + 1;
    while (end < lines.length && !((lines[end] as string).startsWith(endLine) && trimmed(end) === endLine)) end++;
    if (end >= lines.length) return null;
    let content = lines.slice(i + 1, end);
    let headers = false;
    if (/^[A-Za-z-]+:/.test(content[0] ?? '')) {
      const blank = content.findIndex((l) => l.trim() === '');
      headers = blank > 0 && content.slice(0, blank).every((l) => /^[A-Za-z-]+:/.test(l));
      if (headers) content = content.slice(blank + 1);
    }
    blocks.push({ label, content: base64Info(content), headers });
    i = end;
  }
  return blocks;
}

/** A DER structure starts with SEQUENCE; a BEGIN/END pair around garbage does not. */
function looksDer(b: PemBlock): boolean {
  return b.content !== null && b.content.bytes > 1 && (b.headers || b.content.first === 0x30);
}

/** Why a body does not match its grammar (short, English and Japanese), or null when it does. */
function problem(grammar: InlineGrammar, body: string): LocalizedText | null {
  switch (grammar) {
    case 'ca-certificates':
    case 'certificates':
    case 'private-key':
    case 'crl':
    case 'dh-parameters':
    case 'tls-crypt-v2-client-key': {
      const blocks = pemBlocks(body);
      if (blocks === null) return t('a PEM block is not closed by its matching END line', 'PEM ブロックが対応する END 行で閉じられていません');
      const wanted = wantedLabels(grammar);
      const main = blocks.filter((b) => wanted.main.includes(b.label));
      const stray = blocks.find((b) => !wanted.main.includes(b.label) && !wanted.extra.includes(b.label));
      if (stray) return t(`it contains a "${stray.label}" block`, `"${stray.label}" ブロックが含まれています`);
      if (main.length === 0) return t('it contains no such block', '該当するブロックがありません');
      if (wanted.one && main.length > 1) return t(`it contains ${main.length} of them`, `${main.length} 個含まれています`);
      const der = grammar !== 'tls-crypt-v2-client-key';
      const broken = blocks.find((b) => b.content === null || (der && main.includes(b) && !looksDer(b)));
      if (broken) return t(`the "${broken.label}" block has no valid base64 content`, `"${broken.label}" ブロックの中身が正しい base64 ではありません`);
      return null;
    }
    case 'static-key':
      return staticKeyProblem(body);
    case 'pkcs12': {
      const info = base64Info(body.split('\n'));
      return info !== null && info.bytes > 1 && info.first === 0x30 ? null : t('it is not base64 text of a PKCS#12 file', 'PKCS#12 ファイルの base64 テキストではありません');
    }
    case 'user-pass': {
      const lines = body.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      if (lines.length > 2) return t(`it has ${lines.length} lines`, `${lines.length} 行あります`);
      return (lines[0] ?? '') === '' ? t('the username (first line) is empty', 'ユーザー名 (1 行目) が空です') : null;
    }
    case 'fingerprints': {
      const lines = body.split('\n').map((l) => l.replace(/^[ \t\v\f\r]+/, '')).filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'));
      if (lines.length === 0) return t('it contains no fingerprint', 'フィンガープリントがありません');
      const bad = lines.find((l) => !FINGERPRINT.test(l));
      return bad === undefined ? null : t(`"${bad.slice(0, 40)}" is not a SHA-256 fingerprint`, `"${bad.slice(0, 40)}" は SHA-256 フィンガープリントではありません`);
    }
  }
}

function wantedLabels(grammar: InlineGrammar): { main: string[]; extra: string[]; one: boolean } {
  switch (grammar) {
    case 'ca-certificates':
      // PEM_X509_INFO_read_bio(), which loads --ca, also takes CRLs from the same text.
      return { main: CERTIFICATE, extra: [CRL], one: false };
    case 'private-key':
      return { main: PRIVATE_KEY, extra: ['EC PARAMETERS'], one: true };
    case 'crl':
      return { main: [CRL], extra: [], one: false };
    case 'dh-parameters':
      return { main: ['DH PARAMETERS'], extra: [], one: true };
    case 'tls-crypt-v2-client-key':
      return { main: [TLS_CRYPT_V2], extra: [], one: true };
    default:
      return { main: CERTIFICATE, extra: [], one: false };
  }
}

/**
 * read_key_file(): comment lines may come before the header; between header and footer only hex
 * digits and blanks. We ask for the full 2048-bit key that `openvpn --genkey` writes.
 */
function staticKeyProblem(body: string): LocalizedText | null {
  const lines = body.split('\n').map((l) => l.replace(/[ \t\r]+$/, ''));
  const head = lines.indexOf(STATIC_HEAD);
  const foot = lines.indexOf(STATIC_FOOT, head + 1);
  if (head < 0 || foot < 0) return t('the BEGIN/END OpenVPN Static key V1 lines are missing', 'BEGIN/END OpenVPN Static key V1 の行がありません');
  const outside = [...lines.slice(0, head), ...lines.slice(foot + 1)].find((l) => l !== '' && !l.startsWith('#'));
  if (outside !== undefined) return t('it has text outside the key that is not a # comment', '鍵の外側に # コメント以外の文字があります');
  const data = lines.slice(head + 1, foot).join('');
  if (!/^[0-9A-Fa-f \t]*$/.test(data)) return t('the key contains characters that are not hex digits', '鍵に 16 進数以外の文字が含まれています');
  const digits = data.replace(/[ \t]/g, '').length;
  return digits === STATIC_KEY_BYTES * 2 ? null : t(`the key has ${digits} hex digits instead of ${STATIC_KEY_BYTES * 2}`, `鍵の 16 進数が ${STATIC_KEY_BYTES * 2} 桁ではなく ${digits} 桁です`);
}

/** Checks the body of inline block `<name>` (opened on `line`) against its grammar. */
export function checkInlineBody(name: string, grammar: InlineGrammar, body: string, line: number, source: string): ProfileError | null {
  const expected = EXPECTED[grammar];
  if (body.trim() === '') {
    return profileError('OVPN_INLINE_EMPTY', { line }, source, {
      en: `Line ${line}: the <${name}> block is empty. It must contain ${expected.en}; paste it between <${name}> and </${name}>, or ask your provider for a complete profile.`,
      ja: `${line} 行目: <${name}> ブロックが空です。${expected.ja}が必要です。<${name}> と </${name}> の間に貼り付けるか、提供元に完全なプロファイルを依頼してください。`,
    });
  }
  const why = problem(grammar, body);
  if (why === null) return null;
  return profileError('OVPN_INLINE_FORMAT', { line }, source, {
    en: `Line ${line}: the <${name}> block does not hold ${expected.en}: ${why.en}. OpenVPN could not load it; check that the right file was pasted.`,
    ja: `${line} 行目: <${name}> ブロックの内容が${expected.ja}ではありません (${why.ja})。OpenVPN は読み込めません。正しいファイルを貼り付けたか確認してください。`,
  });
}
