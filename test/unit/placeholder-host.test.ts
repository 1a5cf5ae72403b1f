/**
 * The import advisory for a server name that cannot be a real host (issue 15): the seed's
 * `remote vpn-server-ip`, template words, reserved domains — and no false positive on the
 * real-world corpus, where every profile from a real provider names a real server.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderFileSource } from '../../electron/main/profile-sources.js';
import type { ProfileFileSource } from '../../shared/profiles/openvpn/inliner.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { placeholderHostReason } from '../../shared/profiles/placeholder-host.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');
const CORPUS = join(FIXTURES, 'real-world');
const WG_KEY = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const WG_PEER = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';

const seedFile = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, 'seed', name)));
const STATIC_KEY = new TextEncoder().encode(`-----BEGIN OpenVPN Static key V1-----\n${Array.from({ length: 16 }, (_, i) => i.toString(16).repeat(32)).join('\n')}\n-----END OpenVPN Static key V1-----\n`);

/**
 * Most corpus profiles name certificate and key files their source did not publish: the folder's
 * files first, then a stub of the kind the name suggests, so the profile's options are judged.
 */
function withStubs(folder: string): ProfileFileSource {
  const real = folderFileSource(folder);
  return {
    description: real.description,
    read(name) {
      const found = real.read(name);
      if (found) return found;
      if (/(^|[^a-z])ta\.key$|tls|static/i.test(name)) return STATIC_KEY;
      if (/\.key$/i.test(name)) return seedFile('client.key');
      if (/pass|auth|cred|login|\.txt$/i.test(name)) return new TextEncoder().encode('user\npassword\n');
      return seedFile('ca.crt');
    },
  };
}

function wireGuard(endpoint: string): string {
  return `[Interface]\nPrivateKey = ${WG_KEY}\nAddress = 10.0.0.2/32\n\n[Peer]\nPublicKey = ${WG_PEER}\nAllowedIPs = 10.0.0.0/24\nEndpoint = ${endpoint}\n`;
}

describe('placeholderHostReason', () => {
  it.each([
    ['vpn-server-ip', 'template'],
    ['VPN_SERVER_IP', 'template'],
    ['server-address', 'template'],
    ['your.server.com', 'template'],
    ['vpn.yourdomain.com', 'template'],
    ['your-vpn-server.net', 'template'],
    ['my-server-1', 'template'],
    ['xxx.xxx.xxx.xxx', 'template'],
    ['hostname', 'template'],
    ['server', 'no-dot'],
    ['office', 'no-dot'],
    ['vpn.example.com', 'reserved'],
    ['example.org', 'reserved'],
    ['gw.corp.example', 'reserved'],
    ['host.invalid', 'reserved'],
    ['<server>', 'not-a-name'],
    ['server ip', 'not-a-name'],
    ['vpn..example.net', 'not-a-name'],
  ])('%s cannot be a real host (%s)', (host, reason) => {
    expect(placeholderHostReason(host)).toBe(reason);
  });

  it.each([
    '203.0.113.5', '10.0.0.1', '2001:db8::1', 'fe80::1%eth0', 'localhost', 'vpn.localhost',
    'nl.ovpn.isvpn.net', 'jp-tok-st022.prod.surfshark.com', 'engage.cloudflareclient.com', 'test.server.com',
    'vpn.company.co.jp', 'myserver.net', 'my.vpn.net', 'mysite-vpn.org', 'example.com.au', 'a-b_c.d',
  ])('%s may be a real host', (host) => {
    expect(placeholderHostReason(host)).toBeNull();
  });
});

describe('the placeholder-server advisory at import', () => {
  it("the seed's client profile (remote vpn-server-ip) gets it on the remote's line, in both languages", () => {
    const seed = join(FIXTURES, 'seed');
    const result = inspectProfile(readFileSync(join(seed, 'client.ovpn')), { fileName: 'client.ovpn', files: folderFileSource(seed) });
    expect(result.ok).toBe(true);
    const advisory = result.advisories.find((a) => a.code === 'OVPN_PLACEHOLDER_SERVER');
    expect(advisory).toMatchObject({ severity: 'warning', line: 4 });
    expect(advisory?.message.en).toContain("the server name 'vpn-server-ip' cannot be a real host");
    expect(advisory?.message.ja).toContain("サーバー名 'vpn-server-ip' は実在のホスト名ではありません");
  });

  it('a remote in a <connection> block is checked too, each name once', () => {
    const ca = readFileSync(join(FIXTURES, 'seed', 'ca.crt'), 'utf8');
    const text = 'client\ndev tun\nauth-user-pass\n<connection>\nremote vpn-server-ip 1194 udp\n</connection>\n<connection>\nremote vpn-server-ip 443 tcp\n</connection>\n<connection>\nremote vpn.real-provider.net 443 tcp\n</connection>\n<ca>\n' + ca + '</ca>\n';
    const result = inspectProfile(text, { fileName: 'blocks.ovpn' });
    expect(result.errors).toEqual([]);
    const found = result.advisories.filter((a) => a.code === 'OVPN_PLACEHOLDER_SERVER');
    expect(found.map((a) => a.message.en)).toEqual([expect.stringContaining("'vpn-server-ip'")]);
  });

  it('a WireGuard Endpoint that is a placeholder gets WG_PLACEHOLDER_ENDPOINT on its line; a real one does not', () => {
    const placeholder = inspectProfile(wireGuard('your.server.com:51820'), { fileName: 'wg.conf' });
    expect(placeholder.ok).toBe(true);
    expect(placeholder.advisories.filter((a) => a.code === 'WG_PLACEHOLDER_ENDPOINT')).toEqual([expect.objectContaining({ severity: 'warning', line: 8 })]);
    const real = inspectProfile(wireGuard('203.0.113.5:51820'), { fileName: 'wg.conf' });
    expect(real.ok).toBe(true);
    expect(real.advisories.some((a) => a.code === 'WG_PLACEHOLDER_ENDPOINT')).toBe(false);
  });

  it('no profile of the real-world corpus gets it, except the templates whose server is a template word', () => {
    const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as { files: Array<{ path: string }> };
    const flagged: Array<[string, string]> = [];
    let accepted = 0;
    for (const file of manifest.files) {
      const path = join(CORPUS, file.path);
      const result = inspectProfile(readFileSync(path), { fileName: basename(path), files: withStubs(dirname(path)) });
      if (result.ok) accepted += 1;
      for (const a of result.advisories) {
        if (a.code === 'OVPN_PLACEHOLDER_SERVER' || a.code === 'WG_PLACEHOLDER_ENDPOINT') flagged.push([file.path, /'([^']+)'/.exec(a.message.en)?.[1] ?? '']);
      }
    }
    // The corpus must still exercise the check: most of it imports.
    expect(accepted).toBeGreaterThan(120);
    // Each one is a template: OpenVPN's own sample client.conf (and the variants derived from it),
    // two how-tos and a Docker image's example; no provider's profile is among them.
    const hosts = new Map(flagged.map(([path, host]) => [path.startsWith('openvpn/derived/client-') ? 'openvpn/derived/client-*' : path, host]));
    expect(Object.fromEntries(hosts)).toEqual({
      'openvpn/derived/client-*': 'my-server-1',
      'openvpn/openvpn-sample/sample-config-files/client.conf': 'my-server-1',
      'openvpn/chromebook-openvpn/client.ovpn': 'your-domain.com',
      'openvpn/docker-openvpn-ipv6/client.ovpn': 'example.org',
      'openvpn/openvpn-tls-0xseb/client.ovpn': '<IP_SERVEUR>',
    });
  });
});
