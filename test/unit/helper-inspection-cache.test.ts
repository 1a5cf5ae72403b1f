import { describe, expect, it } from 'vitest';
import { InspectionCache } from '../../electron/helper/inspection-cache.js';
import { inspectProfile, type InspectResult } from '../../shared/profiles/inspect.js';

const text = 'client\ndev tun\nremote 198.18.1.1 1194\n<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>\n';

function counting(cache: InspectionCache) {
  let calls = 0;
  const get = (profile: { kind: 'openvpn' | 'wireguard'; text: string; name: string }): InspectResult =>
    cache.get(profile, () => {
      calls += 1;
      return inspectProfile(profile.text, { kind: profile.kind, fileName: profile.name });
    });
  return { get, calls: () => calls };
}

describe('InspectionCache (the helper re-inspects only bytes it has not seen)', () => {
  it('returns its own earlier result for exactly the same kind, name and text', () => {
    const c = counting(new InspectionCache());
    const first = c.get({ kind: 'openvpn', text, name: 'office' });
    expect(c.get({ kind: 'openvpn', text, name: 'office' })).toBe(first);
    expect(c.calls()).toBe(1);
    // Any difference is a different profile: one more byte, another name, another kind.
    c.get({ kind: 'openvpn', text: `${text}\n`, name: 'office' });
    c.get({ kind: 'openvpn', text, name: 'home' });
    c.get({ kind: 'wireguard', text, name: 'office' });
    expect(c.calls()).toBe(4);
  });

  it('keeps refusals too, and evicts the least recently used beyond its capacity', () => {
    const c = counting(new InspectionCache(2));
    const evil = { kind: 'openvpn' as const, text: `${text}up /tmp/x.sh\n`, name: 'evil' };
    expect(c.get(evil).ok).toBe(false);
    expect(c.get(evil).ok).toBe(false);
    expect(c.calls()).toBe(1);
    const a = { kind: 'openvpn' as const, text, name: 'a' };
    c.get(a);
    c.get(evil); // evil is now the most recent
    c.get({ kind: 'openvpn', text, name: 'b' }); // evicts a
    expect(c.calls()).toBe(3);
    c.get(evil);
    expect(c.calls()).toBe(3);
    c.get(a);
    expect(c.calls()).toBe(4);
  });

  it('never keeps a large profile', () => {
    const c = counting(new InspectionCache(16, 64));
    const big = { kind: 'openvpn' as const, text, name: 'big' };
    c.get(big);
    c.get(big);
    expect(c.calls()).toBe(2);
  });
});
