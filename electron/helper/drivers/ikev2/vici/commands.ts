/**
 * The VICI commands the IKEv2 driver uses, typed: arguments in, result values out.
 *
 * A command charon refuses (`success = no`, or CMD_UNKNOWN) resolves to `{ ok: false, error }`
 * with a ViciCommandError carrying charon's `errmsg`; a broken connection or timeout rejects with
 * the client's ViciClientError. charon's replies are read defensively: a field that is missing or
 * not what the protocol says becomes null (or is left out of a list), never a made-up value.
 */
import { ViciClientError, type ViciClient, type ViciRequestOptions } from './client.js';
import type { ViciSection, ViciValue } from './codec.js';

export class ViciCommandError extends Error {
  readonly code = 'vici-command-failed';
  constructor(
    readonly command: string,
    /** charon's `errmsg` (or what was wrong with the reply). */
    readonly errmsg: string,
  ) {
    super(`${command}: ${errmsg}`);
    this.name = 'ViciCommandError';
  }
}

export type ViciResult<T> = { ok: true; value: T } | { ok: false; error: ViciCommandError };

export interface VersionInfo {
  daemon: string | null;
  version: string | null;
  sysname: string | null;
  release: string | null;
  machine: string | null;
}

export type SharedKeyType = 'IKE' | 'EAP' | 'XAUTH' | 'NTLM';
export type PrivateKeyType = 'rsa' | 'ecdsa' | 'ed25519' | 'ed448' | 'any';

/** A `control-log` event: charon's log lines for a running initiate/terminate. */
export interface ControlLog {
  group: string | null;
  level: number | null;
  ikeSaName: string | null;
  ikeSaUniqueId: string | null;
  msg: string;
}

export interface ChildSaSummary {
  /** The key charon lists it under (`<name>-<uniqueid>`). */
  key: string;
  name: string;
  uniqueId: string | null;
  /** INSTALLED, REKEYING, DELETING, ... */
  state: string | null;
  mode: string | null;
  protocol: string | null;
  encap: boolean;
  bytesIn: number | null;
  bytesOut: number | null;
  packetsIn: number | null;
  packetsOut: number | null;
  /** Seconds since the last packet each way (absent until there was one). */
  useInSeconds: number | null;
  useOutSeconds: number | null;
  installSeconds: number | null;
  localTs: string[];
  remoteTs: string[];
}

export interface IkeSaSummary {
  /** The connection (IKE config) name. */
  name: string;
  uniqueId: string | null;
  version: number | null;
  /** CREATED, CONNECTING, ESTABLISHED, PASSIVE, REKEYING, REKEYED, DELETING, DESTROYING. */
  state: string | null;
  localHost: string | null;
  localPort: number | null;
  localId: string | null;
  remoteHost: string | null;
  remotePort: number | null;
  remoteId: string | null;
  initiator: boolean;
  natAny: boolean;
  /** Virtual IPs the server assigned us (installed locally). */
  localVips: string[];
  establishedSeconds: number | null;
  children: ChildSaSummary[];
}

export interface ConnSummary {
  name: string;
  /** 'IKEv1', 'IKEv2' or '0' (any), as charon writes it. */
  version: string | null;
  localAddrs: string[];
  remoteAddrs: string[];
  children: string[];
}

/** An `ike-updown` / `child-updown` event. */
export interface UpDownEvent {
  up: boolean;
  sas: IkeSaSummary[];
}

// ---------- reading replies ----------

function text(v: ViciSection[string] | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

function section(v: ViciSection[string] | undefined): ViciSection | null {
  return typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) ? v : null;
}

function strings(v: ViciSection[string] | undefined): string[] {
  return Array.isArray(v) ? v.filter((x: ViciValue): x is string => typeof x === 'string') : [];
}

/** A decimal counter as charon prints it (u64); null when absent or not a plain number. */
function count(v: ViciSection[string] | undefined): number | null {
  const s = text(v);
  if (s === null || !/^\d{1,20}$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

function yes(v: ViciSection[string] | undefined): boolean {
  return text(v) === 'yes';
}

function parseChild(key: string, c: ViciSection): ChildSaSummary {
  return {
    key,
    name: text(c['name']) ?? key,
    uniqueId: text(c['uniqueid']),
    state: text(c['state']),
    mode: text(c['mode']),
    protocol: text(c['protocol']),
    encap: yes(c['encap']),
    bytesIn: count(c['bytes-in']),
    bytesOut: count(c['bytes-out']),
    packetsIn: count(c['packets-in']),
    packetsOut: count(c['packets-out']),
    useInSeconds: count(c['use-in']),
    useOutSeconds: count(c['use-out']),
    installSeconds: count(c['install-time']),
    localTs: strings(c['local-ts']),
    remoteTs: strings(c['remote-ts']),
  };
}

function parseIkeSa(name: string, s: ViciSection): IkeSaSummary {
  const children: ChildSaSummary[] = [];
  const cs = section(s['child-sas']);
  if (cs) {
    for (const [key, v] of Object.entries(cs)) {
      const c = section(v);
      if (c) children.push(parseChild(key, c));
    }
  }
  return {
    name,
    uniqueId: text(s['uniqueid']),
    version: count(s['version']),
    state: text(s['state']),
    localHost: text(s['local-host']),
    localPort: count(s['local-port']),
    localId: text(s['local-id']),
    remoteHost: text(s['remote-host']),
    remotePort: count(s['remote-port']),
    remoteId: text(s['remote-id']),
    initiator: yes(s['initiator']),
    natAny: yes(s['nat-any']),
    localVips: strings(s['local-vips']),
    establishedSeconds: count(s['established']),
    children,
  };
}

/** The IKE SAs in a `list-sa` event (one per event from charon; each a section named after its connection). */
export function parseListSa(msg: ViciSection): IkeSaSummary[] {
  const out: IkeSaSummary[] = [];
  for (const [name, v] of Object.entries(msg)) {
    const s = section(v);
    if (s) out.push(parseIkeSa(name, s));
  }
  return out;
}

/** An `ike-updown` or `child-updown` event (`up = yes` when up; absent when down). */
export function parseUpDown(msg: ViciSection): UpDownEvent {
  return { up: yes(msg['up']), sas: parseListSa(msg) };
}

export function parseControlLog(msg: ViciSection): ControlLog | null {
  const m = text(msg['msg']);
  if (m === null) return null;
  const level = text(msg['level']);
  return {
    group: text(msg['group']),
    level: level !== null && /^-?\d{1,3}$/.test(level) ? Number(level) : null,
    ikeSaName: text(msg['ikesa-name']),
    ikeSaUniqueId: text(msg['ikesa-uniqueid']),
    msg: m,
  };
}

/** The connections in a `list-conn` event. */
export function parseListConn(msg: ViciSection): ConnSummary[] {
  const out: ConnSummary[] = [];
  for (const [name, v] of Object.entries(msg)) {
    const c = section(v);
    if (!c) continue;
    out.push({
      name,
      version: text(c['version']),
      localAddrs: strings(c['local_addrs']),
      remoteAddrs: strings(c['remote_addrs']),
      children: Object.keys(section(c['children']) ?? {}),
    });
  }
  return out;
}

/** `success = yes` → ok; anything else → the command's error with charon's errmsg. */
function checked<T>(command: string, reply: ViciSection, value: (r: ViciSection) => T): ViciResult<T> {
  const success = text(reply['success']);
  if (success === 'yes') return { ok: true, value: value(reply) };
  const errmsg = text(reply['errmsg']) ?? (success === null ? 'reply without a success field' : `success = ${success}`);
  return { ok: false, error: new ViciCommandError(command, errmsg) };
}

/** charon's own `timeout` ends initiate/terminate; the client waits this much longer before giving up on the connection. */
const CLIENT_MARGIN_MS = 5000;

export interface InitiateArgs {
  child: string;
  ike?: string;
  /** Milliseconds charon waits for the result (> 0: an unbounded wait would hold the connection). */
  timeout: number;
  /** control-log detail, -1..4 (charon's default 1). */
  loglevel?: number;
}

export interface TerminateArgs {
  ike?: string;
  child?: string;
  ikeId?: string;
  childId?: string;
  /** Delete without waiting for the peer's answer (after `timeout`, if given). */
  force?: boolean;
  /** Milliseconds charon waits (> 0). */
  timeout: number;
  loglevel?: number;
}

export class ViciCommands {
  constructor(readonly client: ViciClient) {}

  async version(): Promise<ViciResult<VersionInfo>> {
    const r = await this.run('version');
    if (!r.ok) return r;
    const v = r.value;
    return {
      ok: true,
      value: { daemon: text(v['daemon']), version: text(v['version']), sysname: text(v['sysname']), release: text(v['release']), machine: text(v['machine']) },
    };
  }

  /** Loads (or replaces) a connection; `conn` holds swanctl.conf's keys for it (local/remote/children sections). */
  async loadConn(name: string, conn: ViciSection): Promise<ViciResult<void>> {
    return this.simple('load-conn', { [name]: conn });
  }

  async unloadConn(name: string): Promise<ViciResult<void>> {
    return this.simple('unload-conn', { name });
  }

  async loadShared(args: { id?: string; type: SharedKeyType; data: string | Uint8Array; owners: string[] }): Promise<ViciResult<void>> {
    return this.simple('load-shared', { ...(args.id !== undefined ? { id: args.id } : {}), type: args.type, data: args.data, owners: args.owners });
  }

  /** Loads a private key (PEM or DER); the value is the hex SHA-1 key id charon reports. */
  async loadKey(args: { type: PrivateKeyType; data: string | Uint8Array }): Promise<ViciResult<{ id: string | null }>> {
    const r = await this.run('load-key', { type: args.type, data: args.data });
    if (!r.ok) return r;
    return checked('load-key', r.value, (v) => ({ id: text(v['id']) }));
  }

  async loadCert(args: { type: 'X509'; flag: 'CA' | 'NONE'; data: string | Uint8Array }): Promise<ViciResult<void>> {
    return this.simple('load-cert', { type: args.type, flag: args.flag, data: args.data });
  }

  /** Forgets every credential loaded over VICI (and flushes charon's credential cache). */
  async clearCreds(): Promise<ViciResult<void>> {
    return this.simple('clear-creds');
  }

  /**
   * Initiates a CHILD_SA (and its IKE_SA); resolves when charon reports the result. Each
   * control-log line goes to `onLog` as it arrives. charon's errmsg on failure is generic
   * ("establishing CHILD_SA 'x' failed"): the reason is in the log lines.
   */
  async initiate(args: InitiateArgs, onLog?: (log: ControlLog) => void): Promise<ViciResult<void>> {
    const msg: ViciSection = { child: args.child, timeout: String(positive(args.timeout)) };
    if (args.ike !== undefined) msg['ike'] = args.ike;
    if (args.loglevel !== undefined) msg['loglevel'] = String(args.loglevel);
    return this.simple('initiate', msg, logStream(onLog, args.timeout));
  }

  async terminate(args: TerminateArgs, onLog?: (log: ControlLog) => void): Promise<ViciResult<{ matches: number | null; terminated: number | null }>> {
    const msg: ViciSection = { timeout: String(positive(args.timeout)) };
    if (args.ike !== undefined) msg['ike'] = args.ike;
    if (args.child !== undefined) msg['child'] = args.child;
    if (args.ikeId !== undefined) msg['ike-id'] = args.ikeId;
    if (args.childId !== undefined) msg['child-id'] = args.childId;
    if (args.force) msg['force'] = 'yes';
    if (args.loglevel !== undefined) msg['loglevel'] = String(args.loglevel);
    const r = await this.run('terminate', msg, logStream(onLog, args.timeout));
    if (!r.ok) return r;
    return checked('terminate', r.value, (v) => ({ matches: count(v['matches']), terminated: count(v['terminated']) }));
  }

  /**
   * Rekeys an IKE_SA (or CHILD_SA): one exchange with the server, so also a liveness check (5.9
   * has no DPD command); an unanswered one ends in charon deleting the SA (ike-updown).
   */
  async rekey(args: { ike?: string; child?: string; reauth?: boolean }): Promise<ViciResult<{ matches: number | null }>> {
    const msg: ViciSection = {};
    if (args.ike !== undefined) msg['ike'] = args.ike;
    if (args.child !== undefined) msg['child'] = args.child;
    if (args.reauth) msg['reauth'] = 'yes';
    const r = await this.run('rekey', msg);
    if (!r.ok) return r;
    return checked('rekey', r.value, (v) => ({ matches: count(v['matches']) }));
  }

  /** The current IKE SAs (optionally of one connection), from the streamed list-sa events. */
  async listSas(args: { ike?: string; noblock?: boolean } = {}): Promise<ViciResult<IkeSaSummary[]>> {
    const msg: ViciSection = {};
    if (args.ike !== undefined) msg['ike'] = args.ike;
    if (args.noblock) msg['noblock'] = 'yes';
    const sas: IkeSaSummary[] = [];
    const r = await this.run('list-sas', msg, { stream: 'list-sa', onEvent: (e) => sas.push(...parseListSa(e)) });
    if (!r.ok) return r;
    return { ok: true, value: sas };
  }

  async listConns(args: { ike?: string } = {}): Promise<ViciResult<ConnSummary[]>> {
    const conns: ConnSummary[] = [];
    const r = await this.run('list-conns', args.ike !== undefined ? { ike: args.ike } : {}, {
      stream: 'list-conn',
      onEvent: (e) => conns.push(...parseListConn(e)),
    });
    if (!r.ok) return r;
    return { ok: true, value: conns };
  }

  /** Connection names loaded over VICI. */
  async getConns(): Promise<ViciResult<string[]>> {
    const r = await this.run('get-conns');
    if (!r.ok) return r;
    return { ok: true, value: strings(r.value['conns']) };
  }

  // ---------- internals ----------

  /** A command whose reply is only success/errmsg. */
  private async simple(command: string, msg: ViciSection = {}, opts?: ViciRequestOptions): Promise<ViciResult<void>> {
    const r = await this.run(command, msg, opts);
    if (!r.ok) return r;
    return checked(command, r.value, () => undefined);
  }

  /** Sends a command; CMD_UNKNOWN becomes a command error, every other client error rejects. */
  private async run(command: string, msg: ViciSection = {}, opts?: ViciRequestOptions): Promise<ViciResult<ViciSection>> {
    try {
      return { ok: true, value: await this.client.request(command, msg, opts) };
    } catch (e) {
      if (e instanceof ViciClientError && e.code === 'vici-unknown-command') {
        return { ok: false, error: new ViciCommandError(command, 'charon does not know this command') };
      }
      throw e;
    }
  }
}

function positive(timeoutMs: number): number {
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeout must be a positive number of milliseconds, not ${timeoutMs}`);
  return timeoutMs;
}

function logStream(onLog: ((log: ControlLog) => void) | undefined, timeoutMs: number): ViciRequestOptions {
  return {
    stream: 'control-log',
    timeoutMs: timeoutMs + CLIENT_MARGIN_MS,
    ...(onLog
      ? {
          onEvent: (e: ViciSection) => {
            const log = parseControlLog(e);
            if (log) onLog(log);
          },
        }
      : {}),
  };
}
