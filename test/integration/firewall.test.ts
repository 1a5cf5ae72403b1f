/**
 * The kill switch against a real WireGuard tunnel (wg-quick + wireguard-go in the client namespace,
 * a wg peer in the VPN server namespace), observed from the ISP router as a packet monitor on the
 * uplink would (test/lab/leaks.ts): with the table applied nothing leaves but the tunnel's own
 * marked packets to its endpoint, in every state, over IPv4 and IPv6, plain or bound to the
 * physical interface; with the kill switch off, traffic leaves as it does today.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyIntent, readKernelTable, removeFirewall, verifyIntent } from '../../electron/helper/firewall/apply.js';
import { TSUNAGU_FWMARK, type FirewallIntent } from '../../electron/helper/firewall/intent.js';
import { intentAfterRestart, loadIntent, saveIntent } from '../../electron/helper/firewall/intent-store.js';
import {
  decoyProbes,
  downLeakLab,
  dropHandshakes,
  endpointProbe,
  killTunnel,
  lanProbes,
  probeRound,
  tunnelDnsProbes,
  tunnelDown,
  tunnelIntentFor,
  tunnelUp,
  upLeakLab,
  type LeakLab,
  type ProbeResult,
} from '../lab/leaks.js';
import { findWireguardGo } from '../lab/wireguard.js';

let lab: LeakLab;
const target = () => ({ netns: lab.clientNetns });
const all = () => [...decoyProbes(lab), ...lanProbes(), ...tunnelDnsProbes(), ...endpointProbe()];
const answered = (r: ProbeResult[]) => r.filter((p) => p.ok).map((p) => p.name).sort();

const tunnelIntent = (allowLan: boolean) => tunnelIntentFor(lab, allowLan);

async function apply(intent: FirewallIntent): Promise<void> {
  const r = await applyIntent(intent, target());
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.detail}`);
}

/** Through the v4-only tunnel: TCP, UDP and ICMP to the IPv4 decoy, and the tunnel's own resolver. */
const THROUGH_TUNNEL = ['icmp v4', 'tcp v4', 'tunnel dns-tcp', 'tunnel dns-udp', 'udp v4'];

beforeAll(async () => {
  lab = await upLeakLab();
});
afterAll(async () => {
  await downLeakLab(lab);
});
afterEach(async () => {
  if (findWireguardGo(lab.clientNetns, lab.wgClient) !== null) await tunnelDown(lab);
  await dropHandshakes(lab, false);
  const r = await removeFirewall(target());
  expect(r.ok).toBe(true);
});

describe('kill switch (issue 14), seen from the ISP router', () => {
  it("off: a full tunnel alone leaks — IPv6 beside a v4-only tunnel, sockets bound to the uplink, DNS to the ISP's resolver (today's behaviour, the regression guard)", async () => {
    await tunnelUp(lab, { fwmark: TSUNAGU_FWMARK });
    const { results, seen } = await probeRound(lab, all());
    const ok = answered(results);
    for (const name of ['tcp v4', 'tcp v4 bound', 'udp v4 bound', 'dns-udp v4', 'dns-udp v4 bound', 'tcp v6', 'dns-udp v6', 'icmp v6', 'icmp v4 bound', 'lan tcp v4']) {
      expect(ok, JSON.stringify(results.filter((p) => !p.ok))).toContain(name);
    }
    expect(seen.leak_v4).toBeGreaterThan(0);
    expect(seen.leak_v6).toBeGreaterThan(0);
    expect(seen.leak_dns).toBeGreaterThan(0);
    expect((await readKernelTable(target())).ok && (await readKernelTable(target()))).toEqual({ ok: true, value: null });
  });

  it('connected: only the tunnel answers; zero packets leak (IPv4, global IPv6, bound to the uplink, DNS), the kernel holds exactly the planned table', async () => {
    await apply(tunnelIntent(false));
    const up = await tunnelUp(lab, { fwmark: TSUNAGU_FWMARK });
    expect(up.connectMs).toBeLessThan(10_000);
    const { results, seen } = await probeRound(lab, all());
    expect(answered(results)).toEqual(THROUGH_TUNNEL);
    expect(seen.leak_total).toBe(0);
    expect(seen.leak_v6).toBe(0);
    expect(seen.lan).toBe(0);
    expect(seen.endpoint).toBeGreaterThan(0);
    // Refused at once, not by a timeout: reject, not drop.
    const bound = results.find((p) => p.name === 'tcp v4 bound');
    expect(bound?.error).toMatch(/ConnectionRefused/);
    expect(bound?.ms).toBeLessThan(200);
    expect(results.find((p) => p.name === 'dns-udp v4')?.error).toMatch(/PermissionError|refused/i);
    const verified = await verifyIntent(tunnelIntent(false), target());
    expect(verified).toEqual({ ok: true, value: [] });
    const held = await readKernelTable(target());
    expect(held.ok && held.value !== null && (held.value.stopped.output ?? 0) > 0).toBe(true);
  });

  it.each(['library', 'command'] as const)("applies are verified from the kernel's echo of the commit; created where there is no table, replaced where there is, never merged into one (libnftables in-process, and the nft command): %s", async (via) => {
    const viaTarget = () => ({ netns: lab.clientNetns, via });
    const created = await applyIntent(tunnelIntent(false), viaTarget(), { tableAbsent: true });
    expect(created.ok && created.value.verifiedBy).toBe('echo');
    expect(await verifyIntent(tunnelIntent(false), target())).toEqual({ ok: true, value: [] });
    // The hint is wrong (the table is there): `create` fails whole and the replacement runs.
    const blocked = await applyIntent({ mode: 'blocked', allowLan: false }, viaTarget(), { tableAbsent: true });
    expect(blocked.ok && blocked.value.verifiedBy).toBe('echo');
    expect(await verifyIntent({ mode: 'blocked', allowLan: false }, target())).toEqual({ ok: true, value: [] });
    const replaced = await applyIntent(tunnelIntent(true), viaTarget());
    expect(replaced.ok && replaced.value.verifiedBy).toBe('echo');
    expect(await verifyIntent(tunnelIntent(true), target())).toEqual({ ok: true, value: [] });
    // A removal echoes nothing: the table is listed back (and is gone).
    const removed = await removeFirewall(viaTarget());
    expect(removed.ok && removed.value.verifiedBy).toBe('listing');
    expect(await readKernelTable(target())).toEqual({ ok: true, value: null });
  });

  it('connecting with the handshakes dropped: only marked packets to the endpoint leave', async () => {
    await dropHandshakes(lab, true);
    await apply(tunnelIntent(false));
    await tunnelUp(lab, { fwmark: TSUNAGU_FWMARK, wait: false });
    const { results, seen } = await probeRound(lab, all());
    expect(answered(results)).toEqual([]);
    expect(seen.leak_total).toBe(0);
    expect(seen.endpoint).toBeGreaterThan(0);
  });

  it('SIGKILL of wireguard-go: the rules stay, zero packets leak, and the blocking needed no action (0 ms from tunnel loss to blocking)', async () => {
    await apply(tunnelIntent(false));
    await tunnelUp(lab, { fwmark: TSUNAGU_FWMARK });
    await killTunnel(lab);
    // The same table, untouched: blocking after the loss is the table that was already there.
    expect(await verifyIntent(tunnelIntent(false), target())).toEqual({ ok: true, value: [] });
    const { results, seen } = await probeRound(lab, all());
    expect(answered(results)).toEqual([]);
    expect(seen.leak_total).toBe(0);
    expect(seen.endpoint).toBe(0);
    // An ordinary process cannot use the endpoint's address outside the tunnel either.
    expect(results.find((p) => p.name === 'endpoint unmarked')?.error).toMatch(/PermissionError/);
  });

  it('the helper dies with the table applied: the table stays; a restarted helper reads the saved intent and keeps blocking', async () => {
    const stateDir = join(lab.dir, 'helper-state');
    const script = join(lab.dir, 'dying-helper.mts');
    writeFileSync(
      script,
      [
        `import { applyIntent } from ${JSON.stringify(join(import.meta.dirname, '../../electron/helper/firewall/apply.ts'))};`,
        `import { prepareStateDir, saveIntent } from ${JSON.stringify(join(import.meta.dirname, '../../electron/helper/firewall/intent-store.ts'))};`,
        `const intent = ${JSON.stringify(tunnelIntent(false))};`,
        `const dir = prepareStateDir(${JSON.stringify(stateDir)}); if (!dir.ok) throw new Error(dir.error.detail);`,
        'saveIntent(dir.value, intent, "session-1");',
        `const r = await applyIntent(intent, { netns: ${JSON.stringify(lab.clientNetns)} });`,
        'process.stdout.write(r.ok ? "applied\\n" : `failed ${r.error.detail}\\n`);',
        'setInterval(() => undefined, 1000);',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const said = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.on('exit', () => resolve(out.trim()));
    });
    expect(said).toBe('applied');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await verifyIntent(tunnelIntent(false), target())).toEqual({ ok: true, value: [] });
    expect((await probeRound(lab, all())).seen.leak_total).toBe(0);

    const saved = loadIntent(stateDir);
    expect(saved.ok && saved.value?.sessionId).toBe('session-1');
    const next = intentAfterRestart(saved);
    expect(next).toEqual({ mode: 'blocked', allowLan: false });
    await apply(next);
    const { results, seen } = await probeRound(lab, all());
    expect(answered(results)).toEqual([]);
    expect(seen.leak_total).toBe(0);
    // Only an explicit disconnect lifts it: the record says 'off', the table goes.
    expect(saveIntent(stateDir, { mode: 'off' }, null).ok).toBe(true);
    expect(intentAfterRestart(loadIntent(stateDir))).toEqual({ mode: 'off' });
  });

  it('allow LAN: the LAN answers (never its DNS), the internet still only through the tunnel; without it, not one LAN packet', async () => {
    await apply(tunnelIntent(true));
    await tunnelUp(lab, { fwmark: TSUNAGU_FWMARK });
    const open = await probeRound(lab, all());
    expect(answered(open.results)).toEqual([...THROUGH_TUNNEL, 'lan tcp v4', 'lan udp v6'].sort());
    expect(open.seen.lan).toBeGreaterThan(0);
    expect(open.seen.leak_total).toBe(0);

    await apply(tunnelIntent(false));
    const closed = await probeRound(lab, all());
    expect(answered(closed.results)).toEqual(THROUGH_TUNNEL);
    expect(closed.seen.lan).toBe(0);
    expect(closed.seen.leak_total).toBe(0);
  });

  it('lockdown with no tunnel: nothing leaves and DNS is refused; with LAN allowed only the LAN answers', async () => {
    await apply({ mode: 'lockdown', allowLan: false });
    const shut = await probeRound(lab, all());
    expect(answered(shut.results)).toEqual([]);
    expect(shut.seen.leak_total).toBe(0);
    expect(shut.seen.lan).toBe(0);
    // Refused at once (EPERM for UDP, ICMP admin-prohibited → EHOSTUNREACH for TCP), never a timeout.
    for (const name of ['dns-udp v4', 'dns-tcp v4', 'dns-udp v6 bound']) {
      const r = shut.results.find((p) => p.name === name);
      expect(r?.error).toMatch(/PermissionError|No route to host/);
      expect(r?.ms).toBeLessThan(200);
    }

    await apply({ mode: 'lockdown', allowLan: true });
    const lan = await probeRound(lab, all());
    expect(answered(lan.results)).toEqual(['lan tcp v4', 'lan udp v6']);
    expect(lan.seen.leak_total).toBe(0);
  });

  it('figures: rule-apply latency (median of 20 verified applies) and the added connect latency with the kill switch on', async () => {
    const applies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await applyIntent(i % 2 === 0 ? tunnelIntent(false) : { mode: 'blocked', allowLan: false }, target());
      if (!r.ok) throw new Error(r.error.detail);
      applies.push(r.value.applyMs);
    }
    applies.sort((a, b) => a - b);
    const median = ((applies[9] ?? 0) + (applies[10] ?? 0)) / 2;
    await removeFirewall(target());

    const off = await tunnelUp(lab, { fwmark: TSUNAGU_FWMARK });
    await tunnelDown(lab);
    const started = performance.now();
    await apply(tunnelIntent(false));
    await tunnelUp(lab, { fwmark: TSUNAGU_FWMARK });
    const on = performance.now() - started;
    console.log(
      `kill switch figures: apply median ${median.toFixed(1)} ms (min ${applies[0]?.toFixed(1)}, max ${applies[19]?.toFixed(1)}); ` +
        `connect off ${off.connectMs.toFixed(0)} ms, on ${on.toFixed(0)} ms (ratio ${(on / off.connectMs).toFixed(2)}); tunnel loss to blocking 0 ms (static rules)`,
    );
    expect(median).toBeLessThan(1000);
    expect(answered((await probeRound(lab, decoyProbes(lab))).results)).toEqual(['icmp v4', 'tcp v4', 'udp v4']);
  });
});
