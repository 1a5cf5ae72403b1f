/**
 * Server names resolved before anything is blocked, and the profile pinned to the addresses
 * (firewall/endpoints.ts): every kind's text written again reads back with the addresses in place
 * of the names and nothing else changed; a name that does not resolve fails at once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostsToResolve, killSwitchRefusal, pinnedText, profileEndpoints, resolveServers, type Resolver } from '../../electron/helper/firewall/endpoints.js';
import { TSUNAGU_FWMARK } from '../../electron/helper/firewall/intent.js';
import { planRuleset } from '../../electron/helper/firewall/rules.js';
import { inspectProfile, profileServers, type InspectOk } from '../../shared/profiles/inspect.js';

const SEED = join(import.meta.dirname, '../fixtures/seed');
const table: Record<string, string[]> = {
  'vpn.example.test': ['192.0.2.10', '2001:db8::10'],
  'vpn.example.org': ['192.0.2.20'],
  'proxy.example.test': ['192.0.2.80', '2001:db8::80'],
  'socks.example.test': ['192.0.2.81'],
  localhost: ['::1'],
};
const resolver: Resolver = (host) => (table[host] ? Promise.resolve(table[host]) : Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })));

/** With the seed's certificate files beside the profile, as an import would have them. */
const files = {
  description: { en: SEED, ja: SEED },
  read: (n: string) => (/^[a-z-]+\.(crt|key)$/.test(n) ? new Uint8Array(readFileSync(join(SEED, n))) : null),
};

function accepted(text: string, fileName: string): InspectOk {
  const r = inspectProfile(text, { fileName, files });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r;
}

const wireguard = (endpoint: string) =>
  `[Interface]\nPrivateKey = ${'A'.repeat(42)}E=\nAddress = 10.9.0.2/32\n\n[Peer]\nPublicKey = ${'B'.repeat(42)}E=\nEndpoint = ${endpoint}\nAllowedIPs = 0.0.0.0/0\n`;

describe('server names, resolved and pinned', () => {
  it("the seed's placeholder `remote vpn-server-ip` fails at once with server-not-found, in both languages", async () => {
    const seed = accepted(readFileSync(join(SEED, 'client.ovpn'), 'utf8'), 'client.ovpn');
    const started = performance.now();
    const error = await resolveServers(profileServers(seed.profile), resolver).then(() => null, (e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(100);
    expect(error).toMatchObject({ code: 'server-not-found' });
    expect((error as { userMessage: { en: string; ja: string } }).userMessage.en).toContain('vpn-server-ip');
    expect((error as { userMessage: { en: string; ja: string } }).userMessage.ja).toContain('vpn-server-ip');
  });

  it('a resolver that does not answer fails within its timeout, not the connect timeout', async () => {
    const started = performance.now();
    await expect(resolveServers(['slow.example.test'], () => new Promise(() => undefined), 200)).rejects.toMatchObject({ code: 'server-not-found', detail: expect.stringContaining('no answer') });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('WireGuard: the endpoint pinned to its first address reads back the same but for it; endpoints carry the mark', async () => {
    const p = accepted(wireguard('vpn.example.test:51820'), 'wg0.conf');
    const resolved = await resolveServers(profileServers(p.profile), resolver);
    expect(profileEndpoints(p.profile, resolved)).toEqual([
      { protocol: 'udp', address: '192.0.2.10', port: 51820, mark: TSUNAGU_FWMARK },
      { protocol: 'udp', address: '2001:db8::10', port: 51820, mark: TSUNAGU_FWMARK },
    ]);
    const text = pinnedText(p.profile, resolved);
    expect(text).not.toBeNull();
    const again = accepted(text ?? '', 'wg0.conf');
    expect(profileServers(again.profile)).toEqual(['192.0.2.10']);
    expect(again.canonical).toBe(p.canonical.replace('vpn.example.test', '192.0.2.10'));
  });

  it('OpenVPN: every remote pinned, port and protocol kept; an address-only profile is left as it is', async () => {
    const seed = readFileSync(join(SEED, 'client.ovpn'), 'utf8');
    const p = accepted(seed.replace(/^remote .*$/m, 'remote vpn.example.test 1194 udp'), 'client.ovpn');
    const resolved = await resolveServers(profileServers(p.profile), resolver);
    const again = accepted(pinnedText(p.profile, resolved) ?? '', 'client.ovpn');
    expect(again.kind === 'openvpn' && again.profile.remotes.map((r) => [r.host, r.port, r.transport])).toEqual([['192.0.2.10', 1194, 'udp']]);
    expect(again.canonical).toBe(p.canonical.replace('vpn.example.test', '192.0.2.10'));
    const byAddress = accepted(wireguard('198.18.1.1:51820'), 'wg0.conf');
    expect(pinnedText(byAddress.profile, await resolveServers(profileServers(byAddress.profile), resolver))).toBeNull();
  });

  it('IKEv2: remote_addrs pinned; IKE and NAT-T ports allowed for the marked packets', async () => {
    const p = accepted(readFileSync(join(import.meta.dirname, '../fixtures/ikev2/swanctl/psk.swanctl.conf'), 'utf8'), 'psk.swanctl.conf');
    const resolved = await resolveServers(profileServers(p.profile), resolver);
    expect(profileEndpoints(p.profile, resolved).map((e) => e.protocol !== 'esp' && [e.address, e.port])).toEqual([['192.0.2.20', 500], ['192.0.2.20', 4500]]);
    const again = accepted(pinnedText(p.profile, resolved) ?? '', 'psk.swanctl.conf');
    expect(again.kind).toBe('ikev2');
    expect(profileServers(again.profile)).toEqual(['192.0.2.20']);
  });
});

/** The seed over TCP with `lines` in place of its remote: a profile that goes through proxies. */
function proxied(lines: string[]): InspectOk {
  const seed = readFileSync(join(SEED, 'client.ovpn'), 'utf8');
  return accepted(seed.replace(/^proto udp$/m, 'proto tcp').replace(/^remote .*$/m, lines.join('\n')), 'client.ovpn');
}

/** Resolves what the helper would, with a resolver that fails the connect on any name it was not meant to look up. */
async function resolve(p: InspectOk, lookedUp: string[] = []): Promise<Map<string, string[]>> {
  return resolveServers(hostsToResolve(p.profile), (host) => {
    lookedUp.push(host);
    return resolver(host);
  });
}

const tcp = (address: string, port: number) => ({ protocol: 'tcp', address, port, mark: TSUNAGU_FWMARK });

describe('OpenVPN through a proxy: the proxy is the endpoint, resolved and pinned; the remote behind it is not', () => {
  it('http-proxy: only the proxy name is looked up (the remote goes to the proxy as written), its addresses over TCP are the endpoints, the pinned text reads back the same but for it', async () => {
    const p = proxied(['remote hidden.example.test 443', 'http-proxy proxy.example.test 3128']);
    const lookedUp: string[] = [];
    const resolved = await resolve(p, lookedUp);
    expect(lookedUp).toEqual(['proxy.example.test']);
    expect(profileEndpoints(p.profile, resolved)).toEqual([tcp('192.0.2.80', 3128), tcp('2001:db8::80', 3128)]);
    const again = accepted(pinnedText(p.profile, resolved) ?? '', 'client.ovpn');
    expect(again.canonical).toBe(p.canonical.replace('http-proxy proxy.example.test', 'http-proxy 192.0.2.80'));
    // What the helper checks again on the pinned text: nothing left for openvpn to look up.
    expect(hostsToResolve(again.profile)).toEqual([{ host: '192.0.2.80', proxy: true }]);
    expect(killSwitchRefusal(p.profile, resolved)).toBeNull();
  });

  it('socks-proxy over TCP: port 1080 by default, the remote not looked up; UDP through SOCKS resolves the remote (openvpn does) but is refused under the kill switch', async () => {
    const p = proxied(['remote hidden.example.test 1194', 'socks-proxy socks.example.test']);
    expect(profileEndpoints(p.profile, await resolve(p))).toEqual([tcp('192.0.2.81', 1080)]);
    const udp = proxied(['remote vpn.example.org 1194 udp', 'socks-proxy socks.example.test 1081']);
    const resolved = await resolve(udp);
    expect([...resolved.keys()].sort()).toEqual(['socks.example.test', 'vpn.example.org']);
    expect(profileEndpoints(udp.profile, resolved)).toEqual([tcp('192.0.2.81', 1081)]);
    const again = accepted(pinnedText(udp.profile, resolved) ?? '', 'client.ovpn');
    expect(hostsToResolve(again.profile).map((n) => n.host).sort()).toEqual(['192.0.2.20', '192.0.2.81']);
    const refusal = killSwitchRefusal(udp.profile, resolved);
    expect(refusal).toMatchObject({ code: 'kill-switch-socks-udp' });
    expect(refusal?.userMessage.en).toContain('socks.example.test');
    expect(refusal?.userMessage.ja).toContain('socks.example.test');
  });

  it('<connection> blocks: a proxy set above a block is its default, one inside is its own, one below the last block is nobody\'s; a block without one connects directly', async () => {
    const p = proxied([
      '<connection>', 'remote b.example.test 443', 'socks-proxy socks.example.test', '</connection>',
      'http-proxy proxy.example.test 3128',
      '<connection>', 'remote a.example.test 443', '</connection>',
      'socks-proxy 192.0.2.99 1080',
    ]);
    const lookedUp: string[] = [];
    const resolved = await resolve(p, lookedUp);
    expect(lookedUp.sort()).toEqual(['proxy.example.test', 'socks.example.test']);
    expect(profileEndpoints(p.profile, resolved)).toEqual([tcp('192.0.2.81', 1080), tcp('192.0.2.80', 3128), tcp('2001:db8::80', 3128)]);
    const direct = proxied(['<connection>', 'remote vpn.example.org 443', '</connection>', 'http-proxy proxy.example.test 3128']);
    expect(profileEndpoints(direct.profile, await resolve(direct))).toEqual([tcp('192.0.2.20', 443)]);
  });

  it('http-proxy-override takes every TCP connection through its proxy and drops the UDP ones; with no TCP connection it is ignored', async () => {
    const mixed = proxied(['remote vpn.example.org 1194 udp', 'remote hidden.example.test 443 tcp-client', 'http-proxy-override proxy.example.test 8080']);
    expect(profileEndpoints(mixed.profile, await resolve(mixed))).toEqual([tcp('192.0.2.80', 8080), tcp('2001:db8::80', 8080)]);
    const again = accepted(pinnedText(mixed.profile, await resolve(mixed)) ?? '', 'client.ovpn');
    expect(again.canonical).toContain('http-proxy-override 192.0.2.80 8080');
    const udpOnly = proxied(['remote vpn.example.org 1194 udp', 'http-proxy-override proxy.example.test 8080']);
    expect(profileEndpoints(udpOnly.profile, await resolve(udpOnly))).toEqual([{ protocol: 'udp', address: '192.0.2.20', port: 1194, mark: TSUNAGU_FWMARK }]);
  });

  it('a proxy name that does not resolve fails at once with server-not-found naming the proxy (en/ja)', async () => {
    const p = proxied(['remote vpn.example.org 443', 'http-proxy proxy.invalid 3128']);
    const error = await resolve(p).then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'server-not-found', detail: expect.stringContaining('proxy.invalid') });
    const { en, ja } = (error as { userMessage: { en: string; ja: string } }).userMessage;
    expect(en).toMatch(/proxy name “proxy\.invalid” was not found/);
    expect(ja).toContain('プロキシ名「proxy.invalid」');
  });
});

describe('a proxy cannot open a hole in the kill switch', () => {
  it('a proxy on this computer is refused (loopback, by name too, unspecified, IPv4-mapped); a LAN proxy is allowed', async () => {
    for (const host of ['127.0.0.1', 'localhost', '0.0.0.0', '::', '::ffff:127.0.0.1']) {
      const p = proxied(['remote vpn.example.org 443', `http-proxy ${host} 3128`]);
      expect(killSwitchRefusal(p.profile, await resolve(p)), host).toMatchObject({ code: 'kill-switch-local-proxy', userMessage: { en: expect.stringContaining(host), ja: expect.stringContaining(host) } });
    }
    const lan = proxied(['remote vpn.example.org 443', 'http-proxy 10.1.2.3 3128']);
    expect(killSwitchRefusal(lan.profile, await resolve(lan))).toBeNull();
  });

  it('every proxy endpoint carries the mark, also on port 53, and comes before the DNS rule; an IPv4-mapped proxy is an IPv4 rule', async () => {
    const p = proxied(['remote vpn.example.org 443', 'http-proxy ::ffff:198.18.1.1 53']);
    const endpoints = profileEndpoints(p.profile, await resolve(p));
    expect(endpoints).toEqual([tcp('198.18.1.1', 53)]);
    const plan = planRuleset({ mode: 'tunnel', tunnelInterfaces: ['tun0'], endpoints, allowLan: false, dnsServers: [], tunnelAddresses: [] });
    const output = plan?.chains.find((c) => c.name === 'output')?.rules ?? [];
    const at = output.findIndex((r) => r.comment === 'endpoint tcp 198.18.1.1 53 (marked)');
    expect(output[at]?.matches).toContainEqual({ key: 'meta mark', op: '==', values: [String(TSUNAGU_FWMARK)] });
    expect(at).toBeLessThan(output.findIndex((r) => r.comment === 'dns elsewhere'));
  });

  it('many proxies: at most 32 endpoints, all TCP and marked', async () => {
    const blocks = Array.from({ length: 40 }, (_, i) => ['<connection>', `remote vpn${i}.example.test 443`, `http-proxy 192.0.2.${i + 100} 3128`, '</connection>']).flat();
    const p = proxied(blocks);
    const endpoints = profileEndpoints(p.profile, await resolve(p));
    expect(endpoints).toHaveLength(32);
    expect(endpoints.every((e) => e.protocol === 'tcp' && e.port === 3128 && e.mark === TSUNAGU_FWMARK)).toBe(true);
  });
});
