/**
 * The residue record (<workDir>/residue.json) of a WireGuard session and the crash-recovery
 * cleanup built on it.
 *
 * A record is data, never instructions: it is validated with a schema, every name in it must be
 * the one the helper itself derives from the session's directory (interface, resolvconf record),
 * and cleanup runs only the helper's own commands on those values (removeTunnel). The config file
 * is never handed to wg-quick: its hooks would run as root.
 */
import { basename, join } from 'node:path';
import * as z from 'zod';
import { NETNS_NAME_RE } from '../../exec.js';
import { interfaceNameFor } from './names.js';
import { findWireGuardGo, removeTunnel, resolvconfRecordName, wireGuardGoIdentity, type LogFn, type TunnelTarget } from './system.js';

const u32 = z.number().int().nonnegative().max(0xffff_ffff);
const family = z.union([z.literal(4), z.literal(6)]);

const RuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fwmark'), family, priority: u32, mark: u32.min(1) }).strict(),
  z.object({ kind: z.literal('suppress'), family, priority: u32 }).strict(),
]);

export const WireGuardResidueSchema = z.object({
  kind: z.literal('wireguard'),
  sessionId: z.string().max(128),
  pids: z.array(z.number().int().min(1)).max(16),
  interfaceName: z.string().max(15).nullable(),
  dnsRecords: z.array(z.string().max(64)).max(1),
  configPath: z.string().max(4096).nullable(),
  netns: z.string().regex(NETNS_NAME_RE).nullable(),
  rules: z.array(RuleSchema).max(8),
  srcValidMark: z.union([z.literal(0), z.literal(1)]).nullable(),
});

export type WireGuardResidue = z.infer<typeof WireGuardResidueSchema>;

/**
 * Every name in a record that passed the schema, checked against session directory `dir`: equal to
 * the one the helper gives this session (the directory's name is the session id).
 */
export function verifyWireGuardResidue(r: WireGuardResidue, dir: string): { residue: WireGuardResidue } | { problem: string } {
  const sessionId = basename(dir);
  const ifname = interfaceNameFor(sessionId);
  if (r.interfaceName !== null && r.interfaceName !== ifname) return { problem: 'the record names an interface the helper did not create' };
  if (r.configPath !== null && r.configPath !== join(dir, `${ifname}.conf`)) return { problem: 'the record names a config outside its session directory' };
  if (r.dnsRecords.some((d) => d !== resolvconfRecordName(ifname, r.netns))) return { problem: 'the record names a DNS record the helper did not create' };
  return { residue: { ...r, interfaceName: ifname } };
}

/**
 * A record read from the session directory `dir`, checked: the schema, the session id, and every
 * name (verifyWireGuardResidue). Returns the record or why it was refused.
 */
export function parseWireGuardResidue(dir: string, raw: unknown): { residue: WireGuardResidue } | { problem: string } {
  const parsed = WireGuardResidueSchema.safeParse(raw);
  if (!parsed.success) return { problem: `not a WireGuard residue record (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})` };
  if (parsed.data.sessionId !== basename(dir)) return { problem: 'the record names another session' };
  return verifyWireGuardResidue(parsed.data, dir);
}

/**
 * Removes what a WireGuard session left behind when its helper died (`residue` as returned by
 * parseWireGuardResidue): the wireguard-go process (only one whose command line is wireguard-go
 * for this interface), the interface, its nft table, the recorded ip rules, the resolvconf record,
 * src_valid_mark and the UAPI socket. Resolves when all of it is gone; rejects listing what stayed.
 */
export async function cleanupWireGuardResidue(residue: WireGuardResidue, log: LogFn = () => undefined): Promise<void> {
  const ifname = interfaceNameFor(residue.sessionId);
  const alive = [...residue.pids.map((pid) => wireGuardGoIdentity(pid, ifname)), ...findWireGuardGo(ifname)].filter((p) => p !== null);
  const netns = residue.netns;
  const target: TunnelTarget = {
    ifname,
    netns,
    pids: alive.map((p) => p.pid),
    rules: residue.rules,
    dnsRecords: residue.dnsRecords.length > 0 ? [resolvconfRecordName(ifname, netns)] : [],
    srcValidMark: residue.srcValidMark,
  };
  const left = await removeTunnel(target, log, { exitWaitMs: 5_000 });
  if (left.length > 0) throw new Error(`WireGuard interface ${ifname}: still present after cleanup: ${left.join('; ')}`);
}
