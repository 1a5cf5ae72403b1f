// Vitest glue for lab tests: instances made through `labSuite().up` are always torn down (after
// each test, even a failing one), each teardown is checked for leftovers, and the host's
// resolv.conf, routes and rules must be unchanged at the end of the file.
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { ping } from './clients.js';
import { assertRoot, down, up } from './lab.js';
import { diffHost, leftovers, snapshotHost, type HostSnapshot } from './host.js';
import type { LabInfo, LabInstance, ScenarioName } from './state.js';

export interface LabSuite {
  /** `opts.with`: companion scenarios (see UpOptions). */
  up(scenario: ScenarioName, opts?: { with?: readonly ScenarioName[] }): Promise<LabInstance>;
  /** Tears down and asserts nothing of the instance is left. */
  down(inst: LabInstance): Promise<void>;
}

export function labSuite(): LabSuite {
  const live = new Map<string, LabInstance>();
  let before: HostSnapshot | undefined;

  const downChecked = async (inst: LabInstance) => {
    live.delete(inst.id);
    await down(inst.id);
    expect(leftovers(inst.id, inst.netnsInodes)).toEqual([]);
  };

  beforeAll(() => {
    assertRoot();
    before = snapshotHost();
  });
  afterEach(async () => {
    for (const inst of [...live.values()]) await downChecked(inst);
  });
  afterAll(async () => {
    for (const inst of [...live.values()]) await down(inst.id);
    if (before) expect(diffHost(before, snapshotHost())).toEqual([]);
  });

  return {
    async up(scenario, opts = {}) {
      const inst = await up(scenario, opts);
      live.set(inst.id, inst);
      return inst;
    },
    down: downChecked,
  };
}

/** The protected side must be unreachable until the tunnel is up. */
export async function expectIsolated(inst: LabInfo): Promise<void> {
  expect(await ping(inst.clientNetns, inst.protectedHostIp, { waitS: 1 })).toBe(false);
  expect(await ping(inst.clientNetns, inst.tunnelPeerIp, { waitS: 1 })).toBe(false);
}

/** Through the tunnel, both the protected host and the server's inside address answer. */
export async function expectThroughTunnel(inst: LabInfo): Promise<void> {
  expect(await ping(inst.clientNetns, inst.protectedHostIp)).toBe(true);
  expect(await ping(inst.clientNetns, inst.tunnelPeerIp)).toBe(true);
}
