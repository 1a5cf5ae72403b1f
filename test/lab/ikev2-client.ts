// The raw IKE client for tests and benchmarks: a plain charon + swanctl in the client namespace,
// loading the swanctl.conf profile a scenario wrote (or a variant of it with test overrides).
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { allPids, killAndWait, pidNetnsInode, procComm, run, type RunResult } from './exec.js';
import {
  charonPaths,
  IKE_COMPANION_DIRS,
  IKE_COMPANIONS,
  IKE_CONNECTION,
  labDescriptionPath,
  prepareCharonDir,
  startCharon,
  swanctl,
  writeClientProfile,
  type IkeLabProfile,
} from './ikev2.js';
import { ADDR } from './names.js';
import { instanceDir, type LabInfo, type UserPass } from './state.js';
import { netnsInode } from './topology.js';

/** The lab's description of the profile `info.profile` (client.lab.json beside it). */
export function readIkeProfile(info: LabInfo): IkeLabProfile {
  return JSON.parse(readFileSync(labDescriptionPath(info.profile), 'utf8')) as IkeLabProfile;
}

/** What a test may change in a scenario's profile (each is a failure knob; see test/lab/README.md). */
export interface IkeOverrides {
  /** ikev2-psk, ikev1-xauth: another pre-shared key (wrong PSK). */
  psk?: string;
  /** ikev2-eap (EAP identity), ikev1-xauth (XAuth user): other credentials (`credentials.bad`). */
  user?: UserPass;
  /** IKE proposals to offer instead (e.g. [REFUSED_PROPOSALS.ike]). */
  proposals?: string[];
  /** ESP proposals to offer instead (e.g. [REFUSED_PROPOSALS.esp]). */
  espProposals?: string[];
  /** Address to dial instead of the server (e.g. ADDR.deadRemote, where nobody answers). */
  server?: string;
  /** A CA certificate file to use as ca.pem instead (e.g. makeUntrustedCa: the server's certificate is then not trusted). */
  ca?: string;
  /** Networks to ask the server for instead (['0.0.0.0/0']: a full tunnel, once serveTunnelDns offers it). */
  remoteTs?: string[];
}

/** A fresh self-signed CA that signed nothing the lab uses, in the instance directory (for `overrides.ca`). */
export async function makeUntrustedCa(info: LabInfo): Promise<string> {
  const dir = tmpDir(info, 'untrusted-ca');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cert = join(dir, IKE_COMPANIONS.ca);
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'ca.key'),
    '-subj', '/CN=Untrusted lab CA', '-days', '7', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-out', cert,
  ]);
  return cert;
}

function tmpDir(info: LabInfo, base: string): string {
  return join(instanceDir(info.id), `${base}-${randomBytes(3).toString('hex')}`);
}

function companionSources(info: LabInfo): Partial<Record<keyof typeof IKE_COMPANIONS, string>> {
  const out: Partial<Record<keyof typeof IKE_COMPANIONS, string>> = {};
  for (const [role, name] of Object.entries(IKE_COMPANIONS) as [keyof typeof IKE_COMPANIONS, string][]) {
    const f = info.extraFiles.find((x) => basename(x) === name);
    if (f !== undefined) out[role] = f;
  }
  return out;
}

/**
 * Writes a variant of the scenario's profile (the same swanctl.conf with `overrides` applied, and
 * its companion files) into a fresh directory of the instance; `{ ...info, ...variant }` is then a
 * LabInfo whose profile a product import or IkeClient takes like the scenario's own.
 */
export function writeIkeVariant(info: LabInfo, overrides: IkeOverrides): { profile: string; extraFiles: string[] } {
  const { ca, ...change } = overrides;
  const sources = companionSources(info);
  if (ca !== undefined) sources.ca = ca;
  return writeClientProfile(tmpDir(info, 'ike-variant'), { ...readIkeProfile(info), ...change }, sources);
}

export interface IkeSaSummary {
  name: string;
  state: string;
  version: number;
  localVips: string[];
  children: { name: string; state: string; bytesIn: number; bytesOut: number; packetsIn: number; packetsOut: number }[];
}

/** `swanctl --list-sas --raw`: one `list-sa event {<ike> {key=value … child-sas {<child> {…}}}}` per line. */
export function parseListSas(raw: string): IkeSaSummary[] {
  const out: IkeSaSummary[] = [];
  for (const line of raw.split('\n')) {
    const m = /^list-sa event \{([^ {]+) \{(.*)\}\}\s*$/.exec(line.trim());
    if (!m) continue;
    const [, name = '', body = ''] = m;
    const childStart = body.indexOf('child-sas {');
    const ikePart = childStart >= 0 ? body.slice(0, childStart) : body;
    const field = (s: string, k: string) => new RegExp(`(?:^| )${k}=([^ }]*)`).exec(s)?.[1];
    const children: IkeSaSummary['children'] = [];
    if (childStart >= 0) {
      const re = /([^ {]+) \{([^{}]*)\}/g;
      for (const c of body.slice(childStart + 'child-sas {'.length).matchAll(re)) {
        const cb = c[2] ?? '';
        children.push({
          name: field(cb, 'name') ?? c[1] ?? '',
          state: field(cb, 'state') ?? '',
          bytesIn: Number(field(cb, 'bytes-in') ?? 0),
          bytesOut: Number(field(cb, 'bytes-out') ?? 0),
          packetsIn: Number(field(cb, 'packets-in') ?? 0),
          packetsOut: Number(field(cb, 'packets-out') ?? 0),
        });
      }
    }
    const vips = /local-vips=\[([^\]]*)\]/.exec(ikePart)?.[1]?.trim();
    out.push({
      name,
      state: field(ikePart, 'state') ?? '',
      version: Number(field(ikePart, 'version') ?? 0),
      localVips: vips ? vips.split(/\s+/) : [],
      children,
    });
  }
  return out;
}

/** A client charon in the client namespace, loading the scenario's profile (or a variant). */
export class IkeClient {
  private constructor(
    readonly dir: string,
    readonly pid: number,
    /** The swanctl.conf this charon loaded. */
    readonly profile: string,
  ) {}

  /**
   * Lays out a SWANCTL_DIR as swanctl expects it: the profile as swanctl.conf (byte for byte the
   * scenario's when there are no overrides), ca.pem in x509ca/, client.pem in x509/, client.key
   * in private/; starts charon and loads it all (`swanctl --load-all`).
   */
  static async start(info: LabInfo, overrides: IkeOverrides = {}): Promise<IkeClient> {
    const source = Object.keys(overrides).length === 0 ? { profile: info.profile, extraFiles: info.extraFiles } : writeIkeVariant(info, overrides);
    const dir = tmpDir(info, 'ike');
    prepareCharonDir(dir, 'client');
    const swanctlDir = charonPaths(dir).swanctlDir;
    const conf = join(swanctlDir, 'swanctl.conf');
    writeFileSync(conf, readFileSync(source.profile), { mode: 0o600 });
    for (const f of source.extraFiles) {
      const sub = IKE_COMPANION_DIRS[basename(f)];
      if (sub === undefined) throw new Error(`unexpected IKE companion file ${f}`);
      mkdirSync(join(swanctlDir, sub), { recursive: true, mode: 0o700 });
      copyFileSync(f, join(swanctlDir, sub, basename(f)));
    }
    const pid = await startCharon(info.clientNetns, dir);
    return new IkeClient(dir, pid, source.profile);
  }

  swanctl(args: readonly string[], allowFail = true): Promise<RunResult> {
    return swanctl(this.dir, args, allowFail);
  }

  /** `swanctl --initiate --child lab`: its output is the control-log charon streams while initiating. */
  async initiate(timeoutS = 10): Promise<RunResult & { ms: number }> {
    const t0 = performance.now();
    const r = await this.swanctl(['--initiate', '--child', IKE_CONNECTION, '--timeout', String(timeoutS)]);
    return { ...r, ms: Math.round(performance.now() - t0) };
  }

  terminate(timeoutS = 5): Promise<RunResult> {
    return this.swanctl(['--terminate', '--ike', IKE_CONNECTION, '--timeout', String(timeoutS)]);
  }

  async listSas(): Promise<IkeSaSummary[]> {
    return parseListSas((await this.swanctl(['--list-sas', '--raw'], false)).stdout);
  }

  /** charon's own log file (ike and cfg at level 2). */
  log(): string {
    const p = charonPaths(this.dir).log;
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }

  async stop(): Promise<void> {
    await killAndWait([this.pid], 'SIGTERM', 3000);
  }
}

/**
 * What a tunnel left in `netns` (empty when nothing), whether or not charon still runs: addresses
 * from the virtual IP pool, routes to the protected subnet or the pool or in libipsec's table 220,
 * XFRM states and policies.
 */
export async function ikeTunnelResidue(netns: string): Promise<string[]> {
  const out: string[] = [];
  const ip = async (args: string[]) => (await run('ip', ['-n', netns, ...args], { allowFail: true })).stdout.trim();
  const pool = `${ADDR.ikePool.split('.').slice(0, 3).join('.')}.`;
  for (const l of (await ip(['-o', '-4', 'addr', 'show'])).split('\n')) if (l.includes(` ${pool}`)) out.push(`address ${l}`);
  for (const l of (await ip(['-4', 'route', 'show', 'table', 'all'])).split('\n')) {
    if (l.startsWith(`${ADDR.insideNet}/`) || l.includes(pool) || /\btable 220\b/.test(l)) out.push(`route ${l}`);
  }
  for (const what of ['state', 'policy']) {
    const x = await ip(['xfrm', what, 'list']);
    if (x) out.push(`xfrm ${what} ${x.split('\n')[0] ?? ''}`);
  }
  return out;
}

/**
 * What an IKE client left in `netns` (empty when nothing): the tunnel residue, charon processes,
 * libipsec's ipsec* TUN devices and anything routed over them, policy rules other than the defaults.
 */
export async function ikeResidue(netns: string): Promise<string[]> {
  const out = await ikeTunnelResidue(netns);
  const ino = netnsInode(netns);
  for (const pid of allPids()) {
    if (pidNetnsInode(pid) === ino && procComm(pid) === 'charon') out.push(`charon process ${pid}`);
  }
  const ip = async (args: string[]) => (await run('ip', ['-n', netns, ...args], { allowFail: true })).stdout.trim();
  for (const l of (await ip(['-o', 'link', 'show'])).split('\n')) if (/^\d+:\s+ipsec/.test(l)) out.push(`link ${l}`);
  for (const fam of ['-4', '-6']) {
    for (const l of (await ip([fam, 'route', 'show', 'table', 'all'])).split('\n')) if (/\bdev ipsec\d/.test(l)) out.push(`route ${l}`);
  }
  for (const l of (await ip(['rule', 'show'])).split('\n')) if (l && !/^(0|32766|32767):/.test(l)) out.push(`rule ${l}`);
  return [...new Set(out)];
}
