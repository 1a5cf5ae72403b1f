/**
 * The openvpn command line. The profile comes first (`--config`), the helper's own options after
 * it: for options that take one value, the last occurrence wins, so the profile cannot override how
 * the helper controls the process.
 */
import type { OpenVpnDirective } from '../../../../shared/profiles/openvpn/model.js';

export const GUI_VERSION = 'tsunagu 0.1';

/** Options that already make openvpn notice a dead link. */
const LIVENESS = new Set(['ping', 'ping-restart', 'keepalive', 'ping-exit', 'inactive']);

function hasLiveness(directives: readonly OpenVpnDirective[]): boolean {
  return directives.some((d) => LIVENESS.has(d.name) || (d.block !== undefined && hasLiveness(d.block)));
}

function hasDirective(directives: readonly OpenVpnDirective[], name: string): boolean {
  return directives.some((d) => d.name === name || (d.block !== undefined && hasDirective(d.block, name)));
}

export interface OpenVpnArgsOptions {
  configPath: string;
  managementSocket: string;
  /** The profile's directives, to decide on a default liveness check. */
  directives: readonly OpenVpnDirective[];
  /** Every server in the profile is reached over UDP. */
  udpOnly: boolean;
}

export function openVpnArgs(o: OpenVpnArgsOptions): string[] {
  const args = [
    '--config', o.configPath,
    // openvpn dials our socket and exits when that connection closes: the tunnel dies with the helper.
    '--management', o.managementSocket, 'unix',
    '--management-client',
    // No --management-hold: the first start runs at once and the driver arms the hold (`hold on`)
    // as soon as openvpn dials in, so every restart after that waits for the driver.
    '--management-query-passwords',
    // Reports the tunnel environment (device, pushed dhcp-options) as >UPDOWN on every up/down.
    '--management-up-down',
    // Keep the process and its management connection after an auth failure; the driver decides.
    '--auth-retry', 'interact',
    '--script-security', '1',
    '--verb', '3',
    '--setenv', 'IV_GUI_VER', GUI_VERSION,
  ];
  // Without any ping setting a UDP tunnel never notices that the server went away. Pushed
  // ping/ping-restart (e.g. the server's keepalive) still override these.
  if (!hasLiveness(o.directives)) args.push('--ping', '10', '--ping-restart', '60');
  // Over UDP a server only learns that a client left when its keepalive times out, holding the
  // client's address until then; telling it on disconnect frees the address at once.
  if (o.udpOnly && !hasDirective(o.directives, 'explicit-exit-notify')) args.push('--explicit-exit-notify', '1');
  return args;
}
