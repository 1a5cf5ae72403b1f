/**
 * The OpenVPN driver's redaction on lines openvpn 2.6 prints (management notifications, its
 * console log relayed by the driver) and on the driver's own forms: secrets go, prose stays.
 */
import { describe, expect, it } from 'vitest';
import { redact } from '../../electron/helper/drivers/openvpn/redact.js';

describe('openvpn redaction: ordinary lines are left exactly as they are', () => {
  const ordinary = [
    'WARNING: this configuration may cache passwords in memory -- use the auth-nocache option to prevent this',
    "MANAGEMENT: CMD 'password [...]'",
    "SUCCESS: 'Auth' password entered, but not yet verified",
    ">PASSWORD:Need 'Auth' username/password",
    ">PASSWORD:Need 'Private Key' password",
    ">PASSWORD:Verification Failed: 'Auth'",
    'ERROR: could not read Auth username/password/ok/string from management interface',
    'Need password(s) from management interface, waiting...',
    'AUTH: Received control message: AUTH_FAILED',
    'SIGUSR1[soft,auth-failure] received, process restarting',
    'Enter Private Key Password:',
    // A profile whose name holds the word: the quote and the rest of the line stay.
    'session 6b1f0c2e (openvpn, “Lab password”) requested by uid 0',
    'password-prompt requested by uid 0',
    'The passphrase for the private key is wrong.',
    'secret handshake done; Data Channel: cipher AES-256-GCM',
  ];
  for (const line of ordinary) {
    it(line, () => expect(redact(line)).toBe(line));
  }
});

describe('openvpn redaction: secrets are removed, the rest of the line kept', () => {
  it('a pushed auth-token', () => {
    const line = "PUSH: Received control message: 'PUSH_REPLY,route-gateway 10.8.0.1,topology subnet,auth-token SESS_ID_AT_6a8f3c1d2e,ping 10,ping-restart 60'";
    const out = redact(line);
    expect(out).not.toContain('SESS_ID_AT_6a8f3c1d2e');
    expect(out).toBe("PUSH: Received control message: 'PUSH_REPLY,route-gateway 10.8.0.1,topology subnet,auth-token [redacted],ping 10,ping-restart 60'");
  });

  it('auth-token-user (the username, base64)', () => {
    expect(redact('PUSH_REPLY,auth-token-user YWxpY2U=,ping 10')).toBe('PUSH_REPLY,auth-token-user [redacted],ping 10');
  });

  it('a dynamic challenge: the state id and username go, the question stays', () => {
    const out = redact(">PASSWORD:Verification Failed: 'Auth' ['CRV1:R,E:Om01u7Fh4LrGBS7uh0SWmzwabUiGiW6l:Y3Ix:Please enter token PIN']");
    expect(out).not.toMatch(/Om01u7Fh4LrGBS7uh0SWmzwabUiGiW6l|Y3Ix/);
    expect(out).toBe(">PASSWORD:Verification Failed: 'Auth' ['CRV1:R,E:[redacted]:[redacted]:Please enter token PIN']");
  });

  it('a static challenge answer', () => {
    const out = redact('password "Auth" SCRV1:aHVudGVyMg==:MTIzNDU2');
    expect(out).not.toMatch(/aHVudGVyMg|MTIzNDU2/);
  });

  it('management answers keep their type', () => {
    expect(redact('password "Auth" hunter2')).toBe('password "Auth" [redacted]');
    expect(redact('password "Private Key" "s3cr et"')).toBe('password "Private Key" [redacted]');
  });

  it('keyword: value forms', () => {
    expect(redact('password: hunter2')).toBe('password [redacted]');
    expect(redact('passphrase=hunter2')).toBe('passphrase [redacted]');
    expect(redact('proxy auth: user alice, password = "p a s s", realm x')).toBe('proxy auth: user alice, password [redacted], realm x');
  });

  it('the web-auth proxy credentials', () => {
    expect(redact('WEB_AUTH::proxy=192.0.2.7;3128;YWxpY2U=;aHVudGVy')).toBe('WEB_AUTH::proxy=192.0.2.7;3128;[redacted]');
  });

  it('key material: PEM blocks and static keys', () => {
    expect(redact('-----BEGIN PRIVATE KEY----- MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')).not.toContain('MIIEvQ');
    const hex = 'e4a1c0ffee'.repeat(7);
    expect(redact(`tls-crypt key ${hex}`)).toBe('tls-crypt key [redacted]');
  });
});
