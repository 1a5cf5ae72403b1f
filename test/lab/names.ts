// Naming and addressing for lab instances.
import { randomBytes } from 'node:crypto';

/**
 * Every namespace, device, file and directory the lab creates starts with this prefix (`tsl-`).
 * TSUNAGU_LAB_PREFIX (three lowercase letters) changes it, so a test of `down --all` sweeps only
 * its own names and leaves parallel runs alone.
 */
export function labPrefix(): string {
  const p = process.env.TSUNAGU_LAB_PREFIX ?? 'tsl';
  if (!/^[a-z]{3}$/.test(p)) throw new Error(`TSUNAGU_LAB_PREFIX must be three lowercase letters, got "${p}"`);
  return `${p}-`;
}

export const LAB_PREFIX = 'tsl-';

/** Any lab id (whatever the prefix): three letters, a dash, six hex digits. */
export const ANY_ID_RE = /^[a-z]{3}-[0-9a-f]{6}$/;

/** An id with the current prefix. */
export function isLabId(s: string): boolean {
  return s.startsWith(labPrefix()) && ANY_ID_RE.test(s);
}

/** A name derived from an id with the current prefix (`tsl-1a2b3c` or `tsl-1a2b3c-suffix`). */
export function isLabName(s: string): boolean {
  return s.startsWith(labPrefix()) && /^[a-z]{3}-[0-9a-f]{6}(?:-|$)/.test(s);
}

export function labRoot(): string {
  return process.env.TSUNAGU_LAB_DIR ?? '/run/tsunagu-lab';
}

export function randomId(): string {
  return `${labPrefix()}${randomBytes(3).toString('hex')}`;
}

/**
 * Per-instance names, all at most 15 characters (the Linux interface name limit).
 * Devices live inside the instance's namespaces, but wireguard-go's UAPI socket
 * (/var/run/wireguard/<if>.sock) is global, so WireGuard device names must be unique per host.
 */
export function instanceNames(id: string) {
  return {
    serverNetns: `${id}-s`,
    clientNetns: `${id}-c`,
    protectedNetns: `${id}-p`,
    /** veth end in the server namespace facing the client (the "internet"). */
    underlayServer: `${id}-us`,
    underlayClient: `${id}-uc`,
    /** veth end in the server namespace facing the protected host. */
    insideServer: `${id}-is`,
    insideProtected: `${id}-ip`,
    bridge: `${id}-br`,
    ovpnTun: `${id}-tun`,
    ovpnTap: `${id}-tap`,
    wgServer: `${id}-ws`,
    wgClient: `${id}-wc`,
  };
}

export type InstanceNames = ReturnType<typeof instanceNames>;

/**
 * Addresses. All of them live only inside namespaces the lab creates, so every instance can
 * reuse the same plan without collisions; 198.18.0.0/15 is the benchmarking range (RFC 2544),
 * which no real network uses here.
 */
export const ADDR = {
  underlayPrefix: 24,
  serverUnderlay: '198.18.1.1',
  clientUnderlay: '198.18.1.2',
  /** Nobody has this address: the dead first remote of openvpn-failover. */
  deadRemote: '198.18.1.254',
  insideNet: '198.18.2.0',
  insidePrefix: 24,
  insideMask: '255.255.255.0',
  serverInside: '198.18.2.1',
  protectedHost: '198.18.2.2',
  /** Secondary address of the protected host, announced as the DNS server. */
  dnsServer: '198.18.2.53',
  dnsDomain: 'lab.test',
  ovpnNet: '198.18.8.0',
  ovpnMask: '255.255.255.0',
  ovpnServer: '198.18.8.1',
  tapPoolStart: '198.18.2.100',
  tapPoolEnd: '198.18.2.150',
  wgServer: '198.18.9.1',
  wgClient: '198.18.9.2',
  wgNet: '198.18.9.0/24',
  wgServer6: 'fd74:736c:9::1',
  wgClient6: 'fd74:736c:9::2',
  wgNet6: 'fd74:736c:9::/64',
  ikePool: '198.18.10.0/24',
  ikeServerId: 'server.lab.test',
  ikeClientId: 'client@lab.test',
  /** ikev2-cert: the client certificate's identity (its CN and DNS subjectAltName). */
  ikeCertClientId: 'client.lab.test',
  /** The UDP ports IKE uses (500, and 4500 once NAT-T or libipsec's UDP encapsulation starts). */
  ikePorts: [500, 4500],
  ovpnPort: 1194,
  wgPort: 51820,
} as const;
