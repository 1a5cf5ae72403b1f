/**
 * The servers a tunnel reaches, as addresses the kill switch can allow (issue 14), and the
 * profile pinned to them. Host names are resolved by the helper before anything is blocked, so
 * the tool never needs DNS outside the tunnel (not at start, not on a reconnect under the block),
 * and a name that does not resolve fails the connect at once (issue 15: a placeholder such as the
 * seed's `remote vpn-server-ip` used to wait for the connect timeout).
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import type { OpenVpnDirective } from '../../../shared/profiles/openvpn/model.js';
import type { ProfileModel } from '../../../shared/profiles/format.js';
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

function notFound(host: string, detail: string): HelperFailure {
  return new HelperFailure(
    'server-not-found',
    {
      en: `The server name “${host}” was not found. Check the server address in the profile (a placeholder such as “vpn-server-ip” must be replaced with the real server).`,
      ja: `サーバー名「${host}」が見つかりません。プロファイルのサーバーアドレスを確認してください (「vpn-server-ip」のような仮の値は実際のサーバーに置き換える必要があります)。`,
    },
    detail,
  );
}

/** Every name among `hosts` resolved (addresses stay as they are); throws `server-not-found` for the first that does not. */
export async function resolveServers(hosts: readonly string[], resolver: Resolver = systemResolver, timeoutMs = RESOLVE_TIMEOUT_MS): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  await Promise.all([...new Set(hosts)].map(async (host) => {
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
      throw notFound(host, `${host}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }));
  return out;
}

/** The packets the tunnel's own process sends to its servers, each with the helper's mark. */
export function profileEndpoints(profile: ProfileModel, resolved: ReadonlyMap<string, string[]>): Endpoint[] {
  const addressesOf = (host: string) => resolved.get(host) ?? (isAddress(host) ? [host] : []);
  const out: Endpoint[] = [];
  const add = (host: string, protocol: 'udp' | 'tcp', port: number) => {
    for (const address of addressesOf(host)) out.push({ protocol, address, port, mark: TSUNAGU_FWMARK });
  };
  switch (profile.kind) {
    case 'wireguard':
      for (const p of profile.peers) if (p.endpoint) add(p.endpoint.host, 'udp', p.endpoint.port);
      break;
    case 'openvpn':
      for (const r of profile.remotes) add(r.host, r.transport, r.port);
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

function pinDirectives(directives: readonly OpenVpnDirective[], pin: (host: string) => string): OpenVpnDirective[] {
  return directives.map((d) => {
    if (d.block) return { ...d, block: pinDirectives(d.block, pin) };
    if (d.name === 'remote' && d.args[0] !== undefined) return { ...d, args: [pin(d.args[0]), ...d.args.slice(1)] };
    return d;
  });
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
