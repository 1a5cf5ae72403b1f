/**
 * The canonical text of an IKEv2 profile: what the app stores and the helper receives, and what
 * the helper inspects again before anything reaches charon. It is swanctl.conf syntax, one file:
 *
 *   # comment lines saying what this is
 *   connections { <conn> { … local-1 { } [local-2 { }] remote { } children { <child> { } … } } }
 *   secrets { ike-1 { secret } eap-1 { secret } xauth-1 { secret } private-1 { file = client-key } }
 *   tsunagu { dns_servers = …  files { ca-1 = "<PEM>" … server-1 … client-cert … client-key } }
 *
 * swanctl.conf keeps certificates and keys in files (x509/, x509ca/, private/); here the
 * references (`cacerts = ca-1`, `certs = client-cert`, `file = client-key`) name entries of
 * `tsunagu.files`, whose values are the PEM text in double quotes (a quoted strongSwan value may
 * span lines; PEM holds no `"` or `\`). `tsunagu.dns_servers` holds the profile's own DNS servers,
 * which swanctl.conf has no key for. Every key is written in a fixed order, every free-text value
 * quoted, and only values that differ from "not set" are written, so equal models give equal text.
 */
import type { Ikev2LocalRound, Ikev2Profile } from './model.js';

export const CANONICAL_HEADER = '# Tsunagu IKEv2 profile (canonical form, swanctl.conf syntax).';

const I1 = '    ';

/** A double-quoted strongSwan value: `\` and `"` escaped; the text itself may hold newlines (PEM). */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * swanctl reads a secret starting with `0x` as hex and `0s` as base64; such a secret is written
 * base64-encoded, so it is read back as the same text.
 */
export function secretValue(secret: string): string {
  if (!/^0[xs]/i.test(secret)) return quote(secret);
  const bytes = new TextEncoder().encode(secret);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `0s${btoa(binary)}`;
}

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}

function list(items: readonly string[]): string {
  return items.join(', ');
}

function pemValue(pem: string): string {
  return quote(pem.endsWith('\n') ? pem : `${pem}\n`);
}

export const FILE_NAMES = { ca: (i: number) => `ca-${i + 1}`, server: (i: number) => `server-${i + 1}`, clientCert: 'client-cert', clientKey: 'client-key' } as const;

function localRound(out: string[], round: Ikev2LocalRound, index: number, pad: string): void {
  out.push(`${pad}local-${index + 1} {`);
  const p = pad + I1;
  out.push(`${p}auth = ${round.auth}`);
  if (round.id !== null) out.push(`${p}id = ${quote(round.id)}`);
  if (round.eapId !== null) out.push(`${p}eap_id = ${quote(round.eapId)}`);
  if (round.xauthId !== null) out.push(`${p}xauth_id = ${quote(round.xauthId)}`);
  if (round.usesClientCert) out.push(`${p}certs = ${FILE_NAMES.clientCert}`);
  out.push(`${pad}}`);
}

export function writeIkev2(profile: Ikev2Profile): string {
  const out: string[] = [
    CANONICAL_HEADER,
    '# Certificates and keys are in the tsunagu.files section at the end; references name its entries.',
    'connections {',
  ];
  const c = I1;
  const k = I1 + I1;
  out.push(`${c}${profile.connection} {`);
  out.push(`${k}version = ${profile.version}`);
  out.push(`${k}remote_addrs = ${list(profile.remoteAddrs)}`);
  if (profile.remotePort !== null) out.push(`${k}remote_port = ${profile.remotePort}`);
  if (profile.localAddrs.length > 0) out.push(`${k}local_addrs = ${list(profile.localAddrs)}`);
  if (profile.vips.length > 0) out.push(`${k}vips = ${list(profile.vips)}`);
  if (profile.proposals !== null) out.push(`${k}proposals = ${list(profile.proposals)}`);
  if (profile.aggressive) out.push(`${k}aggressive = yes`);
  out.push(`${k}encap = ${yesNo(profile.encap)}`);
  out.push(`${k}mobike = ${yesNo(profile.mobike)}`);
  if (profile.dpdDelay !== null) out.push(`${k}dpd_delay = ${profile.dpdDelay}s`);
  profile.local.forEach((round, i) => localRound(out, round, i, k));
  out.push(`${k}remote {`);
  const r = k + I1;
  out.push(`${r}auth = ${profile.remote.auth}`);
  if (profile.remote.id !== null) out.push(`${r}id = ${quote(profile.remote.id)}`);
  if (profile.files.caCerts.length > 0) out.push(`${r}cacerts = ${list(profile.files.caCerts.map((_, i) => FILE_NAMES.ca(i)))}`);
  if (profile.files.serverCerts.length > 0) out.push(`${r}certs = ${list(profile.files.serverCerts.map((_, i) => FILE_NAMES.server(i)))}`);
  if (profile.remote.revocation !== null) out.push(`${r}revocation = ${profile.remote.revocation}`);
  out.push(`${k}}`);
  out.push(`${k}children {`);
  for (const child of profile.children) {
    out.push(`${r}${child.name} {`);
    const ch = r + I1;
    if (child.localTs.length > 0) out.push(`${ch}local_ts = ${list(child.localTs)}`);
    if (child.remoteTs.length > 0) out.push(`${ch}remote_ts = ${list(child.remoteTs)}`);
    if (child.espProposals !== null) out.push(`${ch}esp_proposals = ${list(child.espProposals)}`);
    out.push(`${ch}mode = ${child.mode}`);
    if (child.updown !== null) out.push(`${ch}updown = ${quote(child.updown)}`);
    out.push(`${r}}`);
  }
  out.push(`${k}}`);
  out.push(`${c}}`);
  out.push('}');

  out.push('secrets {');
  if (profile.secrets.psk !== null) out.push(`${c}ike-1 {`, `${k}secret = ${secretValue(profile.secrets.psk)}`, `${c}}`);
  if (profile.secrets.eapPassword !== null) out.push(`${c}eap-1 {`, `${k}secret = ${secretValue(profile.secrets.eapPassword)}`, `${c}}`);
  if (profile.secrets.xauthPassword !== null) out.push(`${c}xauth-1 {`, `${k}secret = ${secretValue(profile.secrets.xauthPassword)}`, `${c}}`);
  if (profile.files.privateKey !== null) out.push(`${c}private-1 {`, `${k}file = ${FILE_NAMES.clientKey}`, `${c}}`);
  out.push('}');

  out.push('tsunagu {');
  if (profile.dnsServers.length > 0) out.push(`${c}dns_servers = ${list(profile.dnsServers)}`);
  out.push(`${c}files {`);
  profile.files.caCerts.forEach((pem, i) => out.push(`${k}${FILE_NAMES.ca(i)} = ${pemValue(pem)}`));
  profile.files.serverCerts.forEach((pem, i) => out.push(`${k}${FILE_NAMES.server(i)} = ${pemValue(pem)}`));
  if (profile.files.clientCert !== null) out.push(`${k}${FILE_NAMES.clientCert} = ${pemValue(profile.files.clientCert)}`);
  if (profile.files.privateKey !== null) out.push(`${k}${FILE_NAMES.clientKey} = ${pemValue(profile.files.privateKey)}`);
  out.push(`${c}}`);
  out.push('}');
  return `${out.join('\n')}\n`;
}
