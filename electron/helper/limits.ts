/**
 * What one caller (and all callers together) may hold of the helper: connections, sessions, launch
 * rate and buffered input. The numbers leave room for any real desktop use (one app, a CLI, a few
 * tunnels) while keeping a hostile group member far from the helper's file-descriptor limit and
 * memory. Connections are capped for root too (they cost the helper's own descriptors whoever opens
 * them); sessions and launches are not: they share the machine fairly between group members, and
 * root, who could run openvpn itself, is not one of them (its scripts and tests cycle hundreds).
 */

export interface HelperLimits {
  /** Open connections of one uid (the app holds one or two, each CLI command one). */
  connectionsPerUid: number;
  /** Open connections in total (well below a service's default of 1,024 open files). */
  connections: number;
  /** Sessions of one uid (other than root) that are not being torn down. */
  sessionsPerUid: number;
  /** Connect requests of one uid (other than root): a bucket of `launchBurst` refilled at `launchesPerMinute`. */
  launchBurst: number;
  launchesPerMinute: number;
  /** Partial-frame input buffered across every connection. */
  bufferedInputBytes: number;
  /**
   * Partial-frame input buffered across the connections of one uid: a quarter of the total, so one
   * member filling its share never gets another member's ordinary profile refused.
   */
  bufferedInputPerUidBytes: number;
  /** Time one inspection may take in the worker before it is killed and the profile refused. */
  inspectionTimeoutMs: number;
}

export const DEFAULT_LIMITS: HelperLimits = Object.freeze({
  connectionsPerUid: 32,
  connections: 256,
  sessionsPerUid: 8,
  launchBurst: 20,
  launchesPerMinute: 20,
  bufferedInputBytes: 32 * 1024 * 1024,
  bufferedInputPerUidBytes: 8 * 1024 * 1024,
  inspectionTimeoutMs: 10_000,
});

/** Per-key token buckets; a key's bucket starts full and is forgotten once full again. */
export class LaunchBuckets {
  private readonly buckets = new Map<number, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token for `key`; false when its bucket is empty. */
  take(key: number): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.perMinute) / 60_000);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      return false;
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    this.prune(now);
    return true;
  }

  /** Drops buckets that have refilled, so the map holds only recent callers. */
  private prune(now: number): void {
    if (this.buckets.size < 64) return;
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) * this.perMinute) / 60_000 >= this.burst) this.buckets.delete(key);
    }
  }
}
