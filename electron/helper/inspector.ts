/**
 * Profile inspection off the event loop. The helper inspects every profile it is sent, and the
 * engine's time grows with the text (a 2 MiB junk profile took a second and stalled every other
 * caller). Here it runs in worker threads kept warm from start-up (a message round trip, well under
 * a millisecond, instead of a thread start per connect), each job with a time limit: a worker that
 * overruns it is terminated and replaced, and the profile refused.
 *
 * Two workers at most: one caller's slow profile leaves the other free for everyone else.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { InspectResult } from '../../shared/profiles/inspect.js';
import type { ProfileKind } from '../../shared/profiles/kinds.js';
import type { ProfilePolicy } from '../../shared/profiles/policy.js';
import { HelperFailure } from './failure.js';

export interface InspectionJob {
  id: number;
  kind: ProfileKind;
  text: string;
  name: string;
  policy: ProfilePolicy;
}

/** A verdict from the worker: `errors` holds the first few, `errorCount` how many there were. */
export type InspectionReply =
  | { id: number; ok: true; result: InspectResult; errorCount: number }
  | { id: number; ok: false; message: string };

/** What the worker posts once its engine is loaded: the time limit runs from then on only. */
export const WORKER_READY = 'ready';

export interface Inspected {
  result: InspectResult;
  errorCount: number;
}

interface Pending {
  job: InspectionJob;
  resolve: (value: Inspected) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Loaded (WORKER_READY received): jobs go only to ready workers. */
  ready: boolean;
  job: Pending | null;
  timer: NodeJS.Timeout | null;
}

const require = createRequire(import.meta.url);

/**
 * The bundled CLI carries the worker as inspection-worker.mjs beside itself; from source (tsx,
 * vitest) the worker loads its TypeScript through tsx's loader, registered in the new thread.
 */
function spawnWorker(): Worker {
  const bundled = join(import.meta.dirname, 'inspection-worker.mjs');
  if (existsSync(bundled)) return new Worker(bundled);
  // tsx's ESM entry of its API (its CommonJS one cannot be imported from an eval'd worker).
  const tsx = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const source = pathToFileURL(join(import.meta.dirname, 'inspection-worker.ts')).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`, { eval: true });
}

export class Inspector {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly policy: ProfilePolicy,
    private readonly timeoutMs: number,
    private readonly maxWorkers = 2,
    /** Starts one worker thread (tests give one whose behaviour they choose). */
    private readonly startWorker: () => Worker = spawnWorker,
  ) {
    this.addSlot();
  }

  /** `policy`: the one in force now (the administrator's may change while the helper runs). */
  inspect(profile: { kind: ProfileKind; text: string; name: string }, policy: ProfilePolicy = this.policy): Promise<Inspected> {
    if (this.closed) return Promise.reject(new Error('the inspector is closed'));
    return new Promise<Inspected>((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, ...profile, policy }, resolve, reject });
      this.dispatch();
    });
  }

  private addSlot(): Slot {
    const slot: Slot = { worker: this.startWorker(), ready: false, job: null, timer: null };
    // Idle workers do not keep the process alive; a running job's timer does.
    slot.worker.unref();
    slot.worker.on('message', (reply: InspectionReply | typeof WORKER_READY) => {
      if (reply !== WORKER_READY) {
        this.onReply(slot, reply);
        return;
      }
      slot.ready = true;
      this.dispatch();
    });
    slot.worker.on('error', (e) => this.replace(slot, new Error(`the inspection worker failed: ${e.message}`)));
    slot.worker.on('exit', () => this.replace(slot, new Error('the inspection worker exited')));
    this.slots.push(slot);
    return slot;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.ready && s.job === null);
      if (!slot) {
        // All busy (or still loading): one more worker, which takes the job once it is ready.
        if (this.slots.every((s) => s.job !== null) && this.slots.length < this.maxWorkers) this.addSlot();
        return;
      }
      const pending = this.queue.shift();
      if (!pending) return;
      slot.job = pending;
      slot.timer = setTimeout(() => this.timeOut(slot), this.timeoutMs);
      slot.worker.postMessage(pending.job);
    }
  }

  private onReply(slot: Slot, reply: InspectionReply): void {
    const pending = slot.job;
    if (!pending || pending.job.id !== reply.id) return;
    this.settle(slot);
    if (reply.ok) pending.resolve({ result: reply.result, errorCount: reply.errorCount });
    else pending.reject(new Error(`inspection failed: ${reply.message}`));
    this.dispatch();
  }

  private settle(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
  }

  private timeOut(slot: Slot): void {
    const pending = slot.job;
    const seconds = this.timeoutMs / 1000;
    this.replace(slot, new HelperFailure('profile-refused', {
      en: `The helper refused this profile: checking it took longer than ${seconds} s. Remove what the profile does not need and try again.`,
      ja: `ヘルパーはこのプロファイルを拒否しました。検査に ${seconds} 秒以上かかりました。不要な内容を削除してから、もう一度お試しください。`,
    }, `inspection-timeout: more than ${this.timeoutMs} ms for ${pending?.job.text.length ?? 0} characters`));
  }

  /** Ends a worker (and its job, with `error`) and starts a fresh one in its place. */
  private replace(slot: Slot, error: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    const pending = slot.job;
    this.settle(slot);
    slot.worker.removeAllListeners();
    slot.worker.on('error', () => undefined);
    void slot.worker.terminate();
    pending?.reject(error);
    if (this.closed) return;
    if (this.slots.length === 0) this.addSlot();
    this.dispatch();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new Error('the helper is stopping'));
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      slot.job?.reject(new Error('the helper is stopping'));
      this.settle(slot);
      slot.worker.removeAllListeners();
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
