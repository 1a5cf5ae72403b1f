// Fault controls on running scenarios, observed from plain clients.
import { describe, expect, it } from 'vitest';
import { fault, get, IkeClient, isAlive, OpenvpnClient, ping, pingUntil, run, serverRunning, wgQuickDown, wgQuickUp } from '../lab/index.js';
import { labSuite } from '../lab/suite.js';

const lab = labSuite();

describe('lab: fault controls', () => {
  it('openvpn-udp: drop/restore, link-down/up, restart, stop/start, kill/start', async () => {
    const inst = await lab.up('openvpn-udp');
    const reachable = (waitS = 1) => ping(inst.clientNetns, inst.protectedHostIp, { waitS });
    const recovers = (ms: number) => pingUntil(inst.clientNetns, inst.protectedHostIp, ms);
    const client = OpenvpnClient.spawn(inst);
    const connects = () => (client.output.match(/Initialization Sequence Completed/g) ?? []).length;
    await client.waitConnected();
    expect(await reachable()).toBe(true);

    await fault(inst.id, 'drop');
    expect(get(inst.id).faults.dropped).toBe(true);
    const nft = await run('ip', ['netns', 'exec', `${inst.id}-s`, 'nft', 'list', 'table', 'inet', 'tsl_fault']);
    expect(nft.stdout).toMatch(/drop/);
    expect(await reachable()).toBe(false);
    await fault(inst.id, 'restore');
    expect(get(inst.id).faults.dropped).toBe(false);
    expect(await recovers(5000)).toBe(true);

    await fault(inst.id, 'link-down');
    const link = await run('ip', ['-n', inst.clientNetns, 'link', 'show', `${inst.id}-uc`]);
    expect(link.stdout).toMatch(/NO-CARRIER/);
    expect(await reachable()).toBe(false);
    await fault(inst.id, 'link-up');
    expect(await recovers(5000)).toBe(true);

    // Graceful restart: explicit-exit-notify tells the client, which reconnects by itself.
    const firstPid = get(inst.id).server.pid;
    await fault(inst.id, 'restart');
    expect(get(inst.id).server.pid).not.toBe(firstPid);
    expect(serverRunning(get(inst.id))).toBe(true);
    expect(await recovers(15_000)).toBe(true);
    expect(connects()).toBe(2);

    await fault(inst.id, 'stop');
    expect(serverRunning(get(inst.id))).toBe(false);
    expect(await reachable()).toBe(false);
    await fault(inst.id, 'start');
    expect(serverRunning(get(inst.id))).toBe(true);
    expect(await recovers(15_000)).toBe(true);
    expect(connects()).toBe(3);

    // SIGKILL: nobody tells the client; it notices by ping-restart (pushed keepalive 2 10).
    const pid = get(inst.id).server.pid;
    await fault(inst.id, 'kill');
    expect(serverRunning(get(inst.id))).toBe(false);
    expect(pid).toBeTypeOf('number');
    expect(isAlive(pid ?? 0)).toBe(false);
    expect(await reachable()).toBe(false);
    await fault(inst.id, 'start');
    expect(await recovers(30_000)).toBe(true);
    expect(client.output).toMatch(/Inactivity timeout \(--ping-restart\), restarting/);
    await client.stop();
    await lab.down(inst);
  });

  it('wireguard-split: kill and start the server; the client handshakes again by itself', async () => {
    const inst = await lab.up('wireguard-split');
    await wgQuickUp(inst);
    expect(await ping(inst.clientNetns, inst.protectedHostIp)).toBe(true);
    await fault(inst.id, 'kill');
    expect(serverRunning(get(inst.id))).toBe(false);
    expect(await ping(inst.clientNetns, inst.protectedHostIp, { waitS: 1 })).toBe(false);
    await fault(inst.id, 'start');
    expect(serverRunning(get(inst.id))).toBe(true);
    // The new server has no session: the client re-handshakes after its keepalive+rekey timeouts (~15 s).
    expect(await pingUntil(inst.clientNetns, inst.protectedHostIp, 40_000)).toBe(true);
    await wgQuickDown(inst);
    await lab.down(inst);
  });

  it('ikev2-psk: restart and kill the server; the client initiates again', async () => {
    const inst = await lab.up('ikev2-psk');
    const client = await IkeClient.start(inst);
    expect((await client.initiate()).code).toBe(0);
    expect(await ping(inst.clientNetns, inst.protectedHostIp)).toBe(true);

    await fault(inst.id, 'restart'); // the stopping charon deletes its SAs at the client
    expect(await ping(inst.clientNetns, inst.protectedHostIp, { waitS: 1 })).toBe(false);
    expect((await client.initiate()).code).toBe(0);
    expect(await ping(inst.clientNetns, inst.protectedHostIp)).toBe(true);

    await fault(inst.id, 'kill'); // no DELETE this time: the client's SA goes stale
    await fault(inst.id, 'start');
    expect(await ping(inst.clientNetns, inst.protectedHostIp, { waitS: 1 })).toBe(false);
    await client.swanctl(['--terminate', '--ike', 'lab', '--force', '--timeout', '1']);
    expect((await client.initiate()).code).toBe(0);
    expect(await ping(inst.clientNetns, inst.protectedHostIp)).toBe(true);
    await client.stop();
    await lab.down(inst);
  });
});
