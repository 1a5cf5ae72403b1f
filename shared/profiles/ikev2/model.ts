/**
 * The IKEv2/IPsec profile model: one strongSwan client connection as charon runs it, whatever the
 * file it came from (swanctl.conf, .sswan, .mobileconfig, ipsec.conf + ipsec.secrets,
 * NetworkManager). A plain JSON-able object; `writeIkev2` turns it into the canonical text.
 *
 * Each field names the swanctl.conf key it stands for (`connections.<conn>.…`). Lists are stored
 * as charon reads them (comma-separated in the file), in file order. `null` always means "not
 * set: charon's default", never "empty".
 */

/**
 * How the client authenticates in one round (`local<suffix>.auth`). `eap` lets the server pick
 * the EAP method (charon then answers MSCHAPv2/MD5 with the password); `xauth` is IKEv1's second
 * round (username/password after main or aggressive mode).
 */
export type Ikev2LocalAuth = 'psk' | 'pubkey' | 'eap-mschapv2' | 'eap-tls' | 'eap' | 'xauth';

/** How the server must authenticate (`remote.auth`). A client never expects EAP or XAuth from its server. */
export type Ikev2RemoteAuth = 'psk' | 'pubkey';

/** One `local<suffix> { }` round, in round order (`local`/`local-1` first, then `local-2`). */
export interface Ikev2LocalRound {
  /** `local<suffix>.auth`. */
  auth: Ikev2LocalAuth;
  /** `local<suffix>.id`: the IKE identity; null = charon's default (the IP address or the certificate subject). */
  id: string | null;
  /** `local<suffix>.eap_id`: the EAP user name (eap, eap-mschapv2, eap-tls); null = the IKE identity. */
  eapId: string | null;
  /** `local<suffix>.xauth_id`: the XAuth user name (xauth only); null = the IKE identity. */
  xauthId: string | null;
  /** `local<suffix>.certs` given: this round presents `files.clientCert` (pubkey, eap-tls). */
  usesClientCert: boolean;
}

/** The `remote { }` section: what the client expects of the server. */
export interface Ikev2RemoteRound {
  /** `remote.auth`. */
  auth: Ikev2RemoteAuth;
  /** `remote.id`: the server identity to check; null = `%any` (any identity the trust chain allows). */
  id: string | null;
  /** `remote.revocation`; null = charon's default (`relaxed`). */
  revocation: 'strict' | 'ifuri' | 'relaxed' | null;
}

/** One `children.<child> { }` section (always a tunnel-mode CHILD_SA). */
export interface Ikev2Child {
  /** The section name (`children.<child>`). */
  name: string;
  /** `local_ts`; empty = charon's default (`dynamic`: the virtual IP or our address). */
  localTs: string[];
  /** `remote_ts`; empty = charon's default (`dynamic`: the server's address, also with a vip; routes.ts). */
  remoteTs: string[];
  /** `esp_proposals`; null = charon's defaults. Lower case, as charon spells them. */
  espProposals: string[] | null;
  /** `mode`: transport, pass, drop and beet are refused at import. */
  mode: 'tunnel';
  /** `updown`: a program charon runs on every SA change; kept only when the policy allows scripts. */
  updown: string | null;
}

/**
 * The files a connection refers to, as PEM text (LF line ends, ending with one newline).
 * In swanctl.conf these are `certs`, `cacerts`, `secrets.private-x.file`; in the canonical text
 * they sit in the `tsunagu { files { } }` section (see writer.ts).
 */
export interface Ikev2Files {
  /** `remote.cacerts`: trust anchors for the server certificate, one PEM certificate each. */
  caCerts: string[];
  /** `remote.certs`: the server certificate(s) pinned as they are. */
  serverCerts: string[];
  /** `local<suffix>.certs`: the client certificate (PEM `CERTIFICATE`). */
  clientCert: string | null;
  /**
   * `secrets.private-<x>.file` (or the key of a PKCS#12 bundle): PEM private key, unencrypted or
   * PKCS#8 `ENCRYPTED PRIVATE KEY` (its passphrase asked at connect, the key decrypted in the helper).
   */
  privateKey: string | null;
}

/** Values from the `secrets { }` section, matched to this connection. */
export interface Ikev2Secrets {
  /** `secrets.ike-<x>.secret`: the pre-shared key (psk rounds). */
  psk: string | null;
  /** `secrets.eap-<x>.secret`: the EAP password; null = asked at connect through the credentials flow. */
  eapPassword: string | null;
  /** `secrets.xauth-<x>.secret`: the XAuth password; null = asked at connect. */
  xauthPassword: string | null;
}

export interface Ikev2Profile {
  kind: 'ikev2';
  /** The connection's section name (`connections.<conn>`); letters, digits, `-`, `_`. */
  connection: string;
  /** `version`: 1 = IKEv1, 2 = IKEv2 (`0`, "any", is stored as 2: what charon initiates with). */
  version: 1 | 2;
  /** `remote_addrs`: the servers (host names or IP addresses), never `%any` or a range. */
  remoteAddrs: string[];
  /** `remote_port`; null = 500 (charon floats to 4500 behind NAT). */
  remotePort: number | null;
  /** `local_addrs`; empty = any local address (charon's default `%any`). */
  localAddrs: string[];
  /** `local<suffix> { }` rounds, 1 or 2, in order. */
  local: Ikev2LocalRound[];
  /** `remote { }`. */
  remote: Ikev2RemoteRound;
  /** `aggressive` (IKEv1 only). */
  aggressive: boolean;
  /** `vips`: virtual IPs requested from the server, `0.0.0.0` and/or `::` (or a fixed address). Empty = none. */
  vips: string[];
  /** `proposals`: IKE proposals; null = charon's defaults. */
  proposals: string[] | null;
  /** `encap`: force UDP encapsulation of ESP (NAT-T) even without a NAT. */
  encap: boolean;
  /** `mobike` (IKEv2 only); charon's default is yes. */
  mobike: boolean;
  /** `dpd_delay` in seconds; null = no dead peer detection of our own (charon's default 0s). */
  dpdDelay: number | null;
  /** `children { }`: at least one. */
  children: Ikev2Child[];
  files: Ikev2Files;
  secrets: Ikev2Secrets;
  /**
   * DNS servers the profile itself sets (.sswan `dns-servers`, mobileconfig `DNS`); not a
   * swanctl.conf key: in the canonical text it is `tsunagu.dns_servers`. Empty = the DNS the
   * server assigns.
   */
  dnsServers: string[];
}
