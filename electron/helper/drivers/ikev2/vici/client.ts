/**
 * A VICI connection to charon over its Unix socket.
 *
 * VICI has no request ids: a reply is matched to a request only by order, so one operation runs
 * at a time per connection and the rest wait in a queue (bounded: MAX_QUEUED). An operation is a
 * short exchange of packets: a command (CMD_REQUEST → CMD_RESPONSE | CMD_UNKNOWN), optionally
 * wrapped in EVENT_REGISTER/EVENT_UNREGISTER of the event it streams (initiate → control-log,
 * list-sas → list-sa), or an event registration on its own (listen).
 *
 * Once the stream is out of step nothing later can be trusted, so these close the connection and
 * reject everything pending: a timeout (a late reply would be taken for the next request's), a
 * reply nobody asked for, any malformed byte (ViciCodecError), the peer closing or a socket error.
 * Callers then open a new connection. A reply with `success = no` is an ordinary result here.
 */
import { createConnection, type Socket } from 'node:net';
import { PACKET, PacketReader, ViciCodecError, encodePacket, packetTypeName, type ViciPacket, type ViciSection } from './codec.js';

export type ViciClientErrorCode =
  /** The socket could not be reached (missing, refused, permission) or did not connect in time. */
  | 'vici-connect-failed'
  /** No complete reply within the operation's time; the connection has been closed. */
  | 'vici-timeout'
  /** The connection is closed (by close(), by charon, or after another error). */
  | 'vici-closed'
  /** charon sent something malformed or out of order; the connection has been closed. */
  | 'vici-protocol'
  /** charon has no such command (CMD_UNKNOWN). */
  | 'vici-unknown-command'
  /** charon has no such event source (EVENT_UNKNOWN). */
  | 'vici-unknown-event'
  /** Too many operations already waiting on this connection. */
  | 'vici-busy';

export class ViciClientError extends Error {
  constructor(
    readonly code: ViciClientErrorCode,
    detail: string,
    /** The command or event the operation was about, when there was one. */
    readonly operation?: string,
    override readonly cause?: unknown,
  ) {
    super(operation ? `${operation}: ${detail}` : detail);
    this.name = 'ViciClientError';
  }
}

export interface ViciConnectOptions {
  /** Time to connect, and the default time for each operation. */
  timeoutMs: number;
  /** Default time for each operation, when it should differ from timeoutMs. */
  requestTimeoutMs?: number;
  /** Diagnostics that are not errors of any operation (stray events, throwing callbacks). */
  log?: (text: string) => void;
}

export interface ViciRequestOptions {
  /** The event the command streams (e.g. 'control-log' for initiate, 'list-sa' for list-sas). */
  stream?: string;
  /** Each streamed event's message, while the command runs. */
  onEvent?: (msg: ViciSection) => void;
  /** Time for the whole exchange (registration, command, deregistration). */
  timeoutMs?: number;
}

export type ViciEventHandler = (name: string, msg: ViciSection) => void;

/** Operations that may wait behind the running one; more are refused with 'vici-busy'. */
export const MAX_QUEUED = 64;
/** Unix socket paths longer than this do not fit in sockaddr_un (108 bytes with the NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

type Step = { kind: 'register'; name: string } | { kind: 'command' } | { kind: 'unregister'; name: string };

interface Operation {
  label: string;
  steps: Step[];
  index: number;
  timeoutMs: number;
  command?: { name: string; message: ViciSection };
  stream?: string;
  onEvent?: (msg: ViciSection) => void;
  /** Called for each registration charon confirms (listen). */
  onConfirmed?: (name: string) => void;
  /** A command's reply, or the error to reject with once deregistration is done. */
  outcome: { ok: true; value: ViciSection } | { ok: false; error: ViciClientError } | null;
  resolve(value: ViciSection): void;
  reject(error: ViciClientError): void;
  timer: NodeJS.Timeout | null;
}

export class ViciClient {
  private readonly reader = new PacketReader();
  private readonly queue: Operation[] = [];
  private current: Operation | null = null;
  private readonly listeners = new Map<string, ViciEventHandler[]>();
  private readonly closeHandlers: ((reason: ViciClientError) => void)[] = [];
  private closedBy: ViciClientError | null = null;
  /** A socket error, reported when the socket then closes. */
  private socketError: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly opts: ViciConnectOptions,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => {
      this.socketError = e;
    });
    socket.on('close', () => {
      const detail = this.socketError ? `socket error: ${this.socketError.message}` : 'charon closed the connection';
      const pending = this.reader.pendingBytes > 0 ? ` (${this.reader.pendingBytes} bytes of an unfinished packet were dropped)` : '';
      this.shutdown('vici-closed', detail + pending, this.socketError ?? undefined);
    });
  }

  static connect(socketPath: string, opts: ViciConnectOptions): Promise<ViciClient> {
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
      return Promise.reject(new ViciClientError('vici-connect-failed', `socket path too long: ${socketPath}`));
    }
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketPath);
      const fail = (detail: string, cause?: unknown) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new ViciClientError('vici-connect-failed', `${socketPath}: ${detail}`, undefined, cause));
      };
      const timer = setTimeout(() => fail(`no connection within ${opts.timeoutMs} ms`), opts.timeoutMs);
      socket.once('error', (e) => fail(e.message, e));
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ViciClient(socket, opts));
      });
    });
  }

  get isClosed(): boolean {
    return this.closedBy !== null;
  }

  /** Called once when the connection ends for any reason (at once if it already has). */
  onClose(handler: (reason: ViciClientError) => void): void {
    if (this.closedBy) handler(this.closedBy);
    else this.closeHandlers.push(handler);
  }

  /**
   * Runs a command; resolves with charon's reply (including `success = no` replies). With
   * `stream`, registers for that event first (unless listen() already did), hands each such event
   * to `onEvent` while the command runs, and deregisters after the reply.
   */
  request(command: string, message: ViciSection = {}, opts: ViciRequestOptions = {}): Promise<ViciSection> {
    const stream = opts.stream;
    const steps: Step[] =
      stream === undefined
        ? [{ kind: 'command' }]
        : [{ kind: 'register', name: stream }, { kind: 'command' }, { kind: 'unregister', name: stream }];
    return this.enqueue({
      label: command,
      steps,
      command: { name: command, message },
      ...(stream !== undefined ? { stream } : {}),
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      timeoutMs: opts.timeoutMs ?? this.defaultTimeout,
    });
  }

  /**
   * Registers for events (e.g. 'ike-updown', 'child-updown'); `onEvent` gets each one until the
   * connection closes (with several handlers for a name, each gets it). Rejects with
   * 'vici-unknown-event' at the first name charon does not know (names confirmed before it stay
   * registered).
   */
  async listen(events: string[], onEvent: ViciEventHandler): Promise<void> {
    await this.enqueue({
      label: `listen ${events.join(', ')}`,
      // Resolved when the operation runs: names already registered by then only gain a handler.
      steps: [...new Set(events)].map((name) => ({ kind: 'register', name })),
      timeoutMs: this.defaultTimeout,
      onConfirmed: (name) => this.listeners.set(name, [...(this.listeners.get(name) ?? []), onEvent]),
    });
  }

  /** Closes the connection; pending operations reject with 'vici-closed'. */
  close(): void {
    this.shutdown('vici-closed', 'connection closed by the client');
  }

  // ---------- internals ----------

  private get defaultTimeout(): number {
    return this.opts.requestTimeoutMs ?? this.opts.timeoutMs;
  }

  private enqueue(spec: Omit<Operation, 'index' | 'outcome' | 'resolve' | 'reject' | 'timer'>): Promise<ViciSection> {
    if (this.closedBy) return Promise.reject(new ViciClientError('vici-closed', this.closedBy.message, spec.label));
    if (this.queue.length >= MAX_QUEUED) {
      return Promise.reject(new ViciClientError('vici-busy', `${MAX_QUEUED} operations already waiting`, spec.label));
    }
    return new Promise<ViciSection>((resolve, reject) => {
      this.queue.push({ ...spec, index: 0, outcome: null, resolve, reject, timer: null });
      this.next();
    });
  }

  private next(): void {
    if (this.current || this.closedBy) return;
    const op = this.queue.shift();
    if (!op) return;
    this.current = op;
    // When listen() has registered the stream's event on this connection, registering again and
    // deregistering afterwards would end that listener's subscription: use the one in place.
    if (op.stream !== undefined && this.listeners.has(op.stream)) op.steps = op.steps.filter((s) => s.kind === 'command');
    // A listen() for names registered meanwhile: add the handler, register only the others.
    if (op.onConfirmed) {
      const confirmed = op.onConfirmed;
      op.steps = op.steps.filter((s) => {
        if (s.kind !== 'register' || !this.listeners.has(s.name)) return true;
        confirmed(s.name);
        return false;
      });
    }
    op.timer = setTimeout(() => {
      this.shutdown('vici-timeout', `no reply within ${op.timeoutMs} ms`);
    }, op.timeoutMs);
    this.sendStep(op);
  }

  private sendStep(op: Operation): void {
    const step = op.steps[op.index];
    if (!step) return this.finish(op);
    let packet: ViciPacket;
    if (step.kind === 'register') packet = { type: PACKET.EVENT_REGISTER, name: step.name };
    else if (step.kind === 'unregister') packet = { type: PACKET.EVENT_UNREGISTER, name: step.name };
    else if (op.command) packet = { type: PACKET.CMD_REQUEST, name: op.command.name, message: op.command.message };
    else return this.finish(op);
    let frame: Uint8Array;
    try {
      frame = encodePacket(packet);
    } catch (e) {
      // Nothing was sent, so the connection is still in step: only this operation fails.
      const detail = e instanceof ViciCodecError ? e.message : String(e);
      op.outcome = { ok: false, error: new ViciClientError('vici-protocol', `request not encodable: ${detail}`, op.label, e) };
      return this.advanceTo(op, step.kind === 'command' ? op.index + 1 : op.steps.length);
    }
    this.socket.write(frame);
  }

  /** Moves to step `index` (or finishes when there is none). */
  private advanceTo(op: Operation, index: number): void {
    op.index = index;
    if (index >= op.steps.length) this.finish(op);
    else this.sendStep(op);
  }

  private finish(op: Operation): void {
    if (op.timer) clearTimeout(op.timer);
    this.current = null;
    const outcome = op.outcome;
    if (outcome && !outcome.ok) op.reject(outcome.error);
    else op.resolve(outcome ? outcome.value : {});
    this.next();
  }

  private onData(chunk: Buffer): void {
    if (this.closedBy) return;
    let packets: ViciPacket[];
    try {
      packets = this.reader.push(chunk);
    } catch (e) {
      const detail = e instanceof ViciCodecError ? e.message : String(e);
      this.shutdown('vici-protocol', `malformed data from charon: ${detail}`, e);
      return;
    }
    for (const p of packets) {
      if (this.closedBy) return;
      this.onPacket(p);
    }
  }

  private onPacket(p: ViciPacket): void {
    if (p.type === PACKET.EVENT) return this.onEvent(p.name ?? '', p.message ?? {});
    const op = this.current;
    const step = op?.steps[op.index];
    const unexpected = () =>
      this.shutdown('vici-protocol', `unexpected ${packetTypeName(p.type)}${step ? ` while waiting for the reply to ${step.kind}` : ' with no request pending'}`);
    if (!op || !step) return unexpected();
    switch (step.kind) {
      case 'command':
        if (p.type === PACKET.CMD_RESPONSE) {
          op.outcome = { ok: true, value: p.message ?? {} };
        } else if (p.type === PACKET.CMD_UNKNOWN) {
          op.outcome = { ok: false, error: new ViciClientError('vici-unknown-command', 'charon does not know this command', op.label) };
        } else {
          return unexpected();
        }
        return this.advanceTo(op, op.index + 1);
      case 'register':
        if (p.type === PACKET.EVENT_CONFIRM) {
          op.onConfirmed?.(step.name);
          return this.advanceTo(op, op.index + 1);
        }
        if (p.type === PACKET.EVENT_UNKNOWN) {
          // Nothing registered for this step, so there is nothing to deregister: stop here.
          op.outcome = { ok: false, error: new ViciClientError('vici-unknown-event', `charon has no event "${step.name}"`, op.label) };
          return this.advanceTo(op, op.steps.length);
        }
        return unexpected();
      case 'unregister':
        if (p.type === PACKET.EVENT_CONFIRM || p.type === PACKET.EVENT_UNKNOWN) return this.advanceTo(op, op.index + 1);
        return unexpected();
    }
  }

  private onEvent(name: string, msg: ViciSection): void {
    const op = this.current;
    let delivered = false;
    if (op && op.stream === name) {
      delivered = true;
      const handler = op.onEvent;
      if (handler) this.callSafely(() => handler(msg), `stream handler of ${op.label}`);
    }
    for (const listener of this.listeners.get(name) ?? []) {
      delivered = true;
      this.callSafely(() => listener(name, msg), `listener of ${name}`);
    }
    if (!delivered) this.opts.log?.(`VICI event "${name}" with no receiver ignored`);
  }

  /** A throwing callback must not break the protocol state (or the helper). */
  private callSafely(fn: () => void, what: string): void {
    try {
      fn();
    } catch (e) {
      this.opts.log?.(`VICI ${what} threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Ends the connection once. The running operation rejects with `code`; queued ones, which never
   * reached charon, with 'vici-closed'; then the onClose handlers run.
   */
  private shutdown(code: ViciClientErrorCode, detail: string, cause?: unknown): void {
    if (this.closedBy) return;
    const reason = new ViciClientError(code, detail, this.current?.label, cause);
    this.closedBy = reason;
    this.socket.destroy();
    const running = this.current;
    this.current = null;
    if (running) {
      if (running.timer) clearTimeout(running.timer);
      running.reject(reason);
    }
    for (const op of this.queue.splice(0)) op.reject(new ViciClientError('vici-closed', `connection ended before it ran: ${detail}`, op.label, reason));
    this.listeners.clear();
    for (const h of this.closeHandlers.splice(0)) this.callSafely(() => h(reason), 'close handler');
  }
}
