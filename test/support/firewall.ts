import { TSUNAGU_FWMARK, type TunnelIntent } from '../../electron/helper/firewall/intent.js';

/** A full-tunnel session's intent for the firewall unit tests (fixtures/nft/echo-tunnel.json is its table's echo). */
export const TUNNEL: TunnelIntent = {
  mode: 'tunnel',
  tunnelInterfaces: ['wg0'],
  endpoints: [{ protocol: 'udp', address: '198.18.21.1', port: 51820, mark: TSUNAGU_FWMARK }],
  allowLan: false,
  dnsServers: ['10.64.0.1'],
  tunnelAddresses: ['10.64.0.2'],
};
