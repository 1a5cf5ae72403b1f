/**
 * The servers a tunnel reaches, as addresses the kill switch can allow (issue 14), and the
 * profile pinned to them. Host names are resolved by the helper before anything is blocked, so
 * the tool never needs DNS outside the tunnel (not at start, not on a reconnect under the block),
 * and a name that does not resolve fails the connect at once (issue 15: a placeholder such as the
 * seed's `remote vpn-server-ip` used to wait for the connect timeout).
 *
 * An OpenVPN connection through a proxy (`http-proxy`, `socks-proxy`, `http-proxy-override`)
 * reaches the proxy, not the server: its endpoint is the proxy's address and port over TCP, its
 * proxy name is resolved and pinned like a server name, and the remote behind it is neither
 * allowed nor resolved, because openvpn hands the remote's name to the proxy as written (HTTP
 * CONNECT host:port, SOCKS5 CONNECT with a domain name) and never looks it up itself. The one
 * exception is UDP through SOCKS, where openvpn resolves the remote and sends to a relay the proxy
 * names only while connecting: the kill switch cannot allow that relay in advance (refused).
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import type { OpenVpnDirective } from '../../../shared/profiles/openvpn/model.js';
import { effectiveConnections } from '../../../shared/profiles/openvpn/describe.js';
import type { ProfileModel } from '../../../shared/profiles/format.js';
import { profileServers } from '../../../shared/profiles/inspect.js';
import { writeOpenVpnChecked } from '../../../shared/profiles/openvpn/writer.js';
import { writeWireGuard } from '../../../shared/profiles/wireguard/writer.js';
import { writeIkev2 } from '../../../shared/profiles/ikev2/writer.js';
import { HelperFailure } from '../failure.js';
import { TSUNAGU_FWMARK, type Endpoint } from './intent.js';

/** A lookup that has not answered by then fails: a connect must not hang on a dead resolver. */
export const RESOLVE_TIMEOUT_MS = 1500;

export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

function isAddress(host: string): boolean {
  return ipaddr.isValid(host) && !host.includes('%');
}

/** A name the helper looks up for the tool: a server's, or a proxy's the tool connects through. */
export interface ServerName {
  host: string;
  proxy: boolean;
}

function notFound(name: ServerName, detail: string): HelperFailure {
  const { host } = name;
  return new HelperFailure(
    'server-not-found',
    name.proxy
      ? {
        en: `The proxy name “${host}” was not found. Check the proxy address in the profile (the http-proxy or socks-proxy line).`,
        ja: `プロキシ名「${host}」が見つかりません。プロファイルのプロキシアドレス (http-proxy または socks-proxy の行) を確認してください。`,
      }
      : {
        en: `The server name “${host}” was not found. Check the server address in the profile (a placeholder such as “vpn-server-ip” must be replaced with the real server).`,
        ja: `サーバー名「${host}」が見つかりません。プロファイルのサーバーアドレスを確認してください (「vpn-server-ip」のような仮の値は実際のサーバーに置き換える必要があります)。`,
      },
    detail,
  );
}

/**
 * The names the tool itself would look up: every server's, but for an OpenVPN connection through a
 * proxy the proxy's (and the remote's only for UDP through SOCKS, which openvpn resolves itself).
 */
export function hostsToResolve(profile: ProfileModel): ServerName[] {
  if (profile.kind !== 'openvpn') return profileServers(profile).map((host) => ({ host, proxy: false }));
  return effectiveConnections(profile.directives).flatMap(({ remote, proxy }) => {
    if (!proxy) return [{ host: remote.host, proxy: false }];
    const own = { host: proxy.host, proxy: true };
    return proxy.type === 'socks' && remote.transport === 'udp' ? [own, { host: remote.host, proxy: false }] : [own];
  });
}

/** Every name among `hosts` resolved (addresses stay as they are); throws `server-not-found` for the first that does not. */
export async function resolveServers(hosts: readonly (string | ServerName)[], resolver: Resolver = systemResolver, timeoutMs = RESOLVE_TIMEOUT_MS): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const names = new Map<string, ServerName>();
  // A name that is both a server's and a proxy's is named as the proxy when it fails.
  for (const h of hosts) {
    const name = typeof h === 'string' ? { host: h, proxy: false } : h;
    if (!names.get(name.host)?.proxy) names.set(name.host, name);
  }
  await Promise.all([...names.values()].map(async (name) => {
    const { host } = name;
    if (isAddress(host)) {
      out.set(host, [host]);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const addresses = (await Promise.race([resolver(host), timeout])).filter(isAddress);
      if (addresses.length === 0) throw new Error('no addresses');
      out.set(host, [...new Set(addresses)]);
    } catch (e) {
      throw notFound(name, `${host}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }));
  return out;
}

/** An IPv4-mapped IPv6 address leaves as IPv4 (a v6 socket sends it so): the rule must say IPv4. */
function onTheWire(address: string): string {
  const parsed = ipaddr.parse(address);
  return parsed instanceof ipaddr.IPv6 && parsed.isIPv4MappedAddress() ? parsed.toIPv4Address().toString() : address;
}

/** The packets the tunnel's own process sends to its servers (or its proxies), each with the helper's mark. */
export function profileEndpoints(profile: ProfileModel, resolved: ReadonlyMap<string, string[]>): Endpoint[] {
  const addressesOf = (host: string) => resolved.get(host) ?? (isAddress(host) ? [host] : []);
  const out: Endpoint[] = [];
  const add = (host: string, protocol: 'udp' | 'tcp', port: number) => {
    // Port 0 (not a number in the profile) is nowhere the tool can reach: no rule.
    if (port < 1) return;
    for (const address of addressesOf(host)) out.push({ protocol, address: onTheWire(address), port, mark: TSUNAGU_FWMARK });
  };
  switch (profile.kind) {
    case 'wireguard':
      for (const p of profile.peers) if (p.endpoint) add(p.endpoint.host, 'udp', p.endpoint.port);
      break;
    case 'openvpn':
      // Through a proxy: only the proxy, over TCP (SOCKS's UDP relay is refused, killSwitchRefusal).
      for (const { remote, proxy } of effectiveConnections(profile.directives)) {
        if (proxy) add(proxy.host, 'tcp', proxy.port);
        else add(remote.host, remote.transport, remote.port);
      }
      break;
    case 'ikev2':
      // IKE on the remote port (500 by default), then NAT-T and ESP-in-UDP on 4500 (kernel-libipsec always encapsulates).
      for (const host of profile.remoteAddrs) {
        add(host, 'udp', profile.remotePort ?? 500);
        add(host, 'udp', 4500);
      }
      break;
  }
  const seen = new Set<string>();
  return out.filter((e) => {
    const key = JSON.stringify(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }).slice(0, 32);
}

/** The directives whose first argument is a host openvpn connects to (a name the helper may have resolved). */
const HOST_DIRECTIVES: ReadonlySet<string> = new Set(['remote', 'http-proxy', 'socks-proxy', 'http-proxy-override']);

function pinDirectives(directives: readonly OpenVpnDirective[], pin: (host: string) => string): OpenVpnDirective[] {
  return directives.map((d) => {
    if (d.block) return { ...d, block: pinDirectives(d.block, pin) };
    if (HOST_DIRECTIVES.has(d.name) && d.args[0] !== undefined) return { ...d, args: [pin(d.args[0]), ...d.args.slice(1)] };
    return d;
  });
}

/**
 * Why the kill switch cannot guard this profile's proxies, or null: a proxy on this computer
 * (loopback, or the unspecified address) makes its own connection to the server, unmarked, which
 * the kill switch blocks; UDP through SOCKS goes to a relay the proxy names only while connecting.
 */
export function killSwitchRefusal(profile: ProfileModel, resolved: ReadonlyMap<string, string[]>): HelperFailure | null {
  if (profile.kind !== 'openvpn') return null;
  for (const { remote, proxy } of effectiveConnections(profile.directives)) {
    if (!proxy) continue;
    const local = (resolved.get(proxy.host) ?? (isAddress(proxy.host) ? [proxy.host] : [])).find((a) => ['loopback', 'unspecified'].includes(ipaddr.parse(onTheWire(a)).range()));
    if (local !== undefined) {
      return new HelperFailure('kill-switch-local-proxy', {
        en: `The kill switch cannot work with a proxy on this computer (“${proxy.host}” is ${local}): the proxy's own connection to the VPN server would be blocked. Use the proxy's network address, or turn off the kill switch for this connection.`,
        ja: `このコンピューター上のプロキシ (「${proxy.host}」は ${local}) ではキルスイッチを使えません。プロキシ自身の VPN サーバーへの接続が遮断されます。プロキシのネットワークアドレスを使うか、この接続のキルスイッチをオフにしてください。`,
      }, `${proxy.type} proxy ${proxy.host}:${proxy.port} resolves to ${local}`);
    }
    if (proxy.type === 'socks' && remote.transport === 'udp') {
      return new HelperFailure('kill-switch-socks-udp', {
        en: `The kill switch cannot guard a UDP connection through the SOCKS proxy “${proxy.host}”: the proxy names the address it relays UDP through only while connecting. Use TCP (proto tcp-client) for this server, or turn off the kill switch for this connection.`,
        ja: `SOCKS プロキシ「${proxy.host}」経由の UDP 接続はキルスイッチで保護できません。プロキシが UDP を中継するアドレスは接続中にしか分からないためです。このサーバーには TCP (proto tcp-client) を使うか、この接続のキルスイッチをオフにしてください。`,
      }, `socks-proxy ${proxy.host}:${proxy.port} for udp remote ${remote.host}:${remote.port}`);
    }
  }
  return null;
}

/**
 * The profile's text with every server name replaced by its first address, written by the kind's
 * own writer (the helper inspects that text again before a tool reads it); null when the profile
 * names no server by name.
 */
export function pinnedText(profile: ProfileModel, resolved: ReadonlyMap<string, string[]>): string | null {
  const names = [...resolved.entries()].filter(([host]) => !isAddress(host));
  if (names.length === 0) return null;
  const pin = (host: string) => (isAddress(host) ? host : (resolved.get(host)?.[0] ?? host));
  switch (profile.kind) {
    case 'wireguard':
      return writeWireGuard({ ...profile, peers: profile.peers.map((p) => (p.endpoint ? { ...p, endpoint: { ...p.endpoint, host: pin(p.endpoint.host) } } : p)) });
    case 'openvpn': {
      const written = writeOpenVpnChecked({ directives: pinDirectives(profile.directives, pin), metadata: profile.metadata });
      return written.ok ? written.text : null;
    }
    case 'ikev2':
      return writeIkev2({ ...profile, remoteAddrs: profile.remoteAddrs.map(pin) });
  }
}
