// The lab's companion rules (test/lab/companions.ts): which scenarios may share an instance, and the
// errors for the others, given before anything needs root or touches the system.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCompanions, companionInfo, up, validCompanions, type LabInfo } from '../lab/index.js';

const WITH_OPENVPN = 'valid with openvpn-udp: wireguard-split, wireguard-full, wireguard-dns, wireguard-badkey, ikev2-psk, ikev2-eap';

describe('lab companions', () => {
  it('accepts one scenario per other family, in the order given', () => {
    expect(checkCompanions('openvpn-udp', ['wireguard-split'])).toEqual(['wireguard-split']);
    expect(checkCompanions('openvpn-tap', ['ikev2-eap', 'wireguard-dns'])).toEqual(['ikev2-eap', 'wireguard-dns']);
    expect(checkCompanions('ikev2-psk', [])).toEqual([]);
    expect(validCompanions('wireguard-split')).not.toContain('openvpn-tap');
    expect(validCompanions('wireguard-split')).toContain('openvpn-udp');
  });

  it('refuses the same family, two of a family, openvpn-tap and unknown names, saying what is valid', () => {
    expect(() => checkCompanions('openvpn-udp', ['openvpn-tcp'])).toThrow(
      `companion openvpn-tcp is OpenVPN like the primary openvpn-udp: a companion must be another family; ${WITH_OPENVPN}`,
    );
    expect(() => checkCompanions('openvpn-udp', ['wireguard-split', 'wireguard-full'])).toThrow(
      `companions wireguard-split and wireguard-full are both WireGuard: at most one companion per family; ${WITH_OPENVPN}`,
    );
    expect(() => checkCompanions('openvpn-udp', ['ikev2-psk', 'ikev2-psk'])).toThrow(`companion ikev2-psk is given twice; ${WITH_OPENVPN}`);
    expect(() => checkCompanions('wireguard-split', ['openvpn-tap'])).toThrow(
      /^openvpn-tap cannot be a companion \(it makes the server's inside link a bridge\); bring it up as the primary scenario instead; valid with wireguard-split: openvpn-udp, /,
    );
    expect(() => checkCompanions('openvpn-udp', ['wireguard-bogus'])).toThrow(`unknown companion scenario "wireguard-bogus"; ${WITH_OPENVPN}`);
  });

  it('up() refuses an invalid combination before creating anything', async () => {
    const previous = process.env.TSUNAGU_LAB_DIR;
    const parent = mkdtempSync(join(tmpdir(), 'tsunagu-lab-'));
    const root = join(parent, 'lab');
    process.env.TSUNAGU_LAB_DIR = root;
    try {
      await expect(up('openvpn-udp', { with: ['openvpn-tap'] })).rejects.toThrow(/^openvpn-tap cannot be a companion/);
      await expect(up('wireguard-full', { with: ['wireguard-split'] })).rejects.toThrow(/^companion wireguard-split is WireGuard like the primary/);
      expect(existsSync(root)).toBe(false);
    } finally {
      if (previous === undefined) delete process.env.TSUNAGU_LAB_DIR;
      else process.env.TSUNAGU_LAB_DIR = previous;
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it("companionInfo: a companion as its client sees it, with the instance's namespace", () => {
    const inst: LabInfo = {
      id: 'tsl-0a0b0c',
      scenario: 'openvpn-udp',
      clientNetns: 'tsl-0a0b0c-c',
      profile: '/run/tsunagu-lab/tsl-0a0b0c/openvpn-udp.ovpn',
      extraFiles: [],
      credentials: {},
      tunnelPeerIp: '198.18.8.1',
      protectedHostIp: '198.18.2.2',
      companions: [
        { scenario: 'ikev2-psk', profile: '/run/tsunagu-lab/tsl-0a0b0c/ikev2-psk/ikev2-psk.json', extraFiles: [], credentials: { psk: 'x' }, tunnelPeerIp: '198.18.2.1' },
      ],
    };
    expect(companionInfo(inst, 'ikev2-psk')).toEqual({
      id: 'tsl-0a0b0c',
      scenario: 'ikev2-psk',
      clientNetns: 'tsl-0a0b0c-c',
      profile: '/run/tsunagu-lab/tsl-0a0b0c/ikev2-psk/ikev2-psk.json',
      extraFiles: [],
      credentials: { psk: 'x' },
      tunnelPeerIp: '198.18.2.1',
      protectedHostIp: '198.18.2.2',
    });
    const { companions: _companions, ...primary } = inst;
    expect(companionInfo(inst, 'openvpn-udp')).toEqual(primary);
    expect(() => companionInfo(inst, 'wireguard-split')).toThrow('lab instance tsl-0a0b0c (openvpn-udp) has no companion wireguard-split; its companions: ikev2-psk');
  });
});
