/**
 * Errors as values: every failure main reports carries a stable code, the user's words in both
 * languages (from the main catalog) and, where useful, the technical detail.
 */
import type { AppError, AppResult } from '../../../shared/ipc/app-api.js';
import { mainTexts, type MainKey, type MainVars } from '../../../shared/i18n/main-catalog.js';

export function appError(code: string, key: MainKey, vars: MainVars = {}, detail?: string): AppError {
  return detail === undefined ? { code, message: mainTexts(key, vars) } : { code, message: mainTexts(key, vars), detail };
}

export function ok<T>(value: T): AppResult<T> {
  return { ok: true, value };
}

export function failed<T = never>(error: AppError): AppResult<T> {
  return { ok: false, error };
}

export function errorDetail(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
