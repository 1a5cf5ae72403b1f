/**
 * The OpenVPN format: every text no other format claims is read as OpenVPN (it is the detection
 * fallback), through the parser, the advisories and their automatic fixes, the inliner for files
 * beside the profile, and the canonical writer whose text openvpn runs.
 */
import type { InspectResult } from '../inspect.js';
import { refusedResult, type FormatInput, type ProfileFormat } from '../format.js';
import { chooseProfileName, fileStem } from '../name.js';
import { notAProfileError } from '../not-a-profile.js';
import { optionRoutes } from '../routes.js';
import { openVpnAdvisories } from './advisories.js';
import { canonicalOpenVpn } from './canonical.js';
import { describe } from './describe.js';
import { inlineReferencedFiles } from './inliner.js';
import type { OpenVpnProfile } from './model.js';
import { parseOpenVpn } from './parser.js';

function metaValue(profile: Pick<OpenVpnProfile, 'metadata'>, key: string): string | undefined {
  return profile.metadata.values.find((v) => v.key === key)?.value;
}

function inspectOpenVpn({ input, text, options, fallbackName }: FormatInput): InspectResult {
  // A text no format recognised: a file picked by mistake says what it looks like.
  if (!options.kind) {
    const notAProfile = notAProfileError(text);
    if (notAProfile) return refusedResult('openvpn', fallbackName, [notAProfile]);
  }
  const inlinedFiles: string[] = [];
  const files = options.files;
  // openvpn reads bytes: a Latin-1 comment is no obstacle, and its reader names any line whose
  // values are not UTF-8.
  const parsed = parseOpenVpn(input, {
    policy: options.policy,
    transformRaw: files
      ? (raw) => {
          const result = inlineReferencedFiles(raw, files);
          inlinedFiles.push(...result.inlined);
          return result;
        }
      : undefined,
  });
  if (!parsed.profile) return refusedResult('openvpn', fallbackName, parsed.errors, parsed.advisories, inlinedFiles);

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
  if (!canonical.ok) return refusedResult('openvpn', name, canonical.errors, advisories, inlinedFiles);
  return { ok: true, kind: 'openvpn', name, layer: profile.layer, advisories, errors: [], profile, canonical: canonical.text, inlinedFiles };
}

export const openVpnFormat: ProfileFormat<'openvpn'> = {
  kind: 'openvpn',
  detect: () => true,
  inspect: inspectOpenVpn,
  routes: (profile) => optionRoutes(profile.directives),
  servers: (profile) => [...new Set(profile.remotes.map((r) => r.host))],
};
