// IKE scenarios (IKEv2, and IKEv1 with XAuth): strongSwan charon with kernel-libipsec (userspace ESP:
// the kernel here has no ESP). Each scenario writes a client profile in swanctl.conf syntax, with
// its certificates and keys as companion files beside it, as a user would get them from an admin.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inNetns, isAlive, killAndWait, procStartTime, run, sleep, spawnDetached, waitUntil, type RunResult } from './exec.js';
import { ADDR, instanceNames } from './names.js';
import { makePki, randomSecret } from './pki.js';
import type { BuildContext, BuildResult } from './scenario-types.js';
import type { LabInfo, LabInstance, ServerState, UserPass } from './state.js';

export type Ikev2Scenario = 'ikev2-psk' | 'ikev2-eap' | 'ikev2-cert' | 'ikev1-xauth';

/** The client profile's file name, and its companions' (flat, in the same directory). */
export const IKE_PROFILE_FILE = 'client.swanctl.conf';
export const IKE_COMPANIONS = { ca: 'ca.pem', cert: 'client.pem', key: 'client.key' } as const;
/** Where swanctl resolves a companion's relative name (below SWANCTL_DIR). */
export const IKE_COMPANION_DIRS: Record<string, string> = {
  [IKE_COMPANIONS.ca]: 'x509ca',
  [IKE_COMPANIONS.cert]: 'x509',
  [IKE_COMPANIONS.key]: 'private',
};
/** The connection and its one child in every lab profile (`swanctl --initiate --child lab`). */
export const IKE_CONNECTION = 'lab';

/**
 * What the servers accept. Listed explicitly (not strongSwan's defaults), so a mismatch is a fact of
 * the lab: a client offering only REFUSED_PROPOSALS.ike gets NO_PROPOSAL_CHOSEN for its IKE SA, one
 * offering only REFUSED_PROPOSALS.esp gets it for its CHILD_SA. IKEv1 has no AEAD for the IKE SA.
 */
export const SERVER_PROPOSALS = {
  ikev2: {
    ike: ['aes128gcm16-prfsha256-x25519', 'aes256gcm16-prfsha384-ecp384', 'aes256-sha256-modp3072'],
    esp: ['aes256gcm16', 'aes128gcm16', 'aes256-sha256'],
  },
  ikev1: {
    ike: ['aes256-sha256-modp3072', 'aes256-sha384-ecp384', 'aes128-sha256-x25519'],
    esp: ['aes256gcm16', 'aes256-sha256', 'aes128-sha256'],
  },
} as const;
export const REFUSED_PROPOSALS = { ike: 'aes128-sha1-modp1024', esp: 'aes128-sha1' } as const;

export type IkeAuth = 'psk' | 'eap-mschapv2' | 'pubkey' | 'psk-xauth';

/**
 * The lab's own description of the client profile it wrote (saved as client.lab.json beside it, for
 * tests: the profile itself is client.swanctl.conf, rendered from this by renderClientSwanctlConf).
 */
export interface IkeLabProfile {
  format: 'tsunagu-lab-ike/2';
  scenario: Ikev2Scenario;
  name: string;
  version: 1 | 2;
  /** Address to dial (UDP 500/4500). */
  server: string;
  /** Identity the server proves (IKE ID). */
  serverId: string;
  auth: IkeAuth;
  /** psk, pubkey, psk-xauth: the client's own IKE identity. */
  localId?: string;
  /** psk, psk-xauth. */
  psk?: string;
  /** eap-mschapv2 (EAP identity) and psk-xauth (XAuth user): user name and password. */
  user?: UserPass;
  /** The profile verifies the server certificate against ca.pem (remote `cacerts`). */
  serverCa: boolean;
  /** The profile authenticates with client.pem (local `certs`) and client.key (secrets `private-lab`). */
  clientCert: boolean;
  /** IKE and ESP proposals the profile sets (absent: strongSwan's defaults). */
  proposals?: string[];
  espProposals?: string[];
  /** The client asks the server for a virtual IP (from the server's pool). */
  requestVirtualIp: boolean;
  /** Networks behind the server to route through the tunnel. */
  remoteTs: string[];
}

const CHARON = '/usr/lib/ipsec/charon';

/**
 * Client retransmissions: 1 s, then ×1.5, three retries: charon gives up ("peer not responding")
 * 8.1 s after the first IKE packet instead of its default ~165 s.
 */
const CLIENT_RETRANSMIT = { tries: 3, timeout: 1, base: 1.5 } as const;

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

function strongswanConf(role: 'server' | 'client'): string {
  const retransmit =
    role === 'client'
      ? [
          `  retransmit_tries = ${CLIENT_RETRANSMIT.tries}`,
          `  retransmit_timeout = ${CLIENT_RETRANSMIT.timeout}`,
          `  retransmit_base = ${CLIENT_RETRANSMIT.base}`,
        ].join('\n')
      : '';
  // Plugins are listed explicitly: kernel-libipsec before kernel-netlink makes libipsec handle
  // IPsec (ESP over a TUN device, UDP-encapsulated) while kernel-netlink still does addresses/routes.
  return `# Tsunagu lab charon (${role})
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey revocation constraints sha1 sha2 hmac aes gcm kdf kernel-libipsec kernel-netlink socket-default vici attr eap-identity eap-mschapv2 xauth-generic
${retransmit}
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

export function prepareCharonDir(dir: string, role: 'server' | 'client'): void {
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

/** Indented swanctl.conf lines: a section is [name, children], a setting is "key = value". */
type ConfNode = string | [string, ConfNode[]];

function renderConf(nodes: readonly ConfNode[], depth = 0): string[] {
  const pad = '  '.repeat(depth);
  return nodes.flatMap((n) => (typeof n === 'string' ? [`${pad}${n}`] : [`${pad}${n[0]} {`, ...renderConf(n[1], depth + 1), `${pad}}`]));
}

function list(values: readonly string[] | undefined): string | undefined {
  return values && values.length > 0 ? values.join(',') : undefined;
}

function setting(key: string, value: string | undefined): ConfNode[] {
  return value === undefined ? [] : [`${key} = ${value}`];
}

/** The client profile: one connection `lab` with one child `lab`, and the secrets it needs. */
export function renderClientSwanctlConf(p: IkeLabProfile): string {
  const user = p.user ?? { username: '', password: '' };
  const localId = p.localId ?? ADDR.ikeClientId;
  const rounds: ConfNode[] = [];
  const remote: ConfNode[] = [
    `auth = ${p.auth === 'psk' || p.auth === 'psk-xauth' ? 'psk' : 'pubkey'}`,
    `id = ${p.serverId}`,
    ...setting('cacerts', p.serverCa ? IKE_COMPANIONS.ca : undefined),
  ];
  if (p.auth === 'psk-xauth') {
    rounds.push(['local-1', ['auth = psk', `id = ${localId}`]]);
    rounds.push(['local-2', ['auth = xauth', `xauth_id = ${user.username}`]]);
    rounds.push(['remote-1', remote]);
  } else {
    const local: ConfNode[] =
      p.auth === 'psk'
        ? ['auth = psk', `id = ${localId}`]
        : p.auth === 'eap-mschapv2'
          ? ['auth = eap-mschapv2', `eap_id = ${user.username}`]
          : ['auth = pubkey', `certs = ${IKE_COMPANIONS.cert}`, `id = ${localId}`];
    rounds.push(['local', local], ['remote', remote]);
  }
  const secrets: ConfNode[] = [];
  if (p.auth === 'psk' || p.auth === 'psk-xauth') {
    secrets.push(['ike-lab', [`id-client = ${localId}`, `id-server = ${p.serverId}`, `secret = ${quote(p.psk ?? '')}`]]);
  }
  if (p.auth === 'eap-mschapv2') secrets.push(['eap-lab', [`id = ${user.username}`, `secret = ${quote(user.password)}`]]);
  if (p.auth === 'psk-xauth') secrets.push(['xauth-lab', [`id = ${user.username}`, `secret = ${quote(user.password)}`]]);
  if (p.clientCert) secrets.push(['private-lab', [`file = ${IKE_COMPANIONS.key}`]]);
  const conf: ConfNode[] = [
    [
      'connections',
      [
        [
          IKE_CONNECTION,
          [
            `version = ${p.version}`,
            `remote_addrs = ${p.server}`,
            ...setting('vips', p.requestVirtualIp ? '0.0.0.0' : undefined),
            ...setting('proposals', list(p.proposals)),
            'dpd_delay = 5s',
            ...rounds,
            [
              'children',
              [[IKE_CONNECTION, [`remote_ts = ${p.remoteTs.join(',')}`, ...setting('esp_proposals', list(p.espProposals))]]],
            ],
          ],
        ],
      ],
    ],
    ['secrets', secrets],
  ];
  return [`# ${p.name}`, ...renderConf(conf), ''].join('\n');
}

/** The server side of a scenario (swanctl.conf for the responder charon). */
function renderServerSwanctlConf(
  scenario: Ikev2Scenario,
  id: string,
  secrets: { psk: string; user: UserPass },
): string {
  const v1 = scenario === 'ikev1-xauth';
  const proposals = v1 ? SERVER_PROPOSALS.ikev1 : SERVER_PROPOSALS.ikev2;
  const pskLocal: ConfNode[] = ['auth = psk', `id = ${ADDR.ikeServerId}`];
  const certLocal: ConfNode[] = ['auth = pubkey', 'certs = server.crt', `id = ${ADDR.ikeServerId}`];
  const rounds: ConfNode[] =
    scenario === 'ikev2-psk'
      ? [['local', pskLocal], ['remote', ['auth = psk', `id = ${ADDR.ikeClientId}`]]]
      : scenario === 'ikev2-eap'
        ? [['local', certLocal], ['remote', ['auth = eap-mschapv2', 'eap_id = %any']]]
        : scenario === 'ikev2-cert'
          ? [['local', certLocal], ['remote', ['auth = pubkey', 'cacerts = ca.crt']]]
          : // IKEv1 main mode: the responder picks the PSK before it learns the client's identity.
            [['local-1', pskLocal], ['remote-1', ['auth = psk']], ['remote-2', ['auth = xauth']]];
  const secretNodes: ConfNode[] =
    scenario === 'ikev2-psk'
      ? [['ike-lab', [`id-server = ${ADDR.ikeServerId}`, `id-client = ${ADDR.ikeClientId}`, `secret = ${quote(secrets.psk)}`]]]
      : scenario === 'ikev1-xauth'
        ? [
            ['ike-lab', [`secret = ${quote(secrets.psk)}`]],
            ['xauth-lab', [`id = ${secrets.user.username}`, `secret = ${quote(secrets.user.password)}`]],
          ]
        : scenario === 'ikev2-eap'
          ? [['eap-lab', [`id = ${secrets.user.username}`, `secret = ${quote(secrets.user.password)}`]]]
          : [];
  const conf: ConfNode[] = [
    [
      'connections',
      [
        [
          IKE_CONNECTION,
          [
            `version = ${v1 ? 1 : 2}`,
            `local_addrs = ${ADDR.serverUnderlay}`,
            'pools = lab-pool',
            `proposals = ${proposals.ike.join(',')}`,
            // A certificate client sends its certificate only when asked for one.
            `send_certreq = ${scenario === 'ikev2-cert' ? 'yes' : 'no'}`,
            'dpd_delay = 5s',
            ...rounds,
            [
              'children',
              [[IKE_CONNECTION, [`local_ts = ${ADDR.insideNet}/${ADDR.insidePrefix}`, `esp_proposals = ${proposals.esp.join(',')}`]]],
            ],
          ],
        ],
      ],
    ],
    ['pools', [['lab-pool', [`addrs = ${ADDR.ikePool}`]]]],
    ['secrets', secretNodes],
  ];
  return [`# Tsunagu lab ${scenario} server (${id})`, ...renderConf(conf), ''].join('\n');
}

function clientProfileFor(scenario: Ikev2Scenario, id: string, psk: string, user: UserPass): IkeLabProfile {
  const common = {
    format: 'tsunagu-lab-ike/2' as const,
    scenario,
    name: `Tsunagu lab ${scenario} (${id})`,
    server: ADDR.serverUnderlay,
    serverId: ADDR.ikeServerId,
    requestVirtualIp: true,
    remoteTs: [`${ADDR.insideNet}/${ADDR.insidePrefix}`],
  };
  switch (scenario) {
    case 'ikev2-psk':
      return { ...common, version: 2, auth: 'psk', localId: ADDR.ikeClientId, psk, serverCa: false, clientCert: false };
    case 'ikev2-eap':
      return { ...common, version: 2, auth: 'eap-mschapv2', user, serverCa: true, clientCert: false };
    case 'ikev2-cert':
      // Proposals written out, as an administrator's profile often has them (the other scenarios use defaults).
      return {
        ...common,
        version: 2,
        auth: 'pubkey',
        localId: ADDR.ikeCertClientId,
        serverCa: true,
        clientCert: true,
        proposals: [SERVER_PROPOSALS.ikev2.ike[1]],
        espProposals: [SERVER_PROPOSALS.ikev2.esp[0]],
      };
    case 'ikev1-xauth':
      return {
        ...common,
        version: 1,
        auth: 'psk-xauth',
        localId: ADDR.ikeClientId,
        psk,
        user,
        serverCa: false,
        clientCert: false,
        proposals: [SERVER_PROPOSALS.ikev1.ike[0]],
        espProposals: [SERVER_PROPOSALS.ikev1.esp[1]],
      };
  }
}

/** The companion files (ca.pem, client.pem, client.key) a profile refers to, in `dir`. */
export function companionPaths(dir: string, p: IkeLabProfile): string[] {
  return [
    ...(p.serverCa ? [IKE_COMPANIONS.ca] : []),
    ...(p.clientCert ? [IKE_COMPANIONS.cert, IKE_COMPANIONS.key] : []),
  ].map((f) => join(dir, f));
}

/** The lab description's path beside a profile (client.swanctl.conf → client.lab.json). */
export function labDescriptionPath(profilePath: string): string {
  return join(profilePath, '..', 'client.lab.json');
}

/**
 * Writes a client profile (client.swanctl.conf, its lab description, and the companion files copied
 * from `sources`) into `dir`; returns the profile's path and the companions' paths.
 */
export function writeClientProfile(
  dir: string,
  p: IkeLabProfile,
  sources: Partial<Record<keyof typeof IKE_COMPANIONS, string>>,
): { profile: string; extraFiles: string[] } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const profile = join(dir, IKE_PROFILE_FILE);
  writeFileSync(profile, renderClientSwanctlConf(p), { mode: 0o600 });
  writeFileSync(labDescriptionPath(profile), `${JSON.stringify(p, null, 2)}\n`, { mode: 0o600 });
  for (const [role, name] of Object.entries(IKE_COMPANIONS) as [keyof typeof IKE_COMPANIONS, string][]) {
    const src = sources[role];
    if (src !== undefined) copyFileSync(src, join(dir, name));
  }
  return { profile, extraFiles: companionPaths(dir, p) };
}

export async function buildIkev2(ctx: BuildContext, scenario: Ikev2Scenario): Promise<BuildResult> {
  const serverDir = join(ctx.dir, 'ike-server');
  prepareCharonDir(serverDir, 'server');
  const sp = charonPaths(serverDir);
  const psk = randomSecret(24);
  const good: UserPass = { username: 'alice', password: randomSecret(16) };
  const sources: Partial<Record<keyof typeof IKE_COMPANIONS, string>> = {};

  if (scenario !== 'ikev2-psk' && scenario !== 'ikev1-xauth') {
    const pki = await makePki(join(ctx.dir, 'pki'), {
      keyType: 'ec',
      serverCn: ADDR.ikeServerId,
      serverSan: [`DNS:${ADDR.ikeServerId}`, `IP:${ADDR.serverUnderlay}`],
      clientCn: ADDR.ikeCertClientId,
      clientSan: [`DNS:${ADDR.ikeCertClientId}`],
    });
    for (const d of ['x509', 'x509ca', 'private']) mkdirSync(join(sp.swanctlDir, d), { recursive: true });
    copyFileSync(pki.server.cert, join(sp.swanctlDir, 'x509', 'server.crt'));
    copyFileSync(pki.server.key, join(sp.swanctlDir, 'private', 'server.key'));
    copyFileSync(pki.caCert, join(sp.swanctlDir, 'x509ca', 'ca.crt'));
    sources.ca = pki.caCert;
    if (scenario === 'ikev2-cert') {
      sources.cert = pki.client.cert;
      sources.key = pki.client.key;
    }
  }
  writeFileSync(join(sp.swanctlDir, 'swanctl.conf'), renderServerSwanctlConf(scenario, ctx.id, { psk, user: good }), { mode: 0o600 });

  const written = writeClientProfile(join(ctx.dir, 'client'), clientProfileFor(scenario, ctx.id, psk, good), sources);
  const bad: UserPass = { username: good.username, password: `${good.password}x` };
  const credentials =
    scenario === 'ikev2-psk'
      ? { psk }
      : scenario === 'ikev2-eap'
        ? { good, bad }
        : scenario === 'ikev1-xauth'
          ? { psk, good, bad }
          : {};
  return {
    profile: written.profile,
    extraFiles: written.extraFiles,
    credentials,
    // IKE has no inner server address: the server's inside address is in the traffic selector.
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

// ---------------------------------------------------------------------------------------------
// The unreachable-server knob: IKE's UDP ports dropped at the server (nothing else: ping still works)

const IKE_BLOCK_TABLE = 'tsl_ike_block';

/**
 * Drops UDP 500 and 4500 arriving at the server namespace on the client-facing link (an
 * `inet tsl_ike_block` nft table), so the client's IKE requests go unanswered. Idempotent.
 * Works for a companion's LabInfo too (it shares the server namespace).
 */
export async function dropIke(info: LabInfo): Promise<void> {
  const n = instanceNames(info.id);
  const ports = ADDR.ikePorts.join(', ');
  const ruleset = `table inet ${IKE_BLOCK_TABLE} {
  chain input {
    type filter hook input priority filter - 20; policy accept;
    iifname "${n.underlayServer}" udp dport { ${ports} } drop
  }
}
`;
  await restoreIke(info);
  const [cmd, args] = inNetns(n.serverNetns, 'nft', ['-f', '-']);
  await run(cmd, args, { input: ruleset });
}

/** Removes dropIke's table (no error when it is not there). */
export async function restoreIke(info: LabInfo): Promise<void> {
  const [cmd, args] = inNetns(instanceNames(info.id).serverNetns, 'nft', ['delete', 'table', 'inet', IKE_BLOCK_TABLE]);
  await run(cmd, args, { allowFail: true });
}

// ---------------------------------------------------------------------------------------------
// DNS the server assigns (its pool's `dns`), answered inside; a decoy resolver outside the tunnel

/** The server's swanctl.conf (the lab's scenarios write it once; the knobs below edit it). */
function serverConfPath(info: LabInstance): { dir: string; conf: string } {
  if (info.server.kind !== 'ikev2') throw new Error(`${info.scenario} has no IKE server`);
  return { dir: info.server.dir, conf: join(charonPaths(info.server.dir).swanctlDir, 'swanctl.conf') };
}

/**
 * The server's pool also hands out `servers` as DNS (INTERNAL_IP4_DNS: the scenarios' pools assign
 * addresses only), its pools reloaded. Called again, it replaces the list.
 */
export async function assignPoolDns(info: LabInstance, servers: readonly string[] = [ADDR.dnsServer]): Promise<void> {
  const { dir, conf } = serverConfPath(info);
  const addrs = new RegExp(`^(\\s*)addrs = ${ADDR.ikePool.replace(/[./]/g, '\\$&')}$(?:\\n\\s*dns = .*$)?`, 'm');
  const text = readFileSync(conf, 'utf8');
  const m = addrs.exec(text);
  if (!m) throw new Error(`no pool "addrs = ${ADDR.ikePool}" in ${conf}`);
  const pad = m[1] ?? '';
  writeFileSync(conf, text.replace(addrs, `${pad}addrs = ${ADDR.ikePool}\n${pad}dns = ${servers.join(', ')}`), { mode: 0o600 });
  await swanctl(dir, ['--load-pools']);
}

/** The resolvers of serveTunnelDns, and what each answers for every A query (so an answer tells who gave it). */
export const IKE_DNS = {
  /** Assigned by the pool; answers in the protected namespace, so only through the tunnel. */
  assigned: ADDR.dnsServer,
  assignedAnswer: ADDR.protectedHost,
  /** On the server's underlay address: outside the tunnel, as the local network's resolver would be. */
  decoy: ADDR.serverUnderlay,
  decoyAnswer: ADDR.deadRemote,
} as const;

export interface TunnelDnsLab {
  /** The responders' output: "ready", then one "query <name>" line per query answered. */
  logs: { assigned: string; decoy: string };
}

/**
 * An IKE scenario's server assigns IKE_DNS.assigned (assignPoolDns) and offers every destination
 * (`local_ts = 0.0.0.0/0`, so a client asking for `remote_ts = 0.0.0.0/0` gets a full tunnel; a
 * split client is narrowed as before); test/lab/dns-responder.py answers UDP queries on the
 * assigned address in the protected namespace and, as a decoy, on the server's underlay address.
 * The responders run in the lab's namespaces: `down` ends them with the rest.
 */
export async function serveTunnelDns(inst: LabInstance): Promise<TunnelDnsLab> {
  const { dir, conf } = serverConfPath(inst);
  const inside = `local_ts = ${ADDR.insideNet}/${ADDR.insidePrefix}`;
  const text = readFileSync(conf, 'utf8');
  if (!text.includes(inside)) throw new Error(`no "${inside}" in ${conf}`);
  writeFileSync(conf, text.replace(inside, 'local_ts = 0.0.0.0/0'), { mode: 0o600 });
  await swanctl(dir, ['--load-conns']);
  await assignPoolDns(inst, [IKE_DNS.assigned]);
  const n = instanceNames(inst.id);
  const responder = join(import.meta.dirname, 'dns-responder.py');
  const start = async (netns: string, bind: string, answer: string, log: string): Promise<string> => {
    const [cmd, args] = inNetns(netns, 'python3', ['-u', responder, bind, answer]);
    spawnDetached(cmd, args, log);
    await waitUntil(`the DNS responder on ${bind}`, () => existsSync(log) && readFileSync(log, 'utf8').startsWith('ready'), 10_000);
    return log;
  };
  const [assigned, decoy] = await Promise.all([
    start(n.protectedNetns, IKE_DNS.assigned, IKE_DNS.assignedAnswer, join(inst.dir, 'dns-assigned.log')),
    start(n.serverNetns, IKE_DNS.decoy, IKE_DNS.decoyAnswer, join(inst.dir, 'dns-decoy.log')),
  ]);
  return { logs: { assigned, decoy } };
}

/** How many queries a responder of serveTunnelDns has answered. */
export function answeredQueries(log: string): number {
  return readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('query ')).length;
}
