import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dumpCounters, latestPeer, parseWgDump } from '../../electron/helper/drivers/wireguard/dump.js';
import { addedRules, parseWgQuickRules } from '../../electron/helper/drivers/wireguard/system.js';
import { INTERFACE_NAME_RE, interfaceNameFor, MESSAGES, redactKeys, setupFailureMessage } from '../../electron/helper/drivers/wireguard/names.js';

// Throwaway keys (never used for anything but these tests).
const PRIV = 'wEipZ20RSYyW6T2duZmzLuDbaLaHV7I58/CLCb644WE=';
const PUB = 'HZBwj2nNxTxKQ5lzSx4RA1vV9eHd0oTcdVy2EcVp2xU=';
const PEER1 = 'fC94x8c9FjzzsFCIIwUX2RfuSMJ5Z6l0hWaIMwkzomo=';
const PEER2 = '73gw+v4V0TKsw2uGLHJ9EI26qfMEwvk+JZ+xED2ttAs=';
const PSK = 'qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=';

/** As printed by `wg show tsutest01 dump` (wireguard-tools v1.0.20210914, wireguard-go). */
const REAL = `${PRIV}\t${PUB}\t56477\toff\n${PEER1}\t(none)\t198.18.1.1:51820\t198.18.9.0/24,fd74:736c:9::/64,198.18.2.0/24\t1795745340\t92\t180\t25\n`;

describe('parseWgDump', () => {
  it('parses a real split-tunnel dump', () => {
    const d = parseWgDump(REAL);
    expect(d.errors).toEqual([]);
    expect(d.interface).toEqual({ publicKey: PUB, hasPrivateKey: true, listenPort: 56477, fwmark: null });
    expect(d.peers).toEqual([
      {
        publicKey: PEER1,
        hasPresharedKey: false,
        endpoint: '198.18.1.1:51820',
        allowedIps: ['198.18.9.0/24', 'fd74:736c:9::/64', '198.18.2.0/24'],
        latestHandshake: 1795745340,
        rxBytes: 92,
        txBytes: 180,
        persistentKeepalive: 25,
      },
    ]);
  });

  it('never keeps the private or preshared key', () => {
    const text = `${PRIV}\t${PUB}\t0\t0xca6c\n${PEER1}\t${PSK}\t[fd00::1]:51820\t0.0.0.0/0,::/0\t0\t0\t148\toff\n`;
    const d = parseWgDump(text);
    expect(d.errors).toEqual([]);
    const json = JSON.stringify(d);
    expect(json).not.toContain(PRIV);
    expect(json).not.toContain(PSK);
    expect(d.interface?.fwmark).toBe(51820);
    expect(d.peers[0]).toMatchObject({ hasPresharedKey: true, endpoint: '[fd00::1]:51820', latestHandshake: 0, persistentKeepalive: null });
  });

  it('handles (none) fields, several peers, CRLF and a missing final newline', () => {
    const text = `(none)\t(none)\t0\toff\r\n${PEER1}\t(none)\t(none)\t(none)\t0\t0\t0\toff\r\n${PEER2}\t(none)\t10.0.0.1:1\t10.1.0.0/16\t1700000100\t5\t7\t25`;
    const d = parseWgDump(text);
    expect(d.errors).toEqual([]);
    expect(d.interface).toEqual({ publicKey: null, hasPrivateKey: false, listenPort: 0, fwmark: null });
    expect(d.peers.map((p) => [p.endpoint, p.allowedIps])).toEqual([
      [null, []],
      ['10.0.0.1:1', ['10.1.0.0/16']],
    ]);
    expect(dumpCounters(d)).toEqual({ bytesIn: 5, bytesOut: 7 });
    expect(latestPeer(d)?.publicKey).toBe(PEER2);
  });

  it('sums counters and picks the most recent handshake', () => {
    const text = `${PRIV}\t${PUB}\t1\toff\n${PEER1}\t(none)\t1.1.1.1:1\t(none)\t1700000000\t100\t200\toff\n${PEER2}\t(none)\t2.2.2.2:2\t(none)\t1700000050\t1\t2\toff\n`;
    const d = parseWgDump(text);
    expect(dumpCounters(d)).toEqual({ bytesIn: 101, bytesOut: 202 });
    expect(latestPeer(d)?.endpoint).toBe('2.2.2.2:2');
  });

  it('has no connected peer before any handshake', () => {
    const d = parseWgDump(`${PRIV}\t${PUB}\t1\toff\n${PEER1}\t(none)\t1.1.1.1:1\t(none)\t0\t0\t444\toff\n`);
    expect(latestPeer(d)).toBeNull();
  });

  it('reports malformed lines without their content', () => {
    const d = parseWgDump(`${PRIV}\t${PUB}\tx\toff\n${PEER1}\t(none)\t1.1.1.1:1\n${PSK}\t${PRIV}\t1.1.1.1:1\t(none)\t-1\t0\t0\toff\nnot-a-key\t(none)\t(none)\t(none)\t0\t0\t0\toff\n`);
    expect(d.interface).toBeNull();
    expect(d.peers).toEqual([]);
    expect(d.errors).toHaveLength(4);
    expect(d.errors.join('\n')).not.toContain(PRIV);
    expect(d.errors.join('\n')).not.toContain(PSK);
    expect(d.errors[1]).toMatch(/^line 2: expected 8 peer fields, found 3$/);
  });

  it('reports an empty dump and keeps good peers next to bad ones', () => {
    expect(parseWgDump('')).toEqual({ interface: null, peers: [], errors: ['empty dump'] });
    const d = parseWgDump(`${PRIV}\t${PUB}\t1\tnope\n${PEER1}\t(none)\t1.1.1.1:1\t(none)\t0\t1\t2\t99999999\n${PEER2}\t(none)\t(none)\t(none)\t0\t3\t4\toff\n`);
    expect(d.interface).toBeNull();
    expect(d.peers.map((p) => p.publicKey)).toEqual([PEER2]);
    expect(d.errors).toHaveLength(2);
  });

  it('never throws, whatever the input', () => {
    const field = fc.oneof(fc.constantFrom(PRIV, PUB, '(none)', 'off', '0', '0x1f', '1.2.3.4:5', ''), fc.string());
    const line = fc.array(field, { maxLength: 10 }).map((f) => f.join('\t'));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        const text = lines.join('\n');
        const d = parseWgDump(text);
        expect(Array.isArray(d.errors)).toBe(true);
        // Where the key sits in the interface's private-key field (and only there), it never comes out.
        // (Generated lines may also put the same string where a peer's public key goes, which is public.)
        if (text.split(PRIV).length === 2 && text.startsWith(PRIV)) expect(JSON.stringify(d)).not.toContain(PRIV);
      }),
      { numRuns: 500 },
    );
    fc.assert(fc.property(fc.string(), (s) => void parseWgDump(s)));
    expect(parseWgDump(undefined as unknown as string).errors).toEqual(['input is not text']);
  });
});

describe('interface names and redaction', () => {
  it('derives a valid, stable, distinct wg-quick interface name from the session id', () => {
    const a = interfaceNameFor('0123456789abcdef');
    expect(a).toMatch(/^tsu[a-z2-7]{8}$/);
    expect(a).toMatch(INTERFACE_NAME_RE);
    expect(interfaceNameFor('0123456789abcdef')).toBe(a);
    expect(interfaceNameFor('0123456789abcdee')).not.toBe(a);
  });

  it('hides anything shaped like a key', () => {
    expect(redactKeys(`[#] wg set x private-key ${PRIV} peer ${PEER1}`)).toBe('[#] wg set x private-key (key hidden) peer (key hidden)');
  });
});

describe('why wg-quick up failed, in words', () => {
  it('names the network another connection already routes', () => {
    const output = [
      '[#] ip link add tsuabcdefgh type wireguard',
      '[#] wg setconf tsuabcdefgh /dev/fd/63',
      '[#] ip -4 address add 198.18.9.2/32 dev tsuabcdefgh',
      '[#] ip link set mtu 1420 up dev tsuabcdefgh',
      '[#] ip -4 route add 198.18.9.0/24 dev tsuabcdefgh',
      '[#] ip -4 route add 198.18.2.0/24 dev tsuabcdefgh',
      'RTNETLINK answers: File exists',
      '[#] ip link delete dev tsuabcdefgh',
    ].join('\n');
    const { message, network } = setupFailureMessage(output);
    expect(network).toBe('198.18.2.0/24');
    expect(message.en).toContain('Another connection already routes');
    expect(message.en).toContain('198.18.2.0/24');
    expect(message.ja).toContain('198.18.2.0/24');
  });

  it('tells an unresolvable endpoint and an unknown failure apart', () => {
    expect(setupFailureMessage('Name or service not known: `vpn.example:51820`').message).toBe(MESSAGES.endpointUnresolved);
    expect(setupFailureMessage('RTNETLINK answers: File exists').message).toBe(MESSAGES.routeExists);
    expect(setupFailureMessage('Operation not permitted').message).toBe(MESSAGES.setupFailed);
  });
});

describe('wg-quick policy rules (ip -j rule show)', () => {
  /** As printed by iproute2 6.1 with two full tunnels' suppress rules and one fwmark rule. */
  const REAL_RULES =
    '[{"priority":0,"src":"all","table":"local"},{"priority":32763,"src":"all","table":"main","suppress_prefixlen":0},{"priority":32764,"src":"all","table":"main","suppress_prefixlen":0},{"priority":32765,"not":null,"src":"all","fwmark":"0xca6c","table":"51820"},{"priority":32766,"src":"all","table":"main"},{"priority":32767,"src":"all","table":"default"}]';

  it('finds exactly the rules wg-quick adds, with their priorities', () => {
    expect(parseWgQuickRules(4, REAL_RULES)).toEqual([
      { kind: 'suppress', family: 4, priority: 32763 },
      { kind: 'suppress', family: 4, priority: 32764 },
      { kind: 'fwmark', family: 4, priority: 32765, mark: 51820 },
    ]);
  });

  it('leaves out rules with any other selector or shape: they are someone else\'s', () => {
    const others = JSON.stringify([
      { priority: 100, src: '10.0.0.0/8', table: 'main', suppress_prefixlen: 0 },
      { priority: 101, src: 'all', iif: 'eth0', table: 'main', suppress_prefixlen: 0 },
      { priority: 102, not: null, src: 'all', fwmark: '0xca6c', table: '51821' },
      { priority: 103, src: 'all', fwmark: '0xca6c', table: '51820' },
      { priority: 104, src: 'all', table: 'main', suppress_prefixlen: 8 },
    ]);
    expect(parseWgQuickRules(6, others)).toEqual([]);
    expect(parseWgQuickRules(4, 'not json')).toBeNull();
    expect(parseWgQuickRules(4, '[{"table":"main"}]')).toBeNull();
  });

  it('the rules an up added are those not there before (same shape at another priority counts as new)', () => {
    const before = parseWgQuickRules(4, REAL_RULES) ?? [];
    const after = [...before, { kind: 'suppress', family: 4, priority: 32762 } as const, { kind: 'fwmark', family: 4, priority: 32761, mark: 51821 } as const];
    expect(addedRules(before, after)).toEqual([
      { kind: 'suppress', family: 4, priority: 32762 },
      { kind: 'fwmark', family: 4, priority: 32761, mark: 51821 },
    ]);
  });
});
