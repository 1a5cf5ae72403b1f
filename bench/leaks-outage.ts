/**
 * bench:leaks' outage figures (issue 14), called from bench/leaks.ts: the server's UDP blocked for
 * 30 s under the kill switch, a WireGuard and an OpenVPN full tunnel at once, each in its own lab
 * with its own helper (test/lab/outage.ts runOutage, the scenario kill-switch-outage.test.ts checks).
 * Prints leaked packets during and overall, when each session turned reconnecting and why, its
 * traffic then, and the time to connected again once the block lifted.
 */
import { bundleCli } from '../build/bundle.js';
import { ATTEMPT_RETRY } from '../electron/helper/drivers/openvpn/retry.js';
import { OutageRig, runOutage } from '../test/lab/outage.js';

const BLOCK_MS = 30_000;

const pad = (s: string, n: number) => s.padEnd(n);

export async function printOutageFigures(): Promise<void> {
  // The helper as it ships (bench/leaks.ts bundles it too; this keeps the function usable alone).
  await bundleCli();
  const rig = new OutageRig();
  try {
    await rig.start();
    const figures = await runOutage(rig.sides, BLOCK_MS);
    console.log(`\nThe server's UDP blocked for ${BLOCK_MS / 1000} s, kill switch on, both kinds at once (leaks counted on each lab's uplink watch):`);
    console.log(`${pad('tunnel', 12)}${pad('probe rounds', 14)}${pad('leaked during', 15)}${pad('leaked overall', 16)}${pad('reconnecting after', 20)}${pad('reason', 14)}${pad('traffic then', 14)}back after unblock`);
    for (const f of figures.sides) {
      const t = f.turned;
      console.log(
        `${pad(f.kind, 12)}${pad(String(f.rounds.length), 14)}${pad(String(f.rounds.reduce((n, r) => n + r.leaked, 0)), 15)}${pad(String(f.leakedOverall), 16)}${pad(t ? `${t.atMs} ms` : 'never', 20)}${pad(t?.state.status === 'reconnecting' ? t.state.reason : '-', 14)}${pad(t?.traffic ?? '-', 14)}${f.backMs === null ? 'not within 30 s' : `${f.backMs} ms`}`,
      );
    }
    // Both drivers retry themselves while the server is silent: WireGuard a handshake (dump.ts HANDSHAKE_RETRY), OpenVPN a fresh attempt (openvpn/retry.ts ATTEMPT_RETRY).
    console.log(`back after unblock: target ≤ 2 s (issue 14); the drivers retry every ${ATTEMPT_RETRY.everyMs / 1000} s for the first minute of silence (OpenVPN alone: 7-12 s, its 2, 4, 8, 16 s retransmits)`);
  } finally {
    await rig.stop();
  }
}
