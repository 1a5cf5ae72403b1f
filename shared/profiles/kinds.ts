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
