/**
 * Certificates and keys as the IKEv2 model holds them: PEM text with LF line ends. A DER
 * certificate (binary, as swanctl's x509/ directory also takes) is turned into PEM; a DER key is
 * not, because its PKCS#1 / PKCS#8 / SEC1 form cannot be told without decoding it.
 */

export interface PemBlock {
  label: string;
  /** The whole block from -----BEGIN to -----END, with a final newline. */
  text: string;
  encrypted: boolean;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1] ?? '';
    const raw = (m[2] ?? '').replace(/\r\n/g, '\n');
    const base64 = raw.replace(/\s+/g, '');
    // Plain base64 bodies are re-wrapped at 64 columns (RFC 7468); one with headers is kept as is.
    const body = /^[A-Za-z0-9+/=]+$/.test(base64) ? `${base64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n` : raw;
    blocks.push({ label, text: `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`, encrypted: label.startsWith('ENCRYPTED') || /Proc-Type:\s*4,ENCRYPTED/.test(raw) });
  }
  return blocks;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array | null {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) return null;
  const binary = atob(clean);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function derToPem(bytes: Uint8Array, label: string): string {
  const body = toBase64(bytes).replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** DER starts with a SEQUENCE tag. */
export function looksLikeDer(bytes: Uint8Array): boolean {
  return bytes.length > 4 && bytes[0] === 0x30;
}

export const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']);
