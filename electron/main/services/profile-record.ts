/**
 * A saved profile as it sits on disk (one JSON file per profile) and the views derived from it:
 * the list summary and the details screen. The record keeps the text the user imported and the
 * canonical text the helper will run, so details can be recomputed in any language later.
 */
import * as z from 'zod';
import { advisory, profileId, type ProfileDetails, type ProfileSummary } from '../../../shared/ipc/app-api.js';
import { inspectProfile, type InspectOk, type InspectResult, type InspectedProfile } from '../../../shared/profiles/inspect.js';
import { profileKindSchema } from '../../../shared/profiles/kinds.js';
import type { Ikev2Profile } from '../../../shared/profiles/ikev2/model.js';
import { writeIkev2 } from '../../../shared/profiles/ikev2/writer.js';
import { readSwanctl } from '../../../shared/profiles/ikev2/swanctl.js';
import type { OpenVpnDirective, OpenVpnProfile } from '../../../shared/profiles/openvpn/model.js';
import { writeOpenVpn } from '../../../shared/profiles/openvpn/writer.js';
import { summarizeProfile } from '../../../shared/profiles/summary.js';
import { formatEndpoint, writeWireGuard } from '../../../shared/profiles/wireguard/writer.js';

export const PROFILE_NAME_MAX = 64;

export const profileRecord = z.object({
  version: z.literal(1),
  id: profileId,
  name: z.string().min(1).max(PROFILE_NAME_MAX),
  kind: profileKindSchema,
  layer: z.enum(['L3', 'L2']),
  /** IKE profiles: the IKE version (records saved before it was kept have none: read from `canonical`). */
  ikeVersion: z.union([z.literal(1), z.literal(2)]).optional(),
  /** The profile as imported (before fixes and inlining), for reference. */
  originalText: z.string(),
  /** What the helper runs: fixes applied, referenced files inlined. */
  canonical: z.string(),
  /** Where it came from: a path, an URL or "pasted text". */
  source: z.string(),
  importedAt: z.number(),
  server: z.string(),
  needsCredentials: z.boolean(),
  publicKey: z.string().nullable(),
  advisories: z.array(advisory),
  inlinedFiles: z.array(z.string()),
});
export type ProfileRecord = z.infer<typeof profileRecord>;

function firstServer(profile: InspectedProfile): string {
  switch (profile.kind) {
    case 'openvpn': {
      const remote = profile.remotes[0];
      return remote ? `${remote.host}:${remote.port}/${remote.transport}` : '';
    }
    case 'wireguard': {
      const endpoint = profile.peers.find((p) => p.endpoint)?.endpoint;
      return endpoint ? formatEndpoint(endpoint) : '';
    }
    case 'ikev2': {
      const host = profile.remoteAddrs[0] ?? '';
      if (host === '' || profile.remotePort === null) return host;
      return host.includes(':') ? `[${host}]:${profile.remotePort}` : `${host}:${profile.remotePort}`;
    }
  }
}

/** An IKEv2 round that signs in with a password nobody saved in the profile. */
function ikev2AsksPassword(profile: Ikev2Profile): boolean {
  return profile.local.some((round) =>
    round.auth === 'xauth' ? profile.secrets.xauthPassword === null : (round.auth === 'eap' || round.auth === 'eap-mschapv2') && profile.secrets.eapPassword === null,
  );
}

function asksForCredentials(profile: InspectedProfile): boolean {
  switch (profile.kind) {
    case 'openvpn': {
      const { auth } = profile;
      const embeddedPassword = auth.embeddedUser?.hasPassword ?? false;
      return (auth.userPass && !embeddedPassword) || auth.staticChallenge !== null || auth.encryptedKey;
    }
    case 'wireguard':
      return false;
    case 'ikev2':
      return ikev2AsksPassword(profile);
  }
}

/** A record before the store gives it an id. */
export type NewProfile = Omit<ProfileRecord, 'id' | 'version'>;

export type AcceptedInspection = InspectOk;

export function isAccepted(result: InspectResult): result is AcceptedInspection {
  return result.ok;
}

/** What is saved for a profile the engine accepted. */
export function newProfileFrom(
  result: AcceptedInspection,
  fields: { name: string; originalText: string; source: string; importedAt: number },
): NewProfile {
  return {
    name: fields.name,
    kind: result.kind,
    layer: result.layer,
    ...(result.profile.kind === 'ikev2' ? { ikeVersion: result.profile.version } : {}),
    originalText: fields.originalText,
    canonical: result.canonical,
    source: fields.source,
    importedAt: fields.importedAt,
    server: firstServer(result.profile),
    needsCredentials: asksForCredentials(result.profile),
    publicKey: result.profile.kind === 'wireguard' ? result.profile.interface.publicKey : null,
    advisories: result.advisories,
    inlinedFiles: result.inlinedFiles,
  };
}

/** The IKE version of an IKE record: kept since import, else read from its canonical text. */
function ikeVersionOf(record: ProfileRecord): { ikeVersion?: 1 | 2 } {
  if (record.kind !== 'ikev2') return {};
  if (record.ikeVersion !== undefined) return { ikeVersion: record.ikeVersion };
  const read = readSwanctl(record.canonical);
  return read.ok ? { ikeVersion: read.profile.version } : {};
}

/** Recorded as the source of a profile made here ("New WireGuard tunnel"), not imported from anywhere. */
export const NEW_TUNNEL_SOURCE = 'tsunagu:new-wireguard';

export function summaryOf(record: ProfileRecord, hasSavedCredentials: boolean): ProfileSummary {
  return {
    id: record.id,
    name: record.name,
    kind: record.kind,
    layer: record.layer,
    ...ikeVersionOf(record),
    server: record.server,
    importedAt: record.importedAt,
    needsCredentials: record.needsCredentials,
    hasSavedCredentials,
    advisoryCount: record.advisories.length,
    ...(record.source === NEW_TUNNEL_SOURCE ? { created: true as const } : {}),
  };
}

// Inline blocks that hold secrets; certificates (<ca>, <cert>) are public and stay readable.
const SECRET_BLOCKS = new Set(['key', 'tls-auth', 'tls-crypt', 'tls-crypt-v2', 'secret', 'pkcs12', 'auth-user-pass', 'http-proxy-user-pass']);
const HIDDEN = '[hidden]';

function maskDirective(d: OpenVpnDirective): OpenVpnDirective {
  if (d.block) return { ...d, block: d.block.map(maskDirective) };
  if (d.inline !== undefined && SECRET_BLOCKS.has(d.name)) return { ...d, inline: HIDDEN };
  return d;
}

/** The canonical text with private keys, static keys and embedded passwords replaced. */
export function maskedConfig(profile: InspectedProfile): string {
  switch (profile.kind) {
    case 'openvpn': {
      const masked: Pick<OpenVpnProfile, 'directives' | 'metadata'> = { directives: profile.directives.map(maskDirective), metadata: profile.metadata };
      return writeOpenVpn(masked);
    }
    case 'wireguard':
      return writeWireGuard({
        ...profile,
        interface: { ...profile.interface, privateKey: HIDDEN },
        peers: profile.peers.map((peer) => (peer.presharedKey === undefined ? peer : { ...peer, presharedKey: HIDDEN })),
      });
    case 'ikev2': {
      const hide = (secret: string | null): string | null => (secret === null ? null : HIDDEN);
      const { secrets, files } = profile;
      return writeIkev2({
        ...profile,
        secrets: { psk: hide(secrets.psk), eapPassword: hide(secrets.eapPassword), xauthPassword: hide(secrets.xauthPassword) },
        files: { ...files, privateKey: hide(files.privateKey) },
      });
    }
  }
}

export function detailsOf(record: ProfileRecord, hasSavedCredentials: boolean, lang: 'en' | 'ja'): ProfileDetails {
  // The canonical text is the writer's output, so it always parses again (kind forced: no guessing).
  const again = inspectProfile(record.canonical, { kind: record.kind });
  return {
    ...summaryOf(record, hasSavedCredentials),
    rows: again.profile ? summarizeProfile(again.profile, record.name, lang) : [],
    advisories: record.advisories,
    publicKey: record.publicKey,
    maskedConfig: again.profile ? maskedConfig(again.profile) : '',
  };
}
