/**
 * Legacy strongSwan `ipsec.conf` (read by `starter`, the stroke interface) with its companion
 * `ipsec.secrets` → Ikev2Profile, mapped as swanctl.conf's documentation maps the two
 * (vpn-formats / leak-protection-and-ikev2.md B4): `right` → remote_addrs, `left/rightauth[2]` →
 * local/remote rounds, `left/rightid`, `eap_identity`, `xauth_identity`, `leftsourceip=%config` →
 * vips, `left/rightsubnet` → traffic selectors, `ike`/`esp` → proposals, `keyexchange` → version,
 * `forceencaps` → encap; `PSK`/`EAP`/`XAUTH`/`RSA`/`ECDSA` secrets → the model's secrets and key.
 *
 * Only a road-warrior client connection imports. Refused: a gateway's configuration (address
 * pools, `right=%any`, clients expected to do EAP/XAuth), L2TP/IPsec and other transport-mode
 * setups, `leftupdown` scripts unless the policy allows scripts. `auto=` is ignored: Tsunagu
 * connects when asked. The syntax rules are starter's: a section header starts at column 0
 * (`conn name`, `ca name`, `config setup`), its parameters are indented `key=value` lines, `#`
 * starts a comment outside double quotes, `also=` pulls in another section, `conn %default` gives
 * defaults, and a section's own values win over the ones it includes.
 *
 * Also recognised, to be refused precisely: racoon.conf and setkey (ipsec-tools) files, which the
 * IPsec notes of many Linux guides still show; they are not strongSwan configurations.
 */
import type { Advisory, LocalizedText, ProfileError } from '../diagnostics.js';
import { profileError } from '../diagnostics.js';
import { readCompanionPem } from '../networkmanager/companion-pem.js';
import { DEFAULT_POLICY } from '../policy.js';
import { ikev2Advisories } from './advisories.js';
import type { Ikev2Files, Ikev2LocalAuth, Ikev2LocalRound, Ikev2Profile } from './model.js';
import { ikev2ServerConfigError, l2tpError, updownError } from './policy.js';
import type { Ikev2ReadOptions, Ikev2ReadResult } from './result.js';
import { parseAddress, parseDuration, parseIdentity, parsePort, parseProposals, parseRemoteAddress, parseTrafficSelector, parseVip, splitList, type Parsed } from './values.js';

export const IPSEC_CONF_MAX_BYTES = 512 * 1024;
const SECRETS_FILE = 'ipsec.secrets';
const MAX_ALSO_DEPTH = 16;

interface Param {
  key: string;
  value: string;
  line: number;
  column: number;
  source: string;
}

interface Section {
  kind: 'conn' | 'ca' | 'config';
  name: string;
  line: number;
  source: string;
  params: Param[];
}

const t = (en: string, ja: string): LocalizedText => ({ en, ja });

function located(code: string, line: number, column: number, text: string, m: LocalizedText): ProfileError {
  return profileError(code, { line, column }, text, line > 0 ? { en: `Line ${line}: ${m.en}`, ja: `${line} 行目: ${m.ja}` } : m);
}

/** The text of a line without its comment; a `#` inside double quotes is text. */
function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === '#' && !quoted) return line.slice(0, i);
  }
  return line;
}

function unquote(value: string): string {
  const v = value.trim();
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

function parseConf(text: string, errors: ProfileError[]): Section[] {
  const sections: Section[] = [];
  const seen = new Map<Section, Map<string, number>>();
  let current: Section | null = null;
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const source = (lines[i] ?? '').replace(/\r$/, '');
    const content = stripComment(source);
    if (content.trim() === '') continue;
    if (!/^[ \t]/.test(content)) {
      const words = content.trim().split(/[ \t]+/);
      const [head = '', name = ''] = words;
      if ((head === 'conn' || head === 'ca') && name !== '' && words.length === 2) {
        current = { kind: head, name, line: lineNo, source: source.trim(), params: [] };
        sections.push(current);
      } else if (head === 'config' && name === 'setup' && words.length === 2) {
        current = { kind: 'config', name, line: lineNo, source: source.trim(), params: [] };
        sections.push(current);
      } else if (head === 'version' && words.length === 2) {
        current = null;
      } else if (head === 'include') {
        errors.push(located('IPSEC_CONF_INCLUDE', lineNo, 1, source.trim(), t(
          `'include ${name}' reads other files, which an imported profile cannot do. Copy the connection from '${name}' into this file and import it again.`,
          `'include ${name}' はほかのファイルを読み込みますが、インポートするプロファイルではできません。'${name}' の接続をこのファイルにコピーして、もう一度インポートしてください。`)));
        current = null;
      } else {
        errors.push(located('IPSEC_CONF_SYNTAX', lineNo, 1, source.trim(), t(
          `'${content.trim()}' is not a section header ('conn <name>', 'ca <name>' or 'config setup'); settings inside a section must be indented.`,
          `'${content.trim()}' はセクション見出し ('conn <名前>'、'ca <名前>'、'config setup') ではありません。セクション内の設定は字下げしてください。`)));
        current = null;
      }
      continue;
    }
    const lead = content.length - content.trimStart().length;
    const body = content.trim();
    const eq = body.indexOf('=');
    if (!current || eq <= 0) {
      errors.push(located('IPSEC_CONF_SYNTAX', lineNo, lead + 1, source.trim(), current
        ? t(`'${body}' is not a 'key=value' setting.`, `'${body}' は 'キー=値' の設定ではありません。`)
        : t(`'${body}' is indented but belongs to no 'conn' or 'ca' section.`, `'${body}' は字下げされていますが、どの 'conn' や 'ca' セクションにも属していません。`)));
      continue;
    }
    const key = body.slice(0, eq).trim();
    const raw = body.slice(eq + 1).trim();
    const quotes = (raw.match(/"/g) ?? []).length;
    if (quotes % 2 !== 0) {
      errors.push(located('IPSEC_CONF_SYNTAX', lineNo, lead + 1, source.trim(), t(`the value of '${key}' opens a double quote it never closes.`, `'${key}' の値の二重引用符が閉じられていません。`)));
      continue;
    }
    const param = { key, value: unquote(raw), line: lineNo, column: lead + eq + 2, source: source.trim() };
    const first = seen.get(current)?.get(key);
    if (first !== undefined) {
      errors.push(located('IPSEC_CONF_DUPLICATE', lineNo, lead + 1, source.trim(), t(`'${key}' is set twice in '${current.kind} ${current.name}' (first on line ${first}); starter refuses that.`, `'${key}' が '${current.kind} ${current.name}' で 2 回設定されています (最初は ${first} 行目)。starter はこれを受け付けません。`)));
      continue;
    }
    if (!seen.has(current)) seen.set(current, new Map());
    seen.get(current)?.set(key, lineNo);
    current.params.push(param);
  }
  return sections;
}

/** The connection's settings: %default first, then each `also=` section, then its own (which win). */
function resolve(conn: Section, sections: Section[], errors: ProfileError[]): Map<string, Param> {
  const out = new Map<string, Param>();
  const apply = (s: Section, depth: number, seen: Set<string>): void => {
    for (const p of s.params) {
      if (p.key !== 'also') continue;
      const target = sections.find((x) => x.kind === 'conn' && x.name === p.value);
      if (!target) {
        errors.push(located('IPSEC_CONF_ALSO', p.line, p.column, p.source, t(`'also=${p.value}' names no 'conn ${p.value}' section in this file.`, `'also=${p.value}' が指す 'conn ${p.value}' セクションがこのファイルにありません。`)));
      } else if (seen.has(target.name) || depth >= MAX_ALSO_DEPTH) {
        errors.push(located('IPSEC_CONF_ALSO', p.line, p.column, p.source, t(`'also=${p.value}' includes sections in a loop.`, `'also=${p.value}' がセクションを循環して取り込んでいます。`)));
      } else apply(target, depth + 1, new Set([...seen, target.name]));
    }
    for (const p of s.params) if (p.key !== 'also') out.set(p.key, p);
  };
  const defaults = sections.find((s) => s.kind === 'conn' && s.name === '%default');
  if (defaults && defaults !== conn) apply(defaults, 0, new Set(['%default']));
  apply(conn, 0, new Set([conn.name]));
  // An empty value (`key=`) resets what %default or an included section set.
  for (const [k, p] of out) if (p.value === '') out.delete(k);
  return out;
}

// ---------------------------------------------------------------------------------------------
// ipsec.secrets

interface SecretEntry {
  selectors: string[];
  type: string;
  value: string;
  /** For RSA/ECDSA/PKCS8: a passphrase after the file name. */
  extra: string | null;
  line: number;
}

function secretsError(line: number, m: LocalizedText, code = 'IPSEC_SECRETS_SYNTAX'): ProfileError {
  return profileError(code, { line: 0 }, `${SECRETS_FILE}:${line}`, { en: `${SECRETS_FILE}, line ${line}: ${m.en}`, ja: `${SECRETS_FILE} の ${line} 行目: ${m.ja}` });
}

/** One value: "quoted" (a `"` inside is not possible), 0x hex, 0s base64 or a bare word. */
function secretToken(text: string): { value: string; rest: string } | null {
  const s = text.trimStart();
  if (s.startsWith('"')) {
    const end = s.indexOf('"', 1);
    return end < 0 ? null : { value: s.slice(1, end), rest: s.slice(end + 1) };
  }
  const m = /^(\S+)/.exec(s);
  if (!m) return null;
  const word = m[1] ?? '';
  if (/^0x[0-9a-f]+$/i.test(word)) {
    const hex = word.slice(2);
    const bytes = hex.match(/../g)?.map((h) => String.fromCharCode(parseInt(h, 16))).join('') ?? '';
    return { value: bytes, rest: s.slice(word.length) };
  }
  if (/^0s[A-Za-z0-9+/=]+$/.test(word)) {
    try {
      return { value: atob(word.slice(2)), rest: s.slice(word.length) };
    } catch {
      return null;
    }
  }
  return { value: word, rest: s.slice(word.length) };
}

function parseSecrets(text: string, errors: ProfileError[]): SecretEntry[] {
  const entries: SecretEntry[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const content = stripComment((lines[i] ?? '').replace(/\r$/, '')).trim();
    if (content === '') continue;
    if (/^include\s/.test(content)) {
      errors.push(secretsError(line, t(`'${content}' reads other files; copy the secrets it names into ${SECRETS_FILE}.`, `'${content}' はほかのファイルを読み込みます。そこにあるシークレットを ${SECRETS_FILE} にコピーしてください。`)));
      continue;
    }
    const m = /^(.*?)\s*:\s*(PSK|EAP|XAUTH|NTLM|RSA|ECDSA|BLISS|PKCS8|P12|PIN)\s+(.*)$/i.exec(content);
    if (!m) {
      errors.push(secretsError(line, t(`'${content.slice(0, 40)}' is not a secret ('[ids] : PSK "…"', 'user : EAP "…"', ': RSA key.pem').`, `'${content.slice(0, 40)}' はシークレットの行 ('[ID] : PSK "…"'、'ユーザー : EAP "…"'、': RSA key.pem') ではありません。`)));
      continue;
    }
    const token = secretToken(m[3] ?? '');
    if (!token) {
      errors.push(secretsError(line, t('the secret value opens a double quote it never closes.', 'シークレットの値の二重引用符が閉じられていません。')));
      continue;
    }
    const extra = secretToken(token.rest);
    entries.push({ selectors: (m[1] ?? '').split(/\s+/).filter((s) => s !== '').map(unquote), type: (m[2] ?? '').toUpperCase(), value: token.value, extra: extra && extra.value !== '' ? extra.value : null, line });
  }
  return entries;
}

/** The entry of `types` whose selectors name one of `ids`, else one with no selectors, else the only one. */
function pickSecret(entries: SecretEntry[], types: string[], ids: Array<string | null>): SecretEntry | undefined {
  const wanted = ids.filter((x): x is string => x !== null).map((x) => x.replace(/^@/, ''));
  const candidates = entries.filter((e) => types.includes(e.type));
  return candidates.find((e) => e.selectors.some((s) => wanted.includes(s.replace(/^@/, ''))))
    ?? candidates.find((e) => e.selectors.length === 0 || e.selectors.every((s) => s === '%any' || s === '%any6'))
    ?? (candidates.length === 1 ? candidates[0] : undefined);
}

// ---------------------------------------------------------------------------------------------
// Detection

/** By content: a `conn <name>` or `config setup` header at column 0 (racoon and setkey files too). */
export function looksLikeIpsecConf(text: string): boolean {
  if (typeof text !== 'string') return false;
  let n = 0;
  for (const raw of text.split('\n')) {
    if (++n > 5000) return false;
    const line = stripComment(raw).replace(/\r$/, '');
    if (/^(conn[ \t]+\S+|config[ \t]+setup)[ \t]*$/.test(line)) return true;
    if (/^(spdadd|spdflush|flush)\b.*;\s*$/.test(line.trim()) || /^(remote[ \t]+\S+.*\{|sainfo[ \t]+.*\{)\s*$/.test(line.trim())) return true;
  }
  return false;
}

/** racoon.conf / setkey input: refused with what they are. */
function ipsecToolsError(text: string): ProfileError | null {
  const lines = text.split('\n');
  const racoon = lines.findIndex((l) => /^\s*(remote\s+\S+.*\{|sainfo\s+.*\{)\s*$/.test(stripComment(l)));
  const setkey = lines.findIndex((l) => /^\s*(spdadd|spdflush|flush)\b.*;\s*$/.test(stripComment(l)));
  const at = racoon >= 0 ? racoon : setkey;
  if (at < 0 || lines.some((l) => /^conn[ \t]+\S+/.test(l))) return null;
  const what = racoon >= 0 ? t('a racoon (ipsec-tools) configuration', 'racoon (ipsec-tools) の設定') : t('a setkey (ipsec-tools) policy file', 'setkey (ipsec-tools) のポリシーファイル');
  return located('IPSEC_CONF_IPSEC_TOOLS', at + 1, 1, (lines[at] ?? '').trim(), t(
    `this is ${what.en}, not a strongSwan connection. ipsec-tools is no longer maintained and Tsunagu does not run it; ask your administrator for the connection as swanctl.conf (or ipsec.conf), .sswan or .mobileconfig.`,
    `これは strongSwan の接続ではなく${what.ja}です。ipsec-tools は保守されておらず、Tsunagu は使いません。管理者に swanctl.conf (または ipsec.conf)、.sswan、.mobileconfig の形式の接続を依頼してください。`));
}

// ---------------------------------------------------------------------------------------------
// Mapping

/** Settings that only tune timers, retries or logging: charon's defaults apply. */
const IGNORED = new Set([
  'ikelifetime', 'lifetime', 'keylife', 'rekeymargin', 'margintime', 'rekeyfuzz', 'keyingtries', 'rekey', 'reauth', 'fragmentation', 'closeaction',
  'dpdtimeout', 'inactivity', 'compress', 'installpolicy', 'leftsendcert', 'rightsendcert', 'leftca', 'rightca', 'modeconfig', 'leftikeport',
  'rightikeport', 'replay_window', 'sha256_truncbug', 'keyexchange', 'ikedscp', 'xauth', 'leftgroups', 'rightgroups', 'leftcertpolicy', 'rightcertpolicy',
  'leftdns', 'rightdns', 'lefthostaccess', 'leftallowany', 'rightallowany', 'unique', 'mediation', 'eap', 'pfs', 'pfsgroup',
]);

/** Keys read by the mapping (so they are not reported as ignored). */
const MAPPED = new Set([
  'left', 'right', 'leftid', 'rightid', 'leftauth', 'rightauth', 'leftauth2', 'rightauth2', 'authby', 'eap_identity', 'aaa_identity', 'xauth_identity',
  'leftsourceip', 'rightsourceip', 'leftsubnet', 'rightsubnet', 'leftprotoport', 'rightprotoport', 'ike', 'esp', 'keyexchange', 'forceencaps',
  'auto', 'type', 'leftcert', 'rightcert', 'leftupdown', 'rightupdown', 'leftfirewall', 'rightfirewall', 'aggressive', 'mobike', 'dpddelay', 'dpdaction', 'also',
]);

class Reader {
  readonly errors: ProfileError[] = [];
  readonly advisories: Advisory[] = [];
  readonly lines = new Map<string, number>();
  readonly inlined: string[] = [];

  constructor(readonly params: Map<string, Param>, readonly options: Ikev2ReadOptions) {}

  get(key: string): Param | undefined {
    return this.params.get(key);
  }

  error(code: string, p: Param | { line: number; column: number; source: string }, m: LocalizedText): void {
    this.errors.push(located(code, p.line, p.column, p.source, m));
  }

  parsed<T>(p: Param, value: string, result: Parsed<T>): T | undefined {
    if (result.ok) return result.value;
    this.error('IPSEC_CONF_BAD_VALUE', p, { en: `'${p.key}=${value}': ${result.reason.en}`, ja: `'${p.key}=${value}': ${result.reason.ja}` });
    return undefined;
  }

  advise(code: string, severity: Advisory['severity'], line: number, message: LocalizedText, explanation: LocalizedText): void {
    this.advisories.push({ code, severity, line, message: line > 0 ? { en: `Line ${line}: ${message.en}`, ja: `${line} 行目: ${message.ja}` } : message, explanation });
  }
}

/** Why a conn is a gateway's (the param to point at), or null for a client. */
function serverReason(params: Map<string, Param>): Param | null {
  const right = params.get('right');
  if (params.get('rightsourceip')) return params.get('rightsourceip') ?? null;
  if (right && (/^%any[46]?$/.test(right.value) || right.value.includes('/') || /^\d[\d.]*-\d/.test(right.value))) return right;
  const rightauth = params.get('rightauth') ?? params.get('rightauth2');
  if (rightauth && /^(eap|xauth)/.test(rightauth.value)) return rightauth;
  const authby = params.get('authby');
  if (authby && /^xauth\w*server$/.test(authby.value)) return authby;
  return null;
}

/** A stroke `ike=`/`esp=` list: without a final `!` charon appends its defaults, which swanctl writes as `default`. */
function proposals(r: Reader, key: 'ike' | 'esp'): string[] | null {
  const p = r.get(key);
  if (!p) return null;
  const strict = p.value.trim().endsWith('!');
  const list = r.parsed(p, p.value, parseProposals(p.value.trim().replace(/!$/, '')));
  if (!list) return null;
  r.lines.set(key === 'ike' ? 'proposals' : 'esp_proposals', p.line);
  return strict || list.includes('default') ? list : [...list, 'default'];
}

function authOf(value: string): Ikev2LocalAuth | 'unsupported' {
  if (value === 'psk' || value === 'secret') return 'psk';
  if (value === 'pubkey' || value === 'rsa' || value === 'rsasig' || value === 'ecdsa' || value === 'ecdsasig' || value.startsWith('rsa-') || value.startsWith('ecdsa-')) return 'pubkey';
  if (value === 'eap-mschapv2') return 'eap-mschapv2';
  if (value === 'eap-tls') return 'eap-tls';
  if (value === 'eap' || value === 'eap-md5' || value === 'eap-gtc' || value === 'eap-radius') return 'eap';
  if (value === 'xauth' || value.startsWith('xauth-')) return 'xauth';
  return 'unsupported';
}

function readConn(r: Reader, conn: Section, sections: Section[], secrets: SecretEntry[] | null): Ikev2Profile | null {
  const policy = r.options.policy ?? DEFAULT_POLICY;
  // L2TP/IPsec and transport mode first: their other settings do not matter.
  const type = r.get('type');
  const protoports = ['leftprotoport', 'rightprotoport'].map((k) => r.get(k)).filter((p): p is Param => p !== undefined);
  const l2tpPort = protoports.find((p) => /^(17|udp)\/(1701|l2tp|%any)?$/i.test(p.value) && /1701|l2tp/i.test(p.value));
  if (l2tpPort) {
    r.errors.push(l2tpError(l2tpPort.line, l2tpPort.column, l2tpPort.source, true));
    return null;
  }
  if (type && type.value !== 'tunnel') {
    if (type.value === 'transport') r.errors.push(l2tpError(type.line, type.column, type.source, false));
    else r.error('IPSEC_CONF_UNSUPPORTED', type, t(`'type=${type.value}' installs a ${type.value} policy, not a VPN tunnel; Tsunagu imports tunnel connections only.`, `'type=${type.value}' は VPN トンネルではなく ${type.value} ポリシーを設定します。Tsunagu がインポートできるのはトンネル接続だけです。`));
    return null;
  }
  for (const key of ['leftupdown', 'rightupdown']) {
    const p = r.get(key);
    if (p && !policy.allowScripts) r.errors.push(updownError(p.line, p.column, p.source, key));
  }
  const fw = r.get('leftfirewall');
  if (fw && fw.value === 'yes') {
    r.advise('IPSEC_CONF_FIREWALL_IGNORED', 'info', fw.line, t("'leftfirewall=yes' is not imported.", "'leftfirewall=yes' はインポートしません。"), t("It makes charon run its iptables script as root; Tsunagu sets up the tunnel's routing and firewall itself.", 'これは charon に root 権限で iptables スクリプトを実行させます。Tsunagu はトンネルのルーティングとファイアウォールを自ら設定します。'));
  }

  // Version and authentication.
  const keyexchange = r.get('keyexchange');
  let version: 1 | 2 = 2;
  if (keyexchange) {
    if (keyexchange.value === 'ikev1') version = 1;
    else if (!['ikev2', 'ike'].includes(keyexchange.value)) r.error('IPSEC_CONF_BAD_VALUE', keyexchange, t(`'keyexchange' is ike, ikev1 or ikev2, not '${keyexchange.value}'.`, `'keyexchange' は ike、ikev1、ikev2 のいずれかです ('${keyexchange.value}' ではなく)。`));
    r.lines.set('version', keyexchange.line);
  }
  const authby = r.get('authby');
  let leftAuth = r.get('leftauth')?.value;
  let leftAuth2 = r.get('leftauth2')?.value;
  let rightAuth = r.get('rightauth')?.value;
  if (authby && !leftAuth && !rightAuth) {
    // authby is the old shorthand for both sides (xauth… adds a second, XAuth round for us).
    const map: Record<string, [string, string | undefined]> = {
      secret: ['psk', undefined], psk: ['psk', undefined], rsasig: ['pubkey', undefined], pubkey: ['pubkey', undefined], ecdsasig: ['pubkey', undefined],
      xauthpsk: ['psk', 'xauth'], xauthrsasig: ['pubkey', 'xauth'],
    };
    const m = map[authby.value];
    if (!m) {
      r.error('IPSEC_CONF_BAD_VALUE', authby, t(`'authby=${authby.value}' is not a way a client can authenticate (secret, pubkey, xauthpsk, xauthrsasig).`, `'authby=${authby.value}' はクライアントの認証方法 (secret、pubkey、xauthpsk、xauthrsasig) ではありません。`));
      return null;
    }
    [leftAuth, leftAuth2] = [m[0], leftAuth2 ?? m[1]];
    rightAuth = m[0];
  }
  leftAuth ??= 'pubkey';
  const leftAuthParam = r.get('leftauth') ?? authby;
  const rounds: Ikev2LocalRound[] = [];
  const leftIdParam = r.get('leftid');
  const leftId = leftIdParam ? (r.parsed(leftIdParam, leftIdParam.value, parseIdentity(leftIdParam.value)) ?? null) : null;
  const identity = (key: string): string | null => {
    const p = r.get(key);
    if (!p || p.value === '%identity') return null;
    return r.parsed(p, p.value, parseIdentity(p.value)) ?? null;
  };
  const eapId = identity('eap_identity');
  const xauthId = identity('xauth_identity');
  for (const [i, value] of [leftAuth, leftAuth2].entries()) {
    if (value === undefined) continue;
    const auth = authOf(value);
    const param = (i === 0 ? leftAuthParam : r.get('leftauth2')) ?? { line: conn.line, column: 1, source: conn.source };
    if (auth === 'unsupported') {
      r.error('IPSEC_CONF_BAD_VALUE', param, t(`'${value}' is not an authentication Tsunagu can do (psk, pubkey, eap-mschapv2, eap-tls, eap, xauth).`, `'${value}' は Tsunagu が使える認証方式 (psk、pubkey、eap-mschapv2、eap-tls、eap、xauth) ではありません。`));
      continue;
    }
    if (auth === 'xauth' && version !== 1) {
      r.error('IPSEC_CONF_BAD_VALUE', param, t('XAuth is part of IKEv1; set keyexchange=ikev1 (or use EAP with IKEv2).', 'XAuth は IKEv1 の仕組みです。keyexchange=ikev1 を設定してください (IKEv2 なら EAP を使います)。'));
      continue;
    }
    const isEap = auth.startsWith('eap');
    rounds.push({
      auth,
      id: i === 0 ? leftId : null,
      eapId: isEap ? eapId : null,
      xauthId: auth === 'xauth' ? xauthId : null,
      usesClientCert: auth === 'pubkey' || auth === 'eap-tls',
    });
  }
  rightAuth ??= 'pubkey';
  const remoteAuth = authOf(rightAuth);
  if (remoteAuth !== 'psk' && remoteAuth !== 'pubkey') {
    const p = r.get('rightauth') ?? authby ?? { line: conn.line, column: 1, source: conn.source };
    r.error('IPSEC_CONF_BAD_VALUE', p, t(`'rightauth=${rightAuth}': a server proves itself with a certificate (pubkey) or a pre-shared key (psk).`, `'rightauth=${rightAuth}': サーバーは証明書 (pubkey) か事前共有鍵 (psk) で自分を証明します。`));
  }

  // The server.
  const right = r.get('right');
  const remoteAddrs: string[] = [];
  if (!right) {
    r.error('IPSEC_CONF_MISSING', { line: conn.line, column: 1, source: conn.source }, t(`'conn ${conn.name}' has no 'right=' (the VPN server).`, `'conn ${conn.name}' に 'right=' (VPN サーバー) がありません。`));
  } else {
    for (const item of splitList(right.value)) {
      const a = r.parsed(right, item, parseRemoteAddress(item));
      if (a && a.kind === 'host') remoteAddrs.push(a.value);
    }
    r.lines.set('remote_addrs', right.line);
  }
  const rightIdParam = r.get('rightid');
  const rightId = rightIdParam ? (r.parsed(rightIdParam, rightIdParam.value, parseIdentity(rightIdParam.value)) ?? null) : (remoteAddrs[0] ?? null);
  const left = r.get('left');
  const localAddrs: string[] = [];
  if (left && !/^%(defaultroute|any[46]?)$/.test(left.value)) {
    const a = parseAddress(left.value);
    if (a === null) r.error('IPSEC_CONF_BAD_VALUE', left, t(`'left=${left.value}': a client's own address is %defaultroute, %any or an IP address.`, `'left=${left.value}': クライアント自身のアドレスは %defaultroute、%any、または IP アドレスです。`));
    else localAddrs.push(a);
  }

  // Virtual IP and traffic selectors.
  const vips: string[] = [];
  const sourceip = r.get('leftsourceip');
  if (sourceip) {
    for (const item of splitList(sourceip.value)) {
      // Plain %config asks for an address of the server's family.
      if (/^%(config|cfg|modeconfig|modecfg)$/.test(item)) vips.push(remoteAddrs[0]?.includes(':') ? '::' : '0.0.0.0');
      else if (/^%(config|cfg|modeconfig|modecfg)4$/.test(item)) vips.push('0.0.0.0');
      else if (/^%(config|cfg|modeconfig|modecfg)6$/.test(item)) vips.push('::');
      else {
        const v = r.parsed(sourceip, item, parseVip(item));
        if (v) vips.push(v);
      }
    }
  }
  const selectors = (subnetKey: string, portKey: string): string[] => {
    const subnet = r.get(subnetKey);
    const port = r.get(portKey);
    const suffix = port ? `[${port.value}]` : '';
    const items = subnet ? splitList(subnet.value) : port ? ['dynamic'] : [];
    return items.flatMap((item) => {
      const p = subnet ?? port;
      if (!p) return [];
      const ts = r.parsed(p, item, parseTrafficSelector(`${item}${item.includes('[') ? '' : suffix}`));
      return ts ? [ts.text] : [];
    });
  };
  const localTs = selectors('leftsubnet', 'leftprotoport');
  const remoteTs = selectors('rightsubnet', 'rightprotoport');

  // Certificates and secrets.
  const files: Ikev2Files = { caCerts: [], serverCerts: [], clientCert: null, privateKey: null };
  const readPem = (p: Param, want: 'certificates' | 'key'): string[] => {
    const res = readCompanionPem(p.value, r.options.files, want);
    if (res.ok) {
      r.inlined.push(res.name);
      return res.pem;
    }
    r.error(res.missing ? 'IPSEC_FILE_MISSING' : 'IPSEC_FILE_UNUSABLE', p, { en: `'${p.key}=${p.value}': ${res.reason.en}.`, ja: `'${p.key}=${p.value}': ${res.reason.ja}。` });
    return [];
  };
  const usesCert = rounds.some((x) => x.usesClientCert);
  const leftcert = r.get('leftcert');
  if (usesCert && !leftcert) r.error('IPSEC_CONF_MISSING', leftAuthParam ?? { line: conn.line, column: 1, source: conn.source }, t("the client authenticates with a certificate, but no 'leftcert=' names it.", "クライアントは証明書で認証しますが、それを指定する 'leftcert=' がありません。"));
  if (leftcert && usesCert) files.clientCert = readPem(leftcert, 'certificates')[0] ?? null;
  const rightcert = r.get('rightcert');
  if (rightcert) files.serverCerts = readPem(rightcert, 'certificates');
  for (const ca of sections.filter((s) => s.kind === 'ca')) {
    const cacert = ca.params.find((p) => p.key === 'cacert');
    if (cacert) files.caCerts.push(...readPem(cacert, 'certificates'));
  }
  if (remoteAuth === 'pubkey' && files.caCerts.length === 0 && files.serverCerts.length === 0) {
    r.error('IPSEC_CONF_CA_MISSING', right ?? { line: conn.line, column: 1, source: conn.source }, t(
      "the server proves itself with a certificate, but no CA certificate is given to check it (starter took them from /etc/ipsec.d/cacerts). Add a section 'ca vpn-ca' with an indented 'cacert=<CA file>' line, and import the file with the profile.",
      "サーバーは証明書で自分を証明しますが、それを検証する CA 証明書が指定されていません (starter は /etc/ipsec.d/cacerts から読み込んでいました)。字下げした 'cacert=<CA ファイル>' の行を持つ 'ca vpn-ca' セクションを追加し、そのファイルをプロファイルと一緒にインポートしてください。"));
  }

  const secretsOut = { psk: null as string | null, eapPassword: null as string | null, xauthPassword: null as string | null };
  const needsPsk = rounds.some((x) => x.auth === 'psk') || remoteAuth === 'psk';
  const rightValue = right?.value ?? null;
  if (secrets === null && needsPsk) {
    r.error('IPSEC_FILE_MISSING', leftAuthParam ?? { line: conn.line, column: 1, source: conn.source }, t(`this connection uses a pre-shared key, which is kept in '${SECRETS_FILE}'. Import that file together with ipsec.conf (in the same folder or .zip).`, `この接続は事前共有鍵を使い、それは '${SECRETS_FILE}' にあります。そのファイルを ipsec.conf と一緒に (同じフォルダーまたは .zip で) インポートしてください。`));
  }
  if (secrets) {
    if (needsPsk) {
      const psk = pickSecret(secrets, ['PSK'], [rightId, rightValue, leftId]);
      if (!psk) r.error('IPSEC_CONF_SECRETS_MISSING', leftAuthParam ?? { line: conn.line, column: 1, source: conn.source }, t(`'${SECRETS_FILE}' has no PSK for this connection (for '${rightId ?? rightValue ?? ''}' or without selectors).`, `'${SECRETS_FILE}' にこの接続の PSK ('${rightId ?? rightValue ?? ''}' 向け、またはセレクターなし) がありません。`));
      else {
        secretsOut.psk = psk.value;
        r.lines.set('secrets.psk', 0);
      }
    }
    const eapUser = eapId ?? leftId;
    if (rounds.some((x) => x.auth.startsWith('eap') && x.auth !== 'eap-tls')) secretsOut.eapPassword = pickSecret(secrets, ['EAP'], [eapUser])?.value ?? null;
    if (rounds.some((x) => x.auth === 'xauth')) secretsOut.xauthPassword = pickSecret(secrets, ['XAUTH'], [xauthId ?? leftId])?.value ?? null;
    if (usesCert) {
      const key = pickSecret(secrets, ['RSA', 'ECDSA', 'PKCS8'], [leftcert?.value ?? null]);
      if (key) {
        if (key.extra !== null) {
          r.errors.push(secretsError(key.line, t(`the private key '${key.value}' is protected by a passphrase; save it unencrypted (openssl pkey -in ${key.value} -out plain.key), name that file here and import it.`, `秘密鍵 '${key.value}' はパスフレーズで保護されています。暗号化を外して保存し (openssl pkey -in ${key.value} -out plain.key)、そのファイル名をここに書いてインポートしてください。`), 'IPSEC_FILE_UNUSABLE'));
        } else {
          const res = readCompanionPem(key.value, r.options.files, 'key');
          if (res.ok) {
            files.privateKey = res.pem[0] ?? null;
            r.inlined.push(res.name);
          } else r.errors.push(secretsError(key.line, res.reason, res.missing ? 'IPSEC_FILE_MISSING' : 'IPSEC_FILE_UNUSABLE'));
        }
      }
    }
  }
  if (usesCert && files.privateKey === null && !r.errors.some((e) => e.code.startsWith('IPSEC_FILE_') || e.code === 'IPSEC_SECRETS_SYNTAX')) {
    r.error('IPSEC_CONF_SECRETS_MISSING', leftcert ?? { line: conn.line, column: 1, source: conn.source }, t(`the client certificate needs its private key: add ': RSA <key file>' (or ECDSA) to '${SECRETS_FILE}' and import both files with ipsec.conf.`, `クライアント証明書には秘密鍵が必要です。'${SECRETS_FILE}' に ': RSA <鍵ファイル>' (または ECDSA) を追加し、両方のファイルを ipsec.conf と一緒にインポートしてください。`));
  }

  // Options.
  const yes = (key: string): boolean | null => {
    const p = r.get(key);
    if (!p) return null;
    if (p.value === 'yes') return true;
    if (p.value === 'no') return false;
    r.error('IPSEC_CONF_BAD_VALUE', p, t(`'${key}' is yes or no, not '${p.value}'.`, `'${key}' は yes か no です ('${p.value}' ではなく)。`));
    return null;
  };
  const aggressive = yes('aggressive') ?? false;
  if (aggressive) r.lines.set('aggressive', r.get('aggressive')?.line ?? 0);
  const dpdaction = r.get('dpdaction')?.value ?? 'none';
  const dpd = r.get('dpddelay');
  const dpdDelay = dpd && dpdaction !== 'none' ? (r.parsed(dpd, dpd.value, parseDuration(dpd.value)) ?? null) : null;
  const port = r.get('rightikeport');
  const remotePort = port ? (r.parsed(port, port.value, parsePort(port.value)) ?? null) : null;

  const auto = r.get('auto');
  if (auto) r.advise('IPSEC_CONF_AUTO_IGNORED', 'info', auto.line, t(`'auto=${auto.value}' is ignored.`, `'auto=${auto.value}' は無視します。`), t('Tsunagu starts the connection when you connect (or at start, if you choose that in its settings).', 'Tsunagu は接続を指示したとき (または設定で選んだ場合は起動時) に接続を開始します。'));
  const ignored: string[] = [];
  for (const [key, p] of r.params) {
    if (MAPPED.has(key) || key === 'rightikeport') continue;
    if (IGNORED.has(key)) ignored.push(key);
    else r.advise('IPSEC_CONF_KEY_UNKNOWN', 'warning', p.line, t(`'${key}' is not a setting Tsunagu imports, so it is left out.`, `'${key}' は Tsunagu がインポートしない設定のため、取り込みません。`), t('Check the connection after import.', 'インポート後に接続を確認してください。'));
  }
  if (ignored.length > 0) {
    r.advise('IPSEC_CONF_IGNORED_SETTINGS', 'info', conn.line, t(`Left to charon's defaults: ${ignored.join(', ')}.`, `charon の既定値に任せる設定: ${ignored.join(', ')}。`), t('These settings tune timers, retries and negotiation details; they change no security property.', 'これらはタイマー、再試行、交渉の細部を調整する設定です。セキュリティ上の性質は変わりません。'));
  }
  if (r.errors.length > 0) return null;
  const updown = policy.allowScripts ? (r.get('leftupdown')?.value ?? null) : null;
  const name = conn.name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'ipsec-conf';
  return {
    kind: 'ikev2',
    connection: name,
    version,
    remoteAddrs,
    remotePort,
    localAddrs,
    local: rounds,
    remote: { auth: remoteAuth === 'psk' ? 'psk' : 'pubkey', id: rightId, revocation: null },
    aggressive,
    vips,
    proposals: proposals(r, 'ike'),
    encap: yes('forceencaps') ?? false,
    mobike: version === 2 ? (yes('mobike') ?? true) : false,
    dpdDelay,
    children: [{ name, localTs, remoteTs, espProposals: proposals(r, 'esp'), mode: 'tunnel', updown }],
    files,
    secrets: secretsOut,
    dnsServers: [],
  };
}

/** Reads ipsec.conf text (with `ipsec.secrets` from the companion files) into the model. Never throws. */
export function readIpsecConf(text: string, options: Ikev2ReadOptions = {}): Ikev2ReadResult {
  try {
    return read(text, options);
  } catch {
    return { ok: false, errors: [located('IPSEC_CONF_INTERNAL', 0, 1, '', t('This ipsec.conf could not be read because of an internal error. Please report it.', '内部エラーのため、この ipsec.conf を読み込めませんでした。報告をお願いします。'))] };
  }
}

function read(text: string, options: Ikev2ReadOptions): Ikev2ReadResult {
  if (text.length > IPSEC_CONF_MAX_BYTES) {
    return { ok: false, errors: [located('IPSEC_CONF_TOO_LARGE', 0, 1, '', t(`This file is ${Math.ceil(text.length / 1024)} KiB; an ipsec.conf is a few kilobytes. Check that it is the right file.`, `このファイルは ${Math.ceil(text.length / 1024)} KiB あります。ipsec.conf は数 KB です。正しいファイルか確認してください。`))] };
  }
  const tools = ipsecToolsError(text);
  if (tools) return { ok: false, errors: [tools] };
  const errors: ProfileError[] = [];
  const sections = parseConf(text, errors);
  if (errors.length > 0) return { ok: false, errors };
  const conns = sections.filter((s) => s.kind === 'conn' && s.name !== '%default');
  if (conns.length === 0) {
    return { ok: false, errors: [located('IPSEC_CONF_NO_CONNECTION', 0, 1, '', t("there is no 'conn <name>' section (only defaults or 'config setup'), so there is no connection to import.", "'conn <名前>' セクションがない (既定値や 'config setup' だけ) ため、インポートする接続がありません。"))] };
  }
  const resolved = conns.map((c) => ({ conn: c, params: resolve(c, sections, errors) }));
  if (errors.length > 0) return { ok: false, errors };
  // A conn other sections include with also= is a building block; `auto=ignore` ones too.
  const included = new Set(sections.flatMap((s) => s.params.filter((p) => p.key === 'also').map((p) => p.value)));
  const candidates = resolved.filter((c) => !included.has(c.conn.name) && c.conn.params.find((p) => p.key === 'auto')?.value !== 'ignore');
  const pool = candidates.length > 0 ? candidates : resolved;
  const client = pool.find((c) => serverReason(c.params) === null);
  if (!client) {
    const reason = pool[0] ? serverReason(pool[0].params) : null;
    return { ok: false, errors: [ikev2ServerConfigError(reason?.line ?? 0, reason?.source ?? '', reason?.column ?? 1)] };
  }
  let secrets: SecretEntry[] | null = null;
  const secretsBytes = options.files?.read(SECRETS_FILE) ?? null;
  if (secretsBytes !== null) {
    const secretErrors: ProfileError[] = [];
    secrets = parseSecrets(new TextDecoder('utf-8', { fatal: false }).decode(secretsBytes), secretErrors);
    if (secretErrors.length > 0) return { ok: false, errors: secretErrors };
  }
  const r = new Reader(client.params, options);
  const profile = readConn(r, client.conn, sections, secrets);
  if (!profile) return { ok: false, errors: r.errors.sort((a, b) => a.line - b.line) };
  const others = pool.filter((c) => c !== client).map((c) => c.conn.name);
  if (others.length > 0) {
    r.advise('IPSEC_CONF_OTHER_CONNECTIONS', 'info', client.conn.line, t(`Only the connection '${client.conn.name}' is imported; also in the file: ${others.join(', ')}.`, `接続 '${client.conn.name}' だけを取り込みます。ファイル内のほかの接続: ${others.join(', ')}。`), t('A Tsunagu profile is one connection. Move the one you need first and import the file again.', 'Tsunagu のプロファイルは 1 つの接続です。必要な接続を先頭に移して、もう一度インポートしてください。'));
  }
  if (secrets !== null) r.inlined.push(SECRETS_FILE);
  const lineOf = (field: string): number => r.lines.get(field) ?? 0;
  return { ok: true, profile, advisories: [...r.advisories, ...ikev2Advisories(profile, lineOf)].sort((a, b) => a.line - b.line), inlinedFiles: [...new Set(r.inlined)] };
}
