/**
 * Admin policies against the real helper (the bundled CLI, `--policy-dir` a temporary directory
 * of root's files) and the lab's servers: what the helper enforces holds for profiles sent
 * straight to its socket, provisioned profiles connect by id with the helper's own copy, and a
 * policy change applies without a restart.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HelperRequestError } from '../../electron/main/helper-client.js';
import type { HelperEvent } from '../../shared/ipc/helper-protocol.js';
import { serverHosts } from '../../shared/policy/servers-of.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { Agent } from '../unit/helper-agent.js';
import { diffHost, down, pingUntil, snapshotHost, up, type HostSnapshot, type LabInstance, type ScenarioName } from '../lab/index.js';
import { Observer, profileOf, startHelperProcess, type RunningHelperProcess } from './helper-harness.js';

const ROOT = join(import.meta.dirname, '../..');
/** A user who is in the helper's group (root, gid 0, as started here) but is not root. */
const MEMBER = 4101;

let host: HostSnapshot;
beforeAll(() => {
  host = snapshotHost();
});
afterAll(() => {
  expect(diffHost(host, snapshotHost())).toEqual([]);
});

interface Rig {
  lab: LabInstance;
  helper: RunningHelperProcess;
  observer: Observer;
  policyDir: string;
}
let rig: Rig | null = null;

/** The policy directory as IT would leave it: root's, 0755, files 0644 (profiles 0600). */
function policyDirWith(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-policy-it-'));
  chmodSync(dir, 0o755);
  for (const [path, content] of Object.entries(files)) write(dir, path, content);
  return dir;
}

function write(dir: string, path: string, content: unknown): void {
  const full = join(dir, path);
  mkdirSync(join(full, '..'), { recursive: true, mode: 0o755 });
  const text = typeof content === 'string' ? content : JSON.stringify(content);
  // Written beside and renamed, as configuration management does: one change, never half a file.
  writeFileSync(`${full}.tmp`, text, { mode: path.startsWith('profiles/') ? 0o600 : 0o644 });
  renameSync(`${full}.tmp`, full);
}

async function rigFor(scenario: ScenarioName, files: (lab: LabInstance) => Record<string, unknown>): Promise<Rig> {
  const lab = await up(scenario);
  try {
    const policyDir = policyDirWith(files(lab));
    const helper = await startHelperProcess(lab.clientNetns, undefined, ['--policy-dir', policyDir]);
    const observer = await Observer.open(helper.socketPath);
    rig = { lab, helper, observer, policyDir };
    return rig;
  } catch (e) {
    await down(lab.id);
    throw e;
  }
}

afterEach(async () => {
  if (!rig) return;
  const { lab, helper, observer, policyDir } = rig;
  rig = null;
  observer.close();
  await helper.stop();
  await down(lab.id);
  rmSync(policyDir, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<HelperRequestError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  if (!(error instanceof HelperRequestError)) throw new Error(`expected a refusal, got ${JSON.stringify(error)}`);
  return error;
}

/** Changes the policy on disk and waits for the helper to announce it applied it. */
async function changePolicy(r: Rig, path: string, content: unknown): Promise<void> {
  const from = r.observer.events.length;
  write(r.policyDir, path, content);
  await r.observer.waitFor((e): e is Extract<HelperEvent, { event: 'policy-changed' }> => e.event === 'policy-changed', 5000, from);
}

async function waitConnected(r: Rig, sessionId: string): Promise<void> {
  await r.observer.waitFor((e): e is HelperEvent => e.event === 'state' && e.sessionId === sessionId && ['connected', 'error', 'disconnected'].includes(e.state.status), 30_000);
  expect(r.observer.states(sessionId).at(-1)?.status).toBe('connected');
}

describe('helper admin policy', () => {
  it('AllowUserProfiles=false refuses a personal profile and connects a provisioned one; AlwaysOn, set later, refuses a non-root disconnect', async () => {
    const r = await rigFor('openvpn-udp', (lab) => ({ 'policy.json': { AllowUserProfiles: false }, 'profiles/office.ovpn': readFileSync(lab.profile, 'utf8') }));
    const client = r.observer.client;
    const personal = profileOf(r.lab);

    const denied = await refusal(client.request('connect', { profile: personal }));
    expect(denied.error.code).toBe('policy-denied');
    expect(denied.error.message.en).toMatch(/^Managed by your organization/);
    expect(denied.error.message.ja).toMatch(/^組織によって管理されています/);

    // Every group member sees the summary, never the text.
    const member = await Agent.open(r.helper.socketPath, MEMBER);
    try {
      await member.hello();
      const listed = await member.request(0, { id: 2, type: 'provisioned' });
      const hosts = serverHosts(inspectProfile(readFileSync(r.lab.profile, 'utf8'), { fileName: r.lab.profile }).profile ?? (() => { throw new Error('lab profile refused'); })());
      expect(listed).toMatchObject({ ok: true, result: { profiles: [{ id: 'office', kind: 'openvpn', servers: hosts, refused: null }] } });
      expect(JSON.stringify(listed)).not.toContain('BEGIN');

      // The member connects it by id: the helper's own copy.
      await member.request(0, { id: 3, type: 'subscribe' });
      const connected = await member.request(0, { id: 4, type: 'connect', provisioned: 'office', options: { connectTimeoutSeconds: 20 } });
      expect(connected['ok']).toBe(true);
      const sessionId = (connected['result'] as { sessionId: string }).sessionId;
      await waitConnected(r, sessionId);
      expect(await pingUntil(r.lab.clientNetns, r.lab.protectedHostIp, 5000)).toBe(true);

      // Applied without a restart: the same helper process, a new policy file.
      const pid = r.helper.proc.pid;
      await changePolicy(r, 'policy.d/50-always-on.json', { AlwaysOn: true });
      expect(r.helper.proc.pid).toBe(pid);
      const refused = await member.request(0, { id: 5, type: 'disconnect', sessionId });
      expect(refused).toMatchObject({ ok: false, error: { code: 'policy-denied' } });
      expect(await member.request(0, { id: 6, type: 'disconnect', all: true })).toMatchObject({ ok: false, error: { code: 'policy-denied' } });
      expect(r.observer.states(sessionId).at(-1)?.status).toBe('connected');

      // Root may.
      const policy = await client.request('policy', {});
      expect(policy.values.AlwaysOn).toBe(true);
      expect(policy.sources.AlwaysOn).toBe(join(r.policyDir, 'policy.d/50-always-on.json'));
      expect(policy.sources.AllowUserProfiles).toBe(join(r.policyDir, 'policy.json'));
      expect((await client.request('disconnect', { sessionId })).sessionIds).toEqual([sessionId]);
    } finally {
      await member.close();
    }
  });

  it('an IKEv2 provisioned profile: <id>.swanctl.conf (and a swanctl text named .conf) listed as ikev2, connected by id', async () => {
    const r = await rigFor('ikev2-psk', (lab) => {
      const text = readFileSync(lab.profile, 'utf8');
      return { 'profiles/branch.swanctl.conf': text, 'profiles/hq.conf': text };
    });
    const member = await Agent.open(r.helper.socketPath, MEMBER);
    try {
      await member.hello();
      const listed = await member.request(0, { id: 2, type: 'provisioned' });
      expect(listed).toMatchObject({ ok: true, result: { profiles: [{ id: 'branch', kind: 'ikev2', refused: null }, { id: 'hq', kind: 'ikev2', refused: null }] } });
      await member.request(0, { id: 3, type: 'subscribe' });
      const connected = await member.request(0, { id: 4, type: 'connect', provisioned: 'branch', options: { connectTimeoutSeconds: 20 } });
      expect(connected['ok']).toBe(true);
      const sessionId = (connected['result'] as { sessionId: string }).sessionId;
      await waitConnected(r, sessionId);
      expect(await pingUntil(r.lab.clientNetns, r.lab.protectedHostIp, 5000)).toBe(true);
      expect((await r.observer.client.request('disconnect', { sessionId })).sessionIds).toEqual([sessionId]);
    } finally {
      await member.close();
    }
  });

  it('AllowedServers refuses a personal profile whose server is outside it, and the change applies at once', async () => {
    const r = await rigFor('openvpn-udp', () => ({ 'policy.json': { AllowedServers: ['vpn.example.com', '*.corp.example'] } }));
    const personal = profileOf(r.lab);
    const denied = await refusal(r.observer.client.request('connect', { profile: personal }));
    expect(denied.error.code).toBe('policy-denied');
    const hosts = serverHosts(inspectProfile(personal.text, { kind: personal.kind }).profile ?? (() => { throw new Error('refused'); })());
    for (const h of hosts) expect(denied.error.message.en).toContain(h);

    await changePolicy(r, 'policy.json', { AllowedServers: hosts.map((h) => `${h}/32`) });
    const { sessionId } = await r.observer.client.request('connect', { profile: personal, options: { connectTimeoutSeconds: 20 } });
    await waitConnected(r, sessionId);
    await r.observer.client.request('disconnect', { sessionId });

    // `tsunagu policy` prints the same, with the file it came from.
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'out/cli/tsunagu.mjs'), '--socket', r.helper.socketPath, 'policy'], { cwd: ROOT });
    expect(stdout).toMatch(new RegExp(`^AllowedServers +\\[${JSON.stringify(`${hosts[0]}/32`).replace(/[.[\]/]/g, '\\$&')}.*\\(${join(r.policyDir, 'policy.json').replace(/[.]/g, '\\.')}\\)$`, 'm'));
    expect(stdout).toMatch(/^AllowScripts +false +\(default\)$/m);
  });

  it('AllowScripts=false (the default) refuses a WireGuard PostUp; set to true, the PostUp runs', async () => {
    const mark = mkdtempSync(join(tmpdir(), 'tsunagu-postup-'));
    const touched = join(mark, 'ran');
    try {
      const r = await rigFor('wireguard-split', () => ({}));
      const base = profileOf(r.lab);
      const withPostUp = { ...base, text: base.text.replace('[Interface]\n', `[Interface]\nPostUp = touch ${touched}\n`) };
      expect(withPostUp.text).toContain('PostUp');

      const refused = await refusal(r.observer.client.request('connect', { profile: withPostUp }));
      expect(refused.error.code).toBe('profile-refused');
      expect(refused.error.message.en).toContain("'PostUp'");
      expect(existsSync(touched)).toBe(false);

      await changePolicy(r, 'policy.json', { AllowScripts: true });
      const { sessionId } = await r.observer.client.request('connect', { profile: withPostUp, options: { connectTimeoutSeconds: 20 } });
      await waitConnected(r, sessionId);
      expect(existsSync(touched)).toBe(true);
      await r.observer.client.request('disconnect', { sessionId });
    } finally {
      rmSync(mark, { recursive: true, force: true });
    }
  });
});
