/**
 * DNS settings of a tunnel, learned from the environment openvpn reports with
 * --management-up-down (`>UPDOWN:ENV,key=value`). openvpn 2.6 exports every `dhcp-option` (pushed
 * or from the profile) as `foreign_option_<n>`, and maps the newer `dns` option onto the same
 * variables besides `dns_server_<n>_address_<m>` / `dns_search_domain_<n>`. On Linux it applies
 * none of it itself. The values come from the server, so only well-formed ones pass.
 */
import { isDnsServer, isDomainName } from '../../dns.js';

export interface DnsSettings {
  servers: string[];
  searchDomains: string[];
}

export { isDomainName };

function byIndex(env: ReadonlyMap<string, string>, re: RegExp): string[] {
  const found: { i: number; j: number; value: string }[] = [];
  for (const [key, value] of env) {
    const m = re.exec(key);
    if (m) found.push({ i: Number(m[1]), j: Number(m[2] ?? 0), value });
  }
  return found.sort((a, b) => a.i - b.i || a.j - b.j).map((f) => f.value);
}

function pushUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

/** DNS servers and search domains from an UPDOWN environment, in openvpn's order. */
export function dnsFromEnv(env: ReadonlyMap<string, string>): DnsSettings {
  const servers: string[] = [];
  const domains: string[] = [];
  // foreign_option_<n> are printed in reverse order: sort by n.
  for (const opt of byIndex(env, /^foreign_option_(\d+)$/)) {
    const m = /^dhcp-option\s+(\S+)\s+(\S+)\s*$/.exec(opt);
    if (!m) continue;
    const kind = (m[1] ?? '').toUpperCase();
    const value = m[2] ?? '';
    if ((kind === 'DNS' || kind === 'DNS6') && isDnsServer(value)) pushUnique(servers, value);
    else if ((kind === 'DOMAIN' || kind === 'DOMAIN-SEARCH' || kind === 'ADAPTER_DOMAIN_SUFFIX') && isDomainName(value)) pushUnique(domains, value);
  }
  for (const v of byIndex(env, /^dns_server_(\d+)_address_(\d+)$/)) {
    // `dns server` addresses may carry a port (`ip:port`, `[ip6]:port`): resolv.conf has no port.
    const ip = isDnsServer(v) ? v : /^\[([^\]]+)\]:\d+$/.exec(v)?.[1] ?? /^([^:]+):\d+$/.exec(v)?.[1] ?? '';
    if (isDnsServer(ip)) pushUnique(servers, ip);
  }
  for (const v of byIndex(env, /^dns_search_domain_(\d+)$/)) if (isDomainName(v)) pushUnique(domains, v);
  return { servers, searchDomains: domains };
}

/** Merges settings (first wins in order), e.g. the tunnel's with the profile's own lines. */
export function mergeDns(...all: DnsSettings[]): DnsSettings {
  const out: DnsSettings = { servers: [], searchDomains: [] };
  for (const d of all) {
    for (const s of d.servers) if (isDnsServer(s)) pushUnique(out.servers, s);
    for (const s of d.searchDomains) if (isDomainName(s)) pushUnique(out.searchDomains, s);
  }
  return out;
}

export function sameDns(a: DnsSettings, b: DnsSettings): boolean {
  return a.servers.join(' ') === b.servers.join(' ') && a.searchDomains.join(' ') === b.searchDomains.join(' ');
}
