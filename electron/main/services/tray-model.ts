/**
 * The tray, as data: which icon, what tooltip, which menu items. A pure function of the app's
 * state, so every state is unit-tested and the shell only translates the result into Electron's
 * Tray and Menu. Linux delivers no clicks on the icon itself, so everything is in the menu, and
 * the shell sets a fresh menu after every change.
 */
import type { ConnectionView, FirewallView, HelperStatus } from '../../../shared/ipc/app-api.js';
import { mainText, type MainKey, type MainLanguage, type MainVars } from '../../../shared/i18n/main-catalog.js';

export type TrayIcon = 'disconnected' | 'connecting' | 'connected' | 'error' | 'helper-unavailable';
export const TRAY_ICONS: readonly TrayIcon[] = ['disconnected', 'connecting', 'connected', 'error', 'helper-unavailable'];

export type TrayAction =
  | { type: 'connect'; profileId: string }
  | { type: 'disconnect'; profileId: string }
  | { type: 'open' }
  | { type: 'import' }
  | { type: 'quit' };

export type TrayItem =
  | { kind: 'label'; label: string }
  | { kind: 'separator' }
  | { kind: 'action'; label: string; action: TrayAction; enabled: boolean };

export interface TrayModel {
  icon: TrayIcon;
  tooltip: string;
  items: TrayItem[];
}

export interface TrayState {
  lang: MainLanguage;
  helper: HelperStatus;
  profiles: ReadonlyArray<{ id: string; name: string }>;
  connections: readonly ConnectionView[];
  /** AlwaysOn holds this user: no Disconnect, and quitting leaves the tunnels up. */
  disconnectLocked?: boolean;
  /** The helper's firewall (null or absent: away, or a helper without one). */
  firewall?: FirewallView | null;
}

/** The status text of a connection on its way somewhere, or null when it is settled. */
function busyText(status: ConnectionView['state']['status']): MainKey | null {
  switch (status) {
    case 'connecting':
      return 'trayConnecting';
    case 'authenticating':
      return 'trayAuthenticating';
    case 'reconnecting':
      return 'trayReconnecting';
    case 'disconnecting':
      return 'trayDisconnecting';
    default:
      return null;
  }
}

function isOver(view: ConnectionView): boolean {
  return view.state.status === 'disconnected' || view.state.status === 'error';
}

/** One line saying what the busiest connection is doing. */
function statusLine(state: TrayState, names: Map<string, string>): { icon: TrayIcon; text: string } {
  const t = (key: MainKey, vars?: MainVars) => mainText(state.lang, key, vars);
  if (state.helper.status === 'unavailable') return { icon: 'helper-unavailable', text: t('trayHelperUnavailable') };
  const nameOf = (view: ConnectionView) => names.get(view.profileId) ?? view.profileId;
  const views = state.connections.filter((v) => names.has(v.profileId));

  const waiting = views.find((v) => v.prompt !== null && !isOver(v));
  if (waiting) return { icon: 'connecting', text: t('trayWaitingForSignIn', { name: nameOf(waiting) }) };
  for (const view of views) {
    const key = busyText(view.state.status);
    if (key) return { icon: 'connecting', text: t(key, { name: nameOf(view) }) };
  }
  const connected = views.filter((v) => v.state.status === 'connected');
  const only = connected[0];
  if (connected.length === 1 && only && only.state.status === 'connected') return { icon: 'connected', text: t('trayConnected', { name: nameOf(only), address: only.state.localIp }) };
  if (connected.length > 1) return { icon: 'connected', text: t('trayConnectedMany', { count: connected.length }) };
  // Nothing is coming up, yet nothing gets out: say so before any older failure.
  const firewall = state.firewall;
  if (firewall?.mode === 'blocked' && connected.length === 0) {
    const lockdown = firewall.reason === 'lockdown' || firewall.reason === 'policy';
    return lockdown ? { icon: 'disconnected', text: t('trayLockdown') } : { icon: 'error', text: t('trayBlocked') };
  }
  const failed = views.find((v) => v.state.status === 'error');
  if (failed) return { icon: 'error', text: t('trayFailed', { name: nameOf(failed) }) };
  if (state.helper.status === 'connecting') return { icon: 'disconnected', text: t('trayHelperStarting') };
  return { icon: 'disconnected', text: t('trayNotConnected') };
}

export function trayModel(state: TrayState): TrayModel {
  const t = (key: MainKey, vars?: MainVars) => mainText(state.lang, key, vars);
  const names = new Map(state.profiles.map((p) => [p.id, p.name]));
  const status = statusLine(state, names);
  const helperUsable = state.helper.status === 'available';
  const items: TrayItem[] = [{ kind: 'label', label: status.text }];
  if (state.helper.status === 'unavailable') items.push({ kind: 'label', label: state.helper.howToFix[state.lang] });
  items.push({ kind: 'separator' });

  if (state.profiles.length === 0) items.push({ kind: 'label', label: t('trayNoProfiles') });
  for (const profile of state.profiles) {
    const view = state.connections.find((v) => v.profileId === profile.id);
    const active = view !== undefined && !isOver(view);
    items.push(
      active
        ? { kind: 'action', label: t('trayDisconnect', { name: profile.name }), action: { type: 'disconnect', profileId: profile.id }, enabled: helperUsable && view.state.status !== 'disconnecting' && !state.disconnectLocked }
        : { kind: 'action', label: t('trayConnect', { name: profile.name }), action: { type: 'connect', profileId: profile.id }, enabled: helperUsable },
    );
  }

  const anyActive = state.connections.some((v) => names.has(v.profileId) && !isOver(v));
  items.push(
    { kind: 'separator' },
    { kind: 'action', label: t('trayOpen'), action: { type: 'open' }, enabled: true },
    { kind: 'action', label: t('trayImport'), action: { type: 'import' }, enabled: true },
    { kind: 'separator' },
    { kind: 'action', label: t(anyActive && !state.disconnectLocked ? 'trayDisconnectAndQuit' : 'trayQuit'), action: { type: 'quit' }, enabled: true },
  );
  return { icon: status.icon, tooltip: t('trayTooltip', { status: status.text }), items };
}
