/**
 * One openvpn process. Launching is split from configuring so that openvpn can get a head start:
 * between exec and reading its config, openvpn spends several milliseconds loading itself and its
 * crypto library — longer than the helper needs to inspect a profile. So the session manager
 * launches openvpn with only the helper's fixed command line (args.ts) and `--config stdin`
 * while it inspects, and the driver feeds it the canonical config once the profile has passed.
 * A profile that is refused never reaches it: the waiting process is killed having read nothing,
 * opened no device and sent no packet.
 *
 * Restarts after a crash read the config file instead (an administrator's SIGHUP makes openvpn
 * re-read its config, which a drained stdin could not give again).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inNetns } from '../../exec.js';
import type { Prelaunched } from '../driver.js';
import { CONFIG_FROM_STDIN, openVpnArgs } from './args.js';
import type { OpenVpnResidue } from './residue.js';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function managementSocketPath(workDir: string): string {
  return join(workDir, 'mgmt.sock');
}

/** The canonical config the driver writes (the record, and what restarts read). */
export function configFilePath(workDir: string): string {
  return join(workDir, 'profile.ovpn');
}

export class OpenVpnProcess implements Prelaunched {
  /** Resolves once, when the process has exited (or could not run at all). */
  readonly exit: Promise<ProcessExit>;
  private exitInfo: ProcessExit | null = null;
  private spawnFailure: string | null = null;

  private constructor(
    readonly child: ChildProcess,
    readonly pid: number,
    readonly readsStdin: boolean,
    private readonly workDir: string,
    private readonly netns: string | null,
  ) {
    // Listen at once: an exit that happens before the driver adopts the process is not lost.
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    child.on('error', (e) => {
      this.spawnFailure ??= e.message;
    });
    // A process that dies before reading its config makes writes fail with EPIPE: that is
    // reported by its exit, not by an exception.
    child.stdin?.on('error', () => undefined);
  }

  /**
   * Starts openvpn in `workDir` (its management socket is there too). Returns why it could not be
   * started instead, e.g. ENOENT when openvpn or ip is missing.
   */
  static launch(o: { workDir: string; netns: string | null; configPath: string | null }): OpenVpnProcess | string {
    const args = openVpnArgs({ configPath: o.configPath ?? CONFIG_FROM_STDIN, managementSocket: managementSocketPath(o.workDir) });
    const [cmd, argv] = inNetns(o.netns, 'openvpn', args);
    let child: ChildProcess;
    try {
      child = spawn(cmd, argv, { cwd: o.workDir, stdio: [o.configPath === null ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    } catch (e) {
      return (e as Error).message;
    }
    if (child.pid === undefined) {
      // The 'error' event follows with the reason; without a pid there is nothing to supervise.
      child.once('error', () => undefined);
      return `${cmd} could not be started`;
    }
    return new OpenVpnProcess(child, child.pid, o.configPath === null, o.workDir, o.netns);
  }

  residue(sessionId: string): OpenVpnResidue {
    // Found again by its management socket, which is in its command line (residue.ts).
    return {
      kind: 'openvpn',
      sessionId,
      pids: [this.pid],
      interfaceName: null,
      dnsRecords: [],
      configPath: configFilePath(this.workDir),
      netns: this.netns,
      routes: [],
      addresses: [],
    };
  }

  get usable(): boolean {
    if (this.exitInfo !== null) return false;
    if (this.netns === null) return true;
    // A namespace deleted and created again under the same name (the lab, the demo) is another
    // namespace: a process still waiting in the old one must not become a session there.
    try {
      return readlinkSync(`/proc/${this.pid}/ns/net`) === `net:[${statSync(join('/run/netns', this.netns)).ino}]`;
    } catch {
      return false;
    }
  }

  get failure(): string | null {
    return this.spawnFailure;
  }

  /** Gives a process launched with its config from stdin the config, and closes stdin. */
  feedConfig(text: string): void {
    const stdin = this.child.stdin;
    if (!this.readsStdin || !stdin || stdin.destroyed) return;
    stdin.end(text);
  }

  /** Kills a launched process that will not be used (its profile was refused). */
  abandon(): void {
    if (this.exitInfo === null) this.child.kill('SIGKILL');
    this.child.stdin?.destroy();
  }

  kill(signal: NodeJS.Signals): void {
    if (this.exitInfo === null) this.child.kill(signal);
  }
}
