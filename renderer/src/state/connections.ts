/** Live connections by profile, each one's last minute of throughput, and sign-ins waiting for the server's answer. */
import type { AppError, AppEvent, ConnectionView } from '../../../shared/ipc/app-api.js';
import { addSample, emptyThroughput, readMeter, type Meter, type Throughput } from './throughput.js';

/**
 * What the user typed into the sign-in dialog, kept until the server accepts it. When the server
 * refuses it, `rejected` holds why: the dialog opens again with that error and the username filled in.
 */
export type SignIn = { readonly username: string; readonly rejected: AppError | null };

export type ConnectionsState = {
  readonly byProfile: Readonly<Record<string, ConnectionView>>;
  readonly throughput: Readonly<Record<string, Throughput>>;
  /** The counters the next rate is measured from, while a tunnel is connected. */
  readonly meters: Readonly<Record<string, Meter>>;
  readonly signIns: Readonly<Record<string, SignIn>>;
  /** Every session seen, to its profile: the log names the profile of each line by it. */
  readonly sessions: Readonly<Record<string, string>>;
};

export const initialConnections: ConnectionsState = { byProfile: {}, throughput: {}, meters: {}, signIns: {}, sessions: {} };

function withSession(sessions: ConnectionsState['sessions'], c: ConnectionView): ConnectionsState['sessions'] {
  return c.sessionId === null || sessions[c.sessionId] === c.profileId ? sessions : { ...sessions, [c.sessionId]: c.profileId };
}

function without<T>(record: Readonly<Record<string, T>>, key: string): Readonly<Record<string, T>> {
  if (!(key in record)) return record;
  const { [key]: _dropped, ...rest } = record;
  return rest;
}

/** The reply of connections:list replaces what we knew; graphs of sessions still running are kept. */
export function connectionsLoaded(state: ConnectionsState, connections: readonly ConnectionView[]): ConnectionsState {
  const byProfile: Record<string, ConnectionView> = {};
  const throughput: Record<string, Throughput> = {};
  const meters: Record<string, Meter> = {};
  let sessions = state.sessions;
  for (const c of connections) {
    sessions = withSession(sessions, c);
    byProfile[c.profileId] = c;
    const previous = state.byProfile[c.profileId];
    const graph = state.throughput[c.profileId];
    // Stats may arrive before this reply: a graph for a connection we did not know yet is this session's.
    const sameSession = previous === undefined || previous.sessionId === c.sessionId;
    if (graph && sameSession) throughput[c.profileId] = graph;
    const meter = state.meters[c.profileId];
    if (meter && sameSession) meters[c.profileId] = meter;
  }
  return { byProfile, throughput, meters, signIns: state.signIns, sessions };
}

export function reduceConnections(state: ConnectionsState, event: AppEvent): ConnectionsState {
  switch (event.type) {
    case 'connection': {
      const c = event.connection;
      const previous = state.byProfile[c.profileId];
      // A new session starts a new graph; a finished one keeps its last minute on screen.
      const newSession = c.sessionId !== null && c.sessionId !== previous?.sessionId;
      // Counters are measured between two readings of one connected stretch: a reconnect starts over.
      const keepMeter = !newSession && c.state.status === 'connected';
      return {
        byProfile: { ...state.byProfile, [c.profileId]: c },
        throughput: newSession ? { ...state.throughput, [c.profileId]: emptyThroughput() } : state.throughput,
        meters: keepMeter ? state.meters : without(state.meters, c.profileId),
        signIns: signInAfter(state.signIns, c),
        sessions: withSession(state.sessions, c),
      };
    }
    case 'stats': {
      const previous = state.byProfile[event.profileId];
      const { bytesIn, bytesOut } = event;
      const reading = readMeter(state.meters[event.profileId], event.at, bytesIn, bytesOut);
      const rates = reading.rates ?? (previous ? { rateIn: previous.rateIn, rateOut: previous.rateOut } : { rateIn: 0, rateOut: 0 });
      const graph = state.throughput[event.profileId] ?? emptyThroughput();
      return {
        // Keep `state` (and so the list rows that render it) untouched: only the counters change.
        byProfile: previous
          ? { ...state.byProfile, [event.profileId]: { ...previous, bytesIn, bytesOut, ...rates, ...(event.lastHandshakeAt !== undefined ? { lastHandshakeAt: event.lastHandshakeAt } : {}) } }
          : state.byProfile,
        throughput: reading.rates ? { ...state.throughput, [event.profileId]: addSample(graph, event.at, reading.rates.rateIn, reading.rates.rateOut) } : { ...state.throughput, [event.profileId]: graph },
        meters: { ...state.meters, [event.profileId]: reading.meter },
        signIns: state.signIns,
        sessions: state.sessions,
      };
    }
    default:
      return state;
  }
}

/** A user-typed sign-in waits for the server; connected forgets it, a refusal keeps it with the reason. */
function signInAfter(signIns: ConnectionsState['signIns'], c: ConnectionView): ConnectionsState['signIns'] {
  const pending = signIns[c.profileId];
  if (!pending) return signIns;
  const s = c.state;
  if (s.status === 'connected' || s.status === 'disconnected' || s.status === 'disconnecting') return without(signIns, c.profileId);
  if (s.status === 'error') {
    if (s.code !== 'auth-failed') return without(signIns, c.profileId);
    if (pending.rejected !== null) return signIns;
    const rejected: AppError = { code: s.code, message: s.message, ...(s.detail !== undefined ? { detail: s.detail } : {}) };
    return { ...signIns, [c.profileId]: { ...pending, rejected } };
  }
  return signIns;
}

/** The user sent a username (and password) from the sign-in dialog. */
export function signInSent(state: ConnectionsState, profileId: string, username: string): ConnectionsState {
  return { ...state, signIns: { ...state.signIns, [profileId]: { username, rejected: null } } };
}

/** The user cancelled the sign-in: nothing to ask again. */
export function signInDropped(state: ConnectionsState, profileId: string): ConnectionsState {
  const signIns = without(state.signIns, profileId);
  return signIns === state.signIns ? state : { ...state, signIns };
}

/**
 * The server just refused what the user typed (the tunnel ended with auth-failed): the app
 * connects again at once, and the dialog asks again with the error and the username kept.
 */
export function refusedSignIn(before: ConnectionsState, after: ConnectionsState, profileId: string): boolean {
  return (after.signIns[profileId]?.rejected ?? null) !== null && (before.signIns[profileId]?.rejected ?? null) === null;
}

/** The first connection waiting for the user to sign in, if any. */
export function pendingPrompt(state: ConnectionsState): ConnectionView | null {
  for (const c of Object.values(state.byProfile)) if (c.prompt) return c;
  return null;
}
