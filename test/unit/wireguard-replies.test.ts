import { describe, expect, it } from 'vitest';
import { DEFAULT_SILENCE_MS, HANDSHAKE_RETRY, KEEPALIVE_BYTES, nextHandshakeAt, offlineVerdict, trackReplies, WG_TIMERS, type OfflineTrack, type ReplyTrack } from '../../electron/helper/drivers/wireguard/dump.js';

const HANDSHAKE_INITIATION = 148;
const PING_PACKET = 128;

/** Feeds samples (ms from 0, rx, tx) through the rule and returns the last verdict. */
function run(samples: [number, number, number][], keepalive: number | null, silenceMs = DEFAULT_SILENCE_MS, latestHandshakeMs = 1): number | null {
  let track: ReplyTrack | null = null;
  let silent: number | null = null;
  for (const [at, rx, tx] of samples) {
    const v = trackReplies(track, { rx, tx, peers: [{ persistentKeepalive: keepalive }], latestHandshakeMs }, at, silenceMs);
    track = v.track;
    silent = v.silentSince;
  }
  return silent;
}

describe('WireGuard: is the server still answering (trackReplies)', () => {
  it('waits WireGuard\'s own KEEPALIVE_TIMEOUT + 2 × REKEY_TIMEOUT: 20 s', () => {
    expect(DEFAULT_SILENCE_MS).toBe(20_000);
  });

  it('data sent and nothing back for 20 s: silent since the first unanswered packet', () => {
    const samples: [number, number, number][] = [[0, 1000, 1000]];
    for (let t = 1000; t <= 21_000; t += 1000) samples.push([t, 1000, 1000 + (t / 1000) * PING_PACKET]);
    expect(run(samples, null)).toBe(1000);
  });

  it('not yet 19 s after it', () => {
    const samples: [number, number, number][] = [[0, 1000, 1000]];
    for (let t = 1000; t <= 20_000; t += 1000) samples.push([t, 1000, 1000 + (t / 1000) * PING_PACKET]);
    expect(run(samples, null)).toBeNull();
  });

  it('a tunnel idle for ten minutes that sends again is not silent at once: the clock starts at that send', () => {
    expect(run([[0, 1000, 1000], [600_000, 1000, 1000], [601_000, 1000, 1000 + 10 * PING_PACKET]], null)).toBeNull();
    expect(run([[0, 1000, 1000], [600_000, 1000, 1000], [601_000, 1000, 1000 + 10 * PING_PACKET], [621_000, 1000, 1000 + 30 * PING_PACKET]], null)).toBe(601_000);
  });

  it('an idle tunnel with persistent keepalives is not silent: keepalives get no answer by design', () => {
    const samples: [number, number, number][] = [[0, 500, 500]];
    // PersistentKeepalive 25 for two minutes: one keepalive every 25 s, nothing received.
    for (let t = 1000; t <= 120_000; t += 1000) samples.push([t, 500, 500 + Math.floor(t / 25_000) * KEEPALIVE_BYTES]);
    expect(run(samples, 25)).toBeNull();
  });

  it('an idle tunnel without keepalives is not silent either (one passive keepalive allowed)', () => {
    expect(run([[0, 500, 500], [30_000, 500, 500 + KEEPALIVE_BYTES]], null)).toBeNull();
  });

  it('handshake retries alone (every REKEY_TIMEOUT) are unanswered traffic', () => {
    const samples: [number, number, number][] = [[0, 500, 500]];
    for (let t = 5000; t <= 25_000; t += 5000) samples.push([t, 500, 500 + (t / 5000) * HANDSHAKE_INITIATION]);
    expect(run(samples, 25)).toBe(5000);
  });

  it('PersistentKeepalive 1: its allowance swallows retries alone, but a key past REJECT_AFTER_TIME + 20 s with anything sent is silence', () => {
    // Nothing answered since 0; only handshake initiations leave, one per REKEY_TIMEOUT.
    const samples: [number, number, number][] = [[0, 500, 500]];
    for (let t = 5000; t <= 195_000; t += 5000) samples.push([t, 500, 500 + (t / 5000) * HANDSHAKE_INITIATION]);
    expect(run(samples, 1, DEFAULT_SILENCE_MS, 0.5)).toBeNull();
    expect(run([...samples, [201_000, 500, 500 + 41 * HANDSHAKE_INITIATION]], 1, DEFAULT_SILENCE_MS, 0.5)).toBe(5000);
  });

  it('any reply (data, a keepalive or a handshake response) ends the silence and restarts the clock', () => {
    const samples: [number, number, number][] = [[0, 1000, 1000], [21_000, 1000, 5000], [22_000, 1092, 5100], [30_000, 1092, 9000]];
    expect(run(samples, null)).toBeNull();
    expect(run([...samples, [49_000, 1092, 12_000]], null)).toBeNull();
    expect(run([...samples, [50_000, 1092, 12_000]], null)).toBe(30_000);
  });

  it('counters that went down start the tracking afresh instead of counting as a reply or as silence', () => {
    expect(run([[0, 1000, 1000], [25_000, 1000, 9000], [26_000, 0, 0]], null)).toBeNull();
  });

  it('a shorter threshold (tests) applies the same rule', () => {
    expect(run([[0, 10, 10], [1000, 10, 10 + 4 * PING_PACKET], [3000, 10, 10 + 8 * PING_PACKET]], null, 2000)).toBe(1000);
    expect(run([[0, 10, 10], [1000, 10, 10 + 4 * PING_PACKET], [2999, 10, 10 + 8 * PING_PACKET]], null, 2000)).toBeNull();
  });
});

describe("WireGuard: the driver's own handshakes while the server does not answer (nextHandshakeAt)", () => {
  it('the first of a spell at once, then every second for a minute, then at WireGuard\'s own REKEY_TIMEOUT', () => {
    expect(HANDSHAKE_RETRY).toEqual({ everyMs: 1_000, forMs: 60_000 });
    expect(nextHandshakeAt(null, 5_000)).toBe(5_000);
    expect(nextHandshakeAt({ from: 5_000, last: 5_000 }, 5_100)).toBe(6_000);
    expect(nextHandshakeAt({ from: 5_000, last: 64_000 }, 64_100)).toBe(65_000);
    expect(nextHandshakeAt({ from: 5_000, last: 65_000 }, 65_100)).toBe(65_000 + WG_TIMERS.rekeyTimeout);
  });

  it('never sooner than `everyMs` after the last one (no busy loop), whatever the clock says', () => {
    for (const last of [0, 1, 999, 30_000, 59_999, 60_000, 3_600_000]) {
      const at = nextHandshakeAt({ from: 0, last }, last);
      expect(at - last).toBeGreaterThanOrEqual(HANDSHAKE_RETRY.everyMs);
      expect(at - last).toBeLessThanOrEqual(WG_TIMERS.rekeyTimeout);
    }
    expect(nextHandshakeAt({ from: 0, last: 0 }, 0, { everyMs: 250, forMs: 1_000 })).toBe(250);
  });
});

describe('WireGuard: the uplink gone (offlineVerdict)', () => {
  const lost: OfflineTrack = { since: 1_000, lostAt: 1_000, rx: 5_000, restoredAt: null };
  it('no network while it is gone, however long: nothing can leave, so nothing goes unanswered', () => {
    expect(offlineVerdict(lost, 5_000, 1_001, 20_000)).toBe('offline');
    expect(offlineVerdict(lost, 5_000, 3_600_000, 20_000)).toBe('offline');
  });

  it('anything received after it went: connected again (the reply after it came back, or a server on a route that stayed)', () => {
    expect(offlineVerdict(lost, 5_092, 2_000, 20_000)).toBe('answered');
    expect(offlineVerdict({ ...lost, restoredAt: 10_000 }, 5_092, 10_050, 20_000)).toBe('answered');
  });

  it('no baseline yet (no reading since it went): still no network, bytes from before it do not count as a reply', () => {
    expect(offlineVerdict({ ...lost, rx: null }, 9_999, 2_000, 20_000)).toBe('offline');
  });

  it('back, and the server silent for silenceMs after that: no longer "no network" but "no reply"', () => {
    const back = { ...lost, restoredAt: 10_000 };
    expect(offlineVerdict(back, 5_000, 29_999, 20_000)).toBe('offline');
    expect(offlineVerdict(back, 5_000, 30_000, 20_000)).toBe('silent');
  });
});
