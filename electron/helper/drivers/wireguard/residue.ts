/**
 * The residue record (<workDir>/residue.json) and the crash-recovery cleanup built on it.
 *
 * The record is a plain `Residue` plus two WireGuard extras, `netns` and `fwmarkTable`. The helper's
 * start-up reader keeps only the `Residue` fields, so `cleanupWireGuardResidue` re-reads the extras
 * from the record beside the config file (both live in the session's work directory); without them
 * it finds the namespace through a surviving wireguard-go process.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Residue } from '../driver.js';
import { isSafeInterfaceName } from './names.js';
import { netnsOfPid, removeTunnel, wireGuardGoIdentity, findWireGuardGo, type LogFn, type TunnelTarget } from './system.js';

export const RESIDUE_FILE = 'residue.json';

export interface WireGuardResidue extends Residue {
  kind: 'wireguard';
  /** Network namespace the tunnel runs in (null: the helper's own). */
  netns?: string | null;
  fwmarkTable?: number | null;
}

export function writeResidue(workDir: string, residue: WireGuardResidue): void {
  const path = join(workDir, RESIDUE_FILE);
  const tmp = `${path}.tmp`;
  // Written whole and renamed: a crash never leaves a torn record.
  writeFileSync(tmp, `${JSON.stringify(residue, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

export function removeResidue(workDir: string): void {
  rmSync(join(workDir, RESIDUE_FILE), { force: true });
}

function readExtras(configPath: string | null): { netns?: string | null; fwmarkTable?: number | null } {
  if (configPath === null) return {};
  try {
    const value = JSON.parse(readFileSync(join(dirname(configPath), RESIDUE_FILE), 'utf8')) as Record<string, unknown>;
    return {
      netns: typeof value.netns === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value.netns) ? value.netns : undefined,
      fwmarkTable: typeof value.fwmarkTable === 'number' && Number.isInteger(value.fwmarkTable) && value.fwmarkTable > 0 ? value.fwmarkTable : undefined,
    };
  } catch {
    return {};
  }
}

/**
 * Removes what a WireGuard session left behind when its helper died: the interface (`wg-quick down`
 * with the recorded config, else `ip link delete`), the wireguard-go process, the nft table, the
 * full-tunnel `ip rule`s, the resolvconf record and the UAPI socket; then deletes the config (it
 * holds the private key). Resolves when all of it is gone; rejects listing whatever stayed.
 */
export async function cleanupWireGuardResidue(residue: Residue, log: LogFn = () => undefined): Promise<void> {
  if (residue.kind !== 'wireguard') return;
  const ifname = residue.interfaceName;
  if (ifname === null || !isSafeInterfaceName(ifname)) return;
  // Only a config named after the interface is used: wg-quick derives the interface from the file name.
  const configPath = residue.configPath !== null && basename(residue.configPath) === `${ifname}.conf` ? residue.configPath : null;
  const extras = readExtras(configPath);
  const alive = [...residue.pids.map((pid) => wireGuardGoIdentity(pid, ifname)), ...findWireGuardGo(ifname)].filter((p) => p !== null);
  let netns: string | null = extras.netns !== undefined ? extras.netns : null;
  if (extras.netns === undefined && alive[0]) netns = netnsOfPid(alive[0].pid);
  const target: TunnelTarget = {
    ifname,
    netns,
    configPath,
    pids: alive.map((p) => p.pid),
    fwmarkTable: extras.fwmarkTable ?? null,
    dnsRecords: residue.dnsRecords.filter((r) => isSafeInterfaceName(r) || /^[A-Za-z0-9-]+\.[a-zA-Z0-9_=+.-]{1,15}$/.test(r)),
  };
  const left = await removeTunnel(target, log, { downTimeoutMs: 15_000, exitWaitMs: 5_000 });
  if (configPath !== null && existsSync(configPath)) rmSync(configPath, { force: true });
  if (left.length > 0) throw new Error(`WireGuard interface ${ifname}: still present after cleanup: ${left.join('; ')}`);
}
