// Up/down cycles leave nothing behind: no namespace (not even one kept alive by a process or a
// mount), no process, no tun/tap/wg/bridge device, no socket, no file. Half of the cycles tear
// down with the client still connected, so teardown must also catch what a test left running.
import { afterAll, describe, expect, it } from 'vitest';
import { connectClient, down, formatTimings, leftovers, ping, SCENARIO_NAMES, up, type ScenarioName, type Timing } from '../lab/index.js';
import { labSuite } from '../lab/suite.js';

labSuite(); // host snapshot check + cleanup on failure

const CYCLES = 20;
const timings = new Map<ScenarioName, { setup: number[]; teardown: number[] }>();

async function cycle(scenario: ScenarioName, i: number): Promise<void> {
  const t0 = performance.now();
  const inst = await up(scenario);
  const t1 = performance.now();
  try {
    const conn = await connectClient(inst);
    if (scenario !== 'wireguard-badkey') expect(await ping(inst.clientNetns, inst.protectedHostIp)).toBe(true);
    if (i % 2 === 0) await conn.disconnect();
  } finally {
    const t2 = performance.now();
    await down(inst.id);
    const t3 = performance.now();
    const row = timings.get(scenario) ?? { setup: [], teardown: [] };
    row.setup.push(t1 - t0);
    row.teardown.push(t3 - t2);
    timings.set(scenario, row);
  }
  expect(leftovers(inst.id, inst.netnsInodes), `${scenario} cycle ${i}`).toEqual([]);
}

describe('lab: up/down cycles leave nothing behind', () => {
  it(`openvpn-udp × ${CYCLES}`, async () => {
    for (let i = 0; i < CYCLES; i++) await cycle('openvpn-udp', i);
  });

  it(`wireguard-split × ${CYCLES}`, async () => {
    for (let i = 0; i < CYCLES; i++) await cycle('wireguard-split', i);
  });

  it('every other scenario, twice (client disconnected, then left running)', async () => {
    for (const s of SCENARIO_NAMES) {
      if (s === 'openvpn-udp' || s === 'wireguard-split') continue;
      await cycle(s, 0);
      await cycle(s, 1);
    }
  });
});

afterAll(() => {
  const rows: Timing[] = [...timings.entries()].map(([scenario, t]) => ({
    scenario,
    setupMs: Math.round(t.setup.reduce((a, b) => a + b, 0) / t.setup.length),
    teardownMs: Math.round(t.teardown.reduce((a, b) => a + b, 0) / t.teardown.length),
  }));
  console.log(`lab setup/teardown, mean per scenario (${CYCLES} cycles for openvpn-udp and wireguard-split, 2 for the others):\n${formatTimings(rows)}`);
});
