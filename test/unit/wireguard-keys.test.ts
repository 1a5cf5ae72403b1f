import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeKey,
  encodeBase64,
  generatePresharedKey,
  generatePrivateKey,
  isValidKey,
  publicKeyFromPrivate,
} from '../../shared/profiles/wireguard/keys.js';

/** Known answers, derived once with `wg pubkey` (wireguard-tools v1.0.20210914). */
const WG_PUBKEY_VECTORS: Array<[string, string]> = [
  ['qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=', '73gw+v4V0TKsw2uGLHJ9EI26qfMEwvk+JZ+xED2ttAs='],
  ['YG1HTybjmQ8HmG4jHKXnQ0ophL3vBxPNteWLNVD6tW4=', 'zGWP9CQXnV75sP0BhZTMxo4k8UYKpZtj6oGY4SaRTW8='],
  // All-zero and all-ones scalars: `wg pubkey` clamps them, and so must we.
  ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'L+V9o0fNYkMVKNqsX7spBzD/9oSvxM/C7ZCZX1jLO3Q='],
  ['//////////////////////////////////////////8=', 'hHwNLDdSNPNl5mCVUYejc1oPdhPRYJ06ak2MU66qWiI='],
  ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE=', '/TOE4TKtAqVsePRVR+5AA43HkAK5DSntkOCO7nYq5xU='],
];

const hexToB64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

function wgAvailable(): boolean {
  try {
    execFileSync('wg', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('publicKeyFromPrivate', () => {
  it.each(WG_PUBKEY_VECTORS)('matches wg pubkey for %s', (priv, pub) => {
    expect(publicKeyFromPrivate(priv)).toEqual({ ok: true, key: pub });
  });

  it('matches the RFC 7748 §6.1 X25519 test vector', () => {
    const alicePrivate = hexToB64('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const alicePublic = hexToB64('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(publicKeyFromPrivate(alicePrivate)).toEqual({ ok: true, key: alicePublic });
  });

  it('returns an error value, never throws, for invalid keys', () => {
    const cases: Array<[string, string]> = [
      ['SERVER_PRIVATE_KEY', 'WG_KEY_INVALID'],
      ['', 'WG_KEY_INVALID'],
      ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==', 'WG_KEY_LENGTH'],
      ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=', 'WG_KEY_NONCANONICAL'],
    ];
    for (const [text, code] of cases) {
      const r = publicKeyFromPrivate(text);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe(code);
        expect(r.error.line).toBe(0);
        expect(r.error.message.en).not.toBe('');
        expect(r.error.message.ja).not.toBe('');
      }
    }
    // JavaScript callers may pass anything.
    expect(publicKeyFromPrivate(undefined as unknown as string).ok).toBe(false);
    expect(publicKeyFromPrivate(42 as unknown as string).ok).toBe(false);
  });

  it('never throws for any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        publicKeyFromPrivate(s);
      }),
      { numRuns: 1000 },
    );
  });

  it.skipIf(!wgAvailable())('agrees with the wg binary on fresh keys', () => {
    for (let i = 0; i < 3; i++) {
      const priv = generatePrivateKey();
      const expected = execFileSync('wg', ['pubkey'], { input: `${priv}\n` }).toString().trim();
      expect(publicKeyFromPrivate(priv)).toEqual({ ok: true, key: expected });
    }
  });
});

describe('isValidKey', () => {
  it('accepts exactly what wg accepts', () => {
    expect(isValidKey('qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=')).toBe(true);
    expect(isValidKey('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE=')).toBe(true);
    expect(isValidKey('qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w')).toBe(false); // unpadded
    expect(isValidKey(' qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=')).toBe(false);
    expect(isValidKey('qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=\n')).toBe(false);
    expect(isValidKey('qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w==')).toBe(false);
    expect(isValidKey('qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3-=')).toBe(false); // base64url
    expect(isValidKey('qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3x=')).toBe(false); // stray bits
    expect(isValidKey('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==')).toBe(false); // 31 bytes
    expect(isValidKey('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBe(false); // 33 bytes
    expect(isValidKey('')).toBe(false);
  });

  it('round-trips every 32-byte value through base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const b64 = Buffer.from(bytes).toString('base64');
        expect(encodeBase64(bytes)).toBe(b64);
        expect(isValidKey(b64)).toBe(true);
        const decoded = decodeKey(b64);
        expect(decoded.ok && Buffer.from(decoded.bytes).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('encodes any length like Node does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      }),
    );
  });

  it('reports the decoded length of well-formed base64 that is not 32 bytes', () => {
    expect(decodeKey(Buffer.alloc(31).toString('base64'))).toEqual({ ok: false, problem: { kind: 'length', bytes: 31 } });
    expect(decodeKey(Buffer.alloc(16).toString('base64'))).toEqual({ ok: false, problem: { kind: 'length', bytes: 16 } });
  });
});

describe('key generation', () => {
  it('generatePrivateKey makes clamped, valid, distinct keys like wg genkey', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const key = generatePrivateKey();
      expect(isValidKey(key)).toBe(true);
      const bytes = Buffer.from(key, 'base64');
      expect((bytes[0] ?? 0) & 7).toBe(0);
      expect((bytes[31] ?? 0) & 0xc0).toBe(0x40);
      expect(publicKeyFromPrivate(key).ok).toBe(true);
      seen.add(key);
    }
    expect(seen.size).toBe(50);
  });

  it('generatePresharedKey makes valid, distinct 32-byte keys like wg genpsk', () => {
    const a = generatePresharedKey();
    const b = generatePresharedKey();
    expect(isValidKey(a)).toBe(true);
    expect(isValidKey(b)).toBe(true);
    expect(a).not.toBe(b);
  });
});
