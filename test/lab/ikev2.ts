// IKEv2 scenarios: strongSwan charon with kernel-libipsec (userspace ESP: the kernel here has no ESP).
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inNetns, isAlive, killAndWait, procStartTime, run, sleep, spawnDetached, type RunResult } from './exec.js';
import { ADDR } from './names.js';
import { makePki, randomSecret } from './pki.js';
import type { BuildContext, BuildResult } from './scenario-types.js';
import type { LabInstance, ServerState } from './state.js';

export type Ikev2Scenario = 'ikev2-psk' | 'ikev2-eap';

/** The JSON "profile" written for IKEv2 (the product's own IKEv2 format is not designed yet). */
export interface Ikev2Profile {
  format: 'tsunagu-lab-ikev2/1';
  name: string;
  /** Address to dial (UDP 500/4500). */
  server: string;
  /** Identity the server proves (IKE ID). */
  serverId: string;
  auth: 'psk' | 'eap-mschapv2';
  /** psk: the client's own IKE identity. */
  localId?: string;
  psk?: string;
  /** eap-mschapv2: user name and password. */
  eap?: { username: string; password: string };
  /** eap-mschapv2: CA certificate (PEM file) that signed the server certificate. */
  caCert?: string;
  /** The client asks the server for a virtual IP (from the server's pool). */
  requestVirtualIp: boolean;
  /** Networks behind the server to route through the tunnel. */
  remoteTs: string[];
}

const CHARON = '/usr/lib/ipsec/charon';

/**
 * A charon instance's directory: swanctl/ (SWANCTL_DIR, used from the host), charon.out (stdout),
 * and run/, which becomes charon's /run. Everything charon itself opens (strongswan.conf, its log,
 * charon.pid, charon.vici) lives in run/, because the rest of /run, including the lab's state
 * directory, is hidden from it once run/ is mounted there.
 */
export function charonPaths(dir: string) {
  return {
    dir,
    run: join(dir, 'run'),
    /** Host-side paths of the files inside run/. */
    conf: join(dir, 'run', 'strongswan.conf'),
    vici: join(dir, 'run', 'charon.vici'),
    log: join(dir, 'run', 'charon.log'),
    swanctlDir: join(dir, 'swanctl'),
    stdout: join(dir, 'charon.out'),
  };
}

function strongswanConf(role: string): string {
  // Plugins are listed explicitly: kernel-libipsec before kernel-netlink makes libipsec handle
  // IPsec (ESP over a TUN device, UDP-encapsulated) while kernel-netlink still does addresses/routes.
  return `# Tsunagu lab charon (${role})
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey revocation constraints sha1 sha2 hmac aes gcm kdf kernel-libipsec kernel-netlink socket-default vici attr eap-identity eap-mschapv2
  filelog {
    lab {
      path = /run/charon.log
      time_format = %T
      default = 1
      ike = 2
      cfg = 2
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
}
swanctl {
  load = pem pkcs1 pkcs8 x509 openssl
}
`;
}

export function prepareCharonDir(dir: string, role: string): void {
  const p = charonPaths(dir);
  for (const d of [p.dir, p.run, p.swanctlDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  writeFileSync(p.conf, strongswanConf(role));
}

export function swanctlEnv(dir: string): NodeJS.ProcessEnv {
  const p = charonPaths(dir);
  return { ...process.env, SWANCTL_DIR: p.swanctlDir, STRONGSWAN_CONF: p.conf };
}

/** Runs swanctl against the charon of `dir` (`--uri` must follow the command option). */
export function swanctl(dir: string, args: readonly string[], allowFail = false): Promise<RunResult> {
  return run('swanctl', [...args, '--uri', `unix://${charonPaths(dir).vici}`], { env: swanctlEnv(dir), allowFail });
}

/**
 * Starts charon inside `netns`. charon hard-codes /var/run/charon.pid and charon.vici, so each
 * instance gets a private mount namespace where its own run/ directory is bind-mounted over /run
 * (charon's config is then /run/strongswan.conf in its view).
 * Propagation "slave" keeps receiving the host's unmounts, so `ip netns del` elsewhere still frees
 * other namespaces (a private copy of /run/netns would keep them alive). The VICI socket is then
 * reachable from the host as <dir>/run/charon.vici.
 */
export async function startCharon(netns: string, dir: string): Promise<number> {
  const p = charonPaths(dir);
  for (const stale of ['charon.pid', 'charon.vici', 'charon.ctl']) rmSync(join(p.run, stale), { force: true });
  const [cmd, args] = inNetns(netns, 'unshare', [
    '-m',
    '--propagation',
    'slave',
    'sh',
    '-c',
    'mount --bind "$0" /run && exec "$1"',
    p.run,
    CHARON,
  ]);
  const pid = spawnDetached(cmd, args, p.stdout, { ...process.env, STRONGSWAN_CONF: '/run/strongswan.conf' });
  const deadline = Date.now() + 10_000;
  while (!existsSync(p.vici)) {
    if (!isAlive(pid)) throw new Error(`charon exited during start (see ${p.stdout})`);
    if (Date.now() > deadline) throw new Error('charon VICI socket did not appear in 10 s');
    await sleep(10);
  }
  // The socket file appears just before charon listens on it: retry the first command briefly.
  for (let i = 0; ; i++) {
    const r = await swanctl(dir, ['--load-all', '--noprompt'], true);
    if (r.code === 0) break;
    if (i > 50 || !isAlive(pid)) throw new Error(`swanctl --load-all failed: ${r.stderr.trim() || r.stdout.trim()}`);
    await sleep(20);
  }
  return pid;
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** swanctl.conf for a client described by an Ikev2Profile (used by tests and written as an extra file). */
export function clientSwanctlConf(profile: Ikev2Profile): string {
  const local =
    profile.auth === 'psk'
      ? [`      auth = psk`, `      id = ${profile.localId ?? ADDR.ikeClientId}`]
      : [`      auth = eap-mschapv2`, `      eap_id = ${profile.eap?.username ?? ''}`];
  const secrets =
    profile.auth === 'psk'
      ? [
          '  ike-lab {',
          `    id-client = ${profile.localId ?? ADDR.ikeClientId}`,
          `    id-server = ${profile.serverId}`,
          `    secret = ${quote(profile.psk ?? '')}`,
          '  }',
        ]
      : ['  eap-lab {', `    id = ${profile.eap?.username ?? ''}`, `    secret = ${quote(profile.eap?.password ?? '')}`, '  }'];
  return [
    `# ${profile.name}`,
    'connections {',
    '  lab {',
    '    version = 2',
    `    remote_addrs = ${profile.server}`,
    profile.requestVirtualIp ? '    vips = 0.0.0.0' : '',
    '    dpd_delay = 5s',
    '    local {',
    ...local,
    '    }',
    '    remote {',
    `      auth = ${profile.auth === 'psk' ? 'psk' : 'pubkey'}`,
    `      id = ${profile.serverId}`,
    '    }',
    '    children {',
    '      lab {',
    `        remote_ts = ${profile.remoteTs.join(',')}`,
    '      }',
    '    }',
    '  }',
    '}',
    'secrets {',
    ...secrets,
    '}',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

/** Lays out a client charon directory for `profile` (CA certificate into swanctl/x509ca). */
export function prepareClientDir(dir: string, profile: Ikev2Profile): void {
  prepareCharonDir(dir, 'client');
  const p = charonPaths(dir);
  if (profile.caCert) {
    mkdirSync(join(p.swanctlDir, 'x509ca'), { recursive: true });
    copyFileSync(profile.caCert, join(p.swanctlDir, 'x509ca', 'ca.crt'));
  }
  writeFileSync(join(p.swanctlDir, 'swanctl.conf'), `${clientSwanctlConf(profile)}\n`, { mode: 0o600 });
}

export async function buildIkev2(ctx: BuildContext, scenario: Ikev2Scenario): Promise<BuildResult> {
  const serverDir = join(ctx.dir, 'ike-server');
  prepareCharonDir(serverDir, 'server');
  const sp = charonPaths(serverDir);
  const eap = scenario === 'ikev2-eap';
  const psk = randomSecret(24);
  const good = { username: 'alice', password: randomSecret(16) };

  const serverLocal = ['      auth = psk', `      id = ${ADDR.ikeServerId}`];
  const serverRemote = ['      auth = psk', `      id = ${ADDR.ikeClientId}`];
  let secrets = [
    '  ike-lab {',
    `    id-server = ${ADDR.ikeServerId}`,
    `    id-client = ${ADDR.ikeClientId}`,
    `    secret = ${quote(psk)}`,
    '  }',
  ];
  let caCert: string | undefined;
  if (eap) {
    const pki = await makePki(join(ctx.dir, 'pki'), {
      keyType: 'ec',
      serverCn: ADDR.ikeServerId,
      serverSan: [`DNS:${ADDR.ikeServerId}`, `IP:${ADDR.serverUnderlay}`],
      clientCn: 'client.lab.test',
    });
    caCert = pki.caCert;
    for (const d of ['x509', 'private']) mkdirSync(join(sp.swanctlDir, d), { recursive: true });
    copyFileSync(pki.server.cert, join(sp.swanctlDir, 'x509', 'server.crt'));
    copyFileSync(pki.server.key, join(sp.swanctlDir, 'private', 'server.key'));
    serverLocal.splice(0, 2, '      auth = pubkey', '      certs = server.crt', `      id = ${ADDR.ikeServerId}`);
    serverRemote.splice(0, 2, '      auth = eap-mschapv2', '      eap_id = %any');
    secrets = ['  eap-lab {', `    id = ${good.username}`, `    secret = ${quote(good.password)}`, '  }'];
  }
  const serverConf = [
    `# Tsunagu lab ${scenario} server (${ctx.id})`,
    'connections {',
    '  lab {',
    '    version = 2',
    `    local_addrs = ${ADDR.serverUnderlay}`,
    '    pools = lab-pool',
    '    send_certreq = no',
    '    dpd_delay = 5s',
    '    local {',
    ...serverLocal,
    '    }',
    '    remote {',
    ...serverRemote,
    '    }',
    '    children {',
    '      lab {',
    `        local_ts = ${ADDR.insideNet}/${ADDR.insidePrefix}`,
    '      }',
    '    }',
    '  }',
    '}',
    'pools {',
    '  lab-pool {',
    `    addrs = ${ADDR.ikePool}`,
    '  }',
    '}',
    'secrets {',
    ...secrets,
    '}',
    '',
  ];
  writeFileSync(join(sp.swanctlDir, 'swanctl.conf'), serverConf.join('\n'), { mode: 0o600 });

  const profile: Ikev2Profile = {
    format: 'tsunagu-lab-ikev2/1',
    name: `Tsunagu lab ${scenario} (${ctx.id})`,
    server: ADDR.serverUnderlay,
    serverId: ADDR.ikeServerId,
    auth: eap ? 'eap-mschapv2' : 'psk',
    ...(eap ? { eap: good, caCert } : { localId: ADDR.ikeClientId, psk }),
    requestVirtualIp: true,
    remoteTs: [`${ADDR.insideNet}/${ADDR.insidePrefix}`],
  };
  const profilePath = join(ctx.dir, `${scenario}.json`);
  writeFileSync(profilePath, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });

  // A ready-made client charon directory (swanctl.conf, strongswan.conf, CA) for the plain tools.
  const clientDir = join(ctx.dir, 'ike-client');
  prepareClientDir(clientDir, profile);
  const cp = charonPaths(clientDir);
  const extraFiles = [join(cp.swanctlDir, 'swanctl.conf'), cp.conf];
  if (caCert) extraFiles.unshift(caCert);

  return {
    profile: profilePath,
    extraFiles,
    credentials: eap ? { good, bad: { username: good.username, password: `${good.password}x` } } : { psk },
    // IKEv2 has no inner server address: the server's inside address is in the traffic selector.
    tunnelPeerIp: ADDR.serverInside,
    server: { kind: 'ikev2', dir: serverDir, log: sp.log, pid: null, startTime: null },
  };
}

export async function startIkev2Server(inst: LabInstance, s: Extract<ServerState, { kind: 'ikev2' }>): Promise<void> {
  const pid = await startCharon(inst.serverNetns, s.dir);
  s.pid = pid;
  s.startTime = procStartTime(pid);
}

export async function stopIkev2Server(s: Extract<ServerState, { kind: 'ikev2' }>, hard: boolean): Promise<void> {
  if (s.pid !== null && isAlive(s.pid, s.startTime)) await killAndWait([s.pid], hard ? 'SIGKILL' : 'SIGTERM', 5000);
  s.pid = null;
  s.startTime = null;
}
