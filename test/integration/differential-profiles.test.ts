/**
 * The profile engine against the real tools (issue 11), over the real-world corpus
 * (test/fixtures/real-world/manifest.json), the seed and a few synthetic cases of each known class:
 * - what the engine imports must start under the tool: its canonical text passes the oracle;
 * - what the engine refuses is refused by the tool too, or is one of the policy's named refusals;
 * - a WireGuard file never gets an OpenVPN error.
 * The oracle (oracle.ts) runs each tool unprivileged and offline; verdicts are cached by content.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectProfile, type InspectResult } from '../../shared/profiles/inspect.js';
import type { ProfileKind } from '../../shared/profiles/diagnostics.js';
import { openSslProvides } from '../../shared/profiles/openvpn/ciphers.js';
import { openVpnOracle, wireGuardOracle, type OracleVerdict } from './oracle.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');
const CORPUS = join(FIXTURES, 'real-world');

/**
 * Where the engine is deliberately stricter than the tool: the error code, and the policy reason
 * printed for it. A refusal whose codes are not all here must be the tool's refusal too.
 */
const POLICY_REASONS: Readonly<Record<string, string>> = {
  POLICY_RUNS_PROGRAM: 'dangerous directive: runs a program as root',
  POLICY_REPLACES_SYSTEM_TOOL: 'dangerous directive: replaces a system tool run as root',
  POLICY_LOADS_NATIVE_CODE: 'dangerous directive: loads native code',
  POLICY_WRITES_FILE: 'dangerous directive: writes a file as root',
  POLICY_READS_FILE: 'dangerous directive: reads a file as root',
  POLICY_CONTROL_SOCKET: 'dangerous directive: control channel reserved for Tsunagu',
  POLICY_PROCESS_CONTROL: 'dangerous directive: process control the helper owns',
  POLICY_SOCKET_PRIVILEGE: 'root-only effect: routing mark or bound device',
  POLICY_PRIVILEGED_PORT: 'root-only effect: privileged local port',
  POLICY_SETENV: 'dangerous directive: environment for root programs',
  POLICY_GENERIC_CONFIG: 'server-locked generic configuration',
  POLICY_SERVER_CONFIG: 'server configuration',
  POLICY_FILE_REFERENCE: 'reads a file outside the profile (the helper never reads user paths)',
  POLICY_WG_SCRIPT: 'dangerous directive: wg-quick hook runs a shell command as root',
  OVPN_NOT_A_CLIENT: 'server or peer-to-peer configuration',
  WG_FWMARK_REFUSED: 'root-only effect: FwMark steers other sessions’ traffic',
  WG_TABLE_REFUSED: 'root-only effect: a fixed routing table',
  WG_PRIVILEGED_LISTEN_PORT: 'root-only effect: privileged listen port',
  WG_ALLOWEDIPS_HOST_BITS: 'root-only effect: a prefix with host bits hides a full tunnel',
  WG_SAVECONFIG: 'wg-quick writes the configuration file back as root',
  WG_INVALID_DNS: 'root-only effect: a search domain that is not a DNS name would go into the system resolver',
  WG_INVALID_DNS_SERVER: 'root-only effect: a DNS server that is not an address would go into the system resolver',
  WG_NO_INTERFACE: 'incomplete client: no [Interface] with its private key (wg accepts it; the tunnel cannot authenticate)',
  WG_NO_PRIVATE_KEY: 'incomplete client: no private key (wg accepts it; the tunnel cannot authenticate)',
};

/** What a file that is not a profile must get: this one error, and nothing else. */
const NOT_A_PROFILE_CODES = new Set(['PROFILE_NOT_A_PROFILE', 'PROFILE_BINARY']);

interface Case {
  label: string;
  source: string;
  kind: ProfileKind;
  expect: string;
  bytes: Uint8Array;
  fileName: string;
  companions: Map<string, Uint8Array>;
}

interface ManifestEntry {
  path: string;
  kind: ProfileKind | 'unknown';
  expect: string;
  companions: string[];
}

function readCompanion(profilePath: string, name: string): [string, Uint8Array] {
  const beside = join(dirname(profilePath), name);
  try {
    return [name.split('/').at(-1) ?? name, readFileSync(beside)];
  } catch {
    return [name.split('/').at(-1) ?? name, readFileSync(join(CORPUS, name))];
  }
}

function corpusCases(): Case[] {
  let manifest: { files: ManifestEntry[] };
  try {
    manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as { files: ManifestEntry[] };
  } catch {
    return [];
  }
  return manifest.files.map((e) => {
    const path = join(CORPUS, e.path);
    const kind: ProfileKind = e.kind === 'wireguard' ? 'wireguard' : 'openvpn';
    return {
      label: e.path,
      source: `${e.path.split('/')[0]}/${e.path.split('/')[1] ?? ''}`,
      kind,
      expect: e.expect,
      bytes: readFileSync(path),
      fileName: e.path.split('/').at(-1) ?? e.path,
      companions: new Map(e.companions.map((c) => readCompanion(path, c))),
    };
  });
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const seedFile = (name: string): Uint8Array => readFileSync(join(FIXTURES, 'seed', name));

function seedCases(): Case[] {
  const companions = new Map(['ca.crt', 'client.crt', 'client.key'].map((n) => [n, seedFile(n)] as const));
  const base = { source: 'seed', companions: new Map<string, Uint8Array>() };
  return [
    { ...base, label: 'seed/client.ovpn', kind: 'openvpn', expect: 'client', bytes: seedFile('client.ovpn'), fileName: 'client.ovpn', companions },
    { ...base, label: 'seed/server.conf', kind: 'openvpn', expect: 'server', bytes: seedFile('server.conf'), fileName: 'server.conf', companions },
    { ...base, label: 'seed/wg-client.conf', kind: 'wireguard', expect: 'client', bytes: seedFile('wg-client.conf'), fileName: 'wg-client.conf' },
    { ...base, label: 'seed/wg-server.conf', kind: 'wireguard', expect: 'server', bytes: seedFile('wg-server.conf'), fileName: 'wg-server.conf' },
  ];
}

/** One synthetic profile per disagreement class of issue 11, built on the seed's certificates. */
function syntheticCases(): Case[] {
  const pem = (name: string): string => new TextDecoder().decode(seedFile(name));
  const inline = (tag: string, body: string): string => `<${tag}>\n${body.endsWith('\n') ? body : `${body}\n`}</${tag}>\n`;
  const client = (extra: string): string =>
    `client\ndev tun\nproto udp\nremote vpn.example.test 1194\nremote-cert-tls server\n${inline('ca', pem('ca.crt'))}${inline('cert', pem('client.crt'))}${inline('key', pem('client.key'))}${extra}`;
  const staticKey = `-----BEGIN OpenVPN Static key V1-----\n${'0123456789abcdef0123456789abcdef\n'.repeat(16)}-----END OpenVPN Static key V1-----\n`;
  const wgPeerFirst = `[Peer]\nPublicKey = m58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=\nAllowedIPs = 0.0.0.0/0\nEndpoint = 192.0.2.1:51820\n\n[Interface]\nPrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=\nAddress = 10.0.0.2/32\nDNS = 10.0.0.1\n`;
  const encryptedKey = execFileSync('openssl', ['pkey', '-in', join(FIXTURES, 'seed', 'client.key'), '-aes256', '-passout', 'pass:tsunagu'], { encoding: 'utf8' });
  const seedPath = (name: string): string => join(FIXTURES, 'seed', name);
  const p12 = execFileSync('openssl', ['pkcs12', '-export', '-in', seedPath('client.crt'), '-inkey', seedPath('client.key'), '-certfile', seedPath('ca.crt'), '-passout', 'pass:']).toString('base64').replace(/.{64}/g, '$&\n');
  const pkcs12Only = `client\ndev tun\nproto udp\nremote vpn.example.test 1194\nremote-cert-tls server\n${inline('pkcs12', p12)}`;
  const cases: Array<[string, ProfileKind, string, Uint8Array]> = [
    ['pkcs12 with its CA inside, no <ca>', 'openvpn', 'client', text(pkcs12Only)],
    // The oracle must not leave it running (checked after the run).
    ['daemon', 'openvpn', 'dangerous', text(client('daemon\n'))],
    ['encrypted private key', 'openvpn', 'client', text(client('').replace(/<key>\n[\s\S]*?<\/key>/, `<key>\n${encryptedKey}</key>`))],
    ['inline block with only BEGIN/END', 'openvpn', 'client', text(client('').replace(/<key>\n[\s\S]*?<\/key>/, '<key>\n-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n</key>'))],
    ['empty inline block', 'openvpn', 'client', text(client('<tls-crypt>\n</tls-crypt>\n'))],
    ['static key with the implied BF-CBC', 'openvpn', 'client', text(`dev tun\nremote vpn.example.test 1194\nifconfig 10.8.0.2 10.8.0.1\n${inline('secret', staticKey)}`)],
    ['privilege drop (user/group)', 'openvpn', 'client', text(client('user nobody\ngroup nogroup\npersist-key\npersist-tun\n'))],
    ['fixed device name and dev-type', 'openvpn', 'client', text(client('dev tun7\ndev-type tun\n'))],
    ['script-security without a script', 'openvpn', 'client', text(client('script-security 2\n'))],
    ['up-delay and up-restart without a script', 'openvpn', 'client', text(client('up-delay\nup-restart\n'))],
    ['Latin-1 comment', 'openvpn', 'client', Uint8Array.from([...text(client('')), ...text('# caf'), 0xe9, 0x0a])],
    ['WireGuard file starting with [Peer]', 'wireguard', 'client', text(wgPeerFirst)],
    ['WireGuard empty DNS and MTU', 'wireguard', 'client', text(wgPeerFirst.replace('DNS = 10.0.0.1', 'DNS =\nMTU =').replace('[Peer]', '[Peer]'))],
    ['a certificate, not a profile', 'openvpn', 'not-a-profile', seedFile('ca.crt')],
    ['TLS profile with cipher BF-CBC', 'openvpn', 'client', text(client('cipher BF-CBC\n'))],
    ['static key with cipher AES-256-CBC', 'openvpn', 'client', text(`dev tun\nremote vpn.example.test 1194\nifconfig 10.8.0.2 10.8.0.1\ncipher AES-256-CBC\n${inline('secret', staticKey)}`)],
    ['dev null', 'openvpn', 'client', text(client('dev null\n'))],
  ];
  // The names 2.6 knows that the directive table lacked before issue 11, one line each.
  for (const line of ['compat-mode 2.4.0', 'shaper 100000', 'shaper 99', 'socket-flags TCP_NODELAY', 'preresolve', 'http-proxy-override proxy.example.test 8080', 'auth-token abc', 'peer-id 3', 'protocol-flags cc-exit', 'key-derivation tls-ekm', 'msg-channel 1', 'pkcs11-slot 1', 'pkcs11-id-type 1', 'http-proxy-retry', 'prng sha1', 'show-curves']) {
    cases.push([`option ${line}`, 'openvpn', 'client', text(client(`${line}\n`))]);
  }
  return cases.map(([label, kind, expect, bytes]) => ({ label: `synthetic/${label}`, source: 'synthetic', kind, expect, bytes, fileName: kind === 'wireguard' ? 'wg0.conf' : 'profile.ovpn', companions: new Map() }));
}

/** Directives whose file argument a stub can stand in for, and the seed file (or kind of file) it gets. */
const STUB_FOR: Readonly<Record<string, 'ca.crt' | 'client.crt' | 'client.key' | 'static key' | 'credentials'>> = {
  ca: 'ca.crt',
  'extra-certs': 'ca.crt',
  cert: 'client.crt',
  key: 'client.key',
  'tls-auth': 'static key',
  'tls-crypt': 'static key',
  secret: 'static key',
  'auth-user-pass': 'credentials',
  'http-proxy-user-pass': 'credentials',
  askpass: 'credentials',
};

/**
 * Most public profiles reference certificate and key files their source did not publish: with only
 * the file, engine and tool agree that it is missing, which says nothing about the options. The
 * variant names each referenced file by its basename and gives every missing one a stub of the right
 * kind (the seed's certificates, a key from `openvpn --genkey`), so both judge the profile's options.
 */
function withStubCompanions(cases: Case[]): Case[] {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-stub-'));
  execFileSync('openvpn', ['--genkey', 'secret', join(dir, 'static.key')]);
  const stubs = { 'ca.crt': seedFile('ca.crt'), 'client.crt': seedFile('client.crt'), 'client.key': seedFile('client.key'), 'static key': readFileSync(join(dir, 'static.key')), credentials: text('user\npassword\n') };
  rmSync(dir, { recursive: true, force: true });
  const variants: Case[] = [];
  for (const c of cases) {
    if (c.kind !== 'openvpn' || c.expect === 'not-a-profile') continue;
    const companions = new Map(c.companions);
    // A path outside the profile's folder (/etc/openvpn/ca.crt) is read by basename, as the inliner does.
    const lines = Buffer.from(c.bytes).toString('latin1').split('\n').map((line) => {
      const m = /^(\s*)([a-z-]+)(\s+)("?)([^\s"]+)\4(.*)$/s.exec(line);
      const [, lead = '', name = '', gap = '', , file = '', rest = ''] = m ?? [];
      const stub = STUB_FOR[name];
      if (!m || stub === undefined || /^(stdin|\[inline\])$/.test(file)) return line;
      const base = file.split('/').at(-1) ?? file;
      if (!companions.has(base)) companions.set(base, stubs[stub]);
      return `${lead}${name}${gap}${base}${rest}`;
    });
    if (companions.size > c.companions.size) variants.push({ ...c, label: `${c.label} (stub companions)`, bytes: Buffer.from(lines.join('\n'), 'latin1'), companions });
  }
  return variants;
}

type Outcome =
  | { class: 'agree'; note: string }
  | { class: 'engine fixes'; note: string }
  | { class: 'policy'; note: string }
  | { class: 'false accept'; note: string }
  | { class: 'false refusal'; note: string }
  | { class: 'wrong kind'; note: string }
  | { class: 'not a profile'; note: string }
  | { class: 'misleading'; note: string };

interface Judged {
  c: Case;
  engine: InspectResult;
  original: OracleVerdict;
  canonical: OracleVerdict | null;
  outcome: Outcome;
}

const oracle = (kind: ProfileKind, bytes: Uint8Array, companions?: Map<string, Uint8Array>): Promise<OracleVerdict> =>
  kind === 'wireguard' ? wireGuardOracle(bytes) : openVpnOracle(bytes, companions);

const said = (v: OracleVerdict): string => (v.accepted ? `accepted (${v.stage})` : `refused: ${v.reason}`);

async function judge(c: Case): Promise<Judged> {
  const engine = inspectProfile(c.bytes, { fileName: c.fileName, files: { description: { en: 'the corpus', ja: 'コーパス' }, read: (n) => c.companions.get(n) ?? null } });
  const original = await oracle(c.kind, c.bytes, c.companions);
  const canonical = engine.ok && engine.canonical !== null ? await oracle(engine.kind, text(engine.canonical)) : null;
  const codes = engine.errors.map((e) => e.code);
  let outcome: Outcome;
  if (c.expect === 'not-a-profile') {
    outcome = !engine.ok && engine.errors.length === 1 && NOT_A_PROFILE_CODES.has(codes[0] ?? '')
      ? { class: 'not a profile', note: engine.errors[0]?.message.en ?? '' }
      : { class: 'misleading', note: `expected one "not a VPN profile" error, got ${engine.ok ? 'an import' : codes.join(', ')}` };
  } else if (c.kind === 'wireguard' && (engine.kind !== 'wireguard' || codes.some((code) => code.startsWith('OVPN_')))) {
    outcome = { class: 'wrong kind', note: `read as ${engine.kind}: ${codes.join(', ')}` };
  } else if (engine.ok) {
    if (!canonical?.accepted) outcome = { class: 'false accept', note: `canonical ${canonical ? said(canonical) : 'missing'}` };
    else if (original.accepted) outcome = { class: 'agree', note: 'both accept' };
    else outcome = { class: 'engine fixes', note: `tool ${said(original)}; canonical accepted` };
  } else if (!original.accepted) {
    outcome = { class: 'agree', note: `both refuse (${codes.join(', ')} / ${original.reason})` };
  } else {
    const reasons = [...new Set(codes.map((code) => POLICY_REASONS[code]))];
    outcome = reasons.every((r) => r !== undefined) && reasons.length > 0
      ? { class: 'policy', note: `${codes.join(', ')}: ${reasons.join('; ')}` }
      : { class: 'false refusal', note: `${engine.errors.map((e) => `${e.code} line ${e.line}: ${e.message.en}`).join(' | ')}` };
  }
  return { c, engine, original, canonical, outcome };
}

async function judgeAll(cases: Case[], parallel: number): Promise<Judged[]> {
  const results: Judged[] = new Array<Judged>(cases.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < cases.length; i = next++) {
        const c = cases[i];
        if (c) results[i] = await judge(c);
      }
    }),
  );
  return results;
}

function report(results: Judged[]): string {
  const lines: string[] = [];
  const by = new Map<string, number>();
  for (const r of results) by.set(r.outcome.class, (by.get(r.outcome.class) ?? 0) + 1);
  const agreeing = results.filter((r) => r.engine.ok === r.original.accepted).length;
  const bothAccept = results.filter((r) => r.engine.ok && r.original.accepted).length;
  lines.push(`differential: ${results.length} profiles; engine and tool agree on the original for ${agreeing} (${((100 * agreeing) / results.length).toFixed(1)} %; both accept ${bothAccept}, both refuse ${agreeing - bothAccept})`);
  lines.push(`  ${[...by].map(([k, n]) => `${k}: ${n}`).join(', ')}`);
  const groups: Array<[string, (r: Judged) => boolean]> = [
    ['corpus as published', (r) => r.c.source !== 'seed' && r.c.source !== 'synthetic' && !r.c.label.endsWith('(stub companions)')],
    ['corpus with stub companions', (r) => r.c.label.endsWith('(stub companions)')],
    ['seed and synthetic', (r) => r.c.source === 'seed' || r.c.source === 'synthetic'],
  ];
  for (const [name, inGroup] of groups) {
    const group = results.filter(inGroup);
    const agree = group.filter((r) => r.engine.ok === r.original.accepted).length;
    const covered = group.filter((r) => !['false accept', 'false refusal', 'wrong kind', 'misleading'].includes(r.outcome.class)).length;
    lines.push(`  ${name}: ${group.length}; same verdict as the tool ${agree} (${((100 * agree) / Math.max(1, group.length)).toFixed(1)} %), agreeing or explained (policy, engine fix, not a profile) ${covered}`);
  }
  const reasons = new Map<string, { n: number; example: string }>();
  for (const r of results) {
    if (r.original.accepted || r.engine.ok) continue;
    const reason = r.original.reason.replace(/tsunagu-oracle\.ovpn:\d+/, 'line N').replace(/'[^']*'|\[[^\]]*\]|`[^`]*'/g, '…');
    reasons.set(reason, { n: (reasons.get(reason)?.n ?? 0) + 1, example: reasons.get(reason)?.example ?? r.c.label });
  }
  lines.push(`  both refuse; the tool's most frequent reasons: ${[...reasons].sort((a, b) => b[1].n - a[1].n).slice(0, 12).map(([k, v]) => `${v.n}× ${k} (e.g. ${v.example})`).join(' | ')}`);
  for (const r of results) {
    if (r.outcome.class === 'agree' || r.outcome.class === 'not a profile') continue;
    lines.push(`  [${r.outcome.class}] ${r.c.label}: ${r.outcome.note}${r.outcome.class === 'policy' ? '' : ` (tool on original: ${said(r.original)})`}`);
  }
  return lines.join('\n');
}

describe('the profile engine against openvpn 2.6 and wg-quick', () => {
  it('knows which ciphers openvpn can use here, as `openvpn --show-ciphers` lists them', () => {
    const shown = execFileSync('openvpn', ['--show-ciphers'], { encoding: 'utf8' }).split('\n').map((l) => /^([A-Z0-9]+-[A-Z0-9-]+)\s+\(/.exec(l)?.[1]).filter((c): c is string => c !== undefined);
    expect(shown.length).toBeGreaterThan(10);
    for (const c of shown) expect(openSslProvides(c), c).toBe(true);
    // Every CBC cipher OpenSSL knows (legacy ones included): openvpn lists each it can use in CBC mode.
    const known = new Set(execFileSync('openssl', ['list', '-cipher-algorithms', '-provider', 'legacy', '-provider', 'default'], { encoding: 'utf8' }).match(/\b[A-Z0-9]+(?:-[A-Z0-9]+)*-CBC\b/g) ?? []);
    const legacy = [...known].filter((c) => !shown.includes(c));
    expect(legacy).toContain('BF-CBC');
    for (const c of known) expect(openSslProvides(c), c).toBe(shown.includes(c));
  });

  it('imports nothing the tool would not start, and refuses only what the tool or the policy refuses', async () => {
    const corpus = corpusCases();
    const cases = [...seedCases(), ...syntheticCases(), ...corpus, ...withStubCompanions(corpus)];
    const results = await judgeAll(cases, 4);
    console.log(report(results));
    // Nothing the oracle started outlives it, a profile's `daemon` included.
    expect(spawnSync('pgrep', ['-u', 'nobody', '-f', 'tsunagu-oracle']).stdout.toString()).toBe('');
    const bad = results.filter((r) => ['false accept', 'false refusal', 'wrong kind', 'misleading'].includes(r.outcome.class));
    expect(bad.map((r) => `${r.c.label}: [${r.outcome.class}] ${r.outcome.note}`)).toEqual([]);
  }, 400_000);
});
