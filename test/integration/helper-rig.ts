/**
 * The rig the helper integration tests share: per test, a lab scenario with the real helper started
 * in its client namespace and an observer on its socket, torn down after that test; over the whole
 * file, the host must be left exactly as it was found. Call `helperRigs()` at the top of a test file.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { diffHost, down, snapshotHost, up, type HostSnapshot, type LabInstance, type ScenarioName } from '../lab/index.js';
import { Observer, startHelperProcess, type RunningHelperProcess } from './helper-harness.js';

export interface HelperRig {
  lab: LabInstance;
  helper: RunningHelperProcess;
  observer: Observer;
}

export function helperRigs<S extends ScenarioName = ScenarioName>(): (scenario: S, o?: { helperArgs?: string[] }) => Promise<HelperRig> {
  let host: HostSnapshot;
  let rig: HelperRig | null = null;
  beforeAll(() => {
    host = snapshotHost();
  });
  afterAll(() => {
    expect(diffHost(host, snapshotHost())).toEqual([]);
  });
  afterEach(async () => {
    if (!rig) return;
    const { lab, helper, observer } = rig;
    rig = null;
    observer.close();
    await helper.stop();
    await down(lab.id);
  });
  return async (scenario, o = {}) => {
    const lab = await up(scenario);
    try {
      const helper = await startHelperProcess(lab.clientNetns, undefined, o.helperArgs);
      const observer = await Observer.open(helper.socketPath);
      rig = { lab, helper, observer };
      return rig;
    } catch (e) {
      await down(lab.id);
      throw e;
    }
  };
}
