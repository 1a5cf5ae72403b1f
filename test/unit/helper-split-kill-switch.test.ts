/**
 * A kill switch asked for explicitly (connect option killSwitch: true) on an OpenVPN tunnel the
 * server makes split: the session manager refuses it once the driver reports the routes
 * (DriverEvents.routesKnown), with kill-switch-needs-full-tunnel in en/ja, and it is never
 * connected; a pushed default route, or no explicit kill switch, connects as before. The driver is
 * scripted (the real openvpn case: test/integration/kill-switch.test.ts, openvpn-dns).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HelperEvent, TunnelState } from '../../shared/ipc/helper-protocol.js';
import type { Driver, DriverContext } from '../../electron/helper/drivers/driver.js';
import { HelperLog } from '../../electron/helper/log.js';
import { SessionManager } from '../../electron/helper/sessions.js';
import { waitFor } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'tsunagu-split-ks-'));
chmodSync(dir, 0o700);
const PROFILE = { kind: 'openvpn' as const, name: 'office', text: 'client\ndev tun\nremote 198.18.1.1 1194\nauth-user-pass\n<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>\n' };

/** What the next driver's server pushes, and what routesKnown answered each time. */
let push: string[] = [];
const verdicts: boolean[] = [];

function scriptedDriver(ctx: DriverContext): Driver {
  const routes = push;
  return {
    start: async () => {
      ctx.events.state({ status: 'connecting', phase: 'connecting' });
      setTimeout(() => {
        const ok = ctx.events.routesKnown(routes);
        verdicts.push(ok);
        if (ok) ctx.events.state({ status: 'connected', localIp: '10.8.0.6', remote: '198.18.1.1:1194', since: Date.now() });
      }, 5);
    },
    provideCredentials: () => true,
    stop: async (reason) => ctx.events.state({ status: 'disconnected', reason }),
    interfaceName: () => 'tsoabcdefgh',
  };
}

const log = new HelperLog(1000);
const sessions = new SessionManager({ runDir: dir, log, drivers: { openvpn: scriptedDriver } });
const events: HelperEvent[] = [];
sessions.onEvent((e) => events.push(e));
afterAll(async () => {
  await sessions.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

const statesOf = (id: string): TunnelState[] => events.flatMap((e) => (e.event === 'state' && e.sessionId === id ? [e.state] : []));
const settled = (id: string) => waitFor(() => statesOf(id).find((s) => s.status === 'connected' || s.status === 'error'), `a settled state of ${id}`);

async function connect(routes: string[], killSwitch: boolean | undefined): Promise<{ id: string; state: TunnelState }> {
  push = routes;
  const { sessionId } = await sessions.connect(PROFILE, killSwitch === undefined ? {} : { killSwitch }, 0);
  const state = await settled(sessionId);
  return { id: sessionId, state };
}

describe('explicit kill switch on a split OpenVPN tunnel', () => {
  it('refused once the pushed routes are known: kill-switch-needs-full-tunnel (en/ja), routesKnown false, never connected, session gone', async () => {
    const { id, state } = await connect(['198.18.2.0/24'], true);
    expect(state).toMatchObject({
      status: 'error',
      code: 'kill-switch-needs-full-tunnel',
      message: { en: expect.stringContaining('the server routes only some networks through the VPN'), ja: expect.stringContaining('サーバーが一部のネットワークだけを VPN 経由にしている') },
      detail: expect.stringContaining('pushed no default route'),
    });
    expect(verdicts.at(-1)).toBe(false);
    expect(statesOf(id).some((s) => s.status === 'connected')).toBe(false);
    await waitFor(() => events.some((e) => e.event === 'session-removed' && e.sessionId === id), 'the session removed');
    expect(sessions.list(0)).toEqual([]);
  });

  it('a pushed default route: connected; no explicit kill switch on the split tunnel: connected, as before', async () => {
    const full = await connect(['198.18.2.0/24', '0.0.0.0/0'], true);
    expect(full.state.status).toBe('connected');
    expect(verdicts.at(-1)).toBe(true);
    await sessions.disconnect({ sessionId: full.id }, 0);
    const split = await connect(['198.18.2.0/24'], undefined);
    expect(split.state.status).toBe('connected');
    expect(sessions.list(0)).toMatchObject([{ id: split.id, fullTunnel: false }]);
    await sessions.disconnect({ sessionId: split.id }, 0);
  });
});
