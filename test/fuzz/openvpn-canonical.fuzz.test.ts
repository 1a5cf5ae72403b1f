/**
 * Property (issue 10, finding 1d): for every generated or mutated profile that passes inspection,
 * openvpn's reading of the canonical text — the independent re-reader, reread.ts — is exactly the
 * checked model. Inputs lean on what broke before: quotes and backslashes that grow when re-quoted,
 * values near the 256-byte limits, <connection> blocks (openvpn's splitting string reader), inline
 * blocks, and tag-like text inside values. Checked beside inspectProfile (which refuses a mismatch
 * itself): the writer is run directly on the parsed model too, so a mismatch cannot hide behind a
 * refusal, and inspection must never need to refuse one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import type { OpenVpnProfile } from '../../shared/profiles/openvpn/model.js';
import { parseOpenVpn } from '../../shared/profiles/openvpn/parser.js';
import { firstDifference, rereadOpenVpn } from '../../shared/profiles/openvpn/reread.js';
import { writeOpenVpnChecked } from '../../shared/profiles/openvpn/writer.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const STATIC_KEY = `-----BEGIN OpenVPN Static key V1-----\n${'0123456789abcdef0123456789abcdef\n'.repeat(16)}-----END OpenVPN Static key V1-----\n`;
const HEAD = ['client', 'dev tun', 'auth-user-pass', 'remote-cert-tls server', '<ca>', CA.trimEnd(), '</ca>'];

/** A value: short mixes of the bytes parse_line() treats specially, or long runs near the limit. */
const piece = fc.constantFrom('a', 'b', ' ', '\t', '"', "'", '\\', '#', ';', '<', '>', '/', '<tls-auth>', '</ca>', '<connection>', '</connection>', '日本', '=', '-');
const shortValue = fc.array(piece, { minLength: 1, maxLength: 12 }).map((p) => p.join(''));
const longValue = fc
  .tuple(fc.integer({ min: 60, max: 250 }), fc.constantFrom('x', '"', '\\', ' ', '"x', '\\"', 'é'), fc.array(piece, { maxLength: 4 }))
  .map(([n, unit, tail]) => `${unit.repeat(Math.ceil(n / unit.length)).slice(0, n)}${tail.join('')}`);
const value = fc.oneof({ weight: 3, arbitrary: shortValue }, { weight: 2, arbitrary: longValue });

/** One way parse_line() can be given `v`: bare with escapes, double-quoted, or single-quoted. */
function encode(v: string, style: 'bare' | 'dq' | 'sq'): string {
  if (style === 'sq' && !v.includes("'")) return `'${v}'`;
  if (style === 'bare' && v !== '' && !/^[ \t#;']/.test(v)) {
    const body = v.replace(/[\\ \t]/g, (c) => `\\${c}`);
    return body.startsWith('"') ? `\\${body}` : body;
  }
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
const arg = fc.tuple(value, fc.constantFrom('bare', 'dq', 'sq') as fc.Arbitrary<'bare' | 'dq' | 'sq'>).map(([v, s]) => encode(v, s));

/** Lines that take free text, valid at top level and inside <connection> (marked `conn`). */
const freeText = (conn: boolean) =>
  fc.oneof(
    arg.map((a) => `http-proxy-option CUSTOM-HEADER X-A ${a}`),
    fc.tuple(arg, arg).map(([a, b]) => `http-proxy-option CUSTOM-HEADER ${a} ${b}`),
    ...(conn
      ? [fc.constantFrom('explicit-exit-notify 1', 'port 1194', 'connect-retry 5', `<tls-auth>\n${STATIC_KEY}</tls-auth>`, 'key-direction 1')]
      : [
          arg.map((a) => `verify-x509-name ${a} name`),
          arg.map((a) => `static-challenge ${a} 1`),
          arg.map((a) => `pull-filter ignore ${a}`),
          arg.map((a) => `setenv UV_TEXT ${a}`),
          arg.map((a) => `dhcp-option DOMAIN ${a}`),
          fc.constantFrom('verb 3', `<tls-crypt>\n${STATIC_KEY}</tls-crypt>`, 'nobind', 'push-peer-info', 'explicit-exit-notify 9'),
        ]),
  );
const connection = fc.array(freeText(true), { maxLength: 4 }).map((lines) => ['<connection>', 'remote b.test 1194 tcp', ...lines, '</connection>'].join('\n'));
const line = fc.oneof({ weight: 5, arbitrary: freeText(false) }, { weight: 2, arbitrary: connection }, { weight: 1, arbitrary: fc.constantFrom('# comment', '', '  ; x') });
const profile = fc.tuple(fc.array(line, { maxLength: 8 }), fc.constantFrom('\n', '\r\n')).map(([lines, eol]) => [...HEAD, 'remote a.test 1194', ...lines].join(eol) + eol);

const SEED = [...HEAD, 'remote a.test 1194', `verify-x509-name 'C=JP, CN="${'"'.repeat(40)}' name`, 'pull-filter ignore "route \\"x\\""', '<connection>', 'remote b.test 443 tcp', `http-proxy-option CUSTOM-HEADER X-A '${'"'.repeat(90)}' ${'x'.repeat(22)}<tls-auth>`, `<tls-auth>\n${STATIC_KEY}</tls-auth>`, '</connection>', `<tls-crypt>\n${STATIC_KEY}</tls-crypt>`, ''].join('\n');

/** Byte-level mutations that keep text: insert specials, duplicate or delete slices. */
const mutation = fc.array(
  fc.oneof(
    fc.record({ at: fc.nat(), insert: fc.constantFrom('"', "'", '\\', '#', ' ', '\n', '<tls-auth>', '</tls-auth>', '<connection>', '</connection>', '"'.repeat(60), 'x'.repeat(120)) }),
    fc.record({ at: fc.nat(), remove: fc.integer({ min: 1, max: 30 }) }),
    fc.record({ at: fc.nat(), repeat: fc.integer({ min: 1, max: 60 }) }),
  ),
  { minLength: 1, maxLength: 5 },
).map((ops) => {
  let s = SEED;
  for (const op of ops) {
    const at = op.at % (s.length + 1);
    if ('insert' in op) s = s.slice(0, at) + op.insert + s.slice(at);
    else if ('remove' in op) s = s.slice(0, at) + s.slice(at + op.remove);
    else s = s.slice(0, at + op.repeat) + s.slice(at, at + op.repeat) + s.slice(at + op.repeat);
  }
  return s;
});

const stats = { passed: 0, total: 0 };

function check(text: string): void {
  stats.total++;
  const inspected = inspectProfile(text, { fileName: 'p.ovpn' });
  // A mismatch found by inspection itself would mean the writer produced text openvpn misreads.
  expect(inspected.errors.map((e) => e.code)).not.toContain('OVPN_CANONICAL_MISMATCH');
  if (inspected.ok) {
    stats.passed++;
    const canonical = inspected.canonical ?? '';
    const reread = rereadOpenVpn(canonical);
    if (!reread.ok) throw new Error(`openvpn would stop at line ${reread.line}: ${reread.reason}\n${canonical}`);
    expect(firstDifference((inspected.profile as OpenVpnProfile).directives, reread.directives)).toBeNull();
  }
  // The writer on the parsed model directly, before any fix: fits, or says which line does not.
  const parsed = parseOpenVpn(text);
  if (parsed.profile) {
    const written = writeOpenVpnChecked(parsed.profile);
    if (written.ok) {
      const reread = rereadOpenVpn(written.text);
      if (!reread.ok) throw new Error(`openvpn would stop at line ${reread.line}: ${reread.reason}\n${written.text}`);
      expect(firstDifference(parsed.profile.directives, reread.directives)).toBeNull();
    } else {
      for (const o of written.overlong) expect(o.bytes).toBeGreaterThan(o.limit);
    }
  }
}

const RUNS = { generated: 14_000, mutated: 8_000 };

describe(`canonical text re-read as openvpn does equals the model (${RUNS.generated + RUNS.mutated} cases)`, () => {
  it(`${RUNS.generated} generated profiles`, () => {
    fc.assert(fc.property(profile, check), { numRuns: RUNS.generated });
  });
  it(`${RUNS.mutated} mutations of a profile near every limit`, () => {
    fc.assert(fc.property(mutation, check), { numRuns: RUNS.mutated });
  });
  it('the properties were not vacuous: many of those profiles passed inspection', () => {
    console.info(`canonical fuzz: ${stats.passed} of ${stats.total} inputs passed inspection`);
    expect(stats.passed).toBeGreaterThan(stats.total / 5);
  });
});
