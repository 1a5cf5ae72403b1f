/**
 * Watches the network the tunnels ride on (issue 14: fast recovery after a network change). An
 * `ip monitor link address route` child (iproute2; netlink without a native addon) says *that*
 * something changed; after a short debounce the watcher asks iproute2 for the uplink as it is now
 * (default routes and the addresses of their devices, JSON) and reports a transition:
 * offline → online ("network-restored"), or online with another route or address ("network-changed").
 * A resume from suspend shows as wall-clock time jumping past a timer ("resume"). Online → offline
 * ("network-lost") goes to `onLost` instead: a tunnel whose packets now have no route sends nothing
 * it could see go unanswered (WireGuard), so it learns it here.
 * Kernel quirk: a link set down drops its IPv4 routes without a netlink "Deleted" message, so the
 * watcher never trusts individual events, only the state it reads back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { LogLine } from '../../shared/ipc/helper-protocol.js';
import { run } from './exec.js';

/** `ip -json route show default` entries (the fields used). */
export interface IpRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
  flags?: string[];
}

/** `ip -json addr show` entries (the fields used). */
export interface IpLink {
  ifname?: string;
  flags?: string[];
  link_type?: string;
  addr_info?: { local?: string; prefixlen?: number; scope?: string; temporary?: boolean; deprecated?: boolean; tentative?: boolean }[];
}

/** The uplink as one comparable value: null when only tunnels hold default routes (no verdict). */
export interface Uplink {
  online: boolean;
  /** Default routes and their devices' global addresses, sorted: a change here is a network change. */
  key: string;
}

/**
 * The uplink from iproute2's JSON (pure). Layer-3 tunnel devices (link_type "none": tun,
 * WireGuard) are not an uplink; a default route through one says nothing about the network under it.
 * Online: a default route that is not `linkdown`, on a device that is UP with a carrier (LOWER_UP).
 */
export function uplinkFrom(routes: readonly IpRoute[], links: readonly IpLink[]): Uplink | null {
  const byName = new Map(links.filter((l) => l.ifname !== undefined).map((l) => [l.ifname ?? '', l]));
  const isTunnel = (dev: string | undefined) => dev !== undefined && byName.get(dev)?.link_type === 'none';
  const defaults = routes.filter((r) => (r.dst === undefined || r.dst === 'default') && !isTunnel(r.dev));
  if (defaults.length === 0 && routes.some((r) => isTunnel(r.dev))) return null;
  const usable = defaults.filter((r) => {
    const link = r.dev === undefined ? undefined : byName.get(r.dev);
    return !(r.flags ?? []).includes('linkdown') && link !== undefined && (link.flags ?? []).includes('UP') && (link.flags ?? []).includes('LOWER_UP');
  });
  const parts = usable.map((r) => `route ${r.dev ?? ''} via ${r.gateway ?? 'link'}`);
  for (const dev of new Set(usable.map((r) => r.dev ?? ''))) {
    // IPv6 privacy addresses rotate every few hours on the same network: not a change.
    for (const a of byName.get(dev)?.addr_info ?? []) {
      if (a.scope === 'global' && a.local && !a.temporary && !a.deprecated && !a.tentative) parts.push(`addr ${dev} ${a.local}/${a.prefixlen ?? ''}`);
    }
  }
  return { online: usable.length > 0, key: [...new Set(parts)].sort().join('; ') };
}

/** What a move from `prev` to `next` means for the tunnels (pure): a reason to reconnect, the uplink gone, or null. */
export function uplinkTransition(prev: Uplink | null, next: Uplink | null): 'network-restored' | 'network-changed' | 'network-lost' | null {
  if (prev === null || next === null) return null;
  if (!next.online) return prev.online ? 'network-lost' : null;
  if (!prev.online) return 'network-restored';
  return prev.key === next.key ? null : 'network-changed';
}

export interface NetworkWatchOptions {
  /** The namespace whose network to watch (the one the tunnels run in), or null for the helper's. */
  netns: string | null;
  onChange(cause: string): void;
  /** The uplink went away (online → offline): the tunnels' packets have no way out until it is back. */
  onLost?(): void;
  log(level: LogLine['level'], text: string): void;
  /** Quiet time after the last netlink message before the state is read (a change is a burst). */
  debounceMs?: number;
  /** How often the resume check wakes; a wall-clock gap of more than this plus `resumeGapMs` is a resume. */
  resumeCheckMs?: number;
  resumeGapMs?: number;
}

export class NetworkWatch {
  private monitor: ChildProcess | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private resumeTimer: NodeJS.Timeout | null = null;
  private respawnTimer: NodeJS.Timeout | null = null;
  private uplink: Uplink | null = null;
  private checking: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private lastTick = Date.now();
  /** Monitor restarts in a row without a line from it (backoff 1 s, 2 s … 60 s; logged once). */
  private failures = 0;

  constructor(private readonly options: NetworkWatchOptions) {}

  /** Starts watching; resolves once the current uplink is known (later changes are reported). */
  async start(): Promise<void> {
    this.spawnMonitor();
    const every = this.options.resumeCheckMs ?? 30_000;
    const gap = this.options.resumeGapMs ?? 15_000;
    this.lastTick = Date.now();
    this.resumeTimer = setInterval(() => {
      const now = Date.now();
      // Timers run on the monotonic clock, which stands still while the machine sleeps; the wall clock does not.
      if (now - this.lastTick > every + gap) {
        this.options.log('info', `network watch: resumed after ${Math.round((now - this.lastTick) / 1000)} s`);
        this.options.onChange('resume');
      }
      this.lastTick = now;
    }, every);
    this.resumeTimer.unref();
    this.uplink = await this.read();
  }

  stop(): void {
    this.stopped = true;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.resumeTimer) clearInterval(this.resumeTimer);
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    this.monitor?.kill('SIGTERM');
    this.monitor = null;
  }

  private ip(args: string[]): string[] {
    return this.options.netns === null ? args : ['-n', this.options.netns, ...args];
  }

  private spawnMonitor(): void {
    if (this.stopped) return;
    const argv = this.ip(['monitor', 'link', 'address', 'route']);
    // setpriv (util-linux) makes the kernel end the monitor with the helper, even a SIGKILLed one;
    // otherwise it would linger until its next write fails, holding its namespace.
    const child = existsSync(SETPRIV)
      ? spawn(SETPRIV, ['--pdeathsig', 'TERM', '--', 'ip', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('ip', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.monitor = child;
    child.stdout?.on('data', () => {
      this.failures = 0;
      this.schedule();
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.options.log('debug', `ip monitor: ${d.trim()}`));
    child.on('error', (e) => this.options.log('warn', `network watch: ip monitor failed: ${e.message}`));
    child.on('exit', (code, signal) => {
      if (this.monitor !== child || this.stopped) return;
      this.monitor = null;
      const delayMs = Math.min(60_000, 1000 * 2 ** this.failures);
      this.failures++;
      this.options.log(this.failures === 1 ? 'warn' : 'debug', `network watch: ip monitor exited (${signal ?? String(code)}); starting it again in ${delayMs / 1000} s`);
      this.respawnTimer = setTimeout(() => {
        this.respawnTimer = null;
        this.spawnMonitor();
        // What changed while it was gone is read back at once.
        this.schedule();
      }, delayMs);
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.check();
    }, this.options.debounceMs ?? 150);
  }

  /** Reads the uplink back and reports a transition; one read at a time, a change meanwhile reads again. */
  private check(): Promise<void> {
    if (this.checking) {
      this.again = true;
      return this.checking;
    }
    this.checking = (async () => {
      do {
        this.again = false;
        const next = await this.read();
        if (this.stopped) return;
        const cause = uplinkTransition(this.uplink, next);
        if (next !== null) this.uplink = next;
        if (cause === 'network-lost') {
          this.options.log('info', 'network watch: network-lost (no default route with a carrier)');
          this.options.onLost?.();
        } else if (cause !== null) {
          this.options.log('info', `network watch: ${cause} (${next?.key ?? ''})`);
          this.options.onChange(cause);
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async read(): Promise<Uplink | null> {
    const [v4, v6, addrs] = await Promise.all([
      run('ip', this.ip(['-json', '-4', 'route', 'show', 'default']), { timeoutMs: 5_000 }),
      run('ip', this.ip(['-json', '-6', 'route', 'show', 'default']), { timeoutMs: 5_000 }),
      run('ip', this.ip(['-json', 'addr', 'show']), { timeoutMs: 5_000 }),
    ]);
    // A reading that failed (ip could not start: out of file descriptors, say) is no verdict, never
    // "offline": empty output would read as no default route, and WireGuard as "No network connection".
    const failed = [v4, v6, addrs].find((r) => r.code !== 0);
    if (failed) {
      this.options.log('warn', `network watch: iproute2 could not be read (${failed.timedOut ? 'timed out' : (failed.stderr.trim().slice(0, 200) || `exit ${String(failed.code ?? failed.signal)}`)})`);
      return null;
    }
    try {
      const routes = [...parseJsonList<IpRoute>(v4.stdout), ...parseJsonList<IpRoute>(v6.stdout)];
      return uplinkFrom(routes, parseJsonList<IpLink>(addrs.stdout));
    } catch (e) {
      this.options.log('warn', `network watch: unreadable iproute2 output: ${(e as Error).message}`);
      return null;
    }
  }
}

const SETPRIV = '/usr/bin/setpriv';

/** iproute2's JSON list (empty output is an empty list); throws on anything else. */
function parseJsonList<T>(text: string): T[] {
  if (text.trim() === '') return [];
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) throw new Error('not a JSON list');
  return value.filter((v): v is T => typeof v === 'object' && v !== null);
}
