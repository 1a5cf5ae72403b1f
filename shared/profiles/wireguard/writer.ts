import type { WireGuardEndpoint, WireGuardProfile } from './model.js';

/**
 * Writes a profile as canonical wg-quick text: [Interface] first, then each [Peer], keys in their
 * documented CamelCase, one per line, lists joined with ", ", one line per hook. The derived
 * public key is not written (wg-quick has no such key). For any profile parseWireGuard returned,
 * parsing the output gives the same profile back, and writing that again gives the same text.
 *
 * The writer trusts its input to be a parsed profile, with one exception: line breaks inside a
 * value are turned into spaces, so that no value can start a new line (a new key or section).
 */
export function writeWireGuard(profile: WireGuardProfile): string {
  const out: string[] = [];
  const put = (key: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    out.push(`${key} = ${oneLine(String(value))}`);
  };
  const putList = (key: string, values: readonly string[]): void => {
    if (values.length > 0) put(key, values.join(', '));
  };

  const i = profile.interface;
  out.push('[Interface]');
  put('PrivateKey', i.privateKey);
  put('ListenPort', i.listenPort);
  putList('Address', i.addresses);
  putList('DNS', [...i.dns.servers, ...i.dns.searchDomains]);
  put('MTU', i.mtu);
  put('Table', i.table);
  put('SaveConfig', i.saveConfig === undefined ? undefined : String(i.saveConfig));
  for (const hook of i.preUp) put('PreUp', hook);
  for (const hook of i.postUp) put('PostUp', hook);
  for (const hook of i.preDown) put('PreDown', hook);
  for (const hook of i.postDown) put('PostDown', hook);

  for (const peer of profile.peers) {
    out.push('', '[Peer]');
    put('PublicKey', peer.publicKey);
    put('PresharedKey', peer.presharedKey);
    putList('AllowedIPs', peer.allowedIPs);
    put('Endpoint', peer.endpoint === undefined ? undefined : formatEndpoint(peer.endpoint));
    put('PersistentKeepalive', peer.persistentKeepalive);
  }
  return `${out.join('\n')}\n`;
}

/** `host:port`, with IPv6 hosts (anything containing ':') in brackets. */
export function formatEndpoint(endpoint: WireGuardEndpoint): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

function oneLine(value: string): string {
  return value.replace(/[\r\n\u2028\u2029]+/g, ' ');
}
