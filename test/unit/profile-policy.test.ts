import { describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { DIRECTIVES } from '../../shared/profiles/openvpn/directives.js';

// A minimal, valid, self-contained client to which one line at a time is added.
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const BASE = ['client', 'dev tun', 'remote vpn.example.test 1194 udp', 'remote-cert-tls server', 'auth-user-pass', '<ca>', CA.trimEnd(), '</ca>'];
const profileWith = (line: string) => [...BASE, line].join('\n') + '\n';
const LINE = BASE.join("\n").split("\n").length + 1;

/** Every directive of §1.5, with arguments that make the line otherwise well-formed. */
const DANGEROUS_LINES: Record<string, string> = {
  up: 'up /tmp/evil.sh',
  down: 'down /tmp/evil.sh',
  'down-pre': 'down-pre',
  'route-up': 'route-up /tmp/evil.sh',
  'route-pre-down': 'route-pre-down /tmp/evil.sh',
  ipchange: 'ipchange /tmp/evil.sh',
  'tls-verify': 'tls-verify /tmp/evil.sh',
  'learn-address': 'learn-address /tmp/evil.sh',
  'auth-user-pass-verify': 'auth-user-pass-verify /tmp/evil.sh via-env',
  'client-connect': 'client-connect /tmp/evil.sh',
  'client-disconnect': 'client-disconnect /tmp/evil.sh',
  'client-crresponse': 'client-crresponse /tmp/evil.sh',
  'tls-crypt-v2-verify': 'tls-crypt-v2-verify /tmp/evil.sh',
  'dns-updown': 'dns-updown /tmp/evil.sh',
  iproute: 'iproute /tmp/evil-ip',
  'win-sys': 'win-sys C:\\\\evil',
  plugin: 'plugin /tmp/evil.so',
  engine: 'engine dynamic',
  providers: 'providers legacy /tmp/evil',
  'pkcs11-providers': 'pkcs11-providers /tmp/evil.so',
  log: 'log /etc/passwd',
  'log-append': 'log-append /etc/shadow',
  status: 'status /etc/cron.d/x 1',
  'status-version': 'status-version 2',
  writepid: 'writepid /etc/x',
  'replay-persist': 'replay-persist /etc/x',
  'tls-export-cert': 'tls-export-cert /etc',
  'ifconfig-pool-persist': 'ifconfig-pool-persist /etc/x',
  'tmp-dir': 'tmp-dir /etc',
  config: 'config /etc/openvpn/other.conf',
  'dev-node': 'dev-node /dev/sda',
  'auth-gen-token-secret': 'auth-gen-token-secret /etc/x',
  capath: 'capath /etc/ssl',
  management: 'management /tmp/sock unix',
  'management-client': 'management-client',
  'management-client-auth': 'management-client-auth',
  'management-client-user': 'management-client-user root',
  'management-client-group': 'management-client-group root',
  'management-hold': 'management-hold',
  'management-query-passwords': 'management-query-passwords',
  'management-query-proxy': 'management-query-proxy',
  'management-query-remote': 'management-query-remote',
  'management-forget-disconnect': 'management-forget-disconnect',
  'management-signal': 'management-signal',
  'management-log-cache': 'management-log-cache 100',
  'management-up-down': 'management-up-down',
  'management-external-key': 'management-external-key',
  'management-external-cert': 'management-external-cert hint',
  daemon: 'daemon',
  cd: 'cd /etc',
  chroot: 'chroot /tmp',
  mlock: 'mlock',
  nice: 'nice -10',
  syslog: 'syslog',
  'machine-readable-output': 'machine-readable-output',
  'remap-usr1': 'remap-usr1 SIGTERM',
  'errors-to-stderr': 'errors-to-stderr',
  echo: 'echo msg hello',
  gremlin: 'gremlin 1',
  memstats: 'memstats /etc/x',
  'setenv-safe': 'setenv-safe FOO bar',
  mark: 'mark 51820',
  'bind-dev': 'bind-dev eth0',
};

describe('security policy: every dangerous OpenVPN directive is refused by default', () => {
  it('covers every directive the table marks dangerous', () => {
    const dangerous = Object.entries(DIRECTIVES).filter(([, s]) => s.role === 'dangerous').map(([n]) => n).sort();
    expect(Object.keys(DANGEROUS_LINES).sort()).toEqual(dangerous);
  });

  for (const [name, line] of Object.entries(DANGEROUS_LINES)) {
    it(`refuses '${name}' plainly`, () => {
      const r = inspectProfile(profileWith(line), { fileName: 'x.ovpn' });
      expect(r.ok).toBe(false);
      const e = r.errors.find((x) => x.code.startsWith('POLICY_'));
      expect(e, JSON.stringify(r.errors)).toBeDefined();
      expect(e?.line).toBe(LINE);
      expect(e?.message.en).toContain(`'${name}'`);
      expect(e?.message.en).toContain(`Line ${LINE}`);
      expect(e?.message.ja).toContain(`${LINE} 行目`);
    });
    it(`refuses '${name}' wrapped in setenv opt`, () => {
      const r = inspectProfile(profileWith(`setenv opt ${line}`), { fileName: 'x.ovpn' });
      expect(r.ok).toBe(false);
      const e = r.errors.find((x) => x.code.startsWith('POLICY_'));
      expect(e, JSON.stringify(r.errors)).toBeDefined();
      expect(e?.message.en).toContain(`'setenv opt ${name}'`);
      expect(e?.line).toBe(LINE);
    });
  }

  it('refuses file references that were not made self-contained', () => {
    for (const line of ['ca /etc/ssl/ca.pem', 'auth-user-pass /etc/shadow', 'askpass /etc/shadow', 'http-proxy-user-pass /root/creds', 'http-proxy proxy.test 8080 /root/creds basic']) {
      const r = inspectProfile(profileWith(line), { fileName: 'x.ovpn' });
      expect(r.ok, line).toBe(false);
      expect(r.errors.map((e) => e.code), line).toContain('POLICY_FILE_REFERENCE');
    }
  });

  it('refuses setenv of arbitrary variables but accepts the inert, well-known ones', () => {
    expect(inspectProfile(profileWith('setenv LD_PRELOAD /tmp/x.so'), { fileName: 'x.ovpn' }).errors[0]?.code).toBe('POLICY_SETENV');
    expect(inspectProfile(profileWith('setenv PATH /tmp'), { fileName: 'x.ovpn' }).errors[0]?.code).toBe('POLICY_SETENV');
    expect(inspectProfile(profileWith('setenv FORWARD_COMPATIBLE 1'), { fileName: 'x.ovpn' }).ok).toBe(true);
    expect(inspectProfile(profileWith('setenv UV_ID abc'), { fileName: 'x.ovpn' }).ok).toBe(true);
    expect(inspectProfile(profileWith('setenv GENERIC_CONFIG 1'), { fileName: 'x.ovpn' }).errors[0]?.code).toBe('POLICY_GENERIC_CONFIG');
  });

  it('accepts script-security 0 and 1, which run nothing the profile names', () => {
    expect(inspectProfile(profileWith('script-security 1'), { fileName: 'x.ovpn' }).ok).toBe(true);
  });

  it('lets an administrator allow scripts — and nothing else', () => {
    const policy = { allowScripts: true };
    expect(inspectProfile(profileWith('up /usr/local/bin/ok.sh'), { fileName: 'x.ovpn', policy }).ok).toBe(true);
    expect(inspectProfile(profileWith('script-security 2'), { fileName: 'x.ovpn', policy }).ok).toBe(true);
    expect(inspectProfile(profileWith('plugin /tmp/x.so'), { fileName: 'x.ovpn', policy }).ok).toBe(false);
    expect(inspectProfile(profileWith('log /etc/passwd'), { fileName: 'x.ovpn', policy }).ok).toBe(false);
    expect(inspectProfile(profileWith('management /tmp/s unix'), { fileName: 'x.ovpn', policy }).ok).toBe(false);
  });
});

const WG_BASE = `[Interface]
PrivateKey = qCi5ugILVhTOOmCzchqFzkNaHM3HP1qFUWgtYun2A3w=
Address = 10.7.0.2/32

[Peer]
PublicKey = m58H6KTuRt+4z6g+jMIeRCdAkQoikkiVvTd7pJvrPGE=
AllowedIPs = 10.7.0.0/24
Endpoint = vpn.example.test:51820
`;

describe('security policy: WireGuard scripts', () => {
  for (const key of ['PreUp', 'PostUp', 'PreDown', 'PostDown', 'postup', 'POSTDOWN']) {
    it(`refuses ${key} by default, naming the line`, () => {
      const text = WG_BASE.replace('Address = 10.7.0.2/32', `Address = 10.7.0.2/32\n${key} = touch /tmp/pwned`);
      const r = inspectProfile(text, { fileName: 'wg0.conf' });
      expect(r.ok).toBe(false);
      expect(r.errors[0]?.code).toBe('POLICY_WG_SCRIPT');
      expect(r.errors[0]?.line).toBe(4);
      expect(r.errors[0]?.message.en).toContain('Line 4');
    });
  }
  it('allows hooks only under the administrator setting', () => {
    const text = WG_BASE.replace('Address = 10.7.0.2/32', 'Address = 10.7.0.2/32\nPostUp = true');
    expect(inspectProfile(text, { fileName: 'wg0.conf', policy: { allowScripts: true } }).ok).toBe(true);
  });
});

describe('server configurations are recognised', () => {
  it('refuses an OpenVPN server config with one clear error', () => {
    const r = inspectProfile('port 1194\nproto udp\ndev tun\nserver 10.8.0.0 255.255.255.0\ndaemon\nlog-append /var/log/x\n', { fileName: 's.conf' });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.code).toBe('POLICY_SERVER_CONFIG');
    expect(r.errors[0]?.message.en).toContain('this is a server configuration'.replace(/^t/, 'T'));
    expect(r.errors[0]?.line).toBe(4);
  });
  it('refuses a WireGuard config that only listens', () => {
    const text = WG_BASE.replace('Endpoint = vpn.example.test:51820\n', '').replace('Address', 'ListenPort = 51820\nAddress');
    const r = inspectProfile(text, { fileName: 'wg0.conf' });
    expect(r.errors[0]?.code).toBe('POLICY_SERVER_CONFIG');
  });
});

describe('root-only effects a profile may ask for (issue 10, findings 6 and 11)', () => {
  const codes = (text: string) => inspectProfile(text, { fileName: 'p.ovpn' }).errors.map((e) => [e.code, e.line]);
  const conn = (inner: string) => profileWith(`<connection>\nremote b.test 1194\n${inner}\n</connection>`);

  it('refuses lport below 1024 (or a service name) at top level and inside <connection>', () => {
    expect(codes(profileWith('lport 80'))).toEqual([['POLICY_PRIVILEGED_PORT', LINE]]);
    expect(codes(profileWith('lport https'))).toEqual([['POLICY_PRIVILEGED_PORT', LINE]]);
    expect(codes(conn('lport 1023'))).toEqual([['POLICY_PRIVILEGED_PORT', LINE + 2]]);
    expect(inspectProfile(profileWith('lport 1024'), { fileName: 'p.ovpn' }).ok).toBe(true);
    expect(inspectProfile(profileWith('lport 80'), { fileName: 'p.ovpn' }).errors[0]?.message.en).toContain("'lport 80' makes the VPN process bind local port '80'");
  });

  it('refuses a privileged port whenever local, lport or bind makes openvpn bind it', () => {
    expect(codes(profileWith('port 443\nlocal 0.0.0.0'))).toEqual([['POLICY_PRIVILEGED_PORT', LINE]]);
    // A later `port` overrides an earlier `lport` as the local port.
    expect(codes(profileWith('lport 5000\nport 443'))).toEqual([['POLICY_PRIVILEGED_PORT', LINE + 1]]);
    expect(codes(conn('port 53\nbind'))).toEqual([['POLICY_PRIVILEGED_PORT', LINE + 2]]);
  });

  it('keeps `port 443` profiles importable by adding nobind ahead of every block', () => {
    const r = inspectProfile(conn('port 443'), { fileName: 'p.ovpn' });
    expect(r.errors).toEqual([]);
    expect(r.canonical?.startsWith('nobind\n')).toBe(true);
    expect(r.advisories.find((a) => a.code === 'OVPN_NOBIND_ADDED')).toMatchObject({ line: LINE + 2, fix: { automatic: true } });
    const already = inspectProfile(profileWith('nobind\nport 443'), { fileName: 'p.ovpn' });
    expect(already.advisories.map((a) => a.code)).not.toContain('OVPN_NOBIND_ADDED');
    expect(inspectProfile(profileWith('port 1194'), { fileName: 'p.ovpn' }).advisories.map((a) => a.code)).not.toContain('OVPN_NOBIND_ADDED');
  });

  it('accepts only client protocols, in <connection> blocks and remote lines as at top level', () => {
    for (const proto of ['tcp-server', 'tcp4-server', 'udp-bogus']) {
      expect(codes(profileWith(`proto ${proto}`))).toEqual([['OVPN_BAD_VALUE', LINE]]);
      expect(codes(conn(`proto ${proto}`))).toEqual([['OVPN_BAD_VALUE', LINE + 2]]);
      expect(codes(profileWith(`<connection>\nremote b.test 1194 ${proto}\n</connection>`))).toEqual([['OVPN_BAD_VALUE', LINE + 1]]);
    }
    for (const proto of ['udp', 'udp4', 'udp6', 'tcp', 'tcp4', 'tcp6', 'tcp-client', 'tcp4-client', 'tcp6-client']) {
      expect(codes(conn(`proto ${proto}`)), proto).toEqual([]);
    }
  });

  it('replaces a fixed device name by tun/tap, so no profile claims a name in use elsewhere', () => {
    const r = inspectProfile(profileWith('dev tun0'), { fileName: 'p.ovpn' });
    expect(r.errors).toEqual([]);
    expect(r.canonical?.match(/^dev .*$/gm)).toEqual(['dev tun', 'dev tun']);
    expect(r.advisories.find((a) => a.code === 'OVPN_DEVICE_NAME_DROPPED')).toMatchObject({ line: LINE, fix: { automatic: true } });
    const tap = inspectProfile(profileWith('dev office\ndev-type tap'), { fileName: 'p.ovpn' });
    expect(tap.canonical?.match(/^dev .*$/gm)).toEqual(['dev tun', 'dev tap']);
    expect(tap.layer).toBe('L2');
    expect(inspectProfile(profileWith('verb 3'), { fileName: 'p.ovpn' }).advisories.map((a) => a.code)).not.toContain('OVPN_DEVICE_NAME_DROPPED');
  });

  it('drops push-peer-info, which would send the host’s MAC address, with a note', () => {
    const r = inspectProfile(profileWith('push-peer-info'), { fileName: 'p.ovpn' });
    expect(r.ok).toBe(true);
    expect(r.canonical).not.toContain('push-peer-info');
    expect(r.advisories.find((a) => a.code === 'OVPN_PUSH_PEER_INFO_DROPPED')).toMatchObject({ line: LINE, fix: { automatic: true } });
    expect(r.advisories.find((a) => a.code === 'OVPN_PUSH_PEER_INFO_DROPPED')?.explanation.en).toContain('MAC');
  });

  it('clamps explicit-exit-notify to 2 everywhere, so openvpn cannot outlast the helper’s teardown', () => {
    const r = inspectProfile(profileWith(`explicit-exit-notify 30\n<connection>\nremote b.test 1194\nexplicit-exit-notify 5\n</connection>`), { fileName: 'p.ovpn' });
    expect(r.errors).toEqual([]);
    expect(r.canonical?.match(/^explicit-exit-notify .*$/gm)).toEqual(['explicit-exit-notify 2', 'explicit-exit-notify 2']);
    expect(r.advisories.find((a) => a.code === 'OVPN_EXIT_NOTIFY_CLAMPED')).toMatchObject({ line: LINE, fix: { automatic: true } });
    const short = inspectProfile(profileWith('explicit-exit-notify 2'), { fileName: 'p.ovpn' });
    expect(short.canonical).toContain('\nexplicit-exit-notify 2\n');
    expect(short.advisories.map((a) => a.code)).not.toContain('OVPN_EXIT_NOTIFY_CLAMPED');
    // atoi() would read '30s' as 30.
    expect(codes(profileWith('explicit-exit-notify 30s'))).toEqual([['OVPN_BAD_VALUE', LINE]]);
  });
});
