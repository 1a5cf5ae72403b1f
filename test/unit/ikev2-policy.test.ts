import { describe, expect, it } from 'vitest';
import { ikev2Format } from '../../shared/profiles/ikev2/format.js';
import { readSwanctl } from '../../shared/profiles/ikev2/swanctl.js';
import type { InspectResult } from '../../shared/profiles/inspect.js';
import { SWANCTL_DIR, fixture, folder } from './ikev2-helpers.js';

function inspect(text: string, allowScripts = false): InspectResult {
  return ikev2Format.inspect({ input: text, text, options: { files: folder(SWANCTL_DIR), policy: { allowScripts } }, fallbackName: 'VPN' });
}

function errors(r: InspectResult): Array<[string, number]> {
  return r.errors.map((e) => [e.code, e.line]);
}

const PSK = fixture(SWANCTL_DIR, 'psk.swanctl.conf');

describe('IKEv2 policy', () => {
  it('refuses updown by default, with its line and column, and points at the administrator setting', () => {
    const r = inspect(fixture(SWANCTL_DIR, 'updown.swanctl.conf'));
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => [e.code, e.line, e.column])).toEqual([['POLICY_IKEV2_SCRIPT', 13, 17]]);
    expect(r.errors[0]?.message.en).toContain('administrator (root)');
    expect(r.errors[0]?.message.ja).toContain('管理者');
  });

  it('keeps updown when the administrator allows scripts; the helper’s stricter policy refuses the canonical text again', () => {
    const r = inspect(fixture(SWANCTL_DIR, 'updown.swanctl.conf'), true);
    if (!r.ok || r.kind !== 'ikev2') throw new Error('refused');
    expect(r.profile.children[0]?.updown).toBe('/usr/local/bin/vpn-hook.sh');
    expect(r.canonical).toContain('updown = "/usr/local/bin/vpn-hook.sh"');
    expect(errors(inspect(r.canonical, false))).toEqual([['POLICY_IKEV2_SCRIPT', 19]]);
  });

  it.each([
    ['server.swanctl.conf', 5],
    ['multi.swanctl.conf (responder only)', 4],
  ])('refuses a gateway configuration (%s) as a server configuration', (name, line) => {
    const text = name.startsWith('multi') ? fixture(SWANCTL_DIR, 'multi.swanctl.conf').replace(/ {4}outgoing \{[\s\S]*?\n {4}\}\n/, '') : fixture(SWANCTL_DIR, name);
    const r = inspect(text);
    expect(errors(r)).toEqual([['POLICY_SERVER_CONFIG', line]]);
    expect(r.errors[0]?.message.en).toContain('server (gateway) configuration');
  });

  it.each([
    ['remote_addrs = %any', 'remote_addrs = vpn.example.org', 'remote_addrs = %any'],
    ['remote_addrs = 10.0.0.0/24', 'remote_addrs = vpn.example.org', 'remote_addrs = 10.0.0.0/24'],
    ['remote_addrs = 10.0.0.1-10.0.0.9', 'remote_addrs = vpn.example.org', 'remote_addrs = 10.0.0.1-10.0.0.9'],
    ['local_addrs only', 'remote_addrs = vpn.example.org', 'local_addrs = 192.0.2.1'],
    ['remote auth = eap-mschapv2', '            auth = psk\n            id = vpn.example.org', '            auth = eap-mschapv2\n            id = vpn.example.org'],
  ])('refuses %s as a server configuration', (_, from, to) => {
    expect(errors(inspect(PSK.replace(from, to))).map(([c]) => c)).toEqual(['POLICY_SERVER_CONFIG']);
  });

  it('refuses L2TP/IPsec with a clear message, whether by its UDP 1701 selectors or by transport mode', () => {
    const l2tp = inspect(fixture(SWANCTL_DIR, 'l2tp.swanctl.conf'));
    expect(errors(l2tp)).toEqual([['IKEV2_L2TP_UNSUPPORTED', 14]]);
    expect(l2tp.errors[0]?.message.en).toContain('L2TP/IPsec is not supported');
    expect(l2tp.errors[0]?.message.ja).toContain('L2TP/IPsec には対応していません');
    const transport = inspect(PSK.replace('start_action = none', 'mode = transport'));
    expect(errors(transport)).toEqual([['IKEV2_L2TP_UNSUPPORTED', 20]]);
    expect(transport.errors[0]?.message.en).toContain('transport mode');
  });

  it.each([
    ['mode = beet', 'IKEV2_MODE_UNSUPPORTED'],
    ['ah_proposals = sha256', 'IKEV2_UNSUPPORTED_KEY'],
    ['mark_in = 42', 'IKEV2_UNSUPPORTED_KEY'],
  ])('refuses %s in a child with %s', (line, code) => {
    expect(errors(inspect(PSK.replace('start_action = none', line)))).toEqual([[code, 20]]);
  });

  it('refuses smart cards with what to do instead', () => {
    const token = readSwanctl(PSK.replace('secrets {', 'secrets {\n    token-1 {\n        handle = 01\n    }'));
    expect(!token.ok && token.errors.map((e) => e.code)).toEqual(['IKEV2_TOKEN_UNSUPPORTED']);
    expect(!token.ok && token.errors[0]?.message.en).toContain('PKCS#12 bundle');
  });

  it('imports IKEv1 aggressive mode with a PSK, refusing nothing charon 5.9 can do', () => {
    const r = inspect(fixture(SWANCTL_DIR, 'aggressive.swanctl.conf'));
    expect(r.ok).toBe(true);
    expect(r.advisories.map((a) => a.code)).toEqual(['IKEV2_IKEV1', 'IKEV2_AGGRESSIVE_MODE']);
  });

  it('warns of a PSK shorter than 20 characters and not of a longer one', () => {
    const short = inspect(PSK.replace('"Kx9-vB2q!7mZ@w4Lr0#tY6pN"', '"letmein"'));
    expect(short.advisories.find((a) => a.code === 'IKEV2_SHORT_PSK')?.line).toBe(30);
    expect(inspect(PSK).advisories.some((a) => a.code === 'IKEV2_SHORT_PSK')).toBe(false);
  });

  it('warns when a certificate-checked server has no identity to check', () => {
    const r = inspect(fixture(SWANCTL_DIR, 'eap.swanctl.conf').replace('      id = "vpn.example.org"\n', ''));
    expect(r.advisories.map((a) => a.code)).toContain('IKEV2_SERVER_ID_UNCHECKED');
  });

  it('gives every refusal a code, a place and both languages', () => {
    const texts = [
      fixture(SWANCTL_DIR, 'server.swanctl.conf'), fixture(SWANCTL_DIR, 'l2tp.swanctl.conf'), fixture(SWANCTL_DIR, 'updown.swanctl.conf'),
      PSK.replace('vips = 0.0.0.0', 'vips = 0.0.0'), PSK.replace('version = 2', 'version = 3'), 'connections {\n', fixture(SWANCTL_DIR, 'seed-strongswan.conf'),
    ];
    for (const text of texts) {
      const r = inspect(text);
      expect(r.ok).toBe(false);
      for (const e of r.errors) {
        expect(e.code).toMatch(/^(IKEV2|POLICY)_[A-Z0-9_]+$/);
        expect(e.line).toBeGreaterThanOrEqual(0);
        expect(e.column).toBeGreaterThanOrEqual(1);
        expect(e.message.en.length).toBeGreaterThan(20);
        expect(e.message.ja).toMatch(/[ぁ-んァ-ン一-龯]/);
      }
    }
  });
});
