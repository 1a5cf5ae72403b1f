import type { HelperError, Localized, RouteConflictInfo } from '../../shared/ipc/helper-protocol.js';

/** Longest message (per language) and detail an error reply carries: replies stay small whatever failed. */
export const MAX_ERROR_MESSAGE_CHARS = 1000;
export const MAX_ERROR_DETAIL_CHARS = 4000;

/** Cuts text to `max` characters, saying how much was left out. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = ` … (${text.length - max} more characters)`;
  return `${text.slice(0, Math.max(0, max - note.length))}${note}`;
}

/** A refusal the helper sends back as an error response (never a crash). */
export class HelperFailure extends Error {
  constructor(readonly code: string, readonly userMessage: Localized, readonly detail?: string, readonly conflict?: RouteConflictInfo) {
    super(userMessage.en);
  }

  toError(): HelperError {
    const message = { en: truncate(this.userMessage.en, MAX_ERROR_MESSAGE_CHARS), ja: truncate(this.userMessage.ja, MAX_ERROR_MESSAGE_CHARS) };
    return { code: this.code, message, ...(this.detail ? { detail: truncate(this.detail, MAX_ERROR_DETAIL_CHARS) } : {}), ...(this.conflict ? { conflict: this.conflict } : {}) };
  }
}
