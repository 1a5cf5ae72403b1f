/**
 * A client of the privileged helper, for the app's main process and the CLI (plain Node).
 * It authenticates the helper before trusting it (the socket must be owned by root), says hello
 * with the protocol version, matches responses to requests by id, and validates everything that
 * arrives against the shared schemas.
 */
import { lstatSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { LineFramer } from '../helper/framing.js';
import type * as protocolModule from '../../shared/ipc/helper-protocol.js';
import type { HelperError, HelperEvent, HelperRequest, HelperResult, RequestType } from '../../shared/ipc/helper-protocol.js';

/** The protocol's schemas (zod), loaded once there is a helper to talk to: `tsunagu status` without one answers sooner. */
type Protocol = typeof protocolModule;

export class HelperRequestError extends Error {
  constructor(readonly error: HelperError) {
    super(error.message.en);
  }
}

export class HelperUnavailableError extends Error {
  constructor(readonly code: 'not-running' | 'permission-denied' | 'untrusted-socket' | 'closed', message: string) {
    super(message);
  }
}

export type HelperPayload<T extends RequestType> = Omit<Extract<HelperRequest, { type: T }>, 'id' | 'type'>;

interface Pending {
  type: RequestType;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export interface HelperClientOptions {
  socketPath: string;
  clientName: string;
  /** Refuse a socket not owned by root (on by default; a test helper may run elsewhere). */
  requireRootOwner?: boolean;
  /** Give up (and close the socket) when hello is not answered in time; no limit by default. */
  helloTimeoutMs?: number;
}

export class HelperClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<(event: HelperEvent) => void>();
  private readonly closeListeners = new Set<() => void>();
  private closed = false;
  private unsolicitedError: HelperError | null = null;
  /** The caller's uid as the helper sees it (SO_PEERCRED). */
  helperUid = -1;
  /** The helper's name and version, from its hello. */
  helperName = '';

  private constructor(private readonly socket: Socket, private readonly protocol: Protocol) {
    const framer = new LineFramer(protocol.MAX_FRAME_BYTES);
    socket.on('data', (data: Buffer) => {
      for (const frame of framer.push(data)) if (frame.kind === 'line') this.onLine(frame.text);
    });
    socket.on('close', () => this.handleClose());
    socket.on('error', () => this.handleClose());
  }

  static async connect(options: HelperClientOptions): Promise<HelperClient> {
    const { socketPath } = options;
    let owner: number;
    try {
      const st = lstatSync(socketPath);
      if (!st.isSocket()) throw new HelperUnavailableError('untrusted-socket', `${socketPath} is not a socket.`);
      owner = st.uid;
    } catch (e) {
      if (e instanceof HelperUnavailableError) throw e;
      throw new HelperUnavailableError('not-running', `The Tsunagu helper is not running (no socket at ${socketPath}). Start it with "sudo npx tsunagu helper" or enable the tsunagu-helper service.`);
    }
    if ((options.requireRootOwner ?? true) && owner !== 0) {
      throw new HelperUnavailableError('untrusted-socket', `${socketPath} is not owned by root, so it cannot be the real Tsunagu helper; refusing to send it anything.`);
    }
    const protocol = await import('../../shared/ipc/helper-protocol.js');
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(socketPath);
      s.once('connect', () => resolve(s));
      s.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EACCES' || e.code === 'EPERM') {
          reject(new HelperUnavailableError('permission-denied', `This user may not use the Tsunagu helper (${socketPath}): ask an administrator to add you to the helper's group.`));
        } else {
          reject(new HelperUnavailableError('not-running', `The Tsunagu helper is not running (${e.code ?? e.message} on ${socketPath}). Start it with "sudo npx tsunagu helper".`));
        }
      });
    });
    const client = new HelperClient(socket, protocol);
    // Something that accepts connections but never answers is not a working helper.
    const timer = options.helloTimeoutMs === undefined ? null : setTimeout(() => {
      client.unsolicitedError = { code: 'no-answer', message: { en: 'The helper did not answer.', ja: 'ヘルパーが応答しませんでした。' } };
      client.close();
    }, options.helloTimeoutMs);
    try {
      const hello = await client.request('hello', { version: protocol.HELPER_PROTOCOL_VERSION, client: options.clientName });
      client.helperUid = hello.uid;
      client.helperName = hello.helper;
    } catch (e) {
      // A refused hello (version mismatch, not permitted) must not leave the socket open.
      client.close();
      if (e instanceof HelperRequestError && e.error.code === 'no-answer') throw new HelperUnavailableError('not-running', `The Tsunagu helper at ${socketPath} did not answer.`);
      throw e;
    } finally {
      if (timer) clearTimeout(timer);
    }
    return client;
  }

  request<T extends RequestType>(type: T, payload: HelperPayload<T>): Promise<HelperResult<T>> {
    if (this.closed) return Promise.reject(new HelperUnavailableError('closed', 'The connection to the helper is closed.'));
    const id = this.nextId++;
    return new Promise<HelperResult<T>>((resolve, reject) => {
      this.pending.set(id, { type, resolve: resolve as (value: unknown) => void, reject });
      this.socket.write(`${JSON.stringify({ id, type, ...payload })}\n`);
    });
  }

  onEvent(listener: (event: HelperEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onClosed(listener: () => void): void {
    this.closeListeners.add(listener);
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
    this.handleClose();
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    // An error without a request id (e.g. "not permitted" at accept) explains why it closed.
    const reason = this.unsolicitedError ? new HelperRequestError(this.unsolicitedError) : new HelperUnavailableError('closed', 'The helper closed the connection.');
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
    for (const l of this.closeListeners) l();
  }

  private onLine(text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof raw === 'object' && raw !== null && 'event' in raw) {
      const event = this.protocol.helperEvent.safeParse(raw);
      if (event.success) for (const l of this.eventListeners) l(event.data);
      return;
    }
    const parsed = this.protocol.response.safeParse(raw);
    if (!parsed.success) return;
    if (parsed.data.id === null) {
      if (!parsed.data.ok) this.unsolicitedError = parsed.data.error;
      return;
    }
    const pending = this.pending.get(parsed.data.id);
    if (!pending) return;
    this.pending.delete(parsed.data.id);
    if (!parsed.data.ok) {
      pending.reject(new HelperRequestError(parsed.data.error));
      return;
    }
    const result = this.protocol.results[pending.type].safeParse(parsed.data.result);
    if (result.success) pending.resolve(result.data);
    else pending.reject(new Error(`the helper sent a malformed '${pending.type}' result: ${result.error.message}`));
  }
}
