/**
 * What the kill switch should hold (issue 14), as data: the helper decides an intent from the
 * session state, rules.ts turns it into one nftables table, apply.ts puts it in the kernel and
 * intent-store.ts keeps it on disk so a restarted helper goes on blocking.
 *
 *   off       no table at all: traffic flows as the routes say (kill switch off, or disconnected
 *             without always-on).
 *   tunnel    a full-tunnel session is connecting, connected or reconnecting: only the tunnel
 *             interfaces, the tunnel's own marked packets to its endpoints, loopback, DHCP/NDP
 *             and (if allowed) the LAN pass; DNS only to the tunnel's resolvers through the tunnel.
 *   blocked   the tunnel is down but the user has not disconnected (process died, helper
 *             restarted, error): only loopback, DHCP/NDP and (if allowed) the LAN.
 *   lockdown  always-on with no tunnel: the same rules as blocked, for another reason.
 */
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import * as z from 'zod';

/** The fwmark of Tsunagu's tunnel processes ("tsun"): openvpn --mark, charon socket-default.fwmark (WireGuard: wireGuardFwMark). */
export const TSUNAGU_FWMARK = 0x7473756e;

/**
 * WireGuard's mark, one per interface: wg-quick also uses it as the routing table of a full tunnel
 * and deletes every rule of that table on `down`, so two tunnels must never share one (issue 10).
 * 0x7473xxxx: away from the system's tables and from charon's (10000–59999).
 */
export function wireGuardFwMark(interfaceName: string): number {
  const low = createHash('sha256').update(interfaceName).digest().readUInt16BE(0);
  const mark = ((TSUNAGU_FWMARK & 0xffff0000) | low) >>> 0;
  return mark === TSUNAGU_FWMARK ? mark ^ 1 : mark;
}

/** Linux interface names: at most 15 bytes; only characters safe inside an nft string. */
const IFNAME_RE = /^[A-Za-z0-9_.:-]{1,15}$/;

// IPv4-mapped IPv6 and zones have no place in a rule: refused rather than rewritten.
const address = z
  .string()
  .max(64)
  .refine((s) => ipaddr.isValid(s) && !s.includes('%') && !(ipaddr.parse(s).kind() === 'ipv6' && ipaddr.IPv6.parse(s).isIPv4MappedAddress()), {
    message: 'not a plain IPv4 or IPv6 address',
  });
const ifname = z.string().regex(IFNAME_RE, 'not a Linux interface name');

export const EndpointSchema = z.discriminatedUnion('protocol', [
  z.object({
    protocol: z.enum(['udp', 'tcp']),
    address,
    port: z.number().int().min(1).max(65535),
    /** The fwmark the tunnel process puts on its own sockets; unmarked packets to the endpoint are rejected. */
    mark: z.number().int().min(1).max(0xffffffff),
  }).strict(),
  // IPsec without UDP encapsulation: ESP leaves from XFRM, marked by the child SA's set_mark_out.
  z.object({ protocol: z.literal('esp'), address, mark: z.number().int().min(1).max(0xffffffff) }).strict(),
]);
export type Endpoint = z.infer<typeof EndpointSchema>;

export const FirewallIntentSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('off') }).strict(),
  z.object({
    mode: z.literal('tunnel'),
    /** Empty while the tool has not yet made its interface (charon's ipsecN): then only the marked endpoint packets pass. */
    tunnelInterfaces: z.array(ifname).max(8),
    endpoints: z.array(EndpointSchema).max(32),
    allowLan: z.boolean(),
    /** The tunnel's resolvers. Empty: DNS may go through the tunnel to any resolver, never outside it. */
    dnsServers: z.array(address).max(16),
    /** The tunnel's own addresses: packets for them that arrive on another interface are dropped (CVE-2019-14899). */
    tunnelAddresses: z.array(address).max(16),
  }).strict(),
  z.object({ mode: z.literal('blocked'), allowLan: z.boolean() }).strict(),
  z.object({ mode: z.literal('lockdown'), allowLan: z.boolean() }).strict(),
]);
export type FirewallIntent = z.infer<typeof FirewallIntentSchema>;
export type TunnelIntent = Extract<FirewallIntent, { mode: 'tunnel' }>;
export type FirewallMode = FirewallIntent['mode'];

export interface LocalizedText {
  en: string;
  ja: string;
}

export type FirewallErrorCode =
  | 'firewall-intent-invalid'
  | 'firewall-nft-missing'
  | 'firewall-apply-failed'
  | 'firewall-verify-failed'
  | 'firewall-list-failed'
  | 'firewall-state-unsafe'
  | 'firewall-state-unreadable';

/** Errors are values: a stable code, the user's sentence in both languages, the technical detail. */
export interface FirewallError {
  code: FirewallErrorCode;
  message: LocalizedText;
  detail: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: FirewallError };

export function firewallError(code: FirewallErrorCode, message: LocalizedText, detail: string): FirewallError {
  return { code, message, detail };
}

/** Validates what arrives from elsewhere (the session manager, the state file) into an intent. */
export function parseIntent(value: unknown): Result<FirewallIntent> {
  const parsed = FirewallIntentSchema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return {
    ok: false,
    error: firewallError(
      'firewall-intent-invalid',
      { en: 'The kill switch settings for this tunnel are not valid.', ja: 'このトンネルのキルスイッチ設定が正しくありません。' },
      detail,
    ),
  };
}

/** Whether `text` is an address a rule may hold (what the intent's schema accepts). */
export function isRuleAddress(text: string): boolean {
  return address.safeParse(text).success;
}

/** nft's own text for an address: lower case, IPv6 compressed, IPv4-mapped IPv6 kept as IPv6. */
export function normalizeAddress(text: string): string {
  return ipaddr.parse(text).toString();
}

export function addressFamily(text: string): 'ip' | 'ip6' {
  return ipaddr.parse(text).kind() === 'ipv4' ? 'ip' : 'ip6';
}
