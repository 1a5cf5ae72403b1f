import { useUi } from '../state/store.js';

/**
 * The one polite live region: connection state changes, saves and copies are read out from here.
 * Repeating the same words still gets announced because the text node is replaced (keyed by seq).
 */
export function Announcer() {
  const announcement = useUi((s) => s.announcement);
  return (
    <div className="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
      <span key={announcement.seq}>{announcement.text}</span>
    </div>
  );
}
