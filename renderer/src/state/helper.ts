/** The helper connection as main reports it. */
import type { AppEvent, HelperStatus } from '../../../shared/ipc/app-api.js';

export type HelperState = { readonly status: HelperStatus };

export const initialHelper: HelperState = { status: { status: 'connecting' } };

export function reduceHelper(state: HelperState, event: AppEvent): HelperState {
  return event.type === 'helper' ? { status: event.helper } : state;
}
