/**
 * The renderer↔main contract: every channel declared once, with the schema main validates the
 * renderer's request against and the schema of its reply. The preload exposes exactly these
 * channels as `window.tsunagu`; main registers one handler per channel (a test checks both).
 * Main pushes `AppEvent`s to the renderer on the single `app:event` channel.
 */
import * as z from 'zod';
import { policyValues } from '../policy/table.js';
import { profileKindSchema } from '../profiles/kinds.js';
import { credentialRequest, credentials, firewallStatus, logLine, provisionedSummary, routeConflict, trafficProtection, tunnelState } from './helper-protocol.js';

const localized = z.object({ en: z.string(), ja: z.string() });
export type Localized = z.infer<typeof localized>;

export const profileId = z.string().regex(/^[a-z0-9]{8,32}$/);

export const advisory = z.object({
  code: z.string(),
  severity: z.enum(['warning', 'info']),
  line: z.number(),
  message: localized,
  explanation: localized,
  fix: z.object({ automatic: z.boolean(), description: localized }).optional(),
});
export const profileError = z.object({ code: z.string(), line: z.number(), column: z.number(), message: localized, text: z.string() });

/** What the list shows for each saved profile. */
export const profileSummary = z.object({
  id: profileId,
  name: z.string(),
  kind: profileKindSchema,
  layer: z.enum(['L3', 'L2']),
  /** IKE profiles: the IKE version the profile speaks (1 = IKEv1, 2 = IKEv2); absent for the other kinds. */
  ikeVersion: z.union([z.literal(1), z.literal(2)]).optional(),
  /** First server, e.g. "vpn.example.com:1194/udp" or "203.0.113.5:51820". */
  server: z.string(),
  importedAt: z.number(),
  /** Whether a username/password, challenge or key passphrase will be asked. */
  needsCredentials: z.boolean(),
  /** Credentials are saved in the OS keychain for this profile. */
  hasSavedCredentials: z.boolean(),
  advisoryCount: z.number().int(),
  /** Placed by IT with the helper: read-only here, its text never reaches the app. */
  provisioned: z.literal(true).optional(),
  /** Made in Tsunagu ("New WireGuard tunnel", `tsunagu wg new`), not imported: `importedAt` is when. */
  created: z.literal(true).optional(),
});
export type ProfileSummary = z.infer<typeof profileSummary>;

/** Plain-words details for the profile screen. */
export const profileDetails = profileSummary.extend({
  /** Label/value rows in the UI language (servers, sign-in, traffic, DNS, encryption ...). */
  rows: z.array(z.tuple([z.string(), z.string()])),
  advisories: z.array(advisory),
  /** WireGuard: the interface's public key, to give to the server administrator. */
  publicKey: z.string().nullable(),
  /** The canonical config with secrets (keys, passwords) masked. */
  maskedConfig: z.string(),
});
export type ProfileDetails = z.infer<typeof profileDetails>;

export const importId = z.string().regex(/^[a-z0-9]{8,32}$/);

/** An import waiting for the user's review (nothing is saved until it is committed). */
export const importPreview = z.object({
  importId,
  /** Where it came from, shown so the user can judge it: a path, an https URL, or "pasted text". */
  source: z.string(),
  /** One entry per profile found (a .zip or folder may hold several). */
  items: z.array(z.object({
    file: z.string(),
    ok: z.boolean(),
    kind: profileKindSchema,
    name: z.string(),
    layer: z.enum(['L3', 'L2']),
    /** IKE profiles: the IKE version (1 or 2) the profile speaks. */
    ikeVersion: z.union([z.literal(1), z.literal(2)]).optional(),
    rows: z.array(z.tuple([z.string(), z.string()])),
    advisories: z.array(advisory),
    errors: z.array(profileError),
    inlinedFiles: z.array(z.string()),
    /** False for a file that is not a profile at all (a certificate, a key, a document): no kind is shown. */
    isProfile: z.boolean().optional(),
    /** How many of the first `errors` are root causes; the rest follow from them (shown folded). */
    rootCauses: z.number().int().min(0).optional(),
    /** Files the profile names that were not among the chosen files (offered: "Add the missing files…"). */
    missingFiles: z.array(z.string()).optional(),
  })),
  /** Files chosen with the profiles that no profile uses (named only: their content is never shown). */
  unusedFiles: z.array(z.string()).optional(),
});
export type ImportPreview = z.infer<typeof importPreview>;

/** One chosen file: a path main reads, or the file's name and bytes (base64, at most 1 MiB of bytes). */
export const importFile = z.union([
  z.object({ path: z.string().min(1).max(4096) }).strict(),
  z.object({ name: z.string().min(1).max(255), base64: z.string().max(Math.ceil((1024 * 1024) / 3) * 4) }).strict(),
]);
export type ImportFile = z.infer<typeof importFile>;

export const importSource = z.discriminatedUnion('kind', [
  /** A file or .zip the user chose or dropped (main reads it and the files beside it). */
  z.object({ kind: z.literal('path'), path: z.string().min(1).max(4096) }),
  /** Pasted text. */
  z.object({ kind: z.literal('text'), text: z.string().max(1024 * 1024), fileName: z.string().max(255).optional() }),
  /**
   * Files chosen or dropped together: ONE import. Profiles among them read the others (ca.crt,
   * client.key, ta.key …) as their companion files by name. A file is a path (Electron) or its bytes
   * in base64 (a browser has no paths). `addTo` re-inspects that pending import with these files added.
   */
  z.object({ kind: z.literal('files'), files: z.array(importFile).min(1).max(64), addTo: importId.optional() }),
  /** An https URL (typed, or from a tsunagu://import deep link). */
  z.object({ kind: z.literal('url'), url: z.string().url().max(2048) }),
]);
export type ImportSource = z.infer<typeof importSource>;

export const settings = z.object({
  launchAtLogin: z.boolean(),
  /** Profile to connect when the app starts, or null. */
  connectOnLaunch: profileId.nullable(),
  notifications: z.boolean(),
  /** 'system' follows the OS. */
  language: z.enum(['system', 'en', 'ja']),
  /** Block traffic outside the VPN while a full-tunnel profile is connected (issue 14; the KillSwitch policy can force it). */
  killSwitch: z.boolean(),
  /** With the kill switch or always-on: the local network (printers, file shares) stays reachable. */
  allowLan: z.boolean(),
});
export type Settings = z.infer<typeof settings>;

/** The helper connection as the UI sees it. */
export const helperStatus = z.discriminatedUnion('status', [
  z.object({ status: z.literal('connecting') }),
  z.object({ status: z.literal('available'), version: z.string() }),
  z.object({ status: z.literal('unavailable'), reason: z.enum(['not-running', 'permission-denied', 'untrusted-socket', 'version-mismatch']), message: localized, howToFix: localized }),
]);
export type HelperStatus = z.infer<typeof helperStatus>;

/** A profile's live connection, as main tracks it from helper events. */
export const connectionView = z.object({
  profileId,
  sessionId: z.string().nullable(),
  state: tunnelState,
  bytesIn: z.number(),
  bytesOut: z.number(),
  rateIn: z.number(),
  rateOut: z.number(),
  /** WireGuard: Unix milliseconds of the latest handshake, null before the first. */
  lastHandshakeAt: z.number().nullable().optional(),
  /** Pending prompt, if the tunnel waits for the user. */
  prompt: credentialRequest.nullable(),
  /** What happens to traffic outside the tunnel (absent until main knows the session's routes). */
  protection: z.object({
    /** The helper's word for this session; null from a helper before issue 14 (it never blocks). */
    traffic: trafficProtection.nullable(),
    /** The tunnel carries all traffic (the kill switch applies only then). */
    fullTunnel: z.boolean(),
    /** How many networks the profile routes into the tunnel; null when main cannot read them (provisioned). */
    networks: z.number().int().min(0).nullable(),
  }).optional(),
});
export type ConnectionView = z.infer<typeof connectionView>;
export type ConnectionProtection = NonNullable<ConnectionView['protection']>;

/**
 * The helper's firewall as this app shows it; `profileId` is the profile whose tunnel holds the
 * block (or held it last, before the helper restarted), for "Connect again".
 */
export const firewallView = firewallStatus.extend({ profileId: profileId.nullable() });
export type FirewallView = z.infer<typeof firewallView>;

/**
 * The administrator's policy as the helper reports it, and the profiles IT provisioned (each
 * with the id its connection view has in this app).
 */
export const managedState = z.object({
  policy: policyValues,
  /** The uid the helper sees for this app (root is not held to AlwaysOn). */
  uid: z.number().int(),
  provisioned: z.array(provisionedSummary.extend({ profileId })),
});
export type ManagedState = z.infer<typeof managedState>;

/** A failure main reports to the renderer: a stable code and words for the user (and, for a route conflict, the helper's data). */
export const appError = z.object({ code: z.string(), message: localized, detail: z.string().optional(), conflict: routeConflict.optional() });
export type AppError = z.infer<typeof appError>;

/** The one channel main pushes AppEvents on. */
export const APP_EVENT_CHANNEL = 'app:event';

export const appEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('connection'), connection: connectionView }),
  z.object({ type: z.literal('stats'), profileId, bytesIn: z.number(), bytesOut: z.number(), rateIn: z.number(), rateOut: z.number(), lastHandshakeAt: z.number().nullable().optional(), at: z.number() }),
  z.object({ type: z.literal('helper'), helper: helperStatus }),
  z.object({ type: z.literal('profiles-changed') }),
  z.object({ type: z.literal('managed'), managed: managedState }),
  z.object({ type: z.literal('settings-changed'), settings }),
  z.object({ type: z.literal('log'), line: logLine }),
  /** main asks the renderer to show an import review (file opened, deep link, tray "Import…"). */
  z.object({ type: z.literal('import-review'), preview: importPreview }),
  /** An import main started (file opened, deep link) could not even be read; nothing to review. */
  z.object({ type: z.literal('import-failed'), source: z.string(), error: appError }),
  /** The helper's firewall changed; null while the helper is away or too old to have one. */
  z.object({ type: z.literal('firewall'), firewall: firewallView.nullable() }),
]);
export type AppEvent = z.infer<typeof appEvent>;

/** The "New WireGuard tunnel" form, as typed (main builds and checks the profile; the private key stays in main). */
export const newWireGuardRequest = z.object({
  name: z.string().max(256),
  address: z.string().max(1024),
  dns: z.string().max(1024).optional(),
  endpoint: z.string().max(1024),
  serverPublicKey: z.string().max(256),
  allowedIPs: z.string().max(4096),
  persistentKeepalive: z.string().max(16).optional(),
});
export type NewWireGuardRequest = z.infer<typeof newWireGuardRequest>;

export const newWireGuardField = z.enum(['name', 'address', 'dns', 'endpoint', 'serverPublicKey', 'allowedIPs', 'persistentKeepalive', 'form']);

/** Saved (with the public key and the [Peer] block for the server administrator), or what is wrong per field. */
export const newWireGuardReply = z.discriminatedUnion('created', [
  z.object({ created: z.literal(true), id: profileId, name: z.string(), publicKey: z.string(), peerBlock: z.string() }),
  z.object({ created: z.literal(false), fieldErrors: z.array(z.object({ field: newWireGuardField, code: z.string(), message: localized })) }),
]);
export type NewWireGuardReply = z.infer<typeof newWireGuardReply>;

const empty = z.object({}).strict();
const ok = z.object({ ok: z.literal(true) });

export const APP_CHANNELS = {
  'app:info': { request: empty, reply: z.object({ version: z.string(), platform: z.string(), systemLanguage: z.enum(['en', 'ja']), keychain: z.enum(['real', 'basic_text', 'unavailable']) }) },
  'profiles:list': { request: empty, reply: z.object({ profiles: z.array(profileSummary) }) },
  'profiles:get': { request: z.object({ id: profileId }), reply: profileDetails },
  'profiles:prepare-import': { request: z.object({ source: importSource }), reply: importPreview },
  /** `names[i]` renames `items[i]` of the preview (refused items are skipped). */
  'profiles:commit-import': { request: z.object({ importId, names: z.array(z.string().min(1).max(64)).optional() }), reply: z.object({ ids: z.array(profileId) }) },
  'profiles:cancel-import': { request: z.object({ importId }), reply: ok },
  'profiles:rename': { request: z.object({ id: profileId, name: z.string().min(1).max(64) }), reply: ok },
  'profiles:delete': { request: z.object({ id: profileId }), reply: ok },
  /** Generates a key pair and saves a new WireGuard profile from the form (field errors are a reply, not a failure). */
  'profiles:new-wireguard': { request: newWireGuardRequest, reply: newWireGuardReply },
  /**
   * Exports the canonical profile (mode 0600) to where the user chooses in main's save dialog;
   * `path` is null when the dialog was cancelled. The renderer never names a path to write.
   */
  'profiles:export': { request: z.object({ id: profileId }), reply: z.object({ path: z.string().nullable() }) },
  'managed:get': { request: empty, reply: managedState },
  'connections:list': { request: empty, reply: z.object({ connections: z.array(connectionView), helper: helperStatus }) },
  'connections:connect': { request: z.object({ id: profileId }), reply: ok },
  'connections:disconnect': { request: z.object({ id: profileId }), reply: ok },
  'connections:credentials': { request: z.object({ id: profileId, credentials, remember: z.boolean() }), reply: ok },
  'settings:get': { request: empty, reply: settings },
  'settings:set': { request: settings.partial(), reply: settings },
  'log:recent': { request: z.object({ profileId: profileId.optional(), lines: z.number().int().min(1).max(5000).optional() }), reply: z.object({ lines: z.array(logLine) }) },
  /** Saves the (redacted) log where the user chooses in main's save dialog; null when cancelled. */
  'log:export': { request: z.object({ profileId: profileId.optional() }), reply: z.object({ path: z.string().nullable() }) },
  /** The helper's firewall now; null while the helper is away or too old to have one. */
  'firewall:get': { request: empty, reply: z.object({ firewall: firewallView.nullable() }) },
  /** Always-on (lockdown): block all traffic whenever no VPN is connected; the LAN follows the allowLan setting. */
  'firewall:set-lockdown': { request: z.object({ enabled: z.boolean() }).strict(), reply: firewallView },
  /**
   * The way out of "Blocked — the VPN is down": disconnects this user's session that holds the
   * block, or asks the helper to lift a block no session holds (after its restart).
   */
  'firewall:lift-block': { request: empty, reply: ok },
} as const;

export type AppChannel = keyof typeof APP_CHANNELS;
export type AppRequest<C extends AppChannel> = z.infer<(typeof APP_CHANNELS)[C]['request']>;
export type AppReply<C extends AppChannel> = z.infer<(typeof APP_CHANNELS)[C]['reply']>;

/** Replies carry either the result or an AppError: errors cross IPC as values, never exceptions. */
export type AppResult<T> = { ok: true; value: T } | { ok: false; error: AppError };

/** Main's side of the contract: one async handler per channel, each returning an AppResult. */
export type AppHandlers = {
  [C in AppChannel]: (request: AppRequest<C>) => Promise<AppResult<AppReply<C>>>;
};

/**
 * The one object the preload exposes as `window.tsunagu`: a function per channel (camel-cased:
 * `profiles:prepare-import` → `profilesPrepareImport`), plus event subscription and the file
 * path of a dropped File (Electron's webUtils; the renderer cannot see paths otherwise).
 */
export type ChannelMethodName<C extends string> = C extends `${infer A}:${infer B}` ? `${A}${Capitalize<CamelCase<B>>}` : never;
type CamelCase<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

export type TsunaguApi = {
  [C in AppChannel as ChannelMethodName<C>]: (request: AppRequest<C>) => Promise<AppResult<AppReply<C>>>;
} & {
  onEvent(listener: (event: AppEvent) => void): () => void;
  /** A dropped DOM File (typed loosely: shared/ knows no DOM). */
  pathForFile(file: object): string;
};

export function methodName<C extends AppChannel>(channel: C): ChannelMethodName<C> {
  const [group, action] = channel.split(':') as [string, string];
  const camel = action.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
  return `${group}${camel.charAt(0).toUpperCase()}${camel.slice(1)}` as ChannelMethodName<C>;
}
