/**
 * The inspection worker's thread: runs the shared engine on one profile at a time for the session
 * manager (inspector.ts), so that a slow profile never holds up the helper's event loop. Only the
 * verdict goes back, with the error list cut to what any reply can use.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { WORKER_READY, type InspectionJob, type InspectionReply } from './inspector.js';

/** Errors sent back for one profile (the total is counted): a 2 MiB junk file has 300,000. */
export const MAX_REPORTED_ERRORS = 50;

const port = parentPort;
if (!port) throw new Error('inspection-worker runs as a worker thread of the helper');
/** Up to this size a profile takes a few milliseconds and is inspected at full priority. */
const SMALL_PROFILE_CHARS = 64 * 1024;

/**
 * On Linux the nice value is per thread, and pid 0 means this one: a large (possibly hostile)
 * profile's inspection yields the CPU to the helper's event loop and the tunnels' processes, while
 * an ordinary connect is not slowed on a busy machine. Root may lower the value back.
 */
function niceFor(job: InspectionJob): void {
  try {
    setPriority(job.text.length > SMALL_PROFILE_CHARS ? 10 : 0);
  } catch {
    // Not permitted (a helper not run as root): inspection still works, only less politely.
  }
}

port.on('message', (job: InspectionJob) => {
  niceFor(job);
  let reply: InspectionReply;
  try {
    const result = inspectProfile(job.text, { kind: job.kind, fileName: job.name, policy: job.policy });
    reply = { id: job.id, ok: true, result: result.ok ? result : { ...result, errors: result.errors.slice(0, MAX_REPORTED_ERRORS) }, errorCount: result.errors.length };
  } catch (e) {
    reply = { id: job.id, ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
port.postMessage(WORKER_READY);
