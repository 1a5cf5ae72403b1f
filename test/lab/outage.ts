/**
 * The leak lab's VPN server goes silent both ways (issue 14 outage test): every UDP datagram on its
 * link is dropped, in and out. Dropping only what arrives (leaks.ts dropHandshakes) still lets the
 * server's passive keepalive for data it got just before out, which the client counts as a reply.
 */
import { inNetns, run } from './exec.js';
import type { LeakLab } from './leaks.js';

const TABLE = 'tsl_leakoutage';

export async function blockLeakServerUdp(lab: LeakLab, on: boolean): Promise<void> {
  const dev = `${lab.id}-v0`;
  const rules = on
    ? `table inet ${TABLE} {
  chain input { type filter hook input priority -10; policy accept; iifname "${dev}" meta l4proto udp drop; }
  chain output { type filter hook output priority -10; policy accept; oifname "${dev}" meta l4proto udp drop; }
}
`
    : `table inet ${TABLE}\ndelete table inet ${TABLE}\n`;
  const [cmd, args] = inNetns(lab.vpnNetns, 'nft', ['-f', '-']);
  await run(cmd, args, { input: rules });
}
