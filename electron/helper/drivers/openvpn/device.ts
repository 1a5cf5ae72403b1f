/**
 * The tun/tap device of an OpenVPN session, named by the helper up front (as WireGuard's is, see
 * drivers/wireguard/names.ts) rather than by the kernel when openvpn opens it: the kill switch then
 * allows the device in its first apply (sessions.ts guard()), so a guarded connect needs one apply,
 * verified while openvpn starts, and "connected" waits for nothing else.
 *
 * The profile's own `dev` is always plain `tun`/`tap` by then (a fixed name such as `tun0` or
 * `myvpn` is mapped to it when the profile is reviewed: OVPN_DEVICE_NAME_DROPPED), so the name the
 * helper gives never replaces one a user relies on; only the type (tun or tap) comes from the profile.
 */
import { createHash } from 'node:crypto';
import type { Layer } from '../../../../shared/profiles/openvpn/model.js';

export interface TunnelDevice {
  /** `tso` + 8 characters derived from the session id (≤ 15 bytes, the Linux limit). */
  name: string;
  type: 'tun' | 'tap';
}

/** What the names look like: one pattern for tests and checks. */
export const DEVICE_NAME_RE = /^tso[a-z2-7]{8}$/;

/**
 * The device name of session `sessionId`. Hashed rather than sliced, so ids sharing a prefix still
 * get different names; the `tso` prefix (and a hash salted with the kind) keeps it apart from
 * WireGuard's `tsu…` interfaces. Session ids are 64 random bits and unique among the helper's
 * sessions, so two sessions (of one user or of two) never share a name; a name already taken on
 * the host (a leftover of another program) makes openvpn fail to open the device, never share it.
 */
export function deviceNameFor(sessionId: string): string {
  const digest = createHash('sha256').update(`tsunagu-openvpn:${sessionId}`).digest();
  let suffix = '';
  for (let i = 0; i < 8; i++) suffix += 'abcdefghijklmnopqrstuvwxyz234567'[(digest[i] ?? 0) & 31];
  return `tso${suffix}`;
}

/** The device of a session for a profile of `layer` (L2: tap, L3: tun). */
export function tunnelDeviceFor(sessionId: string, layer: Layer): TunnelDevice {
  return { name: deviceNameFor(sessionId), type: layer === 'L2' ? 'tap' : 'tun' };
}
