/** The servers a profile connects to: its effective OpenVPN remotes or its WireGuard endpoints. */
import type { InspectedProfile } from '../profiles/inspect.js';

export function serverHosts(profile: InspectedProfile): string[] {
  const hosts = profile.kind === 'openvpn' ? profile.remotes.map((r) => r.host) : profile.peers.flatMap((p) => (p.endpoint ? [p.endpoint.host] : []));
  return [...new Set(hosts)];
}
