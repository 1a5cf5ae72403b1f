/**
 * Property-based fuzzing of both profile parsers (issue: "any byte sequence yields a model or
 * errors, never an exception or a hang"). Over 100,000 generated and mutated inputs in total.
 * Every failure must be a typed error; every success must round-trip through the canonical writer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProfileError } from '../../shared/profiles/diagnostics.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { DIRECTIVES } from '../../shared/profiles/openvpn/directives.js';
import { parseOpenVpn } from '../../shared/profiles/openvpn/parser.js';
import { writeOpenVpn } from '../../shared/profiles/openvpn/writer.js';
import { parseWireGuard } from '../../shared/profiles/wireguard/parser.js';
import { writeWireGuard } from '../../shared/profiles/wireguard/writer.js';

const SEED = join(import.meta.dirname, '../fixtures/seed');
const seedOvpn = readFileSync(join(SEED, 'client.ovpn'), 'utf8').replace('ca ca.crt\ncert client.crt\nkey client.key\n',
  `<ca>\n${readFileSync(join(SEED, 'ca.crt'), 'utf8')}</ca>\n<cert>\n${readFileSync(join(SEED, 'client.crt'), 'utf8')}</cert>\n<key>\n${readFileSync(join(SEED, 'client.key'), 'utf8')}</key>\n`);
const seedWg = readFileSync(join(SEED, 'wg-client.conf'), 'utf8');

function assertTypedErrors(errors: ProfileError[]): void {
  for (const e of errors) {
    if (typeof e.code !== 'string' || !/^[A-Z][A-Z0-9_]+$/.test(e.code)) throw new Error(`bad code ${JSON.stringify(e)}`);
    if (!Number.isInteger(e.line) || e.line < 0 || !Number.isInteger(e.column) || e.column < 0) throw new Error(`bad location ${JSON.stringify(e)}`);
    if (!e.message.en || !e.message.ja) throw new Error(`missing message ${JSON.stringify(e)}`);
  }
}

function checkOpenVpn(input: Uint8Array | string): void {
  const r = parseOpenVpn(input);
  assertTypedErrors(r.errors);
  if (r.profile) {
    if (r.errors.length > 0) throw new Error('a profile and errors at once');
    const again = parseOpenVpn(writeOpenVpn(r.profile));
    expect(again.profile).toEqual(r.profile);
  } else if (r.errors.length === 0) {
    throw new Error('neither a profile nor an error');
  }
  const inspected = inspectProfile(input, { fileName: 'f.ovpn' });
  assertTypedErrors(inspected.errors);
  if (inspected.ok !== (inspected.canonical !== null)) throw new Error('ok without canonical text');
}

function checkWireGuard(input: Uint8Array | string): void {
  const r = parseWireGuard(input);
  if (r.ok) {
    const again = parseWireGuard(writeWireGuard(r.profile));
    if (!again.ok) throw new Error(`canonical text failed to parse: ${JSON.stringify(again.errors)}`);
    expect(again.profile).toEqual(r.profile);
  } else {
    if (r.errors.length === 0) throw new Error('neither a profile nor an error');
    assertTypedErrors(r.errors);
  }
  assertTypedErrors(inspectProfile(input, { fileName: 'f.conf', kind: 'wireguard' }).errors);
}

/** Mutations: flip, insert, delete bytes; truncate; duplicate a slice. */
function mutated(seed: string): fc.Arbitrary<Uint8Array> {
  const bytes = new TextEncoder().encode(seed);
  const op = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('"', "'", '\\', '#', ';', '<ca>', '</ca>', '<connection>', '\n', '\r\n', ' ', '\t', '--', '=', '[Peer]', '[Interface]', '\u00e9', '\0', 'setenv opt ', 'up /x', ',', '/', ':', '[') }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 80 }) }),
  );
  return fc.array(op, { minLength: 1, maxLength: 6 }).map((ops) => {
    let b = bytes;
    for (const o of ops) {
      const at = b.length === 0 ? 0 : o.at % (b.length + 1);
      if (o.kind === 'flip' && b.length > 0) {
        b = b.slice();
        b[at % b.length] = o.value;
      } else if (o.kind === 'insert') {
        const ins = new TextEncoder().encode(o.text);
        b = new Uint8Array([...b.subarray(0, at), ...ins, ...b.subarray(at)]);
      } else if (o.kind === 'delete') {
        b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + o.len)]);
      } else if (o.kind === 'truncate') {
        b = b.subarray(0, at);
      } else if (o.kind === 'dup') {
        b = new Uint8Array([...b.subarray(0, at + o.len), ...b.subarray(at, at + o.len), ...b.subarray(at + o.len)]);
      }
    }
    return b;
  });
}

const names = Object.keys(DIRECTIVES);
const token = fc.oneof(
  fc.constantFrom('udp', 'tcp', '1194', '0', '1', 'server', 'a.test', '10.0.0.1', '255.255.255.0', 'AES-256-CBC', 'def1', '[inline]', 'stdin', 'DNS', 'DOMAIN'),
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 8 }).map((s) => `"${s}"`),
  fc.string({ maxLength: 8 }).map((s) => `'${s}'`),
  fc.string({ maxLength: 8 }).map((s) => `${s}\\${s}`),
);
const ovpnLine = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...names), fc.array(token, { maxLength: 4 })).map(([n, a]) => [n, ...a].join(' ')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...names), fc.array(token, { maxLength: 2 })).map(([n, a]) => `setenv opt ${[n, ...a].join(' ')}`) },
  { weight: 2, arbitrary: fc.constantFrom('ca', 'cert', 'key', 'tls-auth', 'tls-crypt', 'pkcs12', 'auth-user-pass', 'connection', 'verb', 'x').chain((tag) => fc.array(fc.oneof(token, fc.constantFrom('remote b.test 443', '-----BEGIN X-----', '</ca>')), { maxLength: 3 }).map((body) => `<${tag}>\n${body.join('\n')}\n</${tag}>`)) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([k, v]) => `# OVPN_ACCESS_SERVER_${k}=${v}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);
const ovpnDoc = fc.tuple(fc.boolean(), fc.array(ovpnLine, { maxLength: 14 }), fc.constantFrom('\n', '\r\n')).map(([client, lines, eol]) =>
  (client ? ['client', 'dev tun', 'remote a.test 1194', '<ca>', '-----BEGIN CERTIFICATE-----', 'MIIB', '-----END CERTIFICATE-----', '</ca>', 'auth-user-pass', ...lines] : lines).join(eol));

const wgKey = fc.oneof(fc.constantFrom('qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=', 'm58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=', '73gw+v4V0TKsw2uGLHJ9EI26qfMEwvk+JZ+xED2ttAs='), fc.string({ maxLength: 46 }));
const wgValue = fc.oneof(wgKey, fc.constantFrom('10.0.0.2/24', 'fd00::2/64', '0.0.0.0/0, ::/0', '1.1.1.1, corp.test', '[::1]:51820', 'a.test:51820', '1420', '25', 'off', 'auto', 'true', '0x10', '99999', ', ,', '[x]:1'), fc.string({ maxLength: 20 }));
const wgKeyName = fc.constantFrom('PrivateKey', 'ListenPort', 'FwMark', 'Address', 'DNS', 'MTU', 'Table', 'PreUp', 'PostUp', 'SaveConfig', 'PublicKey', 'PresharedKey', 'AllowedIPs', 'Endpoint', 'PersistentKeepalive', 'privatekey', 'ENDPOINT', 'Bogus');
const wgLine = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(wgKeyName, wgValue).map(([k, v]) => `${k} = ${v}`) },
  { weight: 2, arbitrary: fc.constantFrom('[Interface]', '[Peer]', '[interface]', '[Other]', '# comment', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);
const wgDoc = fc.array(wgLine, { maxLength: 14 }).map((lines) => lines.join('\n'));

const RUNS = { ovpnDocs: 35_000, ovpnMutations: 20_000, wgDocs: 20_000, wgMutations: 15_000, rawBytes: 10_000 };

describe('fuzzing the profile parsers (100,000 inputs)', () => {
  it(`OpenVPN: ${RUNS.ovpnDocs} generated profiles`, () => {
    fc.assert(fc.property(ovpnDoc, (doc) => checkOpenVpn(doc)), { numRuns: RUNS.ovpnDocs });
  });
  it(`OpenVPN: ${RUNS.ovpnMutations} mutations of the seed profile`, () => {
    fc.assert(fc.property(mutated(seedOvpn), (bytes) => checkOpenVpn(bytes)), { numRuns: RUNS.ovpnMutations });
  });
  it(`WireGuard: ${RUNS.wgDocs} generated configurations`, () => {
    fc.assert(fc.property(wgDoc, (doc) => checkWireGuard(doc)), { numRuns: RUNS.wgDocs });
  });
  it(`WireGuard: ${RUNS.wgMutations} mutations of the seed configuration`, () => {
    fc.assert(fc.property(mutated(seedWg), (bytes) => checkWireGuard(bytes)), { numRuns: RUNS.wgMutations });
  });
  it(`both: ${RUNS.rawBytes} arbitrary byte strings`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      checkOpenVpn(bytes);
      checkWireGuard(bytes);
    }), { numRuns: RUNS.rawBytes });
  });
  it('stays linear on huge and pathological inputs', () => {
    const huge = [
      'remote a.test 1194\n'.repeat(60_000),
      `<ca>\n${'A'.repeat(2_000_000)}\n`,
      `${'"'.repeat(300_000)}\n`,
      `${'\\'.repeat(300_000)}`,
      `[Peer]\n${'AllowedIPs = 10.0.0.0/8,'.repeat(40_000)}\n`,
      `${'#'.repeat(1_000_000)}`,
    ];
    for (const text of huge) {
      const started = performance.now();
      checkOpenVpn(text);
      checkWireGuard(text);
      expect(performance.now() - started).toBeLessThan(5_000);
    }
  });
});
