/**
 * The profile engine's front door: bytes in, a verdict out. Detects the kind, parses, applies the
 * security policy and the automatic fixes, and returns the canonical text the helper will run.
 * Used by the app at import, by the CLI's `inspect`, and by the helper on every connect.
 */
import type { Advisory, ProfileError, ProfileKind } from './diagnostics.js';
import { chooseProfileName, fileStem } from './name.js';
import { DEFAULT_POLICY, checkWireGuardHooks, serverConfigError, type ProfilePolicy } from './policy.js';
import { decodeProfileText } from './text.js';
import { notAProfileError } from './not-a-profile.js';
import { decodeUtf8Lossy, encodeUtf8 } from './openvpn/lexer.js';
import { checkCanonicalWireGuard } from './wireguard/wgquick-reader.js';
import { openVpnAdvisories } from './openvpn/advisories.js';
import { describe } from './openvpn/describe.js';
import { inlineReferencedFiles, type ProfileFileSource } from './openvpn/inliner.js';
import type { Layer, OpenVpnProfile } from './openvpn/model.js';
import { parseOpenVpn } from './openvpn/parser.js';
import { canonicalOpenVpn } from './openvpn/canonical.js';
import type { WireGuardProfile } from './wireguard/model.js';
import { looksLikeWireGuard, parseWireGuard } from './wireguard/parser.js';
import { wireGuardAdvisories } from './wireguard/advisories.js';
import { writeWireGuard } from './wireguard/writer.js';

export interface InspectOptions {
  /** The file name the profile came from (for the kind and the name). */
  fileName?: string;
  /** Files beside the profile, for OpenVPN file references. */
  files?: ProfileFileSource;
  policy?: ProfilePolicy;
  /** Force a kind instead of detecting it. */
  kind?: ProfileKind;
}

export type InspectedProfile = OpenVpnProfile | WireGuardProfile;

export interface InspectResult {
  ok: boolean;
  kind: ProfileKind;
  name: string;
  layer: Layer;
  advisories: Advisory[];
  errors: ProfileError[];
  /** The profile after automatic fixes, or null when refused. */
  profile: InspectedProfile | null;
  /** Exactly what openvpn / wg-quick will be given, or null when refused. */
  canonical: string | null;
  /** Basenames of the files that were inlined. */
  inlinedFiles: string[];
}

/**
 * By content, whatever the file is called or which section comes first: a wg-quick section header
 * makes it WireGuard, anything else is read as OpenVPN.
 */
export function detectKind(text: string): ProfileKind {
  return looksLikeWireGuard(text) ? 'wireguard' : 'openvpn';
}

function refused(kind: ProfileKind, name: string, errors: ProfileError[], advisories: Advisory[] = []): InspectResult {
  return { ok: false, kind, name, layer: 'L3', advisories, errors, profile: null, canonical: null, inlinedFiles: [] };
}

function metaValue(profile: Pick<OpenVpnProfile, 'metadata'>, key: string): string | undefined {
  return profile.metadata.values.find((v) => v.key === key)?.value;
}

function inspectOpenVpn(text: string | Uint8Array, options: InspectOptions, fallbackName: string): InspectResult {
  const inlinedFiles: string[] = [];
  const files = options.files;
  const parsed = parseOpenVpn(text, {
    policy: options.policy,
    transformRaw: files
      ? (raw) => {
          const result = inlineReferencedFiles(raw, files);
          inlinedFiles.push(...result.inlined);
          return result;
        }
      : undefined,
  });
  if (!parsed.profile) return { ...refused('openvpn', fallbackName, parsed.errors, parsed.advisories), inlinedFiles };

  let profile = parsed.profile;
  const items = openVpnAdvisories(profile, parsed.lines);
  let directives = profile.directives;
  for (const item of items) if (item.apply) directives = item.apply(directives);
  if (directives !== profile.directives) profile = describe(directives, profile.metadata);

  const setenvName = profile.directives.find((d) => d.name === 'setenv' && d.args[0] === 'FRIENDLY_NAME')?.args[1];
  const name = chooseProfileName(
    [metaValue(profile, 'FRIENDLY_NAME'), metaValue(profile, 'PROFILE')?.split('/')[0], setenvName, options.fileName && fileStem(options.fileName), profile.remotes[0]?.host],
    fallbackName,
  );
  const advisories = [...parsed.advisories, ...items.map((i) => i.advisory)].sort((a, b) => a.line - b.line);
  const canonical = canonicalOpenVpn(profile, parsed.lines);
  if (!canonical.ok) return { ...refused('openvpn', name, canonical.errors, advisories), inlinedFiles };
  return {
    ok: true,
    kind: 'openvpn',
    name,
    layer: profile.layer,
    advisories,
    errors: [],
    profile,
    canonical: canonical.text,
    inlinedFiles,
  };
}

/** A configuration that only listens (ListenPort, no peer with an Endpoint) is a server's. */
function wireGuardServerLine(text: string): { line: number; text: string } | null {
  const lines = text.split(/\r?\n/);
  const listen = lines.findIndex((l) => /^\s*listenport\s*=/i.test(l));
  if (listen < 0 || lines.some((l) => /^\s*endpoint\s*=/i.test(l))) return null;
  return { line: listen + 1, text: (lines[listen] ?? '').trim() };
}

function inspectWireGuard(text: string, options: InspectOptions, fallbackName: string): InspectResult {
  const server = wireGuardServerLine(text);
  if (server) return refused('wireguard', fallbackName, [serverConfigError('wireguard', server.line, server.text)]);
  const parsed = parseWireGuard(text);
  if (!parsed.ok) return refused('wireguard', fallbackName, parsed.errors);
  const policyErrors = checkWireGuardHooks(parsed.located.hooks, options.policy ?? DEFAULT_POLICY);
  if (policyErrors.length > 0) return refused('wireguard', fallbackName, policyErrors);
  const items = wireGuardAdvisories(parsed.profile, parsed.located);
  let profile = parsed.profile;
  for (const item of items) if (item.apply) profile = item.apply(profile);
  const name = chooseProfileName([options.fileName && fileStem(options.fileName)], fallbackName);
  const advisories = items.map((i) => i.advisory);
  const canonical = writeWireGuard(profile);
  // wg-quick must read the text it will run as exactly the profile that was checked.
  const mismatch = checkCanonicalWireGuard(canonical, profile);
  if (mismatch) return refused('wireguard', name, [mismatch], advisories);
  return { ok: true, kind: 'wireguard', name, layer: 'L3', advisories, errors: [], profile, canonical, inlinedFiles: [] };
}

/** Inspects any bytes as a profile. Never throws: every failure is an error value. */
export function inspectProfile(input: Uint8Array | string, options: InspectOptions = {}): InspectResult {
  const fallbackName = chooseProfileName([options.fileName && fileStem(options.fileName)], 'VPN');
  const decoded = decodeProfileText(input);
  if ('error' in decoded && decoded.error.code !== 'PROFILE_NOT_UTF8') {
    return refused(options.kind ?? 'openvpn', fallbackName, [decoded.error]);
  }
  // openvpn reads bytes: a Latin-1 comment is no obstacle, and its reader names any line whose
  // values are not UTF-8. wg-quick files must be text.
  const text = 'text' in decoded ? decoded.text : decodeUtf8Lossy(typeof input === 'string' ? encodeUtf8(input) : input);
  const kind = options.kind ?? detectKind(text);
  if (kind === 'wireguard') {
    return 'error' in decoded ? refused('wireguard', fallbackName, [decoded.error]) : inspectWireGuard(text, options, fallbackName);
  }
  if (!options.kind) {
    const notAProfile = notAProfileError(text);
    if (notAProfile) return refused('openvpn', fallbackName, [notAProfile]);
  }
  return inspectOpenVpn('text' in decoded ? decoded.text : input, options, fallbackName);
}
