/**
 * Server names that cannot be a real host: a template's `remote vpn-server-ip 1194` or
 * `Endpoint = your.server.example:51820` imports fine and then waits for a server that does not
 * exist. Precise on purpose (the real-world corpus gets no false positive): an IP address, a name
 * with a dot in an ordinary domain, and localhost are never placeholders.
 */
import ipaddr from 'ipaddr.js';
import type { LocalizedText } from './diagnostics.js';

/** Top-level domains reserved so that they never resolve (RFC 2606 / 6761). */
const RESERVED_TLDS = new Set(['example', 'invalid']);
/** Second-level names reserved for documentation (RFC 2606). */
const DOCUMENTATION_DOMAINS = new Set(['example.com', 'example.net', 'example.org']);
/** A label that only a template would use: your-server, yourdomain, server_ip, ip-address, xxx … */
const PLACEHOLDER_LABEL = /^(?:your|(?:your[-_]?|my[-_])(?:vpn|server|host|hostname|domain|company|ip|address|provider)[\w-]*|(?:vpn[-_]?)?server[-_]?(?:ip|address|name|host)|ip[-_]?address|hostname|changeme|placeholder|x+)$/;
/** A name that may be resolved as written: letters, digits, hyphens, underscores, dots. */
const HOST_CHARS = /^[a-z0-9_.-]+$/;

export type PlaceholderReason = 'no-dot' | 'reserved' | 'template' | 'not-a-name';

/** Why `host` cannot be a real server, or null when it may be one. */
export function placeholderHostReason(host: string): PlaceholderReason | null {
  const name = host.trim().toLowerCase().replace(/\.$/, '');
  if (name === '') return 'not-a-name';
  if (ipaddr.IPv4.isValidFourPartDecimal(name) || ipaddr.IPv6.isValid(name.replace(/%.*$/, ''))) return null;
  if (name === 'localhost' || name.endsWith('.localhost')) return null;
  if (!HOST_CHARS.test(name)) return 'not-a-name';
  const labels = name.split('.');
  if (labels.some((l) => PLACEHOLDER_LABEL.test(l))) return 'template';
  if (labels.length === 1) return 'no-dot';
  if (labels.some((l) => l === '')) return 'not-a-name';
  const tld = labels[labels.length - 1] ?? '';
  if (RESERVED_TLDS.has(tld) || DOCUMENTATION_DOMAINS.has(labels.slice(-2).join('.'))) return 'reserved';
  return null;
}

export function isPlaceholderHost(host: string): boolean {
  return placeholderHostReason(host) !== null;
}

/** The advisory's words, shared by OpenVPN's `remote` and WireGuard's `Endpoint`. */
export function placeholderHostText(host: string, line: number, directive: string): { message: LocalizedText; explanation: LocalizedText; fix: LocalizedText } {
  const where = line > 0 ? { en: `Line ${line}: `, ja: `${line} 行目: ` } : { en: '', ja: '' };
  return {
    message: {
      en: `${where.en}the server name '${host}' cannot be a real host; it looks like a placeholder from a template.`,
      ja: `${where.ja}サーバー名 '${host}' は実在のホスト名ではありません。テンプレートの仮の値のようです。`,
    },
    explanation: {
      en: 'A name without a domain, a reserved example domain or a template word is never found on the internet, so connecting would only wait and fail.',
      ja: 'ドメインのない名前、予約された例示用ドメイン、テンプレートの語はインターネット上で見つからないため、接続しても待った末に失敗します。',
    },
    fix: {
      en: `Ask your provider for the server's real name or address and put it in '${directive}', then import the profile again.`,
      ja: `提供元にサーバーの正しい名前またはアドレスを確認し、'${directive}' に設定してから、もう一度インポートしてください。`,
    },
  };
}
