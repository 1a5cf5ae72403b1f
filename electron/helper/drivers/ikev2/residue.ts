/**
 * The residue record of an IKEv2 session (<workDir>/residue.json) and the crash cleanup built on
 * it: what a session's charon leaves when the helper dies, and how a new helper removes it.
 *
 * A record is data, never instructions. The charon it names is stopped only if it is provably the
 * session's own: the same pid and start time, the charon binary, and in its /run (seen through
 * /proc/<pid>/root, i.e. in its own mount namespace) the pid file names it and the strongswan.conf
 * is the one the helper writes for that session (its routing table is derived from the session
 * id). Routes go with that table; DNS records must be the helper's own (dns.ts parseDnsRecord).
 *
 * What charon leaves after a SIGKILL: its TUN device goes with the process (and with it the
 * virtual IP and the routes through it); its policy rule and any route left in its table stay,
 * and are removed here with `ip` on values the helper derived itself.
 */
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as z from 'zod';
import { parseDnsRecord, removeDns } from '../../dns.js';
import { isAlive, NETNS_NAME_RE, terminate } from '../../exec.js';
import type { HelperLog } from '../../log.js';
import { CHARON_BINARY, procStartTime, removeRoutingLeftovers, routingTableFor, strongswanConf } from './charon.js';


export const Ikev2ResidueSchema = z
  .object({
    kind: z.literal('ikev2'),
    sessionId: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
    pids: z.array(z.number().int().min(2)).max(1),
    /** charon's start time (/proc/<pid>/stat field 22): a reused pid has another. */
    startTime: z.number().int().nonnegative().nullable(),
    netns: z.string().regex(NETNS_NAME_RE).nullable(),
    routingTable: z.number().int().min(10_000).max(59_999),
    interfaceName: z.string().regex(/^ipsec\d{1,4}$/).nullable(),
    dnsRecords: z.array(z.string().refine((r) => parseDnsRecord(r) !== null, 'not a DNS record of the helper')).max(2),
  })
  .strict()
  // The table is the one the helper derives from the session id, never one a record chooses.
  .refine((r) => r.routingTable === routingTableFor(r.sessionId), { message: 'a routing table the helper did not give this session', path: ['routingTable'] })
  // DNS records are only ever made for the session's own interface.
  .refine((r) => r.dnsRecords.every((d) => r.interfaceName !== null && [`${r.interfaceName}.tsunagu`, r.interfaceName].includes(parseDnsRecord(d)?.name ?? '')), {
    message: 'a DNS record for another interface',
    path: ['dnsRecords'],
  });

export type Ikev2Residue = z.infer<typeof Ikev2ResidueSchema>;

/**
 * A record read from session directory `dir`, checked beyond its schema: the session id is the
 * directory's name and the routing table the one the helper gives that session.
 */
export function parseIkev2Residue(dir: string, raw: unknown): { residue: Ikev2Residue } | { problem: string } {
  const parsed = Ikev2ResidueSchema.safeParse(raw);
  if (!parsed.success) return { problem: `not an IKEv2 residue record (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})` };
  if (parsed.data.sessionId !== basename(dir)) return { problem: 'the record names another session' };
  return { residue: parsed.data };
}

/** Whether `pid` is the charon of session `sessionId` (see the header). */
export function isSessionCharon(pid: number, startTime: number | null, sessionId: string): boolean {
  if (!isAlive(pid)) return false;
  if (startTime !== null && procStartTime(pid) !== startTime) return false;
  try {
    if (readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '') !== CHARON_BINARY) return false;
    // Its own /run, in its mount namespace.
    const run = `/proc/${pid}/root/run`;
    if (readFileSync(join(run, 'charon.pid'), 'utf8').trim() !== String(pid)) return false;
    return readFileSync(join(run, 'strongswan.conf'), 'utf8') === strongswanConf(routingTableFor(sessionId));
  } catch {
    return false;
  }
}

/**
 * Cleans up after an IKEv2 session whose helper died: stops its charon if it still runs (SIGTERM:
 * charon deletes its SAs at the server and removes its routes, rule and virtual IP; SIGKILL after
 * 3 s), removes the rule and routes a killed charon left, and the DNS the helper had applied.
 * Rejects listing what stayed.
 */
export async function cleanupIkev2Residue(residue: Ikev2Residue, log?: HelperLog): Promise<void> {
  const problems: string[] = [];
  for (const pid of residue.pids) {
    if (!isSessionCharon(pid, residue.startTime, residue.sessionId)) continue;
    log?.add('info', `stopping charon pid ${pid} left by session ${residue.sessionId}`, null);
    if (!(await terminate(pid, 3_000))) problems.push(`charon pid ${pid} did not exit`);
  }
  const netnsGone = residue.netns !== null && !pathExists(join('/run/netns', residue.netns));
  if (!netnsGone) problems.push(...(await removeRoutingLeftovers(residue.netns, residue.routingTable)));
  for (const record of residue.dnsRecords) {
    try {
      await removeDns({ netns: residue.netns, record });
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length > 0) throw new Error(`IKEv2 cleanup incomplete: ${problems.join('; ')}`);
}

function pathExists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
