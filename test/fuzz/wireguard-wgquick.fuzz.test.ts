/**
 * What wg-quick finally reads is what was checked: for generated and mutated configurations that
 * pass inspection, the independent wg-quick reader gives back the inspected profile from the
 * canonical text; and the real wg-quick's own parse_options (sourced from /usr/bin/wg-quick, no
 * interface needed) reads the canonical text into the same values.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import type { WireGuardProfile } from '../../shared/profiles/wireguard/model.js';
import { checkCanonicalWireGuard, readAsWgQuick } from '../../shared/profiles/wireguard/wgquick-reader.js';
import { formatEndpoint } from '../../shared/profiles/wireguard/writer.js';

const WG_QUICK = '/usr/bin/wg-quick';
const seedWg = readFileSync(join(import.meta.dirname, '../fixtures/seed/wg-client.conf'), 'utf8');

const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64'));
const octet = fc.oneof(fc.constantFrom(0, 1, 10, 127, 128, 192, 255), fc.nat(255));
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const hex = fc.oneof(fc.constant('0'), fc.nat(0xffff).map((n) => n.toString(16)));
const ipv6 = fc.oneof(
  fc.tuple(hex, hex).map(([a, b]) => `${a}:${b}::`),
  fc.tuple(hex, hex).map(([a, b]) => `fd${a.slice(0, 2)}::${b}`),
  fc.constantFrom('::', '::1', '2001:DB8::1', '::ffff:10.1.2.3', 'fe80:0:0:0:0:0:0:1'),
);
const prefix = fc.oneof(
  fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
  fc.tuple(ipv6, fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`),
  ipv4,
  ipv6,
);
const spaced = (items: string[]): fc.Arbitrary<string> => fc.constantFrom(', ', ',', ' , ').map((sep) => items.join(sep));
const listOf = (item: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.array(item, { minLength: 1, maxLength: 3 }).chain(spaced);
const hook = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '=', '$', '(', ')', "'", '"', ';', '|', '&', '>', '%i', '\\', '`', '{', '}', 'é', '\t'), minLength: 1, maxLength: 24 }).filter((s) => s.trim() !== '');
const caseOf = (key: string): fc.Arbitrary<string> => fc.constantFrom(key, key.toLowerCase(), key.toUpperCase());
const line = (key: string, value: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(caseOf(key), value, fc.constantFrom(' = ', '=', '  =\t', ' ='), fc.constantFrom('', '  ', '\t', ' # note')).map(([k, v, eq, tail]) => `${k}${eq}${v}${/^(pre|post)(up|down)$/i.test(k) ? '' : tail}`);
const optional = (a: fc.Arbitrary<string>): fc.Arbitrary<string[]> => fc.option(a, { nil: undefined }).map((v) => (v === undefined ? [] : [v]));

const interfaceLines = fc
  .tuple(
    line('PrivateKey', keyArb),
    optional(line('ListenPort', fc.oneof(fc.constant('0'), fc.integer({ min: 1024, max: 65535 }).map(String)))),
    fc.array(line('Address', listOf(prefix)), { maxLength: 2 }),
    fc.array(line('DNS', listOf(fc.oneof(ipv4, ipv6.filter((a) => !a.includes('/')), fc.constantFrom('corp.example', 'a-b.example.', 'lab')))), { maxLength: 2 }),
    optional(line('MTU', fc.integer({ min: 576, max: 9000 }).map(String))),
    optional(line('Table', fc.constantFrom('auto', 'off', 'AUTO', 'Off'))),
    optional(line('SaveConfig', fc.constantFrom('true', 'false', 'TRUE'))),
    fc.array(fc.tuple(fc.constantFrom('PreUp', 'PostUp', 'PreDown', 'PostDown'), hook).chain(([k, v]) => line(k, fc.constant(v))), { maxLength: 4 }),
  )
  .chain((parts) => fc.shuffledSubarray(parts.flat(), { minLength: parts.flat().length }));
const peerLines = fc
  .tuple(
    line('PublicKey', keyArb),
    optional(line('PresharedKey', keyArb)),
    fc.array(line('AllowedIPs', listOf(prefix)), { maxLength: 2 }),
    optional(line('Endpoint', fc.oneof(fc.tuple(ipv4, fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `${h}:${p}`), fc.constantFrom('vpn.example.com:51820', '[2001:db8::1]:51820', '[fe80::1%eth0]:1')))),
    optional(line('PersistentKeepalive', fc.constantFrom('0', '25', 'off', '65535'))),
  )
  .map((parts) => parts.flat());
const configArb = fc
  .tuple(interfaceLines, fc.array(peerLines, { maxLength: 3 }), fc.constantFrom('\n', '\r\n'), fc.constantFrom('[Interface]', '[interface]'))
  .map(([iface, peers, eol, header]) => [header, ...iface, ...peers.flatMap((p) => ['', '[Peer]', ...p])].join(eol));

function mutated(seed: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(seed, fc.array(fc.tuple(fc.nat(), fc.constantFrom('#', '=', ' ', ',', '/0', '/', '[', ']', '\t', '\r', '\0', 'x', '0', '::', '.1', '\n', '%', '*', '\u00a0', '\u3000')), { minLength: 1, maxLength: 3 })).map(([text, edits]) => {
    let out = text;
    for (const [at, junk] of edits) {
      const pos = at % (out.length + 1);
      out = out.slice(0, pos) + junk + out.slice(pos);
    }
    return out;
  });
}

function inspected(text: string): { canonical: string; profile: WireGuardProfile } | null {
  const r = inspectProfile(text, { kind: 'wireguard', policy: { allowScripts: true } });
  if (!r.ok || r.canonical === null || r.profile?.kind !== 'wireguard') return null;
  return { canonical: r.canonical, profile: r.profile };
}

const RUNS = { generated: 12_000, mutated: 8_000, seed: 2_000, realWgQuick: 300 };

describe('the canonical WireGuard text reads back, with wg-quick\'s rules, as the inspected profile', () => {
  const check = (text: string): boolean => {
    const r = inspected(text);
    if (!r) return false;
    const problem = checkCanonicalWireGuard(r.canonical, r.profile);
    if (problem) throw new Error(`${JSON.stringify(text)}\n${r.canonical}\n${problem.text}`);
    return true;
  };

  it(`${RUNS.generated} generated configurations`, () => {
    let passed = 0;
    fc.assert(fc.property(configArb, (text) => void (check(text) && passed++)), { numRuns: RUNS.generated });
    expect(passed).toBeGreaterThan(RUNS.generated / 2);
  });

  it(`${RUNS.mutated} mutated generated configurations`, () => {
    let passed = 0;
    fc.assert(fc.property(mutated(configArb), (text) => void (check(text) && passed++)), { numRuns: RUNS.mutated });
    expect(passed).toBeGreaterThan(RUNS.mutated / 40);
  });

  it(`${RUNS.seed} mutations of the seed configuration`, () => {
    fc.assert(fc.property(mutated(fc.constant(seedWg)), (text) => void check(text)), { numRuns: RUNS.seed });
  });
});

// The real parse_options, and the variables it fills, printed one per line with a tag.
const HARNESS = `
set -e -o pipefail
shopt -s extglob
export LC_ALL=C
eval "$(sed -n '/^parse_options() {/,/^}/p;/^read_bool() {/,/^}/p;/^die() {/,/^}/p' ${WG_QUICK})"
parse_options "$1"
for v in "\${ADDRESSES[@]}"; do printf 'Address\\t%s\\n' "$v"; done
for v in "\${DNS[@]}"; do printf 'DNS\\t%s\\n' "$v"; done
for v in "\${DNS_SEARCH[@]}"; do printf 'Search\\t%s\\n' "$v"; done
for v in "\${PRE_UP[@]}"; do printf 'PreUp\\t%s\\n' "$v"; done
for v in "\${POST_UP[@]}"; do printf 'PostUp\\t%s\\n' "$v"; done
for v in "\${PRE_DOWN[@]}"; do printf 'PreDown\\t%s\\n' "$v"; done
for v in "\${POST_DOWN[@]}"; do printf 'PostDown\\t%s\\n' "$v"; done
printf 'MTU\\t%s\\nTable\\t%s\\nSaveConfig\\t%s\\n' "$MTU" "$TABLE" "$SAVE_CONFIG"
printf '%s' "$WG_CONFIG"
`;

const dir = mkdtempSync(join(tmpdir(), 'tsunagu-wgquick-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real wg-quick's view of a file: its own variables (by tag) and the text it hands to `wg setconf`. */
function wgQuickView(canonical: string): { tagged: Map<string, string[]>; wgConfig: string } {
  const file = join(dir, 'wgf0.conf');
  writeFileSync(file, canonical, { mode: 0o600 });
  const run = spawnSync('bash', ['-c', HARNESS, 'harness', file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`wg-quick's parse_options failed: ${run.stderr}`);
  const tagged = new Map<string, string[]>();
  const lines = run.stdout.split('\n');
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^(Address|DNS|Search|PreUp|PostUp|PreDown|PostDown|MTU|Table|SaveConfig)\t(.*)$/.exec(lines[i] ?? '');
    if (!m?.[1]) break;
    tagged.set(m[1], [...(tagged.get(m[1]) ?? []), m[2] ?? '']);
  }
  return { tagged, wgConfig: lines.slice(i).join('\n') };
}

describe.runIf(existsSync(WG_QUICK))('the real wg-quick reads the canonical text into the inspected values', () => {
  it(`${RUNS.realWgQuick} generated configurations`, () => {
    fc.assert(
      fc.property(configArb, (text) => {
        const r = inspected(text);
        if (!r) return;
        const { tagged, wgConfig } = wgQuickView(r.canonical);
        const i = r.profile.interface;
        const list = (tag: string): string[] => tagged.get(tag) ?? [];
        expect(list('Address')).toEqual(i.addresses);
        expect(list('DNS')).toEqual(i.dns.servers);
        expect(list('Search')).toEqual(i.dns.searchDomains);
        expect(list('PreUp')).toEqual(i.preUp);
        expect(list('PostUp')).toEqual(i.postUp);
        expect(list('PreDown')).toEqual(i.preDown);
        expect(list('PostDown')).toEqual(i.postDown);
        expect(list('MTU')).toEqual([i.mtu === undefined ? '' : String(i.mtu)]);
        expect(list('Table')).toEqual([i.table ?? '']);
        // What wg-quick hands to `wg setconf`, read with wg's rules: the same key, port and peers.
        const forWg = readAsWgQuick(wgConfig);
        if (!forWg.ok) throw new Error(`${wgConfig}\n${forWg.reason}`);
        expect(forWg.profile.interface.privateKey).toBe(i.privateKey);
        expect(forWg.profile.interface.listenPort).toBe(i.listenPort);
        expect(forWg.profile.peers).toEqual(r.profile.peers);
      }),
      { numRuns: RUNS.realWgQuick },
    );
  });

  it("cuts a hook at '#', as the independent reader does (and so the parser refuses one)", () => {
    const { tagged } = wgQuickView(`[Interface]\nPrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=\nPostUp = echo "A#B"\n`);
    expect(tagged.get('PostUp')).toEqual(['echo "A']);
    const mine = readAsWgQuick(`[Interface]\nPrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=\nPostUp = echo "A#B"\n`);
    expect(mine.ok && mine.profile.interface.postUp).toEqual(['echo "A']);
  });
});

const isRoot = process.getuid?.() === 0;
const ZERO_KEY = `${'A'.repeat(43)}=`;
const hasTools = ['/usr/bin/wg', '/usr/bin/wireguard-go'].every((tool) => existsSync(tool));

// Root only: `wg setconf` on a wireguard-go device in a namespace of its own (never brought up,
// so nothing is sent), then `wg show dump`: what the device holds is the inspected profile.
describe.runIf(isRoot && hasTools && existsSync(WG_QUICK))('wg setconf configures the device as the inspected profile says', () => {
  const netns = `tsunagu-wgfz-${process.pid}`;
  // UAPI sockets live in /var/run/wireguard for every namespace: the name must be unique on the host.
  const device = `wgfz${process.pid % 100000}`;
  const inNetns = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync('ip', ['netns', 'exec', netns, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  beforeAll(() => {
    expect(spawnSync('ip', ['netns', 'add', netns]).status).toBe(0);
    const go = inNetns(['wireguard-go', device]);
    if (go.status !== 0) throw new Error(go.stderr);
  });
  afterAll(() => {
    inNetns(['ip', 'link', 'del', device]);
    spawnSync('ip', ['netns', 'del', netns]);
  });

  it('200 generated configurations with address endpoints', () => {
    let checked = 0;
    fc.assert(
      fc.property(configArb, (text) => {
        const r = inspected(text);
        // Names would be resolved (and zones looked up) in a namespace with no network.
        if (!r || r.profile.peers.some((p) => p.endpoint && !/^[0-9.]+$|^[0-9a-f:]+$/.test(p.endpoint.host))) return;
        const file = join(dir, 'setconf.conf');
        writeFileSync(file, wgQuickView(r.canonical).wgConfig, { mode: 0o600 });
        const set = inNetns(['wg', 'setconf', device, file], { WG_ENDPOINT_RESOLUTION_RETRIES: '0' });
        if (set.status !== 0) throw new Error(`${r.canonical}\n${set.stderr}`);
        const [iface = '', ...peerLines] = inNetns(['wg', 'show', device, 'dump']).stdout.trim().split('\n');
        // The device stores the private key clamped (RFC 7748), so compare the identity it yields.
        const [, publicKey, listenPort, fwmark] = iface.split('\t');
        expect(publicKey).toBe(r.profile.interface.publicKey);
        if (r.profile.interface.listenPort) expect(Number(listenPort)).toBe(r.profile.interface.listenPort);
        expect(fwmark).toBe('off');
        const device_ = new Map(peerLines.filter((l) => l !== '').map((l) => {
          const [publicKey = '', psk, endpoint, allowed = '', , , , keepalive] = l.split('\t');
          return [publicKey, { psk, endpoint, allowed: allowed === '(none)' ? [] : allowed.split(',').sort(), keepalive }];
        }));
        expect([...device_.keys()].sort()).toEqual(r.profile.peers.map((p) => p.publicKey).sort());
        for (const p of r.profile.peers) {
          const d = device_.get(p.publicKey);
          // An all-zero preshared key is the protocol's "none" (the handshake mixes in 32 zero bytes either way).
          expect(d?.psk).toBe(p.presharedKey === undefined || p.presharedKey === ZERO_KEY ? '(none)' : p.presharedKey);
          expect(d?.endpoint).toBe(p.endpoint ? formatEndpoint(p.endpoint) : '(none)');
          expect(d?.allowed).toEqual([...new Set(p.allowedIPs)].sort());
          expect(d?.keepalive).toBe(p.persistentKeepalive === undefined ? 'off' : String(p.persistentKeepalive));
        }
        checked++;
      }),
      { numRuns: 200 },
    );
    expect(checked).toBeGreaterThan(50);
  });
});
