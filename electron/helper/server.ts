/**
 * The helper's socket server. A Unix socket owned by root and the helper's group, mode 0660: the
 * kernel refuses everyone else at connect(). Each caller's uid (SO_PEERCRED) is checked again,
 * recorded with its sessions and log lines, and every frame is validated against the shared
 * schemas. Malformed input gets an error reply; the connection and the helper live on.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import {
  HELPER_PROTOCOL_VERSION,
  MAX_FRAME_BYTES,
  request as requestSchema,
  type HelperEvent,
  type HelperRequest,
  type HelperResponse,
} from '../../shared/ipc/helper-protocol.js';
import { HelperFailure } from './failure.js';
import { LineFramer } from './framing.js';
import type { HelperLog } from './log.js';
import { findGroup, mayUseHelper, peerOf, type GroupInfo, type PeerCredentials } from './peer.js';
import type { SessionManager } from './sessions.js';

export const HELPER_NAME = 'tsunagu-helper 0.1.0';
/** A client that stops reading is dropped once this much output is waiting for it. */
const MAX_PENDING_OUTPUT = 16 * 1024 * 1024;

export interface HelperServerOptions {
  socketPath: string;
  group: string;
  sessions: SessionManager;
  log: HelperLog;
}

interface Client {
  socket: Socket;
  peer: PeerCredentials;
  greeted: boolean;
  /** Subscribed to all sessions (null) or one; undefined when not subscribed. */
  subscription: string | null | undefined;
  /** Wants log lines pushed too. */
  logs: boolean;
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
  private group: GroupInfo | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly options: HelperServerOptions) {}

  async listen(): Promise<void> {
    const { socketPath, group: groupName } = this.options;
    const group = findGroup(groupName);
    if (!group) throw new Error(`the group '${groupName}' does not exist; create it (groupadd ${groupName}) and add the users who may use the VPN, or pass --group`);
    this.group = group;
    mkdirSync(dirname(socketPath), { recursive: true, mode: 0o755 });
    await clearStaleSocket(socketPath);
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Permissions first, then announce: between listen() and chmod nobody but root can connect,
    // because the socket is created with the helper's umask (set to 0o077 by the CLI).
    chownSync(socketPath, 0, group.gid);
    chmodSync(socketPath, 0o660);
    this.server = server;
    this.unsubscribe = this.options.sessions.onEvent((event) => this.broadcast(event));
    const logUnsub = this.options.log.subscribe((line) => this.broadcast({ event: 'log', line }));
    const sessionsUnsub = this.unsubscribe;
    this.unsubscribe = () => {
      sessionsUnsub();
      logUnsub();
    };
    this.options.log.add('info', `${HELPER_NAME} listening on ${socketPath} (root and group '${group.name}')`);
  }

  private accept(socket: Socket): void {
    let peer: PeerCredentials;
    try {
      peer = peerOf(socket);
    } catch (e) {
      this.options.log.add('error', `could not identify a client: ${(e as Error).message}`);
      socket.destroy();
      return;
    }
    if (!this.group || !mayUseHelper(peer, this.group)) {
      this.options.log.add('warn', `refused uid ${peer.uid} (pid ${peer.pid}): not root and not in group '${this.options.group}'`, null, peer.uid);
      this.send({ socket, peer, greeted: false, subscription: undefined, logs: false }, {
        id: null,
        ok: false,
        error: fail('not-permitted', `This user may not use the VPN helper. Ask an administrator to add you to the group '${this.options.group}'.`,
          `このユーザーは VPN ヘルパーを使用できません。管理者にグループ '${this.options.group}' への追加を依頼してください。`).toError(),
      });
      socket.end();
      return;
    }
    const client: Client = { socket, peer, greeted: false, subscription: undefined, logs: false };
    this.clients.add(client);
    const framer = new LineFramer(MAX_FRAME_BYTES);
    socket.on('data', (data: Buffer) => {
      for (const frame of framer.push(data)) {
        if (frame.kind === 'oversize') {
          this.send(client, { id: null, ok: false, error: fail('frame-too-large', `A message of ${frame.bytes} bytes exceeds the limit of ${MAX_FRAME_BYTES} bytes.`, `メッセージ (${frame.bytes} バイト) が上限 ${MAX_FRAME_BYTES} バイトを超えています。`).toError() });
        } else {
          void this.handleLine(client, frame.text);
        }
      }
    });
    // A client going away (crash, closed window) never affects the tunnels it started.
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', () => this.clients.delete(client));
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
      this.send(client, { id, ok: false, error: fail('bad-request', `The request is malformed: ${issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'unknown problem'}.`, 'リクエストの形式が正しくありません。', parsed.error.message.slice(0, 2000)).toError() });
      return;
    }
    const req = parsed.data;
    try {
      const result = await this.dispatch(client, req);
      this.send(client, { id: req.id, ok: true, result });
    } catch (e) {
      const failure = e instanceof HelperFailure ? e : fail('internal', 'The helper hit an internal error.', 'ヘルパーで内部エラーが発生しました。', e instanceof Error ? e.message : String(e));
      if (!(e instanceof HelperFailure)) this.options.log.add('error', `request ${req.type} failed: ${failure.detail ?? ''}`, null, client.peer.uid);
      this.send(client, { id: req.id, ok: false, error: failure.toError() });
    }
  }

  private async dispatch(client: Client, req: HelperRequest): Promise<unknown> {
    const { sessions, log } = this.options;
    if (req.type === 'hello') {
      if (req.version !== HELPER_PROTOCOL_VERSION) {
        throw fail('version-mismatch', `This helper speaks protocol version ${HELPER_PROTOCOL_VERSION}, the client ${req.version}. Update Tsunagu so both match.`,
          `ヘルパーのプロトコルはバージョン ${HELPER_PROTOCOL_VERSION}、クライアントは ${req.version} です。両者が一致するよう Tsunagu を更新してください。`);
      }
      client.greeted = true;
      log.add('debug', `client '${req.client}' connected (uid ${client.peer.uid}, pid ${client.peer.pid})`, null, client.peer.uid);
      return { version: HELPER_PROTOCOL_VERSION, helper: HELPER_NAME, uid: client.peer.uid };
    }
    if (!client.greeted) throw fail('hello-required', "Say 'hello' with the protocol version first.", "最初にプロトコルバージョンを添えて 'hello' を送信してください。");
    switch (req.type) {
      case 'connect':
        return sessions.connect(req.profile, req.options ?? {}, client.peer.uid);
      case 'disconnect':
        if (!req.sessionId && !req.all) throw fail('bad-request', "Name a session to disconnect, or set 'all'.", "切断するセッションを指定するか、'all' を指定してください。");
        return sessions.disconnect({ sessionId: req.sessionId, all: req.all }, client.peer.uid);
      case 'list':
        return { sessions: sessions.list() };
      case 'subscribe':
        client.subscription = req.sessionId ?? null;
        client.logs = req.logs ?? false;
        return { sessions: sessions.list() };
      case 'credentials':
        return sessions.provideCredentials(req.sessionId, req.credentials, client.peer.uid);
      case 'log':
        return { lines: log.recent(req.lines ?? 200, req.sessionId) };
    }
  }

  private broadcast(event: HelperEvent): void {
    const sessionOf = event.event === 'log' ? event.line.sessionId : event.sessionId;
    for (const client of this.clients) {
      if (client.subscription === undefined) continue;
      if (client.subscription !== null && sessionOf !== client.subscription) continue;
      if (event.event === 'log' && !client.logs) continue;
      // Log lines of other users' sessions are not theirs to read.
      if (event.event === 'log' && client.peer.uid !== 0 && event.line.uid !== null && event.line.uid !== client.peer.uid) continue;
      this.send(client, event);
    }
  }

  private send(client: Client, message: HelperResponse | HelperEvent): void {
    const { socket } = client;
    if (socket.destroyed || !socket.writable) return;
    if (socket.writableLength > MAX_PENDING_OUTPUT) {
      this.options.log.add('warn', `dropping a client that stopped reading (uid ${client.peer.uid})`, null, client.peer.uid);
      socket.destroy();
      this.clients.delete(client);
      return;
    }
    socket.write(`${JSON.stringify(message)}\n`);
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    for (const c of this.clients) c.socket.destroy();
    this.clients.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (existsSync(this.options.socketPath)) unlinkSync(this.options.socketPath);
  }
}
