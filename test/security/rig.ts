/**
 * What the attack files share: a lab instance with one helper serving the test group in its client
 * namespace, users' agents, and the few waits and probes every attack needs. Everything started
 * through a Rig is stopped by `rig.close()` (call it in afterAll/afterEach), even after a failure.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import type { ProfileKind } from '../../shared/profiles/kinds.js';
import { companionInfo, down, fault, ping, run, up, type LabInfo, type LabInstance, type ScenarioName } from '../lab/index.js';
import { Agent, startSecHelper, type Conn, type Received, type SecHelper, type SecHelperOptions, type UserName } from './users.js';

export interface Profile {
  kind: ProfileKind;
  text: string;
  name: string;
}

/** A lab profile as the app would send it: the engine's canonical text. */
export function labProfile(info: LabInfo, name: string = info.scenario): Profile {
  const inspection = inspectProfile(readFileSync(info.profile, 'utf8'), { fileName: info.profile });
  if (!inspection.ok || inspection.canonical === null) throw new Error(`lab profile refused: ${JSON.stringify(inspection.errors)}`);
  return { kind: inspection.kind, text: inspection.canonical, name };
}

export class Rig {
  private readonly agents = new Map<UserName, Agent>();
  private readonly helpers: SecHelper[] = [];

  private constructor(readonly lab: LabInstance, public helper: SecHelper) {}

  static async start(scenario: ScenarioName, o: { with?: ScenarioName[]; helper?: SecHelperOptions } = {}): Promise<Rig> {
    const lab = await up(scenario, { with: o.with ?? [] });
    try {
      const rig = new Rig(lab, await startSecHelper(lab.clientNetns, o.helper));
      rig.helpers.push(rig.helper);
      return rig;
    } catch (e) {
      await down(lab.id);
      throw e;
    }
  }

  info(scenario: ScenarioName = this.lab.scenario): LabInfo {
    return companionInfo(this.lab, scenario);
  }

  profile(scenario: ScenarioName = this.lab.scenario, name?: string): Profile {
    return labProfile(this.info(scenario), name);
  }

  async agent(user: UserName): Promise<Agent> {
    const existing = this.agents.get(user);
    if (existing) return existing;
    const agent = await Agent.start(user);
    this.agents.set(user, agent);
    return agent;
  }

  /** A greeted, subscribed connection of `user` to this rig's helper. */
  /** A helper that died earlier is the finding: say so, with its last words. */
  assertHelperAlive(): void {
    if (!this.helper.alive()) throw new Error(`the helper is not running (exit ${String(this.helper.proc.exitCode ?? this.helper.proc.signalCode)}); its output ended:\n${this.helper.output().slice(-2000)}`);
  }

  async client(user: UserName, subscribe: { logs?: boolean } | null = {}): Promise<Conn> {
    this.assertHelperAlive();
    const agent = await this.agent(user);
    const c = await agent.client(this.helper.socketPath).catch((e: unknown) => {
      // Refused at the door: what the helper was doing says why.
      throw new Error(`${e instanceof Error ? e.message : String(e)}\nhelper ${this.helper.alive() ? 'running' : 'dead'}; its output ended:\n${this.helper.output().slice(-1500)}`);
    });
    if (subscribe) {
      const r = await c.request({ type: 'subscribe', ...subscribe });
      if (!r.ok) throw new Error(`subscribe refused: ${JSON.stringify(r.error)}`);
    }
    return c;
  }

  /** Replaces the helper (e.g. one started with other options); the old one is stopped. */
  async restartHelper(o: SecHelperOptions = {}): Promise<SecHelper> {
    await this.helper.stop();
    this.helper = await startSecHelper(this.lab.clientNetns, o);
    this.helpers.push(this.helper);
    return this.helper;
  }

  /** Rewrites the primary OpenVPN server's config and restarts it (extra pushes, a higher verb). */
  async reconfigureServer(edit: (config: string) => string): Promise<void> {
    if (this.lab.server.kind !== 'openvpn') throw new Error('only the OpenVPN server is reconfigured');
    const path = this.lab.server.config;
    writeFileSync(path, edit(readFileSync(path, 'utf8')));
    await fault(this.lab.id, 'restart');
  }

  async close(): Promise<void> {
    for (const a of this.agents.values()) a.stop();
    this.agents.clear();
    for (const h of this.helpers) await h.stop().catch(() => undefined);
    await down(this.lab.id);
  }
}

export type TunnelStatus = 'connecting' | 'authenticating' | 'connected' | 'reconnecting' | 'disconnecting' | 'disconnected' | 'error';

interface StateEvent {
  event: 'state';
  sessionId: string;
  state: { status: TunnelStatus; code?: string; message?: { en: string; ja: string } };
}

function isState(m: Received['message']): m is Received['message'] & StateEvent {
  return m.event === 'state' && typeof m['sessionId'] === 'string';
}

/** Waits on a subscribed connection for a state of `sessionId` with one of `statuses`. */
export async function waitState(c: Conn, sessionId: string, statuses: TunnelStatus[], timeoutMs: number): Promise<StateEvent['state']> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = c.events().filter(isState).find((e) => e.sessionId === sessionId && statuses.includes(e.state.status));
    if (found) return found.state;
    if (Date.now() > deadline) {
      const seen = c.events().filter(isState).filter((e) => e.sessionId === sessionId).map((e) => e.state);
      throw new Error(`no ${statuses.join('/')} for ${sessionId} in ${timeoutMs} ms; states: ${JSON.stringify(seen).slice(0, 600)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function waitRemoved(c: Conn, sessionId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!c.events().some((e) => e.event === 'session-removed' && e['sessionId'] === sessionId)) {
    if (Date.now() > deadline) throw new Error(`session ${sessionId} not removed in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export type ConnectOutcome =
  | { refused: true; code: string; message: string; error: unknown }
  | { refused: false; sessionId: string; state: StateEvent['state'] };

/**
 * Connects `profile` on a subscribed connection and waits until the session settles: refused at
 * once (the request failed), or connected / error / disconnected. Answers credential prompts
 * with `answer`.
 */
export async function connect(c: Conn, profile: Profile, o: { answer?: Record<string, unknown>; timeoutSeconds?: number } = {}): Promise<ConnectOutcome> {
  const timeoutSeconds = o.timeoutSeconds ?? 20;
  const r = await c.request({ type: 'connect', profile, options: { connectTimeoutSeconds: timeoutSeconds } }, 60_000);
  if (!r.ok) return { refused: true, code: r.error?.code ?? '?', message: `${r.error?.message.en ?? ''} ${r.error?.detail ?? ''}`.trim(), error: r.error };
  const sessionId = (r.result as { sessionId: string }).sessionId;
  const answered = new Set<number>();
  const answering = setInterval(() => {
    if (!o.answer) return;
    c.events().forEach((e, i) => {
      if (e.event !== 'credentials-required' || e['sessionId'] !== sessionId || answered.has(i)) return;
      answered.add(i);
      void c.request({ type: 'credentials', sessionId, credentials: o.answer }).catch(() => undefined);
    });
  }, 20);
  try {
    const state = await waitState(c, sessionId, ['connected', 'error', 'disconnected'], (timeoutSeconds + 15) * 1000);
    return { refused: false, sessionId, state };
  } finally {
    clearInterval(answering);
  }
}

/** Ends a session if one was made, and waits until the helper has removed it. */
export async function disconnect(c: Conn, outcome: ConnectOutcome): Promise<void> {
  if (outcome.refused) return;
  if (c.events().some((e) => e.event === 'session-removed' && e['sessionId'] === outcome.sessionId)) return;
  await c.request({ type: 'disconnect', sessionId: outcome.sessionId }, 60_000);
  await waitRemoved(c, outcome.sessionId, 30_000);
}

/** The byte counters of a WireGuard interface in `netns`, as `wg` reads them (root, independent of the helper). */
export async function wgTransfer(netns: string, ifname: string): Promise<{ rx: number; tx: number }> {
  const r = await run('ip', ['netns', 'exec', netns, 'wg', 'show', ifname, 'transfer']);
  const [, rx = '0', tx = '0'] = r.stdout.trim().split(/\s+/);
  return { rx: Number(rx), tx: Number(tx) };
}

/**
 * Proves a WireGuard session's traffic goes through its own interface: the protected host answers
 * and the interface's counters grow by at least the pings' bytes.
 */
export async function trafficThrough(netns: string, ifname: string, host: string): Promise<boolean> {
  const before = await wgTransfer(netns, ifname);
  const answered = await ping(netns, host, { count: 3, waitS: 2 });
  const after = await wgTransfer(netns, ifname);
  // Three 84-byte echo requests, each padded and encrypted: well over 200 bytes out.
  return answered && after.tx - before.tx >= 200 && after.rx > before.rx;
}

export async function ipRules(netns: string): Promise<string> {
  return (await run('ip', ['-n', netns, 'rule'])).stdout + (await run('ip', ['-n', netns, '-6', 'rule'])).stdout;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
