/** The servers a profile connects to: its effective OpenVPN remotes or its WireGuard endpoints. */
import ipaddr from 'ipaddr.js';
import type { InspectedProfile } from '../profiles/inspect.js';

export function serverHosts(profile: InspectedProfile): string[] {
  const hosts = profile.kind === 'openvpn' ? profile.remotes.map((r) => r.host) : profile.peers.flatMap((p) => (p.endpoint ? [p.endpoint.host] : []));
  return [...new Set(hosts)];
}

/**
 * The names the tunnel will actually look up, for AllowedServers: `remote-random-hostname` makes
 * openvpn prepend 12 random hex digits to every remote that is a name (not to an address), so the
 * host reached is a subdomain of the one written. Any such label stands for all of them: a name
 * pattern matches one exactly when it matches every other.
 */
export function reachedHosts(profile: InspectedProfile): string[] {
  const hosts = serverHosts(profile);
  if (profile.kind !== 'openvpn' || !profile.directives.some((d) => d.name === 'remote-random-hostname')) return hosts;
  return hosts.map((h) => (ipaddr.isValid(h) ? h : `000000000000.${h}`));
}
