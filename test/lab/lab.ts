// The lab API: bring scenarios up and down, inject faults, sweep leftovers.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  allPids,
  inNetns,
  isAlive,
  killAndWaitSync,
  pidNetnsInode,
  procCmdline,
  procStartTime,
  run,
  runSync,
} from './exec.js';
import { checkCompanions } from './companions.js';
import { buildIkev2, startIkev2Server, stopIkev2Server, type Ikev2Scenario } from './ikev2.js';
import { ADDR, ANY_ID_RE, instanceNames, isLabName, labPrefix, labRoot, randomId } from './names.js';
import { buildOpenvpn, startOpenvpnServer, stopOpenvpnServer, type OpenvpnScenario } from './openvpn.js';
import type { BuildContext, BuildResult } from './scenario-types.js';
import {
  familyOf,
  instanceDir,
  isScenarioName,
  listIds,
  listInstances,
  loadInstance,
  loadOwner,
  saveInstance,
  saveOwner,
  SCENARIO_NAMES,
  type Family,
  type LabCompanion,
  type LabInstance,
  type ScenarioName,
  type ServerState,
} from './state.js';
import { createTopology, netnsInode, removeNetnsEtc } from './topology.js';
import { buildWireguard, startWireguardServer, stopWireguardServer, type WireguardScenario } from './wireguard.js';

export const SCENARIO_DESCRIPTIONS: Record<ScenarioName, string> = {
  'openvpn-udp': 'OpenVPN tun over UDP, inline certificates + tls-crypt (also a referenced-files variant)',
  'openvpn-tcp': 'OpenVPN tun over TCP',
  'openvpn-tap': 'OpenVPN tap (L2) bridged with server-bridge onto the protected LAN',
  'openvpn-userpass': 'OpenVPN username/password checked by a server-side script, no client certificate',
  'openvpn-challenge': 'OpenVPN certificate + password + static challenge (SCRV1)',
  'openvpn-enc-key': 'OpenVPN with a passphrase-encrypted client key',
  'openvpn-failover': 'OpenVPN profile with two remotes, the first one dead',
  'openvpn-legacy': 'OpenVPN seed-style profile (AES-256-CBC, SHA512, lz4, DHE tls-cipher) vs a CBC-only server',
  'openvpn-dns': 'OpenVPN server pushing a DNS server and a search domain',
  'wireguard-split': 'WireGuard split tunnel (tunnel + protected subnets)',
  'wireguard-full': 'WireGuard full tunnel (AllowedIPs 0.0.0.0/0, ::/0)',
  'wireguard-dns': 'WireGuard with DNS = (openresolv, per-namespace resolv.conf)',
  'wireguard-badkey': 'WireGuard profile with a wrong server key: no handshake ever',
  'ikev2-psk': 'IKEv2 PSK with a virtual IP pool (strongSwan, kernel-libipsec)',
  'ikev2-eap': 'IKEv2 EAP-MSCHAPv2 username/password, server certificate, virtual IP pool',
  'ikev2-cert': 'IKEv2 certificates both ways (pubkey), explicit proposals, virtual IP pool',
  'ikev1-xauth': 'IKEv1 main mode, PSK + XAuth username/password, virtual IP by mode config',
};

export const FAULTS = ['stop', 'start', 'restart', 'kill', 'drop', 'restore', 'link-down', 'link-up'] as const;
export type FaultKind = (typeof FAULTS)[number];

export function isFaultKind(s: string): s is FaultKind {
  return (FAULTS as readonly string[]).includes(s);
}

export function scenarios(): { name: ScenarioName; family: Family; description: string }[] {
  return SCENARIO_NAMES.map((name) => ({ name, family: familyOf(name), description: SCENARIO_DESCRIPTIONS[name] }));
}

export function assertRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('the lab must run as root (it creates network namespaces)');
}

// ---------------------------------------------------------------------------------------------
// Ownership and cleanup on exit

const owned = new Set<string>();
let handlersInstalled = false;
let reaped = false;

function cleanupOwnedSync(): void {
  for (const id of [...owned]) {
    try {
      teardownSync(id);
    } catch {
      // best effort while exiting
    }
    owned.delete(id);
  }
}

function onSignal(sig: NodeJS.Signals): void {
  cleanupOwnedSync();
  uninstallHandlers();
  // Keep the default behaviour (exit by the signal) unless someone else also listens.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

const signalHandlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, () => onSignal(s)]);

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', cleanupOwnedSync);
  for (const [sig, h] of signalHandlers) process.on(sig, h);
}

function uninstallHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.off('exit', cleanupOwnedSync);
  for (const [sig, h] of signalHandlers) process.off(sig, h);
}

function disown(id: string): void {
  owned.delete(id);
  if (owned.size === 0) uninstallHandlers();
}

/** Tears down instances whose owning process is gone (an earlier run killed hard). */
export function reapOrphans(): string[] {
  const reapedIds: string[] = [];
  for (const id of listIds()) {
    if (owned.has(id)) continue;
    const owner = loadOwner(id);
    if (owner && 'persistent' in owner) continue;
    if (owner && isAlive(owner.pid, owner.startTime)) continue;
    // No owner record: setup was interrupted before it was written; only reap if it is not brand new.
    if (!owner && Date.now() - dirMtime(instanceDir(id)) < 60_000) continue;
    teardownSync(id);
    reapedIds.push(id);
  }
  return reapedIds;
}

function dirMtime(dir: string): number {
  try {
    return statSync(dir).mtimeMs;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// up

export interface UpOptions {
  /**
   * Keep the instance after this process exits (the CLI). By default the instance belongs to the
   * calling process and is torn down when it exits, is interrupted, or by a later `reapOrphans`.
   */
  persistent?: boolean;
  /**
   * Companions: scenarios of other families whose servers run in the same server namespace, started
   * after the primary one, so the instance's one client namespace reaches them all (e.g.
   * `up('openvpn-udp', { with: ['wireguard-split'] })`). One per family; never openvpn-tap. Each is
   * built in its own directory `<dir>/<scenario>` and recorded in `companions`; see companionInfo()
   * for a client's view of one. Faults that stop or kill a server act on the primary one only.
   */
  with?: readonly string[];
}

function allocateId(): string {
  mkdirSync(labRoot(), { recursive: true, mode: 0o700 });
  for (let i = 0; i < 100; i++) {
    const id = randomId();
    if (existsSync(`/run/netns/${id}-s`) || existsSync(`/run/netns/${id}-c`)) continue;
    try {
      // mkdir without `recursive` fails if the directory exists: the id is reserved atomically.
      mkdirSync(instanceDir(id), { mode: 0o700 });
      return id;
    } catch {
      // taken, try another
    }
  }
  throw new Error('could not allocate a lab id');
}

async function build(ctx: BuildContext): Promise<BuildResult> {
  switch (familyOf(ctx.scenario)) {
    case 'openvpn':
      return buildOpenvpn(ctx, ctx.scenario as OpenvpnScenario);
    case 'wireguard':
      return buildWireguard(ctx, ctx.scenario as WireguardScenario);
    case 'ikev2':
      return buildIkev2(ctx, ctx.scenario as Ikev2Scenario);
  }
}

async function startServer(inst: LabInstance, s: ServerState = inst.server): Promise<void> {
  if (serverRunning(inst, s)) return;
  if (s.kind === 'openvpn') await startOpenvpnServer(inst, s);
  else if (s.kind === 'wireguard') await startWireguardServer(inst, s);
  else await startIkev2Server(inst, s);
}

async function stopServer(inst: LabInstance, hard: boolean): Promise<void> {
  const s = inst.server;
  if (s.kind === 'openvpn') await stopOpenvpnServer(s, hard);
  else if (s.kind === 'wireguard') await stopWireguardServer(inst, s, hard);
  else await stopIkev2Server(s, hard);
}

export async function up(scenario: ScenarioName | string, opts: UpOptions = {}): Promise<LabInstance> {
  if (!isScenarioName(scenario)) throw new Error(`unknown scenario "${scenario}"; valid: ${SCENARIO_NAMES.join(', ')}`);
  const withScenarios = checkCompanions(scenario, opts.with ?? []);
  assertRoot();
  if (!reaped) {
    reaped = true;
    reapOrphans();
  }
  const t0 = performance.now();
  const id = allocateId();
  // Owned by this process until setup succeeded, even for the CLI: an interrupted `up` cleans up.
  saveOwner(id, { pid: process.pid, startTime: procStartTime(process.pid) });
  owned.add(id);
  installHandlers();
  try {
    const names = instanceNames(id);
    const dir = instanceDir(id);
    await createTopology(names, dir, { bridge: scenario === 'openvpn-tap' });
    const built = await build({ id, scenario, names, dir });
    const companions: LabCompanion[] = [];
    for (const c of withScenarios) {
      // Builders write into `<dir>/server` (and fixed names beside it): each companion gets its own dir.
      const cdir = join(dir, c);
      mkdirSync(cdir, { mode: 0o700 });
      const { profile, extraFiles, credentials, tunnelPeerIp, server } = await build({ id, scenario: c, names, dir: cdir });
      companions.push({ scenario: c, profile, extraFiles, credentials, tunnelPeerIp, dir: cdir, server });
    }
    const inst: LabInstance = {
      version: 1,
      id,
      scenario,
      clientNetns: names.clientNetns,
      profile: built.profile,
      extraFiles: built.extraFiles,
      credentials: built.credentials,
      tunnelPeerIp: built.tunnelPeerIp,
      protectedHostIp: ADDR.protectedHost,
      dir,
      createdAt: new Date().toISOString(),
      serverNetns: names.serverNetns,
      protectedNetns: names.protectedNetns,
      netnsInodes: [names.serverNetns, names.clientNetns, names.protectedNetns].map(netnsInode),
      server: built.server,
      ...(companions.length > 0 ? { companions } : {}),
      faults: { dropped: false, linkDown: false },
      setupMs: 0,
    };
    saveInstance(inst);
    await startServer(inst);
    for (const c of companions) await startServer(inst, c.server);
    inst.setupMs = Math.round(performance.now() - t0);
    saveInstance(inst);
    if (opts.persistent) {
      saveOwner(id, { persistent: true });
      disown(id);
    }
    return inst;
  } catch (err) {
    teardownSync(id);
    disown(id);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// down

function existingNetns(id: string): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(`${id}-`));
  } catch {
    return [];
  }
}

/** Lab processes found by path or name in their command line (e.g. a client whose netns is gone). */
function pidsMentioning(id: string | null): number[] {
  const self = new Set(ancestors());
  const found: number[] = [];
  for (const pid of allPids()) {
    if (self.has(pid)) continue;
    const argv = procCmdline(pid);
    if (argv.length === 0) continue;
    const hit = argv.some((a) =>
      id === null
        ? a.includes(`${labRoot()}/${labPrefix()}`) || isLabName(a.replace(/^.*\//, ''))
        : a.includes(id),
    );
    if (hit && isAlive(pid)) found.push(pid);
  }
  return found;
}

/** This process and its parents (`npm run lab -- down <id>` has the id in its own command line). */
function ancestors(): number[] {
  const out: number[] = [];
  let pid: number | null = process.pid;
  for (let i = 0; i < 64 && pid !== null && pid > 1; i++) {
    out.push(pid);
    pid = parentPid(pid);
  }
  return out;
}

function parentPid(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/**
 * Removes everything of one instance: every process inside its namespaces (servers and any
 * clients a test started), the namespaces, /etc/netns entries, WireGuard sockets, the state dir.
 * Synchronous so it can also run from process 'exit' handlers.
 */
export function teardownSync(id: string): void {
  if (!ANY_ID_RE.test(id)) throw new Error(`not a lab id: ${id}`);
  const inst = loadInstance(id);
  const namespaces = existingNetns(id);
  // Only inodes of namespaces that still exist under their names: a recorded inode of a namespace
  // already gone could by now belong to an unrelated one.
  const inodes = new Set<number>();
  for (const ns of namespaces) {
    try {
      inodes.add(netnsInode(ns));
    } catch {
      // vanished meanwhile
    }
  }
  const victims = new Set<number>();
  for (const pid of allPids()) {
    const ino = pidNetnsInode(pid);
    if (ino !== null && inodes.has(ino) && isAlive(pid)) victims.add(pid);
  }
  for (const s of [inst?.server, ...(inst?.companions ?? []).map((c) => c.server)]) {
    if (s && s.pid !== null && isAlive(s.pid, s.startTime)) victims.add(s.pid);
  }
  for (const pid of pidsMentioning(id)) victims.add(pid);
  for (const pid of ancestors()) victims.delete(pid);
  // Servers need no graceful stop here: everything they own dies with the namespaces.
  killAndWaitSync([...victims]);
  for (const ns of namespaces) runSync('ip', ['netns', 'delete', ns], { allowFail: true });
  for (const ns of ['s', 'c', 'p'].map((x) => `${id}-${x}`)) removeNetnsEtc(ns);
  removeWgSockets(id);
  rmSync(instanceDir(id), { recursive: true, force: true });
}

function removeWgSockets(id: string | null): void {
  let entries: string[];
  try {
    entries = readdirSync('/var/run/wireguard');
  } catch {
    return;
  }
  for (const e of entries) {
    if (id === null ? isLabName(e) : e.startsWith(`${id}-`)) rmSync(join('/var/run/wireguard', e), { force: true });
  }
}

export async function down(id: string): Promise<void> {
  if (!ANY_ID_RE.test(id)) throw new Error(`not a lab id: "${id}" (ids look like tsl-1a2b3c)`);
  assertRoot();
  teardownSync(id);
  disown(id);
}

export interface SweepReport {
  instances: string[];
  strayProcesses: number[];
  hostLinks: string[];
}

/**
 * Removes everything carrying the lab prefix: recorded instances, namespaces, processes, host
 * devices, /etc/netns entries, WireGuard sockets and state directories, whoever created them.
 */
export function downAll(): SweepReport {
  assertRoot();
  const ids = new Set<string>(listIds());
  const idOf = (name: string): string | null => (isLabName(name) ? name.slice(0, 10) : null);
  const addFrom = (names: string[]) => {
    for (const n of names) {
      const id = idOf(n);
      if (id) ids.add(id);
    }
  };
  addFrom(safeReaddir('/run/netns'));
  addFrom(safeReaddir('/etc/netns'));
  for (const id of ids) {
    teardownSync(id);
    owned.delete(id);
  }
  if (owned.size === 0) uninstallHandlers();
  const strays = pidsMentioning(null);
  killAndWaitSync(strays);
  const hostLinks = runSync('ip', ['-o', 'link', 'show'], { allowFail: true })
    .stdout.split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '')
    .filter(isLabName);
  for (const l of hostLinks) runSync('ip', ['link', 'delete', l], { allowFail: true });
  removeWgSockets(null);
  return { instances: [...ids].sort(), strayProcesses: strays, hostLinks };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function list(): LabInstance[] {
  return listInstances();
}

export function get(id: string): LabInstance {
  const inst = loadInstance(id);
  if (!inst) throw new Error(`no running lab instance "${id}" (see \`npm run lab -- list\`)`);
  return inst;
}

// ---------------------------------------------------------------------------------------------
// faults

/** Fault rules go into their own table so `restore` can drop the table without touching the guard. */
function dropRuleset(underlay: string): string {
  return `table inet tsl_fault {
  chain input {
    type filter hook input priority filter - 10; policy accept;
    iifname "${underlay}" drop
  }
  chain output {
    type filter hook output priority filter - 10; policy accept;
    oifname "${underlay}" drop
  }
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    iifname "${underlay}" drop
    oifname "${underlay}" drop
  }
}
`;
}

/**
 * Applies a fault to a running instance:
 * stop/start/restart — graceful server stop (clients are told where the protocol can), start, both;
 * kill — SIGKILL the server process; drop/restore — an nft table in the server namespace drops
 * all traffic on the client-facing link, or is removed; link-down/link-up — the server end of the
 * client-facing veth goes down (the client end loses carrier) or comes back up.
 * With companions, stop/start/restart/kill act on the primary server only; the link faults hit
 * every server, as they share the link.
 */
export async function fault(id: string, kind: FaultKind): Promise<LabInstance> {
  assertRoot();
  const inst = get(id);
  const n = instanceNames(id);
  switch (kind) {
    case 'stop':
      await stopServer(inst, false);
      break;
    case 'kill':
      await stopServer(inst, true);
      break;
    case 'start':
      await startServer(inst);
      break;
    case 'restart':
      await stopServer(inst, false);
      await startServer(inst);
      break;
    case 'drop': {
      if (!inst.faults.dropped) {
        const [cmd, args] = inNetns(inst.serverNetns, 'nft', ['-f', '-']);
        await run(cmd, args, { input: dropRuleset(n.underlayServer) });
      }
      inst.faults.dropped = true;
      break;
    }
    case 'restore': {
      const [cmd, args] = inNetns(inst.serverNetns, 'nft', ['delete', 'table', 'inet', 'tsl_fault']);
      await run(cmd, args, { allowFail: true });
      inst.faults.dropped = false;
      break;
    }
    case 'link-down':
      await run('ip', ['-n', inst.serverNetns, 'link', 'set', n.underlayServer, 'down']);
      inst.faults.linkDown = true;
      break;
    case 'link-up':
      await run('ip', ['-n', inst.serverNetns, 'link', 'set', n.underlayServer, 'up']);
      inst.faults.linkDown = false;
      break;
  }
  saveInstance(inst);
  return inst;
}

/** Whether the primary server (or the given one, e.g. a companion's) is running. */
export function serverRunning(inst: LabInstance, s: ServerState = inst.server): boolean {
  return s.pid !== null && isAlive(s.pid, s.startTime);
}
