import { describe, expect, it } from 'vitest';
import { DEFAULT_SILENCE_MS, KEEPALIVE_BYTES, trackReplies, type ReplyTrack } from '../../electron/helper/drivers/wireguard/dump.js';

const HANDSHAKE_INITIATION = 148;
const PING_PACKET = 128;

/** Feeds samples (ms from 0, rx, tx) through the rule and returns the last verdict. */
function run(samples: [number, number, number][], keepalive: number | null, silenceMs = DEFAULT_SILENCE_MS): number | null {
  let track: ReplyTrack | null = null;
  let silent: number | null = null;
  for (const [at, rx, tx] of samples) {
    const v = trackReplies(track, { rx, tx, peers: [{ persistentKeepalive: keepalive }] }, at, silenceMs);
    track = v.track;
    silent = v.silentSince;
  }
  return silent;
}

describe('WireGuard: is the server still answering (trackReplies)', () => {
  it('waits WireGuard\'s own KEEPALIVE_TIMEOUT + 2 × REKEY_TIMEOUT: 20 s', () => {
    expect(DEFAULT_SILENCE_MS).toBe(20_000);
  });

  it('data sent and nothing back for 20 s: silent since the last reply', () => {
    const samples: [number, number, number][] = [[0, 1000, 1000]];
    for (let t = 1000; t <= 21_000; t += 1000) samples.push([t, 1000, 1000 + (t / 1000) * PING_PACKET]);
    expect(run(samples, null)).toBe(0);
  });

  it('not yet at 19 s', () => {
    const samples: [number, number, number][] = [[0, 1000, 1000]];
    for (let t = 1000; t <= 19_000; t += 1000) samples.push([t, 1000, 1000 + (t / 1000) * PING_PACKET]);
    expect(run(samples, null)).toBeNull();
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
    expect(run(samples, 25)).toBe(0);
  });

  it('any reply (data, a keepalive or a handshake response) ends the silence and restarts the clock', () => {
    const samples: [number, number, number][] = [[0, 1000, 1000], [21_000, 1000, 5000], [22_000, 1092, 5100], [30_000, 1092, 9000]];
    expect(run(samples, null)).toBeNull();
    expect(run([...samples, [42_000, 1092, 12_000]], null)).toBe(22_000);
  });

  it('counters that went down start the tracking afresh instead of counting as a reply or as silence', () => {
    expect(run([[0, 1000, 1000], [25_000, 1000, 9000], [26_000, 0, 0]], null)).toBeNull();
  });

  it('a shorter threshold (tests) applies the same rule', () => {
    expect(run([[0, 10, 10], [2000, 10, 10 + 4 * PING_PACKET]], null, 2000)).toBe(0);
    expect(run([[0, 10, 10], [1999, 10, 10 + 4 * PING_PACKET]], null, 2000)).toBeNull();
  });
});
