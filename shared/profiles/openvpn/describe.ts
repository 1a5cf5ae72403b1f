import type {
  Layer,
  OpenVpnDirective,
  OpenVpnMetadata,
  OpenVpnProfile,
  OpenVpnRemote,
  Transport,
} from './model.js';

const DEFAULT_PORT = 1194;

/**
 * The proxy a connection goes through (`http-proxy`, `socks-proxy`, or `http-proxy-override` for
 * every TCP one). openvpn connects to the proxy, not to the remote: an HTTP proxy and a SOCKS
 * proxy's TCP CONNECT get the remote's name as written (openvpn does not resolve it); for UDP
 * through SOCKS openvpn resolves the remote itself and sends to the relay the proxy names.
 */
export interface OpenVpnProxy {
  type: 'http' | 'socks';
  host: string;
  /** 0 when the port is not a number (openvpn then fails to reach it). */
  port: number;
}

/** One connection openvpn may try: its remote and the proxy in front of it, if any. */
export interface OpenVpnConnection {
  remote: OpenVpnRemote;
  proxy: OpenVpnProxy | null;
}

/** Connection settings that `<connection>` blocks inherit from the top level above them. */
interface ConnectionDefaults {
  proto: string;
  port: number;
  httpProxy: OpenVpnProxy | null;
  socksProxy: OpenVpnProxy | null;
}

export function transportOf(proto: string): Transport {
  return proto.startsWith('tcp') ? 'tcp' : 'udp';
}

function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : fallback;
}

function applyConnectionSetting(d: OpenVpnDirective, ce: ConnectionDefaults): void {
  if (d.name === 'proto' && d.args[0]) ce.proto = d.args[0];
  if ((d.name === 'port' || d.name === 'rport') && d.args[0]) ce.port = parsePort(d.args[0], ce.port);
  if (d.name === 'http-proxy' && d.args[0]) ce.httpProxy = { type: 'http', host: d.args[0], port: parsePort(d.args[1], 0) };
  // openvpn's default SOCKS port.
  if (d.name === 'socks-proxy' && d.args[0]) ce.socksProxy = { type: 'socks', host: d.args[0], port: parsePort(d.args[1] ?? '1080', 0) };
}

function connectionOf(d: OpenVpnDirective, ce: ConnectionDefaults): OpenVpnConnection {
  const proto = d.args[2] ?? ce.proto;
  // Both at once: openvpn refuses to start ("--http-proxy can not be used together with --socks-proxy").
  return { remote: { host: d.args[0] ?? '', port: parsePort(d.args[1], ce.port), proto, transport: transportOf(proto) }, proxy: ce.httpProxy ?? ce.socksProxy };
}

/**
 * The servers openvpn will try, in order. Quirk: if any `<connection>` block exists, top-level
 * `remote` lines are ignored; options set at top level before a block are that block's defaults,
 * while top-level remotes take the port/proto in force at the end of the file.
 */
export function effectiveRemotes(directives: OpenVpnDirective[]): { remotes: OpenVpnRemote[]; usesConnectionBlocks: boolean } {
  const { connections, usesConnectionBlocks } = connectionsAsWritten(directives);
  return { remotes: connections.map((c) => c.remote), usesConnectionBlocks };
}

function connectionsAsWritten(directives: OpenVpnDirective[]): { connections: OpenVpnConnection[]; usesConnectionBlocks: boolean } {
  const ce: ConnectionDefaults = { proto: 'udp', port: DEFAULT_PORT, httpProxy: null, socksProxy: null };
  const fromBlocks: OpenVpnConnection[] = [];
  const topLevel: OpenVpnDirective[] = [];
  let usesConnectionBlocks = false;
  for (const d of directives) {
    if (d.name === 'connection' && d.block) {
      usesConnectionBlocks = true;
      const local = { ...ce };
      for (const inner of d.block) applyConnectionSetting(inner, local);
      for (const inner of d.block) if (inner.name === 'remote') fromBlocks.push(connectionOf(inner, local));
    } else if (d.name === 'remote') {
      topLevel.push(d);
    } else {
      applyConnectionSetting(d, ce);
    }
  }
  if (usesConnectionBlocks) return { connections: fromBlocks, usesConnectionBlocks };
  return { connections: topLevel.map((d) => connectionOf(d, ce)), usesConnectionBlocks };
}

/**
 * The connections openvpn will try, each with the proxy it goes through. `http-proxy-override
 * HOST PORT` (a top-level option) replaces the proxy of every TCP connection and, when there is
 * one, disables every UDP one (openvpn's options_postprocess_http_proxy_override); with no TCP
 * connection it is ignored.
 */
export function effectiveConnections(directives: OpenVpnDirective[]): OpenVpnConnection[] {
  const { connections } = connectionsAsWritten(directives);
  const override = directives.filter((d) => d.name === 'http-proxy-override' && d.args[0]).at(-1);
  if (!override || !connections.some((c) => c.remote.transport === 'tcp')) return connections;
  const proxy: OpenVpnProxy = { type: 'http', host: override.args[0] ?? '', port: parsePort(override.args[1], 0) };
  return connections.filter((c) => c.remote.transport === 'tcp').map((c) => ({ ...c, proxy }));
}

/** Directives grouped by name, in order: one pass instead of a scan per question. */
export function indexByName(directives: OpenVpnDirective[]): Map<string, OpenVpnDirective[]> {
  const index = new Map<string, OpenVpnDirective[]>();
  for (const d of directives) {
    const list = index.get(d.name);
    if (list) list.push(d);
    else index.set(d.name, [d]);
  }
  return index;
}

export function layerOf(directives: OpenVpnDirective[], index = indexByName(directives)): { layer: Layer; device: string } {
  const last = (name: string) => index.get(name)?.at(-1)?.args[0];
  const device = last('dev') ?? 'tun';
  const type = last('dev-type') ?? (device.startsWith('tap') ? 'tap' : 'tun');
  return { layer: type === 'tap' ? 'L2' : 'L3', device };
}

export function isEncryptedKey(pem: string): boolean {
  return /Proc-Type:\s*4,ENCRYPTED/.test(pem) || /-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pem);
}

function optionalNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** Derives every typed view of a profile from its directives. Pure and total. */
export function describe(directives: OpenVpnDirective[], metadata: OpenVpnMetadata): OpenVpnProfile {
  const index = indexByName(directives);
  const none: OpenVpnDirective[] = [];
  const all = (name: string) => index.get(name) ?? none;
  const last = (name: string) => index.get(name)?.at(-1);
  const has = (name: string) => index.has(name);
  const blocks = all('connection').flatMap((d) => d.block ?? []);

  const inline: Record<string, string> = {};
  for (const d of directives) if (d.inline !== undefined && d.name !== 'connection') inline[d.name] = d.inline;
  for (const inner of blocks) if (inner.inline !== undefined && !(inner.name in inline)) inline[inner.name] = inner.inline;

  const { remotes, usesConnectionBlocks } = effectiveRemotes(directives);
  const { layer, device } = layerOf(directives, index);

  const aup = last('auth-user-pass');
  let embeddedUser: OpenVpnProfile['auth']['embeddedUser'] = null;
  if (aup?.inline !== undefined) {
    const lines = aup.inline.split('\n');
    embeddedUser = { username: lines[0] ?? '', hasPassword: (lines[1] ?? '') !== '' };
  }
  const sc = last('static-challenge');

  const dns: OpenVpnProfile['dns'] = { servers: [], domain: null, searchDomains: [] };
  for (const d of all('dhcp-option')) {
    const [kind, value] = d.args;
    if (value === undefined) continue;
    if (kind === 'DNS' || kind === 'DNS6') dns.servers.push(value);
    else if (kind === 'DOMAIN') dns.domain = value;
    else if (kind === 'DOMAIN-SEARCH') dns.searchDomains.push(value);
  }
  for (const d of all('dns')) {
    if (d.args[0] === 'server' && d.args[2] === 'address') dns.servers.push(...d.args.slice(3));
    if (d.args[0] === 'search-domains') dns.searchDomains.push(...d.args.slice(1));
  }

  const dataCiphers = last('data-ciphers') ?? last('ncp-ciphers');
  const compression = last('compress') ?? last('comp-lzo');
  const x509 = last('verify-x509-name');
  const kd = last('key-direction')?.args[0] ?? blocks.find((d) => d.name === 'key-direction')?.args[0];
  const wrapName = (['tls-crypt-v2', 'tls-crypt', 'tls-auth'] as const).find((n) => has(n) || blocks.some((inner) => inner.name === n));
  const redirect = last('redirect-gateway');

  return {
    kind: 'openvpn',
    directives,
    metadata,
    layer,
    device,
    remotes,
    remoteRandom: has('remote-random'),
    usesConnectionBlocks,
    auth: {
      certificate: has('cert') && has('key'),
      pkcs12: has('pkcs12'),
      userPass: aup !== undefined,
      embeddedUser,
      staticChallenge: sc ? { text: sc.args[0] ?? '', echo: sc.args[1] === '1' } : null,
      encryptedKey: isEncryptedKey(inline['key'] ?? ''),
      token: has('pkcs11-id') || has('pkcs11-id-management'),
    },
    routing: {
      routes: all('route').map((d) => ({
        network: d.args[0] ?? '',
        netmask: d.args[1] ?? null,
        gateway: d.args[2] ?? null,
        metric: optionalNumber(d.args[3]),
      })),
      routesIpv6: all('route-ipv6').map((d) => ({
        network: d.args[0] ?? '',
        gateway: d.args[1] ?? null,
        metric: optionalNumber(d.args[2]),
      })),
      redirectGateway: redirect ? [...redirect.args] : null,
      routeNopull: has('route-nopull'),
      pullFilters: all('pull-filter').map((d) => ({ action: d.args[0] ?? '', text: d.args[1] ?? '' })),
    },
    dns,
    ciphers: {
      dataCiphers: dataCiphers?.args[0] !== undefined ? dataCiphers.args[0].split(':') : null,
      dataCiphersFallback: last('data-ciphers-fallback')?.args[0] ?? null,
      cipher: last('cipher')?.args[0] ?? null,
      auth: last('auth')?.args[0] ?? null,
      compression: compression ? [compression.name, ...compression.args].join(' ') : null,
    },
    tls: {
      versionMin: last('tls-version-min')?.args[0] ?? null,
      versionMax: last('tls-version-max')?.args[0] ?? null,
      remoteCertTls: last('remote-cert-tls')?.args[0] ?? null,
      verifyX509Name: x509 ? { name: x509.args[0] ?? '', type: x509.args[1] ?? 'subject' } : null,
      peerFingerprint: has('peer-fingerprint'),
      tlsCipher: last('tls-cipher')?.args[0] ?? null,
      tlsCiphersuites: last('tls-ciphersuites')?.args[0] ?? null,
      wrapping: wrapName ?? null,
      keyDirection: kd === '0' ? 0 : kd === '1' ? 1 : null,
    },
    inline,
  };
}
