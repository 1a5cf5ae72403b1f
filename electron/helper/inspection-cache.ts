import { createHash } from 'node:crypto';
import type { ProfileKind } from '../../shared/profiles/kinds.js';

/**
 * The helper's own inspections of recent profiles, by a hash of exactly what was sent: connecting
 * the same profile again (every reconnect from the app) skips the parse while openvpn waits for
 * its config. Only the helper's results are kept, never anything the caller claims. A verdict
 * depends on the administrator's policy too: the session manager replaces the cache when the
 * policy that inspection reads (AllowScripts) changes. A failed inspection (a time-out) is not kept.
 */
export class InspectionCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(
    private readonly capacity = 16,
    private readonly maxTextBytes = 256 * 1024,
  ) {}

  /**
   * `owner`: whose request it is (the uid). Entries are not shared between users, so how fast a
   * connect is answered tells nobody what another user connected recently.
   */
  async get(profile: { kind: ProfileKind; text: string; name: string }, owner: number, inspect: () => Promise<T>): Promise<T> {
    if (profile.text.length > this.maxTextBytes) return inspect();
    const key = createHash('sha256').update(`${owner}\0${profile.kind}\0${profile.name}\0`).update(profile.text).digest('hex');
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used last: the first key is the one to evict.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const result = await inspect();
    this.entries.set(key, result);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return result;
  }
}
