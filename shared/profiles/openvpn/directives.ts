/**
 * Every directive OpenVPN 2.6 accepts in a config file, with what a *client profile* may do with it.
 * This table is the allow-list behind the security policy: a directive is usable only if it is
 * listed as `client`; everything else is refused, dropped with an explanation, or marks the file
 * as a server configuration. Unknown names are refused, as openvpn itself does.
 */
import type { InlineGrammar } from './inline-grammar.js';

/** Why a directive is dangerous in a profile run by a root helper (vpn-formats-and-protocols §1.5). */
export type DangerClass =
  | 'runs-program'
  | 'replaces-system-tool'
  | 'loads-native-code'
  | 'writes-file'
  | 'reads-file'
  | 'control-socket'
  | 'process-control'
  | 'socket-privilege';

export type DirectiveRole =
  /** Usable in a client profile. */
  | 'client'
  /** Only meaningful on a server; its presence (with no `client`) marks a server configuration. */
  | 'server'
  /** Refused by the security policy. */
  | 'dangerous'
  /** Removed from OpenVPN; 2.6 refuses it. `dropSafely` tells whether deleting it changes nothing. */
  | 'removed'
  /** Accepted by 2.6 but ignored; safe to drop. */
  | 'ignored'
  /** Windows-only; openvpn on Linux refuses it, and it has no effect here. */
  | 'windows-only'
  /** Standalone modes (`--genkey`, `--show-ciphers` ...) that are not connection settings. */
  | 'standalone'
  /** What the helper already does for the process it runs (dropping root); left out, with a note. */
  | 'helper-owned'
  /** Permits scripts without naming one (`script-security`): kept only under the administrator's opt-in. */
  | 'script-permission';

export interface DirectiveSpec {
  /** Minimum and maximum number of arguments after the name (inline bodies excluded). */
  min: number;
  max: number;
  role: DirectiveRole;
  /** May be given as an inline `<name>` block, whose body must follow this grammar. */
  inline?: InlineGrammar;
  /** Allowed inside a `<connection>` block. */
  connection?: boolean;
  /** The argument at this index names a file to read (unless the directive is inline). */
  fileArg?: number;
  danger?: DangerClass;
  /** For removed/ignored directives: whether dropping the line is an exact, safe fix. */
  dropSafely?: boolean;
  /** For removed directives: what to write instead. */
  replacement?: string;
}

const MANY = 15;

function client(min: number, max: number, extra: Partial<DirectiveSpec> = {}): DirectiveSpec {
  return { min, max, role: 'client', ...extra };
}
function conn(min: number, max: number, extra: Partial<DirectiveSpec> = {}): DirectiveSpec {
  return { min, max, role: 'client', connection: true, ...extra };
}
function server(min = 0, max = MANY): DirectiveSpec {
  return { min, max, role: 'server' };
}
function danger(danger: DangerClass, min = 0, max = MANY): DirectiveSpec {
  return { min, max, role: 'dangerous', danger };
}
function fileRef(min: number, max: number, inline: InlineGrammar, extra: Partial<DirectiveSpec> = {}): DirectiveSpec {
  return { min, max, role: 'client', inline, fileArg: 0, ...extra };
}

export const DIRECTIVES: Readonly<Record<string, DirectiveSpec>> = {
  // --- mode and device ---
  client: client(0, 0),
  pull: client(0, 0),
  'tls-client': client(0, 0),
  mode: client(1, 1),
  dev: client(1, 1),
  'dev-type': client(1, 1),
  topology: client(1, 1),
  ifconfig: client(2, 2),
  'ifconfig-ipv6': client(2, 2),
  'ifconfig-noexec': client(0, 0),
  'ifconfig-nowarn': client(0, 0),
  lladdr: client(1, 1),
  txqueuelen: client(1, 1),
  'disable-dco': client(0, 0),
  // SO_BINDTODEVICE and SO_MARK need root; either can steer packets past another session's routing.
  'bind-dev': danger('socket-privilege', 1, 1),
  mark: danger('socket-privilege', 1, 1),

  // --- remotes and transport (most are per-connection) ---
  remote: conn(1, 3),
  'remote-random': client(0, 0),
  'remote-random-hostname': client(0, 0),
  'resolv-retry': client(1, 1),
  proto: conn(1, 1),
  'proto-force': client(1, 1),
  port: conn(1, 1),
  rport: conn(1, 1),
  lport: conn(1, 1),
  local: conn(1, 2),
  bind: conn(0, 1),
  nobind: conn(0, 0),
  float: conn(0, 0),
  'connect-retry': conn(1, 2),
  'connect-retry-max': conn(1, 1),
  'connect-timeout': conn(1, 1),
  'server-poll-timeout': conn(1, 1),
  'explicit-exit-notify': conn(0, 1),
  'http-proxy': conn(2, 4, { fileArg: 2 }),
  'http-proxy-option': conn(1, 3),
  'http-proxy-timeout': conn(1, 1),
  'http-proxy-user-pass': fileRef(1, 1, 'user-pass'),
  'socks-proxy': conn(1, 3, { fileArg: 2 }),
  'socks-proxy-retry': client(0, 0),
  'http-proxy-override': client(2, 3),
  'compat-mode': client(1, 1),
  shaper: client(1, 1),
  'socket-flags': client(1, MANY),
  preresolve: client(0, 0),
  'tun-mtu': conn(1, 2),
  'tun-mtu-extra': conn(1, 1),
  'tun-mtu-max': conn(1, 1),
  'link-mtu': conn(1, 1),
  'udp-mtu': conn(1, 1),
  'max-packet-size': conn(1, 1),
  mssfix: conn(0, 2),
  fragment: conn(1, 2),
  'mtu-disc': conn(1, 1),
  'mtu-test': client(0, 0),
  sndbuf: client(1, 1),
  rcvbuf: client(1, 1),
  'fast-io': client(0, 0),
  'tcp-nodelay': client(0, 0),
  passtos: client(0, 0),
  'persist-key': client(0, 0),
  'persist-tun': client(0, 0),
  'persist-local-ip': client(0, 0),
  'persist-remote-ip': client(0, 0),
  ping: client(1, 1),
  'ping-restart': client(1, 1),
  'ping-exit': client(1, 1),
  'ping-timer-rem': client(0, 0),
  keepalive: client(2, 2),
  inactive: client(1, 2),
  'session-timeout': client(1, 1),
  'allow-recursive-routing': client(0, 0),
  'replay-window': client(1, 2),
  'mute-replay-warnings': client(0, 0),
  'no-replay': { min: 0, max: 0, role: 'removed', dropSafely: false },
  verb: client(1, 1),
  mute: client(1, 1),
  'suppress-timestamps': client(0, 0),
  'vlan-tagging': client(0, 0),
  'vlan-accept': client(1, 1),
  'vlan-pvid': client(1, 1),
  'stale-routes-check': client(1, 2),

  // --- routing ---
  route: client(1, 4),
  'route-ipv6': client(1, 3),
  'route-gateway': client(1, 1),
  'route-ipv6-gateway': client(1, 1),
  'route-metric': client(1, 1),
  'route-delay': client(0, 2),
  'route-noexec': client(0, 0),
  'route-nopull': client(0, 0),
  'redirect-gateway': client(0, 8),
  'redirect-private': client(0, 8),
  'block-ipv6': client(0, 0),
  'pull-filter': client(2, 2),
  'allow-pull-fqdn': client(0, 0),
  'client-nat': client(4, 4),

  // --- DNS ---
  'dhcp-option': client(1, 2),
  dns: client(2, 8),

  // --- authentication and TLS ---
  ca: fileRef(1, 1, 'ca-certificates'),
  capath: danger('reads-file', 1, 1),
  cert: fileRef(1, 1, 'certificates'),
  key: fileRef(1, 1, 'private-key'),
  'extra-certs': fileRef(1, 1, 'certificates'),
  pkcs12: fileRef(1, 1, 'pkcs12'),
  'crl-verify': fileRef(1, 2, 'crl'),
  'tls-auth': fileRef(1, 2, 'static-key', { connection: true }),
  'tls-crypt': fileRef(1, 1, 'static-key', { connection: true }),
  'tls-crypt-v2': fileRef(1, 2, 'tls-crypt-v2-client-key', { connection: true }),
  secret: fileRef(1, 2, 'static-key'),
  'key-direction': conn(1, 1),
  'auth-user-pass': { min: 0, max: 1, role: 'client', inline: 'user-pass', fileArg: 0 },
  'auth-user-pass-optional': server(0, 0),
  'auth-retry': client(1, 1),
  'auth-nocache': client(0, 0),
  'auth-token-user': client(1, 1),
  'static-challenge': client(2, 3),
  askpass: { min: 0, max: 1, role: 'client', fileArg: 0 },
  'peer-fingerprint': client(1, 1, { inline: 'fingerprints' }),
  'verify-hash': client(1, 2, { inline: 'fingerprints' }),
  'verify-x509-name': client(1, 2),
  'remote-cert-tls': client(1, 1),
  'remote-cert-ku': client(0, MANY),
  'remote-cert-eku': client(1, 1),
  'ns-cert-type': client(1, 1),
  'x509-username-field': client(1, MANY),
  'x509-track': client(1, 1),
  'tls-version-min': client(1, 2),
  'tls-version-max': client(1, 1),
  'tls-cipher': client(1, 1),
  'tls-ciphersuites': client(1, 1),
  'tls-groups': client(1, 1),
  'tls-cert-profile': client(1, 1),
  'ecdh-curve': client(1, 1),
  'tls-timeout': client(1, 1),
  'tls-exit': client(0, 0),
  'hand-window': client(1, 1),
  'tran-window': client(1, 1),
  'reneg-sec': client(1, 2),
  'reneg-bytes': client(1, 1),
  'reneg-pkts': client(1, 1),
  'single-session': client(0, 0),
  'push-peer-info': client(0, 0),
  'pkcs11-id': client(1, 1),
  'pkcs11-id-management': client(0, 0),
  'pkcs11-pin-cache': client(1, 1),
  'pkcs11-private-mode': client(1, MANY),
  'pkcs11-protected-authentication': client(1, MANY),
  'pkcs11-cert-private': client(1, MANY),
  'keying-material-exporter': client(2, 2),

  // --- data channel ---
  cipher: client(1, 1),
  'data-ciphers': client(1, 1),
  'ncp-ciphers': client(1, 1),
  'data-ciphers-fallback': client(1, 1),
  auth: client(1, 1),
  compress: client(0, 1),
  'comp-lzo': client(0, 1),
  'comp-noadapt': client(0, 0),
  'allow-compression': client(1, 1),
  'opt-verify': client(0, 0),
  'disable-occ': client(0, 0),

  // --- environment (only well-known, inert names are allowed; see policy) ---
  setenv: client(1, 2),
  'ignore-unknown-option': client(1, MANY),

  // --- dangerous: run programs ---
  up: danger('runs-program', 1, MANY),
  down: danger('runs-program', 1, MANY),
  'down-pre': danger('runs-program', 0, 0),
  'route-up': danger('runs-program', 1, MANY),
  'route-pre-down': danger('runs-program', 1, MANY),
  ipchange: danger('runs-program', 1, MANY),
  'tls-verify': danger('runs-program', 1, MANY),
  'learn-address': danger('runs-program', 1, MANY),
  'auth-user-pass-verify': danger('runs-program', 1, 2),
  'client-connect': danger('runs-program', 1, MANY),
  'client-disconnect': danger('runs-program', 1, MANY),
  'client-crresponse': danger('runs-program', 1, MANY),
  'tls-crypt-v2-verify': danger('runs-program', 1, MANY),
  'dns-updown': danger('runs-program', 1, MANY),
  'script-security': { min: 1, max: 2, role: 'script-permission' },
  'up-delay': client(0, 0),
  'up-restart': client(0, 0),
  'setenv-safe': danger('process-control', 1, 2),
  // --- dangerous: replace the system tools openvpn runs ---
  iproute: danger('replaces-system-tool', 1, MANY),
  'win-sys': danger('replaces-system-tool', 1, 1),
  // --- dangerous: native code ---
  plugin: danger('loads-native-code', 1, MANY),
  engine: danger('loads-native-code', 0, 1),
  providers: danger('loads-native-code', 1, MANY),
  'pkcs11-providers': danger('loads-native-code', 1, MANY),
  // --- dangerous: write files ---
  log: danger('writes-file', 1, 1),
  'log-append': danger('writes-file', 1, 1),
  status: danger('writes-file', 1, 2),
  'status-version': danger('writes-file', 1, 1),
  writepid: danger('writes-file', 1, 1),
  'replay-persist': danger('writes-file', 1, 1),
  'tls-export-cert': danger('writes-file', 1, 1),
  'ifconfig-pool-persist': danger('writes-file', 1, 2),
  'tmp-dir': danger('writes-file', 1, 1),
  // --- dangerous: read files ---
  config: danger('reads-file', 1, 1),
  'dev-node': danger('reads-file', 1, 1),
  'auth-gen-token-secret': danger('reads-file', 1, 1),
  dh: { min: 1, max: 1, role: 'server', inline: 'dh-parameters', fileArg: 0 },
  // --- dangerous: control sockets and process control ---
  management: danger('control-socket', 1, 3),
  'management-client': danger('control-socket', 0, 0),
  'management-client-auth': danger('control-socket', 0, 0),
  'management-client-user': danger('control-socket', 1, 1),
  'management-client-group': danger('control-socket', 1, 1),
  'management-hold': danger('control-socket', 0, 0),
  'management-query-passwords': danger('control-socket', 0, 0),
  'management-query-proxy': danger('control-socket', 0, 0),
  'management-query-remote': danger('control-socket', 0, 0),
  'management-forget-disconnect': danger('control-socket', 0, 0),
  'management-signal': danger('control-socket', 0, 0),
  'management-log-cache': danger('control-socket', 1, 1),
  'management-up-down': danger('control-socket', 0, 0),
  'management-external-key': danger('control-socket', 0, MANY),
  'management-external-cert': danger('control-socket', 1, 1),
  daemon: danger('process-control', 0, 1),
  cd: danger('process-control', 1, 1),
  chroot: danger('process-control', 1, 1),
  user: { min: 1, max: 1, role: 'helper-owned' },
  group: { min: 1, max: 1, role: 'helper-owned' },
  mlock: danger('process-control', 0, 0),
  nice: danger('process-control', 1, 1),
  syslog: danger('process-control', 0, 1),
  'machine-readable-output': danger('process-control', 0, 0),
  'remap-usr1': danger('process-control', 1, 1),
  'errors-to-stderr': danger('process-control', 0, 0),
  echo: danger('process-control', 0, MANY),
  gremlin: danger('process-control', 1, 1),
  memstats: danger('writes-file', 1, 1),
  'port-share': server(2, 3),

  // --- server only ---
  server: server(2, 3),
  'server-bridge': server(0, 4),
  'server-ipv6': server(1, 1),
  'tls-server': server(0, 0),
  push: server(1, 1),
  'push-reset': server(0, 0),
  'push-remove': server(1, 1),
  'ifconfig-pool': server(2, 3),
  'ifconfig-ipv6-pool': server(1, 1),
  'ifconfig-push': server(2, 3),
  'ifconfig-ipv6-push': server(1, 2),
  iroute: server(1, 2),
  'iroute-ipv6': server(1, 1),
  'client-config-dir': server(1, 1),
  'ccd-exclusive': server(0, 0),
  'client-to-client': server(0, 0),
  'duplicate-cn': server(0, 0),
  'max-clients': server(1, 1),
  'max-routes-per-client': server(1, 1),
  'connect-freq': server(2, 2),
  'connect-freq-initial': server(2, 2),
  'username-as-common-name': server(0, 0),
  'verify-client-cert': server(1, 1),
  'auth-gen-token': server(0, 3),
  'hash-size': server(2, 2),
  'bcast-buffers': server(1, 1),
  'tcp-queue-limit': server(1, 1),
  'stale-routes': server(1, 2),
  multihome: server(0, 0),
  'client-cert-not-required': { min: 0, max: 0, role: 'server' },
  'force-tls-key-material-export': server(0, 0),
  disable: server(0, 0),
  'ifconfig-push-constraint': server(2, 2),
  // Sent by a server in its push; a profile has no use for them.
  'push-continuation': server(1, 1),
  'auth-token': server(1, 1),
  'peer-id': server(1, 1),
  'key-derivation': server(1, 1),
  'protocol-flags': server(1, MANY),

  // --- removed in 2.6 (refused by openvpn) ---
  'tls-remote': { min: 1, max: 1, role: 'removed', dropSafely: false, replacement: 'verify-x509-name <name> name' },
  'key-method': { min: 1, max: 1, role: 'removed', dropSafely: true },
  keysize: { min: 1, max: 1, role: 'removed', dropSafely: true },
  'no-iv': { min: 0, max: 0, role: 'removed', dropSafely: true },
  'ncp-disable': { min: 0, max: 0, role: 'removed', dropSafely: true },
  'no-name-remapping': { min: 0, max: 0, role: 'removed', dropSafely: true },
  'compat-names': { min: 0, max: 1, role: 'removed', dropSafely: true },
  'mtu-dynamic': { min: 0, max: 2, role: 'removed', dropSafely: true },
  // 2.6 names these "obsolete parameter" and stops; with pkcs11-providers refused they select nothing.
  'pkcs11-id-type': { min: 0, max: MANY, role: 'removed', dropSafely: true },
  'pkcs11-sign-mode': { min: 0, max: MANY, role: 'removed', dropSafely: true },
  'pkcs11-slot': { min: 0, max: MANY, role: 'removed', dropSafely: true },
  'pkcs11-slot-type': { min: 0, max: MANY, role: 'removed', dropSafely: true },
  // --- accepted but ignored by 2.6 ---
  'tun-ipv6': { min: 0, max: 0, role: 'ignored', dropSafely: true },
  'max-routes': { min: 1, max: 1, role: 'ignored', dropSafely: true },
  'http-proxy-retry': { min: 0, max: 0, role: 'ignored', dropSafely: true },
  prng: { min: 1, max: 2, role: 'ignored', dropSafely: true },

  // --- Windows only (refused by openvpn on Linux, no effect here) ---
  'block-outside-dns': { min: 0, max: 0, role: 'windows-only', dropSafely: true },
  'register-dns': { min: 0, max: 0, role: 'windows-only', dropSafely: true },
  'dhcp-renew': { min: 0, max: 0, role: 'windows-only', dropSafely: true },
  'dhcp-release': { min: 0, max: 0, role: 'windows-only', dropSafely: true },
  'dhcp-pre-release': { min: 0, max: 0, role: 'windows-only', dropSafely: true },
  'tap-sleep': { min: 1, max: 1, role: 'windows-only', dropSafely: true },
  'show-net-up': { min: 0, max: 0, role: 'windows-only', dropSafely: true },
  'windows-driver': { min: 1, max: 1, role: 'windows-only', dropSafely: true },
  'allow-nonadmin': { min: 0, max: 1, role: 'windows-only', dropSafely: true },
  'pause-exit': { min: 0, max: 0, role: 'windows-only', dropSafely: true },
  service: { min: 1, max: 2, role: 'windows-only', dropSafely: true },
  cryptoapicert: { min: 1, max: 1, role: 'windows-only', dropSafely: false },
  'msg-channel': { min: 1, max: 1, role: 'windows-only', dropSafely: true },
  // They pick route.exe/netsh.exe or the IP helper API on Windows; openvpn on Linux ignores
  // route-method and refuses ip-win32, and dropping either runs nothing here.
  'route-method': { min: 1, max: 1, role: 'windows-only', dropSafely: true },
  'ip-win32': { min: 1, max: 3, role: 'windows-only', dropSafely: true },

  // --- standalone modes ---
  genkey: { min: 0, max: 3, role: 'standalone' },
  mktun: { min: 0, max: 0, role: 'standalone' },
  rmtun: { min: 0, max: 0, role: 'standalone' },
  'show-ciphers': { min: 0, max: 0, role: 'standalone' },
  'show-digests': { min: 0, max: 0, role: 'standalone' },
  'show-tls': { min: 0, max: 0, role: 'standalone' },
  'show-engines': { min: 0, max: 0, role: 'standalone' },
  'show-gateway': { min: 0, max: 1, role: 'standalone' },
  'show-pkcs11-ids': { min: 0, max: 2, role: 'standalone' },
  'show-pkcs11-objects': { min: 0, max: 2, role: 'standalone' },
  'show-pkcs11-slots': { min: 0, max: 2, role: 'standalone' },
  'show-curves': { min: 0, max: 0, role: 'standalone' },
  'show-groups': { min: 0, max: 0, role: 'standalone' },
  'test-crypto': { min: 0, max: 0, role: 'standalone' },
  help: { min: 0, max: 0, role: 'standalone' },
  version: { min: 0, max: 0, role: 'standalone' },
};

/** Inline tags 2.6 accepts (OPT_P_INLINE), plus `connection`. */
export function acceptsInline(name: string): boolean {
  return name === 'connection' || specOf(name)?.inline !== undefined;
}

export function specOf(name: string): DirectiveSpec | undefined {
  return Object.prototype.hasOwnProperty.call(DIRECTIVES, name) ? DIRECTIVES[name] : undefined;
}

/**
 * `setenv` names that clients and Access Server profiles use as inert metadata. Any other name
 * would inject an environment variable into scripts (PATH, LD_PRELOAD ...) and is refused.
 */
export const SAFE_SETENV = /^(FORWARD_COMPATIBLE|CLIENT_CERT|ALLOW_PASSWORD_SAVE|USERNAME|FRIENDLY_NAME|SERVER|PUSH_PEER_INFO|UV_[A-Za-z0-9_]+|IV_[A-Z0-9_]+)$/;
