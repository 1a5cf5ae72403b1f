/**
 * The residue record: what a running OpenVPN session leaves on the system (its openvpn pids, the
 * tun/tap device, the routes and addresses openvpn added, DNS records), kept current in
 * <workDir>/residue.json (written through the driver lifecycle's ResidueFile) so that a helper
 * restarted after a crash can remove it with cleanupOpenVpnResidue. A record is data, never instructions: it is validated on read, and
 * cleanup runs only the helper's own commands on its values.
 */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import * as z from 'zod';
import { parseDnsRecord, removeDns } from '../../dns.js';
import { isAlive, NETNS_NAME_RE, waitForExit } from '../../exec.js';
import { configFilePath, managementSocketPath } from './process.js';
import { AddressRecordSchema, removeRoutes, RouteRecordSchema } from './routes.js';

export function readCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return [];
  }
}

function readLink(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

/**
 * The pid is still one of the session's openvpn processes (pids get reused, and a record is
 * never trusted): its executable is openvpn, it runs in the session's directory and its command
 * line names the session's management socket (every process the helper starts has it; the first
 * one reads its config from stdin, restarts the session's config file).
 */
export function isOurOpenVpn(pid: number, workDir: string): boolean {
  const exe = readLink(`/proc/${pid}/exe`);
  if (exe === null || basename(exe.replace(/ \(deleted\)$/, '')) !== 'openvpn') return false;
  if (readLink(`/proc/${pid}/cwd`) !== workDir) return false;
  const argv = readCmdline(pid);
  const i = argv.indexOf('--management');
  return i >= 0 && argv[i + 1] === managementSocketPath(workDir);
}

async function killOpenVpn(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await waitForExit(pid, 3_000)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitForExit(pid, 2_000);
}

const MAX_RECORDED_ROUTES = 16_384;

export const OpenVpnResidueSchema = z.object({
  kind: z.literal('openvpn'),
  sessionId: z.string().max(128),
  pids: z.array(z.number().int().min(1)).max(16),
  interfaceName: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,14}$/).nullable(),
  dnsRecords: z.array(z.string().refine((r) => parseDnsRecord(r) !== null, 'not a DNS record of the helper')).max(4),
  configPath: z.string().max(4096).nullable(),
  // A standby's record (standby.ts) has no routes yet and may predate these fields.
  netns: z.string().regex(NETNS_NAME_RE).nullable().default(null),
  // Far more than a server can push (openvpn has no route limit; a PUSH_REPLY is a few KiB a message).
  routes: z.array(RouteRecordSchema).max(MAX_RECORDED_ROUTES).default([]),
  addresses: z.array(AddressRecordSchema).max(64).default([]),
});

export type OpenVpnResidue = z.infer<typeof OpenVpnResidueSchema>;

/** The record's config path must be the helper's own for session directory `dir`. */
export function verifyOpenVpnResidue(residue: OpenVpnResidue, dir: string): { residue: OpenVpnResidue } | { problem: string } {
  if (residue.configPath !== null && residue.configPath !== configFilePath(dir)) return { problem: 'the record names a config outside its session directory' };
  return { residue };
}

/**
 * A record read from the session directory `dir`, checked: the schema, the session id equal to
 * the directory's name, the config path the helper's own. Returns the record or why it was refused.
 */
export function parseOpenVpnResidue(dir: string, raw: unknown): { residue: OpenVpnResidue } | { problem: string } {
  const parsed = OpenVpnResidueSchema.safeParse(raw);
  if (!parsed.success) return { problem: `not an OpenVPN residue record (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})` };
  if (parsed.data.sessionId !== basename(dir)) return { problem: 'the record names another session' };
  return verifyOpenVpnResidue(parsed.data, dir);
}

/**
 * Cleans up after a session whose helper died (`residue` as returned by parseOpenVpnResidue, from
 * the session directory `workDir`): kills the openvpn processes that are provably the session's
 * (isOurOpenVpn), then removes the routes and addresses openvpn added that survived it, and its
 * DNS records. The tun/tap device goes away with its process. Never throws for one failed item:
 * it tries them all, then reports.
 */
export async function cleanupOpenVpnResidue(workDir: string, residue: OpenVpnResidue): Promise<void> {
  const problems: string[] = [];
  for (const pid of residue.pids) {
    if (!isAlive(pid) || !isOurOpenVpn(pid, workDir)) continue;
    await killOpenVpn(pid);
    if (isAlive(pid)) problems.push(`openvpn pid ${pid} did not exit`);
  }
  if (residue.routes.length + residue.addresses.length > 0) {
    const netns = residue.netns !== null && !existsSync(`/run/netns/${residue.netns}`) ? undefined : residue.netns;
    if (netns !== undefined) problems.push(...(await removeRoutes(netns, residue.routes, residue.addresses)).left);
  }
  for (const record of residue.dnsRecords) {
    try {
      await removeDns({ netns: null, record });
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length > 0) throw new Error(`OpenVPN cleanup incomplete: ${problems.join('; ')}`);
}
