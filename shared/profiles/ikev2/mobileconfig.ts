/**
 * The IKEv2 payload of an Apple configuration profile (.mobileconfig) → Ikev2Profile.
 *
 * A .mobileconfig is an XML property list: a `Configuration` dictionary whose `PayloadContent`
 * array holds payloads; the VPN one has `PayloadType = com.apple.vpn.managed`, `VPNType = IKEv2`
 * and an `IKEv2` dictionary. Certificates travel as sibling payloads (`com.apple.security.root`,
 * `.pem`, `.pkcs1` for CAs; `.pkcs12` for the client identity, which `PayloadCertificateUUID`
 * names). Apple's "Cisco IPSec" payload (`VPNType = IPSec`: IKEv1, group key, XAuth) imports
 * too; L2TP is refused.
 *
 * The property list is read by the small strict reader below, not a library: it must give line
 * numbers for every error, refuse DTD internal subsets (entity expansion) and stay bounded on any
 * input, and the `plist` package gives no positions and decodes <data> with Node's Buffer, which
 * shared/ cannot use.
 *
 * A signed profile (CMS SignedData around the XML, as MDM servers send them) is read from the
 * XML inside it with a warning that the signature was not checked: Tsunagu imports what the
 * profile says, not who signed it. When the XML cannot be found whole inside the signature (a
 * signer that splits the content into pieces), the profile is refused with the command that
 * writes it unsigned.
 */
import type { Advisory, LocalizedText, ProfileError } from '../diagnostics.js';
import { profileError } from '../diagnostics.js';
import { ikev2Advisories } from './advisories.js';
import type { Ikev2Files, Ikev2LocalRound, Ikev2Profile } from './model.js';
import { derToPem, pemBlocks } from './pem.js';
import { l2tpError } from './policy.js';
import type { Ikev2ReadOptions, Ikev2ReadResult } from './result.js';
import { connectionNameFrom, parseAddress, parseIdentity, parseRemoteAddress } from './values.js';

// ---------------------------------------------------------------------------------------------
// The XML property list reader

export const MOBILECONFIG_MAX_BYTES = 4 * 1024 * 1024;
const MAX_DEPTH = 32;

type PlistNode =
  | { type: 'dict'; line: number; entries: Array<{ key: string; line: number; value: PlistNode }> }
  | { type: 'array'; line: number; items: PlistNode[] }
  | { type: 'string'; line: number; value: string }
  | { type: 'integer'; line: number; value: number }
  | { type: 'real'; line: number; value: number }
  | { type: 'boolean'; line: number; value: boolean }
  | { type: 'date'; line: number; value: string }
  | { type: 'data'; line: number; value: Uint8Array };

class PlistSyntaxError {
  constructor(readonly line: number, readonly column: number, readonly message: LocalizedText, readonly text: string) {}
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

class PlistReader {
  private pos = 0;
  private lineNo = 1;
  private lineStart = 0;
  private counted = 0;

  constructor(private readonly text: string, private readonly firstLine: number) {
    this.lineNo = firstLine;
  }

  /** Line and column of `pos` (positions only move forward, so newlines are counted once). */
  private where(pos = this.pos): { line: number; column: number } {
    if (pos < this.counted) {
      this.counted = 0;
      this.lineNo = this.firstLine;
      this.lineStart = 0;
    }
    for (; this.counted < pos; this.counted++) {
      if (this.text.charCodeAt(this.counted) === 10) {
        this.lineNo++;
        this.lineStart = this.counted + 1;
      }
    }
    return { line: this.lineNo, column: pos - this.lineStart + 1 };
  }

  private fail(en: string, ja: string, pos = this.pos): never {
    const at = this.where(pos);
    const end = this.text.indexOf('\n', pos);
    throw new PlistSyntaxError(at.line, at.column, { en, ja }, this.text.slice(pos, end < 0 ? pos + 60 : Math.min(end, pos + 60)));
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /[ \t\r\n]/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  /** Whitespace, comments and processing instructions between elements. */
  private skipMisc(): void {
    for (;;) {
      this.skipSpace();
      if (this.text.startsWith('<!--', this.pos)) {
        const end = this.text.indexOf('-->', this.pos + 4);
        if (end < 0) this.fail('a comment (<!--) is never closed with -->.', 'コメント (<!--) が --> で閉じられていません。');
        this.pos = end + 3;
      } else if (this.text.startsWith('<?', this.pos)) {
        const end = this.text.indexOf('?>', this.pos + 2);
        if (end < 0) this.fail("an XML declaration (<?) is never closed with '?>'.", "XML 宣言 (<?) が '?>' で閉じられていません。");
        this.pos = end + 2;
      } else return;
    }
  }

  document(): PlistNode {
    this.skipMisc();
    if (this.text.startsWith('<!DOCTYPE', this.pos)) {
      const end = this.text.indexOf('>', this.pos);
      if (end < 0) this.fail('the <!DOCTYPE> declaration is never closed.', '<!DOCTYPE> 宣言が閉じられていません。');
      // An internal subset could declare entities that expand without bound.
      if (this.text.slice(this.pos, end).includes('[')) this.fail('the <!DOCTYPE> declares its own entities, which a configuration profile never does.', '<!DOCTYPE> が独自のエンティティを宣言しています。構成プロファイルではあり得ません。');
      this.pos = end + 1;
      this.skipMisc();
    }
    const open = this.tag();
    if (open.name !== 'plist' || open.close) this.fail('the property list does not start with <plist>.', 'プロパティリストが <plist> で始まっていません。', open.start);
    this.skipMisc();
    const root = this.value(0);
    this.skipMisc();
    const close = this.tag();
    if (close.name !== 'plist' || !close.close) this.fail('<plist> holds more than one value, or is not closed with </plist>.', '<plist> に値が複数あるか、</plist> で閉じられていません。', close.start);
    this.skipMisc();
    return root;
  }

  private tag(): { name: string; close: boolean; empty: boolean; start: number } {
    const start = this.pos;
    const m = /^<(\/?)([A-Za-z][A-Za-z0-9]*)((?:\s+[A-Za-z:_-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(this.text.slice(this.pos, this.pos + 256));
    if (!m) this.fail('an XML element was expected here.', 'ここには XML の要素が必要です。');
    this.pos += m[0].length;
    return { name: m[2] ?? '', close: m[1] === '/', empty: m[4] === '/', start };
  }

  /** Character data up to the closing tag `name`, entities and CDATA resolved. */
  private textUntil(name: string): string {
    let out = '';
    for (;;) {
      const lt = this.text.indexOf('<', this.pos);
      if (lt < 0) this.fail(`<${name}> is never closed.`, `<${name}> が閉じられていません。`);
      out += this.entities(this.text.slice(this.pos, lt), this.pos);
      this.pos = lt;
      if (this.text.startsWith('<![CDATA[', lt)) {
        const end = this.text.indexOf(']]>', lt + 9);
        if (end < 0) this.fail('a <![CDATA[ section is never closed.', '<![CDATA[ セクションが閉じられていません。');
        out += this.text.slice(lt + 9, end);
        this.pos = end + 3;
        continue;
      }
      if (this.text.startsWith('<!--', lt)) {
        this.skipMisc();
        continue;
      }
      const close = this.tag();
      if (!close.close || close.name !== name) this.fail(`<${name}> may hold only text, but an element <${close.name}> starts here.`, `<${name}> にはテキストしか書けませんが、ここで要素 <${close.name}> が始まっています。`, close.start);
      return out;
    }
  }

  private entities(raw: string, at: number): string {
    return raw.replace(/&([^;&\s]{0,10});?/g, (whole, name: string, offset: number) => {
      if (!whole.endsWith(';')) this.fail(`'&' must start an entity such as &amp;.`, `'&' は &amp; のようなエンティティの始まりでなければなりません。`, at + offset);
      const named = ENTITIES[name];
      if (named !== undefined) return named;
      const code = /^#x([0-9A-Fa-f]{1,6})$/.exec(name) ? parseInt(name.slice(2), 16) : /^#(\d{1,7})$/.exec(name) ? Number(name.slice(1)) : NaN;
      if (Number.isInteger(code) && code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) return String.fromCodePoint(code);
      return this.fail(`'&${name};' is not an XML entity (&lt; &gt; &amp; &quot; &apos; or &#…;).`, `'&${name};' は XML のエンティティ (&lt; &gt; &amp; &quot; &apos; または &#…;) ではありません。`, at + offset);
    });
  }

  private value(depth: number): PlistNode {
    if (depth > MAX_DEPTH) this.fail(`the property list nests deeper than ${MAX_DEPTH} levels.`, `プロパティリストの入れ子が ${MAX_DEPTH} 段を超えています。`);
    this.skipMisc();
    const open = this.tag();
    const line = this.where(open.start).line;
    if (open.close) this.fail(`a value was expected, but </${open.name}> closes an element here.`, `値が必要ですが、ここで </${open.name}> が要素を閉じています。`, open.start);
    switch (open.name) {
      case 'dict': {
        const entries: Array<{ key: string; line: number; value: PlistNode }> = [];
        const keys = new Set<string>();
        if (open.empty) return { type: 'dict', line, entries };
        for (;;) {
          this.skipMisc();
          const keyAt = this.pos;
          const k = this.tag();
          if (k.close && k.name === 'dict') return { type: 'dict', line, entries };
          if (k.name !== 'key' || k.close) this.fail('a <dict> must alternate <key> and value elements.', '<dict> では <key> と値の要素が交互に並ばなければなりません。', keyAt);
          const keyLine = this.where(keyAt).line;
          const key = k.empty ? '' : this.textUntil('key');
          if (keys.has(key)) this.fail(`the key '${key}' appears twice in one dictionary.`, `キー '${key}' が 1 つの辞書に 2 回現れます。`, keyAt);
          keys.add(key);
          entries.push({ key, line: keyLine, value: this.value(depth + 1) });
        }
      }
      case 'array': {
        const items: PlistNode[] = [];
        if (open.empty) return { type: 'array', line, items };
        for (;;) {
          this.skipMisc();
          if (this.text.startsWith('</array>', this.pos)) {
            this.pos += 8;
            return { type: 'array', line, items };
          }
          items.push(this.value(depth + 1));
        }
      }
      case 'true':
      case 'false':
        if (!open.empty) {
          const inner = this.textUntil(open.name);
          if (inner.trim() !== '') this.fail(`<${open.name}/> holds no text.`, `<${open.name}/> にはテキストを書けません。`);
        }
        return { type: 'boolean', line, value: open.name === 'true' };
      case 'string':
      case 'date':
        return { type: open.name, line, value: open.empty ? '' : this.textUntil(open.name) };
      case 'integer':
      case 'real': {
        const raw = (open.empty ? '' : this.textUntil(open.name)).trim();
        const ok = open.name === 'integer' ? /^[+-]?(\d{1,15}|0x[0-9a-fA-F]{1,12})$/.test(raw) : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw);
        if (!ok) this.fail(`'${raw}' is not a number for <${open.name}>.`, `'${raw}' は <${open.name}> の数値ではありません。`, open.start);
        return { type: open.name, line, value: Number(raw) };
      }
      case 'data': {
        const raw = (open.empty ? '' : this.textUntil('data')).replace(/\s+/g, '');
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw) || raw.length % 4 === 1) this.fail('<data> holds text that is not base64.', '<data> に base64 ではないテキストがあります。', open.start);
        const padded = raw.padEnd(raw.length + ((4 - (raw.length % 4)) % 4), '=');
        const binary = atob(padded);
        const bytes = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
        return { type: 'data', line, value: bytes };
      }
      default:
        return this.fail(`<${open.name}> is not a property list element (dict, array, string, integer, real, true, false, date, data).`, `<${open.name}> はプロパティリストの要素 (dict、array、string、integer、real、true、false、date、data) ではありません。`, open.start);
    }
  }
}

type PlistRead = { ok: true; root: PlistNode; signed: boolean } | { ok: false; errors: ProfileError[] };

const t = (en: string, ja: string): LocalizedText => ({ en, ja });

function located(code: string, line: number, text: string, m: LocalizedText, column = 1): ProfileError {
  return profileError(code, { line, column }, text, line > 0 ? { en: `Line ${line}: ${m.en}`, ja: `${line} 行目: ${m.ja}` } : m);
}

/** A CMS SignedData file starts with a DER SEQUENCE (0x30 then a length byte ≥ 0x80, decoded lossily). */
function looksSigned(text: string): boolean {
  return text.charCodeAt(0) === 0x30 && text.charCodeAt(1) >= 0x80;
}

function readPlist(text: string): PlistRead {
  if (text.length > MOBILECONFIG_MAX_BYTES) {
    return { ok: false, errors: [located('MOBILECONFIG_TOO_LARGE', 0, '', t(`This file is ${Math.ceil(text.length / 1024 / 1024)} MiB; configuration profiles are far smaller. Check that it is the right file.`, `このファイルは ${Math.ceil(text.length / 1024 / 1024)} MiB あります。構成プロファイルはもっと小さいはずです。正しいファイルか確認してください。`))] };
  }
  if (text.startsWith('bplist')) {
    return { ok: false, errors: [located('MOBILECONFIG_BINARY_PLIST', 0, 'bplist', t("This configuration profile is a binary property list. Convert it to XML (on a Mac: plutil -convert xml1 <file>) and import it again.", 'この構成プロファイルはバイナリ形式のプロパティリストです。XML 形式に変換して (Mac では plutil -convert xml1 <ファイル>)、もう一度インポートしてください。'))] };
  }
  let body = text.replace(/^\uFEFF/, '');
  let firstLine = 1;
  let signed = false;
  if (looksSigned(body)) {
    signed = true;
    const start = body.indexOf('<?xml');
    const end = body.indexOf('</plist>', start);
    if (start < 0 || end < 0) {
      return { ok: false, errors: [located('MOBILECONFIG_SIGNED_UNREADABLE', 0, '', t('This configuration profile is signed, and the profile inside the signature cannot be read whole. Export it unsigned (on a Mac: security cms -D -i <file> -o unsigned.mobileconfig) and import that file.', 'この構成プロファイルは署名されており、署名の中のプロファイルを完全には読み取れません。署名なしで書き出して (Mac では security cms -D -i <ファイル> -o unsigned.mobileconfig)、そのファイルをインポートしてください。'))] };
    }
    firstLine += (body.slice(0, start).match(/\n/g) ?? []).length;
    body = body.slice(start, end + '</plist>'.length);
  }
  try {
    return { ok: true, root: new PlistReader(body, firstLine).document(), signed };
  } catch (e) {
    if (!(e instanceof PlistSyntaxError)) throw e;
    const code = signed ? 'MOBILECONFIG_SIGNED_UNREADABLE' : 'MOBILECONFIG_XML';
    const more = signed ? t(' The profile is signed; if the signature splits it into pieces, export it unsigned (security cms -D -i <file> -o unsigned.mobileconfig).', ' このプロファイルは署名されています。署名によって分割されている場合は、署名なしで書き出してください (security cms -D -i <ファイル> -o unsigned.mobileconfig)。') : t('', '');
    return { ok: false, errors: [located(code, e.line, e.text, t(`this is not a valid configuration profile: ${e.message.en}${more.en}`, `正しい構成プロファイルではありません: ${e.message.ja}${more.ja}`), e.column)] };
  }
}

// ---------------------------------------------------------------------------------------------
// Payloads → the model

function get(dict: PlistNode | undefined, key: string): PlistNode | undefined {
  return dict?.type === 'dict' ? dict.entries.find((e) => e.key === key)?.value : undefined;
}

function keyLine(dict: PlistNode | undefined, key: string): number {
  return dict?.type === 'dict' ? (dict.entries.find((e) => e.key === key)?.line ?? dict.line) : 0;
}

function str(node: PlistNode | undefined): string | null {
  return node?.type === 'string' ? node.value.trim() : null;
}

/** Apple writes flags as <integer>1</integer> or <true/>. */
function flag(node: PlistNode | undefined): boolean {
  return (node?.type === 'integer' && node.value !== 0) || (node?.type === 'boolean' && node.value);
}

/** Apple's IKE/Child SA algorithm names → charon's proposal tokens. */
const ENCRYPTION: Record<string, string> = {
  DES: 'des', '3DES': '3des', 'AES-128': 'aes128', 'AES-256': 'aes256', 'AES-128-GCM': 'aes128gcm16', 'AES-256-GCM': 'aes256gcm16', ChaCha20Poly1305: 'chacha20poly1305',
};
const INTEGRITY: Record<string, string> = { 'SHA1-96': 'sha1', 'SHA1-160': 'sha1_160', 'SHA2-256': 'sha256', 'SHA2-384': 'sha384', 'SHA2-512': 'sha512' };
const DH_GROUPS: Record<number, string> = {
  1: 'modp768', 2: 'modp1024', 5: 'modp1536', 14: 'modp2048', 15: 'modp3072', 16: 'modp4096', 17: 'modp6144', 18: 'modp8192',
  19: 'ecp256', 20: 'ecp384', 21: 'ecp521', 31: 'curve25519', 32: 'curve448',
};
/** DeadPeerDetectionRate: Apple's keepalive intervals (Low 30 min, Medium 10 min, High 1 min). */
const DPD: Record<string, number | null> = { None: null, Low: 1800, Medium: 600, High: 60 };

/** IKEv2 dictionary keys that only tune Apple's own client, or that charon does on its own. */
const IGNORED_KEYS = new Set([
  'DisableRedirect', 'NATKeepAliveInterval', 'NATKeepAliveOffloadEnable', 'EnableFallback', 'UseConfigurationAttributeInternalIPSubnet',
  'CertificateType', 'ServerCertificateIssuerCommonName', 'ServerCertificateCommonName', 'TLSMinimumVersion', 'TLSMaximumVersion',
  'PayloadCertificateUUID', 'ProviderType', 'IncludeAllNetworks', 'ExcludeLocalNetworks', 'EnforceRoutes', 'MTU', 'PredefinedKey', 'PasswordPromptDisabled',
]);
const HANDLED_KEYS = new Set([
  'RemoteAddress', 'RemoteIdentifier', 'LocalIdentifier', 'AuthenticationMethod', 'ExtendedAuthEnabled', 'AuthName', 'AuthPassword', 'SharedSecret',
  'IKESecurityAssociationParameters', 'ChildSecurityAssociationParameters', 'DeadPeerDetectionRate', 'DisableMOBIKE', 'EnablePFS',
  'EnableCertificateRevocationCheck', 'EnableStrictRevocationCheck', 'OnDemandEnabled', 'OnDemandRules', 'OnDemandUserOverrideDisabled',
]);

class Reader {
  readonly errors: ProfileError[] = [];
  readonly advisories: Advisory[] = [];
  readonly lines = new Map<string, number>();

  error(code: string, line: number, text: string, m: LocalizedText): void {
    this.errors.push(located(code, line, text, m));
  }

  advise(code: string, severity: Advisory['severity'], line: number, message: LocalizedText, explanation: LocalizedText): void {
    this.advisories.push({ code, severity, line, message: line > 0 ? { en: `Line ${line}: ${message.en}`, ja: `${line} 行目: ${message.ja}` } : message, explanation });
  }

  /** One SA parameters dictionary as a proposal, Apple's defaults (AES-256, SHA2-256, group 14) for what it leaves out. */
  proposal(dict: PlistNode | undefined, name: string, withDh: boolean): string[] | null {
    if (!dict) return null;
    if (dict.type !== 'dict') {
      this.error('MOBILECONFIG_BAD_VALUE', dict.line, name, t(`'${name}' must be a dictionary.`, `'${name}' は辞書でなければなりません。`));
      return null;
    }
    const enc = str(get(dict, 'EncryptionAlgorithm')) ?? 'AES-256';
    const integ = str(get(dict, 'IntegrityAlgorithm')) ?? 'SHA2-256';
    const dhNode = get(dict, 'DiffieHellmanGroup');
    const dh = dhNode?.type === 'integer' ? dhNode.value : 14;
    const e = ENCRYPTION[enc];
    const i = INTEGRITY[integ];
    const g = DH_GROUPS[dh];
    if (!e) this.error('MOBILECONFIG_BAD_VALUE', keyLine(dict, 'EncryptionAlgorithm'), enc, t(`'${enc}' is not an EncryptionAlgorithm Apple defines (${Object.keys(ENCRYPTION).join(', ')}).`, `'${enc}' は Apple が定める EncryptionAlgorithm (${Object.keys(ENCRYPTION).join('、')}) ではありません。`));
    if (!i) this.error('MOBILECONFIG_BAD_VALUE', keyLine(dict, 'IntegrityAlgorithm'), integ, t(`'${integ}' is not an IntegrityAlgorithm Apple defines (${Object.keys(INTEGRITY).join(', ')}).`, `'${integ}' は Apple が定める IntegrityAlgorithm (${Object.keys(INTEGRITY).join('、')}) ではありません。`));
    if (!g) this.error('MOBILECONFIG_BAD_VALUE', keyLine(dict, 'DiffieHellmanGroup'), String(dh), t(`Diffie-Hellman group ${dh} is not one Apple defines (${Object.keys(DH_GROUPS).join(', ')}).`, `Diffie-Hellman グループ ${dh} は Apple が定めるもの (${Object.keys(DH_GROUPS).join('、')}) ではありません。`));
    if (!e || !i || !g) return null;
    const aead = e.includes('gcm') || e === 'chacha20poly1305';
    // An AEAD cipher needs no integrity algorithm; IKE then takes the PRF from it.
    const tokens = aead ? [e, ...(name.startsWith('IKE') ? [`prf${i === 'sha1' || i === 'sha1_160' ? 'sha1' : i}`] : [])] : [e, i];
    return [[...tokens, ...(withDh ? [g] : [])].join('-')];
  }
}

function certificatePayloadPem(payload: PlistNode): string[] {
  const content = get(payload, 'PayloadContent');
  if (content?.type !== 'data') return [];
  const text = new TextDecoder('utf-8', { fatal: false }).decode(content.value);
  const blocks = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length > 0) return blocks.map((b) => b.text);
  return content.value[0] === 0x30 ? [derToPem(content.value, 'CERTIFICATE')] : [];
}

const CA_PAYLOADS = new Set(['com.apple.security.root', 'com.apple.security.pem', 'com.apple.security.pkcs1']);

/** By content: an XML property list holding Apple payloads (possibly inside a CMS signature). */
export function looksLikeMobileconfig(text: string): boolean {
  if (typeof text !== 'string') return false;
  const head = text.slice(0, 64 * 1024);
  return (head.includes('<plist') || looksSigned(text)) && head.includes('<key>PayloadContent</key>') && /<key>Payload(Type|Version|UUID)<\/key>/.test(head);
}

/** Reads a .mobileconfig's IKEv2 VPN payload. Never throws. */
export function readMobileconfig(text: string, _options: Ikev2ReadOptions = {}): Ikev2ReadResult {
  let plist: PlistRead;
  try {
    plist = readPlist(text);
  } catch {
    return { ok: false, errors: [located('MOBILECONFIG_XML', 0, '', t('This configuration profile could not be read because of an internal error. Please report it.', '内部エラーのため、この構成プロファイルを読み込めませんでした。報告をお願いします。'))] };
  }
  if (!plist.ok) return plist;
  const r = new Reader();
  const root = plist.root;
  if (plist.signed) {
    r.advise('MOBILECONFIG_SIGNATURE_NOT_VERIFIED', 'warning', 0,
      t("This configuration profile is signed; Tsunagu read the profile inside but did not check the signature.", 'この構成プロファイルは署名されています。Tsunagu は中のプロファイルを読み取りましたが、署名は確認していません。'),
      t('A signature says who issued the profile. Import it only if it came from your administrator through a channel you trust (your MDM, a company portal).', '署名はプロファイルの発行者を示します。信頼できる経路 (MDM、社内ポータル) で管理者から届いた場合にだけインポートしてください。'));
  }
  const content = get(root, 'PayloadContent');
  if (root.type !== 'dict' || content?.type !== 'array') {
    r.error('MOBILECONFIG_NO_PAYLOADS', root.line, '', t("this property list is not a configuration profile: it has no 'PayloadContent' list of payloads.", "このプロパティリストは構成プロファイルではありません。ペイロードの一覧 'PayloadContent' がありません。"));
    return { ok: false, errors: r.errors };
  }
  const payloads = content.items.filter((p) => p.type === 'dict');
  const vpns = payloads.filter((p) => /^com\.apple\.vpn\.managed(\.applayer)?$/.test(str(get(p, 'PayloadType')) ?? ''));
  const ikev2 = vpns.filter((p) => str(get(p, 'VPNType')) === 'IKEv2');
  const payload = ikev2[0];
  if (!payload) {
    const other = vpns[0];
    const type = other ? (str(get(other, 'VPNType')) ?? '') : '';
    if (other && type === 'L2TP') return { ok: false, errors: [l2tpError(keyLine(other, 'VPNType'), 1, 'VPNType L2TP', false)] };
    if (other && type === 'IPSec') return readCiscoIpsec(r, other, payloads);
    if (other) {
      r.error('MOBILECONFIG_UNSUPPORTED_VPN', keyLine(other, 'VPNType'), `VPNType ${type}`, t(`this profile's VPN is of type '${type}'${str(get(other, 'VPNSubType')) ? ` (${str(get(other, 'VPNSubType')) ?? ''})` : ''}; Tsunagu imports the IKEv2 VPN payload of a configuration profile only. Ask your administrator for an IKEv2 profile.`, `このプロファイルの VPN の種類は '${type}' です。Tsunagu がインポートできるのは構成プロファイルの IKEv2 VPN ペイロードだけです。管理者に IKEv2 のプロファイルを依頼してください。`));
    } else {
      r.error('MOBILECONFIG_NO_VPN', content.line, '', t('this configuration profile has no VPN payload (com.apple.vpn.managed); it configures something else (Wi-Fi, certificates, restrictions …).', 'この構成プロファイルには VPN ペイロード (com.apple.vpn.managed) がありません。ほかのもの (Wi-Fi、証明書、制限 …) を設定するプロファイルです。'));
    }
    return { ok: false, errors: r.errors };
  }
  const name = str(get(payload, 'UserDefinedName')) ?? str(get(payload, 'PayloadDisplayName')) ?? str(get(root, 'PayloadDisplayName'));
  if (ikev2.length > 1) {
    r.advise('MOBILECONFIG_OTHER_VPNS', 'info', payload.line,
      t(`Only the first IKEv2 VPN ('${name ?? ''}') is imported; the profile holds ${ikev2.length}.`, `最初の IKEv2 VPN ('${name ?? ''}') だけを取り込みます。プロファイルには ${ikev2.length} 個あります。`),
      t('A Tsunagu profile is one connection.', 'Tsunagu のプロファイルは 1 つの接続です。'));
  }
  const ike = get(payload, 'IKEv2');
  if (ike?.type !== 'dict') {
    r.error('MOBILECONFIG_MISSING_KEY', payload.line, 'IKEv2', t("the IKEv2 VPN payload has no 'IKEv2' dictionary with the server and sign-in settings.", "IKEv2 VPN ペイロードに、サーバーとサインインの設定を持つ 'IKEv2' 辞書がありません。"));
    return { ok: false, errors: r.errors };
  }
  const profile = readIke(r, ike, payload, payloads, connectionNameFrom(name, 'mobileconfig'));
  if (!profile || r.errors.length > 0) return { ok: false, errors: r.errors };
  const dns = get(payload, 'DNS');
  const servers = get(dns, 'ServerAddresses');
  if (servers?.type === 'array') {
    for (const s of servers.items) {
      const a = parseAddress(str(s) ?? '');
      if (a === null) r.error('MOBILECONFIG_BAD_VALUE', s.line, str(s) ?? '', t(`'${str(s) ?? ''}' in DNS ServerAddresses is not an IP address.`, `DNS の ServerAddresses にある '${str(s) ?? ''}' は IP アドレスではありません。`));
      else profile.dnsServers.push(a);
    }
    r.lines.set('dns_servers', servers.line);
  }
  if (get(payload, 'Proxies')) {
    r.advise('MOBILECONFIG_PROXIES_IGNORED', 'info', keyLine(payload, 'Proxies'), t('The VPN’s proxy settings are not imported.', 'VPN のプロキシ設定はインポートしません。'), t('Tsunagu sets up the tunnel and its DNS; proxies are configured in your system or browser settings.', 'Tsunagu はトンネルと DNS を設定します。プロキシはシステムやブラウザーの設定で構成してください。'));
  }
  if (r.errors.length > 0) return { ok: false, errors: r.errors };
  const lineOf = (field: string): number => r.lines.get(field) ?? 0;
  return { ok: true, profile, advisories: [...r.advisories, ...ikev2Advisories(profile, lineOf)].sort((a, b) => a.line - b.line), ...(name ? { name } : {}) };
}

function readIke(r: Reader, ike: PlistNode, payload: PlistNode, payloads: PlistNode[], connection: string): Ikev2Profile | null {
  const addressText = str(get(ike, 'RemoteAddress'));
  let remoteAddrs: string[] = [];
  if (!addressText) r.error('MOBILECONFIG_MISSING_KEY', ike.line, 'IKEv2', t("the IKEv2 dictionary has no 'RemoteAddress' (the VPN server).", "IKEv2 辞書に 'RemoteAddress' (VPN サーバー) がありません。"));
  else {
    const a = parseRemoteAddress(addressText);
    if (!a.ok || a.value.kind !== 'host') r.error('MOBILECONFIG_BAD_VALUE', keyLine(ike, 'RemoteAddress'), addressText, a.ok ? t(`'RemoteAddress' must name one server, not '${addressText}'.`, `'RemoteAddress' は 1 台のサーバーを指定しなければなりません ('${addressText}' ではなく)。`) : a.reason);
    else remoteAddrs = [a.value.value];
    r.lines.set('remote_addrs', keyLine(ike, 'RemoteAddress'));
  }
  const identity = (key: string): string | null => {
    const v = str(get(ike, key));
    if (v === null || v === '') return null;
    const p = parseIdentity(v);
    if (!p.ok) {
      r.error('MOBILECONFIG_BAD_VALUE', keyLine(ike, key), v, { en: `'${key}': ${p.reason.en}`, ja: `'${key}': ${p.reason.ja}` });
      return null;
    }
    return p.value;
  };
  const remoteId = identity('RemoteIdentifier');
  const localId = identity('LocalIdentifier');
  const methodNode = get(ike, 'AuthenticationMethod');
  const method = str(methodNode) ?? (get(ike, 'SharedSecret') ? 'SharedSecret' : get(ike, 'PayloadCertificateUUID') ? 'Certificate' : 'None');
  if (!['None', 'SharedSecret', 'Certificate'].includes(method)) {
    r.error('MOBILECONFIG_BAD_VALUE', keyLine(ike, 'AuthenticationMethod'), method, t(`'AuthenticationMethod' is None, SharedSecret or Certificate, not '${method}'.`, `'AuthenticationMethod' は None、SharedSecret、Certificate のいずれかです ('${method}' ではなく)。`));
    return null;
  }
  const eap = flag(get(ike, 'ExtendedAuthEnabled'));
  const authName = str(get(ike, 'AuthName'));
  const files: Ikev2Files = { caCerts: [], serverCerts: [], clientCert: null, privateKey: null };
  const secrets = { psk: null as string | null, eapPassword: null as string | null, xauthPassword: null as string | null };
  const rounds: Ikev2LocalRound[] = [];

  if (method === 'SharedSecret') {
    const node = get(ike, 'SharedSecret');
    const psk = node?.type === 'data' ? new TextDecoder().decode(node.value) : str(node);
    if (!psk) r.error('MOBILECONFIG_MISSING_KEY', ike.line, 'SharedSecret', t("'AuthenticationMethod' is SharedSecret but there is no 'SharedSecret'.", "'AuthenticationMethod' が SharedSecret なのに 'SharedSecret' がありません。"));
    else secrets.psk = psk;
    r.lines.set('secrets.psk', keyLine(ike, 'SharedSecret'));
    rounds.push({ auth: 'psk', id: localId, eapId: null, xauthId: null, usesClientCert: false });
  } else if (method === 'Certificate') {
    readIdentity(r, ike, payloads, files);
    // Certificate plus EAP without a user name is Apple's EAP-TLS; with one, a second EAP round.
    if (eap && !authName) rounds.push({ auth: 'eap-tls', id: localId, eapId: null, xauthId: null, usesClientCert: true });
    else rounds.push({ auth: 'pubkey', id: localId, eapId: null, xauthId: null, usesClientCert: true });
  }
  if (eap && !(method === 'Certificate' && !authName)) {
    if (!authName && !localId) {
      r.error('MOBILECONFIG_MISSING_KEY', keyLine(ike, 'ExtendedAuthEnabled'), 'AuthName', t("EAP is on ('ExtendedAuthEnabled') but the profile gives no user name ('AuthName', or 'LocalIdentifier'); Apple devices ask for it, Tsunagu needs it in the profile. Add <key>AuthName</key><string>your user name</string> to the IKEv2 dictionary.", "EAP が有効 ('ExtendedAuthEnabled') ですが、ユーザー名 ('AuthName' または 'LocalIdentifier') がありません。Apple のデバイスは尋ねますが、Tsunagu ではプロファイルに必要です。IKEv2 辞書に <key>AuthName</key><string>ユーザー名</string> を追加してください。"));
    } else if (!authName) {
      r.advise('MOBILECONFIG_EAP_IDENTITY', 'info', keyLine(ike, 'LocalIdentifier'), t(`The profile has no user name (AuthName); EAP signs in as the LocalIdentifier '${localId ?? ''}'.`, `プロファイルにユーザー名 (AuthName) がありません。EAP は LocalIdentifier '${localId ?? ''}' としてサインインします。`), t('strongSwan uses the IKE identity for EAP when no separate EAP identity is given.', '別の EAP ID がない場合、strongSwan は IKE の ID を EAP に使います。'));
    }
    rounds.push({ auth: 'eap', id: rounds.length === 0 ? (localId ?? authName) : null, eapId: authName, xauthId: null, usesClientCert: false });
    secrets.eapPassword = str(get(ike, 'AuthPassword')) || null;
  }
  if (rounds.length === 0) {
    r.error('MOBILECONFIG_NO_AUTHENTICATION', keyLine(ike, 'AuthenticationMethod'), method, t("'AuthenticationMethod' is None and EAP ('ExtendedAuthEnabled') is off, so the profile says nothing about how to sign in.", "'AuthenticationMethod' が None で EAP ('ExtendedAuthEnabled') も無効のため、サインイン方法が指定されていません。"));
    return null;
  }
  // The CAs a profile installs are the ones it expects the server's certificate from.
  for (const p of payloads) if (CA_PAYLOADS.has(str(get(p, 'PayloadType')) ?? '') && p !== findPayload(payloads, str(get(ike, 'PayloadCertificateUUID')))) files.caCerts.push(...certificatePayloadPem(p));

  const dpdName = str(get(ike, 'DeadPeerDetectionRate')) ?? 'Medium';
  if (!(dpdName in DPD)) r.error('MOBILECONFIG_BAD_VALUE', keyLine(ike, 'DeadPeerDetectionRate'), dpdName, t(`'DeadPeerDetectionRate' is None, Low, Medium or High, not '${dpdName}'.`, `'DeadPeerDetectionRate' は None、Low、Medium、High のいずれかです ('${dpdName}' ではなく)。`));
  const pfs = flag(get(ike, 'EnablePFS'));
  const proposals = r.proposal(get(ike, 'IKESecurityAssociationParameters'), 'IKESecurityAssociationParameters', true);
  const espProposals = r.proposal(get(ike, 'ChildSecurityAssociationParameters'), 'ChildSecurityAssociationParameters', pfs);
  if (proposals) r.lines.set('proposals', keyLine(ike, 'IKESecurityAssociationParameters'));
  if (espProposals) r.lines.set('esp_proposals', keyLine(ike, 'ChildSecurityAssociationParameters'));
  const revocation = flag(get(ike, 'EnableStrictRevocationCheck')) ? 'strict' : flag(get(ike, 'EnableCertificateRevocationCheck')) ? 'ifuri' : null;

  if (flag(get(ike, 'OnDemandEnabled')) || get(ike, 'OnDemandRules') || flag(get(payload, 'OnDemandEnabled'))) {
    r.advise('MOBILECONFIG_ON_DEMAND_IGNORED', 'info', keyLine(ike, 'OnDemandRules') || keyLine(ike, 'OnDemandEnabled'),
      t('VPN On Demand rules are not imported: Tsunagu connects when you ask it to (or at start, if you choose that in its settings).', 'VPN オンデマンドの規則はインポートしません。Tsunagu は指示したとき (または設定で選んだ場合は起動時) に接続します。'),
      t('On Demand is an Apple feature that starts the VPN for certain networks or domains.', 'オンデマンドは、特定のネットワークやドメインで VPN を開始する Apple の機能です。'));
  }
  const ignored: string[] = [];
  if (ike.type === 'dict') {
    for (const e of ike.entries) {
      if (HANDLED_KEYS.has(e.key)) continue;
      if (IGNORED_KEYS.has(e.key) || /^Payload/.test(e.key)) ignored.push(e.key);
      else r.advise('MOBILECONFIG_KEY_UNKNOWN', 'warning', e.line, t(`'${e.key}' in the IKEv2 dictionary is not a setting Tsunagu knows, so it is left out.`, `IKEv2 辞書の '${e.key}' は Tsunagu が知らない設定のため、取り込みません。`), t('Check the connection after import.', 'インポート後に接続を確認してください。'));
    }
  }
  if (ignored.length > 0) {
    r.advise('MOBILECONFIG_APPLE_ONLY', 'info', ike.line, t(`Apple-only settings left out: ${ignored.join(', ')}.`, `Apple 専用の設定 (取り込みません): ${ignored.join(', ')}。`), t("They tune Apple's own VPN client; strongSwan's defaults apply.", 'これらは Apple の VPN クライアント独自の調整です。strongSwan の既定値が使われます。'));
  }
  return {
    kind: 'ikev2',
    connection,
    version: 2,
    remoteAddrs,
    remotePort: null,
    localAddrs: [],
    local: rounds,
    remote: { auth: method === 'SharedSecret' ? 'psk' : 'pubkey', id: remoteId ?? remoteAddrs[0] ?? null, revocation },
    aggressive: false,
    // Apple's client always asks for an address of each family and sends all traffic.
    vips: ['0.0.0.0', '::'],
    proposals,
    encap: false,
    mobike: !flag(get(ike, 'DisableMOBIKE')),
    dpdDelay: DPD[dpdName] ?? null,
    children: [{ name: connection, localTs: [], remoteTs: ['0.0.0.0/0', '::/0'], espProposals, mode: 'tunnel', updown: null }],
    files,
    secrets,
    dnsServers: [],
  };
}

function findPayload(payloads: PlistNode[], uuid: string | null): PlistNode | undefined {
  return uuid ? payloads.find((p) => str(get(p, 'PayloadUUID')) === uuid) : undefined;
}

/** The client identity `PayloadCertificateUUID` names. PKCS#12 needs its password and 3DES/RC2, which Tsunagu does not decrypt. */
function readIdentity(r: Reader, ike: PlistNode, payloads: PlistNode[], files: Ikev2Files): void {
  const uuid = str(get(ike, 'PayloadCertificateUUID'));
  const line = keyLine(ike, 'PayloadCertificateUUID') || keyLine(ike, 'AuthenticationMethod');
  const payload = findPayload(payloads, uuid);
  if (!uuid || !payload) {
    r.error('MOBILECONFIG_MISSING_IDENTITY', line, uuid ?? 'PayloadCertificateUUID', uuid
      ? t(`'PayloadCertificateUUID' names the payload '${uuid}', which is not in this profile.`, `'PayloadCertificateUUID' はペイロード '${uuid}' を指していますが、このプロファイルにありません。`)
      : t("'AuthenticationMethod' is Certificate but 'PayloadCertificateUUID' names no client certificate.", "'AuthenticationMethod' が Certificate なのに 'PayloadCertificateUUID' がクライアント証明書を指していません。"));
    return;
  }
  const type = str(get(payload, 'PayloadType'));
  if (type === 'com.apple.security.pkcs12') {
    r.error('MOBILECONFIG_PKCS12', payload.line, type, t(
      'the client certificate is a password-protected PKCS#12 bundle inside the profile, which Tsunagu cannot open. Export the certificate and key as PEM files (openssl pkcs12 -legacy -in identity.p12 -nodes) and import them with a swanctl.conf profile, or ask your administrator for one.',
      'クライアント証明書はプロファイル内のパスワード付き PKCS#12 バンドルで、Tsunagu では開けません。証明書と鍵を PEM ファイルとして書き出し (openssl pkcs12 -legacy -in identity.p12 -nodes)、swanctl.conf のプロファイルと一緒にインポートするか、管理者に依頼してください。'));
    return;
  }
  const content = get(payload, 'PayloadContent');
  const text = content?.type === 'data' ? new TextDecoder('utf-8', { fatal: false }).decode(content.value) : '';
  const blocks = pemBlocks(text);
  const cert = blocks.find((b) => b.label === 'CERTIFICATE');
  const key = blocks.find((b) => /PRIVATE KEY$/.test(b.label));
  if (!cert || !key || key.encrypted) {
    r.error('MOBILECONFIG_MISSING_IDENTITY', payload.line, type ?? '', t(
      `'PayloadCertificateUUID' names a ${type ?? 'payload'} that holds ${cert ? 'a certificate but no unencrypted private key' : 'no certificate'}; a client identity needs both.`,
      `'PayloadCertificateUUID' が指す ${type ?? 'ペイロード'} には${cert ? '証明書はありますが、暗号化されていない秘密鍵がありません' : '証明書がありません'}。クライアントの ID には両方が必要です。`));
    return;
  }
  files.clientCert = cert.text;
  files.privateKey = key.text;
}

/**
 * `VPNType = IPSec` is Apple's "Cisco IPSec": IKEv1 with a group pre-shared key (aggressive mode,
 * the group name as a KeyID identity) or a certificate, then XAuth with the user's name and
 * password. charon 5.9 does all of it; the advisories on the model say why it is weaker.
 */
function readCiscoIpsec(r: Reader, payload: PlistNode, payloads: PlistNode[]): Ikev2ReadResult {
  const ipsec = get(payload, 'IPSec');
  const name = str(get(payload, 'UserDefinedName')) ?? str(get(payload, 'PayloadDisplayName'));
  if (ipsec?.type !== 'dict') {
    r.error('MOBILECONFIG_MISSING_KEY', payload.line, 'IPSec', t("the IPSec VPN payload has no 'IPSec' dictionary.", "IPSec VPN ペイロードに 'IPSec' 辞書がありません。"));
    return { ok: false, errors: r.errors };
  }
  const address = str(get(ipsec, 'RemoteAddress'));
  const parsed = address ? parseRemoteAddress(address) : null;
  if (!address || !parsed?.ok || parsed.value.kind !== 'host') {
    r.error(address ? 'MOBILECONFIG_BAD_VALUE' : 'MOBILECONFIG_MISSING_KEY', keyLine(ipsec, 'RemoteAddress'), address ?? 'RemoteAddress', t("'RemoteAddress' must name the VPN server.", "'RemoteAddress' には VPN サーバーを指定しなければなりません。"));
    return { ok: false, errors: r.errors };
  }
  r.lines.set('remote_addrs', keyLine(ipsec, 'RemoteAddress'));
  r.lines.set('version', keyLine(payload, 'VPNType'));
  const method = str(get(ipsec, 'AuthenticationMethod')) ?? 'SharedSecret';
  const group = str(get(ipsec, 'LocalIdentifier'));
  if (group?.endsWith('[hybrid]')) {
    r.error('MOBILECONFIG_UNSUPPORTED_VPN', keyLine(ipsec, 'LocalIdentifier'), group, t("the group name ends in '[hybrid]': Cisco's hybrid authentication, which Tsunagu does not support. Ask for a group pre-shared key or an IKEv2 profile.", "グループ名が '[hybrid]' で終わっています。これは Cisco のハイブリッド認証で、Tsunagu は対応していません。グループの事前共有鍵か IKEv2 のプロファイルを依頼してください。"));
    return { ok: false, errors: r.errors };
  }
  const files: Ikev2Files = { caCerts: [], serverCerts: [], clientCert: null, privateKey: null };
  const secrets = { psk: null as string | null, eapPassword: null as string | null, xauthPassword: null as string | null };
  const rounds: Ikev2LocalRound[] = [];
  if (method === 'SharedSecret') {
    const node = get(ipsec, 'SharedSecret');
    secrets.psk = node?.type === 'data' ? new TextDecoder().decode(node.value) : str(node);
    if (!secrets.psk) r.error('MOBILECONFIG_MISSING_KEY', ipsec.line, 'SharedSecret', t("the profile uses a shared secret but has no 'SharedSecret'.", "共有シークレットを使うのに 'SharedSecret' がありません。"));
    r.lines.set('secrets.psk', keyLine(ipsec, 'SharedSecret'));
    r.lines.set('aggressive', keyLine(ipsec, 'LocalIdentifier'));
    rounds.push({ auth: 'psk', id: group ? `keyid:${group}` : null, eapId: null, xauthId: null, usesClientCert: false });
  } else if (method === 'Certificate') {
    readIdentity(r, ipsec, payloads, files);
    rounds.push({ auth: 'pubkey', id: null, eapId: null, xauthId: null, usesClientCert: true });
  } else {
    r.error('MOBILECONFIG_BAD_VALUE', keyLine(ipsec, 'AuthenticationMethod'), method, t(`'AuthenticationMethod' is SharedSecret or Certificate, not '${method}'.`, `'AuthenticationMethod' は SharedSecret か Certificate です ('${method}' ではなく)。`));
  }
  if (flag(get(ipsec, 'XAuthEnabled'))) {
    const user = str(get(ipsec, 'XAuthName'));
    if (!user) r.error('MOBILECONFIG_MISSING_KEY', keyLine(ipsec, 'XAuthEnabled'), 'XAuthName', t("XAuth is on but the profile has no user name ('XAuthName'); add it to the IPSec dictionary.", "XAuth が有効ですが、ユーザー名 ('XAuthName') がありません。IPSec 辞書に追加してください。"));
    rounds.push({ auth: 'xauth', id: null, eapId: null, xauthId: user, usesClientCert: false });
    secrets.xauthPassword = str(get(ipsec, 'XAuthPassword')) || null;
  }
  for (const p of payloads) if (CA_PAYLOADS.has(str(get(p, 'PayloadType')) ?? '')) files.caCerts.push(...certificatePayloadPem(p));
  if (method === 'Certificate' && files.caCerts.length === 0) {
    r.error('MOBILECONFIG_CA_MISSING', ipsec.line, 'IPSec', t("the server proves itself with a certificate, but the profile holds no CA certificate (com.apple.security.root payload) to check it.", 'サーバーは証明書で自分を証明しますが、それを検証する CA 証明書 (com.apple.security.root ペイロード) がプロファイルにありません。'));
  }
  if (r.errors.length > 0) return { ok: false, errors: r.errors };
  const connection = connectionNameFrom(name, 'mobileconfig');
  const profile: Ikev2Profile = {
    kind: 'ikev2',
    connection,
    version: 1,
    remoteAddrs: [parsed.value.value],
    remotePort: null,
    localAddrs: [],
    local: rounds,
    // With a group key the key itself authenticates the server; Cisco servers identify by address.
    remote: { auth: method === 'SharedSecret' ? 'psk' : 'pubkey', id: method === 'SharedSecret' ? null : parsed.value.value, revocation: null },
    aggressive: method === 'SharedSecret' && group !== null,
    vips: ['0.0.0.0'],
    proposals: null,
    encap: false,
    mobike: false,
    dpdDelay: null,
    children: [{ name: connection, localTs: [], remoteTs: ['0.0.0.0/0'], espProposals: null, mode: 'tunnel', updown: null }],
    files,
    secrets,
    dnsServers: [],
  };
  const lineOf = (field: string): number => r.lines.get(field) ?? 0;
  return { ok: true, profile, advisories: [...r.advisories, ...ikev2Advisories(profile, lineOf)].sort((a, b) => a.line - b.line), ...(name ? { name } : {}) };
}
