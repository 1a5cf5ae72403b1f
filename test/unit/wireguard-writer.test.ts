import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { publicKeyFromPrivate } from '../../shared/profiles/wireguard/keys.js';
import type { WireGuardPeer, WireGuardProfile } from '../../shared/profiles/wireguard/model.js';
import { parseWireGuard } from '../../shared/profiles/wireguard/parser.js';
import { checkCanonicalWireGuard, readAsWgQuick } from '../../shared/profiles/wireguard/wgquick-reader.js';
import { writeWireGuard } from '../../shared/profiles/wireguard/writer.js';

// ---------------------------------------------------------------------------------------------
// Generators of valid profiles, in canonical form, built independently of the parser.

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b64);

const ipv4Arb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
/** Groups biased to zero so compression ("::") is exercised; IPv4-mapped ones are written dotted. */
const ipv6Arb = fc
  .array(fc.oneof(fc.constant(0), fc.nat(0xffff)), { minLength: 8, maxLength: 8 })
  .map((parts) => {
    const addr = new ipaddr.IPv6(parts);
    return addr.isIPv4MappedAddress() ? `::ffff:${addr.toIPv4Address().toString()}` : addr.toRFC5952String();
  });
const prefixArb = fc.oneof(
  fc.tuple(ipv4Arb, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
  fc.tuple(ipv6Arb, fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`),
);
/** AllowedIPs are networks: the host bits of a generated prefix cleared, independently of the engine. */
const networkArb = prefixArb.map((text) => {
  const [address, bits] = ipaddr.parseCIDR(text);
  const bytes = address.toByteArray().map((byte, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
  const network = ipaddr.fromByteArray(bytes);
  const shown = network.kind() === 'ipv6' && (network as ipaddr.IPv6).isIPv4MappedAddress() ? `::ffff:${(network as ipaddr.IPv6).toIPv4Address().toString()}` : network.kind() === 'ipv6' ? (network as ipaddr.IPv6).toRFC5952String() : network.toString();
  return `${shown}/${bits}`;
});
const domainArb = fc.tuple(fc.domain(), fc.boolean()).map(([d, dot]) => (dot ? `${d}.` : d));

// Mirrors the parser's refusal list (hidden characters, and '#', which wg-quick cuts hooks at),
// so generated hooks are ones it must accept.
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069#]/;
const hookArb = fc
  .oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
    fc.string({ unit: fc.constantFrom('a', ' ', '=', '[', ']', '%i', "'", '"', ';', '\t', ',', '\\', '$(', '`'), minLength: 1, maxLength: 30 }),
  )
  .map((s) => s.trim())
  .filter((s) => s !== '' && !HIDDEN.test(s));

const tableArb = fc.constantFrom('off' as const, 'auto' as const);

const endpointArb = fc.record({
  host: fc.oneof(ipv4Arb, ipv6Arb.filter((h) => !h.startsWith('::ffff:')), fc.tuple(ipv6Arb, fc.constantFrom('eth0', '3', 'wlan_1')).filter(([h]) => !h.startsWith('::ffff:')).map(([h, z]) => `${h}%${z}`), fc.domain()),
  port: fc.integer({ min: 1, max: 65535 }),
});

/** Drops undefined optional fields, as the parser leaves them out. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const profileArb: fc.Arbitrary<WireGuardProfile> = fc
  .record({
    privateKey: keyArb,
    listenPort: fc.option(fc.oneof(fc.constant(0), fc.integer({ min: 1024, max: 65535 })), { nil: undefined }),
    addresses: fc.array(prefixArb, { maxLength: 3 }),
    servers: fc.array(fc.oneof(ipv4Arb, ipv6Arb), { maxLength: 3 }),
    searchDomains: fc.array(domainArb, { maxLength: 2 }),
    mtu: fc.option(fc.integer({ min: 576, max: 65535 }), { nil: undefined }),
    table: fc.option(tableArb, { nil: undefined }),
    saveConfig: fc.option(fc.boolean(), { nil: undefined }),
    preUp: fc.array(hookArb, { maxLength: 2 }),
    postUp: fc.array(hookArb, { maxLength: 2 }),
    preDown: fc.array(hookArb, { maxLength: 2 }),
    postDown: fc.array(hookArb, { maxLength: 2 }),
    peers: fc.uniqueArray(
      fc.record({
        publicKey: keyArb,
        presharedKey: fc.option(keyArb, { nil: undefined }),
        allowedIPs: fc.array(networkArb, { maxLength: 3 }),
        endpoint: fc.option(endpointArb, { nil: undefined }),
        persistentKeepalive: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
      }),
      { maxLength: 3, selector: (p) => p.publicKey },
    ),
  })
  .map((r) => {
    const derived = publicKeyFromPrivate(r.privateKey);
    if (!derived.ok) throw new Error('generator produced an invalid key');
    const { servers, searchDomains, peers, ...rest } = r;
    return {
      kind: 'wireguard' as const,
      interface: compact({ ...rest, publicKey: derived.key, dns: { servers, searchDomains } }),
      // Each network belongs to one peer (the device moves it to the last one): earlier claims win here.
      peers: peers
        .filter((p) => p.publicKey !== derived.key)
        .map((p, i, all) => ({ ...p, allowedIPs: p.allowedIPs.filter((a) => !all.slice(0, i).some((q) => q.allowedIPs.includes(a))) }))
        .map((p) => compact(p) as WireGuardPeer),
    };
  });

// ---------------------------------------------------------------------------------------------

const PRIV = 'qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=';
const PEER1 = 'm58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=';
const PEER2 = 'zGWP9CQXnV75sP0BhZTMxo4k8UYKpZtj6oGY4SaRTW8=';

function parsed(text: string): WireGuardProfile {
  const r = parseWireGuard(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors.map((e) => [e.code, e.line, e.text])));
  return r.profile;
}

describe('writeWireGuard', () => {
  it('writes canonical text', () => {
    const text = parsed(
      [
        '[interface]',
        'postup = echo "hi"',
        'dns = example.com, 1.1.1.1',
        `privatekey = ${PRIV}`,
        'ADDRESS = 10.0.0.2, FD00::2/64',
        'table = OFF',
        'mtu = 1420',
        'listenport = 0',
        'saveconfig = FALSE',
        'PreDown = a',
        'preup = b',
        'postdown = c',
        '[peer]',
        'persistentkeepalive = 25',
        'endpoint = [2001:db8::1]:51820',
        'allowedips = 0.0.0.0/0, ::1/0',
        `presharedkey = ${PEER1}`,
        `publickey = ${PEER1}`,
        '[PEER]',
        'PublicKey = zGWP9CQXnV75sP0BhZTMxo4k8UYKpZtj6oGY4SaRTW8=',
        'Endpoint = vpn.example.com:1',
        'PersistentKeepalive = off',
      ].join('\n'),
    );
    expect(writeWireGuard(text)).toBe(
      [
        '[Interface]',
        `PrivateKey = ${PRIV}`,
        'ListenPort = 0',
        'Address = 10.0.0.2/32, fd00::2/64',
        'DNS = 1.1.1.1, example.com',
        'MTU = 1420',
        'Table = off',
        'SaveConfig = false',
        'PreUp = b',
        'PostUp = echo "hi"',
        'PreDown = a',
        'PostDown = c',
        '',
        '[Peer]',
        `PublicKey = ${PEER1}`,
        `PresharedKey = ${PEER1}`,
        'AllowedIPs = 0.0.0.0/0, ::/0',
        'Endpoint = [2001:db8::1]:51820',
        'PersistentKeepalive = 25',
        '',
        '[Peer]',
        'PublicKey = zGWP9CQXnV75sP0BhZTMxo4k8UYKpZtj6oGY4SaRTW8=',
        'Endpoint = vpn.example.com:1',
        '',
      ].join('\n'),
    );
  });

  it('inspection drops SaveConfig and masks AllowedIPs in the canonical text', () => {
    const r = inspectProfile(
      `[Interface]\nPrivateKey = ${PRIV}\nSaveConfig = true\nAddress = 10.0.0.2/24\n[Peer]\nPublicKey = ${PEER1}\nAllowedIPs = 1.0.0.0/0, 10.9.8.7/16\nEndpoint = a.example:51820\n`,
      { kind: 'wireguard' },
    );
    expect(r.canonical).toBe(`[Interface]\nPrivateKey = ${PRIV}\nAddress = 10.0.0.2/24\n\n[Peer]\nPublicKey = ${PEER1}\nAllowedIPs = 0.0.0.0/0, 10.9.0.0/16\nEndpoint = a.example:51820\n`);
    expect(r.advisories.map((a) => a.code)).toEqual(['WG_SAVECONFIG', 'WG_ALLOWEDIPS_HOST_BITS', 'WG_ALLOWEDIPS_HOST_BITS', 'WG_PLACEHOLDER_ENDPOINT', 'WG_FULL_TUNNEL_NO_DNS']);
  });

  it('never writes the derived public key', () => {
    const profile = parsed(`[Interface]\nPrivateKey = ${PRIV}`);
    expect(writeWireGuard(profile)).toBe(`[Interface]\nPrivateKey = ${PRIV}\n`);
    expect(writeWireGuard(profile)).not.toContain(profile.interface.publicKey);
  });

  it('cannot be made to start a new line from inside a value', () => {
    const profile = parsed(`[Interface]\nPrivateKey = ${PRIV}\nPostUp = x`);
    profile.interface.postUp = ['echo hi\n[Peer]\nPublicKey = evil\r\nEndpoint = a:1'];
    const text = writeWireGuard(profile);
    expect(text.split('\n')).toHaveLength(4);
    expect(parsed(text).peers).toEqual([]);
  });

  it('parse(write(p)) deep-equals p, and write is a fixed point', () => {
    fc.assert(
      fc.property(profileArb, (profile) => {
        const text = writeWireGuard(profile);
        const r = parseWireGuard(text);
        if (!r.ok) throw new Error(`${text}\n${JSON.stringify(r.errors.map((e) => [e.code, e.line, e.text]))}`);
        expect(r.profile).toEqual(profile);
        expect(writeWireGuard(r.profile)).toBe(text);
      }),
      { numRuns: 500 },
    );
  }, 30_000);

  it('normalises any accepted spelling to the same canonical text', () => {
    // Re-spell a canonical file: random key case, spacing, comments and CRLF.
    const respell = fc.tuple(profileArb, fc.infiniteStream(fc.tuple(fc.boolean(), fc.constantFrom('', ' ', '\t', '  '), fc.boolean())));
    fc.assert(
      fc.property(respell, ([profile, noise]) => {
        const canonical = writeWireGuard(profile);
        const messy = canonical
          .split('\n')
          .map((line) => {
            const [upper, space, comment] = noise.next().value as [boolean, string, boolean];
            const eq = line.indexOf(' = ');
            const isHook = /^(Pre|Post)(Up|Down) = /.test(line);
            let out = eq < 0 ? line : `${space}${upper ? line.slice(0, eq).toUpperCase() : line.slice(0, eq).toLowerCase()}${space}=${space}${line.slice(eq + 3)}`;
            if (comment && !isHook && line !== '') out += `${space}# note = x`;
            return `${out}\r`;
          })
          .join('\n');
        expect(writeWireGuard(parsed(messy))).toBe(canonical);
      }),
      { numRuns: 200 },
    );
  }, 30_000);
});

describe('parseWireGuard never throws', () => {
  const check = (input: string | Uint8Array): void => {
    const r = parseWireGuard(input);
    if (r.ok) {
      // Whatever it accepts must write and re-read to the same profile.
      expect(parseWireGuard(writeWireGuard(r.profile))).toMatchObject({ ok: true, profile: r.profile });
    } else {
      expect(r.errors.length).toBeGreaterThan(0);
      for (const e of r.errors) {
        expect(e.code).toMatch(/^(WG|PROFILE)_[A-Z0-9_]+$/);
        expect(e.line).toBeGreaterThanOrEqual(0);
        expect(e.column).toBeGreaterThanOrEqual(1);
        expect(e.message.en).not.toBe('');
        expect(e.message.ja).not.toBe('');
      }
    }
  };

  it('for arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), check), { numRuns: 1500 });
  });

  it('for arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), check), { numRuns: 1500 });
  });

  it('for line soup made of WireGuard fragments', () => {
    const fragment = fc.constantFrom(
      '[Interface]', '[Peer]', '[interface]', '[Other]', '[', ']', '#', '=', ',', ':', '/', ' ', '\t', '\r', '%', '0x',
      'PrivateKey', 'PublicKey', 'PresharedKey', 'Address', 'AllowedIPs', 'DNS', 'Endpoint', 'ListenPort', 'FwMark',
      'MTU', 'Table', 'SaveConfig', 'PreUp', 'PostDown', 'PersistentKeepalive', 'off', 'true', 'auto',
      PRIV, PEER1, '10.0.0.1', '::1', 'fe80::', '1.2.3', '51820', '65536', '0', '32', '129', 'example.com', '\uFEFF', '\u202e',
    );
    const line = fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join(''));
    const fileArb = fc.array(line, { maxLength: 25 }).map((lines) => lines.join('\n'));
    fc.assert(fc.property(fileArb, check), { numRuns: 2000 });
  });

  it('for valid profiles with one line damaged', () => {
    const damaged = fc.tuple(profileArb, fc.nat(), fc.string({ maxLength: 6 }), fc.nat()).map(([p, lineIndex, junk, at]) => {
      const lines = writeWireGuard(p).split('\n');
      const i = lineIndex % lines.length;
      const target = lines[i] ?? '';
      const pos = target.length === 0 ? 0 : at % target.length;
      lines[i] = target.slice(0, pos) + junk + target.slice(pos);
      return lines.join('\n');
    });
    fc.assert(fc.property(damaged, check), { numRuns: 1000 });
  }, 30_000);
});

describe('readAsWgQuick: the canonical text as wg-quick and wg read it', () => {
  const read = (text: string): WireGuardProfile => {
    const r = readAsWgQuick(text);
    if (!r.ok) throw new Error(`line ${r.line}: ${r.reason}`);
    return r.profile;
  };
  const refusal = (text: string): string => {
    const r = readAsWgQuick(text);
    if (r.ok) throw new Error('expected a refusal');
    return r.reason;
  };
  const base = `[Interface]\nPrivateKey = ${PRIV}\n`;

  it('re-reading write(model) yields the model, for generated profiles', () => {
    fc.assert(
      fc.property(profileArb, (profile) => {
        expect(read(writeWireGuard(profile))).toEqual(profile);
        expect(checkCanonicalWireGuard(writeWireGuard(profile), profile)).toBeNull();
      }),
      { numRuns: 1000 },
    );
  }, 30_000);

  it('re-reading write(model) yields the model, for damaged and re-spelled files the parser accepts', () => {
    const damaged = fc.tuple(profileArb, fc.nat(), fc.constantFrom('#', '=', ' ', ',', '/0', '/', '[', ']', '\t', 'x', '0', '::', '.1'), fc.nat()).map(([p, lineIndex, junk, at]) => {
      const lines = writeWireGuard(p).split('\n');
      const i = lineIndex % lines.length;
      const target = lines[i] ?? '';
      const pos = target.length === 0 ? 0 : at % (target.length + 1);
      lines[i] = target.slice(0, pos) + junk + target.slice(pos);
      return lines.join('\n');
    });
    let accepted = 0;
    fc.assert(
      fc.property(damaged, (text) => {
        const r = parseWireGuard(text);
        if (!r.ok) return;
        accepted++;
        expect(read(writeWireGuard(r.profile))).toEqual(r.profile);
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(250);
  }, 30_000);

  it("follows wg-quick's own rules: its keys case-insensitive, hooks cut at '#', values trimmed", () => {
    const p = read(`${base}address=10.0.0.2/24\nPOSTUP =  echo a#b  \nmtu = 1420\nMTU = 1380\ndns = 1.1.1.1, corp.example\n`);
    expect(p.interface.addresses).toEqual(['10.0.0.2/24']);
    expect(p.interface.postUp).toEqual(['echo a']);
    expect(p.interface.mtu).toBe(1380);
    expect(p.interface.dns).toEqual({ servers: ['1.1.1.1'], searchDomains: ['corp.example'] });
  });

  it("follows wg's rules for the rest: whitespace anywhere removed, key prefixes, host bits cleared", () => {
    const p = read(`${base}[Peer]\nPublic Key = ${PEER1}\nAllowedIPs = 1.0.0.0/0,10.1.2.3/8\nEndpoint = 192.0.2.1:51820\npersistentkeepalive = off\n`);
    expect(p.peers).toEqual([{ publicKey: PEER1, allowedIPs: ['0.0.0.0/0', '10.0.0.0/8'], endpoint: { host: '192.0.2.1', port: 51820 } }]);
  });

  it('refuses what the tools would read by their version, locale, resolver or file system', () => {
    expect(refusal(`${base}Table = Auto\n`)).toMatch(/neither auto nor off/);
    expect(refusal(`${base}Table = 51820\n`)).toMatch(/neither auto nor off/);
    expect(refusal(`${base}FwMark = 0x1\n`)).toMatch(/does not accept/);
    expect(refusal(`${base}Address = 10.0.0.*\n`)).toMatch(/glob/);
    expect(refusal(`${base}Address = 010.0.0.2/24\n`)).toMatch(/inet_pton/);
    // getaddrinfo reads "0x7f.1" as 127.0.0.1: only the canonical spelling of an address is taken.
    expect(refusal(`${base}[Peer]\nPublicKey = ${PEER1}\nEndpoint = 0x7f.1:51820\n`)).toMatch(/inet_pton/);
    expect(refusal(`${base}PostUp = a\u0000b\n`)).toMatch(/control character/);
    expect(refusal(`${base}\r\n`)).toMatch(/control character/);
    expect(refusal(`${base}[Peer]\nPublicKey = ${PEER1}\nAllowedIPs =\n`)).toMatch(/empty AllowedIPs/);
    expect(refusal(`${base}[Peer]\nPublicKey = ${PEER1}\nAllowedIPs = 10.0.0.0/08\n`)).toMatch(/prefix length/);
    expect(refusal(`${base}[Peer]\nPublicKey = ${PEER1}\n[Peer]\nPublicKey = ${PEER1}\n`)).toMatch(/twice/);
    // A network listed for two peers ends on the last one, as in the device.
    expect(read(`${base}[Peer]\nPublicKey = ${PEER1}\nAllowedIPs = 10.0.0.0/8, 10.1.0.0/16\n[Peer]\nPublicKey = ${PEER2}\nAllowedIPs = 10.0.0.0/8\n`).peers.map((p) => p.allowedIPs)).toEqual([['10.1.0.0/16'], ['10.0.0.0/8']]);
    expect(refusal(`${base}[Peer]\nAllowedIPs = 10.0.0.0/8\n`)).toMatch(/without a PublicKey/);
    expect(refusal(`${base}[Peer]\nDNS = 1.1.1.1\n`)).toMatch(/does not accept/);
    expect(refusal(`Address = 10.0.0.2\n`)).toMatch(/does not accept/);
    expect(refusal(`[Interface]\n`)).toMatch(/no PrivateKey/);
  });

  it('checkCanonicalWireGuard refuses a canonical text that would run something else', () => {
    const profile = parsed(`${base}PostUp = logger up\n`);
    expect(checkCanonicalWireGuard(writeWireGuard(profile), profile)).toBeNull();
    const hashed = { ...profile, interface: { ...profile.interface, postUp: ['rm -rf /tmp/x#y'] } };
    const e = checkCanonicalWireGuard(writeWireGuard(hashed), hashed);
    expect(e).toMatchObject({ code: 'WG_CANONICAL_MISMATCH', line: 0 });
    expect(e?.message.en).toMatch(/wg-quick would read/);
    expect(e?.message.ja).toMatch(/wg-quick/);
    const table = { ...profile, interface: { ...profile.interface, table: 'main' as unknown as 'auto' } };
    expect(checkCanonicalWireGuard(writeWireGuard(table), table)).toMatchObject({ code: 'WG_CANONICAL_MISMATCH' });
  });
});
