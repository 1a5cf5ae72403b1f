/**
 * The IKEv2 format: one strongSwan client connection, from any of the files it comes in —
 * swanctl.conf (and Tsunagu's canonical text, which is swanctl.conf syntax), the strongSwan apps'
 * .sswan JSON, an Apple .mobileconfig's IKEv2 payload, and legacy ipsec.conf + ipsec.secrets.
 * Each sub-format's reader produces the same model; this file applies the policy that holds
 * whatever the source, writes the canonical text and checks it twice: the independent re-reader
 * (reread.ts) and the swanctl.conf reader itself (which the helper will run on it) must both read
 * back exactly the profile that was checked.
 */
import { capAdvisories, capErrors, type ProfileError } from '../diagnostics.js';
import { refusedResult, type FormatInput, type ProfileFormat } from '../format.js';
import type { InspectResult } from '../inspect.js';
import { chooseProfileName, fileStem } from '../name.js';
import { DEFAULT_POLICY } from '../policy.js';
import { looksLikeIpsecConf, readIpsecConf } from './ipsec-conf.js';
import { looksLikeMobileconfig, readMobileconfig } from './mobileconfig.js';
import type { Ikev2Profile } from './model.js';
import { ikev2ServerConfigError, updownError } from './policy.js';
import { firstProfileDifference, mismatchError, verifyIkev2Text } from './reread.js';
import type { Ikev2ReadOptions, Ikev2ReadResult } from './result.js';
import { ikev2Routes, ikev2Servers } from './routes.js';
import { looksLikeSswan, readSswan } from './sswan.js';
import { readSwanctl } from './swanctl.js';
import { CANONICAL_HEADER, writeIkev2 } from './writer.js';

/** swanctl.conf: a top-level `connections {` section (the canonical text has one too). */
export function looksLikeSwanctl(text: string): boolean {
  return text.startsWith(CANONICAL_HEADER) || /(?:^|\n)[ \t]*connections[ \t]*(?:\r?\n[ \t]*)?\{/.test(text);
}

/** strongswan.conf (daemon settings): recognised only to say precisely why it is not a connection. */
function looksLikeStrongswanConf(text: string): boolean {
  return /(?:^|\n)[ \t]*(?:charon|charon-systemd|libstrongswan)[ \t]*\{/.test(text);
}

interface SubFormat {
  detect(text: string, fileName: string | undefined): boolean;
  read(text: string, options: Ikev2ReadOptions): Ikev2ReadResult;
}

/** In the order they are asked: the most recognisable first. */
const SUB_FORMATS: readonly SubFormat[] = [
  { detect: looksLikeSswan, read: readSswan },
  { detect: (text) => looksLikeMobileconfig(text), read: readMobileconfig },
  { detect: (text) => looksLikeSwanctl(text) || looksLikeStrongswanConf(text), read: readSwanctl },
  { detect: (text) => looksLikeIpsecConf(text), read: readIpsecConf },
];

/** A section name swanctl.conf can hold (letters, digits, '-', '_'; 64 at most), or the fallback. */
function sectionName(name: string, fallback: string): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64) || fallback;
}

/**
 * Connection and child names as the canonical text can hold them: a sub-format may take them from
 * a display name ("vpn.example.org", "Büro"), which swanctl.conf's section syntax cannot write.
 */
function withSectionNames(p: Ikev2Profile): Ikev2Profile {
  const used = new Set<string>();
  const children = p.children.map((c, i) => {
    let name = sectionName(c.name, `child-${i + 1}`);
    while (used.has(name)) name = `${name}-${i + 1}`;
    used.add(name);
    return name === c.name ? c : { ...c, name };
  });
  const connection = sectionName(p.connection, 'ikev2');
  return connection === p.connection && children.every((c, i) => c === p.children[i]) ? p : { ...p, connection, children };
}

/** Refusals that hold whatever file the profile came from. */
function policyErrors(p: Ikev2Profile, allowScripts: boolean): ProfileError[] {
  const errors: ProfileError[] = [];
  if (p.remoteAddrs.length === 0) errors.push(ikev2ServerConfigError(0, p.connection));
  if (!allowScripts) for (const c of p.children) if (c.updown !== null) errors.push(updownError(0, 1, c.updown, 'updown'));
  return errors;
}

function inspectIkev2({ text, textError, options, fallbackName }: FormatInput): InspectResult {
  if (textError) return refusedResult('ikev2', fallbackName, [textError]);
  const sub = SUB_FORMATS.find((s) => s.detect(text, options.fileName)) ?? SUB_FORMATS[SUB_FORMATS.length - 1];
  if (!sub) return refusedResult('ikev2', fallbackName, []);
  const policy = options.policy ?? DEFAULT_POLICY;
  const read = sub.read(text, { files: options.files, policy });
  if (!read.ok) return refusedResult('ikev2', fallbackName, capErrors(read.errors));
  const profile = withSectionNames(read.profile);
  const name = chooseProfileName([read.name, options.fileName && fileStem(options.fileName), profile.connection], fallbackName);
  const advisories = capAdvisories(read.advisories);
  const inlined = read.inlinedFiles ?? [];
  const refused = policyErrors(profile, policy.allowScripts);
  if (refused.length > 0) return refusedResult('ikev2', name, refused, advisories, inlined);
  const canonical = writeIkev2(profile);
  // What the helper will read (the swanctl reader, again) and what an independent reader sees
  // must both be exactly the profile that was checked.
  const mismatch = verifyIkev2Text(canonical, profile) ?? sameWhenReadAgain(canonical, profile, policy.allowScripts);
  if (mismatch) return refusedResult('ikev2', name, [mismatch], advisories, inlined);
  return { ok: true, kind: 'ikev2', name, layer: 'L3', advisories, errors: [], profile, canonical, inlinedFiles: inlined };
}

function sameWhenReadAgain(canonical: string, profile: Ikev2Profile, allowScripts: boolean): ProfileError | null {
  const again = readSwanctl(canonical, { policy: { allowScripts } });
  if (!again.ok) return mismatchError(`the swanctl.conf reader refuses it: ${again.errors[0]?.message.en ?? ''}`);
  const difference = firstProfileDifference(profile, again.profile);
  return difference === null ? null : mismatchError(difference);
}

export const ikev2Format: ProfileFormat<'ikev2'> = {
  kind: 'ikev2',
  detect: (text, fileName) => SUB_FORMATS.some((s) => s.detect(text, fileName)),
  readsBinary: (text) => looksLikeMobileconfig(text),
  inspect: inspectIkev2,
  routes: ikev2Routes,
  servers: ikev2Servers,
};
