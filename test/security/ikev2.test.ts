/**
 * IKEv2 (issue 13), attacked by a member: the helper's root charon gets its configuration only
 * over VICI, from the helper's own inspection of the text a member sends. A script, a file outside
 * the profile or an include smuggled into the canonical text is refused before charon is given
 * anything (the helper has no files but the profile's own: a path is only ever a name among them);
 * another member neither sees nor ends an IKEv2 session that is not theirs.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ping } from '../lab/index.js';
import { connect, disconnect, Rig, type ConnectOutcome, type Profile } from './rig.js';
import type { Conn } from './users.js';

let rig: Rig;
let alice: Conn;
let bob: Conn;
beforeAll(async () => {
  rig = await Rig.start('ikev2-psk');
  alice = await rig.client('alice');
  bob = await rig.client('bob');
});
afterAll(async () => {
  await rig.close();
});

/** The lab's canonical text with `edit` applied; the edit must change it (else the attack is void). */
function edited(profile: Profile, edit: (text: string) => string): Profile {
  const text = edit(profile.text);
  if (text === profile.text) throw new Error('the attack did not change the profile text');
  return { ...profile, text };
}

describe('IKEv2: what charon runs is what the helper checked', () => {
  it('an updown script, a certificate file outside the profile and an include are refused before charon gets anything', async () => {
    const base = rig.profile();
    const marker = `/tmp/tsunagu-sec-ike-${randomBytes(6).toString('hex')}`;
    const attacks: Record<string, Profile> = {
      // charon would run this as root on every CHILD_SA up/down.
      updown: edited(base, (t) => t.replace('mode = tunnel', `mode = tunnel\n                updown = /usr/bin/touch ${marker}`)),
      // A certificate read from the helper's filesystem instead of the profile's own files.
      'file outside': edited(base, (t) => t.replace('id = "server.lab.test"', 'id = "server.lab.test"\n            cacerts = /etc/shadow')),
      // swanctl-style include of a root-only file.
      include: edited(base, (t) => `include /etc/shadow\n${t}`),
    };
    const outcomes: Record<string, string> = {};
    for (const [name, profile] of Object.entries(attacks)) {
      const o: ConnectOutcome = await connect(alice, profile, { timeoutSeconds: 10 });
      outcomes[name] = o.refused ? o.code : `session ${o.state.status}`;
      await disconnect(alice, o);
    }
    try {
      expect(outcomes).toEqual({ updown: 'profile-refused', 'file outside': 'profile-refused', include: 'profile-refused' });
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(marker, { force: true });
    }
  });

  it("bob neither sees nor ends alice's IKEv2 session, which keeps carrying traffic", async () => {
    const outcome = await connect(alice, rig.profile());
    if (outcome.refused) throw new Error(`alice's connect refused: ${outcome.code} ${outcome.message}`);
    try {
      expect(outcome.state.status).toBe('connected');
      const list = await bob.request({ type: 'list' });
      expect(list.ok).toBe(true);
      expect(JSON.stringify(list.result)).not.toContain(outcome.sessionId);
      const end = await bob.request({ type: 'disconnect', sessionId: outcome.sessionId });
      expect(end.ok).toBe(false);
      expect(await ping(rig.lab.clientNetns, rig.lab.protectedHostIp, { count: 2 })).toBe(true);
      const mine = await alice.request({ type: 'list' });
      expect(JSON.stringify(mine.result)).toContain(outcome.sessionId);
    } finally {
      await disconnect(alice, outcome);
    }
  });
});
