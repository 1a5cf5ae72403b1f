// Every OpenVPN lab scenario, proven with the plain openvpn binary in the client namespace.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ADDR,
  CHALLENGE_PROMPT,
  LEGACY_DATA_CIPHERS_FIX,
  OpenvpnClient,
  openvpnChallengeLogin,
  ping,
  run,
  writeSecretFile,
  type LabInstance,
} from '../lab/index.js';
import { expectIsolated, expectThroughTunnel, labSuite } from '../lab/suite.js';

const lab = labSuite();

async function connectAndPing(inst: LabInstance, args: string[] = []): Promise<OpenvpnClient> {
  const client = OpenvpnClient.spawn(inst, { args });
  try {
    await client.waitConnected();
    await expectThroughTunnel(inst);
  } catch (err) {
    await client.stop();
    throw err;
  }
  return client;
}

describe('lab: OpenVPN scenarios (plain openvpn 2.6)', () => {
  it('openvpn-udp: inline profile and referenced-files variant', async () => {
    const inst = await lab.up('openvpn-udp');
    const profile = readFileSync(inst.profile, 'utf8');
    for (const tag of ['ca', 'cert', 'key', 'tls-crypt']) {
      // Each tag on its own line; openvpn --genkey puts '#' comment lines before the key itself.
      expect(profile).toMatch(new RegExp(`^<${tag}>\\n(?:#[^\\n]*\\n)*-----BEGIN [^\\n]+\\n[\\s\\S]*?\\n</${tag}>$`, 'm'));
    }
    expect(profile).toMatch(/^proto udp$/m);
    await expectIsolated(inst);
    const client = await connectAndPing(inst);
    expect(client.output).toMatch(/UDPv4 link remote: \[AF_INET\]198\.18\.1\.1:1194/);
    await client.stop();
    expect(await ping(inst.clientNetns, inst.protectedHostIp, { waitS: 1 })).toBe(false);

    // The variant with ca/cert/key/tls-crypt beside the profile.
    const ref = inst.extraFiles.find((f) => f.endsWith('client.ovpn'));
    expect(ref).toBeDefined();
    const refText = readFileSync(ref ?? '', 'utf8');
    for (const line of ['ca ca.crt', 'cert client.crt', 'key client.key']) expect(refText).toMatch(new RegExp(`^${line}$`, 'm'));
    expect(inst.extraFiles.map((f) => f.replace(/^.*\//, '')).sort()).toEqual(['ca.crt', 'client.crt', 'client.key', 'client.ovpn', 'ta.key']);
    const c2 = OpenvpnClient.spawn(inst, { config: 'client.ovpn', cwd: dirname(ref ?? '') });
    await c2.waitConnected();
    await expectThroughTunnel(inst);
    await c2.stop();
    await lab.down(inst);
  });

  it('openvpn-tcp: tun over TCP', async () => {
    const inst = await lab.up('openvpn-tcp');
    expect(readFileSync(inst.profile, 'utf8')).toMatch(/^proto tcp$/m);
    await expectIsolated(inst);
    const client = await connectAndPing(inst);
    expect(client.output).toMatch(/TCP connection established with \[AF_INET\]198\.18\.1\.1:1194/);
    await client.stop();
    await lab.down(inst);
  });

  it('openvpn-tap: L2 client bridged onto the protected LAN', async () => {
    const inst = await lab.up('openvpn-tap');
    expect(readFileSync(inst.profile, 'utf8')).toMatch(/^dev tap$/m);
    await expectIsolated(inst);
    const client = await connectAndPing(inst);
    // The address comes from the server-bridge pool on the protected subnet itself.
    const addr = await run('ip', ['-n', inst.clientNetns, '-4', '-o', 'addr', 'show']);
    expect(addr.stdout).toMatch(/tap\d+\s+inet 198\.18\.2\.1(?:[0-4]\d|50)\/24/);
    const neigh = await run('ip', ['-n', inst.clientNetns, 'neigh', 'show', inst.protectedHostIp]);
    expect(neigh.stdout).toMatch(/lladdr [0-9a-f:]{17}/);
    await client.stop();
    await lab.down(inst);
  });

  it('openvpn-userpass: good credentials connect, bad ones get AUTH_FAILED', async () => {
    const inst = await lab.up('openvpn-userpass');
    const { good, bad } = inst.credentials;
    if (!good || !bad) throw new Error('credentials missing');
    const profile = readFileSync(inst.profile, 'utf8');
    expect(profile).toMatch(/^auth-user-pass$/m);
    expect(profile).not.toMatch(/<cert>|<key>/);
    await expectIsolated(inst);

    const badClient = OpenvpnClient.spawn(inst, { args: ['--auth-user-pass', writeSecretFile(inst, 'bad', [bad.username, bad.password])] });
    await badClient.waitFor(/AUTH_FAILED/);
    await badClient.exited;
    expect(badClient.output).not.toMatch(/Initialization Sequence Completed/);

    const client = await connectAndPing(inst, ['--auth-user-pass', writeSecretFile(inst, 'good', [good.username, good.password])]);
    await client.stop();
    await lab.down(inst);
  });

  it('openvpn-challenge: static challenge answered over the management interface', async () => {
    const inst = await lab.up('openvpn-challenge');
    const { good, challenge } = inst.credentials;
    if (!good || !challenge) throw new Error('credentials missing');
    expect(readFileSync(inst.profile, 'utf8')).toMatch(new RegExp(`^static-challenge "${CHALLENGE_PROMPT}" 1$`, 'm'));
    await expectIsolated(inst);

    const wrong = await openvpnChallengeLogin(inst, good.username, good.password, challenge.badResponse);
    expect(wrong.prompt).toBe(`>PASSWORD:Need 'Auth' username/password SC:1,${CHALLENGE_PROMPT}`);
    await wrong.mgmt.waitFor(/>PASSWORD:Verification Failed: 'Auth'/);
    wrong.mgmt.close();
    await wrong.client.stop();

    const ok = await openvpnChallengeLogin(inst, good.username, good.password, challenge.response);
    await ok.mgmt.waitFor(/>STATE:\d+,CONNECTED,SUCCESS/);
    await ok.client.waitConnected();
    await expectThroughTunnel(inst);
    ok.mgmt.send('signal SIGTERM');
    await ok.mgmt.waitFor(/EXITING,SIGTERM/);
    ok.mgmt.close();
    await ok.client.stop();
    await lab.down(inst);
  });

  it('openvpn-enc-key: encrypted client key opened with the exported passphrase', async () => {
    const inst = await lab.up('openvpn-enc-key');
    const pass = inst.credentials.keyPassphrase;
    if (!pass) throw new Error('passphrase missing');
    expect(readFileSync(inst.profile, 'utf8')).toMatch(/^<key>\n-----BEGIN ENCRYPTED PRIVATE KEY-----$/m);
    await expectIsolated(inst);

    const wrong = OpenvpnClient.spawn(inst, { args: ['--askpass', writeSecretFile(inst, 'askpass', [`${pass}x`])] });
    await wrong.exited;
    expect(wrong.output).toMatch(/private key password verification failed/);

    const client = await connectAndPing(inst, ['--askpass', writeSecretFile(inst, 'askpass', [pass])]);
    await client.stop();
    await lab.down(inst);
  });

  it('openvpn-failover: the dead first remote is skipped for the second', async () => {
    const inst = await lab.up('openvpn-failover');
    const remotes = readFileSync(inst.profile, 'utf8').match(/^remote .*$/gm);
    expect(remotes).toEqual([`remote ${ADDR.deadRemote} 1194`, `remote ${ADDR.serverUnderlay} 1194`]);
    await expectIsolated(inst);
    const client = OpenvpnClient.spawn(inst);
    await client.waitConnected(30_000);
    const out = client.output;
    const dead = out.indexOf(`link remote: [AF_INET]${ADDR.deadRemote}:1194`);
    const live = out.indexOf(`Peer Connection Initiated with [AF_INET]${ADDR.serverUnderlay}:1194`);
    expect(dead).toBeGreaterThanOrEqual(0);
    expect(live).toBeGreaterThan(dead);
    expect(out).toMatch(/Server poll timeout, restarting/);
    await expectThroughTunnel(inst);
    await client.stop();
    await lab.down(inst);
  });

  it('openvpn-legacy: seed-style profile fails on 2.6 as written and works with the data-ciphers fix', async () => {
    const inst = await lab.up('openvpn-legacy');
    const profile = readFileSync(inst.profile, 'utf8');
    for (const line of ['cipher AES-256-CBC', 'auth SHA512', 'compress lz4', 'auth-nocache', 'tls-version-min 1.2', 'resolv-retry infinite']) {
      expect(profile).toMatch(new RegExp(`^${line}$`, 'm'));
    }
    await expectIsolated(inst);

    // As written: 2.6 negotiates from data-ciphers (GCM/ChaCha only) and the CBC-only server refuses.
    const asWritten = OpenvpnClient.spawn(inst);
    await asWritten.waitFor(/AUTH_FAILED,Data channel cipher negotiation failed \(no shared cipher\)/);
    const exit = await asWritten.exited;
    expect(exit.code).toBe(0); // openvpn exits 0 even so: only its output tells why
    expect(asWritten.output).not.toMatch(/Initialization Sequence Completed/);

    const client = await connectAndPing(inst, LEGACY_DATA_CIPHERS_FIX);
    expect(client.output).toMatch(/Data Channel: cipher 'AES-256-CBC', auth 'SHA512'/);
    expect(client.output).toMatch(/Control Channel: TLSv1\.2, cipher TLSv1\.2 DHE-RSA-/);
    await client.stop();
    await lab.down(inst);
  });

  it('openvpn-dns: the pushed DNS server and search domain arrive', async () => {
    const inst = await lab.up('openvpn-dns');
    await expectIsolated(inst);
    const client = await connectAndPing(inst);
    const push = /PUSH: Received control message: '(PUSH_REPLY[^']*)'/.exec(client.output)?.[1] ?? '';
    expect(push).toContain(`dhcp-option DNS ${ADDR.dnsServer}`);
    expect(push).toContain(`dhcp-option DOMAIN ${ADDR.dnsDomain}`);
    await client.stop();
    await lab.down(inst);
  });
});
