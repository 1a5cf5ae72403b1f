/**
 * The kinds of VPN profile Tsunagu knows: the one list. Every union, zod enum, detection order
 * and driver table derives from it, so a new kind is one entry here plus its own folders and a
 * registration line in each layer (shared/profiles/format.ts, electron/helper/drivers/registry.ts).
 * The order is the registry order (detection and listings); a kind never leaves the list silently
 * because stored profiles and policy files name it.
 */
import * as z from 'zod';

export const PROFILE_KINDS = ['openvpn', 'wireguard', 'ikev2'] as const;

export type ProfileKind = (typeof PROFILE_KINDS)[number];

/** The schema of a kind wherever one crosses a boundary (IPC, stored records, policy files). */
export const profileKindSchema = z.enum(PROFILE_KINDS);

export function isProfileKind(value: unknown): value is ProfileKind {
  return typeof value === 'string' && (PROFILE_KINDS as readonly string[]).includes(value);
}

/**
 * How a file holding a profile of each kind is named (the export's suggested name). An IKEv2
 * profile exports its canonical text, which is swanctl.conf syntax: `.swanctl.conf`, not `.conf`,
 * which would read as WireGuard.
 */
export const PROFILE_FILE_EXTENSIONS = {
  openvpn: '.ovpn',
  wireguard: '.conf',
  ikev2: '.swanctl.conf',
} as const satisfies Record<ProfileKind, `.${string}`>;

/** `name` with the file extension of `kind`: "Office" → "Office.swanctl.conf". */
export function profileFileName(name: string, kind: ProfileKind): string {
  return `${name}${PROFILE_FILE_EXTENSIONS[kind]}`;
}

/**
 * Every file ending the profile engine reads as a profile, and the kinds a file so named can hold:
 * the one list behind the import dialogs, drag-and-drop, launch requests, .zip and folder imports
 * and provisioned profiles. Where an ending allows several kinds, the formats' detection decides
 * (inspect.ts DETECTION_ORDER): a `.conf` is wg-quick, swanctl.conf, ipsec.conf (its ipsec.secrets
 * is a companion, read beside it) or OpenVPN's own. `translated`: another program's file
 * (NetworkManager), turned into a kind's own text at import only.
 */
export const PROFILE_FILE_ENDINGS = [
  { ending: '.ovpn', kinds: ['openvpn'], translated: false },
  { ending: '.conf', kinds: ['wireguard', 'ikev2', 'openvpn'], translated: false },
  { ending: '.swanctl.conf', kinds: ['ikev2'], translated: false },
  { ending: '.sswan', kinds: ['ikev2'], translated: false },
  { ending: '.mobileconfig', kinds: ['ikev2'], translated: false },
  { ending: '.nmconnection', kinds: ['openvpn', 'wireguard', 'ikev2'], translated: true },
] as const satisfies readonly { ending: `.${string}`; kinds: readonly ProfileKind[]; translated: boolean }[];

export type ProfileFileEnding = (typeof PROFILE_FILE_ENDINGS)[number];

/** The endings, longest first, so `.swanctl.conf` is found before `.conf`. */
const ENDINGS_LONGEST_FIRST: readonly ProfileFileEnding[] = [...PROFILE_FILE_ENDINGS].sort((a, b) => b.ending.length - a.ending.length);

/** Every accepted ending, longest first (".swanctl.conf", ".mobileconfig", …, ".conf"). */
export const PROFILE_IMPORT_ENDINGS: readonly string[] = ENDINGS_LONGEST_FIRST.map((e) => e.ending);

/**
 * What an open dialog filters on: each ending's last part without the dot (dialogs match one
 * extension; "conf" covers ".swanctl.conf"), once each, plus the .zip bundle.
 */
export const PROFILE_DIALOG_EXTENSIONS: readonly string[] = [...new Set([...PROFILE_FILE_ENDINGS.map((e) => e.ending.slice(e.ending.lastIndexOf('.') + 1)), 'zip'])];

/** The ending `fileName` has among PROFILE_FILE_ENDINGS (the longest that fits, any case), or null. */
export function profileFileEnding(fileName: string): ProfileFileEnding | null {
  const lower = fileName.toLowerCase();
  // A bare ending (".conf") names no profile: there must be something before it.
  return ENDINGS_LONGEST_FIRST.find((e) => lower.length > e.ending.length && lower.endsWith(e.ending)) ?? null;
}

/** Whether `fileName` is named like a profile the engine reads (not a .zip: see isProfileBundleName). */
export function isProfileFileName(fileName: string): boolean {
  return profileFileEnding(fileName) !== null;
}

/** A .zip bundle of profiles, by name. */
export function isProfileBundleName(fileName: string): boolean {
  return /.\.zip$/i.test(fileName);
}

/** ".ovpn, .conf, .swanctl.conf, .sswan, .mobileconfig or .nmconnection", for messages (en, ja). */
export function profileEndingsText(): { en: string; ja: string } {
  const all = PROFILE_FILE_ENDINGS.map((e) => e.ending);
  return { en: `${all.slice(0, -1).join(', ')} or ${all[all.length - 1] ?? ''}`, ja: all.join('、') };
}
