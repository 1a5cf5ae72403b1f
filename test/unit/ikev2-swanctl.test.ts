import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyIkev2Text } from '../../shared/profiles/ikev2/reread.js';
import { readSettings } from '../../shared/profiles/ikev2/settings.js';
import { readSwanctl } from '../../shared/profiles/ikev2/swanctl.js';
import { writeIkev2 } from '../../shared/profiles/ikev2/writer.js';
import { SWANCTL_DIR, fixture, folder, memoryFiles } from './ikev2-helpers.js';

const read = (name: string, only?: string[]) => readSwanctl(fixture(SWANCTL_DIR, name), { files: folder(SWANCTL_DIR, only) });

function ok(result: ReturnType<typeof readSwanctl>) {
  if (!result.ok) throw new Error(`refused: ${result.errors.map((e) => `${e.code} ${e.message.en}`).join('; ')}`);
  return result;
}

function codes(result: ReturnType<typeof readSwanctl>): string[] {
  return result.ok ? [] : result.errors.map((e) => e.code);
}

describe('strongSwan settings syntax', () => {
  it('reads sections, values, quotes spanning lines and comments, merging sections of the same name', () => {
    const r = readSettings('a {\n  x = 1 # comment\n  q = "two\n lines \\"quoted\\""\n}\n# top\na {\n  y = "}{#"\n}\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const a = r.root.entries[0];
    expect(a?.kind === 'section' && a.entries.map((e) => (e.kind === 'value' ? [e.key, e.value] : e.name))).toEqual([
      ['x', '1'],
      ['q', 'two\n lines "quoted"'],
      ['y', '}{#'],
    ]);
  });

  it('refuses a key set twice in one section, naming both lines', () => {
    const r = readSettings('a {\n  x = 1\n  x = 2\n}\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]).toMatchObject({ code: 'IKEV2_DUPLICATE_KEY', line: 3, column: 3 });
    expect(r.errors[0]?.message.en).toContain('line 2');
    expect(r.errors[0]?.message.ja).toContain('2 行目');
  });

  it.each([
    ['a {\n  x = 1\n', 'IKEV2_UNCLOSED_SECTION', 1],
    ['}\n', 'IKEV2_UNEXPECTED_BRACE', 1],
    ['a {\n  x = "open\n}\n', 'IKEV2_UNCLOSED_QUOTE', 2],
    ['a {\n  x = b }\n}\n', 'IKEV2_SYNTAX', 2],
    ['a {\n  lonely\n}\n', 'IKEV2_SYNTAX', 2],
    ['conn : base {\n}\n', 'IKEV2_SECTION_TEMPLATE', 1],
    ['a {\n  x = "v" y\n}\n', 'IKEV2_SYNTAX', 2],
  ])('refuses %j with %s at line %i', (text, code, line) => {
    const r = readSettings(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ code, line });
  });

  it('reads an include only from the companion files, by basename', () => {
    const files = memoryFiles({ 'extra.conf': 'b = 2\n' });
    const r = readSettings('a {\n  include /etc/swanctl/conf.d/extra.conf\n}\n', files);
    expect(r.ok && r.includeErrors).toEqual([]);
    expect(r.ok && r.includedFiles).toEqual(['extra.conf']);
    const missing = readSettings('include other.conf\n', files);
    expect(missing.ok && missing.includeErrors.map((e) => [e.code, e.line, e.message.en.includes("'other.conf'")])).toEqual([['IKEV2_FILE_MISSING', 1, true]]);
    const glob = readSettings('include conf.d/*.conf\n', files);
    expect(glob.ok && glob.includeErrors.map((e) => e.code)).toEqual(['IKEV2_INCLUDE_GLOB']);
  });
});

describe('swanctl.conf client connections', () => {
  it('imports a PSK road warrior with its secret matched by identity', () => {
    const r = ok(read('psk.swanctl.conf'));
    expect(r.profile).toMatchObject({
      kind: 'ikev2',
      connection: 'office',
      version: 2,
      remoteAddrs: ['vpn.example.org'],
      vips: ['0.0.0.0'],
      proposals: ['aes256-sha256-modp2048'],
      local: [{ auth: 'psk', id: 'alice@example.org', eapId: null, xauthId: null, usesClientCert: false }],
      remote: { auth: 'psk', id: 'vpn.example.org', revocation: null },
      children: [{ name: 'office-net', remoteTs: ['10.20.0.0/16', '192.168.50.0/24'], espProposals: ['aes256gcm16-modp2048'], mode: 'tunnel', updown: null }],
      secrets: { psk: 'Kx9-vB2q!7mZ@w4Lr0#tY6pN', eapPassword: null, xauthPassword: null },
    });
    // start_action is a client-irrelevant setting: named once, not refused.
    expect(r.advisories.map((a) => a.code)).toEqual(['IKEV2_IGNORED_SETTINGS']);
    expect(r.advisories[0]?.message.en).toContain('office-net.start_action');
  });

  it('imports EAP-MSCHAPv2 with the CA certificate from the companion file', () => {
    const r = ok(read('eap.swanctl.conf'));
    expect(r.profile.local).toEqual([{ auth: 'eap-mschapv2', id: null, eapId: 'alice', xauthId: null, usesClientCert: false }]);
    expect(r.profile.secrets.eapPassword).toBe('correct horse battery staple');
    expect(r.profile.vips).toEqual(['0.0.0.0', '::']);
    expect(r.profile.dpdDelay).toBe(30);
    expect(r.profile.files.caCerts).toEqual([fixture(SWANCTL_DIR, 'ca.pem')]);
    expect(r.inlinedFiles).toEqual(['ca.pem']);
  });

  it('imports certificates both ways, the key named in secrets', () => {
    const r = ok(read('cert.swanctl.conf'));
    expect(r.profile.files.clientCert).toBe(fixture(SWANCTL_DIR, 'client.pem'));
    expect(r.profile.files.privateKey).toBe(fixture(SWANCTL_DIR, 'client.key'));
    expect(r.profile.local[0]).toMatchObject({ auth: 'pubkey', id: 'C=JP, O=Tsunagu Test, CN=alice@example.org', usesClientCert: true });
    expect(r.profile).toMatchObject({ remotePort: 4500, encap: true, remote: { id: '@gw.example.net', revocation: 'relaxed' } });
    expect(r.profile.children[0]?.localTs).toEqual(['dynamic']);
  });

  it('names each missing companion file with its own error (so the UI can ask for them)', () => {
    const r = read('cert.swanctl.conf', []);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const missing = r.errors.filter((e) => e.code === 'IKEV2_FILE_MISSING').map((e) => [e.line, /'([^']+)', which/.exec(e.message.en)?.[1]]);
    expect(missing).toEqual([[16, 'ca.pem'], [10, 'client.pem']]);
    expect(r.errors.every((e) => e.message.ja.length > 0)).toBe(true);
  });

  it('takes the key named after the certificate when secrets name none, and says so', () => {
    const text = fixture(SWANCTL_DIR, 'cert.swanctl.conf').replace(/secrets \{[\s\S]*$/, '');
    const r = ok(readSwanctl(text, { files: folder(SWANCTL_DIR) }));
    expect(r.profile.files.privateKey).toBe(fixture(SWANCTL_DIR, 'client.key'));
    expect(r.advisories.map((a) => a.code)).toContain('IKEV2_KEY_BY_NAME');
    const none = readSwanctl(text, { files: folder(SWANCTL_DIR, ['ca.pem', 'client.pem']) });
    expect(codes(none)).toEqual(['IKEV2_PRIVATE_KEY_MISSING']);
  });

  it('takes the certificate, key and CA certificates of a PKCS#12 bundle opened with its secret', () => {
    const r = ok(read('p12.swanctl.conf'));
    expect(r.profile.files.clientCert).toBe(fixture(SWANCTL_DIR, 'client.pem'));
    expect(r.profile.files.privateKey).toBe(fixture(SWANCTL_DIR, 'client.key'));
    expect(r.profile.local[0]?.usesClientCert).toBe(true);
    expect(r.inlinedFiles).toEqual(['ca.pem', 'client.p12']);
    const wrong = readSwanctl(fixture(SWANCTL_DIR, 'p12.swanctl.conf').replace('"bundle-pass"', '"not-it"'), { files: folder(SWANCTL_DIR) });
    expect(!wrong.ok && wrong.errors.map((e) => [e.code, e.line])).toEqual([['IKEV2_PKCS12_PASSWORD', 24]]);
    const notP12 = readSwanctl(fixture(SWANCTL_DIR, 'p12.swanctl.conf').replace('client.p12', 'client.pem'), { files: folder(SWANCTL_DIR) });
    expect(!notP12.ok && notP12.errors.map((e) => e.code)).toEqual(['IKEV2_PKCS12_UNREADABLE']);
  });

  it('keeps a PKCS#8 encrypted key as it is (its passphrase is asked at connect), in the canonical text too', () => {
    const encrypted = createPrivateKey(fixture(SWANCTL_DIR, 'client.key')).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'key-pass' }).toString();
    const files = memoryFiles({ 'ca.pem': fixture(SWANCTL_DIR, 'ca.pem'), 'client.pem': fixture(SWANCTL_DIR, 'client.pem'), 'client.key': encrypted });
    const r = ok(readSwanctl(fixture(SWANCTL_DIR, 'cert.swanctl.conf'), { files }));
    expect(r.profile.files.privateKey).toBe(encrypted);
    const text = writeIkev2(r.profile);
    expect(verifyIkev2Text(text, r.profile)).toBeNull();
    expect(text).toContain('BEGIN ENCRYPTED PRIVATE KEY');
  });

  it('refuses a key encrypted in OpenSSL’s old format with the command that converts it', () => {
    const legacy = '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,0123456789ABCDEF0123456789ABCDEF\n\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END RSA PRIVATE KEY-----\n';
    const files = memoryFiles({ 'ca.pem': fixture(SWANCTL_DIR, 'ca.pem'), 'client.pem': fixture(SWANCTL_DIR, 'client.pem'), 'client.key': legacy });
    const r = readSwanctl(fixture(SWANCTL_DIR, 'cert.swanctl.conf'), { files });
    expect(codes(r)).toEqual(['IKEV2_KEY_ENCRYPTED']);
    expect(!r.ok && r.errors[0]?.message.en).toContain('openssl pkcs8 -topk8');
    expect(!r.ok && r.errors[0]?.message.ja).toContain('PKCS#8');
  });

  it('imports IKEv1 with XAuth as a second round, the password left to the credentials flow', () => {
    const r = ok(read('ikev1-xauth.swanctl.conf'));
    expect(r.profile.version).toBe(1);
    expect(r.profile.local.map((l) => l.auth)).toEqual(['psk', 'xauth']);
    expect(r.profile.local[1]?.xauthId).toBe('bob');
    expect(r.profile.secrets).toEqual({ psk: 'grouppsk', eapPassword: null, xauthPassword: null });
    const byCode = Object.fromEntries(r.advisories.map((a) => [a.code, a]));
    expect(Object.keys(byCode).sort()).toEqual(['IKEV2_IKEV1', 'IKEV2_SHORT_PSK', 'IKEV2_WEAK_ESP_PROPOSAL', 'IKEV2_WEAK_IKE_PROPOSAL', 'IKEV2_XAUTH']);
    expect(byCode['IKEV2_IKEV1']?.explanation.en).toContain('RFC 8247');
    expect(byCode['IKEV2_WEAK_IKE_PROPOSAL']?.line).toBe(7);
    expect(byCode['IKEV2_WEAK_IKE_PROPOSAL']?.message.en).toMatch(/SHA-1.*1024-bit/);
    expect(byCode['IKEV2_WEAK_ESP_PROPOSAL']?.message.en).toMatch(/3DES.*MD5/);
    expect(byCode['IKEV2_SHORT_PSK']?.line).toBe(29);
  });

  it('imports aggressive mode with a PSK and warns of the offline dictionary attack', () => {
    const r = ok(read('aggressive.swanctl.conf'));
    expect(r.profile.aggressive).toBe(true);
    const aggressive = r.advisories.find((a) => a.code === 'IKEV2_AGGRESSIVE_MODE');
    expect(aggressive?.message.en).toContain('offline');
    expect(aggressive?.explanation.ja).toContain('辞書攻撃');
    expect(aggressive?.line).toBe(4);
  });

  it('imports the first client connection, an included file read from the companions, and names the others', () => {
    const r = ok(read('multi.swanctl.conf'));
    expect(r.profile.connection).toBe('outgoing');
    expect(r.profile.remote).toEqual({ auth: 'psk', id: 'peer.example.com', revocation: null });
    expect(r.inlinedFiles).toEqual(['outgoing-auth.conf']);
    expect(r.advisories.find((a) => a.code === 'IKEV2_OTHER_CONNECTIONS')?.message.en).toContain('incoming');
  });

  it('reads a file saved with CRLF line ends and a BOM as the same profile', () => {
    const text = fixture(SWANCTL_DIR, 'cert.swanctl.conf');
    const crlf = `\uFEFF${text.replace(/\n/g, '\r\n')}`;
    expect(ok(readSwanctl(crlf, { files: folder(SWANCTL_DIR) })).profile).toEqual(ok(read('cert.swanctl.conf')).profile);
  });

  it('reads secrets written as 0x hex and 0s base64', () => {
    const base = fixture(SWANCTL_DIR, 'psk.swanctl.conf');
    const hex = base.replace(/secret = ".*"/, `secret = 0x${Buffer.from('a-hex-written-secret-123').toString('hex')}`);
    expect(ok(readSwanctl(hex)).profile.secrets.psk).toBe('a-hex-written-secret-123');
    const b64 = base.replace(/secret = ".*"/, `secret = 0s${Buffer.from('a-base64-written-secret').toString('base64')}`);
    expect(ok(readSwanctl(b64)).profile.secrets.psk).toBe('a-base64-written-secret');
  });

  it('does not take a secret that belongs to other identities', () => {
    const text = fixture(SWANCTL_DIR, 'psk.swanctl.conf').replace('id-1 = alice@example.org', 'id-1 = mallory@example.org').replace('id-2 = vpn.example.org', 'id-2 = other.example.org');
    const r = readSwanctl(text);
    expect(codes(r)).toEqual(['IKEV2_PSK_MISSING']);
  });

  it.each([
    ['auth = eap-md5', 'IKEV2_AUTH_UNSUPPORTED'],
    ['auth = xauth', 'IKEV2_XAUTH_NEEDS_IKEV1'],
    ['auth = pubkey', 'IKEV2_CLIENT_CERT_MISSING'],
  ])('refuses local %s with %s', (auth, code) => {
    const text = fixture(SWANCTL_DIR, 'psk.swanctl.conf').replace(/(local \{\n\s+)auth = psk/, `$1${auth}`);
    expect(codes(readSwanctl(text))).toContain(code);
  });

  it('refuses EAP over IKEv1, which charon cannot do', () => {
    const text = fixture(SWANCTL_DIR, 'eap.swanctl.conf').replace('remote_addrs', 'version = 1\n    remote_addrs');
    expect(codes(readSwanctl(text, { files: folder(SWANCTL_DIR) }))).toEqual(['IKEV2_EAP_NEEDS_IKEV2']);
  });

  it('refuses a misspelt key with its line and column instead of ignoring it', () => {
    const text = fixture(SWANCTL_DIR, 'psk.swanctl.conf').replace('vips = 0.0.0.0', 'vipz = 0.0.0.0');
    const r = readSwanctl(text);
    expect(!r.ok && r.errors.map((e) => [e.code, e.line, e.column])).toEqual([['IKEV2_UNKNOWN_KEY', 6, 9]]);
  });

  it('refuses a connection without children or without local authentication', () => {
    expect(codes(readSwanctl('connections {\n c {\n  remote_addrs = 192.0.2.1\n  local {\n   auth = psk\n  }\n  remote {\n   auth = psk\n  }\n }\n}\nsecrets {\n ike {\n  secret = "x-long-enough-secret-value"\n }\n}\n'))).toEqual(['IKEV2_NO_CHILD']);
    expect(codes(readSwanctl('connections {\n c {\n  remote_addrs = 192.0.2.1\n  children {\n   n {\n   }\n  }\n }\n}\n'))).toContain('IKEV2_NO_LOCAL_AUTH');
  });

  it("refuses the seed's strongswan.conf precisely: daemon settings, not a connection", () => {
    const r = read('seed-strongswan.conf');
    expect(!r.ok && r.errors.map((e) => [e.code, e.line])).toEqual([['IKEV2_DAEMON_SETTINGS', 7]]);
    expect(!r.ok && r.errors[0]?.message.ja).toContain('strongswan.conf');
  });
});
