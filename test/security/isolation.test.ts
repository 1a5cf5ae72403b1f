/**
 * Finding 5: group members must not see each other. Alice runs a username/password session
 * (states, stats, a credential prompt, log lines); bob, in the same group, lists, subscribes with
 * logs and reads the log, and must see none of it. Usernames never appear in log lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, disconnect, Rig, sleep } from './rig.js';
import { uidOf, type Conn } from './users.js';

let rig: Rig;
beforeAll(async () => {
  rig = await Rig.start('openvpn-userpass');
});
afterAll(async () => {
  await rig.close();
});

/** Whatever in `messages` concerns `sessionId` or `uid`. */
function concerning(messages: unknown[], sessionId: string, uid: number): unknown[] {
  return messages.filter((m) => JSON.stringify(m).includes(sessionId) || (typeof m === 'object' && m !== null && 'line' in m && JSON.stringify(m).includes(`"uid":${uid}`)));
}

describe('finding 5: a member sees only its own sessions, events and log lines', () => {
  it("bob's list, subscribe and log show nothing of alice's session; no username in any log line", async () => {
    const bobWatch: Conn = await rig.client('bob', { logs: true });
    const alice = await rig.client('alice', { logs: true });
    const good = rig.lab.credentials.good;
    if (!good) throw new Error('lab credentials missing');
    const outcome = await connect(alice, rig.profile(), { answer: { kind: 'userpass', ...good } });
    if (outcome.refused) throw new Error(`alice's connect refused: ${outcome.code} ${outcome.message}`);
    expect(outcome.state.status).toBe('connected');
    const aliceSid = outcome.sessionId;
    // Alice saw her prompt and her stats: the events exist, so bob not seeing them means something.
    await sleep(2200);
    expect(alice.events().some((e) => e.event === 'credentials-required')).toBe(true);
    expect(alice.events().some((e) => e.event === 'stats' && e['sessionId'] === aliceSid)).toBe(true);

    const bobLater = await rig.client('bob', null);
    const list = await bobLater.request({ type: 'list' });
    expect(list.ok).toBe(true);
    expect.soft(JSON.stringify(list.result)).not.toContain(aliceSid);
    const subscribed = await bobLater.request({ type: 'subscribe', logs: true });
    expect.soft(JSON.stringify(subscribed.result ?? subscribed.error)).not.toContain(aliceSid);
    // Asking for her session by id: refused, or answered with nothing of hers.
    const one = await bobLater.request({ type: 'subscribe', sessionId: aliceSid, logs: true });
    expect.soft(JSON.stringify(one.result ?? null)).not.toContain(aliceSid);
    const log = await bobLater.request({ type: 'log', lines: 5000 });
    const logOne = await bobLater.request({ type: 'log', sessionId: aliceSid, lines: 5000 });
    await sleep(1500);
    const aliceUid = uidOf('alice');
    expect.soft(concerning(bobWatch.events(), aliceSid, aliceUid)).toEqual([]);
    expect.soft(concerning(bobLater.events(), aliceSid, aliceUid)).toEqual([]);
    const lines = (r: { result?: unknown }) => ((r.result as { lines?: unknown[] } | undefined)?.lines ?? []);
    expect.soft(concerning(lines(log), aliceSid, aliceUid)).toEqual([]);
    expect.soft(lines(logOne)).toEqual([]);

    // Root sees everything, and no line of it names the VPN username.
    const all = await rootLog();
    expect(all.some((l) => l.includes(aliceSid))).toBe(true);
    const named = new RegExp(`(^|[\\s'"=:,(\\[])${good.username}($|[\\s'",)\\]])`);
    expect.soft(all.filter((l) => named.test(l))).toEqual([]);
    await disconnect(alice, outcome);
  });
});

/** The whole log as root reads it, through the harness's own (root) client. */
async function rootLog(): Promise<string[]> {
  const { HelperClient } = await import('../../electron/main/helper-client.js');
  const client = await HelperClient.connect({ socketPath: rig.helper.socketPath, clientName: 'security-root' });
  try {
    return (await client.request('log', { lines: 5000 })).lines.map((l) => `${l.sessionId ?? '-'} ${l.text}`);
  } finally {
    client.close();
  }
}
