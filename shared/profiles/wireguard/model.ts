/**
 * The WireGuard profile model: what a wg-quick `.conf` file means once parsed and validated.
 *
 * Every string is stored in canonical form (IP addresses as ipaddr.js prints them, numbers as
 * numbers, keywords in lower case), so that `writeWireGuard` and `parseWireGuard` round-trip.
 */

/** A peer's UDP endpoint. `host` is an IP address or a DNS name, without IPv6 brackets. */
export interface WireGuardEndpoint {
  /** IPv4 ("192.0.2.1"), IPv6 ("2001:db8::1", maybe with "%zone") or a host name as written. */
  host: string;
  /** 1–65535. */
  port: number;
}

export interface WireGuardPeer {
  /** 44-character base64 Curve25519 public key. */
  publicKey: string;
  presharedKey?: string;
  /** CIDR prefixes ("10.0.0.0/24", "::/0") with host bits cleared, as wg and the kernel store them. */
  allowedIPs: string[];
  endpoint?: WireGuardEndpoint;
  /** Seconds, 1–65535. `0` and `off` in the file both mean "disabled" and are stored as undefined. */
  persistentKeepalive?: number;
}

export interface WireGuardInterface {
  privateKey: string;
  /** Derived from `privateKey` with x25519 (what `wg pubkey` prints); never written to the file. */
  publicKey: string;
  /** 0 or 1024–65535; 0 asks the kernel for a random port, like leaving it out. */
  listenPort?: number;
  /**
   * Interface addresses with prefix ("10.0.0.2/24"); a bare address gets /32 or /128. The host
   * part is kept: it is the interface's own address, and the prefix its subnet.
   */
  addresses: string[];
  dns: { servers: string[]; searchDomains: string[] };
  /** 576–65535. */
  mtu?: number;
  /** Only wg-quick's default table logic or no routes at all: other tables are refused. */
  table?: 'auto' | 'off';
  saveConfig?: boolean;
  /** Shell snippets for wg-quick, verbatim (a `#` inside them is not a comment). */
  preUp: string[];
  postUp: string[];
  preDown: string[];
  postDown: string[];
}

export interface WireGuardProfile {
  kind: 'wireguard';
  interface: WireGuardInterface;
  peers: WireGuardPeer[];
}

export type WireGuardHookKey = 'PreUp' | 'PostUp' | 'PreDown' | 'PostDown';

/** Where things are in the source file, so the policy module can point at the offending line. */
export interface WireGuardLocated {
  /** Every hook line, in file order (1-based line numbers). */
  hooks: Array<{ key: WireGuardHookKey; line: number; value: string }>;
  /**
   * First line of each key, as `interface.<lowercase key>` (e.g. `interface.listenport`,
   * `interface.saveconfig`, `interface.table`) or `peer.<index>.<lowercase key>`
   * (e.g. `peer.0.endpoint`). Section headers are recorded too, as `interface` and `peer.<index>`.
   */
  keyLines: Record<string, number>;
  /** AllowedIPs entries written with host bits, which the model holds cleared. */
  maskedAllowedIPs: Array<{ line: number; column: number; written: string; cidr: string }>;
  /** wg-quick keys written with no value, which wg-quick takes as not set (its default). */
  emptyDefaults: Array<{ key: string; line: number }>;
}
