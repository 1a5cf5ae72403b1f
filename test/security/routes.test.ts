/**
 * Findings 2, 3, 6 and 11 (src_valid_mark): routing is global, so one user must never take,
 * switch off or outlive another's tunnel. Alice (a group member) runs the lab's WireGuard full
 * tunnel through the helper; bob (another member) tries every way found to take her traffic.
 * After each attempt alice's session is still connected, her policy rules are exactly as they
 * were, and her pings go through HER interface (its counters grow), also once bob's session ended.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../lab/index.js';
import { processesIn, snapshotNetns } from '../integration/helper-harness.js';
import { connect, disconnect, ipRules, Rig, trafficThrough, type ConnectOutcome, type Profile } from './rig.js';
import type { Conn } from './users.js';

let rig: Rig;
beforeAll(async () => {
  rig = await Rig.start('openvpn-udp', { with: ['wireguard-full'] });
});
afterAll(async () => {
  await rig.close();
});

const netns = () => rig.lab.clientNetns;
const protectedHost = () => rig.lab.protectedHostIp;

/** Text edits of a profile. */
const withLines = (p: Profile, name: string, ...lines: string[]): Profile => ({ ...p, name, text: `${p.text}${lines.join('\n')}\n` });
function wgEdit(p: Profile, name: string, allowedIPs: string, interfaceExtra: string[]): Profile {
  const text = p.text.replace(/^AllowedIPs\s*=.*$/m, `AllowedIPs = ${allowedIPs}`).replace(/^\[Interface\]$/m, ['[Interface]', ...interfaceExtra].join('\n'));
  // PersistentKeepalive changed too, so the text is never alice's own (that is 'already-connected').
  return { ...p, name, text: text.replace(/^PersistentKeepalive\s*=.*$/m, 'PersistentKeepalive = 24') };
}

/** Refused at connect, or ended with `route-conflict` before it ever reported connected. */
function expectRefusedOrConflict(c: Conn, outcome: ConnectOutcome, codes: string[]): void {
  if (outcome.refused) {
    expect(codes).toContain(outcome.code);
    return;
  }
  const states = c.events().filter((e) => e.event === 'state' && e['sessionId'] === outcome.sessionId).map((e) => (e['state'] as { status: string; code?: string }));
  expect(states.map((s) => s.status)).not.toContain('connected');
  expect(outcome.state).toMatchObject({ status: 'error', code: 'route-conflict' });
}

describe("with alice's WireGuard full tunnel up", () => {
  let alice: Conn;
  let bob: Conn;
  let aliceSession: ConnectOutcome;
  let aliceIf = '';
  let rulesWhileUp = '';

  // One tunnel of alice's for every attack: each attack ends by checking it is intact, so the
  // next one starts from a tunnel that survived all before it.
  beforeAll(async () => {
    alice = await rig.client('alice');
    bob = await rig.client('bob');
    aliceSession = await connect(alice, rig.profile('wireguard-full', 'alice-full'));
    if (aliceSession.refused || aliceSession.state.status !== 'connected') throw new Error(`alice's tunnel did not come up: ${JSON.stringify(aliceSession)}`);
    const mine = await alice.request({ type: 'list' });
    const sessions = (mine.result as { sessions: Array<{ id: string; interfaceName: string | null }> }).sessions;
    aliceIf = sessions.find((s) => !aliceSession.refused && s.id === aliceSession.sessionId)?.interfaceName ?? '';
    expect(aliceIf).not.toBe('');
    rulesWhileUp = await ipRules(netns());
    expect(await trafficThrough(netns(), aliceIf, protectedHost())).toBe(true);
  });

  /** Alice's session and routing are untouched. */
  async function aliceIntact(): Promise<void> {
    const states = alice.events().filter((e) => e.event === 'state' && !aliceSession.refused && e['sessionId'] === aliceSession.sessionId).map((e) => (e['state'] as { status: string }).status);
    expect(states.at(-1)).toBe('connected');
    expect(await ipRules(netns())).toBe(rulesWhileUp);
    expect(await trafficThrough(netns(), aliceIf, protectedHost())).toBe(true);
  }

  afterEach(async () => {
    // Whatever an attack left of bob's goes before the next attack.
    await bob.request({ type: 'disconnect', all: true }, 60_000).catch(() => undefined);
  });

  afterAll(async () => {
    await bob.request({ type: 'disconnect', all: true }, 60_000).catch(() => undefined);
    await disconnect(alice, aliceSession).catch(() => undefined);
    alice.close();
    bob.close();
  });

  /**
   * Bob's attempt; alice is checked as soon as it is refused or ended (a conflict found after the
   * push must have been found before openvpn applied the routes), and again once it is gone.
   */
  async function attack(profile: Profile, codes: string[]): Promise<void> {
    const outcome = await connect(bob, profile, { timeoutSeconds: 8 });
    try {
      expectRefusedOrConflict(bob, outcome, codes);
      // What bob is told (the refusal, his session's states) names neither alice's session nor her profile.
      const told = JSON.stringify([outcome, bob.events()]);
      if (!aliceSession.refused) expect(told).not.toContain(aliceSession.sessionId);
      expect(told).not.toContain('alice-full');
      await aliceIntact();
    } finally {
      await disconnect(bob, outcome);
    }
    await aliceIntact();
  }

  it("finding 2: bob's FwMark = alice's table with AllowedIPs 1.0.0.0/0 is refused; her rules and traffic stay", async () => {
    const mark = (await run('ip', ['netns', 'exec', netns(), 'wg', 'show', aliceIf, 'fwmark'])).stdout.trim();
    const table = mark === 'off' || mark === '' ? 51820 : Number(mark);
    await attack(wgEdit(rig.profile('wireguard-full'), 'bob-fwmark', '1.0.0.0/0', [`FwMark = ${table}`]), ['profile-refused', 'route-conflict']);
  });

  it("finding 2: bob's Table = alice's table on a split tunnel is refused", async () => {
    await attack(wgEdit(rig.profile('wireguard-full'), 'bob-table', '198.18.99.0/24', ['Table = 51820']), ['profile-refused', 'route-conflict']);
  });

  it('finding 3: route 0.0.0.0 128.0.0.0 + route 128.0.0.0 128.0.0.0 conflicts', async () => {
    await attack(withLines(rig.profile(), 'bob-halves', 'route 0.0.0.0 128.0.0.0', 'route 128.0.0.0 128.0.0.0'), ['route-conflict']);
  });

  it('finding 3: route-ipv6 ::/0 conflicts', async () => {
    await attack(withLines(rig.profile(), 'bob-v6', 'route-ipv6 ::/0'), ['route-conflict']);
  });

  it('finding 3: a WireGuard /0 written with host bits (1.0.0.0/0) conflicts', async () => {
    await attack(wgEdit(rig.profile('wireguard-full'), 'bob-hostbits', '1.0.0.0/0', []), ['route-conflict']);
  });

  it('finding 3: a server that pushes redirect-gateway ends the new session with route-conflict', async () => {
    // Only the push can conflict: the server no longer pushes its inside route, and the profile routes nothing.
    let original = '';
    await rig.reconfigureServer((conf) => {
      original = conf;
      return conf.replace(/^push "route .*"$/m, 'push "redirect-gateway def1"');
    });
    try {
      await attack(rig.profile('openvpn-udp', 'bob-pushed'), ['route-conflict']);
    } finally {
      await rig.reconfigureServer(() => original);
    }
  });
});

describe('what a session leaves behind', () => {
  let user: Conn;
  beforeEach(async () => {
    user = await rig.client('bob');
  });
  afterEach(async () => {
    await user.request({ type: 'disconnect', all: true }, 60_000).catch(() => undefined);
    user.close();
  });

  /** Connects, disconnects, and returns how long the disconnect took; the namespace must be as before. */
  async function leavesNothing(profile: Profile): Promise<number> {
    const before = await snapshotNetns(netns());
    const outcome = await connect(user, profile);
    if (outcome.refused) throw new Error(`refused: ${outcome.code} ${outcome.message}`);
    expect(outcome.state.status).toBe('connected');
    const started = Date.now();
    await disconnect(user, outcome);
    const took = Date.now() - started;
    expect(processesIn(netns(), ['openvpn', 'wireguard-go'])).toEqual([]);
    expect(await snapshotNetns(netns())).toEqual(before);
    return took;
  }

  it('finding 6: explicit-exit-notify 30 in the profile is clamped; no route outlives the session', async () => {
    // redirect-gateway adds a route via the underlay gateway, which outlives a SIGKILLed openvpn.
    const took = await leavesNothing(withLines(rig.profile(), 'exit-notify', 'redirect-gateway def1', 'explicit-exit-notify 30'));
    console.log(`disconnect with explicit-exit-notify 30 in the profile: ${took} ms`);
    // Clamped, openvpn exits on its own; unclamped it outlives the helper's 3 s grace and is SIGKILLed.
    expect(took).toBeLessThan(3000);
  });

  it('finding 6: explicit-exit-notify 30 pushed by the server is clamped; no route outlives the session', async () => {
    let original = '';
    await rig.reconfigureServer((conf) => {
      original = conf;
      return `${conf}push "explicit-exit-notify 30"\npush "redirect-gateway def1"\n`;
    });
    try {
      const took = await leavesNothing(rig.profile('openvpn-udp', 'pushed-exit-notify'));
      console.log(`disconnect with explicit-exit-notify 30 pushed: ${took} ms`);
      expect(took).toBeLessThan(3000);
    } finally {
      await rig.reconfigureServer(() => original);
    }
  });

  it('finding 11: src_valid_mark is restored after a WireGuard full-tunnel disconnect', async () => {
    const sysctl = async (value?: string) => (await run('ip', ['netns', 'exec', netns(), 'sysctl', '-n', ...(value ? ['-w', `net.ipv4.conf.all.src_valid_mark=${value}`] : ['net.ipv4.conf.all.src_valid_mark'])])).stdout.trim();
    await sysctl('0');
    const outcome = await connect(user, rig.profile('wireguard-full', 'full'));
    if (outcome.refused) throw new Error(`refused: ${outcome.code}`);
    expect(outcome.state.status).toBe('connected');
    await disconnect(user, outcome);
    expect(await sysctl()).toBe('0');
  });
});
