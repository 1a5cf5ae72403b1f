/**
 * Standby processes: one idle, already-loaded tool process per kind, so the next connect does not
 * wait for it to start. Starting openvpn (exec, the dynamic loader, OpenSSL's initialisation) takes
 * about a third of a loopback connect; a standby has done all of that and waits for the helper to
 * hand it a profile that passed inspection.
 *
 * What a standby holds, per kind:
 * - openvpn: blocked reading its config from stdin, it has read no configuration, opened no device
 *   or socket and sent no packet. Its stdin is a pipe only the helper holds, so when the helper
 *   goes away (even SIGKILL) it reads end-of-file, finds no config and exits.
 * - charon (IKEv2): started with the helper's fixed strongswan.conf only (drivers/ikev2/charon.ts),
 *   it has loaded its plugins, so kernel-libipsec has opened its TUN device (ipsecN, no address,
 *   no route) and charon has added its policy rule pointing at its own, still empty routing table;
 *   it listens on its VICI socket in its private /run. It holds no connection or secret and has
 *   sent no packet. A parent-death signal stops it when the helper dies; discarding it (SIGKILL)
 *   removes the rule it leaves (CharonProcess.abandon).
 * Either way its directory carries a residue record like any session's, so crash cleanup would
 * also find it.
 *
 * Policy: a kind gets a standby only after this helper has been asked to connect one of its kind
 * (a machine that never uses OpenVPN never runs one), it is replaced after each use once the
 * connect that used it has settled (never while a tunnel is coming up, to keep the CPU for it), and
 * it is retired without replacement after an idle hour. `tsunagu helper --no-standby` turns it off.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfileKind } from '../../shared/profiles/kinds.js';
import type { Prelaunched, Prelauncher } from './drivers/driver.js';
import { RESIDUE_FILE } from './drivers/lifecycle.js';
import type { HelperLog } from './log.js';

/** A session's start: its id and work directory, and the tool launched for it (if any). */
export interface Launch {
  id: string;
  workDir: string;
  prelaunched: Prelaunched | null;
}

/**
 * Marks a work directory whose process is a standby (contents: its pid); removed when a session
 * takes it over. Test harnesses use it to tell the standby from a session's process.
 */
export const STANDBY_MARKER = 'standby';

export const STANDBY_IDLE_MS = 60 * 60 * 1000;

export interface StandbyOptions {
  sessionsDir: string;
  netns: string | null;
  prelaunchers: Partial<Record<ProfileKind, Prelauncher>>;
  log: HelperLog;
  /** A standby not used for this long is stopped and not replaced (default one hour). */
  idleMs?: number;
}

interface Spare extends Launch {
  prelaunched: Prelaunched;
  retire: NodeJS.Timeout;
}

/** Makes a session directory and, for kinds that can, launches the tool into it. */
export function newLaunch(sessionsDir: string, netns: string | null, prelauncher: Prelauncher | undefined): Launch {
  const id = randomBytes(8).toString('hex');
  const workDir = join(sessionsDir, id);
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  return { id, workDir, prelaunched: prelauncher?.({ workDir, netns }) ?? null };
}

/** Kills a launch that no session will use and removes its directory. Never throws (timers call it). */
export function discardLaunch(launch: Launch): void {
  launch.prelaunched?.abandon();
  try {
    rmSync(launch.workDir, { recursive: true, force: true });
  } catch {
    // Out of descriptors, say: the directory and its residue record stay for crash cleanup.
  }
}

export class StandbyPool {
  private readonly spares = new Map<ProfileKind, Spare>();
  private closed = false;

  constructor(private readonly options: StandbyOptions) {}

  /** Whether a standby of this kind is waiting and can serve (see Prelaunched.usable). */
  has(kind: ProfileKind): boolean {
    const spare = this.spares.get(kind);
    return spare !== undefined && spare.prelaunched.usable;
  }

  /** Hands the standby of this kind to a session (which now owns its process and directory). */
  take(kind: ProfileKind): Launch | null {
    const spare = this.spares.get(kind);
    if (!spare) return null;
    this.spares.delete(kind);
    clearTimeout(spare.retire);
    if (!spare.prelaunched.usable) {
      discardLaunch(spare);
      return null;
    }
    try {
      unlinkSync(join(spare.workDir, STANDBY_MARKER));
    } catch {
      // Already gone: nothing to unmark.
    }
    return { id: spare.id, workDir: spare.workDir, prelaunched: spare.prelaunched };
  }

  /** Launches a standby of this kind unless one is waiting (or the pool is closed). */
  fill(kind: ProfileKind): void {
    const prelauncher = this.options.prelaunchers[kind];
    if (this.closed || !prelauncher || this.has(kind)) return;
    const old = this.spares.get(kind);
    // One that can no longer serve (exited, or its namespace was replaced) makes way.
    if (old) this.retire(kind, old);
    let launch: Launch;
    try {
      launch = newLaunch(this.options.sessionsDir, this.options.netns, prelauncher);
    } catch (e) {
      this.options.log.add('warn', `no ${kind} standby: ${(e as Error).message}`);
      return;
    }
    const { prelaunched } = launch;
    if (!prelaunched) {
      // The tool could not be started; the next connect reports why in its own words.
      rmSync(launch.workDir, { recursive: true, force: true });
      return;
    }
    writeFileSync(join(launch.workDir, RESIDUE_FILE), JSON.stringify(prelaunched.residue(launch.id)), { mode: 0o600 });
    writeFileSync(join(launch.workDir, STANDBY_MARKER), `${prelaunched.pid}\n`, { mode: 0o600 });
    const retire = setTimeout(() => {
      this.options.log.add('debug', `${kind} standby (pid ${prelaunched.pid}) unused for an hour: stopped`);
      this.retire(kind, spare);
    }, this.options.idleMs ?? STANDBY_IDLE_MS);
    retire.unref();
    const spare: Spare = { ...launch, prelaunched, retire };
    this.spares.set(kind, spare);
    void prelaunched.exit.then(() => {
      // Killed from outside (or retired): forget it; the next connect starts its tool itself.
      if (this.spares.get(kind) !== spare) return;
      this.options.log.add('warn', `${kind} standby (pid ${prelaunched.pid}) exited; the next connect starts ${kind} itself`);
      this.retire(kind, spare);
    });
    this.options.log.add('debug', `${kind} standby ready (pid ${prelaunched.pid})`);
  }

  private retire(kind: ProfileKind, spare: Spare): void {
    if (this.spares.get(kind) === spare) this.spares.delete(kind);
    clearTimeout(spare.retire);
    discardLaunch(spare);
  }

  /** Stops every standby and waits for it to exit; none is launched after this. */
  async close(): Promise<void> {
    this.closed = true;
    const spares = [...this.spares];
    for (const [kind, spare] of spares) this.retire(kind, spare);
    await Promise.all(spares.map(([, spare]) => spare.prelaunched.exit));
  }
}
