/** The servers a profile connects to, as its kind's format names them (OpenVPN remotes, WireGuard endpoints, …). */
import ipaddr from 'ipaddr.js';
import { profileServers, type InspectedProfile } from '../profiles/inspect.js';

export function serverHosts(profile: InspectedProfile): string[] {
  return [...new Set(profileServers(profile))];
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
