// Vitest glue for lab tests: instances made through `labSuite().up` are always torn down (after
// each test, even a failing one), each teardown is checked for leftovers, and the host's
// resolv.conf, routes and rules must be unchanged at the end of the file.
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { assertRoot, down, up } from './lab.js';
import { diffHost, leftovers, snapshotHost, type HostSnapshot } from './host.js';
import type { LabInstance, ScenarioName } from './state.js';

export interface LabSuite {
  up(scenario: ScenarioName): Promise<LabInstance>;
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
    async up(scenario) {
      const inst = await up(scenario);
      live.set(inst.id, inst);
      return inst;
    },
    down: downChecked,
  };
}
