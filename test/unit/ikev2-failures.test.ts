// charon 5.9.8 log lines (real captures, test/fixtures/ikev2/charon-logs) → the driver's error states.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CharonLog, classifyLine, errorState, MESSAGES, parseCapturedLine, type Ikev2ErrorCode } from '../../electron/helper/drivers/ikev2/failures.js';

const DIR = join(__dirname, '..', 'fixtures', 'ikev2', 'charon-logs');

function replay(name: string): CharonLog {
  const log = new CharonLog();
  for (const raw of readFileSync(join(DIR, `${name}.log`), 'utf8').split('\n')) {
    const line = parseCapturedLine(raw);
    if (line) log.observe(line);
  }
  return log;
}

describe('charon log lines → error states', () => {
  const cases: [string, Ikev2ErrorCode][] = [
    ['badpsk', 'ikev2-auth-failed'],
    ['eap-badpass', 'ikev2-eap-failed'],
    ['untrusted-server', 'ikev2-server-auth-failed'],
    ['proposal-ike', 'ikev2-proposal-mismatch'],
    ['proposal-esp', 'ikev2-proposal-mismatch'],
    ['unreachable', 'ikev2-server-unreachable'],
    ['unresolvable', 'ikev2-name-unresolvable'],
    ['xauth-badpass', 'ikev2-xauth-failed'],
    ['ikev1-badpsk', 'ikev2-auth-failed'],
  ];
  for (const [file, code] of cases) {
    it(`${file}.log → ${code}`, () => {
      const log = replay(file);
      expect(log.established).toBe(false);
      const state = log.errorFor("establishing CHILD_SA 'tsunagu' failed");
      expect(state.code).toBe(code);
      expect(state.message).toEqual(MESSAGES[code]);
      // The line that decided it is the detail, for the log and the details view.
      expect(state.detail).toBe(log.failure?.line);
    });
  }

  it('every captured failure has its own code', () => {
    const codes = cases.filter(([f]) => f !== 'proposal-esp' && f !== 'ikev1-badpsk').map(([f]) => replay(f).failure?.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('a wrong EAP password is an EAP failure although charon then sends AUTHENTICATION_FAILED itself', () => {
    // The most specific reason wins whatever the order of the lines.
    const log = new CharonLog();
    log.observe({ group: 'IKE', msg: 'received AUTHENTICATION_FAILED notify error' });
    log.observe({ group: 'IKE', msg: 'EAP method EAP_MSCHAPV2 failed for peer 198.18.1.2' });
    expect(log.failure?.code).toBe('ikev2-eap-failed');
  });

  it('a retransmit that is answered later is not "unreachable"', () => {
    const log = replay('eap-badpass');
    expect(readFileSync(join(DIR, 'eap-badpass.log'), 'utf8')).toMatch(/retransmit 1 of request/);
    expect(log.failure?.code).toBe('ikev2-eap-failed');
  });

  it('successful connects have no failure, and give the virtual IP, the remote selectors and the assigned DNS', () => {
    const psk = replay('psk-good');
    expect(psk.failure).toBeNull();
    expect(psk.established).toBe(true);
    expect(psk.vips).toEqual(['198.18.10.1']);
    expect(psk.remoteTs).toEqual(['198.18.2.0/24']);
    expect(psk.dns).toEqual(['198.18.2.53', '198.18.2.54']);
    for (const f of ['eap-good', 'cert-good', 'xauth-good']) {
      const log = replay(f);
      expect(log.failure, f).toBeNull();
      expect(log.established, f).toBe(true);
      expect(log.vips, f).toEqual(['198.18.10.1']);
    }
  });

  it('an IKEv1 wrong PSK is decided at the first undecryptable answer, not after the retransmits', () => {
    const log = new CharonLog();
    const lines = readFileSync(join(DIR, 'ikev1-badpsk.log'), 'utf8').split('\n');
    const at = lines.findIndex((l) => /decrypt/.test(l));
    expect(at).toBeGreaterThan(0);
    for (const l of lines.slice(0, at)) {
      const p = parseCapturedLine(l);
      if (p) log.observe(p);
    }
    expect(log.decided).toBe(false);
    const first = parseCapturedLine(lines[at] ?? '');
    if (first) log.observe(first);
    expect(log.decided).toBe(true);
    expect(log.failure?.code).toBe('ikev2-auth-failed');
    // The full capture ends with charon giving up, which alone would read "unreachable".
    expect(lines.some((l) => l.includes('giving up after 3 retransmits'))).toBe(true);
    expect(replay('ikev1-badpsk').failure?.code).toBe('ikev2-auth-failed');
  });

  it('IKEv1 XAuth failures and other single lines', () => {
    expect(classifyLine("XAuth authentication of 'alice' (myself) failed")?.code).toBe('ikev2-xauth-failed');
    expect(classifyLine('destroying IKE_SA after failed XAuth authentication')?.code).toBe('ikev2-xauth-failed');
    expect(classifyLine('received TS_UNACCEPTABLE notify, no CHILD_SA built')?.code).toBe('ikev2-ts-mismatch');
    expect(classifyLine('no acceptable proposal found')?.code).toBe('ikev2-proposal-mismatch');
    expect(classifyLine('retransmit 2 of request with message ID 0')).toBeNull();
    expect(classifyLine('IKE_SA lab[1] established between 198.18.1.2[client]...198.18.1.1[server]')).toBeNull();
  });

  it('no reason in the lines: the generic error with initiate’s errmsg', () => {
    const state = new CharonLog().errorFor("establishing CHILD_SA 'tsunagu' failed");
    expect(state).toEqual(errorState('ikev2-connection-failed', "establishing CHILD_SA 'tsunagu' failed"));
  });

  it('every message is in English and Japanese', () => {
    for (const m of Object.values(MESSAGES)) {
      expect(m.en.length).toBeGreaterThan(10);
      expect(m.ja).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
    }
  });

  it('every fixture is a real capture: each line is one control-log line', () => {
    for (const f of readdirSync(DIR).filter((n) => n.endsWith('.log'))) {
      for (const l of readFileSync(join(DIR, f), 'utf8').split('\n').filter(Boolean)) expect(parseCapturedLine(l), `${f}: ${l}`).not.toBeNull();
    }
  });
});
