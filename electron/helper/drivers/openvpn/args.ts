/**
 * How the helper runs openvpn: a fixed command line that controls the process, and a few
 * profile-dependent defaults appended to the config it feeds in.
 *
 * The command line depends on nothing in the profile, so openvpn can be started while the helper
 * is still inspecting the profile (see process.ts); it then reads its config from stdin. Its
 * options come after `--config`: for options that take one value the last occurrence wins, so the
 * profile cannot override how the helper controls the process.
 */
import type { OpenVpnDirective } from '../../../../shared/profiles/openvpn/model.js';

export const GUI_VERSION = 'tsunagu 0.1';

/**
 * `--config stdin` makes openvpn read its configuration from file descriptor 0 to end of file (a
 * name it treats specially). Not `/dev/stdin`: Node gives a child's stdin as a socket pair, which
 * cannot be opened through /proc/self/fd.
 */
export const CONFIG_FROM_STDIN = 'stdin';

/** Options that already make openvpn notice a dead link. */
const LIVENESS = new Set(['ping', 'ping-restart', 'keepalive', 'ping-exit', 'inactive']);

function hasLiveness(directives: readonly OpenVpnDirective[]): boolean {
  return directives.some((d) => LIVENESS.has(d.name) || (d.block !== undefined && hasLiveness(d.block)));
}

function hasDirective(directives: readonly OpenVpnDirective[], name: string): boolean {
  return directives.some((d) => d.name === name || (d.block !== undefined && hasDirective(d.block, name)));
}

export interface OpenVpnArgsOptions {
  /** The config file, or CONFIG_FROM_STDIN. */
  configPath: string;
  managementSocket: string;
}

export function openVpnArgs(o: OpenVpnArgsOptions): string[] {
  return [
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
}

export interface ProfileFacts {
  /** The profile's directives, to decide on a default liveness check. */
  directives: readonly OpenVpnDirective[];
  /** Every server in the profile is reached over UDP. */
  udpOnly: boolean;
}

/** Defaults the helper adds after the profile's own directives (so pushed options still win). */
export function helperDirectives(p: ProfileFacts): string[] {
  const lines: string[] = [];
  // Without any ping setting a UDP tunnel never notices that the server went away. Pushed
  // ping/ping-restart (e.g. the server's keepalive) still override these.
  if (!hasLiveness(p.directives)) lines.push('ping 10', 'ping-restart 60');
  // Over UDP a server only learns that a client left when its keepalive times out, holding the
  // client's address until then; telling it on disconnect frees the address at once.
  if (p.udpOnly && !hasDirective(p.directives, 'explicit-exit-notify')) lines.push('explicit-exit-notify 1');
  return lines;
}

/** The config openvpn runs: the canonical profile, then the helper's defaults, marked as such. */
export function runConfig(canonical: string, p: ProfileFacts): string {
  const extra = helperDirectives(p);
  const body = canonical.endsWith('\n') ? canonical : `${canonical}\n`;
  return extra.length === 0 ? body : `${body}# Added by the Tsunagu helper\n${extra.join('\n')}\n`;
}
