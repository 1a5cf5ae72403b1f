// The DNS servers an IKEv2 server assigns (INTERNAL_IP4/6_DNS), as the driver reads them: from the
// resolve plugin's "installing DNS server X to F" lines, else its private resolv.conf. A server's
// values are hostile: only plain addresses, at most MAX_DNS_SERVERS, reach the DNS code and the
// kill switch's rule.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAssignedDns } from '../../electron/helper/drivers/ikev2/driver.js';
import { CharonLog, parseCapturedLine } from '../../electron/helper/drivers/ikev2/failures.js';
import { MAX_DNS_SERVERS } from '../../electron/helper/dns.js';

const installing = (server: string) => ({ group: 'IKE', msg: `installing DNS server ${server} to /run/resolv.conf` });
const dir = mkdtempSync(join(tmpdir(), 'tsunagu-ikev2-dns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('IKEv2 assigned DNS from charon’s log', () => {
  it('reads the servers of a real connect (charon 5.9.8, the lab pool assigning two), in order', () => {
    const log = new CharonLog();
    for (const raw of readFileSync(join(__dirname, '..', 'fixtures', 'ikev2', 'charon-logs', 'psk-good.log'), 'utf8').split('\n')) {
      const line = parseCapturedLine(raw);
      if (line) log.observe(line);
    }
    expect(log.dns).toEqual(['198.18.2.53', '198.18.2.54']);
  });

  it('keeps plain IPv4/IPv6 addresses once each; drops zones, names, junk and anything glued on', () => {
    const log = new CharonLog();
    for (const s of ['198.18.2.53', 'fd74:736c::53', '198.18.2.53', 'fe80::1%eth0', 'dns.example', '198.18.2.53;touch', '1.2.3.4.5', '::ffff:1.2.3', '999.1.1.1', '']) log.observe(installing(s));
    // "via" is the line of the resolvconf mode, the same attribute.
    log.observe({ group: 'IKE', msg: 'installing DNS server 198.18.2.54 via resolvconf' });
    expect(log.dns).toEqual(['198.18.2.53', 'fd74:736c::53', '198.18.2.54']);
  });

  it(`keeps at most ${MAX_DNS_SERVERS} (a server may send any number of attributes), the first ones`, () => {
    const log = new CharonLog();
    const many = Array.from({ length: 40 }, (_, i) => `198.18.3.${i + 1}`);
    for (const s of many) log.observe(installing(s));
    expect(log.dns).toEqual(many.slice(0, MAX_DNS_SERVERS));
  });

  it('forgets a server charon removes (the SA that assigned it went)', () => {
    const log = new CharonLog();
    log.observe(installing('198.18.2.53'));
    log.observe(installing('198.18.2.54'));
    log.observe({ group: 'IKE', msg: 'removing DNS server 198.18.2.53 from /run/resolv.conf' });
    expect(log.dns).toEqual(['198.18.2.54']);
  });
});

describe('IKEv2 assigned DNS from the resolve plugin’s private file', () => {
  it('reads nameserver lines with the same checks and bound; no file: none', () => {
    const file = join(dir, 'resolv.conf');
    const lines = [
      'nameserver 198.18.2.53   # by strongSwan',
      'nameserver fe80::1%lo   # by strongSwan',
      'nameserver evil;touch /tmp/x',
      'search lab.test',
      ' nameserver 6.6.6.6',
      ...Array.from({ length: 12 }, (_, i) => `nameserver 198.18.4.${i + 1}   # by strongSwan`),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(readAssignedDns(file)).toEqual(['198.18.2.53', ...Array.from({ length: MAX_DNS_SERVERS - 1 }, (_, i) => `198.18.4.${i + 1}`)]);
    expect(readAssignedDns(join(dir, 'missing'))).toEqual([]);
  });
});
