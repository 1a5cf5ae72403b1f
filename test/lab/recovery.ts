/**
 * Network faults for recovery tests and bench/recovery.ts (issue 14): the client's uplink down and
 * up again (as a laptop's Wi-Fi drops), the server's UDP blocked and unblocked, and a pinger that
 * says when the first reply came through after a moment. All inside the lab's own namespaces.
 */
import { spawn } from 'node:child_process';
import { ADDR, instanceNames } from './names.js';
import { inNetns, run } from './exec.js';
import type { LabInstance } from './state.js';

const UDP_BLOCK_TABLE = 'tsl_udp_block';

/** The client's uplink goes down: its IPv4 routes go with it (the kernel says nothing about that). */
export async function uplinkDown(inst: LabInstance): Promise<void> {
  await run('ip', ['-n', inst.clientNetns, 'link', 'set', instanceNames(inst.id).underlayClient, 'down']);
}

/** The uplink comes back with its default route, as DHCP would give it again. */
export async function uplinkUp(inst: LabInstance): Promise<void> {
  const dev = instanceNames(inst.id).underlayClient;
  await run('ip', ['-n', inst.clientNetns, 'link', 'set', dev, 'up']);
  await run('ip', ['-n', inst.clientNetns, 'route', 'replace', 'default', 'via', ADDR.serverUnderlay, 'dev', dev]);
}

/** Drops every UDP datagram on the server's client-facing link (the tunnels' transport); ping still answers. */
export async function blockServerUdp(inst: LabInstance): Promise<void> {
  const dev = instanceNames(inst.id).underlayServer;
  const ruleset = `table inet ${UDP_BLOCK_TABLE} {
  chain input { type filter hook input priority -10; policy accept; iifname "${dev}" meta l4proto udp drop; }
  chain output { type filter hook output priority -10; policy accept; oifname "${dev}" meta l4proto udp drop; }
}
`;
  const [cmd, args] = inNetns(inst.serverNetns, 'nft', ['-f', '-']);
  await run(cmd, args, { input: ruleset });
}

export async function unblockServerUdp(inst: LabInstance): Promise<void> {
  const [cmd, args] = inNetns(inst.serverNetns, 'nft', ['delete', 'table', 'inet', UDP_BLOCK_TABLE]);
  await run(cmd, args, { allowFail: true });
}

export interface Pinger {
  /** Milliseconds from `t0` (Unix ms) to the first reply sent at or after it, or null by the deadline. */
  firstReplyAfter(t0: number, timeoutMs: number): Promise<number | null>;
  stop(): void;
}

/**
 * Pings `ip` from `netns` every 50 ms (root may) with ping's own timestamps (-D), so the first reply
 * after a moment is known to the packet, not to a polling loop's period.
 */
export function startPinger(netns: string, ip: string): Pinger {
  const [cmd, args] = inNetns(netns, 'ping', ['-n', '-D', '-i', '0.05', '-W', '1', ip]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  // Sent time of each answered request: reply time minus its round trip.
  const replies: number[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buffer += d;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^\[(\d+\.\d+)\] .* time=([\d.]+) ms/.exec(line);
      if (!m) continue;
      replies.push(Number(m[1]) * 1000 - Number(m[2]));
      for (const w of waiters) w();
    }
  });
  return {
    firstReplyAfter(t0, timeoutMs) {
      return new Promise((resolve) => {
        const check = () => {
          const hit = replies.find((sent) => sent >= t0);
          if (hit === undefined) return false;
          done(Math.max(0, hit - t0));
          return true;
        };
        const timer = setTimeout(() => done(null), timeoutMs);
        const done = (value: number | null) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(value);
        };
        const waiter = () => void check();
        if (!check()) waiters.add(waiter);
      });
    },
    stop() {
      child.kill('SIGTERM');
    },
  };
}
