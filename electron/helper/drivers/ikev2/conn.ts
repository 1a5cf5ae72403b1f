/**
 * An Ikev2Profile turned into what charon is given over VICI, and the check that what charon then
 * holds is that same connection. Pure: no sockets, no files.
 *
 * Nothing reaches charon from a file: certificates travel as PEM blobs inside load-conn
 * (`certs`/`cacerts`), the private key with load-key (a passphrase-protected one decrypted in
 * memory first: decryptKey), secrets with load-shared. The connection is
 * always initiated by the helper (start_action none) and never runs a program (no `updown` key is
 * ever sent, whatever the model holds; the charon runs without the updown plugin anyway).
 *
 * "What charon finally reads is exactly what was checked": after load-conn the driver asks
 * list-conns and compares charon's own reading of the connection with the model (verifyLoadedConn):
 * servers, IKE version, each authentication round's class and identities, the children and their
 * traffic selectors. A difference refuses the connect before anything is sent to the server.
 */
import { createPrivateKey } from 'node:crypto';
import { pemBlocks } from '../../../../shared/profiles/ikev2/pem.js';
import type { Ikev2Child, Ikev2LocalAuth, Ikev2LocalRound, Ikev2Profile } from '../../../../shared/profiles/ikev2/model.js';
import { normalizePrefix } from '../../../../shared/profiles/routes.js';
import type { ViciSection, ViciValue } from './vici/codec.js';

/** The one connection name charon knows in a session's charon (the profile's own name is only shown). */
export const CONN_NAME = 'tsunagu';

export interface SharedSecret {
  type: 'IKE' | 'EAP' | 'XAUTH';
  data: string;
  owners: string[];
}

/** Everything loaded into a fresh charon for one profile, in load order. */
export interface LoadPlan {
  conn: ViciSection;
  /** load-key arguments (the client's private key, PEM). */
  keys: { type: 'any'; data: string }[];
  /** Shared secrets known from the profile (the prompt adds the others at connect). */
  shared: SharedSecret[];
  /** The child initiated first (it brings the IKE_SA up). */
  child: string;
  /** Every child of the profile, in profile order (the first is `child`): each is initiated. */
  children: string[];
}

/** A password the profile leaves to the user: asked through the credentials flow at connect. */
export interface PasswordNeed {
  type: 'EAP' | 'XAUTH';
  /** The user name the password goes with (as charon will present it). */
  username: string | null;
  owners: string[];
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

function isEap(auth: Ikev2LocalAuth): boolean {
  return auth === 'eap' || auth === 'eap-mschapv2' || auth === 'eap-tls';
}

/** The name charon presents for a round's password (eap_id / xauth_id, else the IKE identity). */
function roundUser(round: Ikev2LocalRound): string | null {
  if (isEap(round.auth)) return round.eapId ?? round.id;
  if (round.auth === 'xauth') return round.xauthId ?? round.id;
  return null;
}

function localRound(round: Ikev2LocalRound, clientCert: string | null): ViciSection {
  const s: ViciSection = { auth: round.auth };
  if (round.id !== null) s.id = round.id;
  if (round.eapId !== null && isEap(round.auth)) s.eap_id = round.eapId;
  if (round.xauthId !== null && round.auth === 'xauth') s.xauth_id = round.xauthId;
  if (round.usesClientCert && clientCert !== null) s.certs = [clientCert];
  return s;
}

function child(c: Ikev2Child): ViciSection {
  const s: ViciSection = { mode: 'tunnel', start_action: 'none', dpd_action: 'clear', close_action: 'none' };
  if (c.localTs.length > 0) s.local_ts = [...c.localTs];
  if (c.remoteTs.length > 0) s.remote_ts = [...c.remoteTs];
  if (c.espProposals !== null) s.esp_proposals = [...c.espProposals];
  return s;
}

/** The `load-conn` message body and the rest of the plan for `profile`. */
export function loadPlan(profile: Ikev2Profile): LoadPlan {
  const { files } = profile;
  const conn: ViciSection = {
    version: String(profile.version),
    remote_addrs: [...profile.remoteAddrs],
    // One try: a failure is reported to the user, who decides; charon's default retries forever.
    keyingtries: '1',
    unique: 'no',
    encap: yesNo(profile.encap),
  };
  if (profile.localAddrs.length > 0) conn.local_addrs = [...profile.localAddrs];
  if (profile.remotePort !== null) conn.remote_port = String(profile.remotePort);
  if (profile.proposals !== null) conn.proposals = [...profile.proposals];
  if (profile.vips.length > 0) conn.vips = [...profile.vips];
  if (profile.version === 2) conn.mobike = yesNo(profile.mobike);
  if (profile.version === 1) conn.aggressive = yesNo(profile.aggressive);
  if (profile.dpdDelay !== null) conn.dpd_delay = `${profile.dpdDelay}s`;
  profile.local.forEach((round, i) => {
    conn[`local-${i + 1}`] = localRound(round, files.clientCert);
  });
  const remote: ViciSection = { auth: profile.remote.auth };
  if (profile.remote.id !== null) remote.id = profile.remote.id;
  if (profile.remote.revocation !== null) remote.revocation = profile.remote.revocation;
  if (files.caCerts.length > 0) remote.cacerts = [...files.caCerts];
  if (files.serverCerts.length > 0) remote.certs = [...files.serverCerts];
  conn.remote = remote;
  const children: ViciSection = {};
  for (const c of profile.children) children[c.name] = child(c);
  conn.children = children;

  const keys: LoadPlan['keys'] = files.privateKey !== null ? [{ type: 'any', data: files.privateKey }] : [];
  const shared: SharedSecret[] = [];
  // The IKE PSK authenticates us (a psk local round), the server (remote psk) or both: charon
  // needs it in either case.
  if (usesPsk(profile) && profile.secrets.psk !== null) {
    const localId = profile.local.find((r) => r.auth === 'psk')?.id ?? profile.local[0]?.id ?? null;
    const owners = [localId, profile.remote.id].filter((o, i, all): o is string => o !== null && all.indexOf(o) === i);
    shared.push({ type: 'IKE', data: profile.secrets.psk, owners });
  }
  for (const need of passwordNeeds(profile)) {
    const data = need.type === 'EAP' ? profile.secrets.eapPassword : profile.secrets.xauthPassword;
    if (data !== null) shared.push({ type: need.type, data, owners: need.owners });
  }
  const childNames = profile.children.map((c) => c.name);
  return { conn: { [CONN_NAME]: conn }, keys, shared, child: childNames[0] ?? '', children: childNames };
}

/** Whether a PEM private key is passphrase-protected (PKCS#8 `ENCRYPTED PRIVATE KEY`, or a legacy `Proc-Type: 4,ENCRYPTED` one). */
export function keyNeedsPassphrase(pem: string): boolean {
  return pemBlocks(pem).some((b) => b.encrypted);
}

/** The key decrypted with `passphrase`, as unencrypted PKCS#8 PEM (in memory only); null when the passphrase does not open it. */
export function decryptKey(pem: string, passphrase: string): string | null {
  try {
    const plain = createPrivateKey({ key: pem, format: 'pem', passphrase }).export({ format: 'pem', type: 'pkcs8' });
    return typeof plain === 'string' ? plain : plain.toString('utf8');
  } catch {
    return null;
  }
}

/** Whether the IKE pre-shared key takes part: a local psk round or a server authenticated by psk. */
export function usesPsk(profile: Ikev2Profile): boolean {
  return profile.remote.auth === 'psk' || profile.local.some((r) => r.auth === 'psk');
}

/** The children to initiate once the first is up (the IKE_SA exists; each is one CREATE_CHILD_SA). */
export function laterChildren(plan: LoadPlan): string[] {
  return plan.children.filter((c) => c !== plan.child);
}

/** The password rounds of a profile (EAP other than EAP-TLS, XAuth), with or without a stored secret. */
export function passwordNeeds(profile: Ikev2Profile): PasswordNeed[] {
  const out: PasswordNeed[] = [];
  for (const round of profile.local) {
    if (round.auth === 'eap-tls' || !(isEap(round.auth) || round.auth === 'xauth')) continue;
    const type = round.auth === 'xauth' ? 'XAUTH' : 'EAP';
    if (out.some((n) => n.type === type)) continue;
    const username = roundUser(round);
    out.push({ type, username, owners: username !== null ? [username] : [] });
  }
  return out;
}

/** `load-shared` arguments (`id` names the secret, so a second password replaces the first). */
export function sharedLoad(secret: SharedSecret): { id: string; type: SharedSecret['type']; data: string; owners: string[] } {
  return { id: `tsunagu-${secret.type.toLowerCase()}`, type: secret.type, data: secret.data, owners: [...secret.owners] };
}

// ---------------------------------------------------------------------------------------------
// what charon holds (list-conns) against the model

/** charon's names for the authentication classes (auth_class_names in 5.9). */
const AUTH_CLASS: Record<Ikev2LocalAuth | 'pubkey', string> = {
  psk: 'pre-shared key',
  pubkey: 'public key',
  'eap-mschapv2': 'EAP',
  'eap-tls': 'EAP',
  eap: 'EAP',
  xauth: 'XAuth',
};

function str(v: ViciValue | ViciValue[] | ViciSection | undefined): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return null;
}

function list(v: ViciValue | ViciValue[] | ViciSection | undefined): string[] | null {
  if (!Array.isArray(v)) return null;
  return v.map((x) => (typeof x === 'string' ? x : Buffer.from(x).toString('utf8')));
}

function section(v: ViciValue | ViciValue[] | ViciSection | undefined): ViciSection | null {
  return typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) ? v : null;
}

function sameList(a: readonly string[] | null, b: readonly string[]): boolean {
  return a !== null && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A traffic selector as charon prints it: a prefix (a bare address as /32 or /128), else as written. */
function tsText(ts: string): string {
  return normalizePrefix(ts.includes('/') || ts === 'dynamic' ? ts : `${ts}/${ts.includes(':') ? 128 : 32}`)?.cidr ?? ts;
}

function sameSelectors(a: readonly string[] | null, b: readonly string[]): boolean {
  return a !== null && sameList(a.map(tsText), b.map(tsText));
}

/**
 * Differences between charon's `list-conn` event for our connection (`listed`: the section under
 * CONN_NAME) and `profile`. Empty when charon holds exactly what was checked.
 */
export function verifyLoadedConn(listed: ViciSection | null, profile: Ikev2Profile): string[] {
  if (listed === null) return ['charon does not list the connection'];
  const problems: string[] = [];
  const expectEq = (what: string, got: string | null, want: string) => {
    if (got !== want) problems.push(`${what}: charon has ${JSON.stringify(got)}, the profile ${JSON.stringify(want)}`);
  };
  const expectList = (what: string, got: string[] | null, want: readonly string[]) => {
    if (!sameList(got, want)) problems.push(`${what}: charon has ${JSON.stringify(got)}, the profile ${JSON.stringify(want)}`);
  };
  expectList('remote_addrs', list(listed.remote_addrs), profile.remoteAddrs);
  expectList('local_addrs', list(listed.local_addrs), profile.localAddrs.length > 0 ? profile.localAddrs : ['%any']);
  expectEq('version', str(listed.version), `IKEv${profile.version}`);
  profile.local.forEach((round, i) => {
    const got = section(listed[`local-${i + 1}`]);
    if (got === null) {
      problems.push(`local round ${i + 1} missing`);
      return;
    }
    expectEq(`local-${i + 1}.class`, str(got.class), AUTH_CLASS[round.auth]);
    const eapType = round.auth === 'eap-mschapv2' ? 'EAP_MSCHAPV2' : round.auth === 'eap-tls' ? 'EAP_TLS' : null;
    if (eapType !== null) expectEq(`local-${i + 1}.eap-type`, str(got['eap-type']), eapType);
    expectEq(`local-${i + 1}.certs`, String(list(got.certs)?.length ?? 0), round.usesClientCert && profile.files.clientCert !== null ? '1' : '0');
    // charon lists %any for an identity left to it.
    if (round.id !== null) expectEq(`local-${i + 1}.id`, str(got.id), round.id);
    if (isEap(round.auth) && round.eapId !== null) expectEq(`local-${i + 1}.eap_id`, str(got.eap_id), round.eapId);
    if (round.auth === 'xauth' && round.xauthId !== null) expectEq(`local-${i + 1}.xauth_id`, str(got.xauth_id), round.xauthId);
  });
  if (section(listed[`local-${profile.local.length + 1}`]) !== null) problems.push('charon has more local rounds than the profile');
  const remote = section(listed['remote-1']);
  if (remote === null) problems.push('remote round missing');
  else {
    expectEq('remote.class', str(remote.class), AUTH_CLASS[profile.remote.auth]);
    if (profile.remote.id !== null) expectEq('remote.id', str(remote.id), profile.remote.id);
    // charon lists each certificate it parsed (by subject): a PEM it could not read is missing.
    expectEq('remote.cacerts', String(list(remote.cacerts)?.length ?? 0), String(profile.files.caCerts.length));
    expectEq('remote.certs', String(list(remote.certs)?.length ?? 0), String(profile.files.serverCerts.length));
  }
  const children = section(listed.children);
  const names = children ? Object.keys(children).sort() : [];
  expectList('children', names, profile.children.map((c) => c.name).sort());
  for (const c of profile.children) {
    const got = children ? section(children[c.name]) : null;
    if (got === null) continue;
    expectEq(`children.${c.name}.mode`, str(got.mode), 'TUNNEL');
    for (const [key, want] of [['local-ts', c.localTs], ['remote-ts', c.remoteTs]] as const) {
      const got2 = list(got[key]);
      const expected = want.length > 0 ? want : ['dynamic'];
      if (!sameSelectors(got2, expected)) problems.push(`children.${c.name}.${key}: charon has ${JSON.stringify(got2)}, the profile ${JSON.stringify(expected)}`);
    }
  }
  return problems;
}
