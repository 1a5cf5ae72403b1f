// Every WireGuard lab scenario, proven with plain wg-quick (userspace wireguard-go) in the client namespace.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADDR, ping, pingUntil, run, wgIfaceOf, wgPeers, wgQuickDown, wgQuickUp } from '../lab/index.js';
import { expectIsolated, expectThroughTunnel, labSuite } from '../lab/suite.js';

const lab = labSuite();

async function ipOut(netns: string, args: string[]): Promise<string> {
  return (await run('ip', ['-n', netns, ...args])).stdout;
}

describe('lab: WireGuard scenarios (wg-quick + wireguard-go)', () => {
  it('wireguard-split: only the tunnel and protected subnets go through the tunnel', async () => {
    const inst = await lab.up('wireguard-split');
    const iface = wgIfaceOf(inst.profile);
    expect(readFileSync(inst.profile, 'utf8')).toMatch(/^AllowedIPs = 198\.18\.9\.0\/24, fd74:736c:9::\/64, 198\.18\.2\.0\/24$/m);
    await expectIsolated(inst);
    await wgQuickUp(inst);
    await expectThroughTunnel(inst);
    const [peer] = await wgPeers(inst.clientNetns, iface);
    expect(peer?.latestHandshake).toBeGreaterThan(0);
    // The default route still points at the underlay gateway: a split tunnel.
    expect(await ipOut(inst.clientNetns, ['route', 'show', 'default'])).toMatch(/^default via 198\.18\.1\.1 /);
    expect(await ipOut(inst.clientNetns, ['route', 'show', '198.18.2.0/24'])).toContain(`dev ${iface}`);
    await wgQuickDown(inst);
    expect(await ping(inst.clientNetns, inst.protectedHostIp, { waitS: 1 })).toBe(false);
    await lab.down(inst);
  });

  it('wireguard-full: 0.0.0.0/0 and ::/0 through the tunnel', async () => {
    const inst = await lab.up('wireguard-full');
    const iface = wgIfaceOf(inst.profile);
    expect(readFileSync(inst.profile, 'utf8')).toMatch(/^AllowedIPs = 0\.0\.0\.0\/0, ::\/0$/m);
    await expectIsolated(inst);
    await wgQuickUp(inst);
    await expectThroughTunnel(inst);
    // wg-quick's full-tunnel routing: table 51820 with the default route, fwmark rule, for both families.
    expect(await ipOut(inst.clientNetns, ['route', 'show', 'table', '51820'])).toMatch(new RegExp(`^default dev ${iface}`, 'm'));
    expect(await ipOut(inst.clientNetns, ['-6', 'route', 'show', 'table', '51820'])).toMatch(new RegExp(`^default dev ${iface}`, 'm'));
    expect(await ipOut(inst.clientNetns, ['rule', 'show'])).toMatch(/not from all fwmark 0xca6c lookup 51820/);
    expect(await ping(inst.clientNetns, ADDR.wgServer6)).toBe(true);
    await wgQuickDown(inst);
    await lab.down(inst);
  });

  it('wireguard-dns: DNS = lands in the namespace resolv.conf, never the host one', async () => {
    const inst = await lab.up('wireguard-dns');
    const hostResolv = readFileSync('/etc/resolv.conf');
    const nsResolv = () => run('ip', ['netns', 'exec', inst.clientNetns, 'cat', '/etc/resolv.conf']).then((r) => r.stdout);
    expect(await nsResolv()).not.toMatch(/nameserver/);
    await expectIsolated(inst);
    await wgQuickUp(inst);
    await expectThroughTunnel(inst);
    const resolv = await nsResolv();
    expect(resolv).toMatch(new RegExp(`^nameserver ${ADDR.dnsServer.replace(/\./g, '\\.')}$`, 'm'));
    expect(resolv).toMatch(/^search lab\.test$/m);
    expect(readFileSync(`/etc/netns/${inst.clientNetns}/resolv.conf`, 'utf8')).toBe(resolv);
    expect(readFileSync('/etc/resolv.conf').equals(hostResolv)).toBe(true);
    await wgQuickDown(inst);
    expect(await nsResolv()).not.toMatch(/nameserver/);
    expect(readFileSync('/etc/resolv.conf').equals(hostResolv)).toBe(true);
    await lab.down(inst);
  });

  it('wireguard-badkey: the interface comes up but no handshake ever completes', async () => {
    const inst = await lab.up('wireguard-badkey');
    const iface = wgIfaceOf(inst.profile);
    await expectIsolated(inst);
    await wgQuickUp(inst);
    expect(await pingUntil(inst.clientNetns, inst.tunnelPeerIp, 3000)).toBe(false);
    const [peer] = await wgPeers(inst.clientNetns, iface);
    expect(peer?.tx).toBeGreaterThan(0); // handshake initiations went out...
    expect(peer?.latestHandshake).toBe(0); // ...and none was answered
    expect(peer?.rx).toBe(0);
    const [serverSide] = await wgPeers(`${inst.id}-s`, `${inst.id}-ws`);
    expect(serverSide?.latestHandshake).toBe(0);
    await wgQuickDown(inst);
    await lab.down(inst);
  });
});
