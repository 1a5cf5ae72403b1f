// OpenVPN 2.6 scenarios: server configuration, client profiles and server process control.
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inNetns, isAlive, killAndWait, procStartTime, run, sleep, spawnDetached } from './exec.js';
import { ADDR } from './names.js';
import { encryptKeyPem, makePki, randomDigits, randomSecret, writeDhParams, writeOpenvpnStaticKey } from './pki.js';
import type { BuildContext, BuildResult } from './scenario-types.js';
import type { LabCredentials, LabInstance, ServerState } from './state.js';

export type OpenvpnScenario =
  | 'openvpn-udp'
  | 'openvpn-tcp'
  | 'openvpn-tap'
  | 'openvpn-userpass'
  | 'openvpn-challenge'
  | 'openvpn-enc-key'
  | 'openvpn-failover'
  | 'openvpn-legacy'
  | 'openvpn-dns';

interface Variant {
  proto: 'udp' | 'tcp';
  dev: 'tun' | 'tap';
  /** 'userpass': username/password only (no client certificate); 'challenge': certificate + password + static challenge. */
  auth: 'cert' | 'userpass' | 'challenge';
  encKey?: boolean;
  failover?: boolean;
  legacy?: boolean;
  pushDns?: boolean;
  /** Also write a profile that references ca.crt/client.crt/client.key/ta.key beside it. */
  referenced?: boolean;
}

const VARIANTS: Record<OpenvpnScenario, Variant> = {
  'openvpn-udp': { proto: 'udp', dev: 'tun', auth: 'cert', referenced: true },
  'openvpn-tcp': { proto: 'tcp', dev: 'tun', auth: 'cert' },
  'openvpn-tap': { proto: 'udp', dev: 'tap', auth: 'cert' },
  'openvpn-userpass': { proto: 'udp', dev: 'tun', auth: 'userpass' },
  'openvpn-challenge': { proto: 'udp', dev: 'tun', auth: 'challenge' },
  'openvpn-enc-key': { proto: 'udp', dev: 'tun', auth: 'cert', encKey: true },
  'openvpn-failover': { proto: 'udp', dev: 'tun', auth: 'cert', failover: true },
  'openvpn-legacy': { proto: 'udp', dev: 'tun', auth: 'cert', legacy: true },
  'openvpn-dns': { proto: 'udp', dev: 'tun', auth: 'cert', pushDns: true },
};

export const CHALLENGE_PROMPT = 'Enter OTP';

/** The seed profile's TLS cipher list, kept verbatim for openvpn-legacy. */
export const LEGACY_TLS_CIPHERS =
  'TLS-DHE-RSA-WITH-AES-256-GCM-SHA384:TLS-DHE-RSA-WITH-AES-256-CBC-SHA256:TLS-DHE-RSA-WITH-AES-128-GCM-SHA256:TLS-DHE-RSA-WITH-AES-128-CBC-SHA256';

/** What OpenVPN 2.6 needs on the command line to accept the legacy profile (the product's fix). */
export const LEGACY_DATA_CIPHERS_FIX = ['--data-ciphers', 'AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305:AES-256-CBC'];

function pemBlock(tag: string, body: string): string[] {
  // Each tag on its own line: OpenVPN 2.6 rejects `<ca>-----BEGIN ...`.
  return [`<${tag}>`, body.trimEnd(), `</${tag}>`];
}

function authScript(v: Variant, good: { username: string; password: string }, response: string): string {
  const lines = [
    '#!/bin/sh',
    '# auth-user-pass-verify via-file: $1 is a file holding the username and the password lines.',
    'user=$(sed -n 1p "$1")',
    'pass=$(sed -n 2p "$1")',
  ];
  if (v.auth === 'challenge') {
    lines.push(
      '# static-challenge answers arrive as SCRV1:<base64 password>:<base64 response>.',
      'case "$pass" in SCRV1:*:*) ;; *) exit 1 ;; esac',
      'rest=${pass#SCRV1:}',
      'pass=$(printf %s "${rest%%:*}" | base64 -d 2>/dev/null) || exit 1',
      'resp=$(printf %s "${rest#*:}" | base64 -d 2>/dev/null) || exit 1',
      `[ "$resp" = "${response}" ] || exit 1`,
    );
  }
  lines.push(`[ "$user" = "${good.username}" ] && [ "$pass" = "${good.password}" ] && exit 0`, 'exit 1', '');
  return lines.join('\n');
}

export async function buildOpenvpn(ctx: BuildContext, scenario: OpenvpnScenario): Promise<BuildResult> {
  const v = VARIANTS[scenario];
  const n = ctx.names;
  const serverDir = join(ctx.dir, 'server');
  mkdirSync(serverDir, { recursive: true, mode: 0o700 });
  const pkiDir = join(ctx.dir, 'pki');
  const taKey = join(serverDir, 'ta.key');
  const dhFile = join(serverDir, 'dh.pem');
  const [pki] = await Promise.all([
    makePki(pkiDir, {
      keyType: v.legacy ? 'rsa' : 'ec',
      serverCn: 'server.lab.test',
      serverSan: ['DNS:server.lab.test', `IP:${ADDR.serverUnderlay}`],
      clientCn: 'client.lab.test',
    }),
    v.legacy ? writeDhParams(dhFile) : writeOpenvpnStaticKey(taKey),
  ]);

  const credentials: LabCredentials = {};
  const good = { username: 'alice', password: randomSecret(16) };
  const challengeResponse = randomDigits(6);
  if (v.auth !== 'cert') {
    credentials.good = good;
    credentials.bad = { username: 'alice', password: `${good.password}x` };
  }
  if (v.auth === 'challenge') {
    credentials.challenge = {
      prompt: CHALLENGE_PROMPT,
      echo: true,
      response: challengeResponse,
      badResponse: challengeResponse === '000000' ? '111111' : '000000',
    };
  }

  // ---- server ----
  const dev = v.dev === 'tap' ? n.ovpnTap : n.ovpnTun;
  const server: string[] = [
    `# Tsunagu lab ${scenario} server (${ctx.id})`,
    `local ${ADDR.serverUnderlay}`,
    `port ${ADDR.ovpnPort}`,
    `proto ${v.proto === 'tcp' ? 'tcp-server' : 'udp'}`,
    `dev ${dev}`,
    `dev-type ${v.dev}`,
  ];
  if (v.dev === 'tap') {
    // The tap device already sits in the bridge with the protected host's link (created before start,
    // persistent, so restarts keep the bridge): clients get addresses on the protected LAN itself.
    server.push(`server-bridge ${ADDR.serverInside} ${ADDR.insideMask} ${ADDR.tapPoolStart} ${ADDR.tapPoolEnd}`);
  } else {
    server.push(
      'topology subnet',
      `server ${ADDR.ovpnNet} ${ADDR.ovpnMask}`,
      `push "route ${ADDR.insideNet} ${ADDR.insideMask}"`,
    );
  }
  server.push(`ca ${pki.caCert}`, `cert ${pki.server.cert}`, `key ${pki.server.key}`);
  if (v.legacy) {
    server.push(
      `dh ${dhFile}`,
      // An old server: CBC only, SHA512 HMAC, LZ4 framing, TLS 1.2 so the profile's DHE-RSA list matters.
      'data-ciphers AES-256-CBC',
      'auth SHA512',
      'tls-version-max 1.2',
      'allow-compression yes',
      'compress lz4',
    );
  } else {
    server.push('dh none', `tls-crypt ${taKey}`);
  }
  if (v.auth !== 'cert') {
    const script = join(serverDir, 'auth.sh');
    writeFileSync(script, authScript(v, good, challengeResponse), { mode: 0o700 });
    server.push('script-security 2', `auth-user-pass-verify ${script} via-file`, `tmp-dir ${serverDir}`);
    if (v.auth === 'userpass') server.push('verify-client-cert none', 'username-as-common-name');
  }
  if (v.pushDns) {
    server.push(`push "dhcp-option DNS ${ADDR.dnsServer}"`, `push "dhcp-option DOMAIN ${ADDR.dnsDomain}"`);
  }
  server.push('duplicate-cn', 'keepalive 2 10');
  // UDP: tell clients on shutdown, so a stopped/restarted server is noticed at once.
  if (v.proto === 'udp') server.push('explicit-exit-notify 1');
  server.push('verb 3', '');
  const config = join(serverDir, 'server.conf');
  writeFileSync(config, server.join('\n'));

  // ---- client profile ----
  const clientKeyPem = readFileSync(pki.client.key, 'utf8');
  const keyPassphrase = randomSecret(12);
  if (v.encKey) credentials.keyPassphrase = keyPassphrase;
  const p: string[] = [`# Tsunagu lab ${scenario} (${ctx.id}): throwaway test profile`];
  if (v.legacy) {
    // Mirrors the seed client line by line.
    p.push(
      'client',
      'dev tun',
      'proto udp',
      `remote ${ADDR.serverUnderlay} ${ADDR.ovpnPort}`,
      'cipher AES-256-CBC',
      'auth SHA512',
      'auth-nocache',
      'tls-version-min 1.2',
      `tls-cipher ${LEGACY_TLS_CIPHERS}`,
      'resolv-retry infinite',
      'compress lz4',
      'nobind',
      'persist-key',
      'persist-tun',
      'mute-replay-warnings',
      'verb 3',
    );
  } else {
    p.push('client', `dev ${v.dev}`, `proto ${v.proto}`);
    if (v.failover) {
      // The first remote is an address nobody answers on; server-poll-timeout bounds the wait on it.
      p.push(`remote ${ADDR.deadRemote} ${ADDR.ovpnPort}`, `remote ${ADDR.serverUnderlay} ${ADDR.ovpnPort}`, 'server-poll-timeout 3');
    } else {
      p.push(`remote ${ADDR.serverUnderlay} ${ADDR.ovpnPort}`);
    }
    p.push('nobind', 'remote-cert-tls server');
    if (v.auth !== 'cert') p.push('auth-user-pass');
    if (v.auth === 'challenge') p.push(`static-challenge "${CHALLENGE_PROMPT}" 1`);
    p.push('verb 3');
  }
  p.push(...pemBlock('ca', readFileSync(pki.caCert, 'utf8')));
  if (v.auth !== 'userpass') {
    p.push(...pemBlock('cert', readFileSync(pki.client.cert, 'utf8')));
    p.push(...pemBlock('key', v.encKey ? encryptKeyPem(clientKeyPem, keyPassphrase) : clientKeyPem));
  }
  if (!v.legacy) p.push(...pemBlock('tls-crypt', readFileSync(taKey, 'utf8')));
  const profile = join(ctx.dir, `${scenario}.ovpn`);
  writeFileSync(profile, `${p.join('\n')}\n`, { mode: 0o600 });

  const extraFiles: string[] = [];
  if (v.referenced) {
    // The same connection with side files, as many providers ship it; the product's importer inlines them.
    const refDir = join(ctx.dir, 'referenced');
    mkdirSync(refDir, { recursive: true });
    const files = { 'ca.crt': pki.caCert, 'client.crt': pki.client.cert, 'client.key': pki.client.key, 'ta.key': taKey };
    for (const [name, src] of Object.entries(files)) copyFileSync(src, join(refDir, name));
    const ref = [
      `# Tsunagu lab ${scenario} (${ctx.id}): profile with referenced files`,
      'client',
      'dev tun',
      'proto udp',
      `remote ${ADDR.serverUnderlay} ${ADDR.ovpnPort}`,
      'nobind',
      'remote-cert-tls server',
      'ca ca.crt',
      'cert client.crt',
      'key client.key',
      'tls-crypt ta.key',
      'verb 3',
      '',
    ];
    writeFileSync(join(refDir, 'client.ovpn'), ref.join('\n'));
    extraFiles.push(join(refDir, 'client.ovpn'), ...Object.keys(files).map((f) => join(refDir, f)));
  }

  if (v.dev === 'tap') {
    await run('ip', ['-n', n.serverNetns, '-batch', '-'], {
      input: `tuntap add dev ${n.ovpnTap} mode tap\nlink set ${n.ovpnTap} master ${n.bridge}\nlink set ${n.ovpnTap} up\n`,
    });
  }

  return {
    profile,
    extraFiles,
    credentials,
    tunnelPeerIp: v.dev === 'tap' ? ADDR.serverInside : ADDR.ovpnServer,
    server: { kind: 'openvpn', config, log: join(serverDir, 'openvpn.log'), pid: null, startTime: null },
  };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path: string, offset: number): string {
  try {
    return readFileSync(path).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

export async function startOpenvpnServer(inst: LabInstance, s: Extract<ServerState, { kind: 'openvpn' }>): Promise<void> {
  const offset = fileSize(s.log);
  const [cmd, args] = inNetns(inst.serverNetns, 'openvpn', ['--config', s.config]);
  const pid = spawnDetached(cmd, args, s.log);
  s.pid = pid;
  s.startTime = procStartTime(pid);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const out = readFrom(s.log, offset);
    if (out.includes('Initialization Sequence Completed')) return;
    if (!isAlive(pid)) {
      s.pid = null;
      throw new Error(`openvpn server exited during start: ${out.trim().split('\n').slice(-3).join(' | ')}`);
    }
    if (Date.now() > deadline) throw new Error(`openvpn server did not initialise in 15 s: ${out.slice(-300)}`);
    await sleep(15);
  }
}

export async function stopOpenvpnServer(s: Extract<ServerState, { kind: 'openvpn' }>, hard: boolean): Promise<void> {
  if (s.pid !== null && isAlive(s.pid, s.startTime)) {
    // explicit-exit-notify makes a UDP server linger about 2 s after SIGTERM while it tells clients.
    await killAndWait([s.pid], hard ? 'SIGKILL' : 'SIGTERM', 5000);
  }
  s.pid = null;
  s.startTime = null;
}
