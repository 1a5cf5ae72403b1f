import { x25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from '@noble/curves/utils.js';
import { profileError, type ProfileError } from '../diagnostics.js';
import { keyProblemMessage } from './messages.js';

/**
 * WireGuard keys: 32-byte Curve25519 values written as standard base64, which is always exactly
 * 44 characters ending in a single '='. Neither the Node nor the browser base64 helpers are
 * available to shared/ (and both are lenient), so this file carries a small strict codec.
 */

export const KEY_BYTES = 32;
export const KEY_BASE64_LENGTH = 44;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Why a string is not a WireGuard key. */
export type KeyProblem =
  /** Not standard padded base64 at all (wrong characters, missing padding, spaces…). */
  | { kind: 'format' }
  /** Valid base64, but of the wrong number of bytes. */
  | { kind: 'length'; bytes: number }
  /** 44 characters of base64 whose unused low bits are not zero: `wg` refuses such keys. */
  | { kind: 'noncanonical' };

export type KeyDecodeResult = { ok: true; bytes: Uint8Array } | { ok: false; problem: KeyProblem };

function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? (DECODE[code] ?? -1) : -1;
}

/**
 * Strictly decodes padded standard base64 (RFC 4648 §4): length a multiple of 4, at most two '='
 * and only at the end, and zero unused bits (RFC 4648 §3.5 canonical encoding).
 */
function decodeBase64Strict(text: string): { ok: true; bytes: Uint8Array } | { ok: false; canonical: boolean } {
  if (text.length === 0 || text.length % 4 !== 0) return { ok: false, canonical: true };
  let pad = 0;
  if (text.endsWith('==')) pad = 2;
  else if (text.endsWith('=')) pad = 1;
  const dataChars = text.length - pad;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < dataChars; i++) {
    const v = sextet(text, i);
    if (v < 0) return { ok: false, canonical: true };
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Leftover bits (2 or 4) belong to no byte; a canonical encoder leaves them zero.
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) return { ok: false, canonical: false };
  return { ok: true, bytes: out };
}

/** Decodes a WireGuard key, saying precisely what is wrong with it if it is not one. */
export function decodeKey(b64: string): KeyDecodeResult {
  const decoded = decodeBase64Strict(b64);
  if (!decoded.ok) return { ok: false, problem: decoded.canonical ? { kind: 'format' } : { kind: 'noncanonical' } };
  if (decoded.bytes.length !== KEY_BYTES) return { ok: false, problem: { kind: 'length', bytes: decoded.bytes.length } };
  return decoded;
}

/** Standard padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const remaining = bytes.length - i;
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += ALPHABET.charAt((n >> 18) & 63) + ALPHABET.charAt((n >> 12) & 63);
    out += remaining > 1 ? ALPHABET.charAt((n >> 6) & 63) : '=';
    out += remaining > 2 ? ALPHABET.charAt(n & 63) : '=';
  }
  return out;
}

/**
 * True for exactly what `wg` accepts as a key: 44 characters of standard base64 ending in '=',
 * decoding to 32 bytes, with the two unused bits of the last character zero.
 */
export function isValidKey(b64: string): boolean {
  return b64.length === KEY_BASE64_LENGTH && decodeKey(b64).ok;
}

/** Curve25519 clamping (RFC 7748 §5), which `wg genkey` applies to its random bytes. */
function clamp(bytes: Uint8Array): Uint8Array {
  bytes[0] = (bytes[0] ?? 0) & 248;
  bytes[31] = ((bytes[31] ?? 0) & 127) | 64;
  return bytes;
}

/**
 * A new private key, like `wg genkey`. Uses the platform CSPRNG (crypto.getRandomValues via
 * @noble); if there is none this throws rather than produce a weak key.
 */
export function generatePrivateKey(): string {
  return encodeBase64(clamp(randomBytes(KEY_BYTES)));
}

/** A new preshared key, like `wg genpsk`: 32 random bytes, not clamped. Throws only without a CSPRNG. */
export function generatePresharedKey(): string {
  return encodeBase64(randomBytes(KEY_BYTES));
}

export type PublicKeyResult = { ok: true; key: string } | { ok: false; error: ProfileError };

/**
 * The public key for a private key, like `wg pubkey`. Never throws: an invalid private key gives
 * `{ ok: false, error }` with a WG_KEY_* code (line 0, since there is no file).
 *
 * Unclamped private keys are accepted, as `wg pubkey` accepts them: X25519 clamps the scalar
 * itself, so e.g. 32 bytes of 0xff give the same public key as their clamped form.
 */
export function publicKeyFromPrivate(privateKeyBase64: string): PublicKeyResult {
  const decoded = typeof privateKeyBase64 === 'string' ? decodeKey(privateKeyBase64) : null;
  if (!decoded?.ok) {
    const problem: KeyProblem = decoded?.ok === false ? decoded.problem : { kind: 'format' };
    const text = typeof privateKeyBase64 === 'string' ? privateKeyBase64 : '';
    const { code, message } = keyProblemMessage(problem, text);
    return { ok: false, error: profileError(code, { line: 0 }, text, message) };
  }
  try {
    return { ok: true, key: encodeBase64(x25519.getPublicKey(decoded.bytes.slice())) };
  } catch {
    // Unreachable for clamped scalars (never a multiple of the group order); kept so nothing escapes.
    const { code, message } = keyProblemMessage({ kind: 'format' }, privateKeyBase64);
    return { ok: false, error: profileError(code, { line: 0 }, privateKeyBase64, message) };
  }
}
