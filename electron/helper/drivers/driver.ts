/**
 * What the session manager needs from a VPN driver (one per kind: openvpn, wireguard, later ikev2).
 * A driver turns one validated profile into running processes and reports, truthfully and at once,
 * what the tunnel is doing. It never sees the caller's text: only the canonical config the helper
 * produced from its own inspection.
 */
import type { Credentials, CredentialRequest, LogLine, TunnelState } from '../../../shared/ipc/helper-protocol.js';
import type { InspectAccepted } from '../../../shared/profiles/inspect.js';
import type { ProfileKind } from '../../../shared/profiles/kinds.js';
import type { MessageLogger } from '../log.js';

export interface DriverEvents {
  /** Every state change, in order. */
  state(state: TunnelState): void;
  /** Cumulative byte counters (tunnel payload where the tool reports it, else link bytes). */
  counters(bytesIn: number, bytesOut: number): void;
  credentialsRequired(request: CredentialRequest): void;
  /** A log line; the driver redacts secrets before emitting. */
  log(level: LogLine['level'], text: string): void;
  /**
   * One of the helper's own lines by its catalogue code (shared/i18n/helper-messages.ts), shown in
   * the UI's language. The session manager always gives it; a test double that only collects text
   * may not, and then the line goes to `log` in English (lifecycle.ts `driverMessage`).
   */
  message?: MessageLogger;
  /**
   * The tunnel's effective routes (the profile's plus what the server pushed, as CIDRs), once
   * known: as early as possible and before `connected`. False when the manager refuses them (they
   * conflict with another session: `route-conflict`; a kill switch was asked for and they make a
   * split tunnel: `kill-switch-needs-full-tunnel`): it has then put this session in that error
   * state and is stopping it, and the driver must not report `connected`.
   */
  routesKnown(prefixes: string[]): boolean;
  /** WireGuard: Unix milliseconds of the latest handshake (null before the first), when it changes. */
  handshake?(at: number | null): void;
  /** The resolvers the driver applied for the tunnel (OpenVPN's pushed DNS): the kill switch lets DNS go only to them. */
  tunnelDns?(servers: string[]): void;
}

/** What a driver of kind K is given (K: its kind, so its inspection's profile needs no check). */
export interface DriverContext<K extends ProfileKind = ProfileKind> {
  sessionId: string;
  /** Root-only (0700) directory for this session's config, sockets and residue record. */
  workDir: string;
  /** The helper's own inspection of the profile, accepted, of the driver's kind. */
  inspection: InspectAccepted<K>;
  connectTimeoutMs: number;
  /**
   * Network namespace to run the tunnel in (its processes, interface, routes and DNS), or null for
   * the helper's own. Used by the test lab and the demo, where servers live in namespaces.
   */
  netns: string | null;
  /**
   * Another session is active: the tunnel must not add a route before `routesKnown` has approved
   * it (a server may push routes that take that session's traffic). Set by the session manager.
   */
  guardRoutes: boolean;
  /** Credentials given with the connect request, used for the first prompt only. */
  initialCredentials?: Credentials;
  /** The tool's process, launched while the profile was being inspected (see Prelauncher). */
  prelaunched?: Prelaunched;
  events: DriverEvents;
}

/**
 * A head start: launches a driver's tool before the profile is inspected, with nothing from the
 * profile (only the helper's fixed arguments), so that its load time overlaps the inspection. The
 * process must wait for its configuration, which only the driver gives it, after the profile
 * passed; a refused profile's process is abandoned (killed) having read nothing.
 */
export type Prelauncher = (target: { workDir: string; netns: string | null }) => Prelaunched | null;

export interface Prelaunched {
  readonly pid: number;
  /**
   * Whether it can still serve a connect: running, and where the helper runs tunnels (false once
   * it exited, or when its network namespace is no longer the one by that name).
   */
  readonly usable: boolean;
  /** Settles when the process has exited. */
  readonly exit: Promise<unknown>;
  /** Kills the process; it will not be used. */
  abandon(): void;
  /** What crash cleanup needs to find and stop this process if the helper dies (standby.ts). */
  residue(sessionId: string): ResidueRecord;
}

/** Makes the driver of one session of kind K. */
export type DriverFactory<K extends ProfileKind = ProfileKind> = (context: DriverContext<K>) => Driver;

export interface Driver {
  /** Starts connecting. Resolves once the processes are spawned (not when connected). */
  start(): Promise<void>;
  provideCredentials(credentials: Credentials): boolean;
  /** Tears everything down (processes, interfaces, routes, DNS); resolves when it is all gone. */
  stop(reason: string): Promise<void>;
  /** The network interface, once known. */
  interfaceName(): string | null;
  /**
   * For drivers that read counters on demand: asks the tool for them now and resolves once they
   * have been reported through `counters` (or at once when the tool cannot be asked). Drivers
   * without it report counters on their own.
   */
  refreshCounters?(): Promise<void>;
  /**
   * The network came back or changed (network-watch.ts): reconnect now rather than at the tool's
   * next retry. Resolves once the reconnect has been started (not finished).
   */
  recover?(cause: string): Promise<void>;
  /**
   * The uplink went away (network-watch.ts `onLost`): for a tool that cannot notice by itself
   * (WireGuard sends nothing without a route, so nothing goes unanswered), say so now.
   */
  networkLost?(): void;
}

/**
 * What a driver leaves on the system while running, recorded in the session's work directory
 * (<workDir>/residue.json, lifecycle.ts ResidueFile) so that a helper restarted after a crash can
 * remove it. Every kind's record has these fields plus its own, and its own zod schema
 * (registry.ts DriverRegistration.residueSchema): a record is data, validated before use.
 */
export interface ResidueRecord<K extends ProfileKind = ProfileKind> {
  kind: K;
  sessionId: string;
  pids: number[];
}
