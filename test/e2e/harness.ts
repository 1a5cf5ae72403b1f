/**
 * The end-to-end stack: a lab scenario (real VPN server in network namespaces), the real helper
 * (bundled CLI, `helper --netns <clientNetns> --group root`), the real app services behind the dev
 * bridge, and the production renderer in headless Chromium driven by Playwright.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import type { AppServices } from '../../electron/main/services/app-services.js';
import { createBridgeServices, startBridge, type Bridge } from '../../electron/dev-bridge/index.js';
import { down, up, type LabInstance, type ScenarioName } from '../lab/index.js';
import { startHelperProcess, type RunningHelperProcess } from '../integration/helper-harness.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const RENDERER_DIR = join(ROOT, 'out', 'dev-bridge', 'renderer');
export const SHOTS = join(ROOT, 'test-results', 'e2e');
export const CHROMIUM = process.env['TSUNAGU_CHROMIUM'] ?? '/usr/bin/chromium';
export const isRoot = process.getuid?.() === 0;
/**
 * What the e2e tests need: root (lab, helper) and a Chromium. They never skip quietly (only tests
 * needing the Electron binary may): global-setup.ts stops the run with a clear message instead.
 */
export const canRun = true;

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Stack {
  lab: LabInstance | null;
  helper: RunningHelperProcess;
  services: AppServices;
  bridge: Bridge;
  dataDir: string;
  stop(): Promise<void>;
}

/** The services' data folder can be prepared (e.g. 1,000 profiles) before the services open it. */
export async function startStack(scenario: ScenarioName | null, prepare?: (dataDir: string) => Promise<void>): Promise<Stack> {
  const lab = scenario ? await up(scenario) : null;
  const dataDir = mkdtempSync(join(tmpdir(), 'tsunagu-e2e-'));
  let helper: RunningHelperProcess | null = null;
  try {
    helper = await startHelperProcess(lab?.clientNetns ?? null);
    if (prepare) await prepare(dataDir);
    const services = await createBridgeServices({ dataDir, socketPath: helper.socketPath });
    void services.start();
    const bridge = await startBridge({ rendererDir: RENDERER_DIR, handlers: services.handlers, events: services.events });
    const running = helper;
    return {
      lab,
      helper: running,
      services,
      bridge,
      dataDir,
      stop: async () => {
        await Promise.race([services.connections.disconnectAll(), new Promise((r) => setTimeout(r, 10_000))]);
        await bridge.close();
        services.stop();
        await running.stop();
        if (lab) await down(lab.id);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await helper?.stop();
    if (lab) await down(lab.id);
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A page on the bridge, with the UI up (the navigation is visible). */
export async function openApp(browser: Browser, bridge: Bridge, init?: () => void): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  if (init) await page.addInitScript(init);
  page.setDefaultTimeout(30_000);
  await page.goto(bridge.url);
  await page.getByRole('navigation').waitFor();
  return page;
}

let shotIndex = 0;
/** Saves a screenshot of the current step under test-results/e2e/. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  shotIndex += 1;
  await page.screenshot({ path: join(SHOTS, `${String(shotIndex).padStart(2, '0')}-${name}.png`), fullPage: true });
}

export async function waitFor<T>(probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Imports a profile through Import… → Choose files… (the browser sends its text) and saves it as `name`. */
export async function importByChooser(page: Page, file: { name: string; text: string }, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Import…' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Import a profile' });
  const chooser = page.waitForEvent('filechooser');
  await dialog.getByRole('button', { name: 'Choose files…' }).click();
  await (await chooser).setFiles({ name: file.name, mimeType: 'text/plain', buffer: Buffer.from(file.text) });
  const review = page.getByRole('dialog', { name: 'Check before saving' });
  await review.waitFor();
  await review.getByRole('textbox', { name: 'Name' }).fill(name);
  await review.getByRole('button', { name: 'Save profile' }).click();
  await review.waitFor({ state: 'detached' });
  await page.getByRole('heading', { name, level: 1 }).waitFor();
}

/** The state words of the connection panel ("Connected", "Could not connect" …). */
export function stateWords(page: Page) {
  return page.getByRole('region', { name: 'Connection' }).locator('.state-words');
}
