/**
 * The format record: what the profile engine knows about one kind, in one object per kind
 * (shared/profiles/<kind>/format.ts), looked up by kind in inspect.ts (FORMATS). Adding a kind is
 * its folder, its model in ProfileModels, and one line in FORMATS and DETECTION_ORDER.
 *
 * A format module imports only types from inspect.ts (inspect.ts imports it: a value import the
 * other way round would make the modules' start-up order depend on which one a program loads
 * first). What a format needs at run time comes from here or from its own folder.
 */
import type { Advisory, ProfileError } from './diagnostics.js';
import type { Ikev2Profile } from './ikev2/model.js';
import type { InspectOptions, InspectRefused, InspectResult } from './inspect.js';
import type { ProfileKind } from './kinds.js';
import type { OpenVpnProfile } from './openvpn/model.js';
import type { WireGuardProfile } from './wireguard/model.js';

/** Each kind's profile model (a plain JSON-serialisable object with `kind` set to its key). */
export interface ProfileModels {
  openvpn: OpenVpnProfile;
  wireguard: WireGuardProfile;
  ikev2: Ikev2Profile;
}

/** A profile of any kind in the list, discriminated by `.kind`. */
export type ProfileModel = ProfileModels[ProfileKind];

/** What inspectProfile hands the format it chose. */
export interface FormatInput {
  /** The profile as given, or its text when it is valid UTF-8 (a format reading bytes gets bytes only when they are not). */
  input: Uint8Array | string;
  /** The text (a lossy decoding when `textError` is set). */
  text: string;
  /** Set when the bytes are not UTF-8: a format that needs text refuses with it. */
  textError?: ProfileError;
  options: InspectOptions;
  /** The name to use when the profile gives none (from the file name, else "VPN"). */
  fallbackName: string;
}

export interface ProfileFormat<K extends ProfileKind> {
  kind: K;
  /** By content (and file name as a hint): is this text this kind? Checked in DETECTION_ORDER. */
  detect(text: string, fileName: string | undefined): boolean;
  /**
   * A binary file (NUL bytes) this format reads anyway, judged on its lossy decoding: a signed
   * .mobileconfig is DER around its XML. Any other binary is refused before a format sees it.
   */
  readsBinary?(text: string): boolean;
  /** Parses, applies the policy and the automatic fixes, writes the canonical text. Never throws. */
  inspect(i: FormatInput): InspectResult;
  /** CIDRs the profile itself routes through the tunnel (normalised with routes.ts normalizePrefix, no duplicates). */
  routes(profile: ProfileModels[K]): string[];
  /** Host names / addresses the tunnel connects to (AllowedServers policy, summaries), without duplicates. */
  servers(profile: ProfileModels[K]): string[];
}

/** A refused profile's result. */
export function refusedResult(kind: ProfileKind, name: string, errors: ProfileError[], advisories: Advisory[] = [], inlinedFiles: string[] = []): InspectRefused {
  return { ok: false, kind, name, layer: 'L3', advisories, errors, profile: null, canonical: null, inlinedFiles };
}
