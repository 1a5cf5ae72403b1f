/**
 * When the app speaks up with a system notification. Only for what the user did not just watch
 * happen: a tunnel came up, ended without the user asking (the server, the network or the helper
 * ended it, even mid-way through connecting), or failed; or the helper went away.
 * Never while the window has focus (the window shows it), never when the user turned them off,
 * and the same message is not repeated within a short interval (a flapping link is one message).
 */
import type { ConnectionView, HelperStatus } from '../../../shared/ipc/app-api.js';
import { mainText, type MainKey, type MainLanguage } from '../../../shared/i18n/main-catalog.js';
import type { ConnectionChange } from './helper-connection.js';

export interface AppNotification {
  /** Identical notifications share a key (for throttling). */
  key: string;
  title: string;
  body: string;
  /** Failures stay until dismissed where the platform allows it. */
  urgency: 'normal' | 'critical';
}

export interface NotificationContext {
  lang: MainLanguage;
  enabled: boolean;
  windowFocused: boolean;
  profileName: string;
}

const REPEAT_WINDOW_MS = 10_000;

/** A session was under way (not already over): its end is news unless the user asked for it. */
function wasUnderWay(view: ConnectionView | null): boolean {
  return view !== null && view.state.status !== 'disconnected' && view.state.status !== 'error';
}

/** The notification a connection change deserves, if any (before throttling). */
export function notificationForChange(change: ConnectionChange, context: NotificationContext): AppNotification | null {
  if (!context.enabled || context.windowFocused) return null;
  const { previous, next } = change;
  if (previous && previous.state.status === next.state.status) return null;
  const name = context.profileName;
  const t = (key: MainKey, vars: Record<string, string> = {}) => mainText(context.lang, key, vars);
  switch (next.state.status) {
    case 'connected':
      return { key: `connected:${next.profileId}`, title: t('notifyConnectedTitle'), body: t('notifyConnectedBody', { name, address: next.state.localIp }), urgency: 'normal' };
    case 'error':
      return { key: `failed:${next.profileId}:${next.state.code}`, title: t('notifyFailedTitle'), body: t('notifyFailedBody', { name, message: next.state.message[context.lang] }), urgency: 'critical' };
    case 'disconnected':
      if (change.userRequested || !wasUnderWay(previous)) return null;
      return { key: `dropped:${next.profileId}`, title: t('notifyDroppedTitle'), body: t('notifyDroppedBody', { name, reason: next.state.reason }), urgency: 'critical' };
    default:
      return null;
  }
}

/** The helper stopped answering after it had been available. */
export function notificationForHelper(previous: HelperStatus, next: HelperStatus, context: Omit<NotificationContext, 'profileName'>): AppNotification | null {
  if (!context.enabled || context.windowFocused) return null;
  if (previous.status !== 'available' || next.status !== 'unavailable') return null;
  return { key: `helper:${next.reason}`, title: mainText(context.lang, 'notifyHelperLostTitle'), body: `${next.message[context.lang]} ${next.howToFix[context.lang]}`, urgency: 'critical' };
}

/** Lets a notification through unless the same one was shown within the window. */
export class NotificationThrottle {
  private readonly lastShown = new Map<string, number>();

  constructor(private readonly windowMs = REPEAT_WINDOW_MS, private readonly now: () => number = Date.now) {}

  allow(notification: AppNotification): boolean {
    const at = this.now();
    const key = `${notification.key}\n${notification.body}`;
    const last = this.lastShown.get(key);
    if (last !== undefined && at - last < this.windowMs) return false;
    this.lastShown.set(key, at);
    return true;
  }
}
