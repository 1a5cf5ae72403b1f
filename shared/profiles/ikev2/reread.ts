/**
 * An independent second reader of the canonical IKEv2 text (writer.ts), used only to check it:
 * it shares no code with settings.ts / swanctl.ts, reads line by line the small subset the writer
 * emits (one setting or section brace per line, quoted values that may span lines), and refuses
 * anything else. What it reads must equal, field by field, the profile that was checked; any
 * difference refuses the profile, so the helper never runs anything but what was inspected.
 */
import ipaddr from 'ipaddr.js';
import { profileError, type ProfileError } from '../diagnostics.js';
import { formatAddress, normalizePrefix } from '../routes.js';
import type { Ikev2Child, Ikev2LocalRound, Ikev2Profile } from './model.js';

interface Node {
  values: Map<string, string>;
  sections: Map<string, Node>;
  /** Section names in the order written. */
  order: string[];
}

class Refusal {
  constructor(readonly reason: string) {}
}

function node(): Node {
  return { values: new Map(), sections: new Map(), order: [] };
}

const NAME = /^[A-Za-z0-9_-]+$/;
/** What the writer puts in tsunagu.files: one PEM block, base64 wrapped at 64 columns, nothing around it. */
const ONE_PEM_BLOCK = /^-----BEGIN ([A-Z0-9 ]+)-----\n(?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/]{1,63}={0,2}\n-----END \1-----\n$|^-----BEGIN ([A-Z0-9 ]+)-----\n(?:[A-Za-z0-9+/]{64}\n)+-----END \2-----\n$/;

function unescapeQuoted(body: string, line: number): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      const next = body[i + 1];
      if (next !== '\\' && next !== '"') throw new Refusal(`line ${line}: an escape other than \\\\ or \\" in a quoted value`);
      out += next;
      i++;
    } else if (c === '"') {
      throw new Refusal(`line ${line}: an unescaped quote inside a quoted value`);
    } else out += c;
  }
  return out;
}

/** Where an unescaped closing quote ends `text` (which starts after the opening quote), or -1. */
function closingQuote(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

function parseTree(text: string): Node {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const root = node();
  const stack: Node[] = [root];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const n = i + 1;
    if (raw.includes('\r')) throw new Refusal(`line ${n}: a carriage return`);
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) continue;
    const top = stack[stack.length - 1];
    if (!top) throw new Refusal(`line ${n}: outside every section`);
    if (t === '}') {
      if (stack.length === 1) throw new Refusal(`line ${n}: a '}' that closes nothing`);
      stack.pop();
      continue;
    }
    const open = /^(\S+) \{$/.exec(t);
    if (open) {
      const name = open[1] ?? '';
      if (!NAME.test(name)) throw new Refusal(`line ${n}: section name '${name}'`);
      if (top.sections.has(name) || top.values.has(name)) throw new Refusal(`line ${n}: '${name}' twice`);
      const child = node();
      top.sections.set(name, child);
      top.order.push(name);
      stack.push(child);
      continue;
    }
    const kv = /^(\S+) = (.*)$/.exec(t);
    if (!kv) throw new Refusal(`line ${n}: neither a setting nor a section`);
    const key = kv[1] ?? '';
    let value = kv[2] ?? '';
    if (!NAME.test(key)) throw new Refusal(`line ${n}: key '${key}'`);
    if (top.values.has(key) || top.sections.has(key)) throw new Refusal(`line ${n}: '${key}' twice`);
    if (value.startsWith('"')) {
      // The value runs to the first unescaped quote, which must end its line.
      let body = value.slice(1);
      const start = n;
      let end = closingQuote(body);
      while (end < 0) {
        i++;
        if (i >= lines.length) throw new Refusal(`line ${start}: a quoted value that never ends`);
        body += `\n${lines[i] ?? ''}`;
        end = closingQuote(body);
      }
      if (end !== body.length - 1) throw new Refusal(`line ${i + 1}: text after a closing quote`);
      value = unescapeQuoted(body.slice(0, end), start);
    } else if (/["{}#\\]/.test(value) || value === '') {
      throw new Refusal(`line ${n}: the bare value '${value}'`);
    }
    top.values.set(key, value);
  }
  if (stack.length !== 1) throw new Refusal('a section is not closed');
  return root;
}

// Values in the form the writer gives them; anything else is not canonical text.

function isCanonicalAddress(v: string): boolean {
  return !v.includes('%') && ipaddr.isValid(v) && (v.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(v)) && formatAddress(ipaddr.parse(v)) === v;
}

function isCanonicalHost(v: string): boolean {
  return isCanonicalAddress(v) || (/^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/.test(v) && !/\.\./.test(v) && !/^[\d.]+$/.test(v) && v.length <= 253);
}

function isCanonicalSelector(v: string): boolean {
  const m = /^([^[\]]+)(?:\[([a-z0-9-]*(?:\/[a-z0-9%-]*)?)\])?$/.exec(v);
  if (!m) return false;
  const addr = m[1] ?? '';
  if (addr === 'dynamic') return true;
  const dash = addr.indexOf('-');
  if (dash > 0) return isCanonicalAddress(addr.slice(0, dash)) && isCanonicalAddress(addr.slice(dash + 1));
  return addr.includes('/') && normalizePrefix(addr)?.cidr === addr;
}

const PROPOSAL = /^[a-z0-9_]+(?:-[a-z0-9_]+)*$/;

function checked(values: string[], ok: (v: string) => boolean, what: string): string[] {
  for (const v of values) if (!ok(v)) throw new Refusal(`${what} '${v}' is not in canonical form`);
  return values;
}

function identity(v: string | null, what: string): string | null {
  if (v === null) return null;
  if (v === '' || /^%any[46]?$/i.test(v) || [...v].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new Refusal(`${what} '${v}' is not a canonical identity`);
  return v;
}

/** Takes a value out of a node, so that leftovers can be refused at the end. */
function take(n: Node, key: string): string | null {
  const v = n.values.get(key);
  if (v === undefined) return null;
  n.values.delete(key);
  return v;
}

function takeSection(n: Node, name: string): Node | null {
  const s = n.sections.get(name);
  if (!s) return null;
  n.sections.delete(name);
  return s;
}

function done(n: Node, where: string): void {
  const left = [...n.values.keys(), ...n.sections.keys()];
  if (left.length > 0) throw new Refusal(`'${left[0] ?? ''}' in ${where} is not a canonical setting`);
}

function items(v: string | null): string[] {
  return v === null ? [] : v.split(', ');
}

function required(n: Node, key: string, where: string): string {
  const v = take(n, key);
  if (v === null) throw new Refusal(`${where} has no '${key}'`);
  return v;
}

function bool(v: string, what: string): boolean {
  if (v === 'yes') return true;
  if (v === 'no') return false;
  throw new Refusal(`${what} = '${v}'`);
}

function secret(v: string | null): string | null {
  if (v === null) return v;
  if (/^0x/i.test(v) || v.startsWith('0S')) throw new Refusal('a secret in an encoding the writer does not use');
  if (!v.startsWith('0s')) return identity(v, 'secret');
  const binary = atob(v.slice(2));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

function oneOf<T extends string>(v: string, allowed: readonly T[], what: string): T {
  const found = allowed.find((a) => a === v);
  if (found === undefined) throw new Refusal(`${what} = '${v}'`);
  return found;
}

function build(root: Node): Ikev2Profile {
  const connections = takeSection(root, 'connections');
  const secrets = takeSection(root, 'secrets') ?? node();
  const tsunagu = takeSection(root, 'tsunagu') ?? node();
  done(root, 'the top level');
  if (!connections || connections.order.length !== 1) throw new Refusal('not exactly one connection');
  const name = connections.order[0] ?? '';
  const conn = takeSection(connections, name);
  if (!conn) throw new Refusal('no connection');
  const filesNode = takeSection(tsunagu, 'files') ?? node();
  const files = new Map(filesNode.values);
  filesNode.values.clear();
  done(filesNode, 'tsunagu.files');
  const used = new Set<string>();
  const file = (ref: string): string => {
    const pem = files.get(ref);
    if (pem === undefined) throw new Refusal(`the file reference '${ref}' names no tsunagu.files entry`);
    if (!ONE_PEM_BLOCK.test(pem)) throw new Refusal(`tsunagu.files '${ref}' is not exactly one PEM block`);
    used.add(ref);
    return pem;
  };

  const version = oneOf(required(conn, 'version', name), ['1', '2'] as const, 'version');
  const remotePort = take(conn, 'remote_port');
  const dpd = take(conn, 'dpd_delay');
  const aggressive = take(conn, 'aggressive');
  const proposals = take(conn, 'proposals');
  const p: Ikev2Profile = {
    kind: 'ikev2',
    connection: name,
    version: version === '1' ? 1 : 2,
    remoteAddrs: checked(items(required(conn, 'remote_addrs', name)), isCanonicalHost, 'remote_addrs'),
    remotePort: remotePort === null ? null : Number(remotePort),
    localAddrs: checked(items(take(conn, 'local_addrs')), isCanonicalHost, 'local_addrs'),
    local: [],
    remote: { auth: 'pubkey', id: null, revocation: null },
    aggressive: aggressive === null ? false : bool(aggressive, 'aggressive'),
    vips: checked(items(take(conn, 'vips')), isCanonicalAddress, 'vips'),
    proposals: proposals === null ? null : checked(items(proposals), (x) => PROPOSAL.test(x), 'proposals'),
    encap: bool(required(conn, 'encap', name), 'encap'),
    mobike: bool(required(conn, 'mobike', name), 'mobike'),
    dpdDelay: null,
    children: [],
    files: { caCerts: [], serverCerts: [], clientCert: null, privateKey: null },
    secrets: { psk: null, eapPassword: null, xauthPassword: null },
    dnsServers: checked(items(take(tsunagu, 'dns_servers')), isCanonicalAddress, 'dns_servers'),
  };
  if (name.length > 64) throw new Refusal('a connection name longer than 64');
  if (remotePort !== null && (!/^[1-9]\d{0,4}$/.test(remotePort) || Number(remotePort) > 65535)) throw new Refusal(`remote_port = '${remotePort}'`);
  if (p.aggressive && p.version !== 1) throw new Refusal('aggressive with IKEv2');
  if (aggressive !== null && !p.aggressive) throw new Refusal("'aggressive = no' is not written");
  if (dpd !== null) {
    const m = /^([1-9]\d{0,8})s$/.exec(dpd);
    if (!m) throw new Refusal(`dpd_delay = '${dpd}'`);
    p.dpdDelay = Number(m[1]);
  }
  let clientCertRef: string | null = null;
  for (let i = 1; ; i++) {
    const s = takeSection(conn, `local-${i}`);
    if (!s) break;
    const certs = take(s, 'certs');
    const round: Ikev2LocalRound = {
      auth: oneOf(required(s, 'auth', `local-${i}`), ['psk', 'pubkey', 'eap-mschapv2', 'eap-tls', 'eap', 'xauth'] as const, 'auth'),
      id: identity(take(s, 'id'), 'id'),
      eapId: identity(take(s, 'eap_id'), 'eap_id'),
      xauthId: identity(take(s, 'xauth_id'), 'xauth_id'),
      usesClientCert: certs !== null,
    };
    if (certs !== null) {
      if (clientCertRef !== null && clientCertRef !== certs) throw new Refusal('two client certificates');
      clientCertRef = certs;
    }
    done(s, `local-${i}`);
    p.local.push(round);
  }
  const remote = takeSection(conn, 'remote');
  if (!remote) throw new Refusal('no remote section');
  p.remote.auth = oneOf(required(remote, 'auth', 'remote'), ['psk', 'pubkey'] as const, 'remote auth');
  p.remote.id = identity(take(remote, 'id'), 'remote id');
  const revocation = take(remote, 'revocation');
  p.remote.revocation = revocation === null ? null : oneOf(revocation, ['strict', 'ifuri', 'relaxed'] as const, 'revocation');
  p.files.caCerts = items(take(remote, 'cacerts')).map(file);
  p.files.serverCerts = items(take(remote, 'certs')).map(file);
  done(remote, 'remote');
  if (clientCertRef !== null) p.files.clientCert = file(clientCertRef);

  const children = takeSection(conn, 'children');
  if (!children) throw new Refusal('no children section');
  for (const childName of children.order) {
    const s = takeSection(children, childName);
    if (!s) continue;
    const esp = take(s, 'esp_proposals');
    const child: Ikev2Child = {
      name: childName,
      localTs: checked(items(take(s, 'local_ts')), isCanonicalSelector, 'local_ts'),
      remoteTs: checked(items(take(s, 'remote_ts')), isCanonicalSelector, 'remote_ts'),
      espProposals: esp === null ? null : checked(items(esp), (x) => PROPOSAL.test(x), 'esp_proposals'),
      mode: oneOf(required(s, 'mode', childName), ['tunnel'] as const, 'mode'),
      updown: take(s, 'updown'),
    };
    done(s, childName);
    p.children.push(child);
  }
  done(children, 'children');
  done(conn, name);

  const section = (n: string): Node | null => takeSection(secrets, n);
  const ike = section('ike-1');
  const eap = section('eap-1');
  const xauth = section('xauth-1');
  const priv = section('private-1');
  if (ike) p.secrets.psk = secret(required(ike, 'secret', 'ike-1'));
  if (eap) p.secrets.eapPassword = secret(required(eap, 'secret', 'eap-1'));
  if (xauth) p.secrets.xauthPassword = secret(required(xauth, 'secret', 'xauth-1'));
  if (priv) {
    if (p.files.clientCert === null) throw new Refusal('a private key without a client certificate');
    p.files.privateKey = file(required(priv, 'file', 'private-1'));
  }
  for (const [n, s] of [['ike-1', ike], ['eap-1', eap], ['xauth-1', xauth], ['private-1', priv]] as const) if (s) done(s, n);
  done(secrets, 'secrets');
  done(tsunagu, 'tsunagu');
  for (const ref of files.keys()) if (!used.has(ref)) throw new Refusal(`tsunagu.files '${ref}' is not referred to`);
  return p;
}

export type Ikev2Reread = { ok: true; profile: Ikev2Profile } | { ok: false; reason: string };

export function rereadIkev2(text: string): Ikev2Reread {
  try {
    return { ok: true, profile: build(parseTree(text)) };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, reason: e.reason };
    if (e instanceof Error) return { ok: false, reason: e.message };
    throw e;
  }
}

/** The first field (a dotted path) where two profiles differ, or null when they are equal. */
export function firstProfileDifference(a: unknown, b: unknown, path = ''): string | null {
  if (a === b) return null;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path || 'profile'} (${a.length} vs ${b.length} items)`;
    for (let i = 0; i < a.length; i++) {
      const d = firstProfileDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
    for (const k of keys) {
      const d = firstProfileDifference(ra[k], rb[k], path ? `${path}.${k}` : k);
      if (d !== null) return d;
    }
    return null;
  }
  return path || 'profile';
}

/** Checks that `text` reads back as exactly `profile`; the refusal otherwise. */
export function verifyIkev2Text(text: string, profile: Ikev2Profile): ProfileError | null {
  const reread = rereadIkev2(text);
  const difference = reread.ok ? firstProfileDifference(profile, reread.profile) : `it cannot be read back: ${reread.reason}`;
  if (difference === null) return null;
  return mismatchError(difference);
}

export function mismatchError(difference: string): ProfileError {
  return profileError('IKEV2_CANONICAL_MISMATCH', { line: 0 }, difference, {
    en: `This profile cannot be passed to strongSwan safely: written out, it would be read differently from what Tsunagu checked (${difference}). Please report this together with the profile.`,
    ja: `このプロファイルは strongSwan に安全に渡せません。書き出すと、Tsunagu が検査した内容とは異なる形で読み込まれます (${difference})。プロファイルを添えて報告してください。`,
  });
}
