import { describe, expect, it } from 'vitest';
import { uplinkFrom, uplinkTransition, type IpLink, type IpRoute } from '../../electron/helper/network-watch.js';

// Shapes as iproute2 6.1 prints them with -json.
const eth = (flags: string[], addrs: NonNullable<IpLink['addr_info']> = [{ local: '198.18.1.2', prefixlen: 24, scope: 'global' }]): IpLink => ({
  ifname: 'eth0',
  flags,
  link_type: 'ether',
  addr_info: addrs,
});
const tun: IpLink = { ifname: 'tun0', flags: ['POINTOPOINT', 'MULTICAST', 'NOARP', 'UP', 'LOWER_UP'], link_type: 'none', addr_info: [{ local: '10.8.0.2', prefixlen: 24, scope: 'global' }] };
const UP = ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'];
const def: IpRoute = { dst: 'default', gateway: '198.18.1.1', dev: 'eth0', flags: [] };

describe('network watch: the uplink from iproute2 (uplinkFrom)', () => {
  it('a default route on a device with carrier: online, keyed by route and address', () => {
    expect(uplinkFrom([def], [eth(UP), tun])).toEqual({ online: true, key: 'addr eth0 198.18.1.2/24; route eth0 via 198.18.1.1' });
  });

  it('no default route (a link set down loses its routes): offline', () => {
    expect(uplinkFrom([], [eth(['BROADCAST', 'MULTICAST'])])).toEqual({ online: false, key: '' });
  });

  it('carrier lost (linkdown route, no LOWER_UP): offline', () => {
    expect(uplinkFrom([{ ...def, flags: ['linkdown'] }], [eth(['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'])])?.online).toBe(false);
  });

  it('a default route through a tunnel says nothing about the network under it', () => {
    expect(uplinkFrom([{ dst: 'default', dev: 'tun0', flags: [] }], [eth(UP), tun])).toBeNull();
  });

  it('rotating IPv6 privacy addresses (temporary, deprecated) and tentative ones are not part of the key', () => {
    const v6 = [
      { local: '198.18.1.2', prefixlen: 24, scope: 'global' },
      { local: '2001:db8::1234', prefixlen: 64, scope: 'global', temporary: true },
      { local: '2001:db8::5678', prefixlen: 64, scope: 'global', temporary: true, deprecated: true },
      { local: '2001:db8::9', prefixlen: 64, scope: 'global', tentative: true },
    ];
    expect(uplinkFrom([def], [eth(UP, v6)])?.key).toBe('addr eth0 198.18.1.2/24; route eth0 via 198.18.1.1');
  });

  it('link-local addresses are not part of the key', () => {
    expect(uplinkFrom([def], [eth(UP, [{ local: 'fe80::1', prefixlen: 64, scope: 'link' }])])?.key).toBe('route eth0 via 198.18.1.1');
  });
});

describe('network watch: what a change means (uplinkTransition)', () => {
  const online = { online: true, key: 'a' };
  const offline = { online: false, key: '' };
  it('offline → online: network-restored', () => expect(uplinkTransition(offline, online)).toBe('network-restored'));
  it('online with another address or route: network-changed', () => expect(uplinkTransition(online, { online: true, key: 'b' })).toBe('network-changed'));
  it('online → offline: network-lost (the WireGuard driver says "No network connection" on it)', () => {
    expect(uplinkTransition(online, offline)).toBe('network-lost');
    expect(uplinkTransition({ online: true, key: 'b' }, { online: false, key: 'b' })).toBe('network-lost');
  });
  it('nothing new, still offline, or no verdict: nothing to do', () => {
    expect(uplinkTransition(online, { ...online })).toBeNull();
    expect(uplinkTransition(offline, { ...offline })).toBeNull();
    expect(uplinkTransition(online, null)).toBeNull();
    expect(uplinkTransition(null, online)).toBeNull();
    expect(uplinkTransition(null, offline)).toBeNull();
  });
});
