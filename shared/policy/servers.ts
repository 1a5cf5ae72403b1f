/**
 * AllowedServers patterns and their matching. A pattern is `*` (any server), a host name
 * (`vpn.example.com`), a wildcard for the subdomains of one (`*.example.com`, not the name itself),
 * an IP address, or a CIDR block. A profile's host is matched by what it is: a name against the
 * name patterns (case-insensitively, a trailing dot ignored), an address against addresses and
 * blocks. A name is never resolved here: what it resolves to is the network's to say, not the
 * profile's, so an administrator lists the names users may reach.
 */
import ipaddr from 'ipaddr.js';
import * as z from 'zod';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function isHostName(value: string): boolean {
  const name = value.toLowerCase().replace(/\.$/, '');
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => LABEL.test(l));
}

function isAddressOrBlock(value: string): boolean {
  return ipaddr.isValid(value) || isCidr(value);
}

function isCidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value);
    return true;
  } catch {
    return false;
  }
}

export function isServerPattern(value: string): boolean {
  if (value === '*') return true;
  if (value.startsWith('*.')) return isHostName(value.slice(2));
  return isAddressOrBlock(value) || isHostName(value);
}

export const serverPattern = z.string().max(255).refine(isServerPattern, 'a host name, *.domain, an IP address, a CIDR block or *');

function normalName(value: string): string {
  return value.toLowerCase().replace(/\.$/, '');
}

/** One address, as ipaddr.js reads it (an IPv4-mapped IPv6 address counts as its IPv4 one). */
function addressOf(host: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ipaddr.isValid(host)) return null;
  const address = ipaddr.parse(host);
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

export function serverMatches(host: string, pattern: string): boolean {
  if (pattern === '*') return true;
  const address = addressOf(host);
  if (address) {
    if (ipaddr.isValid(pattern)) {
      const other = addressOf(pattern);
      return other !== null && other.kind() === address.kind() && other.toNormalizedString() === address.toNormalizedString();
    }
    if (!isCidr(pattern)) return false;
    const [network, bits] = ipaddr.parseCIDR(pattern);
    return network.kind() === address.kind() && address.match(network, bits);
  }
  if (isAddressOrBlock(pattern)) return false;
  const name = normalName(host);
  if (pattern.startsWith('*.')) return name.endsWith(`.${normalName(pattern.slice(2))}`);
  return name === normalName(pattern);
}

/** The hosts that match none of the patterns (empty: all are allowed). */
export function serversOutside(hosts: readonly string[], patterns: readonly string[]): string[] {
  return hosts.filter((h) => !patterns.some((p) => serverMatches(h, p)));
}
