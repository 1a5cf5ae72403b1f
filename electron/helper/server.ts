/**
 * The helper's socket server. A Unix socket owned by root and the helper's group, mode 0660: the
 * kernel refuses everyone else at connect(). Each caller's uid (SO_PEERCRED) is checked again,
 * recorded with its sessions and log lines, and every frame is validated against the shared
 * schemas. Malformed input gets an error reply; the connection and the helper live on.
 *
 * Nothing a client does can throw out of here: every callback (accept, data, replies, events)
 * catches what it calls, a failed accept (EMFILE) is logged and serving goes on, and connections
 * (per uid and in total) and buffered input are capped, with a refusal the client can read.
 * A caller sees its own sessions, events and log lines only; root sees everything.
 */
import { chmodSync, chownSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import {
  HELPER_PROTOCOL_VERSION,
  MAX_FRAME_BYTES,
  request as requestSchema,
  type HelperEvent,
  type HelperRequest,
  type HelperResponse,
  type ProvisionedSummary,
} from '../../shared/ipc/helper-protocol.js';
import { resolvePolicy, type EffectivePolicy } from '../../shared/policy/resolve.js';
import { HelperFailure } from './failure.js';
import { LineFramer } from './framing.js';
import { DEFAULT_LIMITS, type HelperLimits } from './limits.js';
import { mayRead, type HelperLog } from './log.js';
import { GroupMembership, peerOf, type PeerCredentials } from './peer.js';
import { makeDirectory } from './run-dir.js';
import type { FirewallController } from './firewall/controller.js';
import type { SessionManager } from './sessions.js';
import { listenOnDescriptor, takeSocketActivation, type Environment } from './socket-activation.js';

export const HELPER_NAME = 'tsunagu-helper 0.1.0';
/** A client that stops reading is dropped once this much output is waiting for it. */
const MAX_PENDING_OUTPUT = 16 * 1024 * 1024;

/** How long a refused client has to read its refusal before the connection is cut. */
const REFUSAL_LINGER_MS = 2000;
/** The same warning (per uid and cause) is logged at most this often: a flood fills no log. */
const WARNING_INTERVAL_MS = 10_000;

export interface HelperServerOptions {
  socketPath: string;
  group: string;
  sessions: SessionManager;
  log: HelperLog;
  limits?: Partial<HelperLimits>;
  /** Where the group database is read from (tests point it at their own files). */
  membership?: GroupMembership;
  /** Where systemd's LISTEN_* variables are read (and removed) from; process.env by default. */
  environment?: Environment;
  /** The effective administrator policy (policy/service.ts); the defaults when not given. */
  policy?: () => EffectivePolicy;
  /** The provisioned profiles' summaries (policy/provisioned.ts). */
  provisioned?: () => ProvisionedSummary[];
  /** The kill switch (firewall/controller.ts); without it `firewall` requests are refused. */
  firewall?: FirewallController;
}

interface Client {
  socket: Socket;
  peer: PeerCredentials;
  /** Membership confirmed; frames are read from here on. */
  admitted: boolean;
  greeted: boolean;
  /** Subscribed to all sessions (null) or one; undefined when not subscribed. */
  subscription: string | null | undefined;
  /** Wants log lines pushed too. */
  logs: boolean;
  /** Bytes of an unfinished frame held for this client (counted in the server's total). */
  pending: number;
  /** Drops what the client's framer holds, so a dropped client's input is freed at once. */
  release?: () => void;
}

function fail(code: string, en: string, ja: string, detail?: string): HelperFailure {
  return new HelperFailure(code, { en, ja }, detail);
}

/** Refuses to start over a socket another helper is still serving; removes a stale one. */
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket; remove it or choose another --socket path`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another helper is already listening on ${path}`);
  unlinkSync(path);
}

export class HelperServer {
  private server: Server | null = null;
  private readonly clients = new Set<Client>();
  private readonly perUid = new Map<number, number>();
  private bufferedTotal = 0;
  private readonly bufferedPerUid = new Map<number, number>();
  private readonly membership: GroupMembership;
  private readonly limits: HelperLimits;
  private readonly lastWarning = new Map<string, number>();
  private unsubscribe: (() => void) | null = null;
  /** systemd bound the socket (socket activation): its path, owner and mode are the unit's, and it stays. */
  private activated = false;

  constructor(private readonly options: HelperServerOptions) {
    this.membership = options.membership ?? new GroupMembership(options.group);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  /** Open connections: in total, and of one uid. */
  connectionCount(uid?: number): number {
    return uid === undefined ? this.clients.size : (this.perUid.get(uid) ?? 0);
  }

  /** Partial-frame bytes held across every connection. */
  get bufferedInput(): number {
    return this.bufferedTotal;
  }

  async listen(): Promise<void> {
    const { socketPath, group: groupName } = this.options;
    const group = await this.membership.load();
    if (!group) throw new Error(`the group '${groupName}' does not exist; create it (groupadd ${groupName}) and add the users who may use the VPN, or pass --group`);
    const activation = takeSocketActivation(this.options.environment);
    if (activation.kind === 'invalid') throw activation.failure;
    const server = createServer((socket) => this.accept(socket));
    if (activation.kind === 'passed') {
      await listenOnDescriptor(server, activation.fd);
      this.activated = true;
    } else {
      await this.bind(server, socketPath, group.gid);
    }
    // A failed accept (EMFILE, ENFILE, ENOMEM) comes here; the server keeps listening.
    server.on('error', (e) => this.warn('accept', null, `could not accept a connection: ${e.message}`));
    this.server = server;
    const sessionsUnsub = this.options.sessions.onEvent((event, owner) => this.broadcast(event, owner));
    const logUnsub = this.options.log.subscribe((line) => this.broadcast({ event: 'log', line }, line.uid));
    const firewallUnsub = this.options.firewall?.onChange(() => this.announceFirewall());
    this.unsubscribe = () => {
      sessionsUnsub();
      logUnsub();
      firewallUnsub?.();
    };
    if (activation.kind !== 'passed') this.options.log.message('info', 'server.listening', { name: HELPER_NAME, where: socketPath, group: group.name });
    else if (activation.name) this.options.log.message('info', 'server.listeningActivatedNamed', { name: HELPER_NAME, socket: activation.name, group: group.name });
    else this.options.log.message('info', 'server.listeningActivated', { name: HELPER_NAME, group: group.name });
  }

  /** Binds the socket path itself: directory 0755, a stale socket removed, then 0660 root:group. */
  private async bind(server: Server, socketPath: string, gid: number): Promise<void> {
    makeDirectory(dirname(socketPath), 0o755);
    const dirMode = lstatSync(dirname(socketPath)).mode;
    if ((dirMode & 0o011) === 0) {
      this.options.log.message('warn', 'server.socketDirClosed', { dir: dirname(socketPath), mode: (dirMode & 0o777).toString(8) });
    }
    await clearStaleSocket(socketPath);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Permissions before anyone is told: between listen() and chmod nobody but root can connect,
    // because the socket is created with the helper's umask (set to 0o077 by the CLI).
    chownSync(socketPath, 0, gid);
    chmodSync(socketPath, 0o660);
  }

  /** Logs a warning unless the same one (cause and uid) went out within WARNING_INTERVAL_MS. */
  private warn(cause: string, uid: number | null, text: string): void {
    const key = `${cause}:${uid ?? '-'}`;
    const now = Date.now();
    const last = this.lastWarning.get(key);
    if (last !== undefined && now - last < WARNING_INTERVAL_MS) return;
    if (this.lastWarning.size > 1024) this.lastWarning.clear();
    this.lastWarning.set(key, now);
    this.options.log.add('warn', text, null, uid);
  }

  private accept(socket: Socket): void {
    // Errors on this socket end in 'close', which forgets the client; none may go uncaught.
    socket.on('error', () => undefined);
    try {
      this.admit(socket);
    } catch (e) {
      this.warn('accept', null, `dropped a client: ${e instanceof Error ? e.message : String(e)}`);
      socket.destroy();
    }
  }

  private admit(socket: Socket): void {
    let peer: PeerCredentials;
    try {
      peer = peerOf(socket);
    } catch (e) {
      this.warn('peercred', null, `could not identify a client: ${(e as Error).message}`);
      socket.destroy();
      return;
    }
    const { connections, connectionsPerUid } = this.limits;
    const mine = this.perUid.get(peer.uid) ?? 0;
    if (this.clients.size >= connections || mine >= connectionsPerUid) {
      const total = this.clients.size >= connections;
      this.warn('connections', peer.uid, `refused a connection of uid ${peer.uid}: ${total ? `${connections} connections are open` : `it has ${mine} open`}`);
      this.refuse(socket, fail('too-many-connections',
        total ? `The helper has too many connections open (${connections}). Try again later.` : `This user has too many connections to the helper open (${connectionsPerUid}). Close some Tsunagu windows or commands and try again.`,
        total ? `ヘルパーへの接続が多すぎます (${connections})。しばらくしてからもう一度お試しください。` : `このユーザーのヘルパーへの接続が多すぎます (${connectionsPerUid})。Tsunagu のウィンドウやコマンドをいくつか閉じてから、もう一度お試しください。`));
      return;
    }
    const client: Client = { socket, peer, admitted: false, greeted: false, subscription: undefined, logs: false, pending: 0 };
    this.clients.add(client);
    this.perUid.set(peer.uid, mine + 1);
    socket.once('close', () => this.forget(client));
    // Nothing is read until membership is known (usually at once, from the cached snapshot).
    socket.pause();
    void this.membership.mayUse(peer).then((allowed) => {
      if (socket.destroyed) return;
      if (!allowed) {
        this.warn('not-permitted', peer.uid, `refused uid ${peer.uid} (pid ${peer.pid}): not root and not in group '${this.options.group}'`);
        this.refuse(socket, fail('not-permitted', `This user may not use the VPN helper. Ask an administrator to add you to the group '${this.options.group}'.`,
          `このユーザーは VPN ヘルパーを使用できません。管理者にグループ '${this.options.group}' への追加を依頼してください。`));
        return;
      }
      client.admitted = true;
      this.serve(client);
    }).catch((e: unknown) => {
      this.warn('accept', peer.uid, `dropped a client of uid ${peer.uid}: ${e instanceof Error ? e.message : String(e)}`);
      socket.destroy();
    });
  }

  /** Sends one refusal, stops reading, and cuts the connection once it is read (or soon after). */
  private refuse(socket: Socket, failure: HelperFailure): void {
    socket.pause();
    const response: HelperResponse = { id: null, ok: false, error: failure.toError() };
    // Freed as soon as the refusal is handed to the kernel (a few hundred bytes always fit), or
    // after the linger if the client's buffer is full: a flood of refusals holds no descriptors.
    if (socket.writable) socket.end(`${JSON.stringify(response)}\n`, () => socket.destroy());
    setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
  }

  private forget(client: Client): void {
    if (!this.clients.delete(client)) return;
    this.account(client, 0);
    client.release?.();
    const left = (this.perUid.get(client.peer.uid) ?? 1) - 1;
    if (left > 0) this.perUid.set(client.peer.uid, left);
    else this.perUid.delete(client.peer.uid);
  }

  private serve(client: Client): void {
    const { socket } = client;
    const framer = new LineFramer(MAX_FRAME_BYTES);
    client.release = () => framer.clear();
    socket.on('data', (data: Buffer) => {
      try {
        this.onData(client, framer, data);
      } catch (e) {
        this.warn('data', client.peer.uid, `dropped a client of uid ${client.peer.uid}: ${e instanceof Error ? e.message : String(e)}`);
        socket.destroy();
      }
    });
    socket.resume();
  }

  /** Sets what a client holds of unfinished input, in its uid's and the server's totals. */
  private account(client: Client, pending: number): void {
    const uid = client.peer.uid;
    const held = (this.bufferedPerUid.get(uid) ?? 0) + pending - client.pending;
    if (held > 0) this.bufferedPerUid.set(uid, held);
    else this.bufferedPerUid.delete(uid);
    this.bufferedTotal += pending - client.pending;
    client.pending = pending;
  }

  /**
   * Which connection gives way when unfinished input passes a cap: this one when its own uid holds
   * more than its share; otherwise (every uid within its share, the total still over) the largest
   * holder of the uid holding most, so the member who is filling the helper pays, not whoever
   * happened to send the last byte.
   */
  private overInputCap(client: Client): Client | null {
    if ((this.bufferedPerUid.get(client.peer.uid) ?? 0) > this.limits.bufferedInputPerUidBytes) return client;
    if (this.bufferedTotal <= this.limits.bufferedInputBytes) return null;
    let heaviestUid = client.peer.uid;
    for (const [uid, held] of this.bufferedPerUid) if (held > (this.bufferedPerUid.get(heaviestUid) ?? 0)) heaviestUid = uid;
    let victim = client;
    for (const c of this.clients) if (c.peer.uid === heaviestUid && (victim.peer.uid !== heaviestUid || c.pending > victim.pending)) victim = c;
    return victim;
  }

  private onData(client: Client, framer: LineFramer, data: Buffer): void {
    if (!this.clients.has(client)) return;
    const frames = framer.push(data);
    this.account(client, framer.pendingBytes);
    const victim = this.overInputCap(client);
    if (victim) {
      this.warn('input', victim.peer.uid, `dropped a client of uid ${victim.peer.uid}: too many bytes of unfinished messages are buffered`);
      this.refuse(victim.socket, fail('input-too-large', 'The helper is holding too much unfinished input; this connection is closed. Send complete messages, one per line.',
        'ヘルパーが保持している未完了の入力が多すぎるため、この接続を閉じます。メッセージは 1 行ずつ完全な形で送信してください。'));
      this.forget(victim);
      if (victim === client) return;
    }
    for (const frame of frames) {
      if (frame.kind === 'oversize') {
        this.send(client, { id: null, ok: false, error: fail('frame-too-large', `A message of ${frame.bytes} bytes exceeds the limit of ${MAX_FRAME_BYTES} bytes.`, `メッセージ (${frame.bytes} バイト) が上限 ${MAX_FRAME_BYTES} バイトを超えています。`).toError() });
      } else {
        this.handleLine(client, frame.text).catch((e: unknown) => {
          this.warn('request', client.peer.uid, `a request of uid ${client.peer.uid} failed outside its handler: ${e instanceof Error ? e.message : String(e)}`);
        });
      }
    }
  }

  private async handleLine(client: Client, text: string): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      this.send(client, { id: null, ok: false, error: fail('bad-json', 'The message is not valid JSON.', 'メッセージが正しい JSON ではありません。').toError() });
      return;
    }
    const id = typeof raw === 'object' && raw !== null && Number.isSafeInteger((raw as { id?: unknown }).id) && ((raw as { id: number }).id >= 1) ? (raw as { id: number }).id : null;
    const parsed = requestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.send(client, { id, ok: false, error: fail('bad-request', `The request is malformed: ${issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'unknown problem'}.`, 'リクエストの形式が正しくありません。', parsed.error.message).toError() });
      return;
    }
    const req = parsed.data;
    try {
      const result = await this.dispatch(client, req);
      this.send(client, { id: req.id, ok: true, result });
    } catch (e) {
      const failure = e instanceof HelperFailure ? e : fail('internal', 'The helper hit an internal error.', 'ヘルパーで内部エラーが発生しました。', e instanceof Error ? e.message : String(e));
      if (!(e instanceof HelperFailure)) this.options.log.message('error', 'server.requestFailed', { type: req.type, detail: failure.detail ?? '' }, null, client.peer.uid);
      this.send(client, { id: req.id, ok: false, error: failure.toError() });
    }
  }

  private async dispatch(client: Client, req: HelperRequest): Promise<unknown> {
    const { sessions, log } = this.options;
    const { uid } = client.peer;
    if (req.type === 'hello') {
      if (req.version !== HELPER_PROTOCOL_VERSION) {
        throw fail('version-mismatch', `This helper speaks protocol version ${HELPER_PROTOCOL_VERSION}, the client ${req.version}. Update Tsunagu so both match.`,
          `ヘルパーのプロトコルはバージョン ${HELPER_PROTOCOL_VERSION}、クライアントは ${req.version} です。両者が一致するよう Tsunagu を更新してください。`);
      }
      client.greeted = true;
      log.message('debug', 'server.clientConnected', { client: req.client, uid, pid: client.peer.pid }, null, uid);
      return { version: HELPER_PROTOCOL_VERSION, helper: HELPER_NAME, uid };
    }
    if (!client.greeted) throw fail('hello-required', "Say 'hello' with the protocol version first.", "最初にプロトコルバージョンを添えて 'hello' を送信してください。");
    switch (req.type) {
      case 'connect':
        // The schema admits exactly one of the two.
        if (req.provisioned !== undefined) return sessions.connectProvisioned(req.provisioned, req.options ?? {}, uid);
        if (!req.profile) throw fail('bad-request', 'Give a profile or a provisioned profile id.', 'プロファイルまたは配布プロファイルの ID を指定してください。');
        return sessions.connect(req.profile, req.options ?? {}, uid);
      case 'disconnect':
        if (!req.sessionId && !req.all) throw fail('bad-request', "Name a session to disconnect, or set 'all'.", "切断するセッションを指定するか、'all' を指定してください。");
        return sessions.disconnect({ sessionId: req.sessionId, all: req.all }, uid);
      case 'list':
        return { sessions: sessions.list(uid) };
      case 'subscribe':
        client.subscription = req.sessionId ?? null;
        client.logs = req.logs ?? false;
        return { sessions: sessions.list(uid) };
      case 'credentials':
        return sessions.provideCredentials(req.sessionId, req.credentials, uid);
      case 'log':
        return { lines: log.recent(req.lines ?? 200, uid, req.sessionId) };
      case 'policy': {
        const { values, sources } = this.options.policy?.() ?? resolvePolicy([]);
        return { values, sources };
      }
      case 'provisioned':
        return { profiles: this.options.provisioned?.() ?? [] };
      case 'firewall':
        return this.firewall().status(uid);
      case 'set-lockdown':
        return this.firewall().setLockdown(req.enabled, req.allowLan, uid);
      case 'unblock':
        return this.firewall().unblock(uid);
    }
  }

  private firewall(): FirewallController {
    const firewall = this.options.firewall;
    if (!firewall) throw fail('firewall-unavailable', 'This helper runs without its kill switch.', 'このヘルパーはキルスイッチなしで動作しています。');
    return firewall;
  }

  /** Pushes the firewall's state to every subscriber, each with its own view (another user's session stays hidden). */
  private announceFirewall(): void {
    const firewall = this.options.firewall;
    if (!firewall) return;
    const at = Date.now();
    for (const client of this.clients) if (client.subscription !== undefined) this.send(client, { event: 'firewall', status: firewall.status(client.peer.uid), at });
  }

  /** Tells every subscriber that the policy or the provisioned profiles changed (no content: each asks). */
  announcePolicyChange(): void {
    const event: HelperEvent = { event: 'policy-changed', at: Date.now() };
    for (const client of this.clients) if (client.subscription !== undefined) this.send(client, event);
  }

  /** Pushes an event to the subscribers that may see it: `owner` is the uid it concerns (null: the helper's own). */
  private broadcast(event: HelperEvent, owner: number | null): void {
    // Each subscriber gets its own view of the firewall: sent by the firewall's announcer, not here.
    if (event.event === 'policy-changed' || event.event === 'firewall') return;
    const sessionOf = event.event === 'log' ? event.line.sessionId : event.sessionId;
    for (const client of this.clients) {
      if (client.subscription === undefined) continue;
      if (client.subscription !== null && sessionOf !== client.subscription) continue;
      if (event.event === 'log' && !client.logs) continue;
      if (!mayRead({ uid: owner }, client.peer.uid)) continue;
      this.send(client, event);
    }
  }

  private send(client: Client, message: HelperResponse | HelperEvent): void {
    const { socket } = client;
    try {
      if (socket.destroyed || !socket.writable) return;
      if (socket.writableLength > MAX_PENDING_OUTPUT) {
        this.warn('slow', client.peer.uid, `dropping a client that stopped reading (uid ${client.peer.uid})`);
        socket.destroy();
        return;
      }
      socket.write(`${JSON.stringify(message)}\n`);
    } catch (e) {
      this.warn('send', client.peer.uid, `could not write to a client of uid ${client.peer.uid}: ${e instanceof Error ? e.message : String(e)}`);
      socket.destroy();
    }
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    for (const c of this.clients) c.socket.destroy();
    this.clients.clear();
    this.perUid.clear();
    this.bufferedTotal = 0;
    this.bufferedPerUid.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    // A socket systemd bound is systemd's: it listens on it again for the next start.
    if (!this.activated && existsSync(this.options.socketPath)) unlinkSync(this.options.socketPath);
  }
}
