/**
 * IKEv2/IPsec through the whole app (issue 13), against the lab's strongSwan responders, in
 * English and Japanese: the ikev2-cert profile chosen with its CA, certificate and key is one
 * review (IKEv2 badge, the IKE/tunnel-mode note, no key on screen), saved, exported as
 * .swanctl.conf, connected (tunnel address, bytes and graph from a known ping), disconnected with
 * nothing left; an IKEv1 profile is badged IKEv1 in the list and the details; ikev2-eap asks the
 * password in the credentials dialog, again in place when refused, and a stored wrong password
 * ends in the EAP-failed state; ikev2-psk with a wrong key ends in "authentication failed".
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGES } from '../../electron/helper/drivers/ikev2/failures.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { diffHost, ikeTunnelResidue, pingUntil, snapshotHost, writeIkeVariant, type HostSnapshot } from '../lab/index.js';
import { readIkeProfile } from '../lab/ikev2-client.js';
import { renderClientSwanctlConf } from '../lab/ikev2.js';
import { canRun, launchBrowser, openApp, shot, startStack, stateWords, type Stack } from './harness.js';
import { chooseTogether, ikeLabFiles, type ChosenFile } from './profiles.js';

/** Known traffic: ICMP payload bytes and echoes per second. */
const PAYLOAD = 1000;
const PER_SECOND = 10;
/** What the CHILD_SA's counters see per echo, each way: the inner IPv4 packet (20 IP + 8 ICMP + payload). */
const EXPECTED = (20 + 8 + PAYLOAD) * PER_SECOND;

const JA = {
  importButton: 'インポート…',
  importDialog: 'プロファイルのインポート',
  chooseFiles: 'ファイルを選択…',
  review: '保存する前に確認してください',
};

const panel = (page: Page) => page.getByRole('region', { name: /^(Connection|接続)$/ });

/** Switches the UI language in Settings, as a user does, and comes back to the profiles. */
async function switchLanguage(page: Page, to: 'en' | 'ja'): Promise<void> {
  const nav = page.getByRole('navigation');
  await nav.getByRole('button', { name: to === 'ja' ? 'Settings' : '設定' }).click();
  const radio = page.getByRole('radio', { name: to === 'ja' ? '日本語' : 'English', exact: true });
  await radio.click();
  await expect.poll(() => radio.isChecked()).toBe(true);
  await nav.getByRole('button', { name: to === 'ja' ? 'プロファイル' : 'Profiles' }).click();
  expect(await page.locator('html').getAttribute('lang')).toBe(to);
}

async function saveAs(review: Locator, page: Page, name: string, field = 'Name', save = 'Save profile'): Promise<void> {
  await review.getByRole('textbox', { name: field }).fill(name);
  await review.getByRole('button', { name: save }).click();
  await review.waitFor({ state: 'detached' });
  await page.getByRole('heading', { name, level: 1 }).waitFor();
}

async function graphRates(page: Page): Promise<{ rateIn: number[]; rateOut: number[] }> {
  const figure = panel(page).locator('figure.graph');
  const read = async (name: string) => ((await figure.getAttribute(name)) ?? '').split(' ').filter(Boolean).map(Number);
  return { rateIn: await read('data-rates-in'), rateOut: await read('data-rates-out') };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The byte count a stats row shows ("12.3 kB" → 12300). */
async function shownBytes(page: Page, label: string): Promise<number> {
  const text = (await panel(page).locator('.stats div', { hasText: label }).locator('dd').textContent()) ?? '';
  const m = /^([\d.,]+)\s*(B|kB|MB|GB)$/.exec(text.trim());
  if (!m) throw new Error(`not a byte count: '${text}'`);
  const scale = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[m[2] as 'B' | 'kB' | 'MB' | 'GB'];
  return Number((m[1] ?? '').replace(/,/g, '')) * scale;
}

let host: HostSnapshot;
beforeAll(() => {
  host = snapshotHost();
});
afterAll(() => {
  // Every stack of this file is down by now: the host's routes, rules and resolv.conf are as found.
  expect(diffHost(host, snapshotHost())).toEqual([]);
});

describe.skipIf(!canRun)('IKEv2 with certificates (ikev2-cert): import with companions, connect, traffic, export', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let files: ChosenFile[];
  let keyLines: string[];

  beforeAll(async () => {
    stack = await startStack('ikev2-cert');
    browser = await launchBrowser();
    page = await openApp(browser, stack.bridge);
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    files = ikeLabFiles(lab);
    const key = files.find((f) => f.name === 'client.key');
    if (!key) throw new Error('the lab wrote no client.key');
    // An EC key holds its public key too, which the certificate (shown) carries: only the lines not in it.
    const cert = files.find((f) => f.name === 'client.pem')?.buffer.toString('utf8').replace(/\s/g, '') ?? '';
    keyLines = key.buffer.toString('utf8').split('\n').filter((l) => l && !l.startsWith('-----') && !cert.includes(l.slice(0, 20)));
    expect(keyLines.length).toBeGreaterThan(0);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function noKeyOnScreen(): Promise<void> {
    const shown = (await page.locator('body').innerText()) + (await page.content());
    for (const line of keyLines) expect(shown).not.toContain(line.slice(0, 20));
    expect(shown).not.toContain('PRIVATE KEY');
  }

  it('the profile and its CA, certificate and key chosen together are one review: IKEv2, the IKE and tunnel-mode note, no key', async () => {
    const review = await chooseTogether(page, files);
    expect(await review.locator('article.review-item').count()).toBe(1);
    expect(await review.getByRole('heading', { level: 3 }).allTextContents()).toEqual(['client.swanctl.conf']);
    expect(await review.locator('.badge').allTextContents()).toEqual(['IKEv2']);
    const note = review.getByRole('complementary', { name: 'About IPsec profiles' });
    expect(await note.textContent()).toContain('This profile uses IKEv2, the current version of the key exchange');
    expect(await note.textContent()).toContain('Tunnel mode: each packet for the networks this profile sends through the VPN is wrapped whole');
    await review.getByText(/^Files included in the profile: (?=.*ca\.pem)(?=.*client\.pem)(?=.*client\.key)/).waitFor();
    // Named after the file without its whole extension (.swanctl.conf).
    expect(await review.getByRole('textbox', { name: 'Name' }).inputValue()).toBe('client');
    await noKeyOnScreen();
    await shot(page, 'ikev2-review-en');
    await saveAs(review, page, 'Lab IKEv2');
    // The list row and the details header badge it as the review did.
    expect(await page.locator('.profile-row .badge').allTextContents()).toEqual(['IKEv2']);
    expect(await page.locator('.pane-header .badge').allTextContents()).toEqual(['IKEv2']);
    await noKeyOnScreen();
  });

  it('connects: the tunnel address, bytes growing with a ping to the protected host, the graph at the true rate', async () => {
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    await page.getByRole('button', { name: 'Connect Lab IKEv2' }).click();
    await stateWords(page).filter({ hasText: /^Connected$/ }).waitFor({ timeout: 30_000 });
    const tunnelIp = panel(page).locator('.stats div', { hasText: 'Tunnel IP address' }).locator('dd');
    await expect.poll(() => tunnelIp.textContent(), { timeout: 10_000 }).toMatch(/^198\.18\.10\.\d+$/);
    expect(await pingUntil(lab.clientNetns, lab.protectedHostIp, 10_000)).toBe(true);
    const before = { in: await shownBytes(page, 'Received'), out: await shownBytes(page, 'Sent') };
    const ping = spawn('ip', ['netns', 'exec', lab.clientNetns, 'ping', '-q', '-i', String(1 / PER_SECOND), '-s', String(PAYLOAD), '-c', String(PER_SECOND * 9), lab.protectedHostIp], { stdio: 'ignore' });
    try {
      await page.waitForTimeout(7000);
      const { rateIn, rateOut } = await graphRates(page);
      // The last seconds are steady traffic; the newest one may be partial. (A second now and then
      // holds one echo less: the median takes it.)
      const steadyIn = rateIn.slice(-5, -1);
      const steadyOut = rateOut.slice(-5, -1);
      expect(Math.abs(median(steadyIn) - EXPECTED) / EXPECTED).toBeLessThan(0.1);
      expect(Math.abs(median(steadyOut) - EXPECTED) / EXPECTED).toBeLessThan(0.1);
      for (const v of [...rateIn, ...rateOut]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(EXPECTED * 1.5);
      }
      const after = { in: await shownBytes(page, 'Received'), out: await shownBytes(page, 'Sent') };
      // Five seconds and more of the ping at least, each way.
      expect(after.in - before.in).toBeGreaterThan(EXPECTED * 5);
      expect(after.out - before.out).toBeGreaterThan(EXPECTED * 5);
      await shot(page, 'ikev2-connected-en');
      await switchLanguage(page, 'ja');
      await panel(page).locator('.state-words').filter({ hasText: /^接続済み$/ }).waitFor();
      await panel(page).locator('.stats dt', { hasText: '受信' }).first().waitFor();
      await shot(page, 'ikev2-connected-ja');
      await switchLanguage(page, 'en');
    } finally {
      ping.kill();
    }
  });

  it('exports the canonical text as <name>.swanctl.conf, read back as the same IKEv2 profile', async () => {
    await page.getByRole('button', { name: 'Export…' }).click();
    const exportsDir = join(stack.dataDir, 'exports');
    await page.getByText(`Exported to ${join(exportsDir, 'Lab IKEv2.swanctl.conf')}.`).waitFor();
    expect(readdirSync(exportsDir)).toEqual(['Lab IKEv2.swanctl.conf']);
    const again = inspectProfile(readFileSync(join(exportsDir, 'Lab IKEv2.swanctl.conf'), 'utf8'), { fileName: 'Lab IKEv2.swanctl.conf' });
    expect(again).toMatchObject({ ok: true, kind: 'ikev2' });
  });

  it('disconnects and leaves nothing of the tunnel in the client namespace', async () => {
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    await page.getByRole('button', { name: 'Disconnect Lab IKEv2' }).click();
    await stateWords(page).filter({ hasText: /^Disconnected$/ }).waitFor({ timeout: 30_000 });
    await expect.poll(() => ikeTunnelResidue(lab.clientNetns), { timeout: 10_000 }).toEqual([]);
  });

  it('Japanese: the review of the same files', async () => {
    await switchLanguage(page, 'ja');
    const review = await chooseTogether(page, files, JA);
    expect(await review.locator('.badge').allTextContents()).toEqual(['IKEv2']);
    const note = review.getByRole('complementary', { name: 'IPsec プロファイルについて' });
    expect(await note.textContent()).toContain('このプロファイルは IKEv2 を使います。');
    expect(await note.textContent()).toContain('トンネルモード：');
    await noKeyOnScreen();
    await shot(page, 'ikev2-review-ja');
    await review.getByRole('button', { name: 'キャンセル' }).click();
    await review.waitFor({ state: 'detached' });
    await switchLanguage(page, 'en');
  });

  it('an IKEv1 profile is badged IKEv1 in the list row and the details header, as in its review', async () => {
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    const v1 = renderClientSwanctlConf({ ...readIkeProfile(lab), version: 1 });
    const review = await chooseTogether(page, ikeLabFiles(lab, v1));
    expect(await review.locator('.badge').allTextContents()).toEqual(['IKEv1']);
    await saveAs(review, page, 'Lab IKEv1');
    expect(await page.locator('.profile-row', { hasText: 'Lab IKEv1' }).locator('.badge').allTextContents()).toEqual(['IKEv1']);
    expect(await page.locator('.profile-row', { hasText: 'Lab IKEv2' }).locator('.badge').allTextContents()).toEqual(['IKEv2']);
    expect(await page.locator('.pane-header .badge').allTextContents()).toEqual(['IKEv1']);
  });
});

describe.skipIf(!canRun)('IKEv2 with EAP (ikev2-eap): the password asked in the credentials dialog', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack('ikev2-eap');
    browser = await launchBrowser();
    page = await openApp(browser, stack.bridge);
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

  it('a profile without the password: asked, asked again in place when wrong (username kept), then connects', async () => {
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    const text = readFileSync(lab.profile, 'utf8');
    const withoutPassword = text.replace(/^ {2}eap-lab \{\n[\s\S]*?^ {2}\}\n/m, '');
    expect(withoutPassword).not.toContain(credentials().good.password);
    await saveAs(await chooseTogether(page, ikeLabFiles(lab, withoutPassword)), page, 'Lab EAP');
    await page.getByRole('button', { name: 'Connect Lab EAP' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign in to Lab EAP' });
    await dialog.waitFor({ timeout: 30_000 });
    // The profile's EAP identity is the username.
    expect(await dialog.getByRole('textbox', { name: 'Username' }).inputValue()).toBe(credentials().good.username);
    await dialog.getByLabel('Password').fill(credentials().bad.password);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    // The reason charon gave (failures.ts MESSAGES), not only the generic retry line.
    await dialog.getByText('The server rejected the user name or password (EAP authentication failed). Please check and try again.').waitFor({ timeout: 30_000 });
    expect(await dialog.getByRole('textbox', { name: 'Username' }).inputValue()).toBe(credentials().good.username);
    expect(await dialog.getByLabel('Password').inputValue()).toBe('');
    await shot(page, 'ikev2-eap-asked-again-en');
    await dialog.getByLabel('Password').fill(credentials().good.password);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await stateWords(page).filter({ hasText: /^Connected$/ }).waitFor({ timeout: 30_000 });
    await expect.poll(() => panel(page).locator('.stats div', { hasText: 'Tunnel IP address' }).locator('dd').textContent()).toMatch(/^198\.18\.10\.\d+$/);
    await page.getByRole('button', { name: 'Disconnect Lab EAP' }).click();
    await stateWords(page).filter({ hasText: /^Disconnected$/ }).waitFor({ timeout: 30_000 });
  });

  it('a wrong password stored in the profile ends in the EAP-failed state with its message', async () => {
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    const variant = writeIkeVariant(lab, { user: credentials().bad });
    await saveAs(await chooseTogether(page, ikeLabFiles(variant)), page, 'Lab EAP stored');
    await page.getByRole('button', { name: 'Connect Lab EAP stored' }).click();
    await stateWords(page).filter({ hasText: /^Could not connect$/ }).waitFor({ timeout: 30_000 });
    const note = panel(page).locator('.error-note');
    expect(await note.locator('p').first().textContent()).toBe(MESSAGES['ikev2-eap-failed'].en);
    expect(await note.locator('code').textContent()).toBe('ikev2-eap-failed');
    await shot(page, 'ikev2-eap-failed-en');
  });
});

describe.skipIf(!canRun)('IKEv2 with a pre-shared key (ikev2-psk): a wrong key shown, in English and Japanese', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack('ikev2-psk');
    browser = await launchBrowser();
    page = await openApp(browser, stack.bridge);
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    const variant = writeIkeVariant(lab, { psk: `${lab.credentials.psk ?? ''}-not-this-one` });
    await saveAs(await chooseTogether(page, ikeLabFiles(variant)), page, 'Lab PSK');
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  for (const language of ['en', 'ja'] as const) {
    it(`ends in "authentication failed" with its message (${language})`, async () => {
      if (language === 'ja') await switchLanguage(page, 'ja');
      const t = language === 'en'
        ? { connect: 'Connect Lab PSK', error: /^Could not connect$/ }
        : { connect: 'Lab PSK に接続', error: /^接続できませんでした$/ };
      await page.getByRole('button', { name: t.connect }).click();
      await panel(page).locator('.state-words').filter({ hasText: t.error }).waitFor({ timeout: 30_000 });
      const note = panel(page).locator('.error-note');
      expect(await note.locator('p').first().textContent()).toBe(MESSAGES['ikev2-auth-failed'][language]);
      expect(await note.locator('code').textContent()).toBe('ikev2-auth-failed');
      await shot(page, `ikev2-psk-auth-failed-${language}`);
    });
  }
});
