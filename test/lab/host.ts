// Checks that the lab leaves the host as it found it.
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { allPids, isAlive, pidNetnsInode, procCmdline, runSync } from './exec.js';
import { labRoot } from './names.js';

export interface HostSnapshot {
  resolvConf: string;
  routes: string;
  routes6: string;
  rules: string;
  rules6: string;
}

function ip(args: string[]): string {
  return runSync('ip', args, { allowFail: true }).stdout;
}

/** /etc/resolv.conf bytes (base64) and the host's routing tables and policy rules. */
export function snapshotHost(): HostSnapshot {
  return {
    resolvConf: existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf').toString('base64') : '<missing>',
    routes: ip(['route', 'show', 'table', 'all']),
    routes6: ip(['-6', 'route', 'show', 'table', 'all']),
    rules: ip(['rule', 'show']),
    rules6: ip(['-6', 'rule', 'show']),
  };
}

export function diffHost(before: HostSnapshot, after: HostSnapshot): string[] {
  const out: string[] = [];
  for (const k of Object.keys(before) as (keyof HostSnapshot)[]) {
    if (before[k] !== after[k]) out.push(`${k} changed:\n--- before\n${before[k]}\n--- after\n${after[k]}`);
  }
  return out;
}

function ancestors(): Set<number> {
  const out = new Set<number>();
  let pid = process.pid;
  for (let i = 0; i < 64 && pid > 1; i++) {
    out.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return out;
}

/**
 * Everything of instance `id` still present on the host: namespaces (by name, or kept alive by a
 * process or a mount anywhere), processes, host devices, unix sockets, WireGuard sockets,
 * /etc/netns entries and the state directory. Empty when teardown was complete.
 */
export function leftovers(id: string, netnsInodes: readonly number[]): string[] {
  const found: string[] = [];
  const inodes = new Set(netnsInodes);
  for (const n of safeReaddir('/run/netns')) if (n.startsWith(`${id}-`)) found.push(`netns ${n}`);
  const self = ancestors();
  const mountNsSeen = new Set<string>();
  for (const pid of allPids()) {
    if (!isAlive(pid) || self.has(pid)) continue;
    const ino = pidNetnsInode(pid);
    const argv = procCmdline(pid);
    if (ino !== null && inodes.has(ino)) found.push(`process ${pid} in a lab netns: ${argv.join(' ')}`);
    else if (argv.some((a) => a.includes(id))) found.push(`process ${pid}: ${argv.join(' ')}`);
    // A bind mount of the namespace in any mount namespace keeps it (and its devices) alive.
    let mntNs: string;
    try {
      mntNs = readlinkSync(`/proc/${pid}/ns/mnt`);
    } catch {
      continue;
    }
    if (mountNsSeen.has(mntNs)) continue;
    mountNsSeen.add(mntNs);
    let mountinfo: string;
    try {
      mountinfo = readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
    } catch {
      continue;
    }
    for (const line of mountinfo.split('\n')) {
      const m = /net:\[(\d+)\]/.exec(line);
      if ((m?.[1] && inodes.has(Number(m[1]))) || line.includes(`/${id}-`)) found.push(`mount in ${mntNs} (pid ${pid}): ${line}`);
    }
  }
  for (const l of ip(['-o', 'link', 'show']).split('\n')) if (l.includes(id)) found.push(`host link: ${l}`);
  // Unix sockets bound to a path under the lab (management sockets, VICI, WireGuard UAPI).
  for (const l of readFileSync('/proc/net/unix', 'utf8').split('\n')) {
    if (l.includes(id)) found.push(`unix socket: ${l.trim()}`);
  }
  for (const f of safeReaddir('/var/run/wireguard')) if (f.startsWith(`${id}-`)) found.push(`wireguard socket ${f}`);
  for (const f of safeReaddir('/etc/netns')) if (f.startsWith(`${id}-`)) found.push(`/etc/netns/${f}`);
  if (existsSync(`${labRoot()}/${id}`)) found.push(`state dir ${labRoot()}/${id}`);
  return found;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
