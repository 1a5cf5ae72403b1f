/** A tunnel state in one line of plain English, for the helper's log and the CLI (which loads nothing else of the helper). */
import type { TunnelState } from '../../shared/ipc/helper-protocol.js';

export function describeState(state: TunnelState): string {
  switch (state.status) {
    case 'connecting':
      return `connecting (${state.phase})`;
    case 'connected':
      return `connected ${state.localIp} via ${state.remote}`;
    case 'reconnecting':
      return `reconnecting (${state.reason}, attempt ${state.attempt})`;
    case 'disconnected':
      return `disconnected (${state.reason})`;
    case 'error':
      return `error ${state.code}: ${state.message.en}${state.detail ? ` — ${state.detail}` : ''}`;
    default:
      return state.status;
  }
}
