// The VICI client against a real charon 5.9.8 (kernel-libipsec, private /run) in the lab's client
// namespace, connecting to the lab's ikev2-psk server: everything configured over VICI only.
import { afterEach, describe, expect, it } from 'vitest';
import { ViciClient, type ViciClientError } from '../../electron/helper/drivers/ikev2/vici/client.js';
import type { ViciSection } from '../../electron/helper/drivers/ikev2/vici/codec.js';
import { ViciCommands, parseUpDown, type ControlLog, type IkeSaSummary } from '../../electron/helper/drivers/ikev2/vici/commands.js';
import { pskConn, startViciCharon, type ViciCharon } from '../fixtures/vici/lab-charon.js';
import { ADDR, ping, run, type LabInstance } from '../lab/index.js';
import { labSuite } from '../lab/suite.js';

const lab = labSuite();
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function charonFor(inst: LabInstance): Promise<{ charon: ViciCharon; client: ViciClient; vici: ViciCommands }> {
  const charon = await startViciCharon(inst);
  cleanups.push(() => charon.stop());
  const client = await ViciClient.connect(charon.socket, { timeoutMs: 5000 });
  cleanups.push(() => client.close());
  return { charon, client, vici: new ViciCommands(client) };
}

function ok<T>(r: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!r.ok) throw r.error;
  return r.value;
}

async function onlySa(vici: ViciCommands): Promise<IkeSaSummary> {
  const sas = ok(await vici.listSas());
  expect(sas).toHaveLength(1);
  const [sa] = sas;
  if (!sa) throw new Error('no SA');
  return sa;
}

describe('VICI client against a real charon', () => {
  it('configures, initiates, reports state and counters, terminates, and sees the up/down events', async () => {
    const inst = await lab.up('ikev2-psk');
    const { charon, client, vici } = await charonFor(inst);
    const events = await ViciClient.connect(charon.socket, { timeoutMs: 5000 });
    cleanups.push(() => events.close());
    const updown: { name: string; msg: ViciSection }[] = [];
    await events.listen(['ike-updown', 'child-updown'], (name, msg) => updown.push({ name, msg }));

    const version = ok(await vici.version());
    expect(version).toMatchObject({ daemon: 'charon', sysname: 'Linux' });
    expect(version.version).toMatch(/^\d+\.\d+\.\d+/);

    ok(await vici.loadShared({ type: 'IKE', data: inst.credentials.psk ?? '', owners: [ADDR.ikeClientId, ADDR.ikeServerId] }));
    ok(await vici.loadConn('lab', pskConn()));
    expect(ok(await vici.getConns())).toEqual(['lab']);
    expect(ok(await vici.listConns())).toEqual([{ name: 'lab', version: 'IKEv2', localAddrs: ['%any'], remoteAddrs: [ADDR.serverUnderlay], children: ['lab'] }]);
    const broken = await vici.loadConn('broken', { local: { auth: 'no-such-auth' } });
    expect(broken.ok ? null : broken.error.errmsg).toBe('invalid value for: auth, config discarded');
    const missing = await vici.initiate({ child: 'no-such-child', timeout: 5000 });
    expect(missing.ok ? null : missing.error.errmsg).toBe("CHILD_SA config 'no-such-child' not found");
    expect(ok(await vici.listSas())).toEqual([]);

    const logs: ControlLog[] = [];
    ok(await vici.initiate({ child: 'lab', timeout: 10_000 }, (l) => logs.push(l)));
    const messages = logs.map((l) => l.msg);
    expect(messages[0]).toBe(`initiating IKE_SA lab[1] to ${ADDR.serverUnderlay}`);
    expect(messages).toContainEqual(expect.stringMatching(/^installing new virtual IP 198\.18\.10\.\d+$/));
    expect(messages.at(-1)).toMatch(/^CHILD_SA lab\{1\} established with SPIs /);
    expect(logs.every((l) => l.ikeSaName === 'lab' && l.level !== null && l.level <= 1)).toBe(true);

    const sa = await onlySa(vici);
    expect(sa).toMatchObject({ name: 'lab', version: 2, state: 'ESTABLISHED', remoteHost: ADDR.serverUnderlay, localHost: ADDR.clientUnderlay, initiator: true });
    expect(sa.establishedSeconds).not.toBeNull();
    // The virtual IP charon reports is the address libipsec's TUN device carries.
    expect(sa.localVips).toHaveLength(1);
    const vip = sa.localVips[0] ?? '';
    const addrs = await run('ip', ['-n', inst.clientNetns, '-4', '-o', 'addr', 'show']);
    expect(addrs.stdout).toMatch(new RegExp(`ipsec0\\s+inet ${vip.replace(/\./g, '\\.')}/32`));
    const [child] = sa.children;
    expect(sa.children).toHaveLength(1);
    expect(child).toMatchObject({ name: 'lab', state: 'INSTALLED', mode: 'TUNNEL', protocol: 'ESP', encap: true, localTs: [`${vip}/32`], remoteTs: [`${ADDR.insideNet}/${ADDR.insidePrefix}`] });
    const before = { bytesIn: child?.bytesIn ?? -1, bytesOut: child?.bytesOut ?? -1, packetsIn: child?.packetsIn ?? -1, packetsOut: child?.packetsOut ?? -1 };
    expect(Object.values(before).every((n) => n >= 0)).toBe(true);

    expect(await ping(inst.clientNetns, inst.protectedHostIp, { count: 3 })).toBe(true);
    const after = (await onlySa(vici)).children[0];
    // Three echo requests out and three replies in, 84 bytes each (IPv4 + ICMP + 56 bytes of data).
    expect(after).toMatchObject({ packetsOut: before.packetsOut + 3, packetsIn: before.packetsIn + 3, bytesOut: before.bytesOut + 252, bytesIn: before.bytesIn + 252 });

    const termLogs: string[] = [];
    expect(ok(await vici.terminate({ ike: 'lab', timeout: 5000 }, (l) => termLogs.push(l.msg)))).toEqual({ matches: 1, terminated: 1 });
    expect(termLogs.at(-1)).toBe('IKE_SA deleted');
    expect(ok(await vici.listSas())).toEqual([]);
    expect(await ping(inst.clientNetns, inst.protectedHostIp, { waitS: 1 })).toBe(false);

    const seen = updown.map(({ name, msg }) => {
      const e = parseUpDown(msg);
      return [name, e.up, e.sas.map((s) => s.name)];
    });
    expect(seen).toEqual([
      ['ike-updown', true, ['lab']],
      ['child-updown', true, ['lab']],
      ['ike-updown', false, ['lab']],
      ['child-updown', false, ['lab']],
    ]);
    expect(parseUpDown(updown[0]?.msg ?? {}).sas[0]?.localVips).toEqual([vip]);
    // Requests and the event connection still work after all that.
    expect(ok(await vici.version()).daemon).toBe('charon');

    // When charon goes away, both connections say so.
    const closed: ViciClientError[] = [];
    client.onClose((r) => closed.push(r));
    events.onClose((r) => closed.push(r));
    await charon.stop();
    await expect.poll(() => closed.map((c) => c.code)).toEqual(['vici-closed', 'vici-closed']);
    await expect(vici.version()).rejects.toMatchObject({ code: 'vici-closed' });
    await lab.down(inst);
  });

  it('a wrong pre-shared key: initiate fails with a generic errmsg, the reason is in the control-log', async () => {
    const inst = await lab.up('ikev2-psk');
    const { vici } = await charonFor(inst);
    ok(await vici.loadShared({ type: 'IKE', data: `${inst.credentials.psk ?? ''}x`, owners: [ADDR.ikeClientId, ADDR.ikeServerId] }));
    ok(await vici.loadConn('lab', pskConn()));
    const logs: string[] = [];
    const r = await vici.initiate({ child: 'lab', timeout: 10_000 }, (l) => logs.push(l.msg));
    expect(r.ok ? null : r.error.errmsg).toBe("establishing CHILD_SA 'lab' failed");
    expect(logs).toContain('received AUTHENTICATION_FAILED notify error');
    expect(ok(await vici.listSas())).toEqual([]);
    await lab.down(inst);
  });
});
