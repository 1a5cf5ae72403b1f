import { describe, expect, it } from 'vitest';
import { parseWgDump, uapiToDump } from '../../electron/helper/drivers/wireguard/dump.js';

// Throwaway keys (never used for anything but these tests), base64 and as UAPI's hex.
const PRIV = 'wEipZ20RSYyW6T2duZmzLuDbaLaHV7I58/CLCb644WE=';
const PEER = 'fC94x8c9FjzzsFCIIwUX2RfuSMJ5Z6l0hWaIMwkzomo=';
const PSK = 'qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=';
const hex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');

/** The shape wireguard-go answers `get=1` with (wireguard.com/xplatform). */
const ANSWER = [
  `private_key=${hex(PRIV)}`,
  'listen_port=56477',
  'fwmark=1953723758',
  `public_key=${hex(PEER)}`,
  `preshared_key=${'0'.repeat(64)}`,
  'protocol_version=1',
  'endpoint=198.18.1.1:51820',
  'last_handshake_time_sec=1795745340',
  'last_handshake_time_nsec=12345',
  'tx_bytes=180',
  'rx_bytes=92',
  'persistent_keepalive_interval=25',
  'allowed_ip=198.18.9.0/24',
  'allowed_ip=fd74:736c:9::/64',
  'errno=0',
  '',
  '',
].join('\n');

describe('uapiToDump', () => {
  it('gives the dump wg show would print for the same answer (no own public key)', () => {
    const text = uapiToDump(ANSWER);
    expect(text).not.toBeNull();
    const d = parseWgDump(text ?? '');
    expect(d.errors).toEqual([]);
    expect(d.interface).toEqual({ publicKey: null, hasPrivateKey: true, listenPort: 56477, fwmark: 1953723758 });
    expect(d.peers).toEqual([{ publicKey: PEER, hasPresharedKey: false, endpoint: '198.18.1.1:51820', allowedIps: ['198.18.9.0/24', 'fd74:736c:9::/64'], latestHandshake: 1795745340, rxBytes: 92, txBytes: 180, persistentKeepalive: 25 }]);
  });

  it('keeps a preshared key as set, keepalive 0 and no handshake as off and never', () => {
    const answer = ANSWER.replace(/preshared_key=0+/, `preshared_key=${hex(PSK)}`).replace('persistent_keepalive_interval=25', 'persistent_keepalive_interval=0').replace(/last_handshake_time_sec=\d+/, 'last_handshake_time_sec=0');
    const peer = parseWgDump(uapiToDump(answer) ?? '').peers[0];
    expect(peer).toMatchObject({ hasPresharedKey: true, persistentKeepalive: null, latestHandshake: 0 });
  });

  it('refuses an error answer or a cut-off one, and a malformed key fails the dump check', () => {
    expect(uapiToDump(ANSWER.replace('errno=0', 'errno=-19'))).toBeNull();
    expect(uapiToDump(ANSWER.slice(0, -1))).toBeNull();
    expect(uapiToDump(ANSWER.slice(0, 120))).toBeNull();
    const bad = parseWgDump(uapiToDump(ANSWER.replace(`public_key=${hex(PEER)}`, 'public_key=zz')) ?? '');
    expect(bad.peers).toEqual([]);
    expect(bad.errors.join(' ')).toMatch(/peer public key is malformed/);
  });
});
