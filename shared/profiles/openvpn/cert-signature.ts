/**
 * The digest a certificate is signed with, read from its DER (Certificate ::= SEQUENCE {
 * tbsCertificate, signatureAlgorithm, signature }). OpenSSL 3 at its default security level
 * refuses to load a client certificate signed with MD2, MD5 or SHA-1 ("ca md too weak"), so
 * openvpn stops before connecting.
 */

/** DER-encoded OIDs (without tag and length) of signature algorithms OpenSSL 3 calls too weak. */
const WEAK_SIGNATURES: Array<[string, string]> = [
  ['2a864886f70d010102', 'MD2'],
  ['2a864886f70d010104', 'MD5'],
  ['2a864886f70d010105', 'SHA-1'],
  ['2a8648ce3d0401', 'SHA-1'],
  ['2a8648ce380403', 'SHA-1'],
  ['2b0e03021d', 'SHA-1'],
];

function base64Bytes(body: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(body.replace(/\s+/g, '')), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** Tag and length of the DER element at `at`: where its content starts and ends. */
function element(der: Uint8Array, at: number): { tag: number; start: number; end: number } | null {
  const tag = der[at];
  let len = der[at + 1];
  if (tag === undefined || len === undefined) return null;
  let start = at + 2;
  if (len & 0x80) {
    const octets = len & 0x7f;
    if (octets === 0 || octets > 4) return null;
    len = 0;
    for (let i = 0; i < octets; i++) len = len * 256 + (der[start + i] ?? 0);
    start += octets;
  }
  const end = start + len;
  return end <= der.length ? { tag, start, end } : null;
}

type Element = { tag: number; start: number; end: number };

function children(der: Uint8Array, parent: Element, limit = 64): Element[] {
  const out: Element[] = [];
  for (let at = parent.start; at < parent.end && out.length < limit; ) {
    const e = element(der, at);
    if (!e) break;
    out.push(e);
    at = e.end;
  }
  return out;
}

const hexOf = (der: Uint8Array, e: Element): string => Array.from(der.subarray(e.start, e.end), (b) => b.toString(16).padStart(2, '0')).join('');

/** The key identifiers of a certificate's SubjectKeyIdentifier and AuthorityKeyIdentifier extensions. */
function keyIdentifiers(der: Uint8Array, tbsFields: Element[]): { skid?: string; akid?: string } {
  const extensions = tbsFields.find((f) => f.tag === 0xa3);
  const list = extensions ? children(der, extensions)[0] : undefined;
  const ids: { skid?: string; akid?: string } = {};
  for (const ext of list ? children(der, list) : []) {
    const [oid, ...rest] = children(der, ext);
    const value = rest.at(-1);
    if (!oid || !value || value.tag !== 0x04) continue;
    const inner = element(der, value.start);
    if (!inner) continue;
    const id = hexOf(der, oid);
    if (id === '551d0e' && inner.tag === 0x04) ids.skid = hexOf(der, inner);
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... }
    if (id === '551d23' && inner.tag === 0x30) {
      const keyId = children(der, inner).find((f) => f.tag === 0x80);
      if (keyId) ids.akid = hexOf(der, keyId);
    }
  }
  return ids;
}

/**
 * Self-signed as OpenSSL decides it (issuer name equal to subject, and an authority key identifier,
 * if any, equal to the subject's own): OpenSSL does not check such a certificate's digest. A
 * certificate its CA issued under the CA's own name is not self-signed.
 */
function selfSigned(der: Uint8Array, tbs: Element): boolean {
  const fields = children(der, tbs);
  // [0] version (optional), serialNumber, signature, issuer, validity, subject, ...
  const [issuer, , subject] = fields[0]?.tag === 0xa0 ? fields.slice(3) : fields.slice(2);
  if (!issuer || !subject || hexOf(der, issuer) !== hexOf(der, subject)) return false;
  const { skid, akid } = keyIdentifiers(der, fields);
  return akid === undefined || skid === undefined || akid === skid;
}

/** The weak digest the first certificate in `pem` is signed with, or null (strong, self-signed, or unreadable). */
export function weakCertificateDigest(pem: string): string | null {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem)?.[1];
  const der = body === undefined ? null : base64Bytes(body);
  if (!der) return null;
  const cert = element(der, 0);
  const tbs = cert && cert.tag === 0x30 ? element(der, cert.start) : null;
  const algorithm = tbs && tbs.tag === 0x30 ? element(der, tbs.end) : null;
  const oid = algorithm && algorithm.tag === 0x30 ? element(der, algorithm.start) : null;
  if (!tbs || !oid || oid.tag !== 0x06 || selfSigned(der, tbs)) return null;
  const hex = hexOf(der, oid);
  return WEAK_SIGNATURES.find(([weak]) => weak === hex)?.[1] ?? null;
}
