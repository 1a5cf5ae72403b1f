// Companions: servers of several families in one instance's server namespace, each reached with
// the plain tools from the instance's one client namespace; teardown leaves nothing of any of them.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ADDR,
  companionInfo,
  connectClient,
  fault,
  get,
  OpenvpnClient,
  ping,
  serverRunning,
  wgIfaceOf,
  wgPeers,
  wgQuickDown,
  wgQuickUp,
  type LabInstance,
} from '../lab/index.js';
import { expectIsolated, expectThroughTunnel, labSuite } from '../lab/suite.js';

const lab = labSuite();

function companionRunning(inst: LabInstance, index: number): boolean {
  const record = get(inst.id);
  const companion = record.companions?.[index];
  return companion !== undefined && serverRunning(record, companion.server);
}

function wireguardSockets(id: string): string[] {
  try {
    return readdirSync('/var/run/wireguard').filter((f) => f.startsWith(`${id}-`));
  } catch {
    return [];
  }
}

describe('lab: companions (servers of several families in one instance)', () => {
  it('openvpn-udp with wireguard-split: plain openvpn, then plain wg-quick, from the one client namespace', async () => {
    const inst = await lab.up('openvpn-udp', { with: ['wireguard-split'] });
    expect(inst.companions?.map((c) => c.scenario)).toEqual(['wireguard-split']);
    expect(inst.companions?.[0]?.dir).toBe(`${inst.dir}/wireguard-split`);
    const wg = companionInfo(inst, 'wireguard-split');
    expect(wg).toMatchObject({ id: inst.id, clientNetns: inst.clientNetns, protectedHostIp: inst.protectedHostIp, tunnelPeerIp: ADDR.wgServer });
    expect(wg.profile.startsWith(`${inst.dir}/wireguard-split/`)).toBe(true);
    expect(serverRunning(get(inst.id))).toBe(true);
    expect(companionRunning(inst, 0)).toBe(true);

    await expectIsolated(inst);
    await expectIsolated(wg);

    const ovpn = OpenvpnClient.spawn(inst);
    await ovpn.waitConnected();
    await expectThroughTunnel(inst);
    await ovpn.stop();
    expect(await ping(inst.clientNetns, inst.protectedHostIp, { waitS: 1 })).toBe(false);

    await wgQuickUp(wg);
    await expectThroughTunnel(wg);
    const [peer] = await wgPeers(wg.clientNetns, wgIfaceOf(wg.profile));
    expect(peer?.latestHandshake).toBeGreaterThan(0);
    await wgQuickDown(wg);
    expect(await ping(inst.clientNetns, inst.protectedHostIp, { waitS: 1 })).toBe(false);

    await lab.down(inst); // asserts leftovers() is empty: processes, namespaces, sockets, the state dir
    expect(wireguardSockets(inst.id)).toEqual([]);
  });

  it('stop acts on the primary server only; teardown with the companion tunnel still up leaves nothing', async () => {
    const inst = await lab.up('openvpn-udp', { with: ['wireguard-split'] });
    await fault(inst.id, 'stop');
    expect(serverRunning(get(inst.id))).toBe(false);
    expect(companionRunning(inst, 0)).toBe(true);
    const wg = companionInfo(inst, 'wireguard-split');
    await wgQuickUp(wg);
    await expectThroughTunnel(wg);
    // The client's and the server's wireguard-go (and their UAPI sockets) go with the instance.
    expect(wireguardSockets(inst.id).sort()).toEqual([`${inst.id}-wc.sock`, `${inst.id}-ws.sock`]);
    await lab.down(inst);
    expect(wireguardSockets(inst.id)).toEqual([]);
  });

  it('wireguard-split with openvpn-tcp and ikev2-psk: each server in turn', async () => {
    const inst = await lab.up('wireguard-split', { with: ['openvpn-tcp', 'ikev2-psk'] });
    for (const scenario of ['wireguard-split', 'openvpn-tcp', 'ikev2-psk'] as const) {
      const info = companionInfo(inst, scenario);
      await expectIsolated(info);
      const conn = await connectClient(info);
      await expectThroughTunnel(info);
      await conn.disconnect();
    }
    await lab.down(inst);
  });
});
