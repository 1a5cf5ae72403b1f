/** Shows what the notification rules decided, when the platform can. */
import { Notification } from 'electron';
import type { AppNotification } from '../services/notification-rules.js';

export function showNotification(notification: AppNotification, onClick: () => void): void {
  if (!Notification.isSupported()) return;
  const shown = new Notification({ title: notification.title, body: notification.body, urgency: notification.urgency });
  shown.on('click', onClick);
  shown.show();
}
