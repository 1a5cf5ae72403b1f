/** WireGuard through the whole app: import, connect (tunnel IP), disconnect. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRun, importByChooser, launchBrowser, openApp, shot, startStack, stateWords, type Stack } from './harness.js';

describe.skipIf(!canRun)('WireGuard (wireguard-split) in the browser UI', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack('wireguard-split');
    browser = await launchBrowser();
    page = await openApp(browser, stack.bridge);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('imports, connects and disconnects', async () => {
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    await importByChooser(page, { name: basename(lab.profile), text: readFileSync(lab.profile, 'utf8') }, 'WireGuard lab');
    await page.getByRole('heading', { name: 'Public key' }).waitFor();
    await shot(page, 'wireguard-saved');
    await page.getByRole('button', { name: 'Connect WireGuard lab' }).click();
    await stateWords(page).filter({ hasText: /^Connected$/ }).waitFor({ timeout: 60_000 });
    const tunnelIp = page.getByRole('region', { name: 'Connection' }).locator('.stats div', { hasText: 'Tunnel IP address' }).locator('dd');
    await expect.poll(() => tunnelIp.textContent(), { timeout: 15_000 }).toMatch(/198\.18\.9\.\d+/);
    // Dual stack: both addresses; WireGuard's latest handshake in seconds (issue 14/15).
    expect(await tunnelIp.textContent()).toContain('fd74:736c:9::2');
    const handshake = page.getByRole('region', { name: 'Connection' }).locator('.stats div', { hasText: 'Latest handshake' }).locator('dd');
    await expect.poll(() => handshake.textContent(), { timeout: 5_000 }).toMatch(/^\d+ s ago$/);
    await shot(page, 'wireguard-connected');
    await page.getByRole('button', { name: 'Disconnect WireGuard lab' }).click();
    await stateWords(page).filter({ hasText: /^Disconnected$/ }).waitFor({ timeout: 30_000 });
    await shot(page, 'wireguard-disconnected');
  });
});
