/**
 * Value syntax shared by every IKEv2 sub-format: strongSwan booleans and durations, proposal
 * lists, traffic selectors, virtual IPs, server addresses and identities. Each returns the
 * model's canonical form, or a reason (in both languages) why the value is not one.
 */
import ipaddr from 'ipaddr.js';
import type { LocalizedText } from '../diagnostics.js';
import { formatAddress, normalizePrefix } from '../routes.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: LocalizedText };

/**
 * A connection name from a display name (a NetworkManager `id`, a mobileconfig's UserDefinedName):
 * runs of other characters become '-', 48 characters at most, `fallback` when nothing is left.
 */
export function connectionNameFrom(name: string | null, fallback: string): string {
  const n = (name ?? '').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 48);
  return n === '' ? fallback : n;
}

function bad<T>(en: string, ja: string): Parsed<T> {
  return { ok: false, reason: { en, ja } };
}

/** settings_value_as_bool(): yes/true/enabled/1 and no/false/disabled/0. */
export function parseBool(value: string): Parsed<boolean> {
  const v = value.toLowerCase();
  if (['yes', 'true', 'enabled', '1'].includes(v)) return { ok: true, value: true };
  if (['no', 'false', 'disabled', '0'].includes(v)) return { ok: true, value: false };
  return bad(`'${value}' is not yes or no.`, `'${value}' は yes でも no でもありません。`);
}

/** settings_value_as_time(): a number with an optional s/m/h/d unit, in seconds. */
export function parseDuration(value: string): Parsed<number> {
  const m = /^(\d{1,9})\s*([smhd]?)$/.exec(value);
  if (!m) return bad(`'${value}' is not a duration (for example 30s, 5m, 1h).`, `'${value}' は時間の指定ではありません (例: 30s、5m、1h)。`);
  const factor = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] ?? ''] ?? 1;
  return { ok: true, value: Number(m[1]) * factor };
}

export function parsePort(value: string): Parsed<number> {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) return bad(`'${value}' is not a port number (1–65535).`, `'${value}' はポート番号 (1〜65535) ではありません。`);
  return { ok: true, value: Number(value) };
}

/** A comma-separated list, blanks around items removed, empty items dropped. */
export function splitList(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

const PROPOSAL = /^[a-z0-9_]+(?:-[a-z0-9_]+)*$/;

/** `proposals` / `esp_proposals`: lower-cased algorithm lists; `default` is charon's own list. */
export function parseProposals(value: string): Parsed<string[]> {
  const items = splitList(value.toLowerCase());
  if (items.length === 0) return bad('no proposal is given.', '提案が指定されていません。');
  for (const item of items) {
    if (!PROPOSAL.test(item)) return bad(`'${item}' is not a proposal (algorithms joined by '-', for example aes256-sha256-modp2048).`, `'${item}' は提案ではありません ('-' でつないだアルゴリズム。例: aes256-sha256-modp2048)。`);
  }
  return { ok: true, value: items };
}

export function parseAddress(text: string): string | null {
  if (text.includes('%') || !ipaddr.isValid(text)) return null;
  // ipaddr.js also takes inet_aton forms ("10.1"); a strongSwan address is a plain dotted quad.
  if (!text.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
  return formatAddress(ipaddr.parse(text));
}

/** `vips`: addresses to request; 0.0.0.0 / :: ask the server to pick one. */
export function parseVip(text: string): Parsed<string> {
  const a = parseAddress(text);
  return a === null ? bad(`'${text}' is not an IP address (use 0.0.0.0 or :: to ask the server for one).`, `'${text}' は IP アドレスではありません (サーバーに割り当てを求めるには 0.0.0.0 または :: を指定します)。`) : { ok: true, value: a };
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

export type RemoteAddress = { kind: 'host'; value: string } | { kind: 'any' } | { kind: 'range' };

/** One `remote_addrs` item: a server, or something only a responder accepts (%any, a subnet, a range). */
export function parseRemoteAddress(text: string): Parsed<RemoteAddress> {
  if (/^%any[46]?$/i.test(text)) return { ok: true, value: { kind: 'any' } };
  const address = parseAddress(text);
  if (address !== null) return { ok: true, value: { kind: 'host', value: address } };
  if (text.includes('/') && normalizePrefix(text)) return { ok: true, value: { kind: 'range' } };
  const dash = text.indexOf('-');
  if (dash > 0 && parseAddress(text.slice(0, dash)) !== null && parseAddress(text.slice(dash + 1)) !== null) return { ok: true, value: { kind: 'range' } };
  if (HOST_NAME.test(text) && !/^\d+(\.\d+)*$/.test(text)) return { ok: true, value: { kind: 'host', value: text.toLowerCase().replace(/\.$/, '') } };
  return bad(`'${text}' is neither a host name nor an IP address.`, `'${text}' はホスト名でも IP アドレスでもありません。`);
}

export interface TrafficSelector {
  /** Canonical text as stored in the model: `10.0.0.0/8`, `10.0.0.1-10.0.0.9`, `dynamic`, with `[proto/port]`. */
  text: string;
  /** The protocol/port part, lower case, without brackets ('' when none). */
  protoPort: string;
  /** The address part's prefix when it is a CIDR or address ('' for dynamic and ranges). */
  prefix: string;
}

/** One `local_ts` / `remote_ts` item: `dynamic`, an address, a CIDR or a range, with an optional `[proto/port]`. */
export function parseTrafficSelector(text: string): Parsed<TrafficSelector> {
  const m = /^([^[\]\s]+)(?:\[([^\]]*)\])?$/.exec(text.trim());
  if (!m) return bad(`'${text}' is not a traffic selector (a subnet such as 10.0.0.0/8, optionally with [protocol/port]).`, `'${text}' はトラフィックセレクターではありません (10.0.0.0/8 のようなサブネット。[プロトコル/ポート] を付けることもできます)。`);
  const addr = m[1] ?? '';
  const protoPort = (m[2] ?? '').toLowerCase();
  if (protoPort !== '' && !/^[a-z0-9-]*(\/[a-z0-9%-]*)?$/.test(protoPort)) {
    return bad(`'[${m[2] ?? ''}]' is not a protocol/port restriction (for example [tcp/443]).`, `'[${m[2] ?? ''}]' はプロトコル/ポートの指定ではありません (例: [tcp/443])。`);
  }
  const suffix = protoPort === '' ? '' : `[${protoPort}]`;
  if (addr.toLowerCase() === 'dynamic') return { ok: true, value: { text: `dynamic${suffix}`, protoPort, prefix: '' } };
  const prefix = normalizePrefix(addr);
  if (prefix && !addr.includes('%')) return { ok: true, value: { text: `${prefix.cidr}${suffix}`, protoPort, prefix: prefix.cidr } };
  const dash = addr.indexOf('-');
  if (dash > 0) {
    const from = parseAddress(addr.slice(0, dash));
    const to = parseAddress(addr.slice(dash + 1));
    if (from !== null && to !== null && from.includes(':') === to.includes(':')) return { ok: true, value: { text: `${from}-${to}${suffix}`, protoPort, prefix: '' } };
  }
  return bad(`'${addr}' is not a subnet, an address, a range or 'dynamic'.`, `'${addr}' はサブネット、アドレス、範囲、'dynamic' のいずれでもありません。`);
}

/** L2TP runs over UDP port 1701: a selector limited to it belongs to an L2TP/IPsec setup. */
export function isL2tpSelector(ts: TrafficSelector): boolean {
  const [proto = '', port = ''] = ts.protoPort.split('/');
  return (proto === 'udp' || proto === '17' || proto === '') && (port === '1701' || port === 'l2tp');
}

export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** An IKE identity (`id`, `eap_id`, `xauth_id`) as written; null for `%any`. */
export function parseIdentity(text: string): Parsed<string | null> {
  if (text === '' ) return bad('the identity is empty.', 'ID が空です。');
  if (hasControlCharacter(text)) return bad('the identity contains control characters.', 'ID に制御文字が含まれています。');
  if (/^%any[46]?$/i.test(text)) return { ok: true, value: null };
  return { ok: true, value: text };
}
