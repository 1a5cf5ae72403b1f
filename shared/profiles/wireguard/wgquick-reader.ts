/**
 * An independent second reader for the canonical WireGuard text, written from wg-quick's and
 * wg's own rules rather than from parser.ts: what wg-quick 1.0.20210914 (`parse_options` in
 * /usr/bin/wg-quick) keeps for itself, and what `wg setconf` (src/config.c) then makes of the
 * rest. The helper runs the canonical text only if this reading gives back exactly the profile
 * that was inspected.
 *
 * It reads a strict subset: anything the tools would read in a way that depends on their version,
 * the locale, the resolver or the file system (leading zeros, numeric host names, globs, control
 * characters, duplicate peers) is refused rather than guessed.
 */
import ipaddr from 'ipaddr.js';
import { profileError, type ProfileError } from '../diagnostics.js';
import { decodeKey, publicKeyFromPrivate } from './keys.js';
import type { WireGuardEndpoint, WireGuardInterface, WireGuardPeer, WireGuardProfile } from './model.js';

export type WgQuickReading = { ok: true; profile: WireGuardProfile } | { ok: false; line: number; reason: string };

class Refusal extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(reason);
  }
}

// bash's IFS whitespace (what `read` trims and unquoted expansions split on) and C's isspace
// (what wg-quick's [[:space:]] trims and wg deletes from every line).
const IFS_EDGES = /^[ \t\n]+|[ \t\n]+$/g;
const SPACE_EDGES = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g;
const C_SPACE = /[ \t\n\v\f\r]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const GLOB = /[*?[\]]/;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const DOTTED_QUAD = /^(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}$/;
/** What inet_aton (and so getaddrinfo) reads as an IPv4 address: 1–4 parts, decimal, octal or hex. */
const INET_ATON = /^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}$/i;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$/;
const ZONE = /^[A-Za-z0-9_.-]{1,64}$/;

/** wg-quick's own [Interface] keys (its `case "$key"` under nocasematch); every other line goes to wg. */
const WG_QUICK_KEYS = new Set(['address', 'mtu', 'dns', 'table', 'preup', 'predown', 'postup', 'postdown', 'saveconfig']);

function format(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (address.kind() === 'ipv4') return address.toString();
  const v6 = address as ipaddr.IPv6;
  return v6.isIPv4MappedAddress() ? `::ffff:${v6.toIPv4Address().toString()}` : v6.toRFC5952String();
}

/** inet_pton: a dotted quad without leading zeros, or IPv6 without a zone. */
function inetPton(text: string, line: number): ipaddr.IPv4 | ipaddr.IPv6 {
  if (DOTTED_QUAD.test(text) && ipaddr.IPv4.isValid(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(':') && !text.includes('%') && text.length <= 45 && ipaddr.IPv6.isValid(text)) {
    const tail = text.slice(text.lastIndexOf(':') + 1);
    if (!tail.includes('.') || DOTTED_QUAD.test(tail)) return ipaddr.IPv6.parse(text);
  }
  throw new Refusal(line, `not an address inet_pton reads: ${text}`);
}

function decimal(text: string, max: number, line: number, what: string): number {
  if (!DECIMAL.test(text) || text.length > 10 || Number(text) > max) throw new Refusal(line, `${what} is not a plain decimal up to ${max}: ${text}`);
  return Number(text);
}

/** `address[/bits]` as written, host part kept (Address: `ip address add` takes it so). */
function interfaceAddress(word: string, line: number): string {
  const slash = word.indexOf('/');
  const address = inetPton(slash < 0 ? word : word.slice(0, slash), line);
  const max = address.kind() === 'ipv4' ? 32 : 128;
  const bits = slash < 0 ? max : decimal(word.slice(slash + 1), max, line, 'prefix length');
  return `${format(address)}/${bits}`;
}

/** An AllowedIPs entry as the device stores it: wg sends it, the kernel clears the host bits. */
function allowedIp(item: string, line: number): string {
  const slash = item.indexOf('/');
  const address = inetPton(slash < 0 ? item : item.slice(0, slash), line);
  const max = address.kind() === 'ipv4' ? 32 : 128;
  const bits = slash < 0 ? max : decimal(item.slice(slash + 1), max, line, 'prefix length');
  const cidr = `${address.toString()}/${bits}`;
  const network = address.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  return `${format(network)}/${bits}`;
}

function key(value: string, line: number): string {
  if (!decodeKey(value).ok) throw new Refusal(line, 'not a key wg reads');
  return value;
}

/** wg's parse_endpoint: `[v6]:port` or host, then the last ':'; getaddrinfo resolves the host. */
function endpoint(value: string, line: number): WireGuardEndpoint {
  let host: string;
  let port: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0 || value[close + 1] !== ':') throw new Refusal(line, 'bracketed endpoint without a port');
    const inner = value.slice(1, close);
    const percent = inner.indexOf('%');
    const address = inetPton(percent < 0 ? inner : inner.slice(0, percent), line);
    const zone = percent < 0 ? null : inner.slice(percent + 1);
    if (address.kind() !== 'ipv6' || (zone !== null && !ZONE.test(zone))) throw new Refusal(line, 'brackets without an IPv6 address');
    host = zone === null ? format(address) : `${format(address)}%${zone}`;
    port = value.slice(close + 2);
  } else {
    const colon = value.lastIndexOf(':');
    if (colon <= 0) throw new Refusal(line, 'endpoint without a port');
    host = value.slice(0, colon);
    port = value.slice(colon + 1);
    if (INET_ATON.test(host)) {
      // getaddrinfo takes any inet_aton spelling ("10.1", "0x7f.1") as an address: only the canonical one is unambiguous.
      host = format(inetPton(host, line));
    } else if (!HOST_NAME.test(host) || host.includes('..')) {
      throw new Refusal(line, `not a host name: ${host}`);
    }
  }
  return { host, port: decimal(port, 65535, line, 'port') };
}

interface PeerReading {
  publicKey?: string;
  presharedKey?: string;
  allowedIPs: string[];
  endpoint?: WireGuardEndpoint;
  persistentKeepalive?: number;
}

/**
 * Reads text the way wg-quick up and wg setconf do, into the profile they would configure.
 * Never throws.
 */
export function readAsWgQuick(text: string): WgQuickReading {
  try {
    return { ok: true, profile: read(text) };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, line: e.line, reason: e.message };
    return { ok: false, line: 0, reason: 'internal error' };
  }
}

function read(text: string): WireGuardProfile {
  const lines = text.split('\n');
  // `while read -r line || [[ -n $line ]]`: a final line without a newline still counts.
  if (lines.at(-1) === '') lines.pop();

  // --- wg-quick's parse_options
  const iface = { addresses: [] as string[], servers: [] as string[], search: [] as string[], mtu: undefined as string | undefined, table: undefined as string | undefined, saveConfig: undefined as boolean | undefined };
  const hooks = { preup: [] as string[], postup: [] as string[], predown: [] as string[], postdown: [] as string[] };
  const forWg: Array<{ line: number; text: string }> = [];
  let interfaceSection = false;
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    // bash drops NUL bytes from what `read` returns and wg's C strings end at one; both disagree with the text.
    const control = CONTROL.exec(raw);
    if (control) throw new Refusal(lineNo, `control character U+${control[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
    const line = raw.replace(IFS_EDGES, '');
    const hash = line.indexOf('#');
    const stripped = hash < 0 ? line : line.slice(0, hash);
    const eq = stripped.indexOf('=');
    const keyText = (eq < 0 ? stripped : stripped.slice(0, eq)).replace(SPACE_EDGES, '');
    const value = (eq < 0 ? stripped : stripped.slice(eq + 1)).replace(SPACE_EDGES, '');
    const lower = keyText.toLowerCase();
    if (keyText.startsWith('[')) interfaceSection = false;
    if (lower === '[interface]') interfaceSection = true;
    if (!interfaceSection || !WG_QUICK_KEYS.has(lower)) {
      forWg.push({ line: lineNo, text: line });
      return;
    }
    // Address and DNS are expanded unquoted: split on IFS, and globbed against the file system.
    const words = (): string[] => {
      if (GLOB.test(value)) throw new Refusal(lineNo, 'a glob character in an unquoted expansion');
      return value.replace(/,/g, ' ').split(/[ \t\n]+/).filter((w) => w !== '');
    };
    switch (lower) {
      case 'address':
        for (const word of words()) iface.addresses.push(interfaceAddress(word, lineNo));
        break;
      case 'dns':
        for (const word of words()) {
          if (/^[0-9.]+$/.test(word) || word.includes(':')) iface.servers.push(format(inetPton(word, lineNo)));
          else if (HOST_NAME.test(word)) iface.search.push(word);
          else throw new Refusal(lineNo, `not a search domain: ${word}`);
        }
        break;
      case 'mtu':
        iface.mtu = value;
        break;
      case 'table':
        iface.table = value;
        break;
      case 'saveconfig':
        // read_bool runs while nocasematch is on.
        if (value.toLowerCase() !== 'true' && value.toLowerCase() !== 'false') throw new Refusal(lineNo, 'SaveConfig is neither true nor false');
        iface.saveConfig = value.toLowerCase() === 'true';
        break;
      default:
        hooks[lower as keyof typeof hooks].push(value);
    }
  });

  // --- wg setconf on the lines wg-quick handed over
  let section: 'none' | 'interface' | 'peer' = 'none';
  let privateKey: string | undefined;
  let listenPort: number | undefined;
  const peers: PeerReading[] = [];
  for (const { line: lineNo, text: lineText } of forWg) {
    const hash = lineText.indexOf('#');
    const line = (hash < 0 ? lineText : lineText.slice(0, hash)).replace(C_SPACE, '');
    if (line === '') continue;
    const lower = line.toLowerCase();
    if (lower === '[interface]') {
      section = 'interface';
      continue;
    }
    if (lower === '[peer]') {
      section = 'peer';
      peers.push({ allowedIPs: [] });
      continue;
    }
    // key_match: a case-insensitive prefix "Key=".
    const eq = line.indexOf('=');
    const name = eq < 0 ? '' : lower.slice(0, eq);
    const value = line.slice(eq + 1);
    const peer = peers.at(-1);
    if (section === 'interface' && name === 'privatekey') privateKey = key(value, lineNo);
    else if (section === 'interface' && name === 'listenport') listenPort = decimal(value, 65535, lineNo, 'ListenPort');
    else if (section === 'peer' && peer && name === 'publickey') peer.publicKey = key(value, lineNo);
    else if (section === 'peer' && peer && name === 'presharedkey') peer.presharedKey = key(value, lineNo);
    else if (section === 'peer' && peer && name === 'endpoint') peer.endpoint = endpoint(value, lineNo);
    else if (section === 'peer' && peer && name === 'allowedips') {
      if (value === '') throw new Refusal(lineNo, 'an empty AllowedIPs clears the list');
      for (const item of value.split(',')) peer.allowedIPs.push(allowedIp(item, lineNo));
    } else if (section === 'peer' && peer && name === 'persistentkeepalive') {
      const seconds = value.toLowerCase() === 'off' ? 0 : decimal(value, 65535, lineNo, 'PersistentKeepalive');
      peer.persistentKeepalive = seconds === 0 ? undefined : seconds;
    } else {
      // wg: "Line unrecognized" (FwMark among them: the profile model has no mark to compare).
      throw new Refusal(lineNo, `a line this reader does not accept: ${line.slice(0, 40)}`);
    }
  }

  // wg takes an all-zero private key (32 zero bytes: 43 'A's and '=') as none.
  if (privateKey === undefined || privateKey === `${'A'.repeat(43)}=`) throw new Refusal(0, 'no PrivateKey');
  const derived = publicKeyFromPrivate(privateKey);
  if (!derived.ok) throw new Refusal(0, 'PrivateKey without a public key');
  const result: WireGuardInterface = {
    privateKey,
    publicKey: derived.key,
    addresses: iface.addresses,
    dns: { servers: iface.servers, searchDomains: iface.search },
    preUp: hooks.preup,
    postUp: hooks.postup,
    preDown: hooks.predown,
    postDown: hooks.postdown,
  };
  if (listenPort !== undefined) result.listenPort = listenPort;
  if (iface.mtu !== undefined) result.mtu = decimal(iface.mtu, 65535, 0, 'MTU');
  if (iface.table !== undefined) {
    // wg-quick compares Table case-sensitively once parsing is done: "Auto" would be a table name.
    if (iface.table !== 'auto' && iface.table !== 'off') throw new Refusal(0, `Table ${iface.table} is neither auto nor off`);
    result.table = iface.table;
  }
  if (iface.saveConfig !== undefined) result.saveConfig = iface.saveConfig;

  // The device keeps each network on one peer: a later peer's entry takes it from earlier ones.
  const lastOwner = new Map<string, PeerReading>();
  for (const p of peers) for (const cidr of p.allowedIPs) lastOwner.set(cidr, p);
  for (const p of peers) p.allowedIPs = p.allowedIPs.filter((cidr) => lastOwner.get(cidr) === p);

  const seen = new Set<string>();
  const outPeers = peers.map((p): WireGuardPeer => {
    if (p.publicKey === undefined) throw new Refusal(0, 'a peer without a PublicKey');
    // The kernel would merge two sections with one key into one peer.
    if (seen.has(p.publicKey) || p.publicKey === derived.key) throw new Refusal(0, 'a peer key used twice');
    seen.add(p.publicKey);
    const peer: WireGuardPeer = { publicKey: p.publicKey, allowedIPs: p.allowedIPs };
    if (p.presharedKey !== undefined) peer.presharedKey = p.presharedKey;
    if (p.endpoint !== undefined) peer.endpoint = p.endpoint;
    if (p.persistentKeepalive !== undefined) peer.persistentKeepalive = p.persistentKeepalive;
    return peer;
  });
  return { kind: 'wireguard', interface: result, peers: outPeers };
}

/** Structural equality of plain data (what profiles are). */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Null when wg-quick and wg would configure exactly `profile` from `canonical`; otherwise the
 * refusal to return instead of running it.
 */
export function checkCanonicalWireGuard(canonical: string, profile: WireGuardProfile): ProfileError | null {
  const reading = readAsWgQuick(canonical);
  if (reading.ok && sameData(reading.profile, profile)) return null;
  const where = reading.ok ? 'it would configure something else' : `line ${reading.line}: ${reading.reason}`;
  return profileError('WG_CANONICAL_MISMATCH', { line: reading.ok ? 0 : reading.line }, where, {
    en: `This configuration cannot be run safely: wg-quick would read the text Tsunagu wrote for it differently from what was checked (${where}). Please report it.`,
    ja: `この設定は安全に実行できません。Tsunagu が書き出したテキストを、wg-quick は検査した内容と異なる意味に読みます（${where}）。報告をお願いします。`,
  });
}
