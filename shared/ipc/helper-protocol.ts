/**
 * The helper protocol: newline-delimited JSON over the helper's Unix socket. Clients send requests
 * with ids; the helper answers each with a response carrying the same id, and pushes events to
 * subscribers. Every message has a schema here; the helper validates what arrives with it and so
 * do clients. The helper trusts nothing in a request: it re-inspects every profile itself.
 */
import * as z from 'zod';
import { POLICY_NAMES, policyValues, provisionedId } from '../policy/table.js';
import { profileKindSchema } from '../profiles/kinds.js';

export { provisionedId };

export const HELPER_PROTOCOL_VERSION = 1;
/** Largest frame either side accepts (a 1 MiB profile, JSON-escaped, fits). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/**
 * C0 and C1 control characters, DEL and the Unicode line/paragraph separators: nothing a name
 * needs, and each can break a log line, a terminal or the management protocol's line framing.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** Free text that is shown or logged: one line, no control characters. */
export const singleLine = (max: number, min = 0) => z.string().min(min).max(max).refine((s) => !CONTROL_CHARACTERS.test(s), 'control characters are not allowed');

const localized = z.object({ en: z.string(), ja: z.string() });
export type Localized = z.infer<typeof localized>;

export const sessionId = z.string().regex(/^[a-z0-9]{8,32}$/, 'a session id is 8–32 lowercase letters or digits');

/**
 * A `route-conflict` in data (issue 15): the network both tunnels would route, and the session
 * already routing it, but only when that session is the caller's own; another user's is never named.
 */
export const routeConflict = z.object({ network: singleLine(64, 1), sessionId: sessionId.optional() });
export type RouteConflictInfo = z.infer<typeof routeConflict>;

// ---------- tunnel state: a tagged union, transitions live in the session manager ----------

export const connectingPhase = z.enum(['starting', 'resolving', 'connecting', 'handshake', 'configuring', 'waiting']);

export const tunnelState = z.discriminatedUnion('status', [
  z.object({ status: z.literal('connecting'), phase: connectingPhase }),
  z.object({ status: z.literal('authenticating') }),
  z.object({
    status: z.literal('connected'),
    localIp: z.string(),
    /** A dual-stack tunnel's IPv6 address (issue 15); `localIp` is then the IPv4 one. */
    localIp6: z.string().optional(),
    remote: z.string(),
    /** Unix milliseconds. */
    since: z.number(),
  }),
  z.object({
    status: z.literal('reconnecting'),
    /** The driver's own words (OpenVPN's signal reason, charon's line); `message` is what the UI shows. */
    reason: z.string(),
    attempt: z.number().int().min(1),
    /** Why, in words a user understands (issue 14: "the real reason"). */
    message: localized.optional(),
    /** Unix milliseconds when this reconnect began, for the elapsed time. */
    since: z.number().optional(),
  }),
  z.object({ status: z.literal('disconnecting') }),
  z.object({ status: z.literal('disconnected'), reason: z.string() }),
  z.object({ status: z.literal('error'), code: z.string(), message: localized, detail: z.string().optional(), conflict: routeConflict.optional() }),
]);
export type TunnelState = z.infer<typeof tunnelState>;

/**
 * Whether traffic outside the tunnel can leave this computer now (issue 14): `tunnel` — the kill
 * switch holds and only the tunnel passes; `blocked` — the kill switch or lockdown holds and the
 * tunnel is not carrying traffic (connecting, reconnecting, its process died, the helper restarted):
 * nothing leaves; `unprotected` — no kill switch: what the tunnel does not route leaves in clear.
 */
export const trafficProtection = z.enum(['tunnel', 'blocked', 'unprotected']);
export type TrafficProtection = z.infer<typeof trafficProtection>;

/** Why the helper's firewall table is in place. */
export const firewallReason = z.enum(['kill-switch', 'lockdown', 'policy', 'restart']);

/**
 * The helper's firewall, as the caller may know it: `sessionId` is set only when the session that
 * holds it is the caller's own (another user's session stays invisible; `ownSession` false).
 */
export const firewallStatus = z.object({
  mode: z.enum(['off', 'blocked', 'tunnel']),
  reason: firewallReason.nullable(),
  sessionId: z.string().nullable(),
  ownSession: z.boolean(),
  allowLan: z.boolean(),
  /** Always-on: blocked whenever no tunnel is up. `byPolicy`: the AlwaysOn policy forces it. */
  lockdown: z.object({ enabled: z.boolean(), byPolicy: z.boolean() }),
  /** The KillSwitch policy forces the kill switch on for every full-tunnel session. */
  killSwitchForced: z.boolean(),
  /** Unix milliseconds of the last change. */
  since: z.number(),
});
export type FirewallStatus = z.infer<typeof firewallStatus>;

export const credentialRequest = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('userpass'),
    username: z.string().optional(),
    retry: z.boolean(),
    /** On a retry: why the last answer was refused, when the driver knows (e.g. charon's EAP failure). */
    reason: localized.optional(),
  }),
  z.object({
    kind: z.literal('challenge'),
    text: z.string(),
    echo: z.boolean(),
    username: z.string().optional(),
    /**
     * The answer goes with the username and password (OpenVPN's static challenge, asked on every
     * connect); false when the server only wants the answer (dynamic challenge, CR_TEXT).
     */
    needsPassword: z.boolean(),
    retry: z.boolean(),
    /** As for userpass: why the last answer was refused, when known. */
    reason: localized.optional(),
  }),
  z.object({ kind: z.literal('passphrase'), retry: z.boolean() }),
]);
export type CredentialRequest = z.infer<typeof credentialRequest>;

// OpenVPN's management protocol is line-based: a NUL, CR or LF in a secret would end its command
// and start another one as root. Every other character of a password is the user's business.
const secret = z.string().max(4096).refine((s) => !/[\0\r\n]/.test(s), 'a secret may not contain NUL, CR or LF');
/** A user name or a challenge answer: sent to the server, and often shown. */
const credentialText = singleLine(4096);
export const credentials = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('userpass'), username: credentialText, password: secret }),
  z.object({ kind: z.literal('challenge'), username: credentialText, password: secret, response: credentialText }),
  z.object({ kind: z.literal('passphrase'), passphrase: secret }),
  z.object({ kind: z.literal('cancel') }),
]);
export type Credentials = z.infer<typeof credentials>;

export const sessionInfo = z.object({
  id: sessionId,
  kind: profileKindSchema,
  name: z.string(),
  /** Operating-system user that started the session. */
  uid: z.number().int(),
  state: tunnelState,
  startedAt: z.number(),
  fullTunnel: z.boolean(),
  interfaceName: z.string().nullable(),
  bytesIn: z.number(),
  bytesOut: z.number(),
  /** Whether this session's traffic outside the tunnel is blocked (absent from helpers before issue 14). */
  traffic: trafficProtection.optional(),
  /** WireGuard: Unix milliseconds of the latest handshake, null before the first (issue 14). */
  lastHandshakeAt: z.number().nullable().optional(),
});
export type SessionInfo = z.infer<typeof sessionInfo>;

export const logLine = z.object({
  at: z.number(),
  sessionId: sessionId.nullable(),
  uid: z.number().int().nullable(),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  /** The line as the journal gets it (English for the helper's own lines, the tool's words otherwise). */
  text: z.string(),
  /**
   * The helper's own lines (issue 15): a message code from the shared catalogue and its
   * parameters, which the UI renders in its language. Absent for a tool's (openvpn's, charon's) line.
   */
  code: z.string().optional(),
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});
export type LogLine = z.infer<typeof logLine>;

/** What every caller may know of a provisioned profile: never its text or secrets. */
export const provisionedSummary = z.object({
  id: provisionedId,
  name: z.string(),
  kind: profileKindSchema,
  layer: z.enum(['L3', 'L2']),
  /** Its remotes' or endpoints' hosts. */
  servers: z.array(z.string()),
  /** Why the helper refuses it under the policy in force, or null when it connects. */
  refused: localized.nullable(),
});
export type ProvisionedSummary = z.infer<typeof provisionedSummary>;

// ---------- requests ----------

const requestId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const connectOptions = z.object({
  /** Seconds to wait for the tunnel before giving up with an error (OpenVPN loops silently otherwise). */
  connectTimeoutSeconds: z.number().int().min(5).max(600).optional(),
  /** Credentials known up front (saved by the app), used for the first prompt only. */
  credentials: credentials.optional(),
  /** Block traffic outside the tunnel (full-tunnel sessions only; default on for them). The KillSwitch policy can force it on. */
  killSwitch: z.boolean().optional(),
  /** With the kill switch: let the local network (RFC 1918, link-local, multicast) pass. */
  allowLan: z.boolean().optional(),
});

export const request = z.discriminatedUnion('type', [
  z.object({ id: requestId, type: z.literal('hello'), version: z.number().int(), client: singleLine(200) }),
  z.object({
    id: requestId,
    type: z.literal('connect'),
    /** A personal profile's text, or (`provisioned`) the id of one IT placed with the helper. */
    profile: z.object({
      kind: profileKindSchema,
      text: z.string().max(2 * 1024 * 1024),
      name: singleLine(200, 1),
    }).optional(),
    provisioned: provisionedId.optional(),
    options: connectOptions.optional(),
  }).refine((r) => (r.profile === undefined) !== (r.provisioned === undefined), 'give either a profile or a provisioned profile id'),
  z.object({ id: requestId, type: z.literal('disconnect'), sessionId: sessionId.optional(), all: z.boolean().optional() }),
  z.object({ id: requestId, type: z.literal('list') }),
  z.object({
    id: requestId,
    type: z.literal('subscribe'),
    sessionId: sessionId.optional(),
    /** Also push log lines (for a log view); off by default, as they are many. */
    logs: z.boolean().optional(),
  }),
  z.object({ id: requestId, type: z.literal('credentials'), sessionId, credentials }),
  z.object({ id: requestId, type: z.literal('log'), sessionId: sessionId.optional(), lines: z.number().int().min(1).max(5000).optional() }),
  z.object({ id: requestId, type: z.literal('policy') }),
  z.object({ id: requestId, type: z.literal('provisioned') }),
  /** The firewall's state as this caller may know it. */
  z.object({ id: requestId, type: z.literal('firewall') }),
  /** Always-on (lockdown): block whenever no tunnel is up, kept across helper restarts and boots. */
  z.object({ id: requestId, type: z.literal('set-lockdown'), enabled: z.boolean(), allowLan: z.boolean().optional() }),
  /** Lift a block no session holds (after the helper restarted, or a tunnel's process died). */
  z.object({ id: requestId, type: z.literal('unblock') }),
]);
export type HelperRequest = z.infer<typeof request>;
export type RequestType = HelperRequest['type'];

// ---------- responses ----------

export const helperError = z.object({ code: z.string(), message: localized, detail: z.string().optional(), conflict: routeConflict.optional() });
export type HelperError = z.infer<typeof helperError>;

export const results = {
  hello: z.object({ version: z.number().int(), helper: z.string(), uid: z.number().int() }),
  connect: z.object({ sessionId }),
  disconnect: z.object({ sessionIds: z.array(sessionId) }),
  list: z.object({ sessions: z.array(sessionInfo) }),
  subscribe: z.object({ sessions: z.array(sessionInfo) }),
  credentials: z.object({ accepted: z.boolean() }),
  log: z.object({ lines: z.array(logLine) }),
  /** The effective policy, and where each value came from (a file, or 'default'). */
  policy: z.object({ values: policyValues, sources: z.object(Object.fromEntries(POLICY_NAMES.map((n) => [n, z.string()]))).strict() }),
  provisioned: z.object({ profiles: z.array(provisionedSummary) }),
  firewall: firewallStatus,
  'set-lockdown': firewallStatus,
  unblock: firewallStatus,
} satisfies Record<RequestType, z.ZodType>;
export type HelperResult<T extends RequestType> = z.infer<(typeof results)[T]>;

export const response = z.union([
  z.object({ id: requestId, ok: z.literal(true), result: z.unknown() }),
  z.object({ id: requestId.nullable(), ok: z.literal(false), error: helperError }),
]);
export type HelperResponse = z.infer<typeof response>;

// ---------- events ----------

export const helperEvent = z.discriminatedUnion('event', [
  z.object({ event: z.literal('state'), sessionId, state: tunnelState, at: z.number() }),
  z.object({
    event: z.literal('stats'),
    sessionId,
    bytesIn: z.number(),
    bytesOut: z.number(),
    /** Bytes per second over the last interval. */
    rateIn: z.number(),
    rateOut: z.number(),
    /** WireGuard: Unix milliseconds of the latest handshake, null before the first (issue 14). */
    lastHandshakeAt: z.number().nullable().optional(),
    at: z.number(),
  }),
  z.object({ event: z.literal('credentials-required'), sessionId, request: credentialRequest, at: z.number() }),
  z.object({ event: z.literal('log'), line: logLine }),
  z.object({ event: z.literal('session-removed'), sessionId, at: z.number() }),
  /** The policy or the provisioned profiles changed: ask again (`policy`, `provisioned`). */
  z.object({ event: z.literal('policy-changed'), at: z.number() }),
  /** The firewall changed (pushed to every subscriber, each with its own view). */
  z.object({ event: z.literal('firewall'), status: firewallStatus, at: z.number() }),
]);
export type HelperEvent = z.infer<typeof helperEvent>;

/** Anything the helper writes: a response (has `ok`) or an event (has `event`). */
export const helperMessage = z.union([response, helperEvent]);
