// The state directory: one JSON record per running instance, so list/down/fault work across processes.
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLabId, labRoot } from './names.js';

export const SCENARIO_NAMES = [
  'openvpn-udp',
  'openvpn-tcp',
  'openvpn-tap',
  'openvpn-userpass',
  'openvpn-challenge',
  'openvpn-enc-key',
  'openvpn-failover',
  'openvpn-legacy',
  'openvpn-dns',
  'wireguard-split',
  'wireguard-full',
  'wireguard-dns',
  'wireguard-badkey',
  'ikev2-psk',
  'ikev2-eap',
  'ikev2-cert',
  'ikev1-xauth',
] as const;

export type ScenarioName = (typeof SCENARIO_NAMES)[number];
export type Family = 'openvpn' | 'wireguard' | 'ikev2';

export function isScenarioName(s: string): s is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(s);
}

export function familyOf(s: ScenarioName): Family {
  return s.startsWith('openvpn') ? 'openvpn' : s.startsWith('wireguard') ? 'wireguard' : 'ikev2';
}

export interface UserPass {
  username: string;
  password: string;
}

/** Secrets a client needs (and wrong ones for negative tests), present only where they apply. */
export interface LabCredentials {
  /** Good username/password (openvpn-userpass, openvpn-challenge, ikev2-eap, ikev1-xauth's XAuth). */
  good?: UserPass;
  /** Credentials the server rejects. */
  bad?: UserPass;
  /** openvpn-challenge: the static-challenge prompt, the accepted response and a rejected one. */
  challenge?: { prompt: string; echo: boolean; response: string; badResponse: string };
  /** openvpn-enc-key: passphrase of the client key inside the profile. */
  keyPassphrase?: string;
  /** ikev2-psk, ikev1-xauth (the group PSK before XAuth). */
  psk?: string;
}

/** What `up` returns and `up --json` prints. */
export interface LabInfo {
  id: string;
  scenario: ScenarioName;
  clientNetns: string;
  /** Client profile: .ovpn (inline), WireGuard .conf, or for IKE a swanctl.conf (`client.swanctl.conf`). */
  profile: string;
  extraFiles: string[];
  credentials: LabCredentials;
  /** The server's address inside the tunnel (or on the protected side), reachable only through it. */
  tunnelPeerIp: string;
  protectedHostIp: string;
  /** Servers of other families in the same server namespace (`up(…, { with })`); absent when none. */
  companions?: CompanionInfo[];
}

/** What a client of a companion server needs (see companionInfo() for it as a LabInfo). */
export interface CompanionInfo {
  scenario: ScenarioName;
  profile: string;
  extraFiles: string[];
  credentials: LabCredentials;
  tunnelPeerIp: string;
}

export type ServerState =
  | { kind: 'openvpn'; config: string; log: string; pid: number | null; startTime: string | null }
  | { kind: 'wireguard'; config: string; iface: string; log: string; pid: number | null; startTime: string | null }
  | { kind: 'ikev2'; dir: string; log: string; pid: number | null; startTime: string | null };

export interface LabInstance extends LabInfo {
  version: 1;
  dir: string;
  createdAt: string;
  serverNetns: string;
  protectedNetns: string;
  /** Inodes of the three namespaces, to find every process inside them. */
  netnsInodes: number[];
  server: ServerState;
  companions?: LabCompanion[];
  faults: { dropped: boolean; linkDown: boolean };
  /** Setup time in milliseconds. */
  setupMs: number;
}

export interface LabCompanion extends CompanionInfo {
  /** Its own directory inside the instance's (`<dir>/<scenario>`): every builder writes `<dir>/server`. */
  dir: string;
  server: ServerState;
}

export function instanceDir(id: string): string {
  return join(labRoot(), id);
}

function recordPath(id: string): string {
  return join(instanceDir(id), 'instance.json');
}

export function saveInstance(inst: LabInstance): void {
  mkdirSync(inst.dir, { recursive: true });
  const tmp = `${recordPath(inst.id)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(inst, null, 2)}\n`);
  renameSync(tmp, recordPath(inst.id));
}

export function loadInstance(id: string): LabInstance | null {
  try {
    return JSON.parse(readFileSync(recordPath(id), 'utf8')) as LabInstance;
  } catch {
    return null;
  }
}

export function listInstances(): LabInstance[] {
  return listIds()
    .map((id) => loadInstance(id))
    .filter((i): i is LabInstance => i !== null);
}

/**
 * Who owns an instance: a process (the instance is torn down when that process exits, or by the
 * next `up` anywhere once it is gone) or nobody (`persistent`, made by the CLI; only `down` removes it).
 * Written first, before anything else exists, so an interrupted setup can be reaped.
 */
export type Owner = { pid: number; startTime: string | null } | { persistent: true };

function ownerPath(id: string): string {
  return join(instanceDir(id), 'owner.json');
}

export function saveOwner(id: string, owner: Owner): void {
  writeFileSync(ownerPath(id), `${JSON.stringify(owner)}\n`);
}

export function loadOwner(id: string): Owner | null {
  try {
    return JSON.parse(readFileSync(ownerPath(id), 'utf8')) as Owner;
  } catch {
    return null;
  }
}

export function listIds(): string[] {
  try {
    return readdirSync(labRoot()).filter(isLabId).sort();
  } catch {
    return [];
  }
}

export function publicInfo(inst: LabInstance): LabInfo {
  const { id, scenario, clientNetns, profile, extraFiles, credentials, tunnelPeerIp, protectedHostIp } = inst;
  const info: LabInfo = { id, scenario, clientNetns, profile, extraFiles, credentials, tunnelPeerIp, protectedHostIp };
  if (inst.companions && inst.companions.length > 0) {
    info.companions = inst.companions.map((c) => ({
      scenario: c.scenario,
      profile: c.profile,
      extraFiles: c.extraFiles,
      credentials: c.credentials,
      tunnelPeerIp: c.tunnelPeerIp,
    }));
  }
  return info;
}
