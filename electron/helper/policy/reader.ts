/**
 * Where the administrator's policy comes from on one platform. A reader only finds the documents
 * and says where each came from; validation, merging and defaults are the table's (shared/policy).
 * Linux reads files (linux.ts); a Windows reader (HKLM\SOFTWARE\Policies\Tsunagu) or a macOS one
 * (managed preferences) returns the same documents, so nothing else changes when one is added.
 */
import type { PolicyDocument } from '../../../shared/policy/resolve.js';

export interface PolicyReader {
  /** The documents in the order they apply (a later one overrides an earlier one). */
  read(): PolicyDocument[];
  /**
   * Calls `changed` (possibly more than once) after anything the documents come from may have
   * changed; returns a function that stops watching.
   */
  watch(changed: () => void): () => void;
}
