/**
 * The typed OpenVPN profile model. `directives` (plus `metadata`) is the content: the canonical
 * writer emits exactly it, and every other field is a view derived from it by `describe()`, so
 * parse(write(model)) yields the same model.
 */

export interface OpenVpnDirective {
  name: string;
  args: string[];
  /** Body of an inline `<name>` block (PEM, static key, base64 pkcs12, user/pass lines). */
  inline?: string;
  /** Directives of a `<connection>` block. */
  block?: OpenVpnDirective[];
}

export interface OpenVpnMetadata {
  /** `# OVPN_ACCESS_SERVER_KEY=value` lines, in order. */
  values: Array<{ key: string; value: string }>;
  /** `# OVPN_ACCESS_SERVER_TAG_START` … `_STOP` blocks. */
  blocks: Array<{ tag: string; lines: string[] }>;
}

export type Transport = 'udp' | 'tcp';

export interface OpenVpnRemote {
  host: string;
  port: number;
  /** The protocol as written (`udp`, `tcp-client`, `udp6` ...). */
  proto: string;
  transport: Transport;
}

export interface OpenVpnRoute {
  network: string;
  netmask: string | null;
  gateway: string | null;
  metric: number | null;
}

export type Layer = 'L3' | 'L2';

export interface OpenVpnAuth {
  /** Client certificate and key (inline). */
  certificate: boolean;
  pkcs12: boolean;
  /** The user types a username and password (or they are embedded). */
  userPass: boolean;
  /** Embedded `<auth-user-pass>`: the username, and whether a password is stored too. */
  embeddedUser: { username: string; hasPassword: boolean } | null;
  staticChallenge: { text: string; echo: boolean } | null;
  /** The private key is encrypted: a passphrase will be asked. */
  encryptedKey: boolean;
  /** A smart card / token (`pkcs11-id`). */
  token: boolean;
}

export interface OpenVpnRouting {
  routes: OpenVpnRoute[];
  routesIpv6: Array<{ network: string; gateway: string | null; metric: number | null }>;
  /** Flags of `redirect-gateway` (empty array = plain redirect), or null when not redirected. */
  redirectGateway: string[] | null;
  routeNopull: boolean;
  pullFilters: Array<{ action: string; text: string }>;
}

export interface OpenVpnDns {
  servers: string[];
  domain: string | null;
  searchDomains: string[];
}

export interface OpenVpnCiphers {
  dataCiphers: string[] | null;
  dataCiphersFallback: string | null;
  /** The legacy `cipher` line (ignored for negotiation by 2.6 unless listed in data-ciphers). */
  cipher: string | null;
  auth: string | null;
  /** `compress ...` / `comp-lzo ...` as written, or null. */
  compression: string | null;
}

export interface OpenVpnTls {
  versionMin: string | null;
  versionMax: string | null;
  remoteCertTls: string | null;
  verifyX509Name: { name: string; type: string } | null;
  peerFingerprint: boolean;
  tlsCipher: string | null;
  tlsCiphersuites: string | null;
  /** Control-channel protection. */
  wrapping: 'tls-auth' | 'tls-crypt' | 'tls-crypt-v2' | null;
  keyDirection: 0 | 1 | null;
}

export interface OpenVpnProfile {
  kind: 'openvpn';
  directives: OpenVpnDirective[];
  metadata: OpenVpnMetadata;
  // --- derived views ---
  layer: Layer;
  device: string;
  remotes: OpenVpnRemote[];
  remoteRandom: boolean;
  usesConnectionBlocks: boolean;
  auth: OpenVpnAuth;
  routing: OpenVpnRouting;
  dns: OpenVpnDns;
  ciphers: OpenVpnCiphers;
  tls: OpenVpnTls;
  /** Inline material by tag (`ca`, `cert`, `key`, `tls-crypt` ...). */
  inline: Record<string, string>;
}
