/**
 * The administrator's policy as an attack surface: a member must not get around it through the
 * socket, nor read what IT provisioned. The policy directory is root's (0755, files 0644, profiles/
 * 0700); a group-member-writable drop-in trying to re-open personal profiles must be ignored.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, Rig } from './rig.js';
import { GROUP } from './users.js';

let rig: Rig;
let policyDir: string;
let profileText: string;

beforeAll(async () => {
  policyDir = mkdtempSync(join(tmpdir(), 'tsunagu-sec-policy-'));
  chmodSync(policyDir, 0o755);
  writeFileSync(join(policyDir, 'policy.json'), `${JSON.stringify({ AllowUserProfiles: false, AlwaysOn: true })}\n`, { mode: 0o644 });
  // A drop-in the group can write: a member could put anything there, so the helper must not read it.
  mkdirSync(join(policyDir, 'policy.d'), { mode: 0o755 });
  const dropIn = join(policyDir, 'policy.d', 'open.json');
  writeFileSync(dropIn, `${JSON.stringify({ AllowUserProfiles: true, AlwaysOn: false })}\n`, { mode: 0o664 });
  execFileSync('chgrp', [GROUP, dropIn]);
  chmodSync(dropIn, 0o664);
  mkdirSync(join(policyDir, 'profiles'), { mode: 0o700 });
  // The rig needs its lab first to know the profile; the helper reads profiles/ on start and on change.
  rig = await Rig.start('openvpn-udp', { helper: { policyDir } });
  profileText = rig.profile().text;
  writeFileSync(join(policyDir, 'profiles', 'corp.ovpn'), profileText, { mode: 0o600 });
});
afterAll(async () => {
  await rig.close();
  rmSync(policyDir, { recursive: true, force: true });
});

/** The provisioned profiles bob is offered, once the helper has read the new file. */
async function offered(): Promise<Array<Record<string, unknown>>> {
  const bob = await rig.client('bob', null);
  for (const deadline = Date.now() + 10_000; ; ) {
    const r = await bob.request({ type: 'provisioned' });
    const profiles = (r.result as { profiles?: Array<Record<string, unknown>> } | undefined)?.profiles ?? [];
    if (profiles.length > 0 || Date.now() > deadline) return profiles;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('the administrator policy, attacked by a member', () => {
  it('a member sees provisioned summaries only, never their text or keys', async () => {
    const profiles = await offered();
    expect(profiles.map((p) => p['id'])).toEqual(['corp']);
    const reply = JSON.stringify(profiles);
    expect(reply).not.toMatch(/BEGIN|PRIVATE KEY|<ca>|<key>/);
    for (const line of profileText.split('\n').filter((l) => l.length > 40)) expect(reply).not.toContain(line);
  });

  it('a group-writable drop-in does not re-open personal profiles: policy-denied straight through the socket', async () => {
    const bob = await rig.client('bob');
    const outcome = await connect(bob, rig.profile('openvpn-udp', 'personal'));
    expect(outcome.refused ? outcome.code : outcome.state.status).toBe('policy-denied');
  });

  it('a provisioned id is a name, never a path: traversal and unknown ids are refused', async () => {
    const bob = await rig.client('bob');
    const traversal = await bob.request({ type: 'connect', provisioned: '../profiles/corp' });
    expect(traversal.ok).toBe(false);
    expect(traversal.error?.code).toBe('bad-request');
    const unknown = await bob.request({ type: 'connect', provisioned: 'nope' });
    expect(unknown.ok).toBe(false);
  });

  it('under AlwaysOn a member connects the provisioned profile but cannot disconnect it', async () => {
    await offered();
    const bob = await rig.client('bob');
    const r = await bob.request({ type: 'connect', provisioned: 'corp', options: { connectTimeoutSeconds: 20 } }, 60_000);
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const sessionId = (r.result as { sessionId: string }).sessionId;
    const end = await bob.request({ type: 'disconnect', sessionId });
    expect(end.ok).toBe(false);
    expect(end.error?.code).toBe('policy-denied');
    const all = await bob.request({ type: 'disconnect', all: true });
    expect(all.ok).toBe(false);
    // Only the helper's own stop (rig.close) takes it down.
  });
});
