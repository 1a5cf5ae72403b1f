/**
 * Server names resolved before anything is blocked, and the profile pinned to the addresses
 * (firewall/endpoints.ts): every kind's text written again reads back with the addresses in place
 * of the names and nothing else changed; a name that does not resolve fails at once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pinnedText, profileEndpoints, resolveServers, type Resolver } from '../../electron/helper/firewall/endpoints.js';
import { TSUNAGU_FWMARK } from '../../electron/helper/firewall/intent.js';
import { inspectProfile, profileServers, type InspectOk } from '../../shared/profiles/inspect.js';

const SEED = join(import.meta.dirname, '../fixtures/seed');
const table: Record<string, string[]> = { 'vpn.example.test': ['192.0.2.10', '2001:db8::10'], 'vpn.example.org': ['192.0.2.20'] };
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
