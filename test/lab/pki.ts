// Throwaway PKI and keys, made fresh for every instance: keys with node:crypto, certificates with openssl.
import { createPrivateKey, generateKeyPair, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { run } from './exec.js';

const genKeyPair = promisify(generateKeyPair);

export type KeyType = 'ec' | 'rsa';

export interface CertPair {
  cert: string;
  key: string;
}

export interface Pki {
  caCert: string;
  caKey: string;
  server: CertPair;
  client: CertPair;
}

export interface PkiOptions {
  keyType: KeyType;
  serverCn: string;
  /** subjectAltName entries such as `DNS:server.lab.test` or `IP:198.18.1.1`. */
  serverSan: string[];
  clientCn: string;
  /** subjectAltName entries of the client certificate (IKE identities must be in it, e.g. `DNS:client.lab.test`). */
  clientSan?: string[];
}

async function newKey(type: KeyType): Promise<string> {
  const pair =
    type === 'ec'
      ? await genKeyPair('ec', { namedCurve: 'prime256v1' })
      : await genKeyPair('rsa', { modulusLength: 2048 });
  return pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function serial(): string {
  // Positive 64-bit serial: clear the top bit.
  const b = randomBytes(8);
  b[0] = (b[0] ?? 0) & 0x7f;
  return `0x${b.toString('hex')}`;
}

async function issue(dir: string, name: string, cn: string, ext: string[], ca: { cert: string; key: string }): Promise<CertPair> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, `${ext.join('\n')}\n`);
  const csr = await run('openssl', ['req', '-new', '-key', key, '-subj', `/CN=${cn}`]);
  await run(
    'openssl',
    ['x509', '-req', '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', serial(), '-days', '7', '-sha256', '-extfile', extFile, '-out', cert],
    { input: csr.stdout },
  );
  return { cert, key };
}

export async function makePki(dir: string, opts: PkiOptions): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const [caPem, serverPem, clientPem] = await Promise.all([newKey(opts.keyType), newKey(opts.keyType), newKey(opts.keyType)]);
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  writeFileSync(caKey, caPem, { mode: 0o600 });
  writeFileSync(join(dir, 'server.key'), serverPem, { mode: 0o600 });
  writeFileSync(join(dir, 'client.key'), clientPem, { mode: 0o600 });
  await run('openssl', [
    'req', '-x509', '-new', '-key', caKey, '-subj', '/CN=Tsunagu lab CA', '-days', '7', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-out', caCert,
  ]);
  const ca = { cert: caCert, key: caKey };
  const [server, client] = await Promise.all([
    issue(
      dir,
      'server',
      opts.serverCn,
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        // serverAuth for OpenVPN's remote-cert-tls; the IKE intermediate EKU for IKEv2 clients.
        'extendedKeyUsage=serverAuth,1.3.6.1.5.5.8.2.2',
        `subjectAltName=${opts.serverSan.join(',')}`,
      ],
      ca,
    ),
    issue(
      dir,
      'client',
      opts.clientCn,
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=clientAuth',
        ...(opts.clientSan && opts.clientSan.length > 0 ? [`subjectAltName=${opts.clientSan.join(',')}`] : []),
      ],
      ca,
    ),
  ]);
  return { caCert, caKey, server, client };
}

/** PKCS#8 PEM encrypted with AES-256-CBC ("ENCRYPTED PRIVATE KEY"), as OpenVPN and openssl read it. */
export function encryptKeyPem(keyPem: string, passphrase: string): string {
  return createPrivateKey(keyPem)
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })
    .toString();
}

/** RFC 7919 ffdhe2048 group: instant, unlike generating fresh DH parameters. */
export async function writeDhParams(path: string): Promise<void> {
  await run('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048', '-out', path]);
}

export async function writeOpenvpnStaticKey(path: string): Promise<void> {
  await run('openvpn', ['--genkey', 'secret', path]);
}

export interface WgKeyPair {
  privateKey: string;
  publicKey: string;
}

/** Curve25519 key pair in WireGuard's base64 form (raw 32-byte keys, from the JWK export). */
export function wgKeyPair(): WgKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const d = privateKey.export({ format: 'jwk' }).d;
  const x = publicKey.export({ format: 'jwk' }).x;
  if (!d || !x) throw new Error('x25519 JWK export lacks key material');
  return {
    privateKey: Buffer.from(d, 'base64url').toString('base64'),
    publicKey: Buffer.from(x, 'base64url').toString('base64'),
  };
}

/** Random secret made of letters and digits only, so it survives shell scripts and config lexers unquoted. */
export function randomSecret(length = 20): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

export function randomDigits(length = 6): string {
  let s = '';
  for (const b of randomBytes(length)) s += String(b % 10);
  return s;
}
