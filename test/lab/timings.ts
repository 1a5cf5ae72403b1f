// Setup and teardown time per scenario (one up/down each, one after the other).
import { down, up } from './lab.js';
import type { ScenarioName } from './state.js';

export interface Timing {
  scenario: ScenarioName;
  setupMs: number;
  teardownMs: number;
}

export async function measureTimings(names: readonly ScenarioName[], rounds = 1): Promise<Timing[]> {
  const out: Timing[] = [];
  for (const scenario of names) {
    let setup = 0;
    let teardown = 0;
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const inst = await up(scenario);
      const t1 = performance.now();
      await down(inst.id);
      const t2 = performance.now();
      setup += t1 - t0;
      teardown += t2 - t1;
    }
    out.push({ scenario, setupMs: Math.round(setup / rounds), teardownMs: Math.round(teardown / rounds) });
  }
  return out;
}

export function formatTimings(rows: readonly Timing[]): string {
  const w = Math.max(...rows.map((r) => r.scenario.length), 'scenario'.length);
  const lines = [`${'scenario'.padEnd(w)}  setup ms  teardown ms`];
  for (const r of rows) lines.push(`${r.scenario.padEnd(w)}  ${String(r.setupMs).padStart(8)}  ${String(r.teardownMs).padStart(11)}`);
  return lines.join('\n');
}
