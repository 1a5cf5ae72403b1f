/**
 * When the kill switch table goes in relative to the tool's start (electron/helper/sessions.ts):
 * alongside it for UDP endpoints (off the connect's critical path), before it over TCP — a table
 * that turns connection tracking on after an OpenVPN proxy connection opened drops the proxy's
 * first reply, and openvpn waits for it until the connect times out
 * (test/integration/kill-switch-proxy.test.ts is the real case). A scripted driver and the real
 * FirewallController with a recording apply.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Driver, DriverContext } from '../../electron/helper/drivers/driver.js';
import { FirewallController } from '../../electron/helper/firewall/controller.js';
import type { ApplyReport } from '../../electron/helper/firewall/apply.js';
import type { FirewallIntent, Result } from '../../electron/helper/firewall/intent.js';
import { HelperLog } from '../../electron/helper/log.js';
import { SessionManager } from '../../electron/helper/sessions.js';
import { defaultPolicyValues } from '../../shared/policy/table.js';

const isRoot = process.getuid?.() === 0;
const CA = '<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>\n';
const fullTunnel = (lines: string) => ({ kind: 'openvpn' as const, text: `client\ndev tun\n${lines}redirect-gateway def1\nremote-cert-tls server\nauth-user-pass\n${CA}`, name: 'office' });

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

async function order(profile: ReturnType<typeof fullTunnel>): Promise<{ steps: string[]; intent: FirewallIntent | undefined }> {
  const runDir = mkdtempSync(join(tmpdir(), 'tsunagu-ks-order-'));
  chmodSync(runDir, 0o700);
  dirs.push(runDir);
  const steps: string[] = [];
  let intent: FirewallIntent | undefined;
  // An apply that takes a while, as nft does (about 20 ms).
  const apply = async (i: FirewallIntent): Promise<Result<ApplyReport>> => {
    steps.push('apply begins');
    await new Promise((r) => setTimeout(r, 30));
    steps.push('apply done');
    intent = i;
    return { ok: true, value: { intent: i, applyMs: 30, verifyMs: 1, verifiedBy: 'echo' } };
  };
  const log = new HelperLog(100);
  const firewall = new FirewallController({ stateDir: join(runDir, 'state'), target: {}, log, policy: defaultPolicyValues, apply });
  await firewall.start();
  // What start() put in (nothing saved: off) is not this connect's.
  steps.length = 0;
  intent = undefined;
  const driver = (ctx: DriverContext): Driver => ({
    start: async () => {
      steps.push('tool starts');
      ctx.events.state({ status: 'error', code: 'auth-failed', message: { en: 'no', ja: 'no' } });
    },
    provideCredentials: () => false,
    stop: async (reason) => ctx.events.state({ status: 'disconnected', reason }),
    interfaceName: () => 'tun0',
  });
  const sessions = new SessionManager({ runDir, log, drivers: { openvpn: driver, wireguard: driver }, firewall });
  await sessions.connect(profile, {}, 1000);
  await sessions.shutdown();
  return { steps: steps.slice(0, 3), intent };
}

describe.skipIf(!isRoot)('the kill switch table and the tool', () => {
  it('through an HTTP proxy (a TCP endpoint): the table is in before the tool starts', async () => {
    const { steps, intent } = await order(fullTunnel('proto tcp-client\nremote vpn.example.test 443\nhttp-proxy 198.18.1.9 3128\n'));
    expect(steps).toEqual(['apply begins', 'apply done', 'tool starts']);
    expect(intent).toMatchObject({ mode: 'tunnel', endpoints: [{ protocol: 'tcp', address: '198.18.1.9', port: 3128 }] });
  });

  it('a direct TCP remote too', async () => {
    const { steps } = await order(fullTunnel('proto tcp-client\nremote 198.18.1.1 443\n'));
    expect(steps).toEqual(['apply begins', 'apply done', 'tool starts']);
  });

  it('UDP: the tool starts while the table goes in', async () => {
    const { steps } = await order(fullTunnel('remote 198.18.1.1 1194\n'));
    expect(steps.indexOf('tool starts')).toBeLessThan(steps.indexOf('apply done'));
  });
});
