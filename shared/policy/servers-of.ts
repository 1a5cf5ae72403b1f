/** The servers a profile connects to, as its kind's format names them (OpenVPN remotes, WireGuard endpoints, …). */
import ipaddr from 'ipaddr.js';
import { profileServers, type InspectedProfile } from '../profiles/inspect.js';
import { effectiveConnections } from '../profiles/openvpn/describe.js';

export function serverHosts(profile: InspectedProfile): string[] {
  return [...new Set(profileServers(profile))];
}

/**
 * The names the tunnel will actually look up, for AllowedServers: `remote-random-hostname` makes
 * openvpn prepend 12 random hex digits to every remote that is a name (not to an address), so the
 * host reached is a subdomain of the one written. Any such label stands for all of them: a name
 * pattern matches one exactly when it matches every other.
 *
 * An OpenVPN proxy (`http-proxy`, `socks-proxy`, `http-proxy-override`) is reached too, and judged
 * as well as the remotes behind it: openvpn hands the remote's name to the proxy, which resolves it
 * and connects wherever it likes, so a proxy the administrator did not allow could take an allowed
 * remote's name anywhere.
 */
export function reachedHosts(profile: InspectedProfile): string[] {
  const hosts = serverHosts(profile);
  if (profile.kind !== 'openvpn') return hosts;
  const remotes = profile.directives.some((d) => d.name === 'remote-random-hostname') ? hosts.map((h) => (ipaddr.isValid(h) ? h : `000000000000.${h}`)) : hosts;
  const proxies = effectiveConnections(profile.directives).flatMap((c) => (c.proxy ? [c.proxy.host] : []));
  return [...new Set([...remotes, ...proxies])];
}
