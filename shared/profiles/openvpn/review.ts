/**
 * The adversarial review of the OpenVPN allow-list (issue 10): for every directive a client
 * profile may use (role `client` in directives.ts), what it can do in an openvpn running as root
 * and what the engine does about it, with the test that holds the verdict; the refused classes
 * are summarised from directives.ts itself. README's table is rendered from here and a unit test
 * keeps the two in step (test/unit/openvpn-review.test.ts).
 */
import { dangerText } from '../policy.js';
import { DIRECTIVES, type DangerClass, type DirectiveRole } from './directives.js';

export type Verdict = 'allowed' | 'checked' | 'normalised' | 'clamped' | 'dropped' | 'inline only' | 'refused' | 'admin policy only';

export interface ReviewTest {
  file: string;
  name: string;
}

export interface DirectiveReview {
  names: string[];
  /** What the directive can do in an openvpn running as root. */
  risk: string;
  verdict: Verdict;
  note?: string;
  test: ReviewTest;
  /** A line per name that a client profile may contain (checked by the review's test). */
  examples?: string[];
}

const REVIEW_TEST = 'test/unit/openvpn-review.test.ts';
const POLICY_TEST = 'test/unit/profile-policy.test.ts';
const ROUTES_TEST = 'test/unit/profile-routes.test.ts';
const GRAMMAR_TEST = 'test/unit/openvpn-inline-grammar.test.ts';
const accepted: ReviewTest = { file: REVIEW_TEST, name: 'accepts every directive the review allows, with its example line' };
const inlined: ReviewTest = { file: POLICY_TEST, name: 'refuses file references that were not made self-contained' };
const grammar: ReviewTest = { file: GRAMMAR_TEST, name: 'refuses BEGIN/END-only blocks, the wrong PEM type, broken base64 and wrong key material' };

const LOCAL_ONLY = 'Tunes this tunnel only (its socket, device, timers or crypto); nothing outside it.';
const INLINE_FILE = 'Names a file that root openvpn would read, and for credentials send to the server.';

export const OPENVPN_REVIEW: DirectiveReview[] = [
  {
    names: ['client', 'pull', 'tls-client', 'mode'],
    risk: 'Selects client mode; `mode server` would make openvpn a server that accepts connections.',
    verdict: 'checked',
    note: '`mode server` (like any server marker) refuses the file as a server configuration',
    test: { file: POLICY_TEST, name: 'refuses an OpenVPN server config with one clear error' },
    examples: ['client', 'pull', 'tls-client', 'mode p2p'],
  },
  {
    names: ['dev'],
    risk: 'Creates the tun/tap device; a fixed name could be one another session or the system uses, and the helper cleans up by name.',
    verdict: 'normalised',
    note: 'a fixed name becomes plain `tun`/`tap` (automatic fix OVPN_DEVICE_NAME_DROPPED), then the helper names the device for the session (`tso` + 8 characters, electron/helper/drivers/openvpn/device.ts)',
    test: { file: POLICY_TEST, name: 'replaces a fixed device name by tun/tap, so no profile claims a name in use elsewhere' },
  },
  {
    names: ['dev-type', 'topology', 'lladdr', 'txqueuelen', 'disable-dco', 'ifconfig-noexec', 'ifconfig-nowarn', 'route-noexec', 'route-delay', 'route-metric'],
    risk: 'Shapes this tunnel’s own device and how its addresses and routes are applied; nothing outside it.',
    verdict: 'allowed',
    test: accepted,
    examples: ['dev-type tun', 'topology subnet', 'lladdr 02:00:00:00:00:01', 'txqueuelen 1000', 'disable-dco', 'ifconfig-noexec', 'ifconfig-nowarn', 'route-noexec', 'route-delay 2', 'route-metric 50'],
  },
  {
    names: ['ifconfig', 'ifconfig-ipv6'],
    risk: 'Puts addresses on the tunnel, and with them a connected route (the subnet or the peer), which takes that traffic from the rest of the system.',
    verdict: 'checked',
    note: 'the subnet counts among the routes checked for conflicts with other sessions',
    test: { file: ROUTES_TEST, name: 'includes the tunnel subnet (topology subnet) or peer (net30) from ifconfig' },
  },
  {
    names: ['route', 'route-ipv6', 'route-gateway', 'route-ipv6-gateway', 'redirect-gateway', 'redirect-private'],
    risk: 'Adds routes for the whole system (via the tunnel or around it, e.g. `net_gateway`), taking traffic from other users’ tunnels.',
    verdict: 'checked',
    note: 'every prefix, by its flags and through <connection> blocks, is checked for conflicts before connect and again with what the server pushes',
    test: { file: ROUTES_TEST, name: 'walks <connection> blocks as well as the top level' },
  },
  {
    names: ['block-ipv6', 'route-nopull', 'pull-filter', 'allow-pull-fqdn', 'allow-recursive-routing', 'client-nat'],
    risk: 'Decides which pushed settings are applied, answers IPv6 in this tunnel, rewrites addresses of this tunnel’s packets (client-nat); pushed routes are checked like the profile’s.',
    verdict: 'allowed',
    test: accepted,
    examples: ['block-ipv6', 'route-nopull', 'pull-filter ignore "route "', 'allow-pull-fqdn', 'allow-recursive-routing', 'client-nat snat 192.168.0.0 255.255.255.0 10.64.0.0'],
  },
  {
    names: ['remote', 'proto', 'proto-force', 'remote-random', 'remote-random-hostname', 'resolv-retry', 'rport', 'float'],
    risk: 'Chooses the server and transport; `proto tcp-server` (or its kin) would make root openvpn listen on a port.',
    verdict: 'checked',
    note: 'only client protocols (udp/tcp, 4/6, -client) at top level, inside <connection> and on remote lines; ports 1–65535',
    test: { file: POLICY_TEST, name: 'accepts only client protocols, in <connection> blocks and remote lines as at top level' },
  },
  {
    names: ['lport', 'port', 'local', 'bind', 'nobind'],
    risk: 'Binds a local address and port as root: a port below 1024 would take a privileged port from the system (`port` is also the local port).',
    verdict: 'checked',
    note: '`lport` below 1024 refused; a privileged `port` with `local`/`lport`/`bind` refused, otherwise `nobind` is added ahead of every block',
    test: { file: POLICY_TEST, name: 'refuses a privileged port whenever local, lport or bind makes openvpn bind it' },
  },
  {
    names: ['explicit-exit-notify'],
    risk: 'Keeps openvpn alive about a second per notification after it is told to stop: more than the helper’s grace gets it killed with its routes left behind.',
    verdict: 'clamped',
    note: 'to 2 (automatic fix OVPN_EXIT_NOTIFY_CLAMPED), at top level and in <connection>; plain numbers only',
    test: { file: POLICY_TEST, name: 'clamps explicit-exit-notify to 2 everywhere, so openvpn cannot outlast the helper’s teardown' },
  },
  {
    names: ['push-peer-info'],
    risk: 'Sends the server details of this host: its MAC address, system version and UV_ variables.',
    verdict: 'dropped',
    note: 'automatic fix OVPN_PUSH_PEER_INFO_DROPPED; servers work without it',
    test: { file: POLICY_TEST, name: 'drops push-peer-info, which would send the host’s MAC address, with a note' },
  },
  {
    names: ['http-proxy', 'socks-proxy'],
    risk: 'Connects through a proxy; the optional third argument names a credentials file that root openvpn would read and send to the proxy.',
    verdict: 'checked',
    note: 'a file argument is refused unless imported and inlined as <http-proxy-user-pass>; `auto`/`auto-nct`/`stdin` name no file',
    test: inlined,
  },
  {
    names: ['http-proxy-override'],
    risk: 'Connects through the HTTP proxy it names (host and port, no credentials file): this tunnel’s own connection.',
    verdict: 'allowed',
    test: accepted,
    examples: ['http-proxy-override proxy.example.test 8080'],
  },
  {
    names: ['compat-mode', 'shaper', 'socket-flags', 'preresolve'],
    risk: LOCAL_ONLY,
    verdict: 'checked',
    note: 'values as openvpn reads them: a version for `compat-mode`, 100–100000000 bytes/s for `shaper`',
    test: { file: 'test/unit/openvpn-profile.test.ts', name: 'checks compat-mode and shaper values as openvpn does' },
    examples: ['compat-mode 2.4.0', 'shaper 100000', 'socket-flags TCP_NODELAY', 'preresolve'],
  },
  {
    names: ['http-proxy-option', 'http-proxy-timeout', 'socks-proxy-retry'],
    risk: 'Sets the headers and timing of the proxy connection.',
    verdict: 'allowed',
    test: accepted,
    examples: ['http-proxy-option AGENT tsunagu', 'http-proxy-timeout 5', 'socks-proxy-retry'],
  },
  {
    names: ['ca', 'cert', 'key', 'extra-certs', 'pkcs12', 'crl-verify', 'tls-auth', 'tls-crypt', 'tls-crypt-v2', 'secret', 'http-proxy-user-pass', 'peer-fingerprint', 'verify-hash'],
    risk: INLINE_FILE,
    verdict: 'inline only',
    note: 'a path is refused unless the file was imported and inlined; each inline body must match its tag’s grammar (PEM type, static key, base64 PKCS#12…)',
    test: grammar,
  },
  {
    names: ['auth-user-pass', 'askpass'],
    risk: 'With a file argument root openvpn reads that file and sends its first line to the server as the username.',
    verdict: 'inline only',
    note: 'a file is refused unless inlined (<auth-user-pass>, 1–2 lines); without one the helper asks the user through the management interface',
    test: inlined,
  },
  {
    names: ['setenv'],
    risk: 'Sets environment variables for programs openvpn runs as root (PATH, LD_PRELOAD…).',
    verdict: 'checked',
    note: 'only inert, well-known names (FORWARD_COMPATIBLE, UV_*, IV_* …); `setenv opt X` is checked as X',
    test: { file: POLICY_TEST, name: 'refuses setenv of arbitrary variables but accepts the inert, well-known ones' },
  },
  {
    names: ['ignore-unknown-option'],
    risk: 'Makes openvpn skip unknown options; the engine leaves those lines out of the canonical text, so nothing skipped reaches openvpn.',
    verdict: 'allowed',
    test: accepted,
    examples: ['ignore-unknown-option block-outside-dns'],
  },
  {
    names: ['dhcp-option', 'dns'],
    risk: 'On Linux openvpn only hands these to the helper, which sets the system’s resolvers while the tunnel is up.',
    verdict: 'allowed',
    note: 'values are single tokens without control characters; how they reach resolv.conf is the helper’s DNS code',
    test: accepted,
    examples: ['dhcp-option DNS 10.8.0.1', 'dns search-domains corp.test'],
  },
  {
    names: ['connect-retry', 'connect-retry-max', 'connect-timeout', 'server-poll-timeout', 'ping', 'ping-restart', 'ping-exit', 'ping-timer-rem', 'keepalive', 'inactive', 'session-timeout', 'hand-window', 'tran-window', 'tls-timeout', 'tls-exit', 'reneg-sec', 'reneg-bytes', 'reneg-pkts', 'single-session', 'persist-key', 'persist-tun', 'persist-local-ip', 'persist-remote-ip', 'up-delay', 'up-restart'],
    risk: 'Timers and restart behaviour of this tunnel; the helper stops openvpn itself whatever they say.',
    verdict: 'allowed',
    test: accepted,
    examples: ['connect-retry 5 30', 'connect-retry-max 3', 'connect-timeout 10', 'server-poll-timeout 10', 'ping 10', 'ping-restart 60', 'ping-exit 120', 'ping-timer-rem', 'keepalive 10 60', 'inactive 3600', 'session-timeout 86400', 'hand-window 60', 'tran-window 3600', 'tls-timeout 2', 'tls-exit', 'reneg-sec 3600', 'reneg-bytes 100000000', 'reneg-pkts 1000000', 'single-session', 'persist-key', 'persist-tun', 'persist-local-ip', 'persist-remote-ip', 'up-delay', 'up-restart'],
  },
  {
    names: ['tun-mtu', 'tun-mtu-extra', 'tun-mtu-max', 'link-mtu', 'udp-mtu', 'max-packet-size', 'mssfix', 'fragment', 'mtu-disc', 'mtu-test', 'sndbuf', 'rcvbuf', 'fast-io', 'tcp-nodelay', 'passtos', 'replay-window', 'mute-replay-warnings'],
    risk: LOCAL_ONLY,
    verdict: 'allowed',
    note: 'socket buffers stay within the kernel’s limits (openvpn uses SO_SNDBUF/SO_RCVBUF, not the …FORCE variants)',
    test: accepted,
    examples: ['tun-mtu 1400', 'tun-mtu-extra 32', 'tun-mtu-max 1600', 'link-mtu 1500', 'udp-mtu 1400', 'max-packet-size 1400', 'mssfix 1360', 'fragment 1300', 'mtu-disc yes', 'mtu-test', 'sndbuf 393216', 'rcvbuf 393216', 'fast-io', 'tcp-nodelay', 'passtos', 'replay-window 128', 'mute-replay-warnings'],
  },
  {
    names: ['verb', 'mute', 'suppress-timestamps'],
    risk: 'How much openvpn logs to the helper, which shows a user only their own session’s lines.',
    verdict: 'allowed',
    test: accepted,
    examples: ['verb 4', 'mute 20', 'suppress-timestamps'],
  },
  {
    names: ['vlan-tagging', 'vlan-accept', 'vlan-pvid', 'stale-routes-check'],
    risk: 'Server-side tap features; on a client they change nothing outside the tunnel.',
    verdict: 'allowed',
    test: accepted,
    examples: ['vlan-tagging', 'vlan-accept all', 'vlan-pvid 1', 'stale-routes-check 60'],
  },
  {
    names: ['key-direction', 'auth-retry', 'auth-nocache', 'auth-token-user', 'static-challenge', 'verify-x509-name', 'remote-cert-tls', 'remote-cert-ku', 'remote-cert-eku', 'ns-cert-type', 'x509-username-field', 'x509-track', 'tls-version-min', 'tls-version-max', 'tls-cipher', 'tls-ciphersuites', 'tls-groups', 'tls-cert-profile', 'ecdh-curve'],
    risk: 'Authentication and TLS settings of this tunnel (x509-track only exports certificate fields to scripts, which are refused).',
    verdict: 'allowed',
    test: accepted,
    examples: ['key-direction 1', 'auth-retry nointeract', 'auth-nocache', 'auth-token-user alice', 'static-challenge OTP 1', 'verify-x509-name vpn.example.test name', 'remote-cert-tls server', 'remote-cert-ku a0 88', 'remote-cert-eku "TLS Web Server Authentication"', 'ns-cert-type server', 'x509-username-field CN', 'x509-track CN', 'tls-version-min 1.2', 'tls-version-max 1.3', 'tls-cipher TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384', 'tls-ciphersuites TLS_AES_256_GCM_SHA384', 'tls-groups X25519', 'tls-cert-profile preferred', 'ecdh-curve prime256v1'],
  },
  {
    names: ['pkcs11-id', 'pkcs11-id-management', 'pkcs11-pin-cache', 'pkcs11-private-mode', 'pkcs11-protected-authentication', 'pkcs11-cert-private'],
    risk: 'Uses a smart card through the system’s default PKCS#11 module; choosing a module (`pkcs11-providers`) would load native code and is refused.',
    verdict: 'allowed',
    test: accepted,
    examples: ['pkcs11-id pkcs11:token=x', 'pkcs11-id-management', 'pkcs11-pin-cache 300', 'pkcs11-private-mode 1', 'pkcs11-protected-authentication 0', 'pkcs11-cert-private 0'],
  },
  {
    names: ['keying-material-exporter', 'cipher', 'data-ciphers', 'ncp-ciphers', 'data-ciphers-fallback', 'auth', 'compress', 'comp-lzo', 'comp-noadapt', 'allow-compression', 'opt-verify', 'disable-occ'],
    risk: 'Data-channel crypto and compression of this tunnel (weak choices get advisories); the exporter only feeds scripts, which are refused.',
    verdict: 'allowed',
    test: accepted,
    examples: ['keying-material-exporter EXPORTER-tsunagu 32', 'cipher AES-256-GCM', 'data-ciphers AES-256-GCM:AES-128-GCM', 'ncp-ciphers AES-256-GCM', 'data-ciphers-fallback AES-256-CBC', 'auth SHA256', 'compress stub-v2', 'comp-lzo no', 'comp-noadapt', 'allow-compression no', 'opt-verify', 'disable-occ'],
  },
];

/** Summary rows for everything a client profile may not use, derived from directives.ts. */
interface ClassRow {
  names: string[];
  risk: string;
  verdict: Verdict;
  note: string;
  test: ReviewTest;
}

const ROLE_ROWS: Array<{ role: Exclude<DirectiveRole, 'client' | 'dangerous'>; risk: string; verdict: Verdict; note: string; test: ReviewTest }> = [
  { role: 'server', risk: 'Server-only options (push, ifconfig-pool, client-connect’s kin…), and those a server pushes (auth-token, peer-id…).', verdict: 'dropped', note: 'left out with an advisory; a server marker refuses the file as a server configuration', test: { file: POLICY_TEST, name: 'refuses an OpenVPN server config with one clear error' } },
  { role: 'removed', risk: 'Removed from 2.6; openvpn refuses them.', verdict: 'dropped', note: 'left out when that is exact, else refused with the replacement', test: { file: 'test/unit/openvpn-profile.test.ts', name: 'removed options that change behaviour are errors with the replacement' } },
  { role: 'ignored', risk: 'Accepted but ignored by 2.6.', verdict: 'dropped', note: 'left out with an advisory', test: { file: 'test/unit/openvpn-profile.test.ts', name: 'drops Windows-only, obsolete and optional-unknown lines with a note' } },
  { role: 'windows-only', risk: 'Windows-only; openvpn on Linux refuses them.', verdict: 'dropped', note: 'left out with an advisory (`cryptoapicert` is refused: it is the identity)', test: { file: 'test/unit/openvpn-profile.test.ts', name: 'drops Windows-only, obsolete and optional-unknown lines with a note' } },
  { role: 'helper-owned', risk: 'Drops root after start-up; the helper then could not tear down what the tunnel added.', verdict: 'dropped', note: 'left out with an advisory (OVPN_HELPER_OWNED_DROPPED): the helper owns the process', test: { file: 'test/unit/openvpn-profile.test.ts', name: 'drops user and group with a note: the helper owns the process' } },
  { role: 'script-permission', risk: 'Permits the scripts other lines name (levels 2–3); runs nothing itself.', verdict: 'admin policy only', note: 'levels 0–1 kept; higher levels left out with an advisory (OVPN_SCRIPT_SECURITY_DROPPED) unless the administrator allows scripts; script lines are refused on their own', test: { file: 'test/unit/openvpn-profile.test.ts', name: 'drops script-security with a note when scripts are not allowed; a script line is refused on its own' } },
  { role: 'standalone', risk: 'One-off commands (`genkey`, `mktun`, `show-*`…), not connection settings.', verdict: 'refused', note: 'they would not connect anything', test: { file: REVIEW_TEST, name: 'refuses standalone modes and unknown names, whatever they are' } },
];

function namesWhere(pred: (name: string) => boolean): string[] {
  return Object.keys(DIRECTIVES).filter(pred);
}

function classRows(): ClassRow[] {
  const dangerRows = (['runs-program', 'replaces-system-tool', 'loads-native-code', 'writes-file', 'reads-file', 'control-socket', 'process-control', 'socket-privilege'] as DangerClass[]).map((danger): ClassRow => ({
    names: namesWhere((n) => DIRECTIVES[n]?.danger === danger),
    risk: `${dangerText(danger).en.replace(/^./, (c) => c.toUpperCase())}.`,
    verdict: danger === 'runs-program' ? 'admin policy only' : 'refused',
    note: danger === 'runs-program' ? 'refused unless the administrator allows scripts, also when wrapped in `setenv opt`' : 'also when wrapped in `setenv opt`',
    test: { file: POLICY_TEST, name: 'covers every directive the table marks dangerous' },
  }));
  const roles = ROLE_ROWS.map((r): ClassRow => ({ names: namesWhere((n) => DIRECTIVES[n]?.role === r.role), risk: r.risk, verdict: r.verdict, note: r.note, test: r.test }));
  const unknown: ClassRow = {
    names: ['any other name'],
    risk: 'Names openvpn 2.6 does not know, and its undocumented internals (`ip-remote-hint`, `parameter`).',
    verdict: 'refused',
    note: 'as unknown, unless marked optional (`setenv opt`, `ignore-unknown-option`): then left out with an advisory',
    test: { file: REVIEW_TEST, name: 'refuses standalone modes and unknown names, whatever they are' },
  };
  return [...dangerRows, ...roles, unknown];
}

const code = (names: string[]) => names.map((n) => (n === 'any other name' ? n : `\`${n}\``)).join(', ');
/** Table cells: `|` escaped, and a bare `<tag>` put in backticks so Markdown does not take it for HTML. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/(?<!`)<(\/?[a-z0-9-]+)>(?!`)/g, '`<$1>`');

/** The README section: the permitted directives one by one (grouped), then the refused classes. */
export function renderOpenVpnReview(): string {
  const rows = [...OPENVPN_REVIEW, ...classRows()].map((r) => {
    const verdict = r.note ? `**${r.verdict}**: ${r.note}` : `**${r.verdict}**`;
    return `| ${code(r.names)} | ${cell(r.risk)} | ${cell(verdict)} | \`${r.test.file}\` — ${cell(r.test.name)} |`;
  });
  return [
    'OpenVPN (`shared/profiles/openvpn/review.ts`, rendered from the allow-list in `directives.ts`; every directive a client profile may use, then the refused classes):',
    '',
    '| Directive | What it can do as root | Verdict | Test |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
