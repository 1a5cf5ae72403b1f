/**
 * The skeleton every driver shares, composed rather than inherited: what a tunnel reports and in
 * which order, whatever tool runs it. A driver keeps its protocol (processes, sockets, polling) and
 * hands the lifecycle its teardown; the lifecycle guarantees the order of states the session
 * manager and the user see.
 *
 * API (one DriverLifecycle per Driver instance):
 *
 *   const life = new DriverLifecycle<MyResidue>({
 *     events: context.events,            // DriverEvents: state() and message() are used
 *     log: (level, text) => …,           // the driver's own log (prefix, redaction)
 *     workDir: context.workDir,          // where residue.json lives
 *     teardown: () => this.tearDown(),   // removes everything; called exactly once
 *   });
 *
 *   life.begin(): boolean         In Driver.start(): false when it had already begun (the driver
 *                                 decides whether a second start() is ignored or an error).
 *   life.started / life.finished  finished: an error was reported, a stop began or the driver
 *                                 ended quietly. No state is reported after that but stop()'s last.
 *   life.active                   started && !finished: the tunnel may still change state.
 *   life.stopping                 stop() was called (an exit is then expected, not news).
 *   life.emit(state)              Reports a state unless finished. A state equal to the last one
 *                                 reported (a connected state compared without `since`) is dropped.
 *   life.fail(errorState): bool   First error wins: it is reported, logged (coded), the connect timer
 *                                 cleared and the teardown begun (nobody needs to await it:
 *                                 stop() does). A later or too-early error is only logged (debug)
 *                                 and false is returned.
 *   life.endQuietly()             Finished without a state of its own: the session manager has
 *                                 already reported it (route conflict), or start() rejects with
 *                                 the reason (a refused config, a tool that cannot run).
 *   life.teardown(): Promise      Begins the driver's teardown once (the connect timer cleared
 *                                 first); every later call returns the same promise. A rejection
 *                                 is not left unhandled when nobody awaits it.
 *   life.stop(reason): Promise    The body of Driver.stop(), memoised:
 *                                 - before begin(): nothing runs, nothing is reported;
 *                                 - after an error or a quiet end: the teardown only (the error
 *                                   stays the session's last word);
 *                                 - otherwise: 'disconnecting' → teardown → 'disconnected' {reason}
 *                                   (reported also when the teardown rejected; stop() then rejects
 *                                   with the teardown's error, which the manager logs).
 *   life.startConnectTimer(ms, timedOut)   From start until connected; when it fires while still
 *                                 active, fail(timedOut()) (timedOut may log the last activity).
 *                                 connectTimeoutState(ms, detail) is the default error, code
 *                                 'connect-timeout'.
 *   life.pauseConnectTimer() / resumeConnectTimer()   While the user is asked for credentials
 *                                 (typing time does not count).
 *   life.clearConnectTimer()      Connected: the timer is done for good.
 *   life.residue                  ResidueFile<R>, this session's <workDir>/residue.json (its
 *                                 kind's record, read by crash cleanup through the registry):
 *                                 save(r) background + coalesced (only the newest waiting record
 *                                 is written, starting on the next turn); flush() resolves once
 *                                 what was saved is on disk; saveNow(r) synchronous, for a record
 *                                 that must exist before the next step runs (before a tool that
 *                                 creates things starts); close() flushes and ignores later saves;
 *                                 remove() deletes the record (nothing is left). Every write is a
 *                                 whole file renamed into place: a crash never leaves a torn record.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { helperMessages, localizedParams, renderHelperMessage, type HelperMessageCode, type HelperMessageParams, type HelperParamValue } from '../../../shared/i18n/helper-messages.js';
import type { Localized, LogLine, TunnelState } from '../../../shared/ipc/helper-protocol.js';
import type { DriverEvents, ResidueRecord } from './driver.js';

export type ErrorState = Extract<TunnelState, { status: 'error' }>;

export type LogFn = (level: LogLine['level'], text: string) => void;

/** The file name of a session's residue record, inside its work directory. */
export const RESIDUE_FILE = 'residue.json';

/**
 * Sends one of the helper's own lines from a driver: coded where the events take codes (the
 * session manager's always do), else its English through the driver's log. `scrub` is the
 * driver's own redaction, applied to each text parameter (a tool's words may be among them).
 */
export function driverMessage<C extends HelperMessageCode>(
  events: Pick<DriverEvents, 'message'>,
  log: LogFn,
  level: LogLine['level'],
  code: C,
  params: HelperMessageParams<C>,
  scrub: (text: string) => string = (text) => text,
): void {
  const scrubbed: Record<string, HelperParamValue> = {};
  for (const [name, value] of Object.entries<HelperParamValue>(params)) scrubbed[name] = typeof value === 'string' ? scrub(value) : value;
  // The same names as `params`, each value of the same kind: still the parameters of `code`.
  if (events.message) events.message(level, code, scrubbed as HelperMessageParams<C>);
  else log(level, renderHelperMessage('en', code, scrubbed) ?? helperMessages[code].en);
}

export interface LifecycleOptions {
  events: Pick<DriverEvents, 'state' | 'message'>;
  log: LogFn;
  workDir: string;
  teardown: () => Promise<void>;
}

/** The connect timeout's error for kinds that have no more specific one. */
export function connectTimeoutState(timeoutMs: number, detail: string | null): ErrorState {
  const s = Math.round(timeoutMs / 1000);
  const message: Localized = {
    en: `No connection after ${s} seconds. The server may be unreachable or may not accept this profile's settings.`,
    ja: `${s} 秒経っても接続できませんでした。サーバーに到達できないか、サーバーがこのプロファイルの設定を受け入れていない可能性があります。`,
  };
  return detail === null ? { status: 'error', code: 'connect-timeout', message } : { status: 'error', code: 'connect-timeout', message, detail };
}

/** A one-shot timeout that can be paused (time spent paused does not count) and resumed. */
export class PausableTimeout {
  private timer: NodeJS.Timeout | null = null;
  private remainingMs = 0;
  private startedAt = 0;
  private fn: (() => void) | null = null;

  start(ms: number, fn: () => void): void {
    this.clear();
    this.fn = fn;
    this.remainingMs = ms;
    this.resume();
  }

  pause(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.remainingMs = Math.max(0, this.remainingMs - (Date.now() - this.startedAt));
  }

  resume(): void {
    const fn = this.fn;
    if (this.timer || !fn) return;
    this.startedAt = Date.now();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fn = null;
      fn();
    }, this.remainingMs);
  }

  /** Cancels it for good (resume() then does nothing). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.fn = null;
  }

  get active(): boolean {
    return this.fn !== null;
  }
}

/**
 * A session's residue record on disk. Background writes keep the helper from blocking on a
 * replacing rename, which can make the file system flush (ext4 does, on purpose) and would stall
 * every session's events while a tunnel comes up; a write starts on the next turn so that a burst
 * of changes (openvpn logs its routes in one) costs one write.
 */
export class ResidueFile<R extends ResidueRecord> {
  private next: R | null = null;
  private writing: Promise<void> | null = null;
  private scheduled: NodeJS.Immediate | null = null;
  private closed = false;
  readonly path: string;

  constructor(
    workDir: string,
    private readonly onError: (message: string) => void,
  ) {
    this.path = join(workDir, RESIDUE_FILE);
  }

  save(residue: R): void {
    if (this.closed) return;
    this.next = residue;
    if (this.writing === null) this.scheduled ??= setImmediate(() => this.start());
  }

  /** Written before this returns (a record that must exist before the next step runs). */
  saveNow(residue: R): void {
    if (this.closed) return;
    // A background write still to come would be older than this one.
    this.next = null;
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
    const tmp = `${this.path}.now.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify(residue)}\n`, { mode: 0o600 });
      renameSync(tmp, this.path);
    } catch (e) {
      this.onError((e as Error).message);
    }
  }

  flush(): Promise<void> {
    this.start();
    return this.writing ?? Promise.resolve();
  }

  /** Writes what was saved, then ignores later saves (the session is being removed). */
  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }

  /** Nothing is left on the system: the record goes (after any write under way). */
  async remove(): Promise<void> {
    await this.close();
    rmSync(this.path, { force: true });
  }

  private start(): void {
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
    if (this.next !== null) this.writing ??= this.drain();
  }

  private async drain(): Promise<void> {
    const tmp = `${this.path}.tmp`;
    for (let r = this.next; r !== null; r = this.next) {
      this.next = null;
      try {
        await writeFile(tmp, `${JSON.stringify(r)}\n`, { mode: 0o600 });
        await rename(tmp, this.path);
      } catch (e) {
        this.onError((e as Error).message);
      }
    }
    this.writing = null;
  }
}

export class DriverLifecycle<R extends ResidueRecord> {
  readonly residue: ResidueFile<R>;
  private begun = false;
  private done = false;
  private lastKey = '';
  private teardownPromise: Promise<void> | null = null;
  private stopPromise: Promise<void> | null = null;
  private readonly connectTimer = new PausableTimeout();

  constructor(private readonly options: LifecycleOptions) {
    this.residue = new ResidueFile<R>(options.workDir, (error) => this.message('warn', 'driver.residueWriteFailed', { error }));
  }

  begin(): boolean {
    if (this.begun || this.done) return false;
    this.begun = true;
    return true;
  }

  get started(): boolean {
    return this.begun;
  }

  get finished(): boolean {
    return this.done;
  }

  get active(): boolean {
    return this.begun && !this.done;
  }

  /** stop() was called. */
  get stopping(): boolean {
    return this.stopPromise !== null;
  }

  emit(state: TunnelState): void {
    if (this.done) return;
    // `since` changes on every call: compare connected states without it.
    const key = JSON.stringify(state.status === 'connected' ? { ...state, since: 0 } : state);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.options.events.state(state);
  }

  fail(state: ErrorState): boolean {
    if (!this.active) {
      this.message('debug', 'driver.failedAfterEnd', { code: state.code, ...localizedParams('message', state.message) });
      return false;
    }
    this.emit(state);
    this.done = true;
    this.message('error', 'driver.failed', { code: state.code, ...localizedParams('message', state.message) });
    void this.teardown();
    return true;
  }

  private message<C extends HelperMessageCode>(level: LogLine['level'], code: C, params: HelperMessageParams<C>): void {
    driverMessage(this.options.events, this.options.log, level, code, params);
  }

  endQuietly(): void {
    this.done = true;
  }

  teardown(): Promise<void> {
    if (this.teardownPromise === null) {
      this.connectTimer.clear();
      this.teardownPromise = this.options.teardown();
      // fail() starts a teardown nobody awaits until stop(); keep its rejection from going unhandled.
      this.teardownPromise.catch(() => undefined);
    }
    return this.teardownPromise;
  }

  stop(reason: string): Promise<void> {
    this.stopPromise ??= this.runStop(reason);
    return this.stopPromise;
  }

  private async runStop(reason: string): Promise<void> {
    if (!this.begun) {
      this.done = true;
      return;
    }
    if (this.done) return this.teardown();
    // A stop before any error: the user sees disconnecting → disconnected.
    this.emit({ status: 'disconnecting' });
    this.done = true;
    try {
      await this.teardown();
    } finally {
      this.options.events.state({ status: 'disconnected', reason });
    }
  }

  startConnectTimer(ms: number, timedOut: () => ErrorState): void {
    if (!this.active) return;
    this.connectTimer.start(ms, () => {
      if (this.active) this.fail(timedOut());
    });
  }

  pauseConnectTimer(): void {
    this.connectTimer.pause();
  }

  resumeConnectTimer(): void {
    this.connectTimer.resume();
  }

  clearConnectTimer(): void {
    this.connectTimer.clear();
  }
}
