/** Live connections by profile, and each one's last minute of throughput. */
import type { AppEvent, ConnectionView } from '../../../shared/ipc/app-api.js';
import { addSample, emptyThroughput, type Throughput } from './throughput.js';

export type ConnectionsState = {
  readonly byProfile: Readonly<Record<string, ConnectionView>>;
  readonly throughput: Readonly<Record<string, Throughput>>;
};

export const initialConnections: ConnectionsState = { byProfile: {}, throughput: {} };

/** The reply of connections:list replaces what we knew; graphs of sessions still running are kept. */
export function connectionsLoaded(state: ConnectionsState, connections: readonly ConnectionView[]): ConnectionsState {
  const byProfile: Record<string, ConnectionView> = {};
  const throughput: Record<string, Throughput> = {};
  for (const c of connections) {
    byProfile[c.profileId] = c;
    const previous = state.byProfile[c.profileId];
    const graph = state.throughput[c.profileId];
    // Stats may arrive before this reply: a graph for a connection we did not know yet is this session's.
    if (graph && (previous === undefined || previous.sessionId === c.sessionId)) throughput[c.profileId] = graph;
  }
  return { byProfile, throughput };
}

export function reduceConnections(state: ConnectionsState, event: AppEvent): ConnectionsState {
  switch (event.type) {
    case 'connection': {
      const c = event.connection;
      const previous = state.byProfile[c.profileId];
      // A new session starts a new graph; a finished one keeps its last minute on screen.
      const newSession = c.sessionId !== null && c.sessionId !== previous?.sessionId;
      return {
        byProfile: { ...state.byProfile, [c.profileId]: c },
        throughput: newSession ? { ...state.throughput, [c.profileId]: emptyThroughput() } : state.throughput,
      };
    }
    case 'stats': {
      const previous = state.byProfile[event.profileId];
      const { bytesIn, bytesOut, rateIn, rateOut } = event;
      return {
        // Keep `state` (and so the list rows that render it) untouched: only the counters change.
        byProfile: previous ? { ...state.byProfile, [event.profileId]: { ...previous, bytesIn, bytesOut, rateIn, rateOut } } : state.byProfile,
        throughput: { ...state.throughput, [event.profileId]: addSample(state.throughput[event.profileId] ?? emptyThroughput(), event.at, rateIn, rateOut) },
      };
    }
    default:
      return state;
  }
}

/** The first connection waiting for the user to sign in, if any. */
export function pendingPrompt(state: ConnectionsState): ConnectionView | null {
  for (const c of Object.values(state.byProfile)) if (c.prompt) return c;
  return null;
}
