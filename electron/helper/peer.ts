/**
 * Who is calling: the operating-system identity of each client of the helper socket, read with
 * SO_PEERCRED (a small native addon; Node has no API for it), and whether that user may use the
 * helper: root, or a member of the helper's group.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { join } from 'node:path';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

interface PeerCredAddon {
  peerCredentials(fd: number): PeerCredentials;
}

const require = createRequire(import.meta.url);
let addon: PeerCredAddon | null = null;

function loadAddon(): PeerCredAddon {
  if (!addon) {
    // From source the addon is in its build folder; the bundled CLI carries it beside itself.
    const candidates = [join(import.meta.dirname, 'native', 'build', 'Release', 'peercred.node'), join(import.meta.dirname, 'peercred.node')];
    const path = candidates.find((p) => existsSync(p)) ?? candidates[0] ?? '';
    try {
      addon = require(path) as PeerCredAddon;
    } catch (e) {
      throw new Error(`the helper's native addon is missing (${path}); run "npm rebuild" or "npm install" to build it`, { cause: e });
    }
  }
  return addon;
}

/** Node keeps the descriptor of a pipe socket on its (undocumented but long-stable) handle. */
function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('cannot find the file descriptor of the client socket');
  return fd;
}

export function peerOf(socket: Socket): PeerCredentials {
  return loadAddon().peerCredentials(socketFd(socket));
}

export interface GroupInfo {
  name: string;
  gid: number;
  members: string[];
}

/** Looks a group up in /etc/group. */
export function findGroup(name: string, groupFile = '/etc/group'): GroupInfo | null {
  for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
    const [group, , gid, members] = line.split(':');
    if (group === name && gid !== undefined) return { name, gid: Number(gid), members: (members ?? '').split(',').filter(Boolean) };
  }
  return null;
}

function userOf(uid: number, passwdFile: string): { name: string; gid: number } | null {
  for (const line of readFileSync(passwdFile, 'utf8').split('\n')) {
    const [name, , id, gid] = line.split(':');
    if (name && Number(id) === uid && gid !== undefined) return { name, gid: Number(gid) };
  }
  return null;
}

/** Root, or a user whose primary or supplementary group is the helper's group. */
export function mayUseHelper(peer: PeerCredentials, group: GroupInfo, passwdFile = '/etc/passwd'): boolean {
  if (peer.uid === 0) return true;
  if (peer.gid === group.gid) return true;
  const user = userOf(peer.uid, passwdFile);
  return user !== null && (user.gid === group.gid || group.members.includes(user.name));
}
