/**
 * OpenVPN through the whole app: the lab's legacy profile imported by drag and drop and by the file
 * chooser, its advisories reviewed (the data-ciphers fix applied automatically), connected (tunnel
 * IP, growing byte counters, the graph drawing while `ping` runs in the client namespace) and
 * disconnected; a dangerous profile refused with its directive and line; Japanese and back.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRun, launchBrowser, openApp, shot, startStack, type Stack } from './harness.js';

describe.skipIf(!canRun)('OpenVPN (openvpn-legacy) in the browser UI', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let profileText: string;
  let fileName: string;

  beforeAll(async () => {
    stack = await startStack('openvpn-legacy');
    browser = await launchBrowser();
    page = await openApp(browser, stack.bridge);
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    profileText = readFileSync(lab.profile, 'utf8');
    fileName = basename(lab.profile);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows the empty state once the helper is available', async () => {
    await page.getByRole('heading', { name: 'No profiles yet' }).waitFor();
    await shot(page, 'openvpn-empty');
  });

  it('imports by drag and drop: the review shows the automatic data-ciphers fix', async () => {
    // A real drop: a DataTransfer holding the file, dispatched on the app's drop area.
    const dataTransfer = await page.evaluateHandle(({ text, name }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], name, { type: 'application/x-openvpn-profile' }));
      return dt;
    }, { text: profileText, name: fileName });
    const app = page.locator('.app');
    await app.dispatchEvent('dragenter', { dataTransfer });
    await app.dispatchEvent('dragover', { dataTransfer });
    await page.getByText('Drop to import').waitFor();
    await shot(page, 'openvpn-drag-over');
    await app.dispatchEvent('drop', { dataTransfer });
    const review = page.getByRole('dialog', { name: 'Check before saving' });
    await review.waitFor();
    await expect.poll(() => review.getByText('Fixed automatically').count()).toBeGreaterThan(0);
    const fix = review.locator('.finding').filter({ hasText: 'Fixed automatically' }).filter({ hasText: /data-ciphers|cipher/i });
    expect(await fix.count()).toBeGreaterThan(0);
    await shot(page, 'openvpn-review-dropped');
    await review.getByRole('button', { name: 'Cancel' }).click();
    await review.waitFor({ state: 'detached' });
  });

  it('imports by the file chooser and saves', async () => {
    await page.getByRole('button', { name: 'Import…' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Import a profile' });
    await dialog.waitFor();
    await shot(page, 'openvpn-import-dialog');
    const chooser = page.waitForEvent('filechooser');
    await dialog.getByRole('button', { name: 'Choose files…' }).click();
    await (await chooser).setFiles({ name: fileName, mimeType: 'application/x-openvpn-profile', buffer: Buffer.from(profileText) });
    const review = page.getByRole('dialog', { name: 'Check before saving' });
    await review.waitFor();
    await review.getByText('Fixed automatically').first().waitFor();
    await review.getByRole('textbox', { name: 'Name' }).fill('Legacy lab');
    await shot(page, 'openvpn-review-chosen');
    await review.getByRole('button', { name: 'Save profile' }).click();
    await review.waitFor({ state: 'detached' });
    await page.getByRole('option', { name: /Legacy lab/ }).waitFor();
    await page.getByRole('heading', { name: 'Legacy lab', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Notes about this profile' }).waitFor();
    await shot(page, 'openvpn-saved');
  });

  it('connects: tunnel IP, growing counters and the graph drawing', async () => {
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    await page.getByRole('button', { name: 'Connect Legacy lab' }).click();
    const panel = page.getByRole('region', { name: 'Connection' });
    await panel.locator('.state-words', { hasText: /^Connected$/ }).waitFor({ timeout: 60_000 });
    const tunnelIp = panel.locator('.stats div', { hasText: 'Tunnel IP address' }).locator('dd');
    await expect.poll(() => tunnelIp.textContent(), { timeout: 15_000 }).toMatch(/^198\.18\.8\.\d+$/);
    await shot(page, 'openvpn-connected');

    const received = panel.locator('.stats div', { hasText: 'Received' }).locator('dd');
    const before = (await received.textContent()) ?? '';
    const ping = spawn('ip', ['netns', 'exec', lab.clientNetns, 'ping', '-i', '0.2', '-s', '1200', '-c', '60', lab.tunnelPeerIp], { stdio: 'ignore' });
    try {
      await expect.poll(() => received.textContent(), { timeout: 20_000 }).not.toBe(before);
      // The graph draws: some point of the received line rises above the baseline (y < 120).
      const line = panel.locator('polyline.line-in');
      await expect.poll(async () => {
        const points = (await line.getAttribute('points')) ?? '';
        return points.split(' ').some((p) => Number(p.split(',')[1]) < 119);
      }, { timeout: 20_000 }).toBe(true);
      const later = await received.textContent();
      await expect.poll(() => received.textContent(), { timeout: 20_000 }).not.toBe(later);
      await shot(page, 'openvpn-traffic');
    } finally {
      ping.kill();
    }
  });

  it('disconnects', async () => {
    await page.getByRole('button', { name: 'Disconnect Legacy lab' }).click();
    const panel = page.getByRole('region', { name: 'Connection' });
    await panel.locator('.state-words', { hasText: /^Disconnected$/ }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Connect Legacy lab' }).waitFor();
    await shot(page, 'openvpn-disconnected');
  });

  it('refuses a dangerous profile, showing the directive and its line', async () => {
    const lines = profileText.split('\n');
    lines.splice(1, 0, 'up /tmp/x.sh');
    await page.getByRole('button', { name: 'Import…' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Import a profile' });
    const chooser = page.waitForEvent('filechooser');
    await dialog.getByRole('button', { name: 'Choose files…' }).click();
    await (await chooser).setFiles({ name: 'dangerous.ovpn', mimeType: 'application/x-openvpn-profile', buffer: Buffer.from(lines.join('\n')) });
    const review = page.getByRole('dialog', { name: 'Check before saving' });
    await review.waitFor();
    await review.getByText('Nothing here can be imported.', { exact: false }).waitFor();
    await review.getByText('Refused', { exact: true }).waitFor();
    const finding = review.locator('.finding.severity-error').filter({ hasText: "'up' runs a program" });
    await finding.waitFor();
    expect(await finding.locator('pre.offending').textContent()).toBe('up /tmp/x.sh');
    expect(await finding.locator('.finding-line').textContent()).toContain('line 2');
    expect(await finding.locator('code').textContent()).toBe('POLICY_RUNS_PROGRAM');
    expect(await review.getByRole('button', { name: /^Save/ }).count()).toBe(0);
    await shot(page, 'dangerous-refused');
    await review.getByRole('button', { name: 'Close' }).click();
    await review.waitFor({ state: 'detached' });
    // The import dialog gave way to the review, so nothing else is left open.
    expect(await dialog.count()).toBe(0);
  });

  it('switches to Japanese and back', async () => {
    const nav = page.getByRole('navigation');
    await nav.getByRole('button', { name: 'Settings' }).click();
    // Controlled radios: checked once main answered with the new settings.
    const japanese = page.getByRole('radio', { name: '日本語' });
    await japanese.click();
    await expect.poll(() => japanese.isChecked()).toBe(true);
    await nav.getByRole('button', { name: '設定' }).waitFor();
    await page.getByRole('heading', { name: '設定', level: 1 }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    await shot(page, 'settings-japanese');
    await nav.getByRole('button', { name: 'プロファイル' }).click();
    await page.getByRole('region', { name: '接続' }).waitFor();
    await page.getByRole('listbox', { name: 'プロファイル' }).waitFor();
    await shot(page, 'profiles-japanese');
    await nav.getByRole('button', { name: '設定' }).click();
    const english = page.getByRole('radio', { name: 'English', exact: true });
    await english.click();
    await expect.poll(() => english.isChecked()).toBe(true);
    await nav.getByRole('button', { name: 'Settings' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await stack.services.handlers['settings:get']({})).toMatchObject({ ok: true, value: { language: 'en' } });
    await shot(page, 'settings-english');
  });
});
