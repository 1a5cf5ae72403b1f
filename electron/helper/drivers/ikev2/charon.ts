/**
 * One strongSwan charon per session, with everything it writes inside the session's root-only
 * work directory.
 *
 * charon hard-codes /var/run/charon.pid and /var/run/charon.vici (/var/run is /run), so it runs in
 * a private mount namespace where <workDir>/run is bind-mounted over /run: its pid file, VICI
 * socket, generated strongswan.conf and the DNS file below are all in there, and the helper reaches
 * the socket as <workDir>/run/charon.vici. Slave propagation keeps receiving the host's unmounts
 * (a private copy of /run/netns would keep deleted namespaces alive). No file in /etc is read: the
 * generated strongswan.conf (STRONGSWAN_CONF) includes nothing and lists the plugins explicitly
 * (load_modular = no): kernel-libipsec before kernel-netlink (userspace ESP over a TUN device, as
 * the kernel may have no ESP), no updown, no stroke: charon never runs a program.
 *
 * DNS: the server's DNS servers are not in VICI. The resolve plugin is loaded only to learn them:
 * its `file` is /run/resolv.conf (inside the private /run), and /usr/sbin (/sbin) is an empty
 * read-only tmpfs in charon's mount namespace, so its resolvconf mode (which runs
 * /sbin/resolvconf) cannot start: it writes that private file and logs "installing DNS server X
 * to /run/resolv.conf". The driver reads those lines and applies the servers with the helper's own
 * DNS code (dns.ts); charon never touches the system's resolver.
 *
 * Ports: every charon binds its own random source ports (port = 0, port_nat_t = 0): several
 * sessions' charons in one namespace cannot all have 500 and 4500, and a client needs neither.
 *
 * Routes: charon installs the CHILD_SA routes in its own routing table with one policy rule
 * (routing_table / routing_table_prio); each session gets its own table number so that one
 * charon's rule removal cannot take another session's routes. Retransmissions are short (3 tries,
 * ~7 s in all) so an unreachable server is reported within seconds rather than charon's 165 s.
 *
 * The helper is charon's parent: a parent-death signal (setpriv --pdeathsig) makes charon shut
 * down (deleting its SAs, routes and rule) when the helper dies; crash cleanup (residue.ts) finds
 * any charon that survived anyway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inNetns, run } from '../../exec.js';
import type { Prelaunched } from '../driver.js';
import { TSUNAGU_FWMARK } from '../../firewall/intent.js';
import type { Ikev2Residue } from './residue.js';

export const CHARON_BINARY = '/usr/lib/ipsec/charon';

/** Plugins charon loads, in order (kernel-libipsec must precede kernel-netlink). */
export const CHARON_PLUGINS = [
  'random', 'nonce', 'openssl', 'pem', 'pkcs1', 'pkcs8', 'x509', 'pubkey', 'revocation', 'constraints',
  'sha1', 'sha2', 'hmac', 'aes', 'gcm', 'kdf',
  'kernel-libipsec', 'kernel-netlink', 'socket-default', 'vici',
  'eap-identity', 'eap-mschapv2', 'eap-md5', 'eap-tls', 'xauth-generic', 'resolve',
] as const;

/** The priority of charon's policy rule (the same for all sessions; tables differ). */
export const RULE_PRIORITY = 220;

/** Paths of a session's charon files, as the helper sees them. */
export function charonPaths(workDir: string) {
  const run = join(workDir, 'run');
  return {
    run,
    conf: join(run, 'strongswan.conf'),
    vici: join(run, 'charon.vici'),
    pid: join(run, 'charon.pid'),
    /** The resolve plugin's file (charon's /run/resolv.conf). */
    dns: join(run, 'resolv.conf'),
  };
}

/** The routing table of a session's charon: stable for its id, away from the system's tables. */
export function routingTableFor(sessionId: string): number {
  const h = createHash('sha256').update(sessionId).digest();
  return 10_000 + (h.readUInt32BE(0) % 50_000);
}

/** The generated strongswan.conf: fixed but for the routing table; nothing from the profile. */
export function strongswanConf(routingTable: number): string {
  return `# Written by the Tsunagu helper for one session's charon. Read by charon only.
charon {
  load_modular = no
  load = ${CHARON_PLUGINS.join(' ')}
  port = 0
  port_nat_t = 0
  install_routes = yes
  install_virtual_ip = yes
  routing_table = ${routingTable}
  routing_table_prio = ${RULE_PRIORITY}
  retransmit_tries = 3
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  plugins {
    vici {
      socket = unix:///run/charon.vici
    }
    resolve {
      file = /run/resolv.conf
    }
    # The kill switch lets only marked packets reach the gateway (IKE and, with libipsec, ESP in UDP).
    socket-default {
      fwmark = ${TSUNAGU_FWMARK}
    }
  }
  filelog {
    stderr {
      default = 1
      ike_name = yes
    }
  }
  syslog {
    daemon {
      default = -1
    }
    auth {
      default = -1
    }
  }
}
`;
}

export interface CharonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The start time of a process (field 22 of /proc/<pid>/stat, clock ticks since boot); null if gone. */
export function procStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const t = Number(fields[19]);
    return Number.isFinite(t) ? t : null;
  } catch {
    return null;
  }
}

/**
 * The directories that hold /sbin/resolvconf: hidden from charon. /sbin is its own directory on
 * systems without merged /usr.
 */
function hiddenDirs(): string[] {
  const dirs = ['/usr/sbin'];
  try {
    if (!lstatSync('/sbin').isSymbolicLink()) dirs.push('/sbin');
  } catch {
    // No /sbin: nothing to hide there.
  }
  return dirs;
}

/** The command line that starts a session's charon (see the header). */
export function charonCommand(runDir: string, netns: string | null): [string, string[]] {
  const hide = hiddenDirs();
  // $0 = the run directory; $1.. = the directories to hide; charon is exec'd last.
  const script = `mount --bind "$0" /run && for d in "$@"; do mount -t tmpfs -o ro,mode=0555,size=4k,nosuid,nodev,noexec tsunagu-hidden "$d" || exit 1; done && exec ${CHARON_BINARY}`;
  const args = ['--pdeathsig', 'TERM', 'unshare', '-m', '--propagation', 'slave', 'sh', '-c', script, runDir, ...hide];
  return inNetns(netns, 'setpriv', args);
}

/**
 * A charon process of one session. Launched with only the helper's fixed configuration (the
 * prelauncher does it while the profile is inspected); the driver gives it the connection over
 * VICI once the profile has passed.
 */
export class CharonProcess implements Prelaunched {
  readonly exit: Promise<CharonExit>;
  readonly startTime: number | null;
  readonly routingTable: number;
  private exitInfo: CharonExit | null = null;
  private spawnFailure: string | null = null;
  private lineHandler: ((line: string) => void) | null = null;
  private abandoned: Promise<void> | null = null;
  /** Lines charon wrote before the driver listened (kept for it, bounded). */
  private early: string[] = [];
  private tun: string | null = null;

  private constructor(
    readonly child: ChildProcess,
    readonly pid: number,
    readonly workDir: string,
    readonly netns: string | null,
    routingTable: number,
  ) {
    this.routingTable = routingTable;
    this.startTime = procStartTime(pid);
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    child.on('error', (e) => {
      this.spawnFailure ??= e.message;
    });
    let buf = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const line of parts) {
        if (!line.trim()) continue;
        const tun = TUN_DEVICE_LINE.exec(parseStderrLine(line)?.msg ?? '');
        if (tun?.[1]) this.tun = tun[1];
        if (this.lineHandler) this.lineHandler(line);
        else if (this.early.length < 200) this.early.push(line);
      }
    });
    child.stdout?.resume();
  }

  /**
   * Starts charon for the session in `workDir` (the session id is the directory's name). Returns
   * why it could not be started instead.
   */
  static launch(o: { workDir: string; netns: string | null; sessionId: string }): CharonProcess | string {
    const p = charonPaths(o.workDir);
    const table = routingTableFor(o.sessionId);
    try {
      mkdirSync(p.run, { recursive: true, mode: 0o700 });
      writeFileSync(p.conf, strongswanConf(table), { mode: 0o600 });
    } catch (e) {
      return (e as Error).message;
    }
    const [cmd, args] = charonCommand(p.run, o.netns);
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, {
        cwd: o.workDir,
        stdio: ['ignore', 'pipe', 'pipe'],
        // charon reads this path in its own view, where the run directory is /run.
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', STRONGSWAN_CONF: '/run/strongswan.conf' },
      });
    } catch (e) {
      return (e as Error).message;
    }
    if (child.pid === undefined) {
      child.once('error', () => undefined);
      return `${cmd} could not be started`;
    }
    return new CharonProcess(child, child.pid, o.workDir, o.netns, table);
  }

  /** charon's stderr log lines (`<thread>[GROUP] <name>|<n> message`), the early ones first. */
  onLine(handler: (line: string) => void): void {
    this.lineHandler = handler;
    const early = this.early;
    this.early = [];
    for (const l of early) handler(l);
  }

  get failure(): string | null {
    return this.spawnFailure;
  }

  /**
   * The TUN device kernel-libipsec made (it does so as the plugin loads, before any connection), by
   * charon's own line; null until it said so.
   */
  get tunDevice(): string | null {
    return this.tun;
  }

  get exited(): boolean {
    return this.exitInfo !== null;
  }

  get usable(): boolean {
    if (this.exitInfo !== null) return false;
    if (this.netns === null) return true;
    try {
      const theirs = readlinkSync(`/proc/${this.pid}/ns/net`);
      if (theirs === `net:[${statSync(join('/run/netns', this.netns)).ino}]`) return true;
      // Not in it yet: `ip netns exec` has not run so far (just spawned). Only a process that has
      // become charon elsewhere is in the wrong namespace (one deleted and made again by that name).
      return theirs === readlinkSync('/proc/self/ns/net') && readlinkSync(`/proc/${this.pid}/exe`) !== CHARON_BINARY;
    } catch {
      return false;
    }
  }

  /** The VICI socket exists (charon listens right after creating it; the client retries briefly). */
  get socketReady(): boolean {
    return existsSync(charonPaths(this.workDir).vici);
  }

  /**
   * Kills a charon that will not be used. SIGKILL leaves the policy rule charon added at start-up
   * (its TUN device goes with it): removed once it has exited.
   */
  abandon(): void {
    this.kill('SIGKILL');
    this.abandoned ??= this.exit.then(() => removeRoutingLeftovers(this.netns, this.routingTable)).then(() => undefined);
  }

  /**
   * Resolves once an abandoned charon is gone with its rule: a successor in the same session (same
   * routing table) must start only then, or that removal would take the successor's rule.
   */
  get gone(): Promise<void> {
    return this.abandoned ?? this.exit.then(() => undefined);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.exitInfo === null) this.child.kill(signal);
  }

  residue(sessionId: string): Ikev2Residue {
    return {
      kind: 'ikev2',
      sessionId,
      pids: [this.pid],
      startTime: this.startTime,
      netns: this.netns,
      routingTable: this.routingTable,
      interfaceName: null,
      dnsRecords: [],
    };
  }
}

/** Removes charon's policy rule and whatever is left in its table (after charon is gone). */
export async function removeRoutingLeftovers(netns: string | null, table: number): Promise<string[]> {
  const left: string[] = [];
  // A rule may have been added once per address family.
  for (const family of ['-4', '-6']) {
    for (let i = 0; i < 4; i++) {
      const [cmd, args] = inNetns(netns, 'ip', [family, 'rule', 'del', 'priority', String(RULE_PRIORITY), 'table', String(table)]);
      const r = await run(cmd, args, { timeoutMs: 5_000 });
      if (r.code !== 0) break;
    }
    const [cmd, args] = inNetns(netns, 'ip', [family, 'route', 'flush', 'table', String(table)]);
    await run(cmd, args, { timeoutMs: 5_000 });
    const [lcmd, largs] = inNetns(netns, 'ip', [family, 'rule', 'show', 'table', String(table)]);
    const still = await run(lcmd, largs, { timeoutMs: 5_000 });
    if (still.code === 0 && still.stdout.trim() !== '') left.push(`policy rule for table ${table} (${family})`);
  }
  return left;
}

/** kernel-libipsec's line naming the TUN device it made (`ipsec` + the kernel's number). */
export const TUN_DEVICE_LINE = /^created TUN device: (ipsec\d{1,4})$/;

/** A charon's own log line from stderr: group and message (ike_name prefix dropped). */
export function parseStderrLine(line: string): { group: string; msg: string } | null {
  // filelog with ike_name: "<thread>[GRP] <conn|n> message", or without an IKE_SA "<thread>[GRP] message".
  const m = /^\s*\d+\[(\w+)\] (?:<[^>]*> )?(.*)$/.exec(line);
  return m ? { group: m[1] ?? '', msg: m[2] ?? '' } : null;
}
