/**
 * The helper's availability as the UI shows it: why it cannot be used and what to do about it
 * (in both languages), and how long to wait before trying again.
 */
import type { HelperStatus } from '../../../shared/ipc/app-api.js';
import { mainTexts } from '../../../shared/i18n/main-catalog.js';
import { HelperRequestError, HelperUnavailableError } from '../helper-client.js';

export const DEFAULT_BACKOFF = { minMs: 500, maxMs: 10_000 };

/** The wait before the next attempt: the minimum first, then doubling up to the maximum. */
export function nextBackoff(previousMs: number, backoff = DEFAULT_BACKOFF): number {
  return previousMs <= 0 ? backoff.minMs : Math.min(previousMs * 2, backoff.maxMs);
}

type UnavailableReason = Extract<HelperStatus, { status: 'unavailable' }>['reason'];

/** The UI's view of why the helper cannot be used, with what to do about it. */
export function unavailableStatus(reason: UnavailableReason, socketPath: string): HelperStatus {
  const texts = {
    'not-running': ['helperNotRunning', 'helperNotRunningFix'],
    'permission-denied': ['helperPermissionDenied', 'helperPermissionDeniedFix'],
    'untrusted-socket': ['helperUntrusted', 'helperUntrustedFix'],
    'version-mismatch': ['helperVersionMismatch', 'helperVersionMismatchFix'],
  } as const;
  const [message, fix] = texts[reason];
  return { status: 'unavailable', reason, message: mainTexts(message, { path: socketPath }), howToFix: mainTexts(fix, { path: socketPath }) };
}

/** Why connecting failed, from the client's error. */
export function unavailableReason(e: unknown): UnavailableReason {
  if (e instanceof HelperUnavailableError) {
    if (e.code === 'permission-denied' || e.code === 'untrusted-socket') return e.code;
    return 'not-running';
  }
  if (e instanceof HelperRequestError) {
    if (e.error.code === 'version-mismatch') return 'version-mismatch';
    if (e.error.code === 'not-permitted') return 'permission-denied';
  }
  return 'not-running';
}
