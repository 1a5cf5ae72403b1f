// The IKE lab scenarios (IKEv2 PSK, EAP, certificates; IKEv1 XAuth), proven with the raw client: a
// plain charon + swanctl (kernel-libipsec) in the client namespace loading the swanctl.conf profile
// the scenario wrote. The failure knobs each fail in their own way; the lines charon streams to
// `swanctl --initiate` (the control-log a VICI client sees) are printed for the driver's error mapping.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ADDR,
  dropIke,
  IKE_PROFILE_FILE,
  IkeClient,
  ikeResidue,
  ikeTunnelResidue,
  makeUntrustedCa,
  ping,
  readIkeProfile,
  REFUSED_PROPOSALS,
  restoreIke,
  run,
  writeIkeVariant,
  type IkeOverrides,
  type LabInstance,
  type ScenarioName,
} from '../lab/index.js';
import { renderClientSwanctlConf } from '../lab/ikev2.js';
import { expectIsolated, labSuite } from '../lab/suite.js';

const lab = labSuite();

type IkeScenario = Extract<ScenarioName, 'ikev2-psk' | 'ikev2-eap' | 'ikev2-cert' | 'ikev1-xauth'>;

/** What each scenario's profile must say (its authentication, in swanctl.conf words). */
const PROFILE_SHAPE: Record<IkeScenario, { lines: RegExp[]; companions: string[] }> = {
  'ikev2-psk': { lines: [/^ {4}version = 2$/m, /^ {6}auth = psk$/m, /^ {2}ike-lab \{$/m], companions: [] },
  'ikev2-eap': { lines: [/^ {6}auth = eap-mschapv2$/m, /^ {6}eap_id = alice$/m, /^ {6}cacerts = ca\.pem$/m], companions: ['ca.pem'] },
  'ikev2-cert': {
    lines: [/^ {6}auth = pubkey$/m, /^ {6}certs = client\.pem$/m, /^ {6}cacerts = ca\.pem$/m, /^ {4}file = client\.key$/m, /^ {4}proposals = /m],
    companions: ['ca.pem', 'client.pem', 'client.key'],
  },
  'ikev1-xauth': {
    lines: [/^ {4}version = 1$/m, /^ {4}local-1 \{\n {6}auth = psk$/m, /^ {4}local-2 \{\n {6}auth = xauth\n {6}xauth_id = alice$/m, /^ {2}xauth-lab \{$/m],
    companions: [],
  },
};

const SCENARIOS = Object.keys(PROFILE_SHAPE) as IkeScenario[];

/** The control-log lines worth reading (packet and encoding chatter left out). */
function logLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => /^\[(IKE|CFG|KNL|LIB|JOB|MGR|CHD|ESP|APP)\]/.test(l) && !/^\[CFG\]\s{2}/.test(l));
}

async function bytes(client: IkeClient): Promise<{ in: number; out: number }> {
  const child = (await client.listSas())[0]?.children[0];
  return { in: child?.bytesIn ?? -1, out: child?.bytesOut ?? -1 };
}

describe('lab: IKE scenarios (strongSwan, kernel-libipsec, raw client)', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario}: the written swanctl.conf connects, pings the protected host, counts bytes, leaves nothing`, async () => {
      const inst = await lab.up(scenario);
      const shape = PROFILE_SHAPE[scenario];
      const text = readFileSync(inst.profile, 'utf8');
      expect(basename(inst.profile)).toBe(IKE_PROFILE_FILE);
      for (const re of shape.lines) expect(text).toMatch(re);
      expect(text).toMatch(/^connections \{\n {2}lab \{$/m);
      expect(text).toMatch(new RegExp(`^ {4}remote_addrs = ${ADDR.serverUnderlay.replace(/\./g, '\\.')}$`, 'm'));
      // Companions sit beside the profile, under the names it uses.
      expect(inst.extraFiles.map((f) => basename(f))).toEqual(shape.companions);
      for (const f of inst.extraFiles) {
        expect(dirname(f)).toBe(dirname(inst.profile));
        expect(existsSync(f)).toBe(true);
      }
      // The lab description renders to exactly the profile (so variants differ only by their overrides).
      const described = readIkeProfile(inst);
      expect(renderClientSwanctlConf(described)).toBe(text);
      if (inst.credentials.psk) expect(text).toContain(`secret = "${inst.credentials.psk}"`);
      if (inst.credentials.good) expect(text).toContain(`secret = "${inst.credentials.good.password}"`);
      await expectIsolated(inst);

      const client = await IkeClient.start(inst);
      expect(readFileSync(`${client.dir}/swanctl/swanctl.conf`, 'utf8')).toBe(text);
      const r = await client.initiate();
      const retransmits = logLines(r.stdout).filter((l) => /retransmit/.test(l)).length;
      console.log(`${scenario}: swanctl --initiate ${r.ms} ms, ${retransmits} retransmits\n  ${logLines(r.stdout).slice(-4).join('\n  ')}`);
      expect(r.stdout).toMatch(/CHILD_SA lab\{\d+\} established/);
      expect(r.code).toBe(0);
      const [sa] = await client.listSas();
      expect(sa).toMatchObject({ name: 'lab', state: 'ESTABLISHED', version: described.version });
      expect(sa?.localVips[0]).toMatch(/^198\.18\.10\.\d+$/);
      // The virtual IP from the server's pool sits on libipsec's TUN device.
      const addr = await run('ip', ['-n', inst.clientNetns, '-4', '-o', 'addr', 'show']);
      expect(addr.stdout).toMatch(/ipsec0\s+inet 198\.18\.10\.\d+\/32/);

      expect(await ping(inst.clientNetns, inst.protectedHostIp)).toBe(true);
      expect(await ping(inst.clientNetns, inst.tunnelPeerIp)).toBe(true);
      const before = await bytes(client);
      expect(await ping(inst.clientNetns, inst.protectedHostIp, { count: 3 })).toBe(true);
      const after = await bytes(client);
      // Three more echo requests out and three replies in (84 bytes each, before ESP).
      expect(after.out - before.out).toBeGreaterThanOrEqual(3 * 84);
      expect(after.in - before.in).toBeGreaterThanOrEqual(3 * 84);

      const t = await client.terminate();
      expect(t.code).toBe(0);
      expect(await ikeTunnelResidue(inst.clientNetns)).toEqual([]);
      expect(await ping(inst.clientNetns, inst.protectedHostIp, { waitS: 1 })).toBe(false);
      await client.stop();
      expect(await ikeResidue(inst.clientNetns)).toEqual([]);
      await lab.down(inst);
    });
  }

  it('writeIkeVariant: a complete profile with the override, companions beside it', async () => {
    const inst = await lab.up('ikev2-cert');
    const v = writeIkeVariant(inst, { proposals: [REFUSED_PROPOSALS.ike] });
    expect(dirname(v.profile)).not.toBe(dirname(inst.profile));
    expect(v.extraFiles.map((f) => basename(f))).toEqual(['ca.pem', 'client.pem', 'client.key']);
    for (const [a, b] of v.extraFiles.map((f, i) => [f, inst.extraFiles[i] ?? ''] as const)) expect(readFileSync(a)).toEqual(readFileSync(b));
    const original = readFileSync(inst.profile, 'utf8').split('\n');
    const variant = readFileSync(v.profile, 'utf8').split('\n');
    expect(variant.filter((l) => !original.includes(l))).toEqual([`    proposals = ${REFUSED_PROPOSALS.ike}`]);
    await lab.down(inst);
  });

  interface FailureCase {
    scenario: IkeScenario;
    what: string;
    overrides: (inst: LabInstance) => IkeOverrides | Promise<IkeOverrides>;
    /** Applied to the instance before the client starts (and undone after). */
    fault?: { apply: (inst: LabInstance) => Promise<void>; undo: (inst: LabInstance) => Promise<void> };
    /** Lines of the control-log that must appear, in order. */
    expect: RegExp[];
  }

  const wrongPsk = (inst: LabInstance): IkeOverrides => ({ psk: `${inst.credentials.psk ?? ''}x` });
  const badUser = (inst: LabInstance): IkeOverrides => ({ user: inst.credentials.bad });
  const dropped = { apply: dropIke, undo: restoreIke };
  const notResponding = [/^\[IKE\] giving up after 3 retransmits$/m, /^\[IKE\] establishing IKE_SA failed, peer not responding$/m];

  const FAILURES: FailureCase[] = [
    { scenario: 'ikev2-psk', what: 'wrong PSK', overrides: wrongPsk, expect: [/^\[IKE\] received AUTHENTICATION_FAILED notify error$/m] },
    {
      scenario: 'ikev2-eap',
      what: 'wrong EAP password',
      overrides: badUser,
      expect: [/^\[IKE\] EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE/m, /^\[IKE\] EAP_MSCHAPV2 method failed$/m],
    },
    { scenario: 'ikev1-xauth', what: 'wrong XAuth password', overrides: badUser, expect: [/^\[IKE\] XAuth authentication of 'alice' \(myself\) failed$/m] },
    {
      // IKEv1 main mode: the server cannot decrypt our ID with its key, and its encrypted complaint is
      // noise to us; charon then gives up as if unreachable, after the server's vendor IDs arrived.
      scenario: 'ikev1-xauth',
      what: 'wrong PSK',
      overrides: wrongPsk,
      expect: [/^\[IKE\] received NAT-T \(RFC 3947\) vendor ID$/m, /^\[IKE\] ignore malformed INFORMATIONAL request$/m, ...notResponding],
    },
    {
      scenario: 'ikev2-cert',
      what: 'untrusted server certificate',
      overrides: async (inst) => ({ ca: await makeUntrustedCa(inst) }),
      expect: [/^\[IKE\] received end entity cert "CN=server\.lab\.test"$/m, /^\[CFG\] no issuer certificate found for "CN=server\.lab\.test"$/m, /^\[IKE\] no trusted ECDSA public key found for 'server\.lab\.test'$/m],
    },
    { scenario: 'ikev2-cert', what: 'IKE proposal mismatch', overrides: () => ({ proposals: [REFUSED_PROPOSALS.ike] }), expect: [/^\[IKE\] received NO_PROPOSAL_CHOSEN notify error$/m] },
    {
      scenario: 'ikev2-psk',
      what: 'ESP proposal mismatch',
      overrides: () => ({ espProposals: [REFUSED_PROPOSALS.esp] }),
      expect: [/^\[IKE\] IKE_SA lab\[\d+\] established/m, /^\[IKE\] received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built$/m, /^\[IKE\] failed to establish CHILD_SA, keeping IKE_SA$/m],
    },
    { scenario: 'ikev1-xauth', what: 'IKE proposal mismatch', overrides: () => ({ proposals: [REFUSED_PROPOSALS.ike] }), expect: [/^\[IKE\] received NO_PROPOSAL_CHOSEN error notify$/m] },
    { scenario: 'ikev2-eap', what: 'unreachable (UDP 500/4500 dropped)', overrides: () => ({}), fault: dropped, expect: [/^\[IKE\] retransmit 1 of request with message ID 0$/m, ...notResponding] },
    { scenario: 'ikev1-xauth', what: 'unreachable (UDP 500/4500 dropped)', overrides: () => ({}), fault: dropped, expect: [/^\[IKE\] sending retransmit 1 of request message ID 0, seq 1$/m, ...notResponding] },
  ];

  for (const f of FAILURES) {
    it(`${f.scenario}: ${f.what} fails with its own log lines within 10 s`, async () => {
      const inst = await lab.up(f.scenario);
      if (f.fault) await f.fault.apply(inst);
      const client = await IkeClient.start(inst, await f.overrides(inst));
      const r = await client.initiate(15);
      const lines = logLines(r.stdout);
      console.log(`${f.scenario} ${f.what}: exit ${String(r.code)} after ${r.ms} ms; ${r.stderr.trim()}\n  ${lines.join('\n  ')}`);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/initiate failed: establishing CHILD_SA 'lab' failed/);
      expect(r.ms).toBeLessThan(10_000);
      let at = 0;
      for (const re of f.expect) {
        const rest = r.stdout.slice(at);
        const m = re.exec(rest);
        expect(m, `${String(re)} after offset ${at}`).not.toBeNull();
        at += (m?.index ?? 0) + (m?.[0].length ?? 0);
      }
      expect(r.stdout).not.toMatch(/CHILD_SA lab\{\d+\} established/);
      await client.stop();
      expect(await ikeResidue(inst.clientNetns)).toEqual([]);
      if (f.fault) {
        // Undone, the same scenario connects again: the knob was the only thing in the way.
        await f.fault.undo(inst);
        const good = await IkeClient.start(inst);
        expect((await good.initiate()).code).toBe(0);
        expect(await ping(inst.clientNetns, inst.protectedHostIp)).toBe(true);
        await good.stop();
      }
      await lab.down(inst);
    });
  }
});
