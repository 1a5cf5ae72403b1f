import type { HelperError, Localized } from '../../shared/ipc/helper-protocol.js';

/** A refusal the helper sends back as an error response (never a crash). */
export class HelperFailure extends Error {
  constructor(readonly code: string, readonly userMessage: Localized, readonly detail?: string) {
    super(userMessage.en);
  }

  toError(): HelperError {
    return { code: this.code, message: this.userMessage, ...(this.detail ? { detail: this.detail } : {}) };
  }
}
