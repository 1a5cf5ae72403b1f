/**
 * "New WireGuard tunnel": main (or the CLI) generates the key pair and saves the profile in the
 * store, so the private key never has to pass through the renderer; the caller gets back the
 * public key and the [Peer] block to give the server administrator.
 */
import type { AppResult, NewWireGuardReply, NewWireGuardRequest } from '../../../shared/ipc/app-api.js';
import { newWireGuardTunnel, peerBlockFor, type NewWireGuardKeys } from '../../../shared/profiles/wireguard/create.js';
import { ok } from './errors.js';
import { NEW_TUNNEL_SOURCE, newProfileFrom } from './profile-record.js';
import type { ProfileStore } from './profile-store.js';

export async function createWireGuardProfile(
  store: Pick<ProfileStore, 'create'>,
  request: NewWireGuardRequest,
  options: { now?: number; keys?: NewWireGuardKeys } = {},
): Promise<AppResult<NewWireGuardReply>> {
  const built = newWireGuardTunnel(request, options.keys);
  if (!built.ok) return ok({ created: false, fieldErrors: built.fieldErrors });
  const saved = await store.create(
    newProfileFrom(built.inspection, { name: built.name, originalText: built.text, source: NEW_TUNNEL_SOURCE, importedAt: options.now ?? Date.now() }),
  );
  if (!saved.ok) return saved;
  // The block names the profile as saved (the store may have added " (2)").
  const peerBlock = peerBlockFor(saved.value.name, built.publicKey, built.inspection.profile.interface.addresses);
  return ok({ created: true, id: saved.value.id, name: saved.value.name, publicKey: built.publicKey, peerBlock });
}
