/**
 * The connection view (issue 15) against the real services, helper and lab, in English and Japanese:
 * the graph's rates against known traffic from the first sample on (also after a reconnect); a second
 * profile routing the same networks refused with the network and the other profile named, and
 * "Disconnect it and connect" doing that; the L3/L2 row as a term and definition; the public key
 * once; Disconnect usable while starting; the layout at 1280, 900 and 700 px; a wrong password asked
 * again in place with the username kept.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRun, importByChooser, launchBrowser, openApp, shot, startStack, stateWords, type Stack } from './harness.js';

/** ICMP payload bytes and packets per second of the known traffic. */
const PAYLOAD = 1000;
const PER_SECOND = 10;
/**
 * What WireGuard's counters see per echo (each way): the IPv4 packet (20 IP + 8 ICMP + payload)
 * padded to 16 bytes, plus the data message's 16-byte header and 16-byte tag.
 */
const WIRE_BYTES = Math.ceil((20 + 8 + PAYLOAD) / 16) * 16 + 32;
const EXPECTED = WIRE_BYTES * PER_SECOND;

async function graphRates(page: Page): Promise<{ rateIn: number[]; rateOut: number[] }> {
  const figure = page.getByRole('region', { name: /^(Connection|接続)$/ }).locator('figure.graph');
  const read = async (name: string) => ((await figure.getAttribute(name)) ?? '').split(' ').filter(Boolean).map(Number);
  return { rateIn: await read('data-rates-in'), rateOut: await read('data-rates-out') };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function setLanguage(stack: Stack, page: Page, language: 'en' | 'ja'): Promise<void> {
  const changed = await stack.services.handlers['settings:set']({ language });
  if (!changed.ok) throw new Error(changed.error.message.en);
  await expect.poll(() => page.locator('html').getAttribute('lang')).toBe(language);
}

describe.skipIf(!canRun)('connection view (wireguard-split): graph, route conflict, summary, layout', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let profileText: string;
  let fileName: string;

  beforeAll(async () => {
    stack = await startStack('wireguard-split');
    browser = await launchBrowser();
    page = await openApp(browser, stack.bridge);
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    profileText = readFileSync(lab.profile, 'utf8');
    fileName = basename(lab.profile);
    await importByChooser(page, { name: fileName, text: profileText }, 'Office');
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const panel = () => page.getByRole('region', { name: /^(Connection|接続)$/ });

  it('says routed (L3) in plain words, as a term and its definition, and shows the public key once', async () => {
    const term = page.getByRole('term').filter({ hasText: /^Type of connection$/ });
    await term.waitFor();
    const definition = page.getByRole('definition').filter({ hasText: 'Routed (L3)' });
    await definition.waitFor();
    expect(await definition.textContent()).toContain('Broadcasts from the remote network do not reach this computer');
    const publicKey = (await page.locator('code.public-key').textContent()) ?? '';
    expect(publicKey.length).toBeGreaterThan(40);
    expect(await page.locator('.profile-pane').getByText(publicKey, { exact: true }).count()).toBe(1);
    await shot(page, 'connection-view-layer-row-en');
    await setLanguage(stack, page, 'ja');
    await page.getByRole('term').filter({ hasText: /^接続方式$/ }).waitFor();
    expect(await page.getByRole('definition').filter({ hasText: 'ルート接続 (L3)' }).textContent()).toContain('ブロードキャストはこのコンピューターに届かず');
    await shot(page, 'connection-view-layer-row-ja');
    await setLanguage(stack, page, 'en');
  });

  it('Disconnect is usable from the moment it shows, and the graph has no spike on connect', async () => {
    await page.getByRole('button', { name: 'Connect Office' }).click();
    const disconnect = page.getByRole('button', { name: 'Disconnect Office' });
    await disconnect.waitFor();
    // With the connect still on its way ("Starting…"), the button must look and be enabled.
    expect(await disconnect.getAttribute('aria-disabled')).toBe('false');
    await stateWords(page).filter({ hasText: /^Connected$/ }).waitFor({ timeout: 60_000 });
    // Idle tunnel (keepalives only): the first samples must not show the handshake as a rate.
    await page.waitForTimeout(4000);
    const idle = await graphRates(page);
    expect(Math.max(...idle.rateIn, ...idle.rateOut)).toBeLessThan(1000);
    await shot(page, 'connection-view-connected-idle');
  });

  it('draws the known traffic of a ping at its true rate', async () => {
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    const ping = spawn('ip', ['netns', 'exec', lab.clientNetns, 'ping', '-q', '-i', String(1 / PER_SECOND), '-s', String(PAYLOAD), '-c', String(PER_SECOND * 12), lab.tunnelPeerIp], { stdio: 'ignore' });
    try {
      await page.waitForTimeout(9000);
      const { rateIn, rateOut } = await graphRates(page);
      // The last 6 seconds are steady traffic (the first seconds of the ping are still ramping in the window).
      const steadyIn = rateIn.slice(-7, -1);
      const steadyOut = rateOut.slice(-7, -1);
      expect(Math.abs(median(steadyIn) - EXPECTED) / EXPECTED).toBeLessThan(0.1);
      expect(Math.abs(median(steadyOut) - EXPECTED) / EXPECTED).toBeLessThan(0.1);
      for (const v of [...steadyIn, ...steadyOut]) expect(v).toBeLessThan(EXPECTED * 1.3);
      // The legend says the graph's newest value (not a rate of its own).
      const legend = await panel().locator('.graph-legend strong').first().textContent();
      expect(legend).toMatch(/kB\/s/);
      await shot(page, 'connection-view-known-traffic');
    } finally {
      ping.kill();
    }
  });

  it('after a reconnect the first samples are true too', async () => {
    await page.getByRole('button', { name: 'Disconnect Office' }).click();
    await stateWords(page).filter({ hasText: /^Disconnected$/ }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Connect Office' }).click();
    await stateWords(page).filter({ hasText: /^Connected$/ }).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(3500);
    const { rateIn, rateOut } = await graphRates(page);
    expect(Math.max(...rateIn, ...rateOut)).toBeLessThan(1000);
  });

  it('a second profile routing the same networks: refused, named, and "Disconnect it and connect" swaps them', async () => {
    await importByChooser(page, { name: fileName, text: profileText }, 'Office copy');
    await page.getByRole('button', { name: 'Connect Office copy' }).click();
    const note = panel().locator('.error-note.conflict');
    await note.waitFor({ timeout: 30_000 });
    const text = (await note.textContent()) ?? '';
    expect(text).toContain('“Office”');
    expect(text).toMatch(/\d+\.\d+\.\d+\.\d+\/\d+|[0-9a-f:]+\/\d+/);
    await shot(page, 'connection-view-route-conflict-en');
    await setLanguage(stack, page, 'ja');
    await panel().getByRole('button', { name: 'そちらを切断して接続' }).waitFor();
    expect(await panel().locator('.error-note.conflict').textContent()).toContain('「Office」');
    await shot(page, 'connection-view-route-conflict-ja');
    await setLanguage(stack, page, 'en');
    await panel().getByRole('button', { name: 'Disconnect it and connect' }).click();
    await stateWords(page).filter({ hasText: /^Connected$/ }).waitFor({ timeout: 60_000 });
    const listed = await stack.services.handlers['profiles:list']({});
    if (!listed.ok) throw new Error(listed.error.message.en);
    const idOf = (name: string) => listed.value.profiles.find((p) => p.name === name)?.id;
    const statusOf = (name: string) => stack.services.connections.connections().find((c) => c.profileId === idOf(name))?.state.status;
    await expect.poll(() => statusOf('Office')).toBe('disconnected');
    expect(statusOf('Office copy')).toBe('connected');
    await shot(page, 'connection-view-swapped');
  });

  for (const language of ['en', 'ja'] as const) {
    it(`lays out at 1280, 900 and 700 px (${language})`, async () => {
      await setLanguage(stack, page, language);
      for (const width of [1280, 900, 700]) {
        await page.setViewportSize({ width, height: 900 });
        await page.waitForTimeout(200);
        const layout = await page.evaluate(() => {
          const list = document.querySelector('.profile-list')?.getBoundingClientRect();
          const lineCount = (el: Element) => {
            const style = getComputedStyle(el);
            const lineHeight = Number.parseFloat(style.lineHeight) || Number.parseFloat(style.fontSize) * 1.2;
            return Math.round(el.getBoundingClientRect().height / lineHeight);
          };
          const labels = [...document.querySelectorAll('.profile-row .state-text, .state-words, .stats dt')].map(lineCount);
          return { listWidth: list?.width ?? 0, maxLines: Math.max(...labels), pageWidth: document.documentElement.scrollWidth };
        });
        // No horizontal page scroll; the sidebar gives way at 700 px; no label over two lines.
        expect(layout.pageWidth).toBeLessThanOrEqual(width);
        if (width === 700) expect(layout.listWidth).toBeLessThanOrEqual(230);
        expect(layout.maxLines).toBeLessThanOrEqual(2);
        await shot(page, `connection-view-${width}px-${language}`);
      }
      await page.setViewportSize({ width: 1280, height: 900 });
    });
  }
});

describe.skipIf(!canRun)('connection view (openvpn-userpass): a wrong password is asked again in place', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack('openvpn-userpass');
    browser = await launchBrowser();
    page = await openApp(browser, stack.bridge);
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    await importByChooser(page, { name: basename(lab.profile), text: readFileSync(lab.profile, 'utf8') }, 'Userpass lab');
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  function credentials() {
    const c = stack.lab?.credentials;
    if (!c?.good || !c.bad) throw new Error('the lab exported no credentials');
    return { good: c.good, bad: c.bad };
  }

  const texts = {
    en: { connect: 'Connect Userpass lab', disconnect: 'Disconnect Userpass lab', dialog: 'Sign in to Userpass lab', username: 'Username', password: 'Password', submit: 'Sign in', refused: 'The server did not accept the password. Please enter it again.', connected: /^Connected$/, disconnected: /^Disconnected$/ },
    ja: { connect: 'Userpass lab に接続', disconnect: 'Userpass lab を切断', dialog: 'Userpass lab にサインイン', username: 'ユーザー名', password: 'パスワード', submit: 'サインイン', refused: 'サーバーがパスワードを受け付けませんでした。もう一度入力してください。', connected: /^接続済み$/, disconnected: /^切断されました$/ },
  } as const;

  for (const language of ['en', 'ja'] as const) {
    it(`asks again with the error and the username kept, without pressing Connect (${language})`, async () => {
      await setLanguage(stack, page, language);
      const t = texts[language];
      await page.getByRole('button', { name: t.connect }).click();
      const dialog = page.getByRole('dialog', { name: t.dialog });
      await dialog.waitFor({ timeout: 60_000 });
      await dialog.getByRole('textbox', { name: t.username }).fill(credentials().good.username);
      await dialog.getByLabel(t.password).fill(credentials().bad.password);
      await dialog.getByRole('button', { name: t.submit }).click();
      // The server refuses; the app connects again by itself and the dialog is back with why.
      await dialog.getByText(t.refused).waitFor({ timeout: 60_000 });
      expect(await dialog.getByRole('textbox', { name: t.username }).inputValue()).toBe(credentials().good.username);
      expect(await dialog.getByLabel(t.password).inputValue()).toBe('');
      await expect.poll(() => dialog.getByLabel(t.password).evaluate((el) => el === document.activeElement)).toBe(true);
      await shot(page, `connection-view-password-asked-again-${language}`);
      await dialog.getByLabel(t.password).fill(credentials().good.password);
      await dialog.getByRole('button', { name: t.submit }).click();
      const words = page.getByRole('region', { name: /^(Connection|接続)$/ }).locator('.state-words');
      await words.filter({ hasText: t.connected }).waitFor({ timeout: 60_000 });
      await shot(page, `connection-view-password-then-connected-${language}`);
      await page.getByRole('button', { name: t.disconnect }).click();
      await words.filter({ hasText: t.disconnected }).waitFor({ timeout: 30_000 });
    });
  }
});
