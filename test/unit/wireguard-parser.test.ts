import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { ProfileError } from '../../shared/profiles/diagnostics.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { wireGuardAdvisories } from '../../shared/profiles/wireguard/advisories.js';
import { WIREGUARD_KEYS, wireGuardReviewTable } from '../../shared/profiles/wireguard/keytable.js';
import { looksLikeWireGuard, parseWireGuard, WIREGUARD_MAX_BYTES } from '../../shared/profiles/wireguard/parser.js';

// The seed lab's client and server configurations, verbatim.
const SEED_CLIENT = `[Interface]
## Private Key of VPN Client ##
PrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=

## IP address of VPN Client ##
Address = 192.168.108.102/24

[Peer]
## Public Key of Rocky 8 VPN Server ##
PublicKey = m58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=

## set ACL ##
AllowedIPs = 0.0.0.0/0

## IP address and Port of CentOS 8 VPN Server ##
Endpoint = 192.168.108.101:51820
`;

const SEED_SERVER = `[Interface]

## IP Address of VPN server ##
Address = 192.168.108.101/24

## Save the configuration when a new client will add ##
SaveConfig = true

## port number of VPN server ##
ListenPort = 51820

## Private Key of VPN Server ##
PrivateKey = SERVER_PRIVATE_KEY

## Command to be executed before starting the interface ##
PostUp     = firewall-cmd --zone=public --add-port 51820/udp && firewall-cmd --zone=public --add-masquerade

## Command to be executed before turning off the interface ##
PostDown   = firewall-cmd --remove-port 51820/udp --zone=public && firewall-cmd --remove-masquerade --zone=public
`;

const PRIV = 'qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=';
const OWN_PUB = '73gw+v4V0TKsw2uGLHJ9EI26qfMEwvk+JZ+xED2ttAs=';
const PEER1 = 'm58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=';
const PEER2 = 'zGWP9CQXnV75sP0BhZTMxo4k8UYKpZtj6oGY4SaRTW8=';
const PSK = 'L+V9o0fNYkMVKNqsX7spBzD/9oSvxM/C7ZCZX1jLO3Q=';

const conf = (ifaceLines: string[], ...peers: string[][]): string =>
  [['[Interface]', `PrivateKey = ${PRIV}`, ...ifaceLines], ...peers.map((p) => ['[Peer]', ...p])]
    .map((s) => s.join('\n'))
    .join('\n\n');

function ok(text: string | Uint8Array) {
  const r = parseWireGuard(text);
  if (!r.ok) throw new Error(`expected success, got ${JSON.stringify(r.errors, null, 1)}`);
  return r;
}

function errors(text: string | Uint8Array): ProfileError[] {
  const r = parseWireGuard(text);
  if (r.ok) throw new Error('expected errors, got a profile');
  return r.errors;
}

const codes = (text: string): string[] => errors(text).map((e) => e.code);

/** The single error for one bad line in an otherwise valid file. */
function only(text: string | Uint8Array): ProfileError {
  const errs = errors(text);
  expect(errs, JSON.stringify(errs.map((e) => e.code))).toHaveLength(1);
  return errs[0] as ProfileError;
}

describe('seed configurations', () => {
  it('parses the seed client', () => {
    const r = ok(SEED_CLIENT);
    expect(r.errors).toEqual([]);
    expect(r.profile).toEqual({
      kind: 'wireguard',
      interface: {
        privateKey: PRIV,
        publicKey: OWN_PUB,
        addresses: ['192.168.108.102/24'],
        dns: { servers: [], searchDomains: [] },
        preUp: [],
        postUp: [],
        preDown: [],
        postDown: [],
      },
      peers: [{ publicKey: PEER1, allowedIPs: ['0.0.0.0/0'], endpoint: { host: '192.168.108.101', port: 51820 } }],
    });
    expect(r.located.keyLines).toMatchObject({
      interface: 1,
      'interface.privatekey': 3,
      'interface.address': 6,
      'peer.0': 8,
      'peer.0.publickey': 10,
      'peer.0.allowedips': 13,
      'peer.0.endpoint': 16,
    });
    expect(r.located.hooks).toEqual([]);
  });

  it('parses the seed client from bytes, with CRLF and a BOM', () => {
    const bytes = new TextEncoder().encode(`\uFEFF${SEED_CLIENT.replace(/\n/g, '\r\n')}`);
    expect(ok(bytes).profile).toEqual(ok(SEED_CLIENT).profile);
  });

  it('rejects the seed server with a key error on its placeholder PrivateKey', () => {
    const errs = errors(SEED_SERVER);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ code: 'WG_KEY_INVALID', line: 13, column: 14, text: 'SERVER_PRIVATE_KEY' });
    expect(errs[0]?.message.en).toContain('"SERVER_PRIVATE_KEY"');
    expect(errs[0]?.message.ja).toContain('「SERVER_PRIVATE_KEY」');
  });

  it('reads the seed server fully once it has a real key (hooks, SaveConfig, ListenPort)', () => {
    const r = ok(SEED_SERVER.replace('SERVER_PRIVATE_KEY', PRIV));
    const i = r.profile.interface;
    expect(i.saveConfig).toBe(true);
    expect(i.listenPort).toBe(51820);
    expect(i.postUp).toEqual(['firewall-cmd --zone=public --add-port 51820/udp && firewall-cmd --zone=public --add-masquerade']);
    expect(i.postDown).toHaveLength(1);
    expect(r.profile.peers).toEqual([]);
    expect(r.located.hooks.map((h) => [h.key, h.line])).toEqual([['PostUp', 16], ['PostDown', 19]]);
    expect(r.located.keyLines).toMatchObject({ 'interface.listenport': 10, 'interface.saveconfig': 7 });
  });
});

describe('lexical rules', () => {
  it('treats section names and keys case-insensitively, and trims', () => {
    const r = ok(`[INTERFACE]\n  privatekey   =   ${PRIV}  \n[pEeR]\nPUBLICKEY=${PEER1}\nallowedIPS=10.0.0.0/8`);
    expect(r.profile.peers[0]?.allowedIPs).toEqual(['10.0.0.0/8']);
  });

  it('strips # comments anywhere, including on header lines and after values', () => {
    const r = ok(`# top\n[Interface] # the interface\nPrivateKey = ${PRIV} # secret\nAddress = 10.0.0.2/32#x\n#Address = bogus\n[Peer]#p\nPublicKey = ${PEER1}`);
    expect(r.profile.interface.addresses).toEqual(['10.0.0.2/32']);
  });

  it("refuses a '#' in a hook: wg-quick would cut the command there", () => {
    // wg-quick 1.0.20210914 (this machine's) takes a hook's value from the line cut at its first '#'.
    for (const hook of [`PostUp = echo '#1'`, 'PreDown = logger "a#b"', 'PreUp=x#', 'PostDown = rm -rf /tmp/a#b', 'PostUp = echo hi # note']) {
      const e = only(conf([hook]));
      expect(e, hook).toMatchObject({ code: 'WG_HOOK_COMMENT', line: 3, column: hook.indexOf('#') + 1 });
      expect(e.message.en).toContain('#');
      expect(e.message.ja).toContain('#');
    }
    const r = ok(conf(['PostUp = logger a', 'PostDown = y']));
    expect(r.located.hooks).toEqual([
      { key: 'PostUp', line: 3, value: 'logger a' },
      { key: 'PostDown', line: 4, value: 'y' },
    ]);
  });

  it('treats a commented-out hook as a comment', () => {
    expect(ok(conf(['# PostUp = rm -rf /', '#PostUp=x'])).profile.interface.postUp).toEqual([]);
  });

  it('splits keys on the first "=" only', () => {
    const r = ok(conf(['PostUp = a=b == c']));
    expect(r.profile.interface.postUp).toEqual(['a=b == c']);
  });

  it('accumulates repeatable keys in order', () => {
    const r = ok(
      conf(
        ['Address = 10.0.0.2/32', 'Address = fd00::2/128, 10.0.1.2/32', 'DNS = 1.1.1.1', 'DNS = example.com, ::1', 'PostUp = a', 'PostUp = b'],
        [`PublicKey = ${PEER1}`, 'AllowedIPs = 10.0.0.0/8', 'AllowedIPs = ::/0'],
      ),
    );
    expect(r.profile.interface.addresses).toEqual(['10.0.0.2/32', 'fd00::2/128', '10.0.1.2/32']);
    expect(r.profile.interface.dns).toEqual({ servers: ['1.1.1.1', '::1'], searchDomains: ['example.com'] });
    expect(r.profile.interface.postUp).toEqual(['a', 'b']);
    expect(r.profile.peers[0]?.allowedIPs).toEqual(['10.0.0.0/8', '::/0']);
  });

  it('accepts an interface after peers, and many peers', () => {
    const r = ok(`[Peer]\nPublicKey = ${PEER1}\n[Interface]\nPrivateKey = ${PRIV}\n[Peer]\nPublicKey = ${PEER2}\nPresharedKey = ${PSK}`);
    expect(r.profile.peers.map((p) => p.publicKey)).toEqual([PEER1, PEER2]);
    expect(r.profile.peers[1]?.presharedKey).toBe(PSK);
    expect(r.located.keyLines).toMatchObject({ interface: 3, 'peer.0': 1, 'peer.1': 5, 'peer.1.presharedkey': 7 });
  });

  it('allows a peer without AllowedIPs or Endpoint', () => {
    expect(ok(conf([], [`PublicKey = ${PEER1}`])).profile.peers[0]).toEqual({ publicKey: PEER1, allowedIPs: [] });
  });
});

describe('structural errors', () => {
  it('line outside a section', () => {
    expect(errors(`PrivateKey = ${PRIV}\n[Interface]\nPrivateKey = ${PRIV}`)[0]).toMatchObject({
      code: 'WG_LINE_OUTSIDE_SECTION',
      line: 1,
      column: 1,
    });
  });

  it('unknown section (reported once; its lines are skipped)', () => {
    const e = only(`${conf([])}\n[Wg]\nFoo = bar\nbaz\n`);
    expect(e).toMatchObject({ code: 'WG_UNKNOWN_SECTION', line: 3, text: '[Wg]' });
    expect(only(`${conf([])}\n  [Peer`).code).toBe('WG_UNKNOWN_SECTION');
  });

  it('duplicate [Interface]', () => {
    const e = only(`${conf([])}\n[Interface]\nAddress = 10.0.0.2/32`);
    expect(e).toMatchObject({ code: 'WG_DUPLICATE_INTERFACE', line: 3 });
    expect(e.message.en).toContain('line 1');
    // Values inside the duplicate section are still checked.
    expect(codes(`${conf([])}\n[Interface]\nMTU = 1`)).toEqual(['WG_DUPLICATE_INTERFACE', 'WG_INVALID_MTU']);
  });

  it('missing equals, empty value, unknown key', () => {
    expect(only(conf(['Address']))).toMatchObject({ code: 'WG_MISSING_EQUALS', line: 3, column: 1 });
    // wg reads these keys and refuses them empty (`wg setconf`: "Line unrecognized").
    expect(only(conf(['  ListenPort =   ']))).toMatchObject({ code: 'WG_EMPTY_VALUE', line: 3, column: 3 });
    expect(only(conf(['ListenPort = # nothing']))).toMatchObject({ code: 'WG_EMPTY_VALUE' });
    expect(only(conf(['SaveConfig =']))).toMatchObject({ code: 'WG_EMPTY_VALUE' });
    const unknown = only(conf(['Private Key = x']));
    expect(unknown).toMatchObject({ code: 'WG_UNKNOWN_KEY', text: 'Private Key' });
    expect(unknown.message.en).toContain('[Interface]');
    expect(only(conf([], [`PublicKey = ${PEER1}`, 'Address = 10.0.0.1']))).toMatchObject({ code: 'WG_UNKNOWN_KEY', line: 6 });
    expect(only(conf([], [`PublicKey = ${PEER1}`, 'PostUp = x']))).toMatchObject({ code: 'WG_UNKNOWN_KEY' });
    expect(only(conf(['Endpoint = a:1']))).toMatchObject({ code: 'WG_UNKNOWN_KEY' });
    expect(only(conf(['= value']))).toMatchObject({ code: 'WG_UNKNOWN_KEY' });
  });

  it('empty wg-quick values are its defaults, noted once per line and left out', () => {
    const r = parseWireGuard(conf(['Address =', 'DNS = # none', 'MTU =', 'Table =', 'PostUp =']));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.located.emptyDefaults).toEqual([{ key: 'Address', line: 3 }, { key: 'DNS', line: 4 }, { key: 'MTU', line: 5 }, { key: 'Table', line: 6 }, { key: 'PostUp', line: 7 }]);
    expect(r.located.hooks).toEqual([]);
    expect(r.profile.interface.mtu).toBeUndefined();
    const inspected = inspectProfile(conf(['DNS =', 'MTU =']), { fileName: 'wg0.conf' });
    expect(inspected.ok).toBe(true);
    expect(inspected.advisories.filter((a) => a.code === 'WG_EMPTY_DEFAULT').map((a) => a.line)).toEqual([3, 4]);
    expect(inspected.canonical).not.toMatch(/^(DNS|MTU)\b/m);
  });

  it('repeated non-repeatable keys', () => {
    for (const line of ['ListenPort = 1024', 'MTU = 1420', 'Table = off', 'SaveConfig = false']) {
      const e = only(conf([line, line]));
      expect(e.code).toBe('WG_DUPLICATE_KEY');
      expect(e.message.en).toMatch(/line \d/);
    }
    expect(only(conf([`PrivateKey = ${PRIV}`]))).toMatchObject({ code: 'WG_DUPLICATE_KEY', line: 3 });
    for (const line of [`PresharedKey = ${PSK}`, 'Endpoint = a.example:1', 'PersistentKeepalive = 25', `PublicKey = ${PEER1}`]) {
      expect(only(conf([], [`PublicKey = ${PEER1}`, line, line].slice(line.startsWith('PublicKey') ? 1 : 0))).code).toBe('WG_DUPLICATE_KEY');
    }
  });

  it('whole-file checks: no interface, no private key, peer without key, duplicate peer, self as peer', () => {
    expect(only('')).toMatchObject({ code: 'WG_NO_INTERFACE', line: 0 });
    expect(only('# just a comment\n')).toMatchObject({ code: 'WG_NO_INTERFACE' });
    expect(only('[Interface]\nAddress = 10.0.0.2/32')).toMatchObject({ code: 'WG_NO_PRIVATE_KEY', line: 1 });
    expect(only(conf([], ['AllowedIPs = 0.0.0.0/0']))).toMatchObject({ code: 'WG_PEER_NO_PUBLIC_KEY', line: 4 });
    expect(only(conf([], []))).toMatchObject({ code: 'WG_PEER_NO_PUBLIC_KEY' });
    const dup = only(conf([], [`PublicKey = ${PEER1}`], [`PublicKey = ${PEER1}`]));
    expect(dup).toMatchObject({ code: 'WG_DUPLICATE_PEER', line: 8, column: 13 });
    expect(dup.message.en).toContain('line 4');
    expect(only(conf([], [`PublicKey = ${OWN_PUB}`]))).toMatchObject({ code: 'WG_PEER_IS_SELF', line: 5 });
  });

  it('refuses an all-zero PrivateKey, which wg reads as no key', () => {
    const e = only(`[Interface]\nPrivateKey = ${'A'.repeat(43)}=\n`);
    expect(e).toMatchObject({ code: 'WG_KEY_ZERO', line: 2, column: 14 });
    expect(e.message.en).toMatch(/all zeros/);
  });

  it('does not pile a "missing key" error on top of an invalid key', () => {
    expect(codes('[Interface]\nPrivateKey = n0pe!\n[Peer]\nPublicKey = n0pe!')).toEqual(['WG_KEY_INVALID', 'WG_KEY_INVALID']);
  });

  it('collects all errors in file order, with English and Japanese text', () => {
    const errs = errors('[Interface]\nPrivateKey = abc\nMTU = 10\nListenPort = -1\n[Peer]\nEndpoint = x\nPersistentKeepalive = y\n');
    expect(errs.map((e) => [e.code, e.line])).toEqual([
      ['WG_KEY_INVALID', 2],
      ['WG_INVALID_MTU', 3],
      ['WG_INVALID_LISTEN_PORT', 4],
      ['WG_PEER_NO_PUBLIC_KEY', 5],
      ['WG_ENDPOINT_MISSING_PORT', 6],
      ['WG_INVALID_KEEPALIVE', 7],
    ]);
    for (const e of errs) {
      expect(e.code).toMatch(/^WG_[A-Z_]+$/);
      expect(e.message.en.length).toBeGreaterThan(20);
      expect(e.message.ja).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
    }
  });

  it('caps the number of errors', () => {
    const errs = errors(`[Interface]\n${'bad line\n'.repeat(500)}`);
    expect(errs.length).toBeLessThanOrEqual(101);
    expect(errs.at(-1)?.code).toBe('WG_TOO_MANY_ERRORS');
  });

  it('refuses binary, non-UTF-8 and oversized input', () => {
    expect(only(new Uint8Array([0x5b, 0x00, 0x5d])).code).toBe('PROFILE_BINARY');
    expect(only(new Uint8Array([0x5b, 0xff, 0x5d])).code).toBe('PROFILE_NOT_UTF8');
    expect(only('#'.repeat(WIREGUARD_MAX_BYTES + 1)).code).toBe('WG_TOO_LARGE');
    expect(only(new Uint8Array(WIREGUARD_MAX_BYTES + 1)).code).toBe('WG_TOO_LARGE');
  });

  it('refuses hidden control and bidi characters in values', () => {
    for (const ch of ['\u0000', '\u001b', '\r', '\u007f', '\u0085', '\u202e', '\u2066', '\u200f', '\u2028']) {
      const e = only(conf([`PostUp = echo a${ch}b`]));
      expect(e).toMatchObject({ code: 'WG_CONTROL_CHARACTER', line: 3, column: 16 });
    }
    // Tabs are ordinary whitespace, and comments may contain anything.
    expect(ok(conf(['PostUp = echo\ta', '# \u202e \u0001'])).profile.interface.postUp).toEqual(['echo\ta']);
  });
});

describe('keys', () => {
  it('error codes and columns for bad keys', () => {
    expect(only(conf([], ['PublicKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==']))).toMatchObject({ code: 'WG_KEY_LENGTH', column: 13 });
    expect(only(conf([], ['PublicKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=']))).toMatchObject({ code: 'WG_KEY_NONCANONICAL' });
    expect(only(conf([], [`PublicKey = ${PEER1.slice(0, -1)}`]))).toMatchObject({ code: 'WG_KEY_INVALID' });
    expect(only(conf([], [`PublicKey = ${PEER1}`, 'PresharedKey = short']))).toMatchObject({ code: 'WG_KEY_INVALID', line: 6 });
    const len = only(conf([], [`PublicKey = ${Buffer.alloc(16).toString('base64')}`]));
    expect(len.message.en).toContain('decodes to 16');
  });
});

describe('Address and AllowedIPs', () => {
  const addr = (v: string): string[] => ok(conf([`Address = ${v}`])).profile.interface.addresses;
  const allowed = (v: string): string[] => ok(conf([], [`PublicKey = ${PEER1}`, `AllowedIPs = ${v}`])).profile.peers[0]?.allowedIPs ?? [];

  it('canonicalises; Address keeps its host part', () => {
    expect(addr('10.0.0.2/24')).toEqual(['10.0.0.2/24']);
    expect(addr('10.0.0.2')).toEqual(['10.0.0.2/32']);
    expect(addr('FD00:0000::0:2')).toEqual(['fd00::2/128']);
    expect(addr('fd00:0:0:0:0:0:0:2/64 ,10.1.2.3/8')).toEqual(['fd00::2/64', '10.1.2.3/8']);
    expect(allowed('0.0.0.0/0, ::/0')).toEqual(['0.0.0.0/0', '::/0']);
    expect(allowed('2001:DB8:0:0:1:0:0:1/128')).toEqual(['2001:db8::1:0:0:1/128']);
    expect(allowed('::ffff:10.1.2.3/128')).toEqual(['::ffff:10.1.2.3/128']);
    expect(allowed('10.0.0.0/8')).toEqual(['10.0.0.0/8']);
  });

  it('AllowedIPs host bits are cleared, with an advisory naming the entry', () => {
    // As wg does ("Warning: AllowedIP has nonzero host part") before the device stores the network.
    const r = ok(conf([], [`PublicKey = ${PEER1}`, 'AllowedIPs = 1.0.0.0/0, 10.0.0.0/8', 'AllowedIPs = 2001:DB8:0:0:1:0:0:1/48, 8000::1/0']));
    expect(r.profile.peers[0]?.allowedIPs).toEqual(['0.0.0.0/0', '10.0.0.0/8', '2001:db8::/48', '::/0']);
    expect(r.located.maskedAllowedIPs).toEqual([
      { line: 6, column: 14, written: '1.0.0.0/0', cidr: '0.0.0.0/0' },
      { line: 7, column: 14, written: '2001:DB8:0:0:1:0:0:1/48', cidr: '2001:db8::/48' },
      { line: 7, column: 39, written: '8000::1/0', cidr: '::/0' },
    ]);
    const advisories = wireGuardAdvisories(r.profile, r.located).filter((a) => a.advisory.code === 'WG_ALLOWEDIPS_HOST_BITS');
    expect(advisories.map((a) => [a.advisory.line, a.advisory.message.en])).toEqual([
      [6, expect.stringMatching(/'1\.0\.0\.0\/0'.*means 0\.0\.0\.0\/0/)],
      [7, expect.stringMatching(/means 2001:db8::\/48/)],
      [7, expect.stringMatching(/'8000::1\/0'.*means ::\/0/)],
    ]);
    for (const a of advisories) expect(a.advisory.message.ja).toContain(a.advisory.message.en.match(/means (\S+)/)?.[1] ?? '?');
    const inspected = inspectProfile(conf([], [`PublicKey = ${PEER1}`, 'AllowedIPs = 1.0.0.0/0']), { kind: 'wireguard' });
    expect(inspected.canonical).toContain('AllowedIPs = 0.0.0.0/0\n');
    expect(inspected.advisories.map((a) => a.code)).toContain('WG_ALLOWEDIPS_HOST_BITS');
  });

  it('rejects malformed items at their own column', () => {
    expect(only(conf(['Address = 10.0.0.2/24, 10.0.0.300']))).toMatchObject({ code: 'WG_INVALID_IP', line: 3, column: 24, text: '10.0.0.300' });
    for (const bad of ['10.0.0', '010.0.0.1', '0x0a.0.0.1', 'fe80::1%eth0', '1::2::3', 'example.com', '::1.2.3.04', '10.0.0.1 /24']) {
      expect(only(conf([`Address = ${bad}`])).code, bad).toBe('WG_INVALID_IP');
    }
    for (const bad of ['10.0.0.1/33', '::/129', '10.0.0.1/', '10.0.0.1/024', '10.0.0.1/+1', '10.0.0.1/x', '10.0.0.1/24/1']) {
      expect(only(conf([`Address = ${bad}`])).code, bad).toBe('WG_INVALID_PREFIX');
    }
  });

  it('refuses a network given to two peers (the device would take it from the first)', () => {
    const e = only(conf([], [`PublicKey = ${PEER1}`, 'AllowedIPs = 10.0.0.0/8, 0.0.0.0/0'], [`PublicKey = ${PEER2}`, 'AllowedIPs = 1.0.0.0/0']));
    expect(e).toMatchObject({ code: 'WG_ALLOWEDIPS_SHARED', line: 10, column: 14, text: '0.0.0.0/0' });
    expect(e.message.en).toContain('peer on line 4');
    expect(ok(conf([], [`PublicKey = ${PEER1}`, 'AllowedIPs = 10.0.0.0/8, 10.0.0.0/8'], [`PublicKey = ${PEER2}`, 'AllowedIPs = 10.0.0.0/9'])).profile.peers.map((p) => p.allowedIPs)).toEqual([['10.0.0.0/8', '10.0.0.0/8'], ['10.0.0.0/9']]);
  });

  it('reports empty list items ("Two commas in a row")', () => {
    expect(only(conf(['Address = 10.0.0.1,,10.0.0.2']))).toMatchObject({ code: 'WG_LIST_EMPTY_ITEM', column: 20 });
    expect(only(conf([], [`PublicKey = ${PEER1}`, 'AllowedIPs = 10.0.0.0/8,']))).toMatchObject({ code: 'WG_LIST_EMPTY_ITEM' });
    expect(only(conf(['DNS = , 1.1.1.1'])).code).toBe('WG_LIST_EMPTY_ITEM');
  });
});

describe('DNS', () => {
  const dns = (v: string) => ok(conf([`DNS = ${v}`])).profile.interface.dns;

  it('splits servers from search domains', () => {
    expect(dns('1.1.1.1, 2606:4700:4700:0::1111, corp.example.com, lan., x-1.y')).toEqual({
      servers: ['1.1.1.1', '2606:4700:4700::1111'],
      searchDomains: ['corp.example.com', 'lan.', 'x-1.y'],
    });
  });

  it('rejects things that are neither', () => {
    for (const bad of ['-bad.example', 'bad-.example', 'a..b', 'under_score.example', 'ex ample', '.', `${'a'.repeat(64)}.com`, `${'abcdefghi.'.repeat(26)}com`]) {
      expect(only(conf([`DNS = ${bad}`])).code, bad).toBe('WG_INVALID_DNS');
    }
    for (const bad of ['10.0.0.256', '1.2.3', 'fe80::1%eth0', '1:2', '123']) {
      expect(only(conf([`DNS = ${bad}`])).code, bad).toBe('WG_INVALID_DNS_SERVER');
    }
  });
});

describe('Endpoint', () => {
  const ep = (v: string) => ok(conf([], [`PublicKey = ${PEER1}`, `Endpoint = ${v}`])).profile.peers[0]?.endpoint;
  const epErr = (v: string) => only(conf([], [`PublicKey = ${PEER1}`, `Endpoint = ${v}`]));

  it('accepts host:port, [v6]:port and [v6%zone]:port', () => {
    expect(ep('vpn.example.com:51820')).toEqual({ host: 'vpn.example.com', port: 51820 });
    expect(ep('192.0.2.1:1')).toEqual({ host: '192.0.2.1', port: 1 });
    expect(ep('[2001:DB8::0:1]:65535')).toEqual({ host: '2001:db8::1', port: 65535 });
    expect(ep('[fe80::1%eth0]:51820')).toEqual({ host: 'fe80::1%eth0', port: 51820 });
    expect(ep('localhost:051820')).toEqual({ host: 'localhost', port: 51820 });
  });

  it('refuses a host that the resolver would read as an IPv4 address', () => {
    for (const host of ['0x7f.1', '0x7F.0.0.1', '10.1', '0x0a000001', '012.0.0.1']) {
      expect(epErr(`${host}:51820`).code, host).toBe('WG_ENDPOINT_HOST');
    }
  });

  it('rejects bad endpoints with wireguard-windows-like messages', () => {
    expect(epErr('::1:51820')).toMatchObject({ code: 'WG_ENDPOINT_BRACKETS', column: 12, text: '::1' });
    expect(epErr('2001:db8::1').code).toBe('WG_ENDPOINT_BRACKETS');
    expect(epErr('[192.0.2.1]:51820').code).toBe('WG_ENDPOINT_BRACKETS');
    expect(epErr('[::ffff:192.0.2.1]:51820').code).toBe('WG_ENDPOINT_BRACKETS');
    expect(epErr('[host.example]:51820').code).toBe('WG_ENDPOINT_BRACKETS');
    expect(epErr('[::1:51820').code).toBe('WG_ENDPOINT_BRACKETS');
    expect(epErr('vpn.example.com').code).toBe('WG_ENDPOINT_MISSING_PORT');
    expect(epErr('vpn.example.com:').code).toBe('WG_ENDPOINT_MISSING_PORT');
    expect(epErr('[::1]').code).toBe('WG_ENDPOINT_MISSING_PORT');
    const zero = epErr('vpn.example.com:0');
    expect(zero).toMatchObject({ code: 'WG_INVALID_PORT', column: 28, text: '0' });
    expect(zero.message.en).toContain('1–65535');
    expect(epErr('a.example:65536').code).toBe('WG_INVALID_PORT');
    expect(epErr('a.example:+1').code).toBe('WG_INVALID_PORT');
    expect(epErr('[::1]:x').code).toBe('WG_INVALID_PORT');
    expect(epErr('[::1]x').code).toBe('WG_INVALID_PORT');
    expect(epErr(':51820').code).toBe('WG_ENDPOINT_HOST');
    expect(epErr('bad_host:51820').code).toBe('WG_ENDPOINT_HOST');
    expect(epErr('10.0.0.256:51820').code).toBe('WG_ENDPOINT_HOST');
    expect(epErr('10.1:51820').code).toBe('WG_ENDPOINT_HOST');
  });
});

describe('numeric and keyword values', () => {
  const iface = (line: string) => ok(conf([line])).profile.interface;
  const ifaceErr = (line: string) => only(conf([line]));
  const peer = (line: string) => ok(conf([], [`PublicKey = ${PEER1}`, line])).profile.peers[0];
  const peerErr = (line: string) => only(conf([], [`PublicKey = ${PEER1}`, line]));

  it('ListenPort 0 or 1024–65535; privileged ports are refused', () => {
    expect(iface('ListenPort = 0').listenPort).toBe(0);
    expect(iface('ListenPort = 1024').listenPort).toBe(1024);
    expect(iface('ListenPort = 65535').listenPort).toBe(65535);
    for (const bad of ['65536', '-1', 'x', '1.5', '0x10']) expect(ifaceErr(`ListenPort = ${bad}`).code).toBe('WG_INVALID_LISTEN_PORT');
    for (const privileged of ['1', '53', '1023', '0443']) {
      const e = ifaceErr(`ListenPort = ${privileged}`);
      expect(e, privileged).toMatchObject({ code: 'WG_PRIVILEGED_LISTEN_PORT', line: 3, column: 14 });
      expect(e.message.en).toMatch(/privileged/);
    }
  });

  it('MTU 576–65535', () => {
    expect(iface('MTU = 576').mtu).toBe(576);
    expect(iface('MTU = 1420').mtu).toBe(1420);
    const e = ifaceErr('MTU = 575');
    expect(e).toMatchObject({ code: 'WG_INVALID_MTU', column: 7 });
    expect(e.message.en).toContain('576–65535');
    expect(ifaceErr('MTU = 65536').code).toBe('WG_INVALID_MTU');
  });

  it('PersistentKeepalive 0–65535 or off', () => {
    expect(peer('PersistentKeepalive = 25')?.persistentKeepalive).toBe(25);
    expect(peer('PersistentKeepalive = 0')).not.toHaveProperty('persistentKeepalive');
    expect(peer('PersistentKeepalive = off')).not.toHaveProperty('persistentKeepalive');
    expect(peer('PersistentKeepalive = 65535')?.persistentKeepalive).toBe(65535);
    expect(peerErr('PersistentKeepalive = 65536').code).toBe('WG_INVALID_KEEPALIVE');
    expect(peerErr('PersistentKeepalive = on').code).toBe('WG_INVALID_KEEPALIVE');
  });

  it('FwMark is refused, whatever its value', () => {
    for (const value of ['51820', '0xca6c', '0xFFFFFFFF', 'off', '0', '1', 'junk']) {
      const e = ifaceErr(`FwMark = ${value}`);
      expect(e, value).toMatchObject({ code: 'WG_FWMARK_REFUSED', line: 3, column: 1 });
      expect(e.message.en).toMatch(/another connection's routing/);
      expect(e.message.ja).toMatch(/別の接続/);
    }
    expect(only(conf(['fwmark=0x1'])).code).toBe('WG_FWMARK_REFUSED');
  });

  it('Table other than auto or off is refused', () => {
    expect(iface('Table = off').table).toBe('off');
    expect(iface('Table = Off').table).toBe('off');
    expect(iface('Table = AUTO').table).toBe('auto');
    for (const value of ['main', 'MAIN', '51820', '051820', '4294967295', 'my_vpn-table', '4294967296', 'a b', 'tbl;rm', 'local', '255']) {
      const e = ifaceErr(`Table = ${value}`);
      expect(e, value).toMatchObject({ code: 'WG_TABLE_REFUSED', line: 3, column: 9 });
      expect(e.message.en).toMatch(/only "auto" \(the default\) and "off"/);
    }
  });

  it('SaveConfig true/false only', () => {
    expect(iface('SaveConfig = true').saveConfig).toBe(true);
    expect(iface('SaveConfig = False').saveConfig).toBe(false);
    for (const bad of ['yes', '1', 'on']) expect(ifaceErr(`SaveConfig = ${bad}`).code).toBe('WG_INVALID_SAVECONFIG');
  });

  it('records key lines for the policy module', () => {
    const r = ok(conf(['ListenPort = 51820', 'SaveConfig = true', 'Table = off'], [`PublicKey = ${PEER1}`, 'Endpoint = a.example:1']));
    expect(r.located.keyLines).toMatchObject({
      'interface.listenport': 3,
      'interface.saveconfig': 4,
      'interface.table': 5,
      'peer.0.endpoint': 9,
    });
  });
});

describe('looksLikeWireGuard', () => {
  it('detects an [Interface] or a [Peer] header, whichever comes first', () => {
    expect(looksLikeWireGuard(SEED_CLIENT)).toBe(true);
    expect(looksLikeWireGuard('\uFEFF  [interface]  # x\r\n')).toBe(true);
    expect(looksLikeWireGuard('client\ndev tun\nremote vpn.example.com 1194\n')).toBe(false);
    expect(looksLikeWireGuard('# [Interface]\n')).toBe(false);
    expect(looksLikeWireGuard('[Peer]\nPublicKey = x\n')).toBe(true);
  });
});

describe('robustness', () => {
  it('accepts a Uint8Array from another realm, and survives untyped junk', () => {
    const foreign = runInNewContext('new Uint8Array(bytes)', { bytes: [...new TextEncoder().encode(SEED_CLIENT)] }) as Uint8Array;
    expect(foreign instanceof Uint8Array).toBe(false);
    expect(ok(foreign).profile).toEqual(ok(SEED_CLIENT).profile);
    for (const junk of [null, undefined, 42, {}, [], new ArrayBuffer(4)]) {
      expect(parseWireGuard(junk as unknown as string).ok).toBe(false);
    }
  });

  it('handles pathological long values quickly', () => {
    const start = Date.now();
    const big = [
      `Address = ${'0:'.repeat(50_000)}`,
      `Address = ${'1.'.repeat(50_000)}`,
      `DNS = ${'a.'.repeat(50_000)}`,
      `DNS = ${'a-'.repeat(50_000)}`,
      `Table = ${'a'.repeat(100_000)}!`,
      `PostUp = ${'#'.repeat(100_000)}`,
      `FwMark = 0x${'f'.repeat(100_000)}`,
      `MTU = ${'9'.repeat(100_000)}`,
    ];
    const r = parseWireGuard(conf(big, [`PublicKey = ${PEER1}`, `Endpoint = ${'[::'.repeat(30_000)}]:1`, `Endpoint = ${'a'.repeat(100_000)}:1`]));
    expect(r.ok).toBe(false);
    expect(Date.now() - start).toBeLessThan(2000);
  });

  it('parses a 1 MiB file of many peers', () => {
    const peer = (i: number) => `[Peer]\nPublicKey = ${Buffer.alloc(32, 0).fill(i % 256, 0, 1).fill(Math.floor(i / 256), 1, 2).toString('base64')}\nAllowedIPs = 10.${Math.floor(i / 256)}.${i % 256}.0/24\n`;
    const peers: string[] = [];
    for (let i = 1; i < 9000; i++) peers.push(peer(i));
    const text = `[Interface]\nPrivateKey = ${PRIV}\n${peers.join('')}`;
    expect(text.length).toBeLessThan(WIREGUARD_MAX_BYTES);
    const start = Date.now();
    expect(ok(text).profile.peers).toHaveLength(8999);
    expect(Date.now() - start).toBeLessThan(3000);
  });
});

describe('the key table (keytable.ts) and the README review derived from it', () => {
  const root = join(import.meta.dirname, '../..');
  const START = '<!-- directive-review-wireguard:start -->';
  const END = '<!-- directive-review-wireguard:end -->';

  it("README's WireGuard review table is the one generated from the key table", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    // Regenerate with: npx tsx -e "import('./shared/profiles/wireguard/keytable.ts').then((m) => console.log(m.wireGuardReviewTable()))"
    expect(readme.slice(start + START.length, end).trim()).toBe(wireGuardReviewTable());
  });

  it('names for every key a test that exists', () => {
    for (const key of WIREGUARD_KEYS) {
      const source = readFileSync(join(root, key.test.file), 'utf8');
      const quoted = [`'${key.test.name}'`, `"${key.test.name}"`, `\`${key.test.name}\``];
      expect(quoted.some((q) => source.includes(`it(${q}`)), `${key.name}: ${key.test.file} — ${key.test.name}`).toBe(true);
    }
  });

  it('lists exactly the keys the parser knows, per section', () => {
    const section = (s: 'Interface' | 'Peer', line: string): string =>
      s === 'Interface' ? conf([line]) : conf([], [`PublicKey = ${PEER1}`, line]);
    for (const key of WIREGUARD_KEYS) {
      const r = parseWireGuard(section(key.section, `${key.name} = x`));
      const codes = r.ok ? [] : r.errors.map((e) => e.code);
      expect(codes, key.name).not.toContain('WG_UNKNOWN_KEY');
      const other = key.section === 'Interface' ? 'Peer' : 'Interface';
      if (!WIREGUARD_KEYS.some((k) => k.section === other && k.name === key.name)) {
        expect(errors(section(other, `${key.name} = x`)).map((e) => e.code), `${key.name} in [${other}]`).toContain('WG_UNKNOWN_KEY');
      }
    }
    expect(only(conf(['Bogus = 1'])).message.en).toContain(WIREGUARD_KEYS.filter((k) => k.section === 'Interface').map((k) => k.name).join(', '));
  });

  it.runIf(existsSync('/usr/bin/wg-quick'))("marks as wg-quick's exactly the keys wg-quick's parse_options keeps for itself", () => {
    const script = readFileSync('/usr/bin/wg-quick', 'utf8');
    const body = script.slice(script.indexOf('parse_options() {'), script.indexOf('\n}\n', script.indexOf('parse_options() {')));
    const own = [...body.matchAll(/^\t\t\t([A-Za-z]+)\) /gm)].map((m) => m[1]).sort();
    expect(own).toEqual(WIREGUARD_KEYS.filter((k) => k.readBy === 'wg-quick').map((k) => k.name).sort());
  });
});
