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
import { firstDifference, rereadOpenVpn } from '../../../../shared/profiles/openvpn/reread.js';
import { TSUNAGU_FWMARK } from '../../firewall/intent.js';
import type { TunnelDevice } from './device.js';

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
    // The driver reads pushes and route changes from the log: level 3 shows them, and no muting
    // (a profile's `mute` would drop a run of route lines).
    '--verb', '3',
    '--mute', '0',
    '--setenv', 'IV_GUI_VER', GUI_VERSION,
    // The kill switch lets only the tunnel's own (marked) packets reach its servers; after
    // --config, so a profile's `mark` cannot change it.
    '--mark', String(TSUNAGU_FWMARK),
  ];
}

export interface ProfileFacts {
  /** The profile's directives, to decide on a default liveness check. */
  directives: readonly OpenVpnDirective[];
  /** Every server in the profile is reached over UDP. */
  udpOnly: boolean;
}

/**
 * Pushed options the helper drops whatever the server sends (2.6 accepts both classes from a
 * server: OPT_P_EXPLICIT_NOTIFY and OPT_P_MESSAGES are in its pull_permission_mask):
 *   - `explicit-exit-notify N` keeps openvpn alive N seconds after it was told to stop (the
 *     profile's own value is clamped by the engine, and it sets the teardown's grace);
 *   - `verb` / `mute` would silence the log lines the driver learns the rest of the push and the
 *     routes openvpn adds from (routes.ts), hiding routes from the conflict check and the cleanup.
 */
export const FILTERED_PUSHES = ['explicit-exit-notify', 'verb', 'mute'] as const;

/**
 * Seconds openvpn waits after the connection is up before adding any route (`route-delay`) while
 * another session is active: its routes (redirect-gateway's too) come only after the helper has
 * checked the pushed ones, which it does on the PUSH_REPLY log line and, on a conflict, SIGKILLs
 * openvpn long before. 2.6 also holds "Initialization Sequence Completed" (CONNECTED) until then,
 * so only a connect beside another session pays it.
 */
export const GUARD_ROUTE_DELAY_S = 2;

/** Pushes dropped while routes are guarded: a server's `route-delay 0` would undo the guard. */
const GUARD_FILTERED_PUSHES = ['route-delay'] as const;

/** Whether openvpn's routes wait for the helper's check of the pushed ones (another session is active). */
export interface RouteGuard {
  guardRoutes: boolean;
}

/** How the helper runs this session's openvpn: the route guard, and the device it names (device.ts). */
export interface RunOptions extends RouteGuard {
  /**
   * `dev NAME` + `dev-type tun|tap` after the profile (the last `dev` wins in openvpn): the kill
   * switch allows NAME before openvpn opens it. In the config rather than on the command line,
   * which must not depend on the profile (openvpn is launched while it is inspected, process.ts).
   */
  device?: TunnelDevice;
}

function filteredPushes(g: RouteGuard): readonly string[] {
  return g.guardRoutes ? [...FILTERED_PUSHES, ...GUARD_FILTERED_PUSHES] : FILTERED_PUSHES;
}

/**
 * A profile `pull-filter accept` that would match one of FILTERED_PUSHES before the helper's
 * `ignore` (openvpn applies the first filter whose text starts the option), or null.
 */
export function shadowingPullFilter(directives: readonly OpenVpnDirective[], g: RouteGuard = { guardRoutes: false }): string | null {
  const filtered = filteredPushes(g);
  for (const d of directives) {
    if (d.name !== 'pull-filter' || d.args[0] !== 'accept') continue;
    const text = d.args[1] ?? '';
    if (filtered.some((name) => name.startsWith(text) || text.startsWith(name))) return text;
  }
  return null;
}

function exitNotifyValues(directives: readonly OpenVpnDirective[]): number[] {
  return directives.flatMap((d) => [
    // openvpn's default count when the directive has no argument is 1.
    ...(d.name === 'explicit-exit-notify' ? [Number(d.args[0] ?? '1')] : []),
    ...(d.block ? exitNotifyValues(d.block) : []),
  ]);
}

/**
 * How long openvpn may take to exit after SIGTERM: it tells the server once a second for the
 * explicit-exit-notify count (the profile's, else the helper's 1 for UDP; pushed ones are
 * filtered), then exits.
 */
export function exitNotifySeconds(p: ProfileFacts): number {
  const values = exitNotifyValues(p.directives).filter((n) => Number.isInteger(n) && n >= 0);
  if (values.length > 0) return Math.max(...values);
  return p.udpOnly ? 1 : 0;
}

/**
 * The helper's own lines after the profile's directives (so pushed options still win where they
 * are not filtered). Plain tokens only: written as `name args…` with no quoting.
 */
export function helperDirectives(p: ProfileFacts, g: RunOptions = { guardRoutes: false }): OpenVpnDirective[] {
  const lines: OpenVpnDirective[] = g.device ? [{ name: 'dev', args: [g.device.name] }, { name: 'dev-type', args: [g.device.type] }] : [];
  lines.push(...filteredPushes(g).map((name) => ({ name: 'pull-filter', args: ['ignore', name] })));
  // After the profile: its own route-delay (one value, the last wins) cannot shorten the guard.
  if (g.guardRoutes) lines.push({ name: 'route-delay', args: [String(GUARD_ROUTE_DELAY_S)] });
  // Without any ping setting a UDP tunnel never notices that the server went away. Pushed
  // ping/ping-restart (e.g. the server's keepalive) still override these.
  if (!hasLiveness(p.directives)) lines.push({ name: 'ping', args: ['10'] }, { name: 'ping-restart', args: ['60'] });
  // Over UDP a server only learns that a client left when its keepalive times out, holding the
  // client's address until then; telling it on disconnect frees the address at once.
  if (p.udpOnly && !hasDirective(p.directives, 'explicit-exit-notify')) lines.push({ name: 'explicit-exit-notify', args: ['1'] });
  return lines;
}

/** The config openvpn runs: the canonical profile, then the helper's lines, marked as such. */
export function runConfig(canonical: string, extra: readonly OpenVpnDirective[]): string {
  const body = canonical.endsWith('\n') ? canonical : `${canonical}\n`;
  return extra.length === 0 ? body : `${body}# Added by the Tsunagu helper\n${extra.map((d) => [d.name, ...d.args].join(' ')).join('\n')}\n`;
}

/**
 * The config openvpn runs, re-read the way openvpn 2.6 reads it (reread.ts, independent of the
 * engine's reader): refused unless openvpn would see exactly the inspected directives followed by
 * exactly the helper's lines. Returns the text, or why it must not run.
 */
export function checkedRunConfig(canonical: string, p: ProfileFacts, g: RunOptions = { guardRoutes: false }): { text: string } | { problem: string } {
  const shadow = shadowingPullFilter(p.directives, g);
  if (shadow !== null) return { problem: `the profile's 'pull-filter accept ${shadow}' would let the server push options the helper filters` };
  const extra = helperDirectives(p, g);
  const text = runConfig(canonical, extra);
  const reread = rereadOpenVpn(text);
  if (!reread.ok) return { problem: `openvpn would not read the config as checked (line ${reread.line}: ${reread.reason})` };
  const diff = firstDifference([...p.directives, ...extra], reread.directives, 'the config openvpn runs');
  return diff === null ? { text } : { problem: `openvpn would not read the config as checked: ${diff}` };
}
