/**
 * Every key wg-quick reads, once: its section, which tool consumes it, whether it may repeat,
 * what it can do when wg-quick runs as root for the helper, and Tsunagu's verdict with the test
 * that holds it. The parser's key sets, its "valid keys are …" messages and the README's review
 * table are all derived from this list.
 */

export type WireGuardSection = 'Interface' | 'Peer';

export type WireGuardVerdict = 'allowed' | 'refused' | 'normalised' | 'allowed-by-admin-policy-only';

export interface WireGuardKeySpec {
  /** As wg(8) and wg-quick(8) spell it. */
  name: string;
  section: WireGuardSection;
  /** wg-quick consumes its own keys; it hands every other line to `wg setconf`. */
  readBy: 'wg-quick' | 'wg';
  /** Values of repeated lines accumulate (wg-quick and wireguard-apple agree); others may appear once. */
  repeatable: boolean;
  /** What the key can do with root's rights, in plain words. */
  asRoot: string;
  verdict: WireGuardVerdict;
  /** What the verdict means for this key, when more than the verdict's word. */
  detail?: string;
  /** The test that holds the verdict: file under test/unit and the test's title. */
  test: { file: string; name: string };
}

const PARSER_TESTS = 'test/unit/wireguard-parser.test.ts';

export const WIREGUARD_KEYS = [
  {
    name: 'PrivateKey',
    section: 'Interface',
    readBy: 'wg',
    repeatable: false,
    asRoot: 'Sets the private key of the interface wg-quick creates for this session; nothing else.',
    verdict: 'allowed',
    detail: 'exactly 32 bytes of canonical base64, as wg requires',
    test: { file: PARSER_TESTS, name: 'error codes and columns for bad keys' },
  },
  {
    name: 'ListenPort',
    section: 'Interface',
    readBy: 'wg',
    repeatable: false,
    asRoot: 'Binds a UDP port on every address as root: a port below 1024 would take a privileged port from the system.',
    verdict: 'allowed',
    detail: 'refused below 1024; 0 and 1024–65535 allowed; a configuration that only listens is refused as a server configuration',
    test: { file: PARSER_TESTS, name: 'ListenPort 0 or 1024–65535; privileged ports are refused' },
  },
  {
    name: 'FwMark',
    section: 'Interface',
    readBy: 'wg',
    repeatable: false,
    asRoot: "Marks the tunnel's packets; wg-quick uses the mark as its routing table and on the way down deletes every rule naming that table, so a mark equal to another session's table switches that session's full tunnel off.",
    verdict: 'refused',
    detail: 'any value: marks and tables belong to the helper',
    test: { file: PARSER_TESTS, name: 'FwMark is refused, whatever its value' },
  },
  {
    name: 'Address',
    section: 'Interface',
    readBy: 'wg-quick',
    repeatable: true,
    asRoot: "Adds addresses to the interface (`ip address add`), and with them a connected route for each subnet, which takes that subnet's traffic.",
    verdict: 'allowed',
    detail: 'the address keeps its host part (it is an address); its subnet counts among the routes checked for conflicts',
    test: { file: 'test/unit/profile-routes.test.ts', name: 'is every AllowedIPs and every Address subnet' },
  },
  {
    name: 'DNS',
    section: 'Interface',
    readBy: 'wg-quick',
    repeatable: true,
    asRoot: 'Registers resolvers and search domains with resolvconf for the whole system while the tunnel is up.',
    verdict: 'allowed',
    detail: 'only IP addresses and valid domain names',
    test: { file: PARSER_TESTS, name: 'splits servers from search domains' },
  },
  {
    name: 'MTU',
    section: 'Interface',
    readBy: 'wg-quick',
    repeatable: false,
    asRoot: "Sets the interface's MTU (`ip link set mtu`).",
    verdict: 'allowed',
    detail: '576–65535',
    test: { file: PARSER_TESTS, name: 'MTU 576–65535' },
  },
  {
    name: 'Table',
    section: 'Interface',
    readBy: 'wg-quick',
    repeatable: false,
    asRoot: "Chooses the routing table for the tunnel's routes: `main` or a number adds routes outside the helper's control (another session's table among them).",
    verdict: 'refused',
    detail: 'only `auto` (the default) and `off` are accepted',
    test: { file: PARSER_TESTS, name: 'Table other than auto or off is refused' },
  },
  {
    name: 'PreUp',
    section: 'Interface',
    readBy: 'wg-quick',
    repeatable: true,
    asRoot: 'Runs a bash command as root before the interface is created.',
    verdict: 'allowed-by-admin-policy-only',
    detail: "refused unless the administrator allows scripts; a '#' in it is refused always (wg-quick versions disagree on where the command ends)",
    test: { file: 'test/unit/profile-policy.test.ts', name: 'allows hooks only under the administrator setting' },
  },
  {
    name: 'PostUp',
    section: 'Interface',
    readBy: 'wg-quick',
    repeatable: true,
    asRoot: 'Runs a bash command as root once the interface is up.',
    verdict: 'allowed-by-admin-policy-only',
    detail: "as PreUp; a '#' is refused",
    test: { file: PARSER_TESTS, name: "refuses a '#' in a hook: wg-quick would cut the command there" },
  },
  {
    name: 'PreDown',
    section: 'Interface',
    readBy: 'wg-quick',
    repeatable: true,
    asRoot: 'Runs a bash command as root before the interface is removed.',
    verdict: 'allowed-by-admin-policy-only',
    detail: 'as PreUp',
    test: { file: 'test/unit/profile-policy.test.ts', name: 'allows hooks only under the administrator setting' },
  },
  {
    name: 'PostDown',
    section: 'Interface',
    readBy: 'wg-quick',
    repeatable: true,
    asRoot: 'Runs a bash command as root after the interface is removed.',
    verdict: 'allowed-by-admin-policy-only',
    detail: 'as PreUp',
    test: { file: 'test/unit/profile-policy.test.ts', name: 'allows hooks only under the administrator setting' },
  },
  {
    name: 'SaveConfig',
    section: 'Interface',
    readBy: 'wg-quick',
    repeatable: false,
    asRoot: 'Makes `wg-quick down` rewrite the configuration file from the running state, as root.',
    verdict: 'normalised',
    detail: 'removed by an automatic fix (advisory WG_SAVECONFIG); only true/false are read',
    test: { file: 'test/unit/wireguard-writer.test.ts', name: 'inspection drops SaveConfig and masks AllowedIPs in the canonical text' },
  },
  {
    name: 'PublicKey',
    section: 'Peer',
    readBy: 'wg',
    repeatable: false,
    asRoot: 'Names the peer; nothing outside the tunnel.',
    verdict: 'allowed',
    detail: "one per peer, not repeated across peers, not the interface's own",
    test: { file: PARSER_TESTS, name: 'whole-file checks: no interface, no private key, peer without key, duplicate peer, self as peer' },
  },
  {
    name: 'PresharedKey',
    section: 'Peer',
    readBy: 'wg',
    repeatable: false,
    asRoot: 'Adds a symmetric key to the handshake; nothing outside the tunnel.',
    verdict: 'allowed',
    test: { file: PARSER_TESTS, name: 'error codes and columns for bad keys' },
  },
  {
    name: 'AllowedIPs',
    section: 'Peer',
    readBy: 'wg',
    repeatable: true,
    asRoot: 'wg-quick routes every prefix into the tunnel (a /0 with policy rules and a mark of its own), taking that traffic from the rest of the system.',
    verdict: 'normalised',
    detail: 'host bits cleared as wg and the kernel do (advisory WG_ALLOWEDIPS_HOST_BITS), so 1.0.0.0/0 is 0.0.0.0/0; the routes are checked for conflicts with other sessions',
    test: { file: PARSER_TESTS, name: 'AllowedIPs host bits are cleared, with an advisory naming the entry' },
  },
  {
    name: 'Endpoint',
    section: 'Peer',
    readBy: 'wg',
    repeatable: false,
    asRoot: "Makes root's WireGuard send handshake packets to that host and port (what any user may send).",
    verdict: 'allowed',
    detail: 'host name or IP, port 1–65535',
    test: { file: PARSER_TESTS, name: 'accepts host:port, [v6]:port and [v6%zone]:port' },
  },
  {
    name: 'PersistentKeepalive',
    section: 'Peer',
    readBy: 'wg',
    repeatable: false,
    asRoot: 'Sends a keepalive packet to the endpoint every N seconds.',
    verdict: 'allowed',
    detail: '0–65535 or off',
    test: { file: PARSER_TESTS, name: 'PersistentKeepalive 0–65535 or off' },
  },
] as const satisfies readonly WireGuardKeySpec[];

/** A section's key names in lower case, as the parser switches on them. */
export type WireGuardKeyName<S extends WireGuardSection> = Lowercase<Extract<(typeof WIREGUARD_KEYS)[number], { section: S }>['name']>;

/** Lower-case key name → its spec, per section (keys are case-insensitive in every tool). */
export function keysOf(section: WireGuardSection): ReadonlyMap<string, WireGuardKeySpec> {
  return new Map(WIREGUARD_KEYS.filter((k) => k.section === section).map((k): [string, WireGuardKeySpec] => [k.name.toLowerCase(), k]));
}

/** "PrivateKey, ListenPort, …" for messages. */
export function keyList(section: WireGuardSection): string {
  return WIREGUARD_KEYS.filter((k) => k.section === section)
    .map((k) => k.name)
    .join(', ');
}

const VERDICT_TEXT: Record<WireGuardVerdict, string> = {
  allowed: 'allowed',
  refused: 'refused',
  normalised: 'normalised',
  'allowed-by-admin-policy-only': 'allowed by admin policy only',
};

/** The README's review table (between the directive-review-wireguard markers). */
export function wireGuardReviewTable(): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  const rows = WIREGUARD_KEYS.map((k: WireGuardKeySpec) => {
    const verdict = k.detail ? `**${VERDICT_TEXT[k.verdict]}**: ${k.detail}` : `**${VERDICT_TEXT[k.verdict]}**`;
    return `| \`[${k.section}] ${k.name}\` | ${cell(k.asRoot)} | ${cell(verdict)} | \`${k.test.file}\` — ${cell(k.test.name)} |`;
  });
  return [
    'WireGuard (`shared/profiles/wireguard/keytable.ts`, every key wg-quick reads; any other key is refused):',
    '',
    '| Key | What it can do as root | Verdict | Test |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    'Across keys, the parser also refuses a network given to two peers (the device would move it to the last one), an all-zero',
    'PrivateKey (wg reads it as none) and endpoint hosts the resolver reads as IPv4 (`0x7f.1`, `10.1`). `wgquick-reader.ts`',
    're-reads the canonical text with wg-quick\'s and wg\'s own rules and says whether the tools would configure exactly the',
    'inspected profile (`test/fuzz/wireguard-wgquick.fuzz.test.ts`: 22,000 generated and mutated configurations, the real',
    'wg-quick `parse_options` on 300, and, as root, `wg setconf` on a wireguard-go device in a scratch namespace on 200).',
  ].join('\n');
}
