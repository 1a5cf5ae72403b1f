import { describe, expect, it } from 'vitest';
import { MAX_REPORTED_ADVISORIES, MAX_REPORTED_ERRORS } from '../../shared/profiles/diagnostics.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { MAX_CONFIG_LINES } from '../../shared/profiles/openvpn/reader.js';

const MIB2 = 2 * 1024 * 1024;

/** Deterministic pseudo-random bytes (a test must not depend on luck). */
function noise(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const printableLines = (() => {
  const b = noise(MIB2, 2);
  for (let i = 0; i < b.length; i++) b[i] = (b[i] as number) % 64 === 0 ? 0x0a : 0x20 + ((b[i] as number) % 95);
  return new TextDecoder().decode(b);
})();

/** 2 MiB of junk of several shapes (issue 10, finding 8: 349,511 errors and a 3.3 s stall before). */
const JUNK: Record<string, string | Uint8Array> = {
  'random bytes': noise(MIB2, 1),
  'random printable lines': printableLines,
  '100k bogus directive lines': 'bogus-directive arg1 arg2\n'.repeat(Math.ceil(MIB2 / 26)),
  'an unterminated quote per line': '"\n'.repeat(MIB2 / 2),
  'long lines': `${'x'.repeat(1000)}\n`.repeat(Math.ceil(MIB2 / 1001)),
  'unknown options marked optional': `setenv FORWARD_COMPATIBLE 1\n${'bogus x\n'.repeat(MIB2 / 8)}`,
};

describe('diagnostics stay bounded on junk', () => {
  for (const [name, input] of Object.entries(JUNK)) {
    it(`${name}: a short answer, quickly`, () => {
      inspectProfile(input, { fileName: 'junk.ovpn' });
      const started = performance.now();
      const r = inspectProfile(input, { fileName: 'junk.ovpn' });
      const ms = performance.now() - started;
      console.info(`inspect 2 MiB of ${name}: ${ms.toFixed(1)} ms, ${r.errors.length} errors, ${r.advisories.length} advisories, ${JSON.stringify(r).length} bytes as JSON`);
      expect(r.ok).toBe(false);
      expect(r.errors.length).toBeLessThanOrEqual(MAX_REPORTED_ERRORS + 1);
      expect(r.advisories.length).toBeLessThanOrEqual(MAX_REPORTED_ADVISORIES + 1);
      for (const e of r.errors) expect(e.text.length).toBeLessThanOrEqual(120);
      expect(JSON.stringify(r).length).toBeLessThan(96 * 1024);
      // Measured well under 50 ms here; the bound only guards against a return to seconds.
      expect(ms).toBeLessThan(2_000);
    });
  }

  it(`lists the first ${MAX_REPORTED_ERRORS} problems and then one summary with the count`, () => {
    const text = `client\ndev tun\nremote a.test 1194\n${'bogus\n'.repeat(MAX_REPORTED_ERRORS + 10)}`;
    const r = inspectProfile(text, { fileName: 'p.ovpn' });
    expect(r.errors).toHaveLength(MAX_REPORTED_ERRORS + 1);
    expect(r.errors.slice(0, MAX_REPORTED_ERRORS).every((e) => e.code === 'OVPN_UNKNOWN_DIRECTIVE')).toBe(true);
    const summary = r.errors[MAX_REPORTED_ERRORS];
    expect(summary?.code).toBe('PROFILE_TOO_MANY_ERRORS');
    expect(summary?.message.en).toMatch(/^…and (1 more problem|\d+ more problems), not listed; checking stopped at line \d+\./);
    expect(summary?.message.ja).toContain('検査を止めました');
    // Exactly at the cap nothing is summarised.
    const atCap = inspectProfile(`client\ndev tun\nremote a.test 1194\nauth-user-pass\n<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>\n${'bogus\n'.repeat(MAX_REPORTED_ERRORS)}`, { fileName: 'p.ovpn' });
    expect(atCap.errors.map((e) => e.code)).toEqual(Array(MAX_REPORTED_ERRORS).fill('OVPN_UNKNOWN_DIRECTIVE'));
  });

  it(`stops reading after ${MAX_CONFIG_LINES} lines of settings`, () => {
    const r = inspectProfile(`client\n${'verb 3\n'.repeat(MAX_CONFIG_LINES)}`, { fileName: 'p.ovpn' });
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['OVPN_TOO_MANY_LINES', MAX_CONFIG_LINES + 1], ['PROFILE_TOO_MANY_ERRORS', MAX_CONFIG_LINES + 1]]);
  });
});
