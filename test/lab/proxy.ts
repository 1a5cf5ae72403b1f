// A proxy in front of a lab's OpenVPN TCP server (test/lab/proxy.py: HTTP CONNECT and SOCKS5).
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inNetns, spawnDetached, waitUntil } from './exec.js';
import { ADDR, instanceNames } from './names.js';
import type { LabInstance } from './state.js';

/**
 * Where the proxy listens: the server's underlay address (the only one the lab's guard lets the
 * client reach) on a port of its own. The name the client resolves it by, and the name of the
 * VPN server that only the proxy knows (the client never resolves it: openvpn hands it over).
 */
export const PROXY = {
  address: ADDR.serverUnderlay,
  port: 3128,
  name: 'proxy.lab.test',
  remoteName: 'server.lab.test',
} as const;

export interface LabProxy {
  log: string;
  /** The proxy's request lines so far: "connect http HOST:PORT", "connect socks HOST:PORT", "refused …". */
  requests(): string[];
}

/**
 * Starts test/lab/proxy.py in the lab's server namespace (on PROXY.port unless told); it reaches
 * the OpenVPN server on the same host and resolves PROXY.remoteName to it. `down` ends it with the
 * namespace.
 */
export async function serveProxy(inst: LabInstance, port: number = PROXY.port): Promise<LabProxy> {
  const script = join(import.meta.dirname, 'proxy.py');
  const log = join(inst.dir, `proxy-${port}.log`);
  const [cmd, args] = inNetns(instanceNames(inst.id).serverNetns, 'python3', ['-u', script, PROXY.address, String(port), `${PROXY.remoteName}=${ADDR.serverUnderlay}`]);
  spawnDetached(cmd, args, log);
  await waitUntil('the lab proxy', () => existsSync(log) && readFileSync(log, 'utf8').startsWith('ready'), 10_000);
  return { log, requests: () => readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('connect ') || l.startsWith('refused ')) };
}

/**
 * Makes `name` resolve to `address` for processes started with `ip netns exec <client netns>`
 * (it bind-mounts /etc/netns/<ns>/hosts over /etc/hosts); `down` removes the directory.
 */
export function addClientHost(inst: LabInstance, name: string, address: string): void {
  const hosts = join('/etc/netns', inst.clientNetns, 'hosts');
  if (!existsSync(hosts)) appendFileSync(hosts, '127.0.0.1 localhost\n::1 localhost\n');
  appendFileSync(hosts, `${address} ${name}\n`);
}
