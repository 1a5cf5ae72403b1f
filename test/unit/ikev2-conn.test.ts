// Ikev2Profile → what charon is given over VICI, and the check of what charon then holds (list-conns
// replies captured from charon 5.9.8 after loading these very plans: test/fixtures/ikev2/charon-logs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONN_NAME, laterChildren, loadPlan, passwordNeeds, sharedLoad, usesPsk, verifyLoadedConn } from '../../electron/helper/drivers/ikev2/conn.js';
import type { ViciSection } from '../../electron/helper/drivers/ikev2/vici/codec.js';
import type { Ikev2LocalRound, Ikev2Profile } from '../../shared/profiles/ikev2/model.js';

const DIR = join(__dirname, '..', 'fixtures', 'ikev2', 'charon-logs');
const CA = '-----BEGIN CERTIFICATE-----\nMIIBtest-ca\n-----END CERTIFICATE-----\n';
const CLIENT = '-----BEGIN CERTIFICATE-----\nMIIBtest-client\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHtest-key\n-----END PRIVATE KEY-----\n';

function round(r: Partial<Ikev2LocalRound> & Pick<Ikev2LocalRound, 'auth'>): Ikev2LocalRound {
  return { id: null, eapId: null, xauthId: null, usesClientCert: false, ...r };
}

function profile(p: Partial<Ikev2Profile>): Ikev2Profile {
  return {
    kind: 'ikev2',
    connection: 'lab',
    version: 2,
    remoteAddrs: ['198.18.1.1'],
    remotePort: null,
    localAddrs: [],
    local: [round({ auth: 'psk', id: 'client@lab.test' })],
    remote: { auth: 'psk', id: 'server.lab.test', revocation: null },
    aggressive: false,
    vips: ['0.0.0.0'],
    proposals: null,
    encap: false,
    mobike: true,
    dpdDelay: 5,
    children: [{ name: 'lab', localTs: [], remoteTs: ['198.18.2.0/24'], espProposals: null, mode: 'tunnel', updown: null }],
    files: { caCerts: [], serverCerts: [], clientCert: null, privateKey: null },
    secrets: { psk: 'the-psk', eapPassword: null, xauthPassword: null },
    dnsServers: [],
    ...p,
  };
}

const PSK = profile({});
const EAP = profile({
  local: [round({ auth: 'eap-mschapv2', eapId: 'alice' })],
  remote: { auth: 'pubkey', id: 'server.lab.test', revocation: null },
  files: { caCerts: [CA], serverCerts: [], clientCert: null, privateKey: null },
  secrets: { psk: null, eapPassword: 'pw', xauthPassword: null },
});
const CERT = profile({
  local: [round({ auth: 'pubkey', id: 'client.lab.test', usesClientCert: true })],
  remote: { auth: 'pubkey', id: 'server.lab.test', revocation: null },
  proposals: ['aes256gcm16-prfsha384-ecp384'],
  children: [{ name: 'lab', localTs: [], remoteTs: ['198.18.2.0/24'], espProposals: ['aes256gcm16'], mode: 'tunnel', updown: null }],
  files: { caCerts: [CA], serverCerts: [], clientCert: CLIENT, privateKey: KEY },
  secrets: { psk: null, eapPassword: null, xauthPassword: null },
});
const XAUTH = profile({
  version: 1,
  local: [round({ auth: 'psk', id: 'client@lab.test' }), round({ auth: 'xauth', xauthId: 'alice' })],
  proposals: ['aes256-sha256-modp3072'],
  secrets: { psk: 'the-psk', eapPassword: null, xauthPassword: 'xpw' },
});

function captured(scenario: string): ViciSection | null {
  const event = JSON.parse(readFileSync(join(DIR, `list-conn-${scenario}.json`), 'utf8')) as Record<string, ViciSection>;
  return event[CONN_NAME] ?? null;
}

describe('IKEv2 profile → VICI load-conn', () => {
  it('a PSK profile: the connection, one PSK for both identities, nothing run, initiated by the helper only', () => {
    const plan = loadPlan(PSK);
    expect(plan.conn).toEqual({
      [CONN_NAME]: {
        version: '2',
        remote_addrs: ['198.18.1.1'],
        keyingtries: '1',
        unique: 'no',
        encap: 'no',
        vips: ['0.0.0.0'],
        mobike: 'yes',
        dpd_delay: '5s',
        'local-1': { auth: 'psk', id: 'client@lab.test' },
        remote: { auth: 'psk', id: 'server.lab.test' },
        children: { lab: { mode: 'tunnel', start_action: 'none', dpd_action: 'clear', close_action: 'none', remote_ts: ['198.18.2.0/24'] } },
      },
    });
    expect(plan.keys).toEqual([]);
    expect(plan.shared).toEqual([{ type: 'IKE', data: 'the-psk', owners: ['client@lab.test', 'server.lab.test'] }]);
    expect(plan.child).toBe('lab');
  });

  it('never sends an updown script, even when the model keeps one', () => {
    const withUpdown = profile({ children: [{ name: 'c', localTs: [], remoteTs: [], espProposals: null, mode: 'tunnel', updown: '/bin/sh /tmp/x' }] });
    expect(JSON.stringify(loadPlan(withUpdown).conn)).not.toContain('updown');
    expect(JSON.stringify(loadPlan(withUpdown).conn)).not.toContain('/tmp/x');
  });

  it('certificates travel as PEM blobs in the connection, the key with load-key: no file names', () => {
    const plan = loadPlan(CERT);
    const conn = plan.conn[CONN_NAME] as ViciSection;
    expect(conn['local-1']).toEqual({ auth: 'pubkey', id: 'client.lab.test', certs: [CLIENT] });
    expect(conn.remote).toEqual({ auth: 'pubkey', id: 'server.lab.test', cacerts: [CA] });
    expect(conn.proposals).toEqual(['aes256gcm16-prfsha384-ecp384']);
    expect((conn.children as ViciSection).lab).toMatchObject({ esp_proposals: ['aes256gcm16'] });
    expect(plan.keys).toEqual([{ type: 'any', data: KEY }]);
    expect(plan.shared).toEqual([]);
  });

  it('EAP and XAuth passwords: loaded when the profile has them, asked for otherwise', () => {
    expect(loadPlan(EAP).shared).toEqual([{ type: 'EAP', data: 'pw', owners: ['alice'] }]);
    const noPassword = profile({ ...EAP, secrets: { psk: null, eapPassword: null, xauthPassword: null } });
    expect(loadPlan(noPassword).shared).toEqual([]);
    expect(passwordNeeds(noPassword)).toEqual([{ type: 'EAP', username: 'alice', owners: ['alice'] }]);
    const x = loadPlan(XAUTH);
    expect(x.shared).toEqual([
      { type: 'IKE', data: 'the-psk', owners: ['client@lab.test', 'server.lab.test'] },
      { type: 'XAUTH', data: 'xpw', owners: ['alice'] },
    ]);
    const conn = x.conn[CONN_NAME] as ViciSection;
    expect(conn['local-2']).toEqual({ auth: 'xauth', xauth_id: 'alice' });
    expect(conn.version).toBe('1');
    expect(conn.aggressive).toBe('no');
    expect(conn.mobike).toBeUndefined();
    // EAP-TLS has no password.
    expect(passwordNeeds(profile({ local: [round({ auth: 'eap-tls', usesClientCert: true })] }))).toEqual([]);
  });

  it('the IKE PSK is loaded when the server authenticates by PSK, even when we authenticate otherwise', () => {
    // EAP towards a server that proves itself with the PSK (remote auth psk, local eap).
    const eapPskServer = profile({
      local: [round({ auth: 'eap-mschapv2', eapId: 'alice' })],
      remote: { auth: 'psk', id: 'server.lab.test', revocation: null },
      secrets: { psk: 'the-psk', eapPassword: 'pw', xauthPassword: null },
    });
    expect(usesPsk(eapPskServer)).toBe(true);
    expect(loadPlan(eapPskServer).shared).toEqual([
      { type: 'IKE', data: 'the-psk', owners: ['server.lab.test'] },
      { type: 'EAP', data: 'pw', owners: ['alice'] },
    ]);
    // A certificate client towards a PSK server: the local identity still owns the secret.
    const certPskServer = profile({ ...CERT, remote: { auth: 'psk', id: null, revocation: null }, secrets: { psk: 'k', eapPassword: null, xauthPassword: null } });
    expect(loadPlan(certPskServer).shared).toEqual([{ type: 'IKE', data: 'k', owners: ['client.lab.test'] }]);
    // No PSK round anywhere: a PSK the model keeps is not loaded.
    const stray = profile({ ...CERT, secrets: { psk: 'stray', eapPassword: null, xauthPassword: null } });
    expect(usesPsk(stray)).toBe(false);
    expect(loadPlan(stray).shared).toEqual([]);
    // Same identity on both sides: listed once.
    const same = profile({ local: [round({ auth: 'psk', id: 'x@lab' })], remote: { auth: 'psk', id: 'x@lab', revocation: null } });
    expect(loadPlan(same).shared).toEqual([{ type: 'IKE', data: 'the-psk', owners: ['x@lab'] }]);
  });

  it('every child is initiated: the first brings the IKE_SA up, the others follow in profile order', () => {
    const two = profile({
      children: [
        { name: 'office', localTs: [], remoteTs: ['198.18.2.0/24'], espProposals: null, mode: 'tunnel', updown: null },
        { name: 'lab', localTs: [], remoteTs: ['198.18.3.0/24'], espProposals: null, mode: 'tunnel', updown: null },
        { name: 'dc', localTs: [], remoteTs: ['10.9.0.0/16'], espProposals: null, mode: 'tunnel', updown: null },
      ],
    });
    const plan = loadPlan(two);
    expect(plan.child).toBe('office');
    expect(plan.children).toEqual(['office', 'lab', 'dc']);
    expect(laterChildren(plan)).toEqual(['lab', 'dc']);
    expect(Object.keys((plan.conn[CONN_NAME] as ViciSection).children as ViciSection)).toEqual(['office', 'lab', 'dc']);
    expect(laterChildren(loadPlan(PSK))).toEqual([]);
  });

  it('a second password replaces the first (same secret id)', () => {
    expect(sharedLoad({ type: 'EAP', data: 'a', owners: ['alice'] }).id).toBe(sharedLoad({ type: 'EAP', data: 'b', owners: ['alice'] }).id);
    expect(sharedLoad({ type: 'EAP', data: 'a', owners: [] }).id).not.toBe(sharedLoad({ type: 'XAUTH', data: 'a', owners: [] }).id);
  });
});

describe('what charon holds (list-conns) against what was checked', () => {
  const cases: [string, Ikev2Profile][] = [
    ['ikev2-psk', PSK],
    ['ikev2-eap', EAP],
    ['ikev2-cert', CERT],
    ['ikev1-xauth', XAUTH],
  ];
  for (const [scenario, model] of cases) {
    it(`${scenario}: charon's reading equals the model`, () => {
      expect(verifyLoadedConn(captured(scenario), model)).toEqual([]);
    });
  }

  it('any difference is reported', () => {
    const listed = captured('ikev2-psk');
    const problems = (p: Partial<Ikev2Profile>) => verifyLoadedConn(listed, profile(p));
    expect(problems({ remoteAddrs: ['198.18.1.9'] })).toHaveLength(1);
    expect(problems({ version: 1 })[0]).toMatch(/^version/);
    expect(problems({ local: [round({ auth: 'psk', id: 'mallory@lab.test' })] })[0]).toMatch(/local-1\.id/);
    expect(problems({ local: [round({ auth: 'pubkey', id: 'client@lab.test' })] })[0]).toMatch(/local-1\.class/);
    expect(problems({ remote: { auth: 'psk', id: 'other.lab.test', revocation: null } })[0]).toMatch(/remote\.id/);
    expect(problems({ children: [{ name: 'lab', localTs: [], remoteTs: ['0.0.0.0/0'], espProposals: null, mode: 'tunnel', updown: null }] })[0]).toMatch(/remote-ts/);
    expect(problems({ children: [{ name: 'other', localTs: [], remoteTs: ['198.18.2.0/24'], espProposals: null, mode: 'tunnel', updown: null }] })[0]).toMatch(/^children/);
    expect(problems({ local: [round({ auth: 'psk', id: 'client@lab.test' }), round({ auth: 'xauth' })] })).toContain('local round 2 missing');
    // A CA that charon did not take (it lists the certificates it parsed).
    expect(verifyLoadedConn(captured('ikev2-eap'), profile({ ...EAP, files: { ...EAP.files, caCerts: [CA, CA] } }))[0]).toMatch(/remote\.cacerts/);
    expect(verifyLoadedConn(null, PSK)).toEqual(['charon does not list the connection']);
  });

  it('traffic selectors are compared as charon prints them', () => {
    const listed = captured('ikev2-psk');
    expect(verifyLoadedConn(listed, profile({ children: [{ name: 'lab', localTs: [], remoteTs: ['198.18.2.7/24'], espProposals: null, mode: 'tunnel', updown: null }] }))).toEqual([]);
  });
});
