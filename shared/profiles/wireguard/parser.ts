import { profileError, type LocalizedText, type ProfileError } from '../diagnostics.js';
import { decodeProfileText } from '../text.js';
import { decodeKey, publicKeyFromPrivate } from './keys.js';
import { keysOf, type WireGuardKeyName } from './keytable.js';
import { keyProblemMessage, MAX_ERRORS, msg, type WgErrorCode } from './messages.js';
import type {
  WireGuardEndpoint,
  WireGuardHookKey,
  WireGuardInterface,
  WireGuardLocated,
  WireGuardPeer,
  WireGuardProfile,
} from './model.js';
import { normalizePrefix } from '../routes.js';
import {
  parseDnsEntry,
  parseEndpoint,
  parseIpPrefix,
  parseListenPort,
  parseMtu,
  parsePersistentKeepalive,
  parseSaveConfig,
  parseTable,
  type ValueResult,
} from './values.js';

/**
 * wg-quick configuration parser. Strict in the way wireguard-windows (conf/parser.go) is, and
 * knows every Linux key (keytable.ts) so that each refusal says why: FwMark and tables other than
 * auto/off are refused, hooks are left to the policy module, SaveConfig to an advisory.
 *
 * Never throws and runs in linear time: the whole input is split once, every regular expression
 * is anchored without nested repetition, and anything handed to ipaddr.js is length-checked first.
 */

export type WireGuardParseResult =
  | { ok: true; profile: WireGuardProfile; located: WireGuardLocated; errors: [] }
  | { ok: false; errors: ProfileError[] };

/** WireGuard configurations are a few hundred bytes; even thousands of peers fit in 1 MiB. */
export const WIREGUARD_MAX_BYTES = 1024 * 1024;

const HOOKS = new Map<string, WireGuardHookKey>([
  ['preup', 'PreUp'],
  ['postup', 'PostUp'],
  ['predown', 'PreDown'],
  ['postdown', 'PostDown'],
]);

type InterfaceKey = WireGuardKeyName<'Interface'>;
type PeerKey = WireGuardKeyName<'Peer'>;

const INTERFACE_KEYS = keysOf('Interface');
const PEER_KEYS = keysOf('Peer');

/**
 * Characters that are invisible, break lines or reorder text when displayed: C0/C1 controls (tab
 * excepted), DEL, the Arabic letter mark, LRM/RLM, U+2028/U+2029 and the bidirectional
 * embedding/override/isolate controls. In a hook they could make the command shown for approval
 * differ from the one that runs.
 */
// eslint-disable-next-line no-control-regex
const HIDDEN_CHARACTER = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/;

interface InterfaceAcc {
  line: number;
  seen: Map<string, number>;
  privateKey?: string;
  privateKeyAt?: { line: number; column: number };
  listenPort?: number;
  addresses: string[];
  dnsServers: string[];
  searchDomains: string[];
  mtu?: number;
  table?: 'auto' | 'off';
  saveConfig?: boolean;
  hooks: Record<WireGuardHookKey, string[]>;
  hookLines: WireGuardLocated['hooks'];
  emptyDefaults: WireGuardLocated['emptyDefaults'];
}

interface PeerAcc {
  line: number;
  seen: Map<string, number>;
  publicKey?: string;
  publicKeyAt?: { line: number; column: number };
  presharedKey?: string;
  allowedIPs: string[];
  /** Where each AllowedIPs entry was written, in step with `allowedIPs`. */
  allowedAt: Array<{ line: number; column: number }>;
  endpoint?: WireGuardEndpoint;
  persistentKeepalive?: number;
}

type Section =
  | { kind: 'none' }
  | { kind: 'interface'; acc: InterfaceAcc; primary: boolean }
  | { kind: 'peer'; acc: PeerAcc }
  /** An unknown section: its lines are skipped (one error was reported for the header). */
  | { kind: 'unknown' };

function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

function isZeroKey(key: string): boolean {
  const decoded = decodeKey(key);
  return decoded.ok && decoded.bytes.every((b) => b === 0);
}

function newInterface(line: number): InterfaceAcc {
  return {
    line,
    seen: new Map(),
    addresses: [],
    dnsServers: [],
    searchDomains: [],
    hooks: { PreUp: [], PostUp: [], PreDown: [], PostDown: [] },
    hookLines: [],
    emptyDefaults: [],
  };
}

function newPeer(line: number): PeerAcc {
  return { line, seen: new Map(), allowedIPs: [], allowedAt: [] };
}

class ErrorSink {
  readonly errors: ProfileError[] = [];
  private overflow = false;

  add(code: WgErrorCode, line: number, column: number, text: string, message: LocalizedText): void {
    if (this.errors.length >= MAX_ERRORS) {
      this.overflow = true;
      return;
    }
    // Every message names its line once, as the OpenVPN ones do.
    const located = line > 0 ? { en: `Line ${line}: ${message.en}`, ja: `${line} 行目: ${message.ja}` } : message;
    this.errors.push(profileError(code, { line, column }, text, located));
  }

  finish(): ProfileError[] {
    // Stable sort: file order, whole-file errors (line 0) first.
    const sorted = [...this.errors].sort((a, b) => a.line - b.line || a.column - b.column);
    if (this.overflow) sorted.push(profileError('WG_TOO_MANY_ERRORS', { line: 0 }, '', msg.tooManyErrors()));
    return sorted;
  }
}

/** Splits a comma list, yielding each trimmed item with its offset in `value`. */
function splitList(value: string): Array<{ item: string; offset: number }> {
  const out: Array<{ item: string; offset: number }> = [];
  let start = 0;
  for (const part of value.split(',')) {
    const lead = part.length - part.trimStart().length;
    out.push({ item: part.trim(), offset: start + lead });
    start += part.length + 1;
  }
  return out;
}

/**
 * True when the text has an `[Interface]` or `[Peer]` section header (any case, comments and
 * spacing allowed): wg-quick files have them, in any order, and no OpenVPN or IKEv2 profile does.
 */
export function looksLikeWireGuard(text: string): boolean {
  if (typeof text !== 'string') return false;
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const content = asciiLower((hash < 0 ? raw : raw.slice(0, hash)).trim());
    if (content === '[interface]' || content === '[peer]') return true;
  }
  return false;
}

/**
 * Parses and validates a wg-quick configuration from bytes (must be UTF-8) or text. Returns the
 * profile with source locations, or every error found (capped at MAX_ERRORS), sorted by line.
 * Never throws, whatever the input.
 */
export function parseWireGuard(input: Uint8Array | string): WireGuardParseResult {
  try {
    return parse(input);
  } catch {
    // Defence in depth: nothing above is expected to throw, but callers are promised it never does.
    return {
      ok: false,
      errors: [profileError('WG_INTERNAL' satisfies WgErrorCode, { line: 0 }, '', {
        en: 'This WireGuard configuration could not be read because of an internal error. Please report it.',
        ja: '内部エラーのため、この WireGuard 設定を読み込めませんでした。報告をお願いします。',
      })],
    };
  }
}

function parse(input: Uint8Array | string): WireGuardParseResult {
  // Checked by tag as well as instanceof, so a Uint8Array from another realm (a worker, a
  // structured clone) is still accepted; anything else from an untyped caller reads as empty.
  const isBytes = input instanceof Uint8Array || Object.prototype.toString.call(input) === '[object Uint8Array]';
  const size = typeof input === 'string' ? input.length : isBytes ? input.byteLength : -1;
  if (size < 0) return parse('');
  if (size > WIREGUARD_MAX_BYTES) {
    return { ok: false, errors: [profileError('WG_TOO_LARGE', { line: 0 }, '', msg.tooLarge('1 MiB'))] };
  }
  const decoded = decodeProfileText(input);
  if ('error' in decoded) return { ok: false, errors: [decoded.error] };
  let text = decoded.text;
  if (text.startsWith('\uFEFF')) text = text.slice(1);

  const sink = new ErrorSink();
  let iface: InterfaceAcc | undefined;
  const peers: PeerAcc[] = [];
  const masked: WireGuardLocated['maskedAllowedIPs'] = [];
  let section: Section = { kind: 'none' };

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let raw = lines[i] ?? '';
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);

    // '#' starts a comment anywhere. In a hook the tools disagree: wg-quick 1.0.20210914 cuts the
    // command there, wireguard-windows keeps it since 2026; such a hook line is refused below.
    const hash = raw.indexOf('#');
    const eq = raw.indexOf('=');
    const isHookLine = eq >= 0 && (hash < 0 || eq < hash) && HOOKS.has(asciiLower(raw.slice(0, eq).trim()));
    if (isHookLine && hash >= 0) {
      const keyText = raw.slice(0, eq).trim();
      sink.add('WG_HOOK_COMMENT', lineNo, hash + 1, raw.trim(), msg.hookComment(keyText));
      continue;
    }
    const content = hash < 0 ? raw : raw.slice(0, hash);
    const trimmed = content.trim();
    if (trimmed === '') continue;
    const lead = content.length - content.trimStart().length;
    const col = lead + 1;

    if (trimmed.startsWith('[') && (trimmed.endsWith(']') || !trimmed.includes('='))) {
      const header = asciiLower(trimmed);
      if (header === '[interface]') {
        if (iface) {
          sink.add('WG_DUPLICATE_INTERFACE', lineNo, col, trimmed, msg.duplicateInterface(iface.line));
          // Still check the duplicate's values, into a scratch accumulator.
          section = { kind: 'interface', acc: newInterface(lineNo), primary: false };
        } else {
          iface = newInterface(lineNo);
          section = { kind: 'interface', acc: iface, primary: true };
        }
      } else if (header === '[peer]') {
        const acc = newPeer(lineNo);
        peers.push(acc);
        section = { kind: 'peer', acc };
      } else {
        sink.add('WG_UNKNOWN_SECTION', lineNo, col, trimmed, msg.unknownSection(trimmed));
        section = { kind: 'unknown' };
      }
      continue;
    }

    if (section.kind === 'unknown') continue;
    if (section.kind === 'none') {
      sink.add('WG_LINE_OUTSIDE_SECTION', lineNo, col, trimmed, msg.lineOutsideSection(trimmed));
      continue;
    }
    const eqInTrimmed = trimmed.indexOf('=');
    if (eqInTrimmed < 0) {
      sink.add('WG_MISSING_EQUALS', lineNo, col, trimmed, msg.missingEquals(trimmed));
      continue;
    }
    const keyText = trimmed.slice(0, eqInTrimmed).trim();
    const key = asciiLower(keyText);
    const afterEq = trimmed.slice(eqInTrimmed + 1);
    const value = afterEq.trim();
    const valueCol = col + eqInTrimmed + 1 + (afterEq.length - afterEq.trimStart().length);

    const known = section.kind === 'interface' ? INTERFACE_KEYS : PEER_KEYS;
    const spec = known.get(key);
    if (!spec) {
      const sectionName = section.kind === 'interface' ? 'Interface' : 'Peer';
      sink.add('WG_UNKNOWN_KEY', lineNo, col, keyText, msg.unknownKey(keyText, sectionName));
      continue;
    }
    if (value === '') {
      // wg-quick appends nothing for an empty Address/DNS, keeps its default for an empty MTU or
      // Table, and an empty hook runs nothing; wg (and wg-quick's SaveConfig) refuse empty values.
      if (spec.readBy === 'wg-quick' && spec.name !== 'SaveConfig' && section.kind === 'interface') {
        section.acc.emptyDefaults.push({ key: spec.name, line: lineNo });
        continue;
      }
      sink.add('WG_EMPTY_VALUE', lineNo, col, keyText, msg.emptyValue(keyText));
      // The empty key is the one problem: not "no private key" / "no public key" on top of it.
      const at = { line: lineNo, column: valueCol };
      if (section.kind === 'interface' && key === 'privatekey') section.acc.privateKeyAt = at;
      if (section.kind === 'peer' && key === 'publickey') section.acc.publicKeyAt = at;
      continue;
    }
    const seen = section.acc.seen;
    const firstLine = seen.get(key);
    if (firstLine !== undefined && !spec.repeatable) {
      sink.add('WG_DUPLICATE_KEY', lineNo, col, keyText, msg.duplicateKey(keyText, firstLine));
      continue;
    }
    if (firstLine === undefined) seen.set(key, lineNo);
    const hidden = HIDDEN_CHARACTER.exec(value);
    if (hidden) {
      sink.add('WG_CONTROL_CHARACTER', lineNo, valueCol + hidden.index, value, msg.controlCharacter(keyText, hidden[0].charCodeAt(0)));
      continue;
    }

    const at = { line: lineNo, column: valueCol };
    /** Reports a value problem at its exact column; returns the value when it parsed. */
    const take = <T>(result: ValueResult<T>, base = valueCol): result is { ok: true; value: T } => {
      if (result.ok) return true;
      const p = result.problem;
      sink.add(p.code, lineNo, base + p.offset, p.text, p.message);
      return false;
    };
    const takeKey = (): string | undefined => {
      const decodedKey = decodeKey(value);
      if (decodedKey.ok) return value;
      const { code, message } = keyProblemMessage(decodedKey.problem, value);
      sink.add(code, lineNo, valueCol, value, message);
      return undefined;
    };
    /** Address / AllowedIPs / DNS lists: an empty item is an error, as in wireguard-windows. */
    const eachItem = (fn: (item: string, column: number) => void): void => {
      for (const { item, offset } of splitList(value)) {
        if (item === '') sink.add('WG_LIST_EMPTY_ITEM', lineNo, valueCol + offset, value, msg.listEmptyItem(value));
        else fn(item, valueCol + offset);
      }
    };

    if (section.kind === 'interface') {
      const acc = section.acc;
      switch (key as InterfaceKey) {
        case 'privatekey': {
          const k = takeKey();
          acc.privateKeyAt = at;
          // wg reads an all-zero private key as "no key": the interface would have none.
          if (k !== undefined && isZeroKey(k)) sink.add('WG_KEY_ZERO', lineNo, valueCol, value, msg.zeroPrivateKey());
          else if (k !== undefined) acc.privateKey = k;
          break;
        }
        case 'listenport': {
          const r = parseListenPort(value);
          if (take(r)) acc.listenPort = r.value;
          break;
        }
        case 'fwmark':
          sink.add('WG_FWMARK_REFUSED', lineNo, col, `${keyText} = ${value}`, msg.fwMarkRefused(value));
          break;
        case 'mtu': {
          const r = parseMtu(value);
          if (take(r)) acc.mtu = r.value;
          break;
        }
        case 'table': {
          const r = parseTable(value);
          if (take(r)) acc.table = r.value;
          break;
        }
        case 'saveconfig': {
          const r = parseSaveConfig(value);
          if (take(r)) acc.saveConfig = r.value;
          break;
        }
        case 'address':
          eachItem((item, column) => {
            const r = parseIpPrefix(item);
            if (take(r, column)) acc.addresses.push(r.value);
          });
          break;
        case 'dns':
          eachItem((item, column) => {
            const r = parseDnsEntry(item);
            if (!take(r, column)) return;
            if (r.value.kind === 'server') acc.dnsServers.push(r.value.value);
            else acc.searchDomains.push(r.value.value);
          });
          break;
        case 'preup':
        case 'postup':
        case 'predown':
        case 'postdown': {
          const hookKey = HOOKS.get(key) ?? 'PreUp';
          acc.hooks[hookKey].push(value);
          acc.hookLines.push({ key: hookKey, line: lineNo, value });
          break;
        }
      }
    } else {
      const acc = section.acc;
      switch (key as PeerKey) {
        case 'publickey': {
          const k = takeKey();
          if (k !== undefined) acc.publicKey = k;
          acc.publicKeyAt = at;
          break;
        }
        case 'presharedkey': {
          const k = takeKey();
          if (k !== undefined) acc.presharedKey = k;
          break;
        }
        case 'allowedips':
          eachItem((item, column) => {
            const r = parseIpPrefix(item);
            if (!take(r, column)) return;
            // wg warns "AllowedIP has nonzero host part" and the device stores the network.
            const network = normalizePrefix(r.value);
            if (!network) return;
            acc.allowedIPs.push(network.cidr);
            acc.allowedAt.push({ line: lineNo, column });
            if (network.hadHostBits) masked.push({ line: lineNo, column, written: item, cidr: network.cidr });
          });
          break;
        case 'endpoint': {
          const r = parseEndpoint(value);
          if (take(r)) acc.endpoint = r.value;
          break;
        }
        case 'persistentkeepalive': {
          const r = parsePersistentKeepalive(value);
          if (take(r)) acc.persistentKeepalive = r.value;
          break;
        }
      }
    }
  }

  // Whole-file checks, after every line has been read.
  let ownPublicKey: string | undefined;
  if (!iface) {
    sink.add('WG_NO_INTERFACE', 0, 1, '', msg.noInterface());
  } else if (iface.privateKey !== undefined) {
    const derived = publicKeyFromPrivate(iface.privateKey);
    if (derived.ok) ownPublicKey = derived.key;
  } else if (!iface.privateKeyAt) {
    sink.add('WG_NO_PRIVATE_KEY', iface.line, 1, '[Interface]', msg.noPrivateKey());
  }
  const firstPeerWithKey = new Map<string, number>();
  for (const peer of peers) {
    if (!peer.publicKeyAt) {
      sink.add('WG_PEER_NO_PUBLIC_KEY', peer.line, 1, '[Peer]', msg.peerNoPublicKey());
      continue;
    }
    const key = peer.publicKey;
    if (key === undefined) continue;
    const firstLine = firstPeerWithKey.get(key);
    if (firstLine !== undefined) {
      sink.add('WG_DUPLICATE_PEER', peer.publicKeyAt.line, peer.publicKeyAt.column, key, msg.duplicatePeer(key, firstLine));
    } else {
      firstPeerWithKey.set(key, peer.line);
    }
    if (key === ownPublicKey) sink.add('WG_PEER_IS_SELF', peer.publicKeyAt.line, peer.publicKeyAt.column, key, msg.peerIsSelf(key));
  }
  // The device gives each network to one peer: a later peer's entry silently takes it from an earlier one.
  const ownerOf = new Map<string, PeerAcc>();
  for (const peer of peers) {
    peer.allowedIPs.forEach((cidr, i) => {
      const owner = ownerOf.get(cidr);
      const at = peer.allowedAt[i];
      if (owner && owner !== peer && at) sink.add('WG_ALLOWEDIPS_SHARED', at.line, at.column, cidr, msg.allowedIpsShared(cidr, owner.line));
      else if (!owner) ownerOf.set(cidr, peer);
    });
  }

  const errors = sink.finish();
  if (errors.length > 0 || !iface || iface.privateKey === undefined || ownPublicKey === undefined) {
    return { ok: false, errors };
  }
  return buildResult(iface, ownPublicKey, peers, masked);
}

function buildResult(acc: InterfaceAcc, publicKey: string, peerAccs: PeerAcc[], maskedAllowedIPs: WireGuardLocated['maskedAllowedIPs']): WireGuardParseResult {
  const iface: WireGuardInterface = {
    privateKey: acc.privateKey ?? '',
    publicKey,
    addresses: acc.addresses,
    dns: { servers: acc.dnsServers, searchDomains: acc.searchDomains },
    preUp: acc.hooks.PreUp,
    postUp: acc.hooks.PostUp,
    preDown: acc.hooks.PreDown,
    postDown: acc.hooks.PostDown,
  };
  // Optional fields are left out rather than set to undefined, so profiles compare cleanly.
  if (acc.listenPort !== undefined) iface.listenPort = acc.listenPort;
  if (acc.mtu !== undefined) iface.mtu = acc.mtu;
  if (acc.table !== undefined) iface.table = acc.table;
  if (acc.saveConfig !== undefined) iface.saveConfig = acc.saveConfig;

  const keyLines: Record<string, number> = { interface: acc.line };
  for (const [key, line] of acc.seen) keyLines[`interface.${key}`] = line;

  const peers = peerAccs.map((p, index): WireGuardPeer => {
    keyLines[`peer.${index}`] = p.line;
    for (const [key, line] of p.seen) keyLines[`peer.${index}.${key}`] = line;
    const peer: WireGuardPeer = { publicKey: p.publicKey ?? '', allowedIPs: p.allowedIPs };
    if (p.presharedKey !== undefined) peer.presharedKey = p.presharedKey;
    if (p.endpoint !== undefined) peer.endpoint = p.endpoint;
    if (p.persistentKeepalive !== undefined) peer.persistentKeepalive = p.persistentKeepalive;
    return peer;
  });

  return {
    ok: true,
    profile: { kind: 'wireguard', interface: iface, peers },
    located: { hooks: acc.hookLines, keyLines, maskedAllowedIPs, emptyDefaults: acc.emptyDefaults },
    errors: [],
  };
}
