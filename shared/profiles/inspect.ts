/**
 * The profile engine's front door: bytes in, a verdict out. Finds the kind (translators first,
 * then each format's detection in DETECTION_ORDER, or the kind the caller forces), and hands the
 * profile to that kind's format (format.ts), which parses it, applies the security policy and the
 * automatic fixes, and writes the canonical text the helper will run.
 * Used by the app at import, by the CLI's `inspect`, and by the helper on every connect.
 */
import type { Advisory, ProfileError } from './diagnostics.js';
import { refusedResult, type ProfileFormat, type ProfileModel, type ProfileModels } from './format.js';
import type { ProfileKind } from './kinds.js';
import { ikev2Format } from './ikev2/format.js';
import { chooseProfileName, fileStem } from './name.js';
import { translateNetworkManager } from './networkmanager/index.js';
import { openVpnFormat } from './openvpn/format.js';
import { decodeUtf8Lossy, encodeUtf8 } from './openvpn/lexer.js';
import type { ProfileFileSource } from './openvpn/inliner.js';
import type { Layer } from './openvpn/model.js';
import type { ProfilePolicy } from './policy.js';
import { decodeProfileText } from './text.js';
import { wireGuardFormat } from './wireguard/format.js';

export interface InspectOptions {
  /** The file name the profile came from (for the kind and the name). */
  fileName?: string;
  /** Files beside the profile, for OpenVPN file references. */
  files?: ProfileFileSource;
  policy?: ProfilePolicy;
  /** Force a kind instead of detecting it. */
  kind?: ProfileKind;
}

/** A profile of any kind (the model of an accepted inspection). */
export type InspectedProfile = ProfileModel;

/** An accepted profile of kind K. */
export interface InspectAccepted<K extends ProfileKind> {
  ok: true;
  kind: K;
  name: string;
  layer: Layer;
  advisories: Advisory[];
  errors: [];
  /** The profile after automatic fixes. */
  profile: ProfileModels[K];
  /** Exactly what the kind's tool (openvpn, wg-quick, charon) will be given. */
  canonical: string;
  /** Basenames of the files that were inlined. */
  inlinedFiles: string[];
}

export type InspectOk = { [K in ProfileKind]: InspectAccepted<K> }[ProfileKind];

export interface InspectRefused {
  ok: false;
  kind: ProfileKind;
  name: string;
  layer: Layer;
  advisories: Advisory[];
  errors: ProfileError[];
  profile: null;
  canonical: null;
  inlinedFiles: string[];
}

/** Discriminated by `ok`, and when ok by `kind` (which then types `profile`). */
export type InspectResult = InspectOk | InspectRefused;

/** Every kind's format: the registry inspectProfile, profileRoutes and serverHosts look up. */
export const FORMATS: { [K in ProfileKind]: ProfileFormat<K> } = {
  openvpn: openVpnFormat,
  wireguard: wireGuardFormat,
  ikev2: ikev2Format,
};

/**
 * The order in which formats are asked whether a text is theirs: the most specific first, OpenVPN
 * (which reads anything no other format claims) last. Every kind appears exactly once.
 */
export const DETECTION_ORDER: readonly ProfileKind[] = ['wireguard', 'ikev2', 'openvpn'];

export function formatOf<K extends ProfileKind>(kind: K): ProfileFormat<K> {
  return FORMATS[kind];
}

/** By content, whatever the file is called or which section comes first. */
export function detectKind(text: string, fileName?: string): ProfileKind {
  return DETECTION_ORDER.find((kind) => FORMATS[kind].detect(text, fileName)) ?? 'openvpn';
}

function routesOf<K extends ProfileKind>(kind: K, profile: ProfileModels[K]): string[] {
  return FORMATS[kind].routes(profile);
}

function serversOf<K extends ProfileKind>(kind: K, profile: ProfileModels[K]): string[] {
  return FORMATS[kind].servers(profile);
}

/** The CIDRs a profile itself puts into the routing table (normalised, without duplicates). */
export function profileRoutes(profile: ProfileModel): string[] {
  return routesOf(profile.kind, profile);
}

/** The servers a profile connects to (its kind's format decides which). */
export function profileServers(profile: ProfileModel): string[] {
  return serversOf(profile.kind, profile);
}

/**
 * What a translator makes of a file of another program (C3: a NetworkManager keyfile): a kind's own
 * text, or why it cannot be one of ours; null when the file is not one it reads.
 */
export type Translation =
  | { ok: true; kind: ProfileKind; text: string; files: string[]; source: string }
  | { ok: false; kind: ProfileKind; errors: ProfileError[] };

export type Translator = (text: string, fileName: string | undefined) => Translation | null;

/** The translators, asked in order before detection. */
export const TRANSLATORS: readonly Translator[] = [translateNetworkManager];

/** Inspects any bytes as a profile. Never throws: every failure is an error value. */
export function inspectProfile(original: Uint8Array | string, options: InspectOptions = {}): InspectResult {
  const fallbackName = chooseProfileName([options.fileName && fileStem(options.fileName)], 'VPN');
  let input = original;
  let decoded = decodeProfileText(input);
  let kind = options.kind;
  if (!kind && 'text' in decoded) {
    for (const translator of TRANSLATORS) {
      const translation = translator(decoded.text, options.fileName);
      if (translation === null) continue;
      if (!translation.ok) return refusedResult(translation.kind, fallbackName, translation.errors);
      // The translated text is inspected as its kind's own, with the same files beside it.
      input = translation.text;
      decoded = { text: translation.text };
      kind = translation.kind;
      break;
    }
  }
  if ('error' in decoded && decoded.error.code !== 'PROFILE_NOT_UTF8') {
    const lossy = decodeUtf8Lossy(typeof input === 'string' ? encodeUtf8(input) : input);
    const reader = (kind ? [kind] : DETECTION_ORDER).find((k) => FORMATS[k].readsBinary?.(lossy));
    if (!reader) return refusedResult(kind ?? 'openvpn', fallbackName, [decoded.error]);
    return FORMATS[reader].inspect({ input, text: lossy, options, fallbackName });
  }
  const text = 'text' in decoded ? decoded.text : decodeUtf8Lossy(typeof input === 'string' ? encodeUtf8(input) : input);
  // A translation forces its kind, but the format still hears that the caller forced none.
  const chosen = kind ?? detectKind(text, options.fileName);
  return FORMATS[chosen].inspect({
    input: 'text' in decoded ? decoded.text : input,
    text,
    ...('error' in decoded ? { textError: decoded.error } : {}),
    options,
    fallbackName,
  });
}
