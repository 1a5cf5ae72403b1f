/** The renderer's managed-policy store: its reducer, and what it locks and offers per profile. */
import { describe, expect, it } from 'vitest';
import type { AppEvent, ManagedState } from '../../shared/ipc/app-api.js';
import { initialManaged, locksOf, managedLoaded, NO_LOCKS, profileActions, reduceManaged } from '../../renderer/src/state/managed.js';
import { defaultPolicyValues } from '../../shared/policy/table.js';
import { catalog } from '../../shared/i18n/catalog.js';

const managed = (changes: Partial<ManagedState['policy']>, uid = 1000): ManagedState => ({
  policy: { ...defaultPolicyValues(), ...changes },
  uid,
  provisioned: [{ id: 'office', name: 'Office', kind: 'openvpn', layer: 'L3', servers: ['vpn.example.com'], refused: null, profileId: 'pv0123456789abcdef012345' }],
});

describe('managed store', () => {
  it('locks nothing until main has reported the policy, then follows each managed event', () => {
    expect(locksOf(initialManaged)).toEqual(NO_LOCKS);
    const event: AppEvent = { type: 'managed', managed: managed({ AllowUserProfiles: false, AlwaysOn: true }) };
    const after = reduceManaged(initialManaged, event);
    expect(locksOf(after)).toEqual({ personalProfiles: true, savePassword: false, disconnect: true, startAtLogin: false });
    expect(reduceManaged(after, { type: 'profiles-changed' })).toBe(after);
    expect(locksOf(managedLoaded(after, managed({}, 0)))).toEqual(NO_LOCKS);
    // AlwaysOn does not hold root.
    expect(locksOf(managedLoaded(after, managed({ AlwaysOn: true }, 0))).disconnect).toBe(false);
  });

  it('offers no rename, delete or export for a provisioned profile, and only export for a personal one when they are locked', () => {
    const locked = locksOf(managedLoaded(initialManaged, managed({ AllowUserProfiles: false }))).personalProfiles;
    expect(profileActions({ provisioned: true }, false)).toEqual({ rename: false, delete: false, export: false });
    expect(profileActions({}, false)).toEqual({ rename: true, delete: true, export: true });
    expect(profileActions({}, locked)).toEqual({ rename: false, delete: false, export: true });
  });

  it('says "Managed by your organization" in both languages', () => {
    expect(catalog.en.common.managed).toBe('Managed by your organization');
    expect(catalog.ja.common.managed).toBe('組織によって管理されています');
  });
});
