import { describe, expect, it } from 'vitest';
import { checkedRunConfig, CONFIG_FROM_STDIN, exitNotifySeconds, GUARD_ROUTE_DELAY_S, helperDirectives, openVpnArgs, runConfig, shadowingPullFilter } from '../../electron/helper/drivers/openvpn/args.js';
import { parsePushReply, parseRouteLog } from '../../electron/helper/drivers/openvpn/routes.js';
import type { OpenVpnDirective } from '../../shared/profiles/openvpn/model.js';
import { PromptBroker, sendable, type NeedNotice } from '../../electron/helper/drivers/openvpn/credentials.js';
import { dnsFromEnv, isDomainName, mergeDns } from '../../electron/helper/drivers/openvpn/dns-env.js';
import {
  LineSplitter,
  managementArg,
  ManagementProtocol,
  parseLoadStats,
  parseNotification,
  parsePasswordNotice,
  parseStateFields,
  type Notification,
  type Reply,
} from '../../electron/helper/drivers/openvpn/protocol.js';
import { redact, redactCommand } from '../../electron/helper/drivers/openvpn/redact.js';
import {
  classifyVerificationFailure,
  connectTimeoutError,
  formatRemote,
  logLevel,
  progressState,
  unexpectedExit,
} from '../../electron/helper/drivers/openvpn/states.js';
import { MAX_DNS_SERVERS, MAX_SEARCH_DOMAINS, parseDnsRecord, resolvconfInput, validDns } from '../../electron/helper/dns.js';

// Lines below are verbatim from openvpn 2.6.14 in the test lab unless noted.

function state(line: string) {
  const n = parseNotification(line);
  if (n?.kind !== 'state') throw new Error(`not a state: ${line}`);
  return n.state;
}

describe('LineSplitter', () => {
  it('splits CRLF lines and keeps a partial line for the next chunk', () => {
    const s = new LineSplitter();
    expect(s.push('>INFO:OpenVPN Management Interface Version 5\r\n>HOLD:Wait')).toEqual(['>INFO:OpenVPN Management Interface Version 5']);
    expect(s.pending).toBe('>HOLD:Wait');
    expect(s.push('ing for hold release:0\r')).toEqual([]);
    expect(s.push('\nSUCCESS: x\r\n')).toEqual(['>HOLD:Waiting for hold release:0', 'SUCCESS: x']);
  });

  it('accepts bare LF too', () => {
    expect(new LineSplitter().push('a\nb\n')).toEqual(['a', 'b']);
  });
});

describe('parseNotification', () => {
  it('parses >HOLD with its backoff seconds', () => {
    expect(parseNotification('>HOLD:Waiting for hold release:0')).toEqual({ kind: 'hold', waitSeconds: 0 });
    expect(parseNotification('>HOLD:Waiting for hold release:10')).toEqual({ kind: 'hold', waitSeconds: 10 });
  });

  it('parses >STATE with and without addresses', () => {
    expect(state('>STATE:1795742228,WAIT,,,,,,')).toMatchObject({ time: 1795742228, name: 'WAIT', detail: '', localIp: '', remoteAddr: '' });
    expect(state('>STATE:1795742228,CONNECTED,SUCCESS,10.8.0.2,10.200.1.1,1194,,')).toMatchObject({
      name: 'CONNECTED',
      detail: 'SUCCESS',
      localIp: '10.8.0.2',
      remoteAddr: '10.200.1.1',
      remotePort: '1194',
      localIp6: '',
    });
    expect(state('>STATE:1795742231,EXITING,SIGTERM,,,,,')).toMatchObject({ name: 'EXITING', detail: 'SIGTERM' });
    // IPv6 tunnel address is appended as a ninth field when set (documented shape).
    expect(state('>STATE:1,CONNECTED,SUCCESS,10.8.0.2,2001:db8::1,1194,,,fd00::2')).toMatchObject({ remoteAddr: '2001:db8::1', localIp6: 'fd00::2' });
  });

  it('reads the counters of a load-stats reply (what the helper asks for once a second)', () => {
    expect(parseLoadStats('nclients=0,bytesin=2484,bytesout=2423')).toEqual({ bytesIn: 2484, bytesOut: 2423 });
    expect(parseLoadStats('bytesout=7,nclients=3,bytesin=9')).toEqual({ bytesIn: 9, bytesOut: 7 });
    expect(parseLoadStats('nclients=0,bytesin=12')).toBeNull();
    expect(parseLoadStats('xbytesin=1,bytesout=2')).toBeNull();
    expect(parseLoadStats('real-time state notification set to ON')).toBeNull();
  });

  it('parses >BYTECOUNT and >LOG (text may contain commas)', () => {
    expect(parseNotification('>BYTECOUNT:2838,2933')).toEqual({ kind: 'bytecount', bytesIn: 2838, bytesOut: 2933 });
    expect(parseNotification(">LOG:1795745340,,PUSH: Received control message: 'PUSH_REPLY,route 198.18.2.0 255.255.255.0'")).toEqual({
      kind: 'log',
      time: 1795745340,
      flags: '',
      text: "PUSH: Received control message: 'PUSH_REPLY,route 198.18.2.0 255.255.255.0'",
    });
    expect(parseNotification(">LOG:1795745343,D,MANAGEMENT: CMD 'signal SIGTERM'")).toMatchObject({ flags: 'D' });
  });

  it('parses the >UPDOWN block', () => {
    expect(parseNotification('>UPDOWN:UP')).toEqual({ kind: 'updown', event: 'UP' });
    expect(parseNotification('>UPDOWN:ENV,foreign_option_1=dhcp-option DNS 198.18.2.53')).toEqual({
      kind: 'updown-env',
      key: 'foreign_option_1',
      value: 'dhcp-option DNS 198.18.2.53',
    });
    expect(parseNotification('>UPDOWN:ENV,END')).toEqual({ kind: 'updown-end' });
  });

  it('parses the lines of `state all` like >STATE', () => {
    expect(parseStateFields('1795742228,ASSIGN_IP,,10.8.0.2,,,,')).toMatchObject({ name: 'ASSIGN_IP', localIp: '10.8.0.2' });
    expect(parseStateFields('END')).toBeNull();
  });

  it('returns null for reply lines', () => {
    expect(parseNotification('SUCCESS: hold release succeeded')).toBeNull();
    expect(parseNotification('END')).toBeNull();
  });
});

describe('parsePasswordNotice', () => {
  it('recognises the prompts', () => {
    expect(parsePasswordNotice("Need 'Auth' username/password")).toEqual({ type: 'need', label: 'Auth', form: 'username/password', staticChallenge: null });
    expect(parsePasswordNotice("Need 'Auth' username/password SC:1,Enter OTP")).toEqual({
      type: 'need',
      label: 'Auth',
      form: 'username/password',
      staticChallenge: { echo: true, text: 'Enter OTP' },
    });
    expect(parsePasswordNotice("Need 'Auth' username/password SC:0,PIN, please")).toMatchObject({ staticChallenge: { echo: false, text: 'PIN, please' } });
    expect(parsePasswordNotice("Need 'Private Key' password")).toEqual({ type: 'need', label: 'Private Key', form: 'password', staticChallenge: null });
    expect(parsePasswordNotice("Need 'Auth' password")).toMatchObject({ form: 'password' });
  });

  it('recognises verification failures with and without the server reason', () => {
    expect(parsePasswordNotice("Verification Failed: 'Auth'")).toEqual({ type: 'failed', label: 'Auth', reason: null });
    expect(parsePasswordNotice("Verification Failed: 'Private Key'")).toEqual({ type: 'failed', label: 'Private Key', reason: null });
    expect(parsePasswordNotice("Verification Failed: 'Auth' ['Data channel cipher negotiation failed (no shared cipher)']")).toEqual({
      type: 'failed',
      label: 'Auth',
      reason: 'Data channel cipher negotiation failed (no shared cipher)',
    });
    expect(parsePasswordNotice("Verification Failed: 'Auth' ['it's expired']")).toMatchObject({ reason: "it's expired" });
  });

  it('never keeps an auth token', () => {
    expect(parsePasswordNotice('Auth-Token:SESS_ID_abcdef')).toEqual({ type: 'auth-token' });
  });
});

describe('ManagementProtocol', () => {
  function setup() {
    const written: string[] = [];
    const notes: Notification[] = [];
    const stray: string[] = [];
    const p = new ManagementProtocol(
      (d) => written.push(d),
      (n) => notes.push(n),
      (l) => stray.push(l),
    );
    return { p, written, notes, stray };
  }

  it('pipelines commands and matches replies in order, blocks included', async () => {
    const { p, written } = setup();
    const replies: Reply[] = [];
    const a = p.command('status').then((r) => replies.push(r));
    const b = p.command('hold on').then((r) => replies.push(r));
    const c = p.command('bytecount 1').then((r) => replies.push(r));
    // All three go out at once: no round trip per command.
    expect(written).toEqual(['status\n', 'hold on\n', 'bytecount 1\n']);
    p.feed('OpenVPN CLIENT LIST\r\n>LOG:1,I,x\r\nUpdated,x\r\nEND\r\nSUCCESS: hold flag set to ON\r\nERROR: nope\r\n');
    await Promise.all([a, b, c]);
    expect(replies).toEqual([
      { ok: true, lines: ['OpenVPN CLIENT LIST', 'Updated,x'] },
      { ok: true, lines: ['hold flag set to ON'] },
      { ok: false, lines: ['nope'] },
    ]);
  });

  it("'state on all' (SUCCESS, then a history block) replays history as state notifications in stream order", async () => {
    // The exact shape openvpn 2.6.14 sends (captured from the real binary).
    const { p, notes } = setup();
    const a = p.command('state on all');
    const b = p.command('hold on');
    p.feed('SUCCESS: real-time state notification set to ON\r\n1795748750,WAIT,,,,,,\r\n1795748750,AUTH,,,,,,\r\n1795748750,CONNECTED,SUCCESS,198.18.8.2,198.18.1.1,1194,,\r\nEND\r\n>STATE:1795748751,RECONNECTING,ping-restart,,,,,\r\nSUCCESS: hold flag set to ON\r\n');
    expect((await a).lines).toHaveLength(3);
    expect(await b).toEqual({ ok: true, lines: ['hold flag set to ON'] });
    expect(notes.map((n) => (n.kind === 'state' ? n.state.name : n.kind))).toEqual(['WAIT', 'AUTH', 'CONNECTED', 'RECONNECTING']);
  });

  it("'log on all' (SUCCESS, then a history block) replays history as log notifications marked as history, in stream order", async () => {
    // The shape openvpn 2.6.14 sends (captured from the real binary).
    const { p, notes } = setup();
    const a = p.command('log on all');
    p.feed(
      "SUCCESS: real-time log notification set to ON\r\n1796183708,,net_route_v4_add: 198.18.1.1/32 via 198.18.1.1 dev eth0 table 0 metric -1\r\n1796183711,D,MANAGEMENT: CMD 'log on all'\r\nEND\r\n>LOG:1796183712,,PUSH: Received control message: 'PUSH_REPLY,route 10.0.0.0 255.0.0.0'\r\n",
    );
    expect((await a).lines).toHaveLength(2);
    expect(notes).toEqual([
      { kind: 'log', time: 1796183708, flags: '', text: 'net_route_v4_add: 198.18.1.1/32 via 198.18.1.1 dev eth0 table 0 metric -1', history: true },
      { kind: 'log', time: 1796183711, flags: 'D', text: "MANAGEMENT: CMD 'log on all'", history: true },
      { kind: 'log', time: 1796183712, flags: '', text: "PUSH: Received control message: 'PUSH_REPLY,route 10.0.0.0 255.0.0.0'" },
    ]);
  });

  it('delivers notifications that arrive between a command and its reply', async () => {
    const { p, notes } = setup();
    const r = p.command('hold release');
    p.feed(">LOG:1795745340,D,MANAGEMENT: CMD 'hold release'\r\n>HOLD:Waiting for hold release:1\r\nSUCCESS: hold release succeeded\r\n");
    expect(await r).toEqual({ ok: true, lines: ['hold release succeeded'] });
    expect(notes.map((n) => n.kind)).toEqual(['log', 'hold']);
  });

  it('collects END-terminated blocks, with notifications inside them', async () => {
    const { p, notes } = setup();
    const r = p.command('state all');
    p.feed('1795742228,WAIT,,,,,,\r\n>BYTECOUNT:1,2\r\n1795742228,AUTH,,,,,,\r\nEND\r\n');
    expect(await r).toEqual({ ok: true, lines: ['1795742228,WAIT,,,,,,', '1795742228,AUTH,,,,,,'] });
    expect(notes).toEqual([{ kind: 'bytecount', bytesIn: 1, bytesOut: 2 }]);
  });

  it('reports ERROR replies as not ok', async () => {
    const { p } = setup();
    const r = p.command('username "Auth" bob');
    p.feed('ERROR: no username is currently needed at this time\r\n');
    expect(await r).toEqual({ ok: false, lines: ['no username is currently needed at this time'] });
  });

  it('passes unsolicited non-notification lines to the stray handler', () => {
    const { p, stray } = setup();
    p.feed('SUCCESS: nobody asked\r\n');
    expect(stray).toEqual(['SUCCESS: nobody asked']);
  });

  it('refuses commands with control characters (they would be split or dropped)', async () => {
    const { p, written } = setup();
    await expect(p.command('password "Auth" "a\nsignal SIGTERM"')).rejects.toThrow(/control/);
    expect(written).toEqual([]);
  });

  it('fails pending commands when the connection closes', async () => {
    const { p } = setup();
    const a = p.command('state on');
    const b = p.command('log on');
    p.close();
    await expect(a).rejects.toThrow(/closed/);
    await expect(b).rejects.toThrow(/closed/);
    await expect(p.command('bytecount 1')).rejects.toThrow(/closed/);
  });
});

describe('state mapping', () => {
  const at = 1_700_000_000_000;
  it('maps progress states to connecting phases', () => {
    const map = (line: string, userAuth = false) => progressState(state(line), userAuth, at);
    expect(map('>STATE:1,RESOLVE,,,,,,')).toEqual({ status: 'connecting', phase: 'resolving' });
    expect(map('>STATE:1,TCP_CONNECT,,,,,,')).toEqual({ status: 'connecting', phase: 'connecting' });
    expect(map('>STATE:1,WAIT,,,,,,')).toEqual({ status: 'connecting', phase: 'waiting' });
    expect(map('>STATE:1,AUTH,,,,,,')).toEqual({ status: 'connecting', phase: 'handshake' });
    expect(map('>STATE:1,AUTH,,,,,,', true)).toEqual({ status: 'authenticating' });
    expect(map('>STATE:1,GET_CONFIG,,,,,,')).toEqual({ status: 'connecting', phase: 'configuring' });
    expect(map('>STATE:1,ASSIGN_IP,,10.8.0.2,,,,')).toEqual({ status: 'connecting', phase: 'configuring' });
    expect(map('>STATE:1,ADD_ROUTES,,,,,,')).toEqual({ status: 'connecting', phase: 'configuring' });
    expect(map('>STATE:1,RECONNECTING,ping-restart,,,,,')).toBeNull();
    expect(map('>STATE:1,EXITING,SIGTERM,,,,,')).toBeNull();
  });

  it('maps CONNECTED to local address, remote ip:port and the time', () => {
    expect(progressState(state('>STATE:1795745340,CONNECTED,SUCCESS,198.18.8.2,198.18.1.1,1194,,'), false, at)).toEqual({
      status: 'connected',
      localIp: '198.18.8.2',
      remote: '198.18.1.1:1194',
      since: at,
    });
    expect(formatRemote('2001:db8::1', '1194')).toBe('[2001:db8::1]:1194');
  });

  it('logs levels from the >LOG flags', () => {
    expect(logLevel('')).toBe('info');
    expect(logLevel('I')).toBe('info');
    expect(logLevel('W')).toBe('warn');
    expect(logLevel('N')).toBe('warn');
    expect(logLevel('F')).toBe('error');
    expect(logLevel('D')).toBe('debug');
  });
});

describe('failure classification', () => {
  it('a plain AUTH_FAILED is auth-failed without a reason', () => {
    const o = classifyVerificationFailure('Auth', null);
    expect(o).toMatchObject({ kind: 'error', state: { status: 'error', code: 'auth-failed' } });
    if (o.kind === 'error') expect(o.state.detail).toBeUndefined();
  });

  it("carries the server's reason", () => {
    const o = classifyVerificationFailure('Auth', 'Account locked\x07');
    expect(o).toMatchObject({ kind: 'error', state: { code: 'auth-failed', detail: 'Account locked' } });
    if (o.kind === 'error') {
      expect(o.state.message.en).toContain('Account locked');
      expect(o.state.message.ja).toContain('Account locked');
    }
  });

  it('explains cipher negotiation failures', () => {
    const o = classifyVerificationFailure('Auth', 'Data channel cipher negotiation failed (no shared cipher)');
    expect(o).toMatchObject({ kind: 'error', state: { code: 'cipher-negotiation-failed' } });
    if (o.kind === 'error') expect(o.state.message.en).toMatch(/data-ciphers/);
  });

  it('a wrong key passphrase is bad-passphrase', () => {
    expect(classifyVerificationFailure('Private Key', null)).toMatchObject({ kind: 'error', state: { code: 'bad-passphrase' } });
  });

  it('TEMP failures are temporary; CRV1 is a dynamic challenge', () => {
    expect(classifyVerificationFailure('Auth', 'TEMP server busy')).toEqual({ kind: 'temporary', reason: 'TEMP server busy' });
    const user = Buffer.from('alice').toString('base64');
    expect(classifyVerificationFailure('Auth', `CRV1:R,E:Om01u7Fh4LrGBS7uh0SWmzwabUiGiW6l:${user}:Enter Your OTP Code`)).toEqual({
      kind: 'challenge',
      stateId: 'Om01u7Fh4LrGBS7uh0SWmzwabUiGiW6l',
      username: 'alice',
      text: 'Enter Your OTP Code',
      echo: true,
      responseRequired: true,
    });
  });

  it('names unexpected exits', () => {
    expect(unexpectedExit('auth-failure', null).code).toBe('auth-failed');
    expect(unexpectedExit('private-key-password-failure', null).code).toBe('bad-passphrase');
    expect(unexpectedExit('server-pushed-halt', null).code).toBe('server-halted');
    expect(unexpectedExit('SIGTERM', 'x')).toMatchObject({ code: 'openvpn-exited', detail: 'SIGTERM: x' });
  });

  it('the connect timeout speaks plainly', () => {
    const e = connectTimeoutError(30_000, 'last state WAIT');
    expect(e).toMatchObject({ code: 'connect-timeout', detail: 'last state WAIT' });
    expect(e.message.en).toMatch(/30 seconds.*unreachable.*TLS/);
  });
});

describe('redaction', () => {
  it('masks management password commands but keeps the type', () => {
    expect(redactCommand('password "Auth" "hunter2"')).toBe('password "Auth" [redacted]');
    expect(redactCommand('password "Private Key" s3cr3t')).toBe('password "Private Key" [redacted]');
    expect(redactCommand('cr-response MTIzNDU2')).toBe('cr-response [redacted]');
    expect(redactCommand('username "Auth" alice')).toBe('username "Auth" alice');
    expect(redactCommand('hold release')).toBe('hold release');
  });

  it('masks pushed auth tokens, challenge answers and PEM material', () => {
    expect(redact("PUSH: Received control message: 'PUSH_REPLY,route-gateway 10.8.0.1,auth-token SESS_ID_AT_abc123,ping 10'")).toBe(
      "PUSH: Received control message: 'PUSH_REPLY,route-gateway 10.8.0.1,auth-token [redacted],ping 10'",
    );
    expect(redact('auth-token-user YWxpY2U=')).toBe('auth-token-user [redacted]');
    expect(redact('password "Auth" SCRV1:aHVudGVyMg==:MTIzNDU2')).not.toMatch(/aHVudGVyMg|MTIzNDU2/);
    expect(redact('-----BEGIN PRIVATE KEY----- MIIEvQIBADANBg')).not.toContain('MIIEvQ');
    expect(redact('password: hunter2')).toBe('password [redacted]');
    expect(redact('passphrase=hunter2')).toBe('passphrase [redacted]');
  });

  it("leaves openvpn's harmless wording alone", () => {
    for (const line of [
      "SUCCESS: 'Auth' password entered, but not yet verified",
      "MANAGEMENT: CMD 'password [...]'",
      'WARNING: this configuration may cache passwords in memory -- use the auth-nocache option to prevent this',
      "Need 'Auth' username/password",
      'The passphrase for the private key is wrong.',
    ]) {
      expect(redact(line)).toBe(line);
    }
  });
});

describe('DNS from the UPDOWN environment', () => {
  it('reads foreign options in numeric order (openvpn prints them in reverse)', () => {
    const env = new Map([
      ['foreign_option_4', 'dhcp-option DOMAIN-SEARCH z.test'],
      ['foreign_option_3', 'dhcp-option DNS6 fd00::53'],
      ['foreign_option_2', 'dhcp-option DNS 198.18.2.53'],
      ['foreign_option_1', 'dhcp-option DOMAIN lab.test'],
      ['foreign_option_10', 'dhcp-option DNS 198.18.2.54'],
      ['dev', 'tun0'],
    ]);
    expect(dnsFromEnv(env)).toEqual({ servers: ['198.18.2.53', 'fd00::53', '198.18.2.54'], searchDomains: ['lab.test', 'z.test'] });
  });

  it('reads the 2.6 dns_* variables and drops ports', () => {
    const env = new Map([
      ['dns_server_1_address_1', '198.18.2.77'],
      ['dns_server_1_address_2', '[fd00::77]:5353'],
      ['dns_search_domain_2', 'z.test'],
      ['dns_search_domain_1', 'y.test'],
    ]);
    expect(dnsFromEnv(env)).toEqual({ servers: ['198.18.2.77', 'fd00::77'], searchDomains: ['y.test', 'z.test'] });
  });

  it('drops anything that is not an address or a domain name (server-controlled input)', () => {
    const env = new Map([
      ['foreign_option_1', 'dhcp-option DNS 1.2.3.4\nnameserver 6.6.6.6'],
      ['foreign_option_2', 'dhcp-option DNS not-an-ip'],
      ['foreign_option_3', 'dhcp-option DOMAIN evil.test\noptions ndots:15'],
      ['foreign_option_4', 'dhcp-option DOMAIN -bad.test'],
      ['foreign_option_5', 'dhcp-option NTP 10.0.0.1'],
    ]);
    expect(dnsFromEnv(env)).toEqual({ servers: [], searchDomains: [] });
    expect(isDomainName('lab.test')).toBe(true);
    expect(isDomainName('a b')).toBe(false);
  });

  it('hands resolvconf only plain addresses (no zone) and domain names, at most the caps', () => {
    const many = Array.from({ length: 20 }, (_, i) => `10.0.0.${i + 1}`);
    const v = validDns(['fe80::1%eth0', '1.2.3.4 ', '::1', ...many], ['ok.test', 'x.test\nnameserver 6.6.6.6', 'a..b', `${'a'.repeat(64)}.test`, 'ok.test']);
    expect(v.servers).toEqual(['::1', ...many.slice(0, MAX_DNS_SERVERS - 1)]);
    expect(v.searchDomains).toEqual(['ok.test']);
    expect(validDns([], Array.from({ length: 20 }, (_, i) => `d${i}.test`)).searchDomains).toHaveLength(MAX_SEARCH_DOMAINS);
  });

  it('merges with the profile settings without duplicates', () => {
    expect(mergeDns({ servers: ['10.0.0.1'], searchDomains: ['a.test'] }, { servers: ['10.0.0.1', '10.0.0.2', 'x'], searchDomains: ['a.test'] })).toEqual({
      servers: ['10.0.0.1', '10.0.0.2'],
      searchDomains: ['a.test'],
    });
  });

  it('writes resolvconf input and self-describing records', () => {
    expect(resolvconfInput(['198.18.2.53'], ['lab.test'])).toBe('# added by Tsunagu\nsearch lab.test\nnameserver 198.18.2.53\n');
    expect(parseDnsRecord('resolvconf:tun0.tsunagu@tsl-123456-c')).toEqual({ backend: 'resolvconf', name: 'tun0.tsunagu', netns: 'tsl-123456-c' });
    expect(parseDnsRecord('resolved:tun1')).toEqual({ backend: 'resolved', name: 'tun1', netns: null });
    expect(parseDnsRecord('resolvconf:tun0.tsunagu')).toEqual({ backend: 'resolvconf', name: 'tun0.tsunagu', netns: null });
    // Never a path or a record Tsunagu did not add.
    expect(parseDnsRecord('resolvconf:../etc')).toBeNull();
    expect(parseDnsRecord('resolvconf:..tsunagu')).toBeNull();
    expect(parseDnsRecord('resolvconf:eth0')).toBeNull();
    expect(parseDnsRecord('resolvconf:a b')).toBeNull();
  });
});

describe('openvpn command line and run config', () => {
  it("puts the helper's flags after --config so they win, and depends on nothing in the profile", () => {
    const args = openVpnArgs({ configPath: '/w/profile.ovpn', managementSocket: '/w/mgmt.sock' });
    expect(args.slice(0, 2)).toEqual(['--config', '/w/profile.ovpn']);
    expect(args).toEqual(expect.arrayContaining(['--management-client', '--management-query-passwords', '--management-up-down']));
    expect(args).not.toContain('--management-hold');
    expect(args.join(' ')).toContain('--management /w/mgmt.sock unix');
    expect(args.join(' ')).toContain('--auth-retry interact');
    expect(args.join(' ')).toContain('--script-security 1');
    expect(args.join(' ')).toContain('--verb 3 --mute 0');
    expect(args).toContain('tsunagu 0.1');
    expect(openVpnArgs({ configPath: CONFIG_FROM_STDIN, managementSocket: 's' }).slice(0, 2)).toEqual(['--config', 'stdin']);
  });

  const text = (ds: OpenVpnDirective[]) => ds.map((d) => [d.name, ...d.args].join(' '));
  const FILTER = ['pull-filter ignore explicit-exit-notify', 'pull-filter ignore verb', 'pull-filter ignore mute'];

  it('adds a liveness check only when the profile has none', () => {
    const lines = helperDirectives({ directives: [{ name: 'client', args: [] }], udpOnly: false });
    expect(text(lines)).toEqual([...FILTER, 'ping 10', 'ping-restart 60']);
    expect(text(helperDirectives({ directives: [{ name: 'keepalive', args: ['10', '60'] }], udpOnly: false }))).toEqual(FILTER);
    const inBlock = helperDirectives({ directives: [{ name: 'connection', args: [], block: [{ name: 'ping', args: ['5'] }] }], udpOnly: false });
    expect(text(inBlock)).toEqual(FILTER);
  });

  it('tells a UDP server when the client leaves, unless the profile already says how', () => {
    expect(text(helperDirectives({ directives: [{ name: 'keepalive', args: ['10', '60'] }], udpOnly: true }))).toEqual([...FILTER, 'explicit-exit-notify 1']);
    expect(text(helperDirectives({ directives: [{ name: 'keepalive', args: ['10', '60'] }], udpOnly: false }))).toEqual(FILTER);
    expect(text(helperDirectives({ directives: [{ name: 'keepalive', args: ['1', '5'] }, { name: 'explicit-exit-notify', args: ['3'] }], udpOnly: true }))).toEqual(FILTER);
  });

  it('appends its lines after the canonical profile, marked', () => {
    const canonical = 'client\ndev tun\nremote vpn.example.com 1194 udp\n';
    const config = runConfig(canonical, helperDirectives({ directives: [{ name: 'client', args: [] }], udpOnly: true }));
    expect(config).toBe(`${canonical}# Added by the Tsunagu helper\n${FILTER.join('\n')}\nping 10\nping-restart 60\nexplicit-exit-notify 1\n`);
    expect(runConfig('client\nkeepalive 10 60', [])).toBe('client\nkeepalive 10 60\n');
  });

  it('bounds the stop grace by the explicit-exit-notify count openvpn will wait for', () => {
    expect(exitNotifySeconds({ directives: [], udpOnly: true })).toBe(1);
    expect(exitNotifySeconds({ directives: [], udpOnly: false })).toBe(0);
    expect(exitNotifySeconds({ directives: [{ name: 'explicit-exit-notify', args: [] }], udpOnly: false })).toBe(1);
    const inBlock = [{ name: 'connection', args: [], block: [{ name: 'explicit-exit-notify', args: ['2'] }] }];
    expect(exitNotifySeconds({ directives: inBlock, udpOnly: true })).toBe(2);
  });

  it("refuses a profile pull-filter that would accept a push the helper filters before the helper's ignore", () => {
    const pf = (action: string, t: string): OpenVpnDirective => ({ name: 'pull-filter', args: [action, t] });
    expect(shadowingPullFilter([pf('accept', 'explicit')])).toBe('explicit');
    expect(shadowingPullFilter([pf('accept', 'explicit-exit-notify 30')])).toBe('explicit-exit-notify 30');
    expect(shadowingPullFilter([pf('accept', 'verb 0')])).toBe('verb 0');
    expect(shadowingPullFilter([pf('accept', 'm')])).toBe('m');
    expect(shadowingPullFilter([pf('ignore', 'explicit'), pf('accept', 'route')])).toBeNull();
    const c = checkedRunConfig('client\npull-filter accept e\n', { directives: [{ name: 'client', args: [] }, pf('accept', 'e')], udpOnly: false });
    expect('problem' in c && c.problem).toContain("'pull-filter accept e'");
  });

  it('runs only text that openvpn reads as the inspected directives followed by exactly its own lines', () => {
    const directives: OpenVpnDirective[] = [{ name: 'client', args: [] }, { name: 'remote', args: ['vpn.example.com', '1194'] }];
    const ok = checkedRunConfig('client\nremote vpn.example.com 1194\n', { directives, udpOnly: false });
    expect('text' in ok && ok.text).toBe(`client\nremote vpn.example.com 1194\n# Added by the Tsunagu helper\n${FILTER.join('\n')}\nping 10\nping-restart 60\n`);
    // The text says more than was inspected (an extra line the model does not have).
    const extra = checkedRunConfig('client\nremote vpn.example.com 1194\nhttp-proxy 10.0.0.1 80 /root/secret basic\n', { directives, udpOnly: false });
    expect('problem' in extra && extra.problem).toMatch(/openvpn would not read the config as checked: directive 3 .*http-proxy/);
    // A line the model has but the text misses.
    const missing = checkedRunConfig('client\n', { directives, udpOnly: false });
    expect('problem' in missing).toBe(true);
  });

  it('with another session active, delays every route past the check and keeps the server from shortening it; alone, adds nothing', () => {
    const facts = { directives: [{ name: 'client', args: [] }, { name: 'route-delay', args: ['0'] }], udpOnly: false };
    const alone = text(helperDirectives(facts));
    expect(alone.filter((l) => l.includes('route-delay'))).toEqual([]);
    const guarded = text(helperDirectives(facts, { guardRoutes: true }));
    expect(guarded).toEqual([...FILTER, 'pull-filter ignore route-delay', `route-delay ${GUARD_ROUTE_DELAY_S}`, 'ping 10', 'ping-restart 60']);
    // The re-read check takes the helper's lines as expected, after the profile's own route-delay (last wins).
    const ok = checkedRunConfig('client\nroute-delay 0\n', facts, { guardRoutes: true });
    expect('text' in ok && ok.text.endsWith(`pull-filter ignore route-delay\nroute-delay ${GUARD_ROUTE_DELAY_S}\nping 10\nping-restart 60\n`)).toBe(true);
    // A profile's 'pull-filter accept route' would let a pushed route-delay through first.
    const pf: OpenVpnDirective = { name: 'pull-filter', args: ['accept', 'route'] };
    expect(shadowingPullFilter([pf])).toBeNull();
    expect(shadowingPullFilter([pf], { guardRoutes: true })).toBe('route');
    const shadowed = checkedRunConfig('client\npull-filter accept route\n', { directives: [{ name: 'client', args: [] }, pf], udpOnly: false }, { guardRoutes: true });
    expect('problem' in shadowed && shadowed.problem).toContain("'pull-filter accept route'");
  });
});

describe('PUSH_REPLY and route lines of the openvpn log', () => {
  it('splits a logged PUSH_REPLY into its options (commas always separate: openvpn has no escape)', () => {
    const line =
      "PUSH: Received control message: 'PUSH_REPLY,route 198.18.2.0 255.255.255.0,route-gateway 198.18.8.1,topology subnet,ping 2,ping-restart 10,ifconfig 198.18.8.2 255.255.255.0,peer-id 0,cipher AES-256-GCM,protocol-flags cc-exit tls-ekm dyn-tls-crypt,tun-mtu 1500'";
    expect(parsePushReply(line)).toEqual({
      options: [
        'route 198.18.2.0 255.255.255.0',
        'route-gateway 198.18.8.1',
        'topology subnet',
        'ping 2',
        'ping-restart 10',
        'ifconfig 198.18.8.2 255.255.255.0',
        'peer-id 0',
        'cipher AES-256-GCM',
        'protocol-flags cc-exit tls-ekm dyn-tls-crypt',
        'tun-mtu 1500',
      ],
      more: false,
    });
  });

  it('knows when more PUSH_REPLY messages follow (push-continuation 2) and drops the marker', () => {
    expect(parsePushReply("PUSH: Received control message: 'PUSH_REPLY,route 10.1.0.0 255.255.0.0,push-continuation 2'")).toEqual({ options: ['route 10.1.0.0 255.255.0.0'], more: true });
    expect(parsePushReply("PUSH: Received control message: 'PUSH_REPLY,redirect-gateway def1,push-continuation 1'")).toEqual({ options: ['redirect-gateway def1'], more: false });
  });

  it('ignores other lines, including server text that merely contains the words', () => {
    expect(parsePushReply('ECHO: PUSH: Received control message: \'PUSH_REPLY,route 0.0.0.0 0.0.0.0\'')).toBeNull();
    expect(parsePushReply("SENT CONTROL [server]: 'PUSH_REQUEST' (status=1)")).toBeNull();
  });

  it('reads the routes and addresses 2.6 adds over netlink, and the failure of an add', () => {
    expect(parseRouteLog('net_route_v4_add: 198.18.1.1/32 via 198.18.1.1 dev tsl-0f82f4-uc table 0 metric -1')).toEqual({
      kind: 'route-added',
      route: { family: 4, dst: '198.18.1.1/32', gateway: '198.18.1.1', dev: 'tsl-0f82f4-uc', table: 0 },
    });
    expect(parseRouteLog('net_route_v4_add: 203.0.113.7/32 via 198.18.1.1 dev [NULL] table 0 metric -1')).toEqual({
      kind: 'route-added',
      route: { family: 4, dst: '203.0.113.7/32', gateway: '198.18.1.1', dev: null, table: 0 },
    });
    expect(parseRouteLog('net_route_v6_add: 2001:db8::/64 via :: dev tun0 table 0 metric -1')).toEqual({
      kind: 'route-added',
      route: { family: 6, dst: '2001:db8::/64', gateway: null, dev: 'tun0', table: 0 },
    });
    expect(parseRouteLog('net_route_v4_del: 198.18.1.1/32 via 198.18.1.1 dev [NULL] table 0 metric -1')).toEqual({
      kind: 'route-deleted',
      route: { family: 4, dst: '198.18.1.1/32', gateway: '198.18.1.1', dev: null, table: 0 },
    });
    expect(parseRouteLog('net_addr_v4_add: 198.18.8.2/24 dev tun0')).toEqual({ kind: 'address-added', address: { family: 4, address: '198.18.8.2/24', dev: 'tun0' } });
    expect(parseRouteLog('sitnl_send: rtnl: generic error (-17): File exists')).toEqual({ kind: 'add-failed' });
    expect(parseRouteLog('NOTE: Linux route add command failed because route exists')).toEqual({ kind: 'add-failed' });
    // Not anchored at the start: text a server sent (echo, an error quoting it) is not openvpn's.
    expect(parseRouteLog('ECHO: net_route_v4_add: 10.0.0.0/8 via 1.1.1.1 dev eth0 table 0 metric -1')).toBeNull();
    expect(parseRouteLog('net_route_v4_add: 10.0.0.0/8 via 1.1.1.1 dev eth0;rm table 0 metric -1')).toBeNull();
  });
});

describe('PromptBroker (answers to >PASSWORD prompts)', () => {
  const auth: NeedNotice = { type: 'need', label: 'Auth', form: 'username/password', staticChallenge: null };
  const sc: NeedNotice = { ...auth, staticChallenge: { echo: true, text: 'Enter OTP' } };
  const key: NeedNotice = { type: 'need', label: 'Private Key', form: 'password', staticChallenge: null };

  it('asks the user, then answers with quoted username and password', () => {
    const b = new PromptBroker();
    expect(b.need(auth)).toEqual({ kind: 'ask', request: { kind: 'userpass', retry: false } });
    expect(b.waitingForUser).toBe(true);
    expect(b.provide({ kind: 'userpass', username: 'alice', password: 'p "w" \\ x' })).toEqual({
      kind: 'answer',
      commands: ['username "Auth" alice', 'password "Auth" "p \\"w\\" \\\\ x"'],
      userAuth: true,
    });
    expect(b.waitingForUser).toBe(false);
  });

  it("uses the connect request for the first prompt only, then this session's credentials", () => {
    const b = new PromptBroker({ kind: 'userpass', username: 'alice', password: 'pw' });
    expect(b.need(auth)).toMatchObject({ kind: 'answer', source: 'request', commands: ['username "Auth" alice', 'password "Auth" pw'] });
    // auth-nocache or a respawned openvpn asks again: no need to bother the user.
    expect(b.need(auth)).toMatchObject({ kind: 'answer', source: 'session' });
    // After a verification failure the cached password is forgotten.
    b.verificationFailed('Auth');
    expect(b.need(auth)).toEqual({ kind: 'ask', request: { kind: 'userpass', retry: true } });
  });

  it('answers a static challenge in the SCRV1 format and never reuses it', () => {
    const b = new PromptBroker();
    expect(b.need(sc)).toEqual({ kind: 'ask', request: { kind: 'challenge', text: 'Enter OTP', echo: true, needsPassword: true, retry: false } });
    expect(b.provide({ kind: 'userpass', username: 'alice', password: 'pw' })).toEqual({ kind: 'rejected' });
    const out = b.provide({ kind: 'challenge', username: 'alice', password: 'pw', response: '123456' });
    expect(out).toEqual({
      kind: 'answer',
      commands: ['username "Auth" alice', `password "Auth" SCRV1:${Buffer.from('pw').toString('base64')}:${Buffer.from('123456').toString('base64')}`],
      userAuth: true,
    });
    expect(b.need(sc)).toEqual({ kind: 'ask', request: { kind: 'challenge', text: 'Enter OTP', echo: true, username: 'alice', needsPassword: true, retry: true } });
  });

  it('answers a key passphrase prompt and caches it for respawns', () => {
    const b = new PromptBroker();
    expect(b.need(key)).toEqual({ kind: 'ask', request: { kind: 'passphrase', retry: false } });
    expect(b.provide({ kind: 'userpass', username: 'a', password: 'b' })).toEqual({ kind: 'rejected' });
    expect(b.provide({ kind: 'passphrase', passphrase: 'open sesame' })).toEqual({
      kind: 'answer',
      commands: ['password "Private Key" "open sesame"'],
      userAuth: false,
    });
    expect(b.need(key)).toMatchObject({ kind: 'answer', source: 'session' });
  });

  it('handles a dynamic challenge (CRV1) answered before or after the next prompt', () => {
    const b = new PromptBroker();
    const req = b.dynamicChallenge({ stateId: 'abc', username: 'alice', text: 'Code?', echo: false });
    expect(req).toEqual({ kind: 'challenge', text: 'Code?', echo: false, username: 'alice', needsPassword: false, retry: false });
    expect(b.need(auth)).toEqual({ kind: 'wait' });
    expect(b.provide({ kind: 'challenge', username: 'ignored', password: '', response: '42' })).toEqual({
      kind: 'answer',
      commands: ['username "Auth" alice', 'password "Auth" CRV1::abc::42'],
      userAuth: true,
    });
    const b2 = new PromptBroker();
    b2.dynamicChallenge({ stateId: 's', username: 'bob', text: 'x', echo: true });
    expect(b2.provide({ kind: 'challenge', username: '', password: '', response: '7' })).toEqual({ kind: 'stored' });
    expect(b2.need(auth)).toMatchObject({ kind: 'answer', commands: ['username "Auth" bob', 'password "Auth" CRV1::s::7'] });
  });

  it('answers crtext with cr-response', () => {
    const b = new PromptBroker();
    expect(b.crTextChallenge('R,E', 'Token?')).toEqual({ kind: 'challenge', text: 'Token?', echo: true, needsPassword: false, retry: false });
    expect(b.provide({ kind: 'challenge', username: '', password: '', response: '9' })).toEqual({
      kind: 'answer',
      commands: [`cr-response ${Buffer.from('9').toString('base64')}`],
      userAuth: true,
    });
  });

  it('cancel only works while something waits; unknown prompts are unsupported', () => {
    const b = new PromptBroker();
    expect(b.provide({ kind: 'cancel' })).toEqual({ kind: 'rejected' });
    b.need(auth);
    expect(b.provide({ kind: 'cancel' })).toEqual({ kind: 'cancel' });
    expect(b.need({ type: 'need', label: 'HTTP Proxy', form: 'username/password', staticChallenge: null })).toEqual({ kind: 'unsupported', label: 'HTTP Proxy' });
  });

  it('refuses secrets that cannot travel on one management line', () => {
    const b = new PromptBroker({ kind: 'userpass', username: 'alice', password: 'a\nsignal SIGTERM' });
    expect(b.need(auth)).toMatchObject({ kind: 'ask' });
    expect(b.provide({ kind: 'userpass', username: 'alice', password: 'x'.repeat(300) })).toEqual({ kind: 'rejected' });
    expect(sendable('ok', 'ユーザー')).toBe(true);
    expect(sendable('tab\there')).toBe(false);
  });

  // CR and LF end a management command (the rest runs as one of its own), NUL and the other
  // controls are dropped by openvpn's lexer: no value that holds one is ever answered.
  const breakers = ['\r', '\n', '\r\n', '\0'];

  it.each(breakers.map((c) => [JSON.stringify(c), c]))('refuses %s in a username, password, passphrase or challenge answer', (_, c) => {
    const injected = `x${c}signal SIGTERM`;
    const userpass = new PromptBroker();
    userpass.need(auth);
    expect(userpass.provide({ kind: 'userpass', username: injected, password: 'pw' })).toEqual({ kind: 'rejected' });
    expect(userpass.provide({ kind: 'userpass', username: 'alice', password: injected })).toEqual({ kind: 'rejected' });
    // Still waiting for a good answer, which goes through.
    expect(userpass.provide({ kind: 'userpass', username: 'alice', password: 'pw' })).toMatchObject({ kind: 'answer' });
    const passphrase = new PromptBroker({ kind: 'passphrase', passphrase: injected });
    expect(passphrase.need(key)).toMatchObject({ kind: 'ask' });
    expect(passphrase.provide({ kind: 'passphrase', passphrase: injected })).toEqual({ kind: 'rejected' });
    const scrv = new PromptBroker();
    scrv.need(sc);
    expect(scrv.provide({ kind: 'challenge', username: injected, password: 'pw', response: '1' })).toEqual({ kind: 'rejected' });
    // SCRV1 carries password and response base64-encoded: any text is one token.
    expect(scrv.provide({ kind: 'challenge', username: 'alice', password: injected, response: injected })).toMatchObject({ kind: 'answer' });
    const crv1 = new PromptBroker();
    crv1.dynamicChallenge({ stateId: 's', username: 'alice', text: 'Code?', echo: false });
    expect(crv1.provide({ kind: 'challenge', username: '', password: '', response: injected })).toEqual({ kind: 'rejected' });
    // crtext answers go base64-encoded too.
    const crtext = new PromptBroker();
    crtext.crTextChallenge('R', 'Token?');
    const answer = crtext.provide({ kind: 'challenge', username: '', password: '', response: injected });
    expect(answer).toEqual({ kind: 'answer', commands: [`cr-response ${Buffer.from(injected).toString('base64')}`], userAuth: true });
  });

  it.each(breakers.map((c) => [JSON.stringify(c), c]))("refuses %s in the server's CRV1 username or state id", (_, c) => {
    for (const challenge of [{ stateId: 's', username: `alice${c}signal SIGTERM` }, { stateId: `s${c}signal SIGTERM`, username: 'alice' }]) {
      const b = new PromptBroker();
      b.dynamicChallenge({ ...challenge, text: 'Code?', echo: false });
      expect(b.need(auth)).toEqual({ kind: 'wait' });
      expect(b.provide({ kind: 'challenge', username: '', password: '', response: '42' })).toEqual({ kind: 'rejected' });
    }
  });

  it.each(breakers.map((c) => [JSON.stringify(c), c]))('managementArg and the protocol refuse %s; quotes and backslashes are escaped', async (_, c) => {
    expect(managementArg(`a${c}b`)).toBeNull();
    expect(managementArg('p "w" \\ x')).toBe('"p \\"w\\" \\\\ x"');
    const written: string[] = [];
    const p = new ManagementProtocol(
      (d) => written.push(d),
      () => undefined,
      () => undefined,
    );
    await expect(p.command(`password "Auth" "x${c}signal SIGTERM"`)).rejects.toThrow(/control characters/);
    expect(written).toEqual([]);
  });
});
