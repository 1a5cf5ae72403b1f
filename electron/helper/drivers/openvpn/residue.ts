/**
 * The residue record: what a running OpenVPN session leaves on the system (its openvpn pids, the
 * tun/tap device, the routes and addresses openvpn added, DNS records), kept current in
 * <workDir>/residue.json so that a helper restarted after a crash can remove it with
 * cleanupOpenVpnResidue. A record is data, never instructions: it is validated on read, and
 * cleanup runs only the helper's own commands on its values.
 */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { parseDnsRecord, removeDns } from '../../dns.js';
import { isAlive, waitForExit } from '../../exec.js';
import { configFilePath, managementSocketPath } from './process.js';
import { AddressRecordSchema, removeRoutes, RouteRecordSchema } from './routes.js';

export const RESIDUE_FILE = 'residue.json';

/**
 * Keeps <workDir>/residue.json current without blocking the helper: a replacing rename can make
 * the file system flush (ext4 does, on purpose), which would otherwise stall every session's
 * events while a tunnel comes up. Writes run in the background, one at a time, and only the newest
 * record waiting is written; flush() waits until what was saved is on disk.
 *
 * A write starts on the next turn of the event loop, not at once: openvpn logs the address and
 * routes it adds in one burst just before CONNECTED, and a write per line would make "connected"
 * wait for one record after another (each an open, write, close and rename in the thread pool).
 */
export class ResidueWriter {
  private next: OpenVpnResidue | null = null;
  private writing: Promise<void> | null = null;
  private scheduled: NodeJS.Immediate | null = null;
  private closed = false;

  constructor(
    private readonly workDir: string,
    private readonly onError: (message: string) => void,
  ) {}

  save(residue: OpenVpnResidue): void {
    if (this.closed) return;
    this.next = residue;
    if (this.writing === null) this.scheduled ??= setImmediate(() => this.start());
  }

  flush(): Promise<void> {
    this.start();
    return this.writing ?? Promise.resolve();
  }

  /** Writes what was saved, then ignores later saves (the session is being removed). */
  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }

  private start(): void {
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
    if (this.next !== null) this.writing ??= this.drain();
  }

  private async drain(): Promise<void> {
    const path = join(this.workDir, RESIDUE_FILE);
    const tmp = `${path}.tmp`;
    for (let r = this.next; r !== null; r = this.next) {
      this.next = null;
      try {
        await writeFile(tmp, `${JSON.stringify(r)}\n`, { mode: 0o600 });
        // rename is atomic: a crash never leaves half a record.
        await rename(tmp, path);
      } catch (e) {
        this.onError((e as Error).message);
      }
    }
    this.writing = null;
  }
}

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

const NETNS_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const MAX_RECORDED_ROUTES = 16_384;

export const OpenVpnResidueSchema = z.object({
  kind: z.literal('openvpn'),
  sessionId: z.string().max(128),
  pids: z.array(z.number().int().min(1)).max(16),
  interfaceName: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,14}$/).nullable(),
  dnsRecords: z.array(z.string().refine((r) => parseDnsRecord(r) !== null, 'not a DNS record of the helper')).max(4),
  configPath: z.string().max(4096).nullable(),
  // A standby's record (standby.ts) has no routes yet and may predate these fields.
  netns: z.string().regex(NETNS_RE).nullable().default(null),
  // Far more than a server can push (openvpn has no route limit; a PUSH_REPLY is a few KiB a message).
  routes: z.array(RouteRecordSchema).max(MAX_RECORDED_ROUTES).default([]),
  addresses: z.array(AddressRecordSchema).max(64).default([]),
});

export type OpenVpnResidue = z.infer<typeof OpenVpnResidueSchema>;

/**
 * A record read from the session directory `dir`, checked: the schema, the session id equal to
 * the directory's name, the config path the helper's own. Returns the record or why it was refused.
 */
export function parseOpenVpnResidue(dir: string, raw: unknown): { residue: OpenVpnResidue } | { problem: string } {
  const parsed = OpenVpnResidueSchema.safeParse(raw);
  if (!parsed.success) return { problem: `not an OpenVPN residue record (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})` };
  const r = parsed.data;
  if (r.sessionId !== basename(dir)) return { problem: 'the record names another session' };
  if (r.configPath !== null && r.configPath !== configFilePath(dir)) return { problem: 'the record names a config outside its session directory' };
  return { residue: r };
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
