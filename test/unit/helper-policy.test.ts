/**
 * The helper's policy handling in this process (startHelper with its own --policy-dir, no tunnel
 * started): LogLevel sets what reaches the journal, AllowedKinds refuses before anything runs, a
 * provisioned profile's verdict follows AllowScripts as the policy changes, every group member
 * gets summaries and the policy but never a provisioned profile's text, and malformed or unknown
 * provisioned requests are refused. Root only (the helper and the files' owner are root).
 */
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Driver, DriverContext } from '../../electron/helper/drivers/driver.js';
import { HelperFailure } from '../../electron/helper/failure.js';
import { HelperLog } from '../../electron/helper/log.js';
import { startHelper, type RunningHelper } from '../../electron/helper/main.js';
import { SessionManager } from '../../electron/helper/sessions.js';
import { defaultPolicyValues } from '../../shared/policy/table.js';
import { HELPER_PROTOCOL_VERSION } from '../../shared/ipc/helper-protocol.js';
import { Agent } from './helper-agent.js';

const isRoot = process.getuid?.() === 0;
const work = mkdtempSync(join(tmpdir(), 'tsunagu-helper-policy-'));
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;

const KEY = 'qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=';
const WG = `[Interface]\nPrivateKey = ${KEY}\nAddress = 10.7.0.2/32\n\n[Peer]\nPublicKey = m58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=\nAllowedIPs = 10.7.0.0/24\nEndpoint = 198.18.1.1:51820\n`;

function write(dir: string, path: string, text: string, mode = 0o644): void {
  const full = join(dir, path);
  mkdirSync(join(full, '..'), { recursive: true, mode: 0o755 });
  writeFileSync(`${full}.tmp`, text, { mode });
  renameSync(`${full}.tmp`, full);
}

async function helperWith(files: Record<string, string>): Promise<{ helper: RunningHelper; socketPath: string; policyDir: string; mirrored: string[] }> {
  const base = join(work, `h${dirs++}`);
  const policyDir = join(base, 'etc');
  mkdirSync(policyDir, { recursive: true, mode: 0o755 });
  chmodSync(base, 0o755);
  for (const [path, text] of Object.entries(files)) write(policyDir, path, text, path.startsWith('profiles/') ? 0o600 : 0o644);
  const mirrored: string[] = [];
  const socketPath = join(base, 'helper.sock');
  const helper = await startHelper({ socketPath, group: 'root', runDir: join(base, 'run'), netns: null, standby: false, policyDir, mirror: (t) => mirrored.push(t) });
  return { helper, socketPath, policyDir, mirrored };
}

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!isRoot)('helper policy', () => {
  it('LogLevel sets the journal threshold: warn keeps the start-up info line out, and the change applies live', async () => {
    const { helper, policyDir, mirrored } = await helperWith({ 'policy.json': JSON.stringify({ LogLevel: 'warn' }) });
    try {
      expect(mirrored.some((l) => l.includes('listening on'))).toBe(false);
      write(policyDir, 'policy.json', JSON.stringify({ LogLevel: 'info', AllowedServers: ['bad pattern!'] }));
      // The change itself is logged at info, now that info is let through; the bad value at warn.
      await until(() => mirrored.find((l) => / info policy: LogLevel = "info"/.test(l)), 'the LogLevel change');
      expect(mirrored.some((l) => / warn policy: .*policy\.json: AllowedServers: .*using the default \["\*"\]/.test(l))).toBe(true);
    } finally {
      await helper.stop();
    }
  });

  it('serves group members summaries and the policy, never a provisioned text; refuses what the policy forbids', async () => {
    const { helper, socketPath, policyDir } = await helperWith({
      'policy.json': JSON.stringify({ AllowedKinds: ['openvpn'] }),
      'profiles/office.conf': WG.replace('[Interface]\n', '[Interface]\nPostUp = true\n'),
    });
    const member = await Agent.open(socketPath, 4102);
    try {
      await member.request(0, { id: 1, type: 'hello', version: HELPER_PROTOCOL_VERSION, client: 'member' });
      const listed = await member.request(0, { id: 2, type: 'provisioned' });
      expect(listed).toMatchObject({ ok: true, result: { profiles: [{ id: 'office', kind: 'wireguard' }] } });
      const [office] = (listed['result'] as { profiles: Array<{ refused: { en: string } | null }> }).profiles;
      expect(office?.refused?.en).toContain("'PostUp'");
      expect(JSON.stringify(listed)).not.toContain(KEY);

      const policy = await member.request(0, { id: 3, type: 'policy' });
      expect(policy).toMatchObject({ ok: true, result: { values: { AllowedKinds: ['openvpn'], AllowScripts: false }, sources: { AllowedKinds: join(policyDir, 'policy.json'), AllowScripts: 'default' } } });

      // A personal WireGuard profile is not an allowed kind: refused before it is even inspected.
      expect(await member.request(0, { id: 4, type: 'connect', profile: { kind: 'wireguard', text: WG, name: 'mine' } })).toMatchObject({ ok: false, error: { code: 'policy-denied', message: { en: expect.stringMatching(/^Managed by your organization/), ja: expect.stringMatching(/^組織によって管理されています/) } } });
      // The provisioned one is IT's (AllowedKinds is for personal profiles) but has a PostUp.
      expect(await member.request(0, { id: 5, type: 'connect', provisioned: 'office' })).toMatchObject({ ok: false, error: { code: 'profile-refused' } });
      expect(await member.request(0, { id: 6, type: 'connect', provisioned: 'nobody' })).toMatchObject({ ok: false, error: { code: 'no-such-profile' } });
      expect(await member.request(0, { id: 7, type: 'connect', provisioned: 'office', profile: { kind: 'wireguard', text: WG, name: 'x' } })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      expect(await member.request(0, { id: 8, type: 'connect', provisioned: '../etc/passwd' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });

      // AllowScripts on: the same file's verdict changes, with no restart.
      write(policyDir, 'policy.d/10-scripts.json', JSON.stringify({ AllowScripts: true }));
      await until(() => helper.provisioned.summaries()[0]?.refused === null, 'the provisioned verdict to follow AllowScripts');
      expect(await member.request(0, { id: 9, type: 'provisioned' })).toMatchObject({ ok: true, result: { profiles: [{ id: 'office', servers: ['198.18.1.1'], refused: null }] } });
    } finally {
      await member.close();
      await helper.stop();
    }
  });
});

describe.skipIf(!isRoot)('AlwaysOn in the session manager', () => {
  it('refuses a non-root disconnect and a non-root cancel of a sign-in prompt (which would end the tunnel); root may', async () => {
    const asking = (ctx: DriverContext): Driver => ({
      start: async () => {
        setTimeout(() => ctx.events.credentialsRequired({ kind: 'userpass', retry: false }), 5);
      },
      provideCredentials: () => true,
      stop: async (reason) => ctx.events.state({ status: 'disconnected', reason }),
      interfaceName: () => null,
    });
    const runDir = join(work, `m${dirs++}`);
    mkdirSync(join(runDir, 'sessions'), { recursive: true, mode: 0o700 });
    const policy = { ...defaultPolicyValues(), AlwaysOn: true };
    const sessions = new SessionManager({ runDir, log: new HelperLog(100), drivers: { openvpn: asking, wireguard: asking }, policy: () => policy });
    try {
      const { sessionId } = await sessions.connect({ kind: 'wireguard', text: WG, name: 'office' }, {}, 4103);
      const refusal = (f: () => unknown) => {
        try {
          f();
        } catch (e) {
          return e instanceof HelperFailure ? e.code : String(e);
        }
        return 'accepted';
      };
      expect(refusal(() => sessions.provideCredentials(sessionId, { kind: 'cancel' }, 4103))).toBe('policy-denied');
      expect(refusal(() => sessions.provideCredentials(sessionId, { kind: 'userpass', username: 'u', password: 'p' }, 4103))).toBe('accepted');
      await expect(sessions.disconnect({ sessionId }, 4103)).rejects.toMatchObject({ code: 'policy-denied' });
      await expect(sessions.disconnect({ all: true }, 4103)).rejects.toMatchObject({ code: 'policy-denied' });
      expect(sessions.list(4103).map((s) => s.id)).toEqual([sessionId]);
      expect(await sessions.disconnect({ sessionId }, 0)).toEqual({ sessionIds: [sessionId] });
    } finally {
      await sessions.shutdown();
    }
  });
});
