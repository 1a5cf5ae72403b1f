/**
 * Leak protection through the whole app (issue 14): the leak lab's WireGuard full tunnel (test/lab/
 * leaks.ts), the real helper in its client namespace, the real app services behind the dev bridge
 * and the production renderer. One lab, helper and page serve every case in order:
 *   - the kill switch on by default: connected → "Traffic outside the VPN: blocked" (and the CLI says so);
 *   - wireguard-go killed (SIGKILL, as a crash would) → "Blocked — the VPN is down" → Connect
 *     again → killed again → Disconnect lifts the block (the helper's firewall is off);
 *   - the setting off → "not protected — the kill switch is off";
 *   - Japanese: always-on from Settings with nothing connected → its notice, the line in Japanese
 *     behind always-on, and `tsunagu lockdown off` ends it.
 * Screenshots of each step in test-results/e2e/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridgeServices, startBridge, type Bridge } from '../../electron/dev-bridge/index.js';
import type { AppServices } from '../../electron/main/services/app-services.js';
import { main, type CliIo } from '../../electron/cli/main.js';
import { downLeakLab, upLeakLab, type LeakLab } from '../lab/leaks.js';
import { findWireguardGo } from '../lab/wireguard.js';
import { Observer, startHelperProcess, type RunningHelperProcess } from '../integration/helper-harness.js';
import { importByChooser, launchBrowser, openApp, RENDERER_DIR, shot } from './harness.js';

const NAME = 'Leak lab';

describe('leak protection in the browser UI (leak lab, WireGuard full tunnel)', () => {
  let lab: LeakLab;
  let helper: RunningHelperProcess;
  let observer: Observer;
  let services: AppServices;
  let bridge: Bridge;
  let browser: Browser;
  let page: Page;
  const dataDir = mkdtempSync(join(tmpdir(), 'tsunagu-e2e-ks-'));

  const panel = () => page.getByRole('region', { name: /^(Connection|接続)$/ });
  const line = () => panel().locator('.protection-line');
  const stateWords = () => panel().locator('.state-words');
  const nav = (name: string) => page.getByRole('navigation').getByRole('button', { name, exact: true });
  /** Controlled inputs: checked once main answered with the new settings. */
  async function choose(input: ReturnType<Page['getByRole']>, checked: boolean): Promise<void> {
    await input.click();
    await expect.poll(() => input.isChecked()).toBe(checked);
  }
  const firewall = () => observer.client.request('firewall', {});

  /** `tsunagu …` against the test's helper, in this process. */
  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: CliIo = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, readStdin: async () => '' };
    const code = await main(['--socket', helper.socketPath, ...args], io);
    return { code, out, err };
  }

  async function connectAndWait(buttonName: string, connectedWords: RegExp): Promise<void> {
    await page.getByRole('button', { name: buttonName }).click();
    await stateWords().filter({ hasText: connectedWords }).waitFor({ timeout: 30_000 });
  }

  async function disconnectAndWait(buttonName: string, words: RegExp): Promise<void> {
    await page.getByRole('button', { name: buttonName }).click();
    await stateWords().filter({ hasText: words }).waitFor({ timeout: 30_000 });
  }

  beforeAll(async () => {
    lab = await upLeakLab();
    helper = await startHelperProcess(lab.clientNetns);
    observer = await Observer.open(helper.socketPath);
    services = await createBridgeServices({ dataDir, socketPath: helper.socketPath });
    void services.start();
    bridge = await startBridge({ rendererDir: RENDERER_DIR, handlers: services.handlers, events: services.events });
    browser = await launchBrowser();
    page = await openApp(browser, bridge);
    // A keepalive makes wireguard-go handshake at once, with no traffic needed to start it.
    await importByChooser(page, { name: 'leak-lab.conf', text: `${readFileSync(lab.clientConfig, 'utf8')}PersistentKeepalive = 25\n` }, NAME);
  });

  afterAll(async () => {
    await browser?.close();
    if (observer) await observer.client.request('set-lockdown', { enabled: false }).catch(() => undefined);
    if (services) await Promise.race([services.connections.disconnectAll(), new Promise((r) => setTimeout(r, 10_000))]);
    await bridge?.close();
    services?.stop();
    observer?.close();
    await helper?.stop();
    if (lab) await downLeakLab(lab);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('kill switch on by default: connected, traffic outside the VPN blocked; tsunagu status says so', async () => {
    await line().filter({ hasText: 'Not connected: traffic goes out directly, without a VPN' }).waitFor();
    await connectAndWait(`Connect ${NAME}`, /^Connected$/);
    await line().filter({ hasText: /^Traffic outside the VPN: blocked$/ }).waitFor({ timeout: 10_000 });
    expect(await firewall()).toMatchObject({ mode: 'tunnel', reason: 'kill-switch', ownSession: true });
    await shot(page, 'kill-switch-connected-blocked');
    const status = await cli('--lang', 'en', 'status');
    expect(status.code).toBe(0);
    expect(status.out).toContain('Firewall: kill switch on — only the VPN carries traffic');
  });

  /** SIGKILL of the tunnel's wireguard-go, as a crash would; the notice that follows. */
  async function killTunnel() {
    const { sessions } = await observer.client.request('list', {});
    const pid = findWireguardGo(lab.clientNetns, sessions[0]?.interfaceName ?? '');
    expect(pid).not.toBeNull();
    process.kill(pid ?? 0, 'SIGKILL');
    const notice = page.getByRole('alert').filter({ hasText: 'Blocked — the VPN is down' });
    await notice.waitFor({ timeout: 20_000 });
    return notice;
  }

  it('wireguard-go killed: "Blocked — the VPN is down"; Connect again; killed again; Disconnect lifts the block', async () => {
    let notice = await killTunnel();
    await expect.poll(() => notice.textContent()).toContain(`“${NAME}” stopped, so Tsunagu blocks all traffic`);
    expect(await firewall()).toMatchObject({ mode: 'blocked', reason: 'kill-switch' });
    await shot(page, 'kill-switch-vpn-down');
    expect((await cli('--lang', 'en', 'status')).out).toContain('Firewall: blocked — the VPN is down');

    await notice.getByRole('button', { name: 'Connect again' }).click();
    await stateWords().filter({ hasText: /^Connected$/ }).waitFor({ timeout: 30_000 });
    await line().filter({ hasText: /^Traffic outside the VPN: blocked$/ }).waitFor({ timeout: 10_000 });
    await notice.waitFor({ state: 'detached' });

    notice = await killTunnel();
    await notice.getByRole('button', { name: 'Disconnect' }).click();
    await notice.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await firewall()).toMatchObject({ mode: 'off' });
    await line().filter({ hasText: 'Not connected: traffic goes out directly, without a VPN' }).waitFor();
    await shot(page, 'kill-switch-lifted');
  });

  it('the setting off: connected, traffic outside the VPN not protected', async () => {
    await nav('Settings').click();
    const killSwitch = page.getByRole('checkbox', { name: 'Block traffic outside the VPN (kill switch)' });
    expect(await killSwitch.isChecked()).toBe(true);
    await choose(killSwitch, false);
    expect(services.settings().killSwitch).toBe(false);
    await shot(page, 'kill-switch-setting-off');
    await nav('Profiles').click();
    await connectAndWait(`Connect ${NAME}`, /^Connected$/);
    await line().filter({ hasText: 'Traffic outside the VPN: not protected — the kill switch is off' }).waitFor({ timeout: 10_000 });
    expect(await firewall()).toMatchObject({ mode: 'off' });
    await shot(page, 'kill-switch-off-not-protected');
    await disconnectAndWait(`Disconnect ${NAME}`, /^Disconnected$/);
  });

  it('in Japanese: always-on with nothing connected, the line behind it, and tsunagu lockdown off', async () => {
    await nav('Settings').click();
    await choose(page.getByRole('radio', { name: '日本語' }), true);
    await page.getByRole('heading', { name: '漏えい防止' }).waitFor();
    await choose(page.getByRole('checkbox', { name: '常時接続: VPN に接続していないときはすべての通信を遮断する' }), true);
    const notice = page.getByRole('status').filter({ hasText: '常時接続: VPN に接続するまで通信を遮断しています' });
    await notice.waitFor({ timeout: 10_000 });
    expect(await firewall()).toMatchObject({ mode: 'blocked', reason: 'lockdown', lockdown: { enabled: true, byPolicy: false } });
    await shot(page, 'kill-switch-always-on-ja');

    // Always-on guards the tunnel even with the kill switch setting off.
    await nav('プロファイル').click();
    await connectAndWait(`${NAME} に接続`, /^接続済み$/);
    await line().filter({ hasText: /^VPN 以外の通信: 遮断中$/ }).waitFor({ timeout: 10_000 });
    await notice.waitFor({ state: 'detached' });
    await shot(page, 'kill-switch-connected-ja');
    await disconnectAndWait(`${NAME} を切断`, /^切断されました$/);
    await notice.waitFor({ timeout: 10_000 });

    const off = await cli('--lang', 'ja', 'lockdown', 'off');
    expect(off).toMatchObject({ code: 0, out: 'ファイアウォール: オフ — VPN 以外の通信は遮断されていません\n' });
    await notice.waitFor({ state: 'detached', timeout: 10_000 });
    await line().filter({ hasText: '未接続: 通信は VPN を通らずに送信されます' }).waitFor();
  });
});
