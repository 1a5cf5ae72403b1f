/**
 * `npm run bench:parse` — profile engine throughput.
 *   1. Parse throughput on 1 MB profiles: one dominated by an inline CRL (the realistic large
 *      case) and one made of 1 MB of directive lines (the lexer's worst case).
 *   2. Time to fully inspect 1,000 distinct profiles (parse, policy, advisories, fixes, canonical text).
 * Machines here are noisy, so each figure is the median of several runs and is also given as a
 * ratio to a baseline in the same run: splitting the same bytes into lines (the least any parser does).
 * Targets (issue 2): >= 20 MB/s, <= 1 s for 1,000 profiles.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectProfile } from '../shared/profiles/inspect.js';
import { parseOpenVpn } from '../shared/profiles/openvpn/parser.js';
import { median } from './stats.js';

const SEED = join(import.meta.dirname, '../test/fixtures/seed');
const pem = (name: string) => readFileSync(join(SEED, name), 'utf8');
const header = `client\ndev tun\nproto udp\nremote vpn.example.test 1194\nremote-cert-tls server\n<ca>\n${pem('ca.crt')}</ca>\n<cert>\n${pem('client.crt')}</cert>\n<key>\n${pem('client.key')}</key>\n`;

function time(fn: () => void, runs: number): number {
  fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

function makeCrlProfile(size: number): string {
  const line = 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwIDAQAB\n';
  let body = '-----BEGIN X509 CRL-----\n';
  while (header.length + body.length < size) body += line;
  return `${header}<crl-verify>\n${body}-----END X509 CRL-----\n</crl-verify>\nauth-user-pass\n`;
}

function makeDirectiveProfile(size: number): string {
  const lines = [header, 'auth-user-pass\n'];
  let total = header.length;
  for (let i = 0; total < size; i++) {
    const l = `route 10.${(i >> 8) & 255}.${i & 255}.0 255.255.255.0 vpn_gateway ${i % 100} # route ${i}\n`;
    lines.push(l);
    total += l.length;
  }
  return lines.join('');
}

function throughput(label: string, text: string): void {
  const bytes = new TextEncoder().encode(text);
  const check = parseOpenVpn(bytes);
  if (!check.profile) throw new Error(`${label} did not parse: ${JSON.stringify(check.errors.slice(0, 2))}`);
  const ms = time(() => parseOpenVpn(bytes), 9);
  const baseline = time(() => new TextDecoder().decode(bytes).split('\n'), 9);
  const mbps = bytes.length / 1e6 / (ms / 1000);
  console.log(`parse ${label}: ${(bytes.length / 1e6).toFixed(2)} MB in ${ms.toFixed(1)} ms = ${mbps.toFixed(1)} MB/s (target >= 20) | ${(ms / baseline).toFixed(1)}x the time of splitting the same bytes into lines`);
}

throughput('1 MB profile with an inline CRL', makeCrlProfile(1_000_000));
throughput('1 MB profile of directive lines', makeDirectiveProfile(1_000_000));

const profiles = Array.from({ length: 1000 }, (_, i) => {
  if (i % 4 === 3) {
    return { name: `wg${i}.conf`, text: `[Interface]\nPrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=\nAddress = 10.9.${i >> 8}.${i & 255}/32\nDNS = 10.9.0.1, corp${i}.test\n\n[Peer]\nPublicKey = m58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=\nAllowedIPs = 10.9.0.0/16, fd00:${i.toString(16)}::/64\nEndpoint = vpn${i}.example.test:51820\nPersistentKeepalive = 25\n` };
  }
  return { name: `office-${i}.ovpn`, text: `${header.replace('vpn.example.test', `vpn${i}.example.test`)}cipher AES-256-CBC\ncompress lz4\nverb 3\n` };
});
let okCount = 0;
const inspectMs = time(() => {
  okCount = 0;
  for (const p of profiles) if (inspectProfile(p.text, { fileName: p.name }).ok) okCount++;
}, 5);
if (okCount !== profiles.length) throw new Error(`only ${okCount} of ${profiles.length} profiles were importable`);
const baseline = time(() => {
  for (const p of profiles) p.text.split('\n');
}, 5);
console.log(`inspect 1,000 profiles (750 OpenVPN with inline PKI, 250 WireGuard): ${inspectMs.toFixed(1)} ms (target <= 1000) | ${(inspectMs / baseline).toFixed(0)}x the time of splitting them into lines`);
