/**
 * The Logs page (issue 15) against the real services, helper and lab (openvpn-userpass), in English
 * and Japanese: each line names its profile (or the Tsunagu service), the profile filter shows one
 * profile's lines, no line is cut at the right edge (long lines wrap, rows keep apart), the password
 * typed to connect appears nowhere while the lines around it keep their words, and the helper's
 * own lines (session requested, connected) read in Japanese with their parameters.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRun, importByChooser, launchBrowser, openApp, shot, startStack, stateWords, type Stack } from './harness.js';

describe.skipIf(!canRun)('Logs page (openvpn-userpass)', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack('openvpn-userpass');
    browser = await launchBrowser();
    page = await openApp(browser, stack.bridge);
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    const good = lab.credentials.good;
    if (!good) throw new Error('the lab exported no credentials');
    await importByChooser(page, { name: basename(lab.profile), text: readFileSync(lab.profile, 'utf8') }, 'Userpass lab');
    await page.getByRole('button', { name: 'Connect Userpass lab' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign in to Userpass lab' });
    await dialog.waitFor({ timeout: 60_000 });
    await dialog.getByRole('textbox', { name: 'Username' }).fill(good.username);
    await dialog.getByLabel('Password').fill(good.password);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await stateWords(page).filter({ hasText: /^Connected$/ }).waitFor({ timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** The rendered rows: profile column, text, and whether each is reachable whole. */
  async function rows() {
    return page.locator('#log-lines').evaluate((list) => {
      const box = list.getBoundingClientRect();
      return [...list.querySelectorAll('.log-line')].map((row) => {
        const text = row.querySelector('.log-text');
        const r = text?.getBoundingClientRect();
        return {
          profile: row.querySelector('.log-profile')?.textContent ?? '',
          text: text?.textContent ?? '',
          top: row.getBoundingClientRect().top,
          height: row.getBoundingClientRect().height,
          // The text's right edge lies within what the list can scroll to, and the text is not clipped inside its row.
          reachable: r !== undefined && r.right - box.left + list.scrollLeft <= list.scrollWidth + 1 && (text?.scrollWidth ?? 0) <= (text?.clientWidth ?? 0) + 1,
        };
      });
    });
  }

  it('names the profile of each line and filters by profile', async () => {
    await page.getByRole('navigation').getByRole('button', { name: 'Logs' }).click();
    await page.getByRole('heading', { name: 'Logs', level: 1 }).waitFor();
    await page.getByRole('combobox', { name: 'Show' }).selectOption('debug');
    await expect.poll(async () => (await rows()).some((r) => r.profile === 'Userpass lab')).toBe(true);
    await shot(page, 'logs-all-en');
    const filter = page.getByRole('combobox', { name: 'Profile' });
    await filter.selectOption({ label: 'Userpass lab' });
    await expect.poll(async () => {
      const shown = await rows();
      return shown.length > 0 && shown.every((r) => r.profile === 'Userpass lab');
    }).toBe(true);
    await shot(page, 'logs-filtered-profile-en');
    await filter.selectOption({ label: 'Tsunagu service only' });
    await expect.poll(async () => (await rows()).every((r) => r.profile === 'Tsunagu service')).toBe(true);
    await filter.selectOption({ label: 'All profiles' });
  });

  it('cuts no line at the right edge, at 1280 and 700 px', async () => {
    for (const width of [1280, 700]) {
      await page.setViewportSize({ width, height: 800 });
      await page.waitForTimeout(200);
      const shown = await rows();
      expect(shown.length).toBeGreaterThan(5);
      const longest = shown.reduce((a, b) => (b.text.length > a.text.length ? b : a));
      expect(longest.text.length).toBeGreaterThan(60);
      expect(shown.filter((r) => !r.reachable)).toEqual([]);
      // Long lines wrap inside the list: nothing sticks out to the right.
      const overflow = await page.locator('#log-lines').evaluate((list) => ({ scroll: list.scrollWidth, client: list.clientWidth }));
      expect(overflow.scroll).toBeLessThanOrEqual(overflow.client + 1);
      if (width === 700) expect(longest.height).toBeGreaterThan(30);
      // Wrapped rows push the next ones down: no two rows overlap.
      const sorted = [...shown].sort((a, b) => a.top - b.top);
      for (let i = 1; i < sorted.length; i++) {
        const above = sorted[i - 1];
        const row = sorted[i];
        if (above && row) expect(row.top).toBeGreaterThanOrEqual(above.top + above.height - 1);
      }
      await shot(page, `logs-${width}px-wrapped-en`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('the password appears nowhere; redaction leaves words whole', async () => {
    const password = stack.lab?.credentials.good?.password ?? '';
    expect(password.length).toBeGreaterThan(3);
    const log = await stack.services.handlers['log:recent']({ lines: 5000 });
    if (!log.ok) throw new Error(log.error.message.en);
    const texts = log.value.lines.map((l) => l.text);
    expect(texts.length).toBeGreaterThan(10);
    expect(texts.filter((t) => t.includes(password))).toEqual([]);
    // A redaction replaces a value after a space or separator; never glued into a word.
    expect(texts.filter((t) => /\w\[redacted\]|\[redacted\]\w/.test(t))).toEqual([]);
    const shown = (await rows()).map((r) => r.text).join('\n');
    expect(shown).not.toContain(password);
    // Prose about passwords keeps its words; the management answer keeps its type, loses its value.
    expect(texts).toContain('WARNING: this configuration may cache passwords in memory -- use the auth-nocache option to prevent this');
    expect(texts).toContain("MANAGEMENT: CMD 'password [...]'");
    expect(texts).toContain('> password "Auth" [redacted]');
    const search = page.getByRole('searchbox', { name: 'Search the log' });
    await search.fill('password');
    await expect.poll(async () => (await rows()).map((r) => r.text)).toContain('WARNING: this configuration may cache passwords in memory -- use the auth-nocache option to prevent this');
    expect((await rows()).map((r) => r.text).join('\n')).not.toContain(password);
    await shot(page, 'logs-password-prose-en');
    await search.fill('');
  });

  it('in Japanese: the column, the filter and the service name', async () => {
    const changed = await stack.services.handlers['settings:set']({ language: 'ja' });
    if (!changed.ok) throw new Error(changed.error.message.en);
    await page.getByRole('heading', { name: 'ログ', level: 1 }).waitFor();
    const filter = page.getByRole('combobox', { name: 'プロファイル' });
    await filter.selectOption({ label: 'Tsunagu サービスのみ' });
    await expect.poll(async () => {
      const shown = await rows();
      return shown.length > 0 && shown.every((r) => r.profile === 'Tsunagu サービス');
    }).toBe(true);
    await filter.selectOption({ label: 'すべてのプロファイル' });
    await shot(page, 'logs-ja');
    // The helper's own lines of this connect, in Japanese with their parameters.
    const log = await stack.services.handlers['log:recent']({ lines: 5000 });
    if (!log.ok) throw new Error(log.error.message.en);
    const requested = log.value.lines.find((l) => l.code === 'session.requested');
    const connected = log.value.lines.find((l) => l.code === 'session.connected');
    const sessionId = requested?.params?.['sessionId'];
    const localIp = connected?.params?.['localIp'];
    const remote = connected?.params?.['remote'];
    expect(typeof sessionId === 'string' && typeof localIp === 'string' && typeof remote === 'string').toBe(true);
    const search = page.getByRole('searchbox', { name: 'ログを検索' });
    await search.fill('セッション');
    await expect.poll(async () => (await rows()).map((r) => r.text)).toContain(`セッション ${String(sessionId)} (openvpn、「Userpass lab」) がユーザー ID 0 から要求されました`);
    await search.fill('接続済み');
    await expect.poll(async () => (await rows()).map((r) => ({ profile: r.profile, text: r.text }))).toContainEqual({ profile: 'Userpass lab', text: `状態: 接続済み (${String(remote)} 経由、アドレス ${String(localIp)})` });
    await shot(page, 'logs-helper-lines-ja');
    await search.fill('');
    await page.setViewportSize({ width: 700, height: 800 });
    // Japanese lines wrap too: none is cut, nothing sticks out to the right.
    await expect.poll(async () => (await rows()).filter((r) => !r.reachable)).toEqual([]);
    const overflow = await page.locator('#log-lines').evaluate((list) => list.scrollWidth - list.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await shot(page, 'logs-700px-ja');
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
