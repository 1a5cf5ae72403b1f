// The IKEv2 driver against real strongSwan responders in the test lab's namespaces (charon 5.9 with
// kernel-libipsec on both sides). Needs root.
import { execFileSync, spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Driver, DriverContext } from '../../electron/helper/drivers/driver.js';
import { charonPaths, routingTableFor, RULE_PRIORITY } from '../../electron/helper/drivers/ikev2/charon.js';
import { createIkev2Driver, ikev2Driver, prelaunchCharon } from '../../electron/helper/drivers/ikev2/index.js';
import { Ikev2ResidueSchema } from '../../electron/helper/drivers/ikev2/residue.js';
import { MESSAGES } from '../../electron/helper/drivers/ikev2/failures.js';
import { isAlive, waitForExit } from '../../electron/helper/exec.js';
import { HelperLog } from '../../electron/helper/log.js';
import type { CredentialRequest, Credentials, TunnelState } from '../../shared/ipc/helper-protocol.js';
import type { Ikev2Profile } from '../../shared/profiles/ikev2/model.js';
import { readSwanctl } from '../../shared/profiles/ikev2/swanctl.js';
import { writeIkev2 } from '../../shared/profiles/ikev2/writer.js';
import { ADDR, down, fault, ikeResidue, IkeClient, ping, pingUntil, REFUSED_PROPOSALS, up, type LabInstance, type ScenarioName } from '../lab/index.js';
import { assignPoolDns } from '../lab/ikev2.js';

const isRoot = process.getuid?.() === 0;

type IkeScenario = Extract<ScenarioName, 'ikev2-psk' | 'ikev2-eap' | 'ikev2-cert' | 'ikev1-xauth'>;

/** The DNS server the lab's pool assigns once assignPoolDns has run. */
const ASSIGNED_DNS = ADDR.dnsServer;

const labs = new Map<IkeScenario, LabInstance>();

async function lab(scenario: IkeScenario): Promise<LabInstance> {
  let inst = labs.get(scenario);
  if (!inst) {
    inst = await up(scenario);
    labs.set(scenario, inst);
    // The server's pool also assigns a DNS server (the lab's pools assign addresses only).
    await assignPoolDns(inst, [ASSIGNED_DNS]);
  }
  return inst;
}

/** The model of the scenario's client profile (client.swanctl.conf and its companions), as the product imports it. */
function labModel(inst: LabInstance, change: Partial<Omit<Ikev2Profile, 'secrets'>> & { secrets?: Partial<Ikev2Profile['secrets']> } = {}): Ikev2Profile {
  const dir = dirname(inst.profile);
  const files = {
    description: { en: dir, ja: dir },
    read: (name: string) => (/^[A-Za-z0-9._-]+$/.test(name) && existsSync(join(dir, name)) ? new Uint8Array(readFileSync(join(dir, name))) : null),
  };
  const read = readSwanctl(readFileSync(inst.profile, 'utf8'), { files });
  if (!read.ok) throw new Error(`the lab profile does not import: ${JSON.stringify(read.errors)}`);
  const base = read.profile;
  const { secrets, ...rest } = change;
  return { ...base, ...rest, secrets: { ...base.secrets, ...secrets } };
}

interface Harness {
  driver: Driver;
  states: { at: number; state: TunnelState }[];
  logs: string[];
  requests: CredentialRequest[];
  routeReports: { prefixes: string[]; statesBefore: number }[];
  counters: { in: number; out: number };
  workDir: string;
  t0: number;
  waitState(pred: (s: TunnelState) => boolean, timeoutMs: number): Promise<{ at: number; state: TunnelState }>;
}

const harnesses: Harness[] = [];
const runDirs: string[] = [];

interface StartOptions {
  profile: Ikev2Profile;
  connectTimeoutMs?: number;
  answers?: Credentials[];
  initialCredentials?: Credentials;
  prelaunch?: boolean;
  sessionId?: string;
}

async function startDriver(inst: LabInstance, opts: StartOptions): Promise<Harness> {
  const runDir = mkdtempSync(join(tmpdir(), 'tsu-ike-'));
  runDirs.push(runDir);
  const sessionId = opts.sessionId ?? `ike${Math.random().toString(16).slice(2, 12)}`;
  const workDir = join(runDir, 'sessions', sessionId);
  execFileSync('mkdir', ['-p', '-m', '0700', workDir]);
  const answers = [...(opts.answers ?? [])];
  const waiters: (() => void)[] = [];
  const states: Harness['states'] = [];
  const t0 = performance.now();
  const partial = {
    states,
    logs: [] as string[],
    requests: [] as CredentialRequest[],
    routeReports: [] as Harness['routeReports'],
    counters: { in: 0, out: 0 },
    workDir,
    t0,
    waitState(pred: (s: TunnelState) => boolean, timeoutMs: number) {
      return new Promise<{ at: number; state: TunnelState }>((resolve, reject) => {
        const check = () => {
          const hit = states.find((s) => pred(s.state));
          if (!hit) return;
          done();
          resolve(hit);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out; states: ${JSON.stringify(states.map((s) => s.state))}\n${partial.logs.slice(-25).join('\n')}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          const i = waiters.indexOf(check);
          if (i >= 0) waiters.splice(i, 1);
        };
        waiters.push(check);
        check();
      });
    },
  };
  let driver: Driver | null = null;
  const prelaunched = opts.prelaunch === false ? null : prelaunchCharon({ workDir, netns: inst.clientNetns });
  const context: DriverContext<'ikev2'> = {
    sessionId,
    workDir,
    inspection: inspectionOf(opts.profile),
    connectTimeoutMs: opts.connectTimeoutMs ?? 20_000,
    netns: inst.clientNetns,
    guardRoutes: false,
    ...(opts.initialCredentials ? { initialCredentials: opts.initialCredentials } : {}),
    ...(prelaunched ? { prelaunched } : {}),
    events: {
      state: (state) => {
        states.push({ at: Math.round(performance.now() - t0), state });
        for (const w of [...waiters]) w();
      },
      counters: (i, o) => {
        partial.counters = { in: i, out: o };
      },
      credentialsRequired: (request) => {
        partial.requests.push(request);
        const a = answers.shift();
        if (a) setTimeout(() => driver?.provideCredentials(a), 10);
      },
      log: (level, text) => {
        partial.logs.push(`${level}: ${text}`);
      },
      routesKnown: (prefixes) => {
        partial.routeReports.push({ prefixes, statesBefore: states.length });
        return true;
      },
    },
  };
  driver = createIkev2Driver(context);
  const h: Harness = Object.assign(partial, { driver });
  harnesses.push(h);
  await driver.start();
  return h;
}

/** The helper's inspection of a profile, as the session manager hands it to the driver. */
function inspectionOf(profile: Ikev2Profile): DriverContext<'ikev2'>['inspection'] {
  return { ok: true, kind: 'ikev2', profile, canonical: writeIkev2(profile), name: 'lab', layer: 'L3', advisories: [], errors: [], inlinedFiles: [] };
}

function resolvConf(ns: string): string {
  return readFileSync(`/etc/netns/${ns}/resolv.conf`, 'utf8');
}

function ipsecLinks(ns: string): string[] {
  return execFileSync('ip', ['-n', ns, '-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\d+:\s+(ipsec\d+)/.exec(l)?.[1] ?? '')
    .filter(Boolean);
}

/** What crash cleanup does with a record read from session directory `dir` (registry.ts planFor). */
async function cleanUp(dir: string, raw: unknown): Promise<void> {
  const parsed = ikev2Driver.residueSchema.safeParse(raw);
  if (!parsed.success) throw new Error(parsed.error.message);
  expect(parsed.data.sessionId).toBe(basename(dir));
  const verified = ikev2Driver.verifyResidue ? ikev2Driver.verifyResidue(parsed.data, dir) : { residue: parsed.data };
  if ('problem' in verified) throw new Error(verified.problem);
  await ikev2Driver.cleanup(verified.residue, new HelperLog(), dir);
}

const isConnected = (s: TunnelState) => s.status === 'connected';
const isError = (s: TunnelState) => s.status === 'error';

/** Waits for the session's error (within the acceptance's 10 s), checks its code and prints when it came. */
async function expectError(h: Harness, code: string, what: string): Promise<number> {
  const e = await h.waitState(isError, 10_000);
  expect(e.state, h.logs.slice(-30).join('\n')).toMatchObject({ status: 'error', code });
  console.log(`${what}: ${code} after ${e.at} ms`);
  return e.at;
}

afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.driver.stop('test over').catch(() => undefined);
  // The session manager removes a session's directory once it is over; here the test does.
  for (const dir of runDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  for (const inst of labs.values()) await down(inst.id);
  labs.clear();
});

/** Connect, ping, counters grow, DNS applied, stop, nothing left. Returns the connect time. */
async function fullCycle(scenario: IkeScenario, opts: Partial<StartOptions> = {}): Promise<number> {
  const inst = await lab(scenario);
  const dnsBefore = resolvConf(inst.clientNetns);
  expect(await ikeResidue(inst.clientNetns)).toEqual([]);
  const h = await startDriver(inst, { profile: labModel(inst), ...opts });
  const connected = await h.waitState(isConnected, 15_000);
  expect(h.logs.some((l) => /charon pid \d+ .*\(launched ahead\)/.test(l))).toBe(opts.prelaunch !== false);
  console.log(`${scenario} steps: ${h.logs.filter((l) => /: \+\d+ ms: /.test(l)).map((l) => l.replace(/^.*: \+/, '+')).join(', ')}`);
  expect(connected.state).toMatchObject({ status: 'connected', remote: `${ADDR.serverUnderlay}:4500` });
  if (connected.state.status === 'connected') expect(connected.state.localIp).toMatch(/^198\.18\.10\.\d+$/);
  // routesKnown came before connected, with the profile's selectors.
  expect(h.routeReports[0]).toMatchObject({ prefixes: [`${ADDR.insideNet}/${ADDR.insidePrefix}`], statesBefore: 0 });
  const iface = h.driver.interfaceName();
  expect(iface).toMatch(/^ipsec\d+$/);
  expect(ipsecLinks(inst.clientNetns)).toContain(iface);
  // The server's DNS, applied by the helper's own code for this interface.
  expect(resolvConf(inst.clientNetns)).toContain(`nameserver ${ASSIGNED_DNS}`);
  const pinged = await pingUntil(inst.clientNetns, inst.protectedHostIp, 5_000);
  if (!pinged) {
    const ip = (...a: string[]) => execFileSync('ip', ['-n', inst.clientNetns, ...a], { encoding: 'utf8' });
    console.log(`no ping:\n${ip('rule')}\n${ip('route', 'show', 'table', 'all')}\n${ip('-o', 'addr')}\n${h.logs.filter((l) => /KNL|rule|DMN|charon pid/.test(l)).join('\n')}\n${h.logs.slice(-12).join('\n')}`);
  }
  expect(pinged).toBe(true);
  await h.driver.refreshCounters?.();
  const before = { ...h.counters };
  expect(await ping(inst.clientNetns, inst.protectedHostIp, { count: 3, waitS: 2 })).toBe(true);
  await h.driver.refreshCounters?.();
  expect(h.counters.in).toBeGreaterThan(before.in);
  expect(h.counters.out).toBeGreaterThan(before.out);
  // The residue record names the running charon while up.
  const residue = Ikev2ResidueSchema.parse(JSON.parse(readFileSync(join(h.workDir, 'residue.json'), 'utf8')));
  expect(residue.pids).toHaveLength(1);
  expect(residue.interfaceName).toBe(iface);
  const pid = residue.pids[0] ?? 0;
  await h.driver.stop('user');
  expect(h.states.at(-2)?.state).toEqual({ status: 'disconnecting' });
  expect(h.states.at(-1)?.state).toEqual({ status: 'disconnected', reason: 'user' });
  expect(isAlive(pid)).toBe(false);
  expect(await ikeResidue(inst.clientNetns)).toEqual([]);
  expect(resolvConf(inst.clientNetns)).toBe(dnsBefore);
  expect(existsSync(join(h.workDir, 'residue.json'))).toBe(false);
  return connected.at;
}

/** Raw `swanctl --initiate` on the same scenario (the lab's plain charon), for the timing comparison. */
async function rawInitiateMs(scenario: IkeScenario): Promise<number> {
  const inst = await lab(scenario);
  const client = await IkeClient.start(inst);
  try {
    const r = await client.initiate();
    expect(r.code).toBe(0);
    await client.terminate();
    return r.ms;
  } finally {
    await client.stop();
  }
}

describe.skipIf(!isRoot)('IKEv2 driver against strongSwan responders', () => {
  for (const scenario of ['ikev2-psk', 'ikev2-eap', 'ikev2-cert', 'ikev1-xauth'] as const) {
    it(`${scenario}: connects, pings, counts, applies DNS, and leaves nothing`, async () => {
      const ms = await fullCycle(scenario);
      const raw = await rawInitiateMs(scenario);
      const again = await fullCycle(scenario);
      console.log(`${scenario}: driver start → connected ${ms} ms, ${again} ms; raw swanctl --initiate ${raw} ms (charon already running)`);
    });
  }

  it('without a prelaunched charon the driver starts its own', async () => {
    await fullCycle('ikev2-psk', { prelaunch: false });
  });

  it('wrong PSK → ikev2-auth-failed within 10 s, and nothing left', async () => {
    const inst = await lab('ikev2-psk');
    const h = await startDriver(inst, { profile: labModel(inst, { secrets: { psk: `${inst.credentials.psk ?? ''}x` } }) });
    await expectError(h, 'ikev2-auth-failed', 'wrong PSK');
    await h.driver.stop('test');
    expect(await ikeResidue(inst.clientNetns)).toEqual([]);
  });

  it('proposal mismatch → ikev2-proposal-mismatch within 10 s (IKE and ESP)', async () => {
    const inst = await lab('ikev2-psk');
    const ike = await startDriver(inst, { profile: labModel(inst, { proposals: [REFUSED_PROPOSALS.ike] }) });
    await expectError(ike, 'ikev2-proposal-mismatch', 'IKE proposal mismatch');
    await ike.driver.stop('test');
    const base = labModel(inst);
    const esp = await startDriver(inst, { profile: { ...base, children: base.children.map((c) => ({ ...c, espProposals: [REFUSED_PROPOSALS.esp] })) } });
    await expectError(esp, 'ikev2-proposal-mismatch', 'ESP proposal mismatch');
    await esp.driver.stop('test');
    expect(await ikeResidue(inst.clientNetns)).toEqual([]);
  });

  // A second child that succeeds cannot be shown on the lab: the server's kernel-libipsec fails
  // to install the same route to the client's virtual IP for a second CHILD_SA.
  it('every child of the profile is initiated once the first is up: one the server refuses ends the session with its reason', async () => {
    const inst = await lab('ikev2-psk');
    const base = labModel(inst);
    const first = base.children[0];
    if (!first) throw new Error('the lab profile has no child');
    const refused = { ...first, name: 'other', remoteTs: ['203.0.113.0/24'] };
    const h = await startDriver(inst, { profile: { ...base, children: [first, refused] } });
    await expectError(h, 'ikev2-ts-mismatch', 'second child refused');
    const order = h.logs.flatMap((l) => /^debug: ikev2: \[IKE\] (CHILD_SA lab\{\d+\} established|establishing CHILD_SA other)/.exec(l)?.[1] ?? []);
    expect(order.map((l) => l.replace(/\{\d+\}/, ''))).toEqual(['CHILD_SA lab established', 'establishing CHILD_SA other']);
    expect(h.states.some((s) => s.state.status === 'connected')).toBe(false);
    await h.driver.stop('test');
    expect(await ikeResidue(inst.clientNetns)).toEqual([]);
  });

  it('a profile without remote_ts claims the server’s address before anything is sent (charon proposes it), not a full tunnel', async () => {
    const inst = await lab('ikev2-psk');
    const base = labModel(inst);
    expect(base.vips).toEqual(['0.0.0.0']);
    const h = await startDriver(inst, { profile: { ...base, children: base.children.map((c) => ({ ...c, remoteTs: [] })) } });
    // The lab server protects only the inside network: it refuses TSr = its own address.
    await expectError(h, 'ikev2-ts-mismatch', 'remote_ts dynamic');
    expect(h.routeReports).toEqual([{ prefixes: [`${ADDR.serverUnderlay}/32`], statesBefore: 0 }]);
    await h.driver.stop('test');
    expect(await ikeResidue(inst.clientNetns)).toEqual([]);
  });

  it('a name that does not resolve → ikev2-name-unresolvable', async () => {
    const inst = await lab('ikev2-psk');
    const h = await startDriver(inst, { profile: labModel(inst, { remoteAddrs: ['vpn.nonexistent.invalid'] }) });
    await expectError(h, 'ikev2-name-unresolvable', 'unresolvable name');
  });

  it('wrong EAP password stored in the profile → ikev2-eap-failed within 10 s', async () => {
    const inst = await lab('ikev2-eap');
    const h = await startDriver(inst, { profile: labModel(inst, { secrets: { eapPassword: inst.credentials.bad?.password ?? 'x' } }) });
    await expectError(h, 'ikev2-eap-failed', 'wrong EAP password');
    await h.driver.stop('test');
    expect(await ikeResidue(inst.clientNetns)).toEqual([]);
  });

  it('EAP password asked when the profile has none; a wrong one is asked again in place', async () => {
    const inst = await lab('ikev2-eap');
    const { good, bad } = inst.credentials;
    if (!good || !bad) throw new Error('credentials missing');
    const h = await startDriver(inst, {
      profile: labModel(inst, { secrets: { eapPassword: null } }),
      answers: [
        { kind: 'userpass', username: bad.username, password: bad.password },
        { kind: 'userpass', username: good.username, password: good.password },
      ],
    });
    await h.waitState(isConnected, 15_000);
    expect(h.requests).toEqual([
      { kind: 'userpass', username: good.username, retry: false },
      { kind: 'userpass', username: good.username, retry: true, reason: MESSAGES['ikev2-eap-failed'] },
    ]);
    expect(h.states.some((s) => s.state.status === 'authenticating')).toBe(true);
    expect(h.states.some((s) => isError(s.state))).toBe(false);
    expect(await pingUntil(inst.clientNetns, inst.protectedHostIp, 5_000)).toBe(true);
  });

  it('XAuth password asked when the profile has none', async () => {
    const inst = await lab('ikev1-xauth');
    const { good } = inst.credentials;
    if (!good) throw new Error('credentials missing');
    const h = await startDriver(inst, {
      profile: labModel(inst, { secrets: { xauthPassword: null } }),
      answers: [{ kind: 'userpass', username: good.username, password: good.password }],
    });
    await h.waitState(isConnected, 15_000);
    expect(h.requests).toEqual([{ kind: 'userpass', username: good.username, retry: false }]);
    expect(await pingUntil(inst.clientNetns, inst.protectedHostIp, 5_000)).toBe(true);
  });

  it('a passphrase-protected key: the passphrase asked (again when wrong), the key decrypted in memory only', async () => {
    const inst = await lab('ikev2-cert');
    const base = labModel(inst);
    const plain = base.files.privateKey;
    if (plain === null) throw new Error('the lab profile has no key');
    const passphrase = 'lab key passphrase';
    const encrypted = createPrivateKey(plain).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }).toString();
    const h = await startDriver(inst, {
      profile: { ...base, files: { ...base.files, privateKey: encrypted } },
      answers: [{ kind: 'passphrase', passphrase: `${passphrase}x` }, { kind: 'passphrase', passphrase }],
    });
    await h.waitState(isConnected, 15_000);
    expect(h.requests).toEqual([{ kind: 'passphrase', retry: false }, { kind: 'passphrase', retry: true }]);
    expect(await pingUntil(inst.clientNetns, inst.protectedHostIp, 5_000)).toBe(true);
    // Nothing under the session directory holds a private key (charon got it over VICI).
    const files = execFileSync('find', [h.workDir, '-type', 'f'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/PRIVATE KEY/);
    await h.driver.stop('user');
    expect(await ikeResidue(inst.clientNetns)).toEqual([]);
  });

  it('cancelling the password prompt disconnects and leaves nothing', async () => {
    const inst = await lab('ikev2-eap');
    const h = await startDriver(inst, { profile: labModel(inst, { secrets: { eapPassword: null } }), answers: [{ kind: 'cancel' }] });
    const end = await h.waitState((s) => s.status === 'disconnected', 10_000);
    expect(end.state).toEqual({ status: 'disconnected', reason: 'credentials-cancelled' });
    expect(await ikeResidue(inst.clientNetns)).toEqual([]);
  });

  it('wrong XAuth password → ikev2-xauth-failed within 10 s', async () => {
    const inst = await lab('ikev1-xauth');
    const h = await startDriver(inst, { profile: labModel(inst, { secrets: { xauthPassword: inst.credentials.bad?.password ?? 'x' } }) });
    await expectError(h, 'ikev2-xauth-failed', 'wrong XAuth password');
    await h.driver.stop('test');
    expect(await ikeResidue(inst.clientNetns)).toEqual([]);
  });

  it('IKEv1 wrong PSK → ikev2-auth-failed at the first undecryptable answer, not after the retransmits', async () => {
    const inst = await lab('ikev1-xauth');
    const h = await startDriver(inst, { profile: labModel(inst, { secrets: { psk: `${inst.credentials.psk ?? ''}x` } }) });
    expect(await expectError(h, 'ikev2-auth-failed', 'IKEv1 wrong PSK')).toBeLessThan(3_000);
    await h.driver.stop('test');
    expect(await ikeResidue(inst.clientNetns)).toEqual([]);
  });

  it('the server going away after connect: reconnecting with its reason (initiating again, unanswered); a stop then leaves nothing', async () => {
    const inst = await lab('ikev2-psk');
    const dnsBefore = resolvConf(inst.clientNetns);
    const h = await startDriver(inst, { profile: labModel(inst) });
    await h.waitState(isConnected, 15_000);
    // A graceful server stop: charon deletes the SAs at the client.
    await fault(inst.id, 'stop');
    try {
      await h.waitState((s) => s.status === 'reconnecting' && s.reason === 'connection-lost' && s.message?.en === 'The server ended the connection', 10_000);
      expect(h.states.some((s) => isError(s.state))).toBe(false);
      // Stopped while an initiate to the stopped server is in flight.
      await h.driver.stop('test');
      expect(await ikeResidue(inst.clientNetns)).toEqual([]);
      expect(resolvConf(inst.clientNetns)).toBe(dnsBefore);
    } finally {
      await fault(inst.id, 'start');
    }
  });

  it('a helper that dies takes its charon with it (parent-death signal); cleanup removes the rest', async () => {
    const inst = await lab('ikev2-psk');
    const runDir = mkdtempSync(join(tmpdir(), 'tsu-ike-pdeath-'));
    const workDir = join(runDir, 'sessions', 'pdeath0001');
    execFileSync('mkdir', ['-p', '-m', '0700', workDir]);
    const script = join(runDir, 'helper.mts');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';
import { CharonProcess } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'electron/helper/drivers/ikev2/charon.js'))};
const p = CharonProcess.launch({ workDir: ${JSON.stringify(workDir)}, netns: ${JSON.stringify(inst.clientNetns)}, sessionId: 'pdeath0001' });
if (typeof p === 'string') throw new Error(p);
writeFileSync(${JSON.stringify(join(workDir, 'residue.json'))}, JSON.stringify(p.residue('pdeath0001')));
const t = setInterval(() => { if (p.socketReady) { clearInterval(t); console.log(String(p.pid)); } }, 10);
setInterval(() => {}, 1000);
`,
    );
    const helper = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no charon')), 10_000);
      helper.stdout.setEncoding('utf8').once('data', (d: string) => {
        clearTimeout(timer);
        resolve(Number(d.trim()));
      });
    });
    expect(isAlive(pid)).toBe(true);
    helper.kill('SIGKILL');
    expect(await waitForExit(pid, 5_000)).toBe(true);
    // A charon that got the signal while still starting leaves its policy rule: the next helper's
    // cleanup removes it from the record (as it would a charon that survived).
    await cleanUp(workDir, JSON.parse(readFileSync(join(workDir, 'residue.json'), 'utf8')));
    expect(await ikeResidue(inst.clientNetns)).toEqual([]);
    rmSync(runDir, { recursive: true, force: true });
  });

  it('crash cleanup stops a charon left behind and removes what it left, from the residue record alone', async () => {
    const inst = await lab('ikev2-psk');
    const dnsBefore = resolvConf(inst.clientNetns);
    const h = await startDriver(inst, { profile: labModel(inst) });
    await h.waitState(isConnected, 15_000);
    const record = JSON.parse(readFileSync(join(h.workDir, 'residue.json'), 'utf8')) as unknown;
    const residue = Ikev2ResidueSchema.parse(record);
    const pid = residue.pids[0] ?? 0;
    expect(isAlive(pid)).toBe(true);
    expect(residue.dnsRecords).toHaveLength(1);
    // The helper is gone: its driver object is forgotten, its charon and DNS stay.
    harnesses.splice(harnesses.indexOf(h), 1);
    const runDir = dirname(dirname(h.workDir));
    await cleanUp(h.workDir, record);
    expect(await waitForExit(pid, 1_000)).toBe(true);
    expect(await ikeResidue(inst.clientNetns)).toEqual([]);
    expect(resolvConf(inst.clientNetns)).toBe(dnsBefore);
    expect(execFileSync('ip', ['-n', inst.clientNetns, 'rule', 'show'], { encoding: 'utf8' })).not.toContain(`lookup ${routingTableFor(residue.sessionId)}`);
    rmSync(runDir, { recursive: true, force: true });
  });

  it("crash cleanup never stops a process that is not the session's charon", async () => {
    const inst = await lab('ikev2-psk');
    const h = await startDriver(inst, { profile: labModel(inst) });
    await h.waitState(isConnected, 15_000);
    const runDir = mkdtempSync(join(tmpdir(), 'tsu-ike-forged-'));
    const sessionId = 'forged0001';
    const dir = join(runDir, 'sessions', sessionId);
    execFileSync('mkdir', ['-p', dir]);
    // A record naming another session's charon (its pid and start time) under this session's id.
    const other = Ikev2ResidueSchema.parse(JSON.parse(readFileSync(join(h.workDir, 'residue.json'), 'utf8')));
    const forged = { ...other, sessionId, routingTable: routingTableFor(sessionId), dnsRecords: [] };
    expect(ikev2Driver.residueSchema.safeParse(forged).success).toBe(true);
    await cleanUp(dir, forged);
    expect(isAlive(other.pids[0] ?? 0)).toBe(true);
    expect(await ping(inst.clientNetns, inst.protectedHostIp)).toBe(true);
    rmSync(runDir, { recursive: true, force: true });
  });

  it('the charon runs with its files in the session directory and reads nothing from /etc', async () => {
    const inst = await lab('ikev2-psk');
    const h = await startDriver(inst, { profile: labModel(inst) });
    await h.waitState(isConnected, 15_000);
    const p = charonPaths(h.workDir);
    expect(existsSync(p.vici)).toBe(true);
    expect(existsSync(p.pid)).toBe(true);
    expect(readFileSync(p.conf, 'utf8')).not.toMatch(/include|updown|stroke/);
    expect(readFileSync(p.conf, 'utf8')).toContain(`routing_table_prio = ${RULE_PRIORITY}`);
    // The resolve plugin wrote only the private file: the namespace's resolv.conf has the helper's record.
    expect(readFileSync(p.dns, 'utf8')).toContain(ASSIGNED_DNS);
    expect(resolvConf(inst.clientNetns)).not.toContain('by strongSwan');
  });
});
