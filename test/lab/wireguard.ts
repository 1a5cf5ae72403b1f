// WireGuard scenarios: wg-quick with the userspace wireguard-go (the kernel here has no WireGuard).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allPids, inNetns, isAlive, killAndWait, pidNetnsInode, procCmdline, procComm, procStartTime, run, waitUntil } from './exec.js';
import { ADDR } from './names.js';
import { wgKeyPair } from './pki.js';
import type { BuildContext, BuildResult } from './scenario-types.js';
import type { LabInstance, ServerState } from './state.js';
import { netnsInode } from './topology.js';

export type WireguardScenario = 'wireguard-split' | 'wireguard-full' | 'wireguard-dns' | 'wireguard-badkey';

/** wg-quick falls back to this when `ip link add type wireguard` fails ("Unknown device type"). */
export const WG_ENV = { ...process.env, WG_QUICK_USERSPACE_IMPLEMENTATION: 'wireguard-go' };

export function wgSocketPath(iface: string): string {
  // Not namespaced: this is why WireGuard interface names carry the instance id.
  return `/var/run/wireguard/${iface}.sock`;
}

export async function buildWireguard(ctx: BuildContext, scenario: WireguardScenario): Promise<BuildResult> {
  const n = ctx.names;
  const serverDir = join(ctx.dir, 'server');
  mkdirSync(serverDir, { recursive: true, mode: 0o700 });
  const serverKeys = wgKeyPair();
  const clientKeys = wgKeyPair();

  const serverConf = [
    `# Tsunagu lab ${scenario} server (${ctx.id})`,
    '[Interface]',
    `PrivateKey = ${serverKeys.privateKey}`,
    `ListenPort = ${ADDR.wgPort}`,
    `Address = ${ADDR.wgServer}/24, ${ADDR.wgServer6}/64`,
    '',
    '[Peer]',
    `PublicKey = ${clientKeys.publicKey}`,
    `AllowedIPs = ${ADDR.wgClient}/32, ${ADDR.wgClient6}/128`,
    '',
  ];
  const config = join(serverDir, `${n.wgServer}.conf`);
  writeFileSync(config, serverConf.join('\n'), { mode: 0o600 });

  const allowed =
    scenario === 'wireguard-full'
      ? '0.0.0.0/0, ::/0'
      : `${ADDR.wgNet}, ${ADDR.wgNet6}, ${ADDR.insideNet}/${ADDR.insidePrefix}`;
  // wireguard-badkey: the profile names a server key nobody holds, so no handshake ever completes.
  const peerKey = scenario === 'wireguard-badkey' ? wgKeyPair().publicKey : serverKeys.publicKey;
  const client = [
    `# Tsunagu lab ${scenario} (${ctx.id}): throwaway test profile`,
    '[Interface]',
    `PrivateKey = ${clientKeys.privateKey}`,
    `Address = ${ADDR.wgClient}/32, ${ADDR.wgClient6}/128`,
  ];
  if (scenario === 'wireguard-dns') client.push(`DNS = ${ADDR.dnsServer}, ${ADDR.dnsDomain}`);
  client.push(
    '',
    '[Peer]',
    `PublicKey = ${peerKey}`,
    `Endpoint = ${ADDR.serverUnderlay}:${ADDR.wgPort}`,
    `AllowedIPs = ${allowed}`,
    'PersistentKeepalive = 25',
    '',
  );
  // wg-quick names the interface after the file, so the profile file name is the (unique) client device name.
  const profile = join(ctx.dir, `${n.wgClient}.conf`);
  writeFileSync(profile, client.join('\n'), { mode: 0o600 });

  return {
    profile,
    extraFiles: [],
    credentials: {},
    tunnelPeerIp: ADDR.wgServer,
    server: { kind: 'wireguard', config, iface: n.wgServer, log: join(serverDir, 'wg-quick.log'), pid: null, startTime: null },
  };
}

/** The wireguard-go process serving `iface` inside namespace `netns`, if any. */
export function findWireguardGo(netns: string, iface: string): number | null {
  let ino: number;
  try {
    ino = netnsInode(netns);
  } catch {
    return null;
  }
  for (const pid of allPids()) {
    if (procComm(pid) !== 'wireguard-go') continue;
    if (pidNetnsInode(pid) !== ino) continue;
    if (procCmdline(pid).includes(iface) && isAlive(pid)) return pid;
  }
  return null;
}

export async function startWireguardServer(inst: LabInstance, s: Extract<ServerState, { kind: 'wireguard' }>): Promise<void> {
  rmSync(wgSocketPath(s.iface), { force: true });
  const [cmd, args] = inNetns(inst.serverNetns, 'wg-quick', ['up', s.config]);
  const r = await run(cmd, args, { env: WG_ENV });
  writeFileSync(s.log, r.stdout + r.stderr, { flag: 'a' });
  const pid = findWireguardGo(inst.serverNetns, s.iface);
  if (pid === null) throw new Error(`wireguard-go for ${s.iface} not found after wg-quick up`);
  s.pid = pid;
  s.startTime = procStartTime(pid);
}

export async function stopWireguardServer(inst: LabInstance, s: Extract<ServerState, { kind: 'wireguard' }>, hard: boolean): Promise<void> {
  const pid = s.pid !== null && isAlive(s.pid, s.startTime) ? s.pid : null;
  if (hard) {
    if (pid !== null) await killAndWait([pid], 'SIGKILL');
  } else {
    const [cmd, args] = inNetns(inst.serverNetns, 'wg-quick', ['down', s.config]);
    const r = await run(cmd, args, { env: WG_ENV, allowFail: true });
    writeFileSync(s.log, r.stdout + r.stderr, { flag: 'a' });
    // wg-quick returns at once, but wireguard-go exits 1.3–1.8 s later.
    if (pid !== null) {
      await waitUntil('wireguard-go to exit', () => !isAlive(pid), 5000).catch(() => killAndWait([pid], 'SIGKILL'));
    }
  }
  rmSync(wgSocketPath(s.iface), { force: true });
  s.pid = null;
  s.startTime = null;
}
