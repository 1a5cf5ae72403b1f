/**
 * "New WireGuard tunnel" through the whole app, against the lab's WireGuard server: the user fills
 * in what the administrator gave (the lab server's endpoint, public key and networks), a wrong key
 * is explained under its field, the [Peer] block is copied and the administrator adds it to the
 * server (`wg set … peer …` in the server's namespace), then the new profile connects and a ping
 * goes through. The same dialog in Japanese: the error and the block's explanation.
 */
import type { Browser, Page } from 'playwright';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { formatEndpoint } from '../../shared/profiles/wireguard/writer.js';
import { ADDR, ping, run } from '../lab/index.js';
import { canRun, launchBrowser, openApp, shot, startStack, stateWords, type Stack } from './harness.js';

/** A tunnel address the lab server's own configuration does not know (its client is .2). */
const NEW_CLIENT_IP = '198.18.9.3';

interface ServerFacts {
  endpoint: string;
  publicKey: string;
  allowedIPs: string;
}

/** What a server administrator tells a new user, read off the lab's own client profile. */
function serverFacts(profilePath: string): ServerFacts {
  const inspected = inspectProfile(readFileSync(profilePath, 'utf8'), { kind: 'wireguard' });
  if (!inspected.ok || inspected.kind !== 'wireguard') throw new Error('lab profile refused');
  const peer = inspected.profile.peers[0];
  if (!peer?.endpoint) throw new Error('lab profile has no endpoint');
  return { endpoint: formatEndpoint(peer.endpoint), publicKey: peer.publicKey, allowedIPs: peer.allowedIPs.join(', ') };
}

async function setLanguage(stack: Stack, page: Page, language: 'en' | 'ja'): Promise<void> {
  const changed = await stack.services.handlers['settings:set']({ language });
  if (!changed.ok) throw new Error(changed.error.message.en);
  await expect.poll(() => page.locator('html').getAttribute('lang')).toBe(language);
}

describe.skipIf(!canRun)('New WireGuard tunnel (wireguard-split) in the browser UI', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let facts: ServerFacts;

  beforeAll(async () => {
    stack = await startStack('wireguard-split');
    if (!stack.lab) throw new Error('no lab');
    facts = serverFacts(stack.lab.profile);
    browser = await launchBrowser();
    page = await openApp(browser, stack.bridge);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(stack.bridge.url).origin });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('creates a tunnel, the administrator adds its [Peer] block, and it connects', async () => {
    const lab = stack.lab;
    if (!lab || lab.server.kind !== 'wireguard') throw new Error('no WireGuard lab server');
    // The first profile of all: the button on the empty page.
    await page.getByRole('button', { name: 'New WireGuard tunnel…' }).click();
    const dialog = page.getByRole('dialog', { name: 'New WireGuard tunnel' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Lab tunnel');
    await dialog.getByRole('textbox', { name: 'Your tunnel address' }).fill(`${NEW_CLIENT_IP}/32`);
    await dialog.getByRole('textbox', { name: 'Server address and port' }).fill(facts.endpoint);
    // A key copied without its last characters.
    const serverKey = dialog.getByRole('textbox', { name: "Server's public key" });
    await serverKey.fill(facts.publicKey.slice(0, 40));
    await dialog.getByRole('textbox', { name: 'Networks through the tunnel' }).fill(facts.allowedIPs);
    await dialog.getByRole('textbox', { name: 'Keepalive in seconds (optional)' }).fill('25');
    await dialog.getByRole('button', { name: 'Create tunnel' }).click();
    await expect.poll(() => serverKey.getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => serverKey.evaluate((el) => el === document.activeElement)).toBe(true);
    const problem = dialog.locator('.field-problem');
    expect(await problem.count()).toBe(1);
    expect(await problem.textContent()).toMatch(/^Keys must decode to exactly 32 bytes, but "[^"]+" decodes to 30\. Copy the whole key again/);
    await shot(page, 'new-wireguard-bad-key-en');
    // Nothing was saved.
    expect(await stack.services.handlers['profiles:list']({})).toMatchObject({ ok: true, value: { profiles: [] } });

    await serverKey.fill(facts.publicKey);
    expect(await problem.count()).toBe(0);
    await dialog.getByRole('button', { name: 'Create tunnel' }).click();
    const done = page.getByRole('dialog', { name: 'Tunnel created' });
    await done.waitFor();
    const block = (await done.locator('pre.peer-block').textContent()) ?? '';
    const shown = /^\[Peer\]\n# Lab tunnel\nPublicKey = ([A-Za-z0-9+/]{43}=)\nAllowedIPs = 198\.18\.9\.3\/32\n$/.exec(block);
    expect(shown, block).not.toBeNull();
    const publicKey = shown?.[1] ?? '';
    expect(await done.locator('code.public-key').textContent()).toBe(publicKey);
    expect(await done.textContent()).toContain('Send this block to the server administrator');
    await done.getByRole('button', { name: 'Copy block' }).click();
    await done.getByRole('button', { name: 'Copied' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(block);
    await shot(page, 'new-wireguard-created-en');

    // The private key stayed in main: saved in the profile, never in the page.
    const listed = await stack.services.handlers['profiles:list']({});
    if (!listed.ok) throw new Error('no list');
    const created = listed.value.profiles.find((p) => p.name === 'Lab tunnel');
    expect(created).toMatchObject({ kind: 'wireguard', server: facts.endpoint });
    const details = await stack.services.handlers['profiles:get']({ id: created?.id ?? '' });
    expect(details.ok && details.value.publicKey).toBe(publicKey);

    // The administrator adds the block to the server, from what was copied.
    const key = /PublicKey = (\S+)/.exec(copied)?.[1] ?? '';
    const allowed = /AllowedIPs = (.+)/.exec(copied)?.[1]?.replace(/\s+/g, '') ?? '';
    await run('ip', ['netns', 'exec', lab.serverNetns, 'wg', 'set', lab.server.iface, 'peer', key, 'allowed-ips', allowed]);

    await done.getByRole('button', { name: 'Done' }).click();
    await done.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'Lab tunnel', level: 1 }).waitFor();
    // Made here, not imported (issue 15).
    expect(await page.locator('.profile-meta').textContent()).toMatch(/Created on \S/);
    expect(await page.locator('.profile-meta').textContent()).not.toContain('Imported');
    await page.getByRole('button', { name: 'Connect Lab tunnel' }).click();
    await stateWords(page).filter({ hasText: /^Connected$/ }).waitFor({ timeout: 60_000 });
    const tunnelIp = page.getByRole('region', { name: 'Connection' }).locator('.stats div', { hasText: 'Tunnel IP address' }).locator('dd');
    await expect.poll(() => tunnelIp.textContent(), { timeout: 15_000 }).toContain(NEW_CLIENT_IP);
    expect(await ping(lab.clientNetns, ADDR.wgServer, { count: 3, waitS: 2 })).toBe(true);
    // The server saw this very key complete a handshake.
    const shownOnServer = await run('ip', ['netns', 'exec', lab.serverNetns, 'wg', 'show', lab.server.iface, 'latest-handshakes']);
    const handshake = shownOnServer.stdout.split('\n').find((l) => l.startsWith(key));
    expect(Number(handshake?.split(/\s+/)[1] ?? 0)).toBeGreaterThan(0);
    await shot(page, 'new-wireguard-connected-en');
    await page.getByRole('button', { name: 'Disconnect Lab tunnel' }).click();
    await stateWords(page).filter({ hasText: /^Disconnected$/ }).waitFor({ timeout: 30_000 });
  });

  it('explains a bad key under its field in Japanese, and the block to send', async () => {
    await setLanguage(stack, page, 'ja');
    await page.getByRole('button', { name: '新しい WireGuard トンネル…' }).click();
    const dialog = page.getByRole('dialog', { name: '新しい WireGuard トンネル' });
    await dialog.getByRole('textbox', { name: '名前' }).fill('ラボ 2');
    await dialog.getByRole('textbox', { name: 'あなたのトンネル内アドレス' }).fill('198.18.9.4/32');
    await dialog.getByRole('textbox', { name: 'サーバーのアドレスとポート' }).fill(facts.endpoint);
    const serverKey = dialog.getByRole('textbox', { name: 'サーバーの公開鍵' });
    await serverKey.fill('鍵ではない文字列');
    await dialog.getByRole('textbox', { name: 'トンネル経由でつなぐネットワーク' }).fill(facts.allowedIPs);
    await dialog.getByRole('button', { name: 'トンネルを作成' }).click();
    await expect.poll(() => serverKey.getAttribute('aria-invalid')).toBe('true');
    const problem = dialog.locator('.field-problem');
    expect(await problem.textContent()).toMatch(/^鍵が無効です：「鍵ではない文字列」は base64 の鍵ではありません。/);
    await shot(page, 'new-wireguard-bad-key-ja');

    await serverKey.fill(facts.publicKey);
    await dialog.getByRole('button', { name: 'トンネルを作成' }).click();
    const done = page.getByRole('dialog', { name: 'トンネルを作成しました' });
    await done.waitFor();
    expect(await done.textContent()).toContain('次のブロックをサーバー管理者に');
    expect(await done.locator('pre.peer-block').textContent()).toMatch(/^\[Peer\]\n# ラボ 2\nPublicKey = \S{44}\nAllowedIPs = 198\.18\.9\.4\/32\n$/);
    await done.getByRole('button', { name: 'ブロックをコピー' }).waitFor();
    await shot(page, 'new-wireguard-created-ja');
    await done.getByRole('button', { name: '完了' }).click();
    await page.getByRole('heading', { name: 'ラボ 2', level: 1 }).waitFor();
    await shot(page, 'new-wireguard-list-ja');
    await setLanguage(stack, page, 'en');
  });
});
