/**
 * Who is calling: the operating-system identity of each client of the helper socket, read with
 * SO_PEERCRED (a small native addon; Node has no API for it), and whether that user may use the
 * helper: root, or a member of the helper's group.
 *
 * Membership comes from /etc/group and /etc/passwd, read asynchronously into a snapshot that is
 * refreshed at most once per `ttlMs` however many clients connect: a flood of connections costs no
 * file reads (an EMFILE there once crashed the helper), and an edit to the files is seen within
 * seconds. SO_PEERCRED's gid is only the primary group at connect(); supplementary groups could be
 * read from /proc/<pid>/status, but the pid may have exited and been reused by the time we look,
 * so the group database is the source. The kernel has already checked the socket's 0660
 * root:group mode at connect() with the caller's real groups; this is the second check.
 */
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { nativeAddon } from './native-addon.js';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** Node keeps the descriptor of a pipe socket on its (undocumented but long-stable) handle. */
function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('cannot find the file descriptor of the client socket');
  return fd;
}

export function peerOf(socket: Socket): PeerCredentials {
  return nativeAddon().peerCredentials(socketFd(socket));
}

export interface GroupInfo {
  name: string;
  gid: number;
  members: string[];
}

/** The user name and primary gid of every uid in a passwd file. */
export type UserTable = Map<number, { name: string; gid: number }>;

/** Finds a group in the text of /etc/group. */
export function parseGroup(text: string, name: string): GroupInfo | null {
  for (const line of text.split('\n')) {
    const [group, , gid, members] = line.split(':');
    if (group === name && gid !== undefined && /^\d+$/.test(gid)) return { name, gid: Number(gid), members: (members ?? '').split(',').filter(Boolean) };
  }
  return null;
}

/** Reads the text of /etc/passwd into a table by uid. */
export function parseUsers(text: string): UserTable {
  const users: UserTable = new Map();
  for (const line of text.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name && uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid) && !users.has(Number(uid))) {
      users.set(Number(uid), { name, gid: Number(gid) });
    }
  }
  return users;
}

/** Root, or a user whose primary or supplementary group is the helper's group. */
export function mayUseHelper(peer: PeerCredentials, group: GroupInfo, users: UserTable): boolean {
  if (peer.uid === 0) return true;
  if (peer.gid === group.gid) return true;
  const user = users.get(peer.uid);
  return user !== undefined && (user.gid === group.gid || group.members.includes(user.name));
}

interface Snapshot {
  /** Null when the group does not exist (then nobody but root gets in). */
  group: GroupInfo | null;
  users: UserTable;
  at: number;
}

export interface MembershipOptions {
  groupFile?: string;
  passwdFile?: string;
  /** How long a read of the files answers for (default 5 s). */
  ttlMs?: number;
}

/** The helper group's membership, from a snapshot of the group database refreshed at most once per TTL. */
export class GroupMembership {
  private snapshot: Snapshot | null = null;
  private refreshing: Promise<void> | null = null;
  private readonly groupFile: string;
  private readonly passwdFile: string;
  private readonly ttlMs: number;
  /** How many times the files were read (tests check a flood of connections reads nothing). */
  reads = 0;

  constructor(readonly groupName: string, options: MembershipOptions = {}) {
    this.groupFile = options.groupFile ?? '/etc/group';
    this.passwdFile = options.passwdFile ?? '/etc/passwd';
    this.ttlMs = options.ttlMs ?? 5000;
  }

  /** Reads the files once; null when the group does not exist. */
  async load(): Promise<GroupInfo | null> {
    await this.refresh();
    return this.snapshot?.group ?? null;
  }

  get group(): GroupInfo | null {
    return this.snapshot?.group ?? null;
  }

  /** Whether the peer may use the helper. Never throws: a failed re-read answers from the last snapshot. */
  async mayUse(peer: PeerCredentials): Promise<boolean> {
    const group = this.snapshot?.group;
    if (peer.uid === 0 || (group && peer.gid === group.gid)) return true;
    if (!this.snapshot || Date.now() - this.snapshot.at > this.ttlMs) await this.refresh();
    const current = this.snapshot;
    return current?.group ? mayUseHelper(peer, current.group, current.users) : false;
  }

  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        this.reads++;
        const [groupText, passwdText] = await Promise.all([readFile(this.groupFile, 'utf8'), readFile(this.passwdFile, 'utf8')]);
        this.snapshot = { group: parseGroup(groupText, this.groupName), users: parseUsers(passwdText), at: Date.now() };
      } catch {
        // Out of descriptors or a file being replaced: keep the last snapshot, try again next time.
        if (this.snapshot) this.snapshot.at = Date.now() - this.ttlMs + 1000;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }
}
