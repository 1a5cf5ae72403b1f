/**
 * Profile display names: from the profile's own metadata when it has some, else from the file
 * name, made safe for file systems and menus (the rules openvpn-gui applies to imports).
 */

import { PROFILE_IMPORT_ENDINGS } from './kinds.js';

// Control characters are unsafe in file names and menus too.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[<>:"/\\|?*;\x00-\x1f\x7f]/g;
const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;
export const MAX_NAME_LENGTH = 64;

export function safeProfileName(raw: string): string {
  let name = raw.replace(UNSAFE, '_').replace(/\s+/g, ' ').trim();
  name = name.replace(/^\.+/, '').replace(/\.+$/, '');
  if (name.length > MAX_NAME_LENGTH) name = name.slice(0, MAX_NAME_LENGTH).trim();
  if (RESERVED.test(name.split('.')[0] ?? '')) name = `${name}_`;
  return name;
}

/** Endings a profile's file name may have, longest first: "Office.swanctl.conf" (an IKEv2 export) is "Office". */
const PROFILE_ENDINGS = [...PROFILE_IMPORT_ENDINGS, '.txt'].sort((a, b) => b.length - a.length);

export function fileStem(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const ending = PROFILE_ENDINGS.find((e) => base.toLowerCase().endsWith(e));
  return ending ? base.slice(0, base.length - ending.length) : base;
}

/** The first usable candidate, made safe; `fallback` when none is left after cleaning. */
export function chooseProfileName(candidates: Array<string | null | undefined>, fallback: string): string {
  for (const candidate of candidates) {
    if (!candidate) continue;
    const safe = safeProfileName(candidate);
    if (safe !== '') return safe;
  }
  return fallback;
}
