/**
 * NetworkManager WireGuard connections (`type=wireguard`) as wg-quick text. The interface is in
 * `[wireguard]`, each peer in `[wireguard-peer.<public key>]`, addresses and DNS in `[ipv4]` /
 * `[ipv6]`. Values are checked here with the WireGuard format's own value rules, so a bad one is
 * reported at the keyfile's line; the wg-quick text is then inspected as any .conf is.
 */
import type { Advisory, LocalizedText, ProfileError } from '../diagnostics.js';
import { decodeKey } from '../wireguard/keys.js';
import { keyProblemMessage, msg, type WgErrorCode } from '../wireguard/messages.js';
import { parseDnsEntry, parseEndpoint, parseIpPrefix, parseListenPort, parseMtu, parsePersistentKeepalive, type ValueResult } from '../wireguard/values.js';
import { formatEndpoint } from '../wireguard/writer.js';
import { AlignedText } from './aligned-text.js';
import { findGroup, keyfileError, listValue, stringValue, type Keyfile, type KeyfileEntry, type KeyfileGroup } from './keyfile.js';
import { badValue, entryError, ignoredKey, missingKey, unknownKey } from './messages.js';
import type { TranslateContext, TranslatorResult } from './translation.js';

const PEER_GROUP = 'wireguard-peer.';

const t = (en: string, ja: string): LocalizedText => ({ en, ja });

class Collector {
  readonly errors: ProfileError[] = [];
  readonly advisories: Advisory[] = [];

  value(entry: KeyfileEntry): string | null {
    const v = stringValue(entry);
    if (!v.ok) {
      this.errors.push(v.error);
      return null;
    }
    return v.value.trim();
  }

  list(entry: KeyfileEntry): string[] {
    const v = listValue(entry);
    if (!v.ok) {
      this.errors.push(v.error);
      return [];
    }
    return v.value.map((s) => s.trim()).filter((s) => s !== '');
  }

  /** A WireGuard value rule applied at the keyfile's line. */
  check<T>(entry: KeyfileEntry, result: ValueResult<T>): T | null {
    if (result.ok) return result.value;
    const p = result.problem;
    this.errors.push(keyfileError(p.code, entry.line, entry.column, entry.source, p.message));
    return null;
  }

  key(entry: KeyfileEntry, text: string): string | null {
    const decoded = decodeKey(text);
    if (decoded.ok) return text;
    const problem = keyProblemMessage(decoded.problem, text);
    this.errors.push(keyfileError(problem.code, entry.line, entry.column, entry.source, problem.message));
    return null;
  }

  wg(code: WgErrorCode, entry: KeyfileEntry, message: LocalizedText): void {
    this.errors.push(keyfileError(code, entry.line, entry.column, entry.source, message));
  }
}

/** `private-key-flags`: 0 = saved in the file; 1 (agent), 2 (not saved), 4 (not required) = not here. */
function secretFlags(c: Collector, entry: KeyfileEntry | undefined): number {
  if (!entry) return 0;
  const v = c.value(entry);
  return v !== null && /^\d+$/.test(v) ? Number(v) : 0;
}

function translateInterface(c: Collector, group: KeyfileGroup, addLine: (at: number, line: string) => void): void {
  const get = (k: string): KeyfileEntry | undefined => group.entries.find((e) => e.key === k);
  const privateKey = get('private-key');
  if (!privateKey) {
    if (secretFlags(c, get('private-key-flags')) !== 0) {
      c.errors.push(keyfileError('NM_SECRET_NOT_STORED', group.line, 1, `[${group.name}]`, {
        en: "NetworkManager keeps this connection's private key outside the file (in a keyring or agent), so it cannot be imported from it. Export the connection with 'nmcli connection export', or ask for a wg-quick .conf file.",
        ja: 'この接続の秘密鍵は NetworkManager がファイルの外 (キーリングやエージェント) に保管しているため、このファイルからはインポートできません。\'nmcli connection export\' で接続を書き出すか、wg-quick の .conf ファイルを依頼してください。',
      }));
    } else c.errors.push(missingKey(group, 'wireguard', 'private-key', t("is this computer's WireGuard key", 'このコンピューターの WireGuard の鍵です')));
  }
  for (const entry of group.entries) {
    const k = entry.key;
    const v = c.value(entry);
    if (v === null) continue;
    if (k === 'private-key') {
      const key = c.key(entry, v);
      if (key !== null) addLine(entry.line, `PrivateKey = ${key}`);
    } else if (k === 'listen-port') {
      const port = c.check(entry, parseListenPort(v));
      if (port !== null && port !== 0) addLine(entry.line, `ListenPort = ${port}`);
    } else if (k === 'fwmark') {
      if (v !== '0' && v !== '') c.wg('WG_FWMARK_REFUSED', entry, msg.fwMarkRefused(v));
    } else if (k === 'mtu') {
      if (v !== '0') {
        const mtu = c.check(entry, parseMtu(v));
        if (mtu !== null) addLine(entry.line, `MTU = ${mtu}`);
      }
    } else if (k === 'peer-routes') {
      // NetworkManager adds routes for each peer's allowed IPs unless told not to; wg-quick's Table = off is the same choice.
      if (v === 'false') addLine(entry.line, 'Table = off');
      else if (v !== 'true') c.errors.push(badValue(entry, v, t("it is 'true' or 'false'", "'true' か 'false' です")));
    } else if (k === 'ip4-auto-default-route' || k === 'ip6-auto-default-route') {
      c.advisories.push(ignoredKey(entry, t('Tsunagu routes a peer with 0.0.0.0/0 or ::/0 through the tunnel itself, keeping the route to the server outside it.', 'Tsunagu は 0.0.0.0/0 や ::/0 を持つピアを自らトンネルへ経路付けし、サーバーへの経路はトンネルの外に残します。')));
    } else if (k === 'private-key-flags') {
      // Read with 'private-key'.
    } else c.advisories.push(unknownKey(entry, 'wireguard'));
  }
}

function translatePeer(c: Collector, group: KeyfileGroup, lines: AlignedText): void {
  const publicKey = group.name.slice(PEER_GROUP.length);
  const header = { key: 'public-key', raw: publicKey, line: group.line, column: 2 + PEER_GROUP.length, source: `[${group.name}]` };
  const key = c.key(header, publicKey);
  const body: Array<[number, string]> = [];
  const get = (k: string): KeyfileEntry | undefined => group.entries.find((e) => e.key === k);
  for (const entry of group.entries) {
    const k = entry.key;
    if (k === 'allowed-ips') {
      const cidrs: string[] = [];
      for (const item of c.list(entry)) {
        const cidr = c.check(entry, parseIpPrefix(item));
        if (cidr !== null) cidrs.push(cidr);
      }
      if (cidrs.length > 0) body.push([entry.line, `AllowedIPs = ${cidrs.join(', ')}`]);
      continue;
    }
    const v = c.value(entry);
    if (v === null) continue;
    if (k === 'endpoint') {
      const endpoint = c.check(entry, parseEndpoint(v));
      if (endpoint !== null) body.push([entry.line, `Endpoint = ${formatEndpoint(endpoint)}`]);
    } else if (k === 'preshared-key') {
      const psk = c.key(entry, v);
      if (psk !== null) body.push([entry.line, `PresharedKey = ${psk}`]);
    } else if (k === 'persistent-keepalive') {
      const keepalive = c.check(entry, parsePersistentKeepalive(v));
      if (keepalive !== null && keepalive !== undefined) body.push([entry.line, `PersistentKeepalive = ${keepalive}`]);
    } else if (k === 'preshared-key-flags') {
      if (!get('preshared-key') && secretFlags(c, entry) !== 0 && secretFlags(c, entry) !== 4) {
        c.errors.push(entryError('NM_SECRET_NOT_STORED', entry, t(
          "NetworkManager keeps this peer's preshared key outside the file, so the connection cannot be imported from it. Export it with 'nmcli connection export', or ask for a wg-quick .conf file.",
          "このピアの事前共有鍵は NetworkManager がファイルの外に保管しているため、このファイルからはインポートできません。'nmcli connection export' で書き出すか、wg-quick の .conf ファイルを依頼してください。")));
      }
    } else c.advisories.push(unknownKey(entry, group.name));
  }
  if (key !== null) lines.add(group.line, '[Peer]', `PublicKey = ${key}`);
  for (const [at, line] of body) lines.add(at, line);
}

/** `address1=10.0.0.2/24[,gateway]`, `dns=…;`, `dns-search=…;` of one IP family, into [Interface]. */
function translateIp(c: Collector, group: KeyfileGroup | undefined, family: 4 | 6, addresses: string[], dns: string[]): void {
  for (const entry of group?.entries ?? []) {
    const k = entry.key;
    if (/^address(es)?\d*$/.test(k)) {
      const v = c.value(entry);
      if (v === null) continue;
      const cidr = c.check(entry, parseIpPrefix(v.split(',')[0]?.trim() ?? ''));
      if (cidr !== null) addresses.push(cidr);
    } else if (k === 'dns' || k === 'dns-search') {
      for (const item of c.list(entry)) {
        const parsed = c.check(entry, parseDnsEntry(k === 'dns-search' ? item.replace(/^~/, '') : item));
        if (parsed !== null) dns.push(parsed.value);
      }
    } else if (k === 'method') {
      const v = c.value(entry);
      if (v !== null && !['manual', 'disabled', 'ignore', 'auto', 'link-local'].includes(v)) c.errors.push(badValue(entry, v, t('NetworkManager methods are manual, auto, disabled, ignore and link-local', 'NetworkManager の方式は manual、auto、disabled、ignore、link-local のいずれかです')));
    } else if (k === 'never-default') {
      if (c.value(entry) === 'true') {
        c.advisories.push(ignoredKey(entry, t(
          "'never-default' kept NetworkManager from sending all traffic through this tunnel. Tsunagu routes exactly the peers' AllowedIPs: if a peer lists 0.0.0.0/0 or ::/0, all traffic goes through the tunnel. Narrow AllowedIPs if that is not what you want.",
          "'never-default' により NetworkManager はすべての通信をこのトンネルへ送りませんでした。Tsunagu はピアの AllowedIPs をそのまま経路付けします。ピアに 0.0.0.0/0 や ::/0 があれば、すべての通信がトンネルを通ります。望まない場合は AllowedIPs を狭めてください。"), 'warning'));
      }
    } else if (/^routes?\d*$/.test(k)) {
      c.advisories.push(ignoredKey(entry, t("wg-quick routes each peer's AllowedIPs; extra routes of NetworkManager's are not imported. Add the network to the peer's AllowedIPs instead.", 'wg-quick は各ピアの AllowedIPs を経路付けします。NetworkManager の追加ルートはインポートしません。代わりにピアの AllowedIPs にネットワークを追加してください。'), 'warning'));
    } else if (!['may-fail', 'dns-priority', 'addr-gen-mode', 'ip6-privacy', 'ignore-auto-dns', 'ignore-auto-routes', 'route-metric', 'dns-options'].includes(k) && !/^(route|address)\d+_options$/.test(k)) {
      c.advisories.push(ignoredKey(entry, t(`NetworkManager's [ipv${family}] '${k}' has no wg-quick counterpart.`, `NetworkManager の [ipv${family}] '${k}' に対応する wg-quick の設定はありません。`)));
    }
  }
}

export function translateWireGuardKeyfile(keyfile: Keyfile, _ctx: TranslateContext): TranslatorResult {
  const c = new Collector();
  const wg = findGroup(keyfile, 'wireguard');
  const connection = findGroup(keyfile, 'connection');
  if (!wg) return { ok: false, errors: [missingKey(connection, 'wireguard', 'private-key', t("is this computer's WireGuard key (the [wireguard] group is missing)", 'このコンピューターの WireGuard の鍵です ([wireguard] グループがありません)'))] };
  const lines = new AlignedText();
  const iface: Array<[number, string]> = [];
  translateInterface(c, wg, (at, line) => iface.push([at, line]));
  const addresses: string[] = [];
  const dns: string[] = [];
  translateIp(c, findGroup(keyfile, 'ipv4'), 4, addresses, dns);
  translateIp(c, findGroup(keyfile, 'ipv6'), 6, addresses, dns);
  // wg-quick wants every [Interface] key before the first [Peer]: [ipv4]/[ipv6] values join the
  // [wireguard] group's lines (they were checked above at their own lines).
  lines.add(wg.line, '[Interface]');
  for (const [at, line] of iface) lines.add(at, line);
  const last = Math.max(wg.line, ...iface.map(([at]) => at));
  if (addresses.length > 0) lines.add(last, `Address = ${addresses.join(', ')}`);
  if (dns.length > 0) lines.add(last, `DNS = ${dns.join(', ')}`);
  const peers = keyfile.groups.filter((g) => g.name.startsWith(PEER_GROUP));
  if (peers.length === 0) {
    c.errors.push(keyfileError('NM_MISSING_KEY', wg.line, 1, `[${wg.name}]`, {
      en: 'This WireGuard connection has no peer (no [wireguard-peer.<public key>] group), so there is no server to connect to.',
      ja: 'この WireGuard 接続にはピア ([wireguard-peer.<公開鍵>] グループ) がないため、接続先のサーバーがありません。',
    }));
  }
  for (const peer of peers) translatePeer(c, peer, lines);
  for (const group of keyfile.groups) {
    if (['connection', 'wireguard', 'ipv4', 'ipv6', 'proxy', 'ethtool', 'match'].includes(group.name) || group.name.startsWith(PEER_GROUP)) continue;
    for (const entry of group.entries) c.advisories.push(unknownKey(entry, group.name));
  }
  if (c.errors.length > 0) return { ok: false, errors: c.errors.sort((a, b) => a.line - b.line) };
  return { ok: true, text: lines.toString(), files: [], advisories: c.advisories.sort((a, b) => a.line - b.line) };
}
