import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { translateNetworkManager, type Translation } from '../../shared/profiles/networkmanager/index.js';

const DIR = join(import.meta.dirname, '../fixtures/networkmanager/wireguard');
const fixture = (name: string) => readFileSync(join(DIR, name), 'utf8');

const PRIVATE = 'qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=';
const SERVER = 'm58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=';

function ok(t: Translation | null): Extract<Translation, { ok: true }> {
  if (!t?.ok) throw new Error(`not translated: ${JSON.stringify(t)}`);
  return t;
}
function refused(t: Translation | null): Extract<Translation, { ok: false }> {
  if (!t || t.ok) throw new Error(`not refused: ${JSON.stringify(t)}`);
  return t;
}

const keyfile = (wireguard: string, peer = `[wireguard-peer.${SERVER}]\nendpoint=192.0.2.1:51820\nallowed-ips=0.0.0.0/0;\n`, ipv4 = '[ipv4]\naddress1=10.0.0.2/32\nmethod=manual\n') =>
  `[connection]\nid=wg\ntype=wireguard\n\n[wireguard]\nprivate-key=${PRIVATE}\n${wireguard}\n${peer}\n${ipv4}`;

describe('NetworkManager WireGuard connections become wg-quick configurations', () => {
  it('translates a real keyfile, and the WireGuard inspector accepts the result', () => {
    const source = fixture('home-office.nmconnection');
    const t = ok(translateNetworkManager(source, 'home-office.nmconnection'));
    expect(t.kind).toBe('wireguard');
    expect(t.name).toBe('home-office');
    const publicKey = /^\[wireguard-peer\.(.+)\]$/m.exec(source)?.[1];
    const privateKey = /^private-key=(.+)$/m.exec(source)?.[1];
    expect(t.text).toContain('[Interface]');
    expect(t.text).toContain(`PrivateKey = ${privateKey ?? '?'}`);
    expect(t.text).toContain('MTU = 1420');
    expect(t.text).toContain('Address = 10.60.0.7/32');
    expect(t.text).toContain('DNS = 10.60.0.1, home.example.test');
    expect(t.text).toContain(`PublicKey = ${publicKey ?? '?'}`);
    expect(t.text).toContain('AllowedIPs = 10.60.0.0/16, 192.168.50.0/24');
    expect(t.text).toContain('Endpoint = vpn.example.test:51820');
    expect(t.text).toContain('PersistentKeepalive = 25');
    expect(t.text).toMatch(/^PresharedKey = /m);

    const r = inspectProfile(t.text, { fileName: 'home-office.conf' });
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.kind).toBe('wireguard');
    if (r.ok && r.profile?.kind === 'wireguard') {
      expect(r.profile.peers[0]?.allowedIPs).toEqual(['10.60.0.0/16', '192.168.50.0/24']);
      expect(r.profile.interface.dns).toEqual({ servers: ['10.60.0.1'], searchDomains: ['home.example.test'] });
    }
  });

  it('refuses a firewall mark as the WireGuard format does, at the keyfile line', () => {
    const t = refused(translateNetworkManager(keyfile('fwmark=51820'), undefined));
    expect(t.kind).toBe('wireguard');
    expect(t.errors.map((e) => [e.code, e.line])).toEqual([['WG_FWMARK_REFUSED', 7]]);
    expect(t.errors[0]?.message.en).toMatch(/^Line 7: FwMark/);
    expect(t.errors[0]?.message.ja).toMatch(/^7 行目: /);
    // fwmark=0 is NetworkManager's "no mark".
    expect(ok(translateNetworkManager(keyfile('fwmark=0'), undefined)).text).not.toContain('FwMark');
  });

  it('checks keys, endpoints and allowed IPs with the WireGuard rules, each at its keyfile line', () => {
    const t = refused(translateNetworkManager(keyfile('mtu=70000', `[wireguard-peer.not-a-key]\nendpoint=192.0.2.1\nallowed-ips=10.0.0.0/33;\n`), undefined));
    expect(t.errors.map((e) => [e.code, e.line])).toEqual([
      ['WG_INVALID_MTU', 7], ['WG_KEY_INVALID', 8], ['WG_ENDPOINT_MISSING_PORT', 9], ['WG_INVALID_PREFIX', 10],
    ]);
  });

  it('turns peer-routes=false into Table = off, and a listen port into ListenPort', () => {
    const t = ok(translateNetworkManager(keyfile('peer-routes=false\nlisten-port=51900'), undefined));
    expect(t.text).toContain('Table = off');
    expect(t.text).toContain('ListenPort = 51900');
    expect(inspectProfile(t.text).errors).toEqual([]);
  });

  it('warns that never-default no longer keeps a 0.0.0.0/0 peer from taking all traffic', () => {
    const t = ok(translateNetworkManager(keyfile('', undefined, '[ipv4]\naddress1=10.0.0.2/32\nmethod=manual\nnever-default=true\n'), undefined));
    const a = t.advisories.find((x) => x.code === 'NM_KEY_IGNORED');
    expect(a?.severity).toBe('warning');
    expect(a?.line).toBe(15);
  });

  it('explains a private key kept in a keyring instead of the file', () => {
    const text = `[connection]\nid=wg\ntype=wireguard\n\n[wireguard]\nprivate-key-flags=1\n\n[wireguard-peer.${SERVER}]\nendpoint=192.0.2.1:51820\nallowed-ips=0.0.0.0/0;\n`;
    const t = refused(translateNetworkManager(text, undefined));
    expect(t.errors.map((e) => [e.code, e.line])).toEqual([['NM_SECRET_NOT_STORED', 5]]);
    expect(t.errors[0]?.message.en).toContain('nmcli connection export');
  });

  it('refuses a connection with no peer', () => {
    const t = refused(translateNetworkManager(keyfile('', '', ''), undefined));
    expect(t.errors.map((e) => e.code)).toEqual(['NM_MISSING_KEY']);
  });

  it("lets the WireGuard inspector's own checks run on the translation (a server configuration is still refused)", () => {
    const t = ok(translateNetworkManager(keyfile('listen-port=51820', `[wireguard-peer.${SERVER}]\nallowed-ips=10.0.0.9/32;\n`), undefined));
    const r = inspectProfile(t.text);
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => e.code)).toEqual(['POLICY_SERVER_CONFIG']);
  });
});
