import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { parseOpenVpn } from '../../shared/profiles/openvpn/parser.js';
import { writeOpenVpn } from '../../shared/profiles/openvpn/writer.js';
import type { OpenVpnProfile } from '../../shared/profiles/openvpn/model.js';
import { folderFileSource } from '../../electron/main/profile-sources.js';

const SEED = join(import.meta.dirname, '../fixtures/seed');
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const ENC_KEY = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE\n-----END ENCRYPTED PRIVATE KEY-----\n';
/** An OpenVPN static key as `openvpn --genkey` writes it (16 lines of 32 hex digits). */
const STATIC_KEY = `#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\n${'0123456789abcdef'.repeat(2).concat('\n').repeat(16)}-----END OpenVPN Static key V1-----\n`;
const block = (tag: string, body: string) => `<${tag}>\n${body}</${tag}>\n`;
const client = (extra: string) => `client\ndev tun\nremote vpn.example.test 1194\nremote-cert-tls server\n${block('ca', CA)}${extra}`;

function ok(text: string): OpenVpnProfile {
  const r = parseOpenVpn(text);
  expect(r.errors).toEqual([]);
  if (!r.profile) throw new Error('no profile');
  return r.profile;
}

describe('the seed profiles', () => {
  it("imports the seed's client.ovpn with ca.crt, client.crt and client.key beside it", () => {
    const r = inspectProfile(readFileSync(join(SEED, 'client.ovpn')), { fileName: 'client.ovpn', files: folderFileSource(SEED) });
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.inlinedFiles).toEqual(['ca.crt', 'client.crt', 'client.key']);
    expect(r.layer).toBe('L3');
    const codes = r.advisories.map((a) => a.code);
    expect(codes).toEqual(expect.arrayContaining(['OVPN_CIPHER_WITHOUT_DATA_CIPHERS', 'OVPN_COMPRESSION', 'OVPN_NO_SERVER_IDENTITY_CHECK']));
    const p = r.profile as OpenVpnProfile;
    expect(p.remotes).toEqual([{ host: 'vpn-server-ip', port: 1194, proto: 'udp', transport: 'udp' }]);
    expect(p.auth.certificate).toBe(true);
    expect(p.ciphers.dataCiphers).toEqual(['AES-256-GCM', 'AES-128-GCM', 'CHACHA20-POLY1305', 'AES-256-CBC']);
    expect(r.canonical).toContain('<ca>\n-----BEGIN CERTIFICATE-----');
    expect(r.canonical).toContain('\ndata-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305:AES-256-CBC\n');
    expect(r.canonical).not.toMatch(/^ca ca\.crt$/m);
    // The canonical text is self-contained and re-imports with no further fix needed.
    const again = inspectProfile(r.canonical ?? '', { fileName: 'client.ovpn' });
    expect(again.ok).toBe(true);
    expect(again.advisories.map((a) => a.code)).not.toContain('OVPN_CIPHER_WITHOUT_DATA_CIPHERS');
  });

  it('names the missing files when the seed client is imported alone', () => {
    const r = inspectProfile(readFileSync(join(SEED, 'client.ovpn')), { fileName: 'client.ovpn', files: folderFileSource('/nonexistent') });
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['IMPORT_FILE_MISSING', 5], ['IMPORT_FILE_MISSING', 6], ['IMPORT_FILE_MISSING', 7]]);
    expect(r.errors[0]?.message.en).toContain("'ca.crt'");
  });

  it("refuses the seed's server.conf as a server configuration", () => {
    const r = inspectProfile(readFileSync(join(SEED, 'server.conf')), { fileName: 'server.conf', files: folderFileSource(SEED) });
    expect(r.errors.map((e) => e.code)).toEqual(['POLICY_SERVER_CONFIG']);
    expect(r.errors[0]?.message.en).toMatch(/this is a server configuration/i);
  });

  it("imports the seed's WireGuard client and refuses its server", () => {
    const c = inspectProfile(readFileSync(join(SEED, 'wg-client.conf')), { fileName: 'wg-client.conf' });
    expect(c.ok).toBe(true);
    expect(c.kind).toBe('wireguard');
    const s = inspectProfile(readFileSync(join(SEED, 'wg-server.conf')), { fileName: 'wg-server.conf' });
    expect(s.errors.map((e) => e.code)).toEqual(['POLICY_SERVER_CONFIG']);
  });
});

describe('the typed model', () => {
  it('reads remotes, port and proto defaults as openvpn does', () => {
    const p = ok(`client\ndev tun\nproto tcp\nremote a.test\nremote b.test 443\nremote c.test 53 udp\nport 1195\n${block('ca', CA)}auth-user-pass\n`);
    expect(p.remotes).toEqual([
      { host: 'a.test', port: 1195, proto: 'tcp', transport: 'tcp' },
      { host: 'b.test', port: 443, proto: 'tcp', transport: 'tcp' },
      { host: 'c.test', port: 53, proto: 'udp', transport: 'udp' },
    ]);
  });

  it('connection blocks replace top-level remotes and inherit settings above them', () => {
    const text = `client\ndev tun\nremote ignored.test 1\nproto tcp\n<connection>\nremote one.test 443\n</connection>\n<connection>\nremote two.test 1194 udp\nport 9\n</connection>\n${block('ca', CA)}auth-user-pass\n`;
    const r = inspectProfile(text, { fileName: 'x.ovpn' });
    expect(r.ok).toBe(true);
    const p = r.profile as OpenVpnProfile;
    expect(p.usesConnectionBlocks).toBe(true);
    expect(p.remotes).toEqual([
      { host: 'one.test', port: 443, proto: 'tcp', transport: 'tcp' },
      { host: 'two.test', port: 1194, proto: 'udp', transport: 'udp' },
    ]);
    const adv = r.advisories.find((a) => a.code === 'OVPN_REMOTES_IGNORED');
    expect(adv?.line).toBe(3);
    expect(adv?.fix?.automatic).toBe(true);
    expect(r.canonical).not.toContain('ignored.test');
  });

  it('refuses a connection block without exactly one remote, and block-only directives elsewhere', () => {
    const r = parseOpenVpn(`client\ndev tun\n<connection>\nremote a 1\nremote b 2\n</connection>\n<connection>\nverb 3\nremote c\n</connection>\n${block('ca', CA)}auth-user-pass\n`);
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['OVPN_CONNECTION_REMOTE', 3], ['OVPN_NOT_PER_CONNECTION', 8]]);
  });

  it('tells L3 from L2 and describes authentication', () => {
    expect(ok(client('dev tap\nauth-user-pass\n')).layer).toBe('L2');
    expect(ok(client('dev mydev\ndev-type tap\nauth-user-pass\n')).layer).toBe('L2');
    expect(ok(client('auth-user-pass\n')).layer).toBe('L3');
    const p = ok(client(`${block('cert', CA)}${block('key', ENC_KEY)}static-challenge "Enter OTP" 1\nauth-user-pass\n`));
    expect(p.auth).toMatchObject({ certificate: true, userPass: true, encryptedKey: true, staticChallenge: { text: 'Enter OTP', echo: true } });
    const embedded = ok(client(block('auth-user-pass', 'alice\nsecret\n')));
    expect(embedded.auth.embeddedUser).toEqual({ username: 'alice', hasPassword: true });
    expect(ok(client(block('pkcs12', 'MIIK\n'))).auth.pkcs12).toBe(true);
  });

  it('reads routing, DNS, ciphers and TLS settings', () => {
    const p = ok(client(`auth-user-pass\nroute 10.1.0.0 255.255.0.0\nroute-ipv6 fd00::/64\nredirect-gateway def1 bypass-dhcp\nroute-nopull\npull-filter ignore "route "\ndhcp-option DNS 10.0.0.53\ndhcp-option DOMAIN corp.test\ndhcp-option DOMAIN-SEARCH a.test\ndata-ciphers AES-256-GCM:CHACHA20-POLY1305\nauth SHA256\ntls-version-min 1.2\nverify-x509-name server.test name\n${block('tls-crypt', STATIC_KEY)}`));
    expect(p.routing).toEqual({
      routes: [{ network: '10.1.0.0', netmask: '255.255.0.0', gateway: null, metric: null }],
      routesIpv6: [{ network: 'fd00::/64', gateway: null, metric: null }],
      redirectGateway: ['def1', 'bypass-dhcp'],
      routeNopull: true,
      pullFilters: [{ action: 'ignore', text: 'route ' }],
    });
    expect(p.dns).toEqual({ servers: ['10.0.0.53'], domain: 'corp.test', searchDomains: ['a.test'] });
    expect(p.ciphers.dataCiphers).toEqual(['AES-256-GCM', 'CHACHA20-POLY1305']);
    expect(p.tls).toMatchObject({ versionMin: '1.2', verifyX509Name: { name: 'server.test', type: 'name' }, wrapping: 'tls-crypt', remoteCertTls: 'server' });
  });

  it('keeps Access Server metadata and takes the profile name from it', () => {
    const text = `# OVPN_ACCESS_SERVER_USERNAME=alice\n# OVPN_ACCESS_SERVER_FRIENDLY_NAME=Tokyo Office: main\n# OVPN_ACCESS_SERVER_PROFILE=alice@vpn.test/AUTOLOGIN\n${client('auth-user-pass\n')}`;
    const r = inspectProfile(text, { fileName: 'downloaded.ovpn' });
    expect(r.name).toBe('Tokyo Office_ main');
    expect(r.canonical).toContain('# OVPN_ACCESS_SERVER_FRIENDLY_NAME=Tokyo Office: main');
    const noFriendly = inspectProfile(text.replace(/.*FRIENDLY_NAME.*\n/, ''), { fileName: 'downloaded.ovpn' });
    expect(noFriendly.name).toBe('alice@vpn.test');
    const plain = inspectProfile(client('auth-user-pass\n'), { fileName: '/home/u/My VPN?.ovpn' });
    expect(plain.name).toBe('My VPN_');
  });
});

describe('errors are specific', () => {
  const codes = (text: string) => parseOpenVpn(text).errors.map((e) => e.code);
  it('unknown directive, wrong arity, inline where not allowed', () => {
    expect(codes(client('auth-user-pass\nfrobnicate 1\n'))).toEqual(['OVPN_UNKNOWN_DIRECTIVE']);
    expect(codes(client('auth-user-pass\nremote a b c d\n'))).toEqual(['OVPN_ARG_COUNT']);
    expect(codes(client(`auth-user-pass\n${block('verb', '3\n')}`))).toEqual(['OVPN_NOT_INLINE']);
  });
  it('missing pieces of a client', () => {
    expect(codes(`dev tun\nremote a\n<ca>\n${CA}</ca>\nauth-user-pass\n`)).toEqual(['OVPN_NOT_A_CLIENT']);
    expect(codes(`client\ndev tun\n${block('ca', CA)}auth-user-pass\n`)).toEqual(['OVPN_NO_REMOTE']);
    expect(codes('client\ndev tun\nremote a\nauth-user-pass\n')).toEqual(['OVPN_NO_CA']);
    expect(codes(client(block('cert', CA)))).toEqual(['OVPN_CERT_KEY_PAIR']);
    expect(codes(client(''))).toEqual(['OVPN_NO_AUTH']);
    expect(codes(client(`${block('pkcs12', 'MIIK\n')}${block('cert', CA)}${block('key', KEY)}`))).toEqual(['OVPN_PKCS12_WITH_CERT']);
    expect(codes(client('auth-user-pass\nremote b.test 99999\n'))).toEqual(['OVPN_BAD_VALUE']);
    expect(codes(client('auth-user-pass\nremote b.test 443 quic\n'))).toEqual(['OVPN_BAD_VALUE']);
    expect(codes(client('auth-user-pass\ndev eth0\n'))).toEqual(['OVPN_DEVICE_TYPE']);
  });
  it('removed options that change behaviour are errors with the replacement', () => {
    const r = parseOpenVpn(client('auth-user-pass\ntls-remote server.test\n'));
    expect(r.errors[0]?.code).toBe('OVPN_REMOVED_DIRECTIVE');
    expect(r.errors[0]?.message.en).toContain('verify-x509-name');
  });
});

describe('advisories', () => {
  const adv = (text: string) => inspectProfile(text, { fileName: 'x.ovpn' });
  it('weak TLS, tap, static key, ns-cert-type, tls-auth without direction', () => {
    const r = adv(client(`auth-user-pass\ntls-version-min 1.0\ndev tap\nns-cert-type server\n${block('tls-auth', STATIC_KEY)}`));
    expect(r.ok).toBe(true);
    expect(r.advisories.map((a) => a.code).sort()).toEqual(['OVPN_LAYER2_TAP', 'OVPN_NS_CERT_TYPE', 'OVPN_TLS_AUTH_NO_DIRECTION', 'OVPN_TLS_VERSION_MIN_LOW']);
    for (const a of r.advisories) {
      expect(a.message.en.length).toBeGreaterThan(10);
      expect(a.message.ja).toMatch(/[\u3040-\u30ff\u4e00-\u9faf]/);
      expect(a.explanation.ja).toMatch(/[\u3040-\u30ff\u4e00-\u9faf]/);
    }
  });
  it('drops Windows-only, obsolete and optional-unknown lines with a note', () => {
    const r = adv(client('auth-user-pass\nblock-outside-dns\nsetenv opt block-outside-dns\ntun-ipv6\nkeysize 256\nsetenv opt future-thing 1\nignore-unknown-option other-thing\nother-thing x\ndh dh.pem\n'));
    expect(r.ok).toBe(true);
    expect(r.advisories.map((a) => a.code)).toEqual([
      'OVPN_WINDOWS_ONLY', 'OVPN_WINDOWS_ONLY', 'OVPN_OBSOLETE_DROPPED', 'OVPN_OBSOLETE_DROPPED', 'OVPN_UNKNOWN_IGNORED', 'OVPN_UNKNOWN_IGNORED', 'OVPN_SERVER_OPTION_DROPPED',
    ]);
    expect(r.canonical).not.toMatch(/block-outside-dns|tun-ipv6|keysize|future-thing|other-thing x|^dh /m);
    // Windows' choice of route.exe/netsh.exe: nothing on Linux, so left out rather than refused.
    const win = adv(client('auth-user-pass\nroute-method exe\nip-win32 netsh\n'));
    expect(win.advisories.filter((a) => a.code === 'OVPN_WINDOWS_ONLY').map((a) => a.line)).toEqual([11, 12]);
    expect(win.canonical).not.toMatch(/route-method|ip-win32/);
  });
  it('comp-lzo and weak ciphers are flagged; compress stub is not', () => {
    expect(adv(client('auth-user-pass\ncomp-lzo\n')).advisories.map((a) => a.code)).toContain('OVPN_COMPRESSION');
    expect(adv(client('auth-user-pass\ncompress stub-v2\n')).advisories.map((a) => a.code)).not.toContain('OVPN_COMPRESSION');
    expect(adv(client('auth-user-pass\ncipher DES-EDE3-CBC\n')).advisories.map((a) => a.code)).toEqual(expect.arrayContaining(['OVPN_WEAK_CIPHER', 'OVPN_CIPHER_WITHOUT_DATA_CIPHERS']));
  });

  it('a cipher OpenSSL 3 only has in its legacy module: never put into data-ciphers, refused for a static key', () => {
    const tls = inspectProfile(client('auth-user-pass\ncipher BF-CBC\n'));
    expect(tls.ok).toBe(true);
    expect(tls.advisories.map((a) => a.code)).toContain('OVPN_CIPHER_UNAVAILABLE');
    expect(tls.canonical).not.toContain('data-ciphers');
    const p2p = (extra: string) => inspectProfile(`dev tun\nremote vpn.example.test 1194\nifconfig 10.8.0.2 10.8.0.1\n${extra}${block('secret', STATIC_KEY)}`);
    const implied = p2p('');
    expect(implied.errors.map((e) => [e.code, e.line])).toEqual([['OVPN_CIPHER_UNAVAILABLE', 4]]);
    expect(implied.errors[0]?.message.en).toContain('BF-CBC (the cipher a static-key profile uses when it names none)');
    expect(p2p('cipher CAST5-CBC\n').errors.map((e) => [e.code, e.line])).toEqual([['OVPN_CIPHER_UNAVAILABLE', 4]]);
    expect(p2p('cipher AES-256-CBC\n').ok).toBe(true);
  });

  it('drops user and group with a note: the helper owns the process', () => {
    const r = inspectProfile(client('auth-user-pass\nuser nobody\ngroup nogroup\nsetenv opt user nobody\n'));
    expect(r.ok).toBe(true);
    expect(r.advisories.filter((a) => a.code === 'OVPN_HELPER_OWNED_DROPPED').map((a) => a.line)).toEqual([11, 12, 13]);
    expect(r.canonical).not.toMatch(/^(user|group|setenv opt user)\b/m);
  });

  it('drops script-security with a note when scripts are not allowed; a script line is refused on its own', () => {
    const alone = inspectProfile(client('auth-user-pass\nscript-security 2\n'));
    expect(alone.ok).toBe(true);
    expect(alone.advisories.find((a) => a.code === 'OVPN_SCRIPT_SECURITY_DROPPED')?.message.en).toContain('would allow scripts to run');
    expect(alone.canonical).not.toContain('script-security');
    const withScript = inspectProfile(client('auth-user-pass\nscript-security 2\nup /bin/true\n'));
    expect(withScript.errors.map((e) => [e.code, e.line])).toEqual([['POLICY_RUNS_PROGRAM', 12]]);
    const allowed = inspectProfile(client('auth-user-pass\nscript-security 2\n'), { policy: { allowScripts: true } });
    expect(allowed.canonical).toContain('script-security 2');
  });

  it('checks compat-mode and shaper values as openvpn does', () => {
    expect(inspectProfile(client('auth-user-pass\ncompat-mode 2.4.0\nshaper 100000\n')).errors).toEqual([]);
    expect(inspectProfile(client('auth-user-pass\nshaper 99\n')).errors.map((e) => [e.code, e.line])).toEqual([['OVPN_BAD_VALUE', 11]]);
    expect(inspectProfile(client('auth-user-pass\ncompat-mode 1\n')).errors.map((e) => [e.code, e.line])).toEqual([['OVPN_BAD_VALUE', 11]]);
  });

  it('knows the null device and takes the CA from a PKCS#12 bundle', () => {
    expect(inspectProfile(client('auth-user-pass\ndev null\n')).errors).toEqual([]);
    const p12 = `client\ndev tun\nremote vpn.example.test 1194\nremote-cert-tls server\n${block('pkcs12', 'MIIB\n')}`;
    expect(inspectProfile(p12).errors.map((e) => e.code)).not.toContain('OVPN_NO_CA');
  });
});

describe('file references are inlined at import', () => {
  const files = (map: Record<string, string | Uint8Array>) => ({
    description: { en: 'the test folder', ja: 'テストフォルダー' },
    read: (name: string) => {
      const v = map[name];
      return v === undefined ? null : typeof v === 'string' ? new TextEncoder().encode(v) : v;
    },
  });
  const base = 'client\ndev tun\nremote a.test\nremote-cert-tls server\n';

  it('inlines by basename only, converts tls-auth direction to key-direction, base64s pkcs12', () => {
    const text = `${base}ca /etc/openvpn/keys/ca.crt\npkcs12 C:\\\\Users\\\\me\\\\me.p12\ntls-auth "ta key.key" 1\nauth-user-pass creds.txt\n`;
    const r = inspectProfile(text, { fileName: 'x.ovpn', files: files({ 'ca.crt': CA, 'me.p12': new Uint8Array([0x30, 0x82, 0x00, 0xff]), 'ta key.key': STATIC_KEY.replace(/\n/g, '\r\n'), 'creds.txt': 'alice\nsecret\n' }) });
    expect(r.errors).toEqual([]);
    expect(r.inlinedFiles).toEqual(['ca.crt', 'me.p12', 'ta key.key', 'creds.txt']);
    expect(r.canonical).toContain(`<ca>\n${CA}</ca>`);
    expect(r.canonical).toContain('<pkcs12>\nMIIA/w==\n</pkcs12>');
    expect(r.canonical).toContain(`key-direction 1\n<tls-auth>\n${STATIC_KEY}</tls-auth>`);
    expect((r.profile as OpenVpnProfile).tls.keyDirection).toBe(1);
    expect((r.profile as OpenVpnProfile).auth.embeddedUser).toEqual({ username: 'alice', hasPassword: true });
  });

  it('refuses binary text files, oversized files and files that would break out of their block', () => {
    const run = (content: string | Uint8Array) =>
      inspectProfile(`${base}ca ca.crt\nauth-user-pass\n`, { fileName: 'x.ovpn', files: files({ 'ca.crt': content }) }).errors.map((e) => e.code);
    expect(run(new Uint8Array([0xff, 0xfe, 0x00, 0x01]))).toEqual(['IMPORT_FILE_BINARY']);
    expect(run('x'.repeat(600 * 1024))).toEqual(['IMPORT_FILE_TOO_LARGE']);
    expect(run(`${CA}</ca>\nup /tmp/evil.sh\n<ca>\n`)).toEqual(['IMPORT_FILE_BREAKOUT']);
  });
});

describe('canonical writer', () => {
  it('parse(write(model)) equals model, and write is a fixed point', () => {
    const text = `# OVPN_ACCESS_SERVER_FRIENDLY_NAME=x\n# OVPN_ACCESS_SERVER_WEB_CA_BUNDLE_START\n# line1\n# OVPN_ACCESS_SERVER_WEB_CA_BUNDLE_STOP\n${client(`auth-user-pass\nverify-x509-name 'C=JP, CN=vpn server' subject\npull-filter ignore "dhcp-option DNS"\nstatic-challenge "Enter \\"OTP\\" code" 0\n<connection>\nremote b.test 443 tcp\n${block('tls-auth', STATIC_KEY)}</connection>\n`)}`;
    const first = parseOpenVpn(text);
    expect(first.errors).toEqual([]);
    const written = writeOpenVpn(first.profile as OpenVpnProfile);
    const second = parseOpenVpn(written);
    expect(second.profile).toEqual(first.profile);
    expect(writeOpenVpn(second.profile as OpenVpnProfile)).toBe(written);
    expect(written).toContain(`verify-x509-name "C=JP, CN=vpn server" subject`);
  });
});
