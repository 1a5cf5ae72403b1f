import { describe, expect, it } from 'vitest';
import { InspectionCache } from '../../electron/helper/inspection-cache.js';
import { inspectProfile, type InspectResult } from '../../shared/profiles/inspect.js';
import type { ProfileKind } from '../../shared/profiles/kinds.js';

const text = 'client\ndev tun\nremote 198.18.1.1 1194\n<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>\n';

function counting(cache: InspectionCache<InspectResult>) {
  let calls = 0;
  const get = (profile: { kind: ProfileKind; text: string; name: string }): Promise<InspectResult> =>
    cache.get(profile, 1000, () => {
      calls += 1;
      return Promise.resolve(inspectProfile(profile.text, { kind: profile.kind, fileName: profile.name }));
    });
  return { get, calls: () => calls };
}

describe('InspectionCache (the helper re-inspects only bytes it has not seen)', () => {
  it('returns its own earlier result for exactly the same kind, name and text', async () => {
    const c = counting(new InspectionCache<InspectResult>());
    const first = await c.get({ kind: 'openvpn', text, name: 'office' });
    expect(await c.get({ kind: 'openvpn', text, name: 'office' })).toBe(first);
    expect(c.calls()).toBe(1);
    // Any difference is a different profile: one more byte, another name, another kind.
    await c.get({ kind: 'openvpn', text: `${text}\n`, name: 'office' });
    await c.get({ kind: 'openvpn', text, name: 'home' });
    await c.get({ kind: 'wireguard', text, name: 'office' });
    expect(c.calls()).toBe(4);
  });

  it('keeps refusals too, and evicts the least recently used beyond its capacity', async () => {
    const c = counting(new InspectionCache<InspectResult>(2));
    const evil = { kind: 'openvpn' as const, text: `${text}up /tmp/x.sh\n`, name: 'evil' };
    expect((await c.get(evil)).ok).toBe(false);
    expect((await c.get(evil)).ok).toBe(false);
    expect(c.calls()).toBe(1);
    const a = { kind: 'openvpn' as const, text, name: 'a' };
    await c.get(a);
    await c.get(evil); // evil is now the most recent
    await c.get({ kind: 'openvpn', text, name: 'b' }); // evicts a
    expect(c.calls()).toBe(3);
    await c.get(evil);
    expect(c.calls()).toBe(3);
    await c.get(a);
    expect(c.calls()).toBe(4);
  });

  it('never keeps a large profile', async () => {
    const c = counting(new InspectionCache<InspectResult>(16, 64));
    const big = { kind: 'openvpn' as const, text, name: 'big' };
    await c.get(big);
    await c.get(big);
    expect(c.calls()).toBe(2);
  });
});

describe('InspectionCache with a failing inspection', () => {
  it('keeps no failure: the next call inspects again', async () => {
    const cache = new InspectionCache<string>();
    let calls = 0;
    const profile = { kind: 'openvpn' as const, text, name: 'slow' };
    await expect(cache.get(profile, 1000, () => { calls += 1; return Promise.reject(new Error('timed out')); })).rejects.toThrow('timed out');
    expect(await cache.get(profile, 1000, () => { calls += 1; return Promise.resolve('ok'); })).toBe('ok');
    expect(calls).toBe(2);
  });

  it("is not shared between users: another uid's identical profile is inspected afresh", async () => {
    const cache = new InspectionCache<string>();
    const profile = { kind: 'openvpn' as const, text, name: 'same' };
    let calls = 0;
    const inspect = () => { calls += 1; return Promise.resolve(`verdict ${calls}`); };
    expect(await cache.get(profile, 1000, inspect)).toBe('verdict 1');
    expect(await cache.get(profile, 1000, inspect)).toBe('verdict 1');
    expect(await cache.get(profile, 1001, inspect)).toBe('verdict 2');
  });
});
