/**
 * Stats events from the session manager: sent every interval while connected, with counters read
 * just before where the driver reads them on demand (Driver.refreshCounters), and still sent on
 * time when the tool does not answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Driver, DriverContext } from '../../electron/helper/drivers/driver.js';
import { HelperLog } from '../../electron/helper/log.js';
import { SessionManager } from '../../electron/helper/sessions.js';
import type { HelperEvent } from '../../shared/ipc/helper-protocol.js';

const CA = '<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>\n';
const profile = { kind: 'openvpn' as const, text: `client\ndev tun\nremote 198.18.1.1 1194\nremote-cert-tls server\nauth-user-pass\n${CA}`, name: 'office' };

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

async function connectedWith(refresh: ((ctx: DriverContext) => Promise<void>) | null) {
  const runDir = mkdtempSync(join(tmpdir(), 'tsunagu-stats-'));
  dirs.push(runDir);
  const driver = (ctx: DriverContext): Driver => ({
    start: async () => {
      setTimeout(() => ctx.events.state({ status: 'connected', localIp: '10.8.0.2', remote: '198.18.1.1:1194', since: Date.now() }), 1);
    },
    provideCredentials: () => false,
    stop: async (reason) => ctx.events.state({ status: 'disconnected', reason }),
    interfaceName: () => 'tun0',
    ...(refresh ? { refreshCounters: () => refresh(ctx) } : {}),
  });
  const sessions = new SessionManager({ runDir, log: new HelperLog(100), drivers: { openvpn: driver, wireguard: driver }, statsIntervalMs: 40 });
  const stats: Array<Extract<HelperEvent, { event: 'stats' }>> = [];
  sessions.onEvent((e) => {
    if (e.event === 'stats') stats.push(e);
  });
  await sessions.connect(profile, {}, 1000);
  return { sessions, stats };
}

describe('stats events', () => {
  it('carry the counters the driver read on demand just before', async () => {
    let bytes = 0;
    const r = await connectedWith(async (ctx) => {
      bytes += 1000;
      await new Promise((res) => setImmediate(res));
      ctx.events.counters(bytes, bytes / 2);
    });
    await new Promise((res) => setTimeout(res, 230));
    await r.sessions.shutdown();
    expect(r.stats.length).toBeGreaterThanOrEqual(4);
    // Every event has the counters of its own refresh: strictly growing, never repeated.
    r.stats.forEach((s, i) => expect(s.bytesIn).toBe((i + 1) * 1000));
    expect(r.stats.every((s) => s.bytesOut === s.bytesIn / 2)).toBe(true);
    expect(r.stats.slice(1).every((s) => s.rateIn > 0)).toBe(true);
  });

  it('are still sent every interval when the tool does not answer', async () => {
    const r = await connectedWith(() => new Promise<void>(() => undefined));
    await new Promise((res) => setTimeout(res, 230));
    await r.sessions.shutdown();
    // The first tick waits for the refresh; every later one sends what is known.
    expect(r.stats.length).toBeGreaterThanOrEqual(3);
    expect(r.stats.every((s) => s.bytesIn === 0)).toBe(true);
  });

  it('come on the timer alone for drivers that report counters themselves', async () => {
    const r = await connectedWith(null);
    await new Promise((res) => setTimeout(res, 230));
    await r.sessions.shutdown();
    expect(r.stats.length).toBeGreaterThanOrEqual(4);
  });
});
