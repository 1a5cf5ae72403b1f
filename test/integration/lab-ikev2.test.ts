// The IKEv2 lab scenarios, proven with a plain charon + swanctl (kernel-libipsec) in the client namespace.
import { describe, expect, it } from 'vitest';
import { ADDR, IkeClient, ping, readIkeProfile, run, type LabInstance } from '../lab/index.js';
import { expectIsolated, labSuite } from '../lab/suite.js';

const lab = labSuite();

async function connectAndPing(inst: LabInstance): Promise<IkeClient> {
  const client = await IkeClient.start(inst);
  const r = await client.initiate();
  expect(r.stdout).toMatch(/CHILD_SA lab\{\d+\} established/);
  expect(r.code).toBe(0);
  // The virtual IP from the server's pool sits on libipsec's TUN device.
  const addr = await run('ip', ['-n', inst.clientNetns, '-4', '-o', 'addr', 'show']);
  expect(addr.stdout).toMatch(/ipsec0\s+inet 198\.18\.10\.\d+\/32/);
  expect(await ping(inst.clientNetns, inst.protectedHostIp)).toBe(true);
  expect(await ping(inst.clientNetns, inst.tunnelPeerIp)).toBe(true);
  return client;
}

describe('lab: IKEv2 scenarios (strongSwan, kernel-libipsec)', () => {
  it('ikev2-psk: pre-shared key, virtual IP from the pool', async () => {
    const inst = await lab.up('ikev2-psk');
    const profile = readIkeProfile(inst);
    expect(profile).toMatchObject({ auth: 'psk', server: ADDR.serverUnderlay, serverId: ADDR.ikeServerId, psk: inst.credentials.psk });
    await expectIsolated(inst);

    const wrong = await IkeClient.start(inst, { psk: `${inst.credentials.psk ?? ''}x` });
    const r = await wrong.initiate(5);
    expect(r.code).not.toBe(0);
    await wrong.stop();

    const client = await connectAndPing(inst);
    const sas = await client.swanctl(['--list-sas']);
    expect(sas.stdout).toMatch(/ESTABLISHED/);
    await client.stop();
    await lab.down(inst);
  });

  it('ikev2-eap: EAP-MSCHAPv2 username/password against a server certificate', async () => {
    const inst = await lab.up('ikev2-eap');
    const { good, bad } = inst.credentials;
    if (!good || !bad) throw new Error('credentials missing');
    const profile = readIkeProfile(inst);
    expect(profile).toMatchObject({ auth: 'eap-mschapv2', eap: good, serverId: ADDR.ikeServerId });
    expect(profile.caCert && inst.extraFiles.includes(profile.caCert)).toBe(true);
    await expectIsolated(inst);

    const wrong = await IkeClient.start(inst, { eap: bad });
    const r = await wrong.initiate(5);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE/);
    await wrong.stop();

    const client = await connectAndPing(inst);
    await client.stop();
    await lab.down(inst);
  });
});
