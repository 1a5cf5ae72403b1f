/**
 * A PKCS#12 bundle (.p12 / .pfx) as the IKEv2 model holds it: the client certificate, its private
 * key (unencrypted PKCS#8 PEM) and any CA certificates in the bundle. Read with node-forge, which
 * decrypts the bundle's PBES2/AES and legacy 3DES/RC2 bags in pure JS; the certificates and the key
 * are taken as DER (not as forge key objects), so EC and Ed25519 keys work as well as RSA.
 */
import forge from 'node-forge';
import { countedTexts } from '../../i18n/counted.js';
import type { Advisory } from '../diagnostics.js';
import { derToPem } from './pem.js';

export type Pkcs12Read =
  | { ok: true; clientCert: string; privateKey: string; caCerts: string[] }
  /** password: wrong or missing password; malformed: not a PKCS#12 bundle; incomplete: no key or no certificate. */
  | { ok: false; reason: 'password' | 'malformed' | 'incomplete' };

function binaryString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return s;
}

function bytesOf(binary: string): Uint8Array {
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function asnToPem(node: forge.asn1.Asn1, label: string): string {
  return derToPem(bytesOf(forge.asn1.toDer(node).getBytes()), label);
}

/** Reads a bundle with `password` (the empty password is tried too when none is given). Never throws. */
export function readPkcs12(bytes: Uint8Array, password: string | null): Pkcs12Read {
  let asn: forge.asn1.Asn1;
  try {
    asn = forge.asn1.fromDer(binaryString(bytes), true);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  let p12: forge.pkcs12.Pkcs12Pfx | null = null;
  for (const candidate of password === null ? ['', null] : [password]) {
    try {
      p12 = candidate === null ? forge.pkcs12.pkcs12FromAsn1(asn, false) : forge.pkcs12.pkcs12FromAsn1(asn, false, candidate);
      break;
    } catch (e) {
      const message = e instanceof Error ? e.message : '';
      if (!/password|mac|decrypt|invalid/i.test(message)) return { ok: false, reason: 'malformed' };
    }
  }
  if (!p12) return { ok: false, reason: 'password' };
  const { certBag, pkcs8ShroudedKeyBag, keyBag } = forge.pki.oids;
  const certs = (certBag ? p12.getBags({ bagType: certBag })[certBag] : undefined) ?? [];
  const shrouded = (pkcs8ShroudedKeyBag ? p12.getBags({ bagType: pkcs8ShroudedKeyBag })[pkcs8ShroudedKeyBag] : undefined) ?? [];
  const plain = (keyBag ? p12.getBags({ bagType: keyBag })[keyBag] : undefined) ?? [];
  const keyBagEntry = [...shrouded, ...plain][0];
  if (!keyBagEntry || certs.length === 0) return { ok: false, reason: 'incomplete' };
  // A decrypted shrouded bag holds the PrivateKeyInfo; forge fills `key` only for RSA.
  const keyAsn = keyBagEntry.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keyBagEntry.key)) : keyBagEntry.asn1;
  const localKeyId = keyBagEntry.attributes?.['localKeyId']?.[0];
  const pemOf = (bag: forge.pkcs12.Bag): string | null => {
    if (bag.cert) return asnToPem(forge.pki.certificateToAsn1(bag.cert), 'CERTIFICATE');
    // forge parses RSA certificates only; for others the bag keeps the certificate's ASN.1.
    return bag.asn1 ? asnToPem(bag.asn1, 'CERTIFICATE') : null;
  };
  const withId = certs.find((c) => localKeyId !== undefined && c.attributes?.['localKeyId']?.[0] === localKeyId) ?? certs[0];
  const clientCert = withId ? pemOf(withId) : null;
  if (clientCert === null) return { ok: false, reason: 'incomplete' };
  const caCerts = certs.filter((c) => c !== withId).map(pemOf).filter((p): p is string => p !== null);
  return { ok: true, clientCert, privateKey: asnToPem(keyAsn, 'PRIVATE KEY'), caCerts };
}

/** The CA certificates of a bundle become trust anchors for the server, as the strongSwan apps and swanctl treat them. */
export function pkcs12CaAdvisory(line: number, count: number): Advisory {
  return {
    code: 'IKEV2_PKCS12_CA_TRUSTED',
    severity: 'info',
    line,
    message: countedTexts('caTrusted', count),
    explanation: {
      en: 'A PKCS#12 bundle usually carries the chain of the CA that issued your certificate, and the server’s certificate is issued by the same CA.',
      ja: 'PKCS#12 バンドルには通常、あなたの証明書を発行した CA の証明書が含まれており、サーバーの証明書も同じ CA が発行しています。',
    },
  };
}
