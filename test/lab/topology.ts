// Namespaces and links of one instance:
//
//   client ns  <-- underlay veth (198.18.1.0/24) -->  server ns  <-- inside veth (198.18.2.0/24) -->  protected ns
//
// The client has a default route to the server (like a real machine with a gateway), but the
// server's `tsl_guard` nft table rejects anything arriving raw on the underlay that is not
// addressed to the server's underlay address. So the protected side (the protected host and the
// server's inside address) is reachable only through a tunnel. Reject (not drop) makes a
// "not reachable" probe fail at once instead of waiting for a timeout.
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inNetns, run } from './exec.js';
import { ADDR, type InstanceNames } from './names.js';

export interface TopologyOptions {
  /** Put the server's inside veth into a bridge (for the OpenVPN tap/server-bridge scenario). */
  bridge: boolean;
}

async function ipBatch(lines: string[], netns?: string): Promise<void> {
  const args = netns ? ['-n', netns, '-batch', '-'] : ['-batch', '-'];
  await run('ip', args, { input: `${lines.join('\n')}\n` });
}

export function netnsInode(name: string): number {
  return statSync(`/run/netns/${name}`).ino;
}

/**
 * `ip netns exec` bind-mounts /etc/netns/<ns>/* over /etc/*. Giving every lab namespace its own
 * resolv.conf and a resolvconf.conf whose state_dir is private keeps openresolv (run by wg-quick
 * for `DNS =`) from rewriting the host's /etc/resolv.conf or leaving state in /run/resolvconf.
 */
export function prepareNetnsEtc(netns: string, stateDir: string): void {
  const etc = join('/etc/netns', netns);
  mkdirSync(etc, { recursive: true });
  writeFileSync(join(etc, 'resolv.conf'), `# Tsunagu lab namespace ${netns}\n`);
  if (existsSync('/etc/resolvconf.conf')) {
    const resolvState = join(stateDir, `resolvconf-${netns}`);
    mkdirSync(resolvState, { recursive: true });
    writeFileSync(join(etc, 'resolvconf.conf'), `resolv_conf=/etc/resolv.conf\nstate_dir=${resolvState}\n`);
  }
}

export function removeNetnsEtc(netns: string): void {
  rmSync(join('/etc/netns', netns), { recursive: true, force: true });
}

export function guardRuleset(n: InstanceNames): string {
  return `table inet tsl_guard {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "${n.underlayServer}" reject with icmpx admin-prohibited
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "${n.underlayServer}" ip daddr != ${ADDR.serverUnderlay} reject with icmpx admin-prohibited
  }
}
`;
}

export async function createTopology(n: InstanceNames, stateDir: string, opts: TopologyOptions): Promise<void> {
  for (const ns of [n.serverNetns, n.clientNetns, n.protectedNetns]) prepareNetnsEtc(ns, stateDir);
  // Both ends of each veth are created directly inside their namespaces: nothing ever appears on the host.
  await ipBatch([
    `netns add ${n.serverNetns}`,
    `netns add ${n.clientNetns}`,
    `netns add ${n.protectedNetns}`,
    `link add name ${n.underlayServer} netns ${n.serverNetns} type veth peer name ${n.underlayClient} netns ${n.clientNetns}`,
    `link add name ${n.insideServer} netns ${n.serverNetns} type veth peer name ${n.insideProtected} netns ${n.protectedNetns}`,
  ]);
  const serverLines = [
    'link set lo up',
    `addr add ${ADDR.serverUnderlay}/${ADDR.underlayPrefix} dev ${n.underlayServer}`,
    `link set ${n.underlayServer} up`,
  ];
  if (opts.bridge) {
    serverLines.push(
      `link add name ${n.bridge} type bridge`,
      `link set ${n.insideServer} master ${n.bridge}`,
      `addr add ${ADDR.serverInside}/${ADDR.insidePrefix} dev ${n.bridge}`,
      `link set ${n.bridge} up`,
    );
  } else {
    serverLines.push(`addr add ${ADDR.serverInside}/${ADDR.insidePrefix} dev ${n.insideServer}`);
  }
  serverLines.push(`link set ${n.insideServer} up`);
  await Promise.all([
    ipBatch(serverLines, n.serverNetns),
    ipBatch(
      [
        'link set lo up',
        `addr add ${ADDR.clientUnderlay}/${ADDR.underlayPrefix} dev ${n.underlayClient}`,
        `link set ${n.underlayClient} up`,
        `route add default via ${ADDR.serverUnderlay}`,
      ],
      n.clientNetns,
    ),
    ipBatch(
      [
        'link set lo up',
        `addr add ${ADDR.protectedHost}/${ADDR.insidePrefix} dev ${n.insideProtected}`,
        `addr add ${ADDR.dnsServer}/${ADDR.insidePrefix} dev ${n.insideProtected}`,
        `link set ${n.insideProtected} up`,
        `route add default via ${ADDR.serverInside}`,
      ],
      n.protectedNetns,
    ),
  ]);
  const [ip, args] = inNetns(n.serverNetns, 'sh', [
    '-c',
    'sysctl -qw net.ipv4.ip_forward=1 && nft -f "$0"',
    writeTemp(stateDir, 'guard.nft', guardRuleset(n)),
  ]);
  await run(ip, args);
}

function writeTemp(dir: string, name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
