import ipaddr from 'ipaddr.js';
import type { LocalizedText } from '../diagnostics.js';
import type { WireGuardEndpoint } from './model.js';
import { msg, type WgErrorCode } from './messages.js';

/**
 * Parsers for single wg-quick values. Each returns the canonical value or a problem: the error
 * code, its message, the offending text and where in the value it starts (0-based), so the
 * parser can point at the exact column.
 */

export interface ValueProblem {
  code: WgErrorCode;
  message: LocalizedText;
  text: string;
  /** Offset of `text` inside the value that was parsed. */
  offset: number;
}

export type ValueResult<T> = { ok: true; value: T } | { ok: false; problem: ValueProblem };

const ok = <T>(value: T): ValueResult<T> => ({ ok: true, value });
const bad = (code: WgErrorCode, message: LocalizedText, text: string, offset = 0): ValueResult<never> => ({
  ok: false,
  problem: { code, message, text, offset },
});

// ---------------------------------------------------------------------------------------------
// IP addresses

/** Longest textual IPv6 address: eight groups, or six groups plus dotted IPv4 (45 characters). */
const MAX_IPV6_TEXT = 45;
const IPV4_DOTTED_DECIMAL = /^(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}$/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]+$/;

export type IpFamily = 4 | 6;

/**
 * Parses a plain IP address (no prefix, no zone) the way Go's netip does for wireguard-windows:
 * IPv4 only as four dotted decimals without leading zeros (ipaddr.js alone would also take
 * "10.1", "0x0a.0.0.1" or "010.0.0.1", which wg-quick on Linux reads differently or rejects).
 * Returns the canonical text: dotted decimal, or RFC 5952 lower-case compressed IPv6 with
 * IPv4-mapped addresses in their usual "::ffff:a.b.c.d" form.
 */
export function parseIp(text: string): { family: IpFamily; text: string } | null {
  if (text.includes(':')) {
    // The length and character checks keep ipaddr.js's regular expressions on short, plain input.
    if (text.length > MAX_IPV6_TEXT || !IPV6_CHARS.test(text)) return null;
    const lastColon = text.lastIndexOf(':');
    const tail = text.slice(lastColon + 1);
    if (tail.includes('.') && !IPV4_DOTTED_DECIMAL.test(tail)) return null;
    if (text.slice(0, lastColon).includes('.')) return null;
    if (!ipaddr.IPv6.isValid(text)) return null;
    try {
      const addr = ipaddr.IPv6.parse(text);
      if (addr.isIPv4MappedAddress()) return { family: 6, text: `::ffff:${addr.toIPv4Address().toString()}` };
      return { family: 6, text: addr.toRFC5952String() };
    } catch {
      return null;
    }
  }
  if (text.length > 15 || !IPV4_DOTTED_DECIMAL.test(text)) return null;
  try {
    return { family: 4, text: ipaddr.IPv4.parse(text).toString() };
  } catch {
    return null;
  }
}

/** Go's netip.ParsePrefix rule: decimal, no sign, no leading zeros. */
const PREFIX_LENGTH = /^(?:0|[1-9][0-9]{0,2})$/;

/**
 * An address with an optional /prefix (Address, AllowedIPs). A bare address gets the full-length
 * prefix; host bits are kept, since Address needs them (10.0.0.2/24 is not 10.0.0.0/24).
 */
export function parseIpPrefix(item: string): ValueResult<string> {
  const slash = item.indexOf('/');
  const addrText = slash < 0 ? item : item.slice(0, slash);
  const ip = parseIp(addrText);
  if (!ip) return bad('WG_INVALID_IP', msg.invalidIp(item), item);
  const max = ip.family === 4 ? 32 : 128;
  if (slash < 0) return ok(`${ip.text}/${max}`);
  const prefixText = item.slice(slash + 1);
  const prefix = PREFIX_LENGTH.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return bad('WG_INVALID_PREFIX', msg.invalidPrefix(item), item);
  return ok(`${ip.text}/${prefix}`);
}

// ---------------------------------------------------------------------------------------------
// Names

const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A DNS name: labels of 1–63 letters, digits and inner hyphens; at most 253 characters; optional final dot. */
export function isDnsName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => DNS_LABEL.test(label));
}

/**
 * wg-quick's rule for telling DNS servers from search domains: anything that is only digits and
 * dots, or contains ':', is meant as an address. Such text must then really be an address, rather
 * than silently becoming a search domain like "10.0.0.256".
 */
function looksLikeAddress(text: string): boolean {
  return text.includes(':') || (/^[0-9.]+$/.test(text) && /[0-9]/.test(text));
}

export type DnsEntry = { kind: 'server'; value: string } | { kind: 'searchDomain'; value: string };

export function parseDnsEntry(item: string): ValueResult<DnsEntry> {
  const ip = parseIp(item);
  if (ip) return ok({ kind: 'server', value: ip.text });
  if (looksLikeAddress(item)) return bad('WG_INVALID_DNS_SERVER', msg.invalidDnsServer(item), item);
  if (isDnsName(item)) return ok({ kind: 'searchDomain', value: item });
  return bad('WG_INVALID_DNS', msg.invalidDns(item), item);
}

// ---------------------------------------------------------------------------------------------
// Numbers

const DECIMAL = /^[0-9]+$/;

/** Unsigned decimal (leading zeros allowed, as strconv/strtoul allow them); NaN if not one. */
function parseDecimal(text: string): number {
  return DECIMAL.test(text) ? Number(text) : NaN;
}

/** Below this, a port is privileged: only root may bind it, and the tunnel runs as root. */
const FIRST_UNPRIVILEGED_PORT = 1024;

/** 0 (the kernel picks a port) or an unprivileged port. */
export function parseListenPort(value: string): ValueResult<number> {
  const n = parseDecimal(value);
  if (!(n >= 0 && n <= 65535)) return bad('WG_INVALID_LISTEN_PORT', msg.invalidListenPort(value), value);
  return n === 0 || n >= FIRST_UNPRIVILEGED_PORT ? ok(n) : bad('WG_PRIVILEGED_LISTEN_PORT', msg.privilegedListenPort(value), value);
}

export function parseMtu(value: string): ValueResult<number> {
  const n = parseDecimal(value);
  return n >= 576 && n <= 65535 ? ok(n) : bad('WG_INVALID_MTU', msg.invalidMtu(value), value);
}

/** `off` and 0 both disable keepalives; stored as undefined. */
export function parsePersistentKeepalive(value: string): ValueResult<number | undefined> {
  if (value.toLowerCase() === 'off') return ok(undefined);
  const n = parseDecimal(value);
  if (!(n >= 0 && n <= 65535)) return bad('WG_INVALID_KEEPALIVE', msg.invalidKeepalive(value), value);
  return ok(n === 0 ? undefined : n);
}

/**
 * wg-quick's Table, limited to `auto` (the default: the helper's session gets wg-quick's own
 * table) and `off` (no routes). Stored lower-case: wg-quick compares it case-sensitively.
 */
export function parseTable(value: string): ValueResult<'auto' | 'off'> {
  const lower = value.toLowerCase();
  if (lower === 'auto' || lower === 'off') return ok(lower);
  return bad('WG_TABLE_REFUSED', msg.tableRefused(value), value);
}

/** wg-quick reads SaveConfig case-insensitively and dies on anything but true/false. */
export function parseSaveConfig(value: string): ValueResult<boolean> {
  const lower = value.toLowerCase();
  if (lower === 'true') return ok(true);
  if (lower === 'false') return ok(false);
  return bad('WG_INVALID_SAVECONFIG', msg.invalidSaveConfig(value), value);
}

// ---------------------------------------------------------------------------------------------
// Endpoint

/** 1–4 dot-separated parts, each decimal, octal or 0x-hex: inet_aton's grammar. */
const INET_ATON_SPELLING = /^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}$/i;

/** Interface names or numeric indexes (Linux, Windows, macOS). */
const ZONE = /^[A-Za-z0-9_.-]{1,64}$/;

function parseEndpointPort(portText: string, offset: number): ValueResult<number> {
  const n = parseDecimal(portText);
  // Port 0 is valid for ListenPort ("any") but means nothing as a destination.
  return n >= 1 && n <= 65535 ? ok(n) : bad('WG_INVALID_PORT', msg.invalidPort(portText), portText, offset);
}

/**
 * `host:port` or `[ipv6]:port` (optionally `[ipv6%zone]:port`). As in wg and wireguard-windows,
 * a host containing ':' must be a bracketed IPv6 address, and brackets may hold nothing else.
 */
export function parseEndpoint(value: string): ValueResult<WireGuardEndpoint> {
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) return bad('WG_ENDPOINT_BRACKETS', msg.endpointBrackets(value), value);
    const inner = value.slice(1, close);
    const after = value.slice(close + 1);
    const percent = inner.indexOf('%');
    const addrText = percent < 0 ? inner : inner.slice(0, percent);
    const zone = percent < 0 ? null : inner.slice(percent + 1);
    const ip = addrText.includes(':') ? parseIp(addrText) : null;
    // An IPv4-mapped address in brackets is really IPv4 (wireguard-windows refuses it too).
    if (!ip || ip.family !== 6 || ip.text.startsWith('::ffff:') || (zone !== null && !ZONE.test(zone))) {
      return bad('WG_ENDPOINT_BRACKETS', msg.endpointBrackets(value.slice(0, close + 1)), value.slice(0, close + 1));
    }
    if (after === '' || after === ':') return bad('WG_ENDPOINT_MISSING_PORT', msg.endpointMissingPort(value), value);
    if (!after.startsWith(':')) return bad('WG_INVALID_PORT', msg.invalidPort(after), after, close + 1);
    const port = parseEndpointPort(after.slice(1), close + 2);
    if (!port.ok) return port;
    return ok({ host: zone === null ? ip.text : `${ip.text}%${zone}`, port: port.value });
  }
  const colon = value.lastIndexOf(':');
  if (colon < 0) return bad('WG_ENDPOINT_MISSING_PORT', msg.endpointMissingPort(value), value);
  const host = value.slice(0, colon);
  const portText = value.slice(colon + 1);
  if (host.includes(':') || host.endsWith(']')) return bad('WG_ENDPOINT_BRACKETS', msg.endpointBrackets(host), host);
  if (host === '') return bad('WG_ENDPOINT_HOST', msg.endpointHost(host), host);
  if (portText === '') return bad('WG_ENDPOINT_MISSING_PORT', msg.endpointMissingPort(value), value);
  const port = parseEndpointPort(portText, colon + 1);
  if (!port.ok) return port;
  const ip = parseIp(host);
  if (ip) return ok({ host: ip.text, port: port.value });
  // What inet_aton reads as an address is one to getaddrinfo too ("10.1" is 10.0.0.1, "0x7f.1"
  // is 127.0.0.1), not a name: refuse it, whatever the spelling.
  if (INET_ATON_SPELLING.test(host) || /^[0-9.]+$/.test(host) || !isDnsName(host)) return bad('WG_ENDPOINT_HOST', msg.endpointHost(host), host);
  return ok({ host, port: port.value });
}
