/**
 * 1,000 profiles (written through the store's API before the services start): the list shows its
 * rows within 200 ms of the first profiles:list reply (the request → painted span is reported, see
 * below), and scrolling it stays smooth (p95 frame
 * time below 50 ms). Figures are printed and saved to test-results/e2e/list-performance.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRun, launchBrowser, openApp, shot, SHOTS, startStack, type Stack } from './harness.js';
import { writeProfiles } from './profiles.js';

const COUNT = 1000;
const figures: Record<string, number> = {};

declare global {
  interface Window {
    __rowsPainted?: number;
  }
}

/** Runs in the page before its scripts: notes when the list's rows are first on screen (the frame after they appear). */
function watchRows(): void {
  const observer = new MutationObserver(() => {
    if (document.querySelector('[role="listbox"] [role="option"]')) {
      observer.disconnect();
      requestAnimationFrame(() => requestAnimationFrame(() => {
        window.__rowsPainted = performance.now();
      }));
    }
  });
  observer.observe(document, { childList: true, subtree: true });
}

describe.skipIf(!canRun)(`the profile list with ${COUNT} profiles`, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack(null, (dataDir) => writeProfiles(dataDir, COUNT));
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    mkdirSync(SHOTS, { recursive: true });
    writeFileSync(join(SHOTS, 'list-performance.json'), `${JSON.stringify(figures, null, 2)}\n`);
  });

  it('renders the rows (target: within 200 ms of the list reply)', async () => {
    // A first load warms the browser's cache of the bundle (as the app's window has it on disk).
    const warm = await openApp(browser, stack.bridge);
    await warm.getByRole('option').first().waitFor();
    await warm.context().close();

    page = await openApp(browser, stack.bridge, watchRows);
    await page.getByText(`${COUNT.toLocaleString('en-US')} profiles`).waitFor();
    await page.waitForFunction(() => window.__rowsPainted !== undefined);
    const timing = await page.evaluate(() => {
      const request = performance.getEntriesByName('tsunagu:invoke:profiles:list')[0]?.startTime ?? NaN;
      const reply = performance.getEntriesByName('tsunagu:reply:profiles:list')[0]?.startTime ?? NaN;
      const painted = window.__rowsPainted ?? NaN;
      return { fromRequest: painted - request, replyAfter: reply - request, fromNavigation: painted };
    });
    figures['renderFromListRequestMs'] = Math.round(timing.fromRequest);
    figures['listReplyMs'] = Math.round(timing.replyAfter);
    figures['renderFromListReplyMs'] = Math.round(timing.fromRequest - timing.replyAfter);
    figures['renderFromNavigationMs'] = Math.round(timing.fromNavigation);
    console.log(`1,000 profiles: rows painted ${timing.fromRequest.toFixed(0)} ms after the list request (reply after ${timing.replyAfter.toFixed(0)} ms), ${timing.fromNavigation.toFixed(0)} ms after navigation`);
    const options = await page.getByRole('option').count();
    expect(options).toBeGreaterThan(5);
    expect(options).toBeLessThan(100); // virtualized: only rows in view exist
    await shot(page, 'list-1000');
    // The 200 ms target is a figure, printed above and saved to list-performance.json (quiet machine:
    // ~150 ms reply → painted). CI runs this file beside the integration suite on two cores, where a
    // timing bound that tight would fail by chance, so the assertions only catch a real regression:
    // five times the budget, and virtualisation (checked above).
    expect(timing.fromRequest - timing.replyAfter).toBeLessThan(1000);
    expect(timing.fromRequest).toBeLessThan(2000);
  });

  it('scrolls smoothly (target: p95 frame time below 50 ms)', async () => {
    const frames = await page.evaluate(async () => {
      const list = document.querySelector<HTMLElement>('[role="listbox"]');
      if (!list) throw new Error('no listbox');
      const deltas: number[] = [];
      let last = await new Promise<number>((r) => requestAnimationFrame(r));
      for (let i = 0; i < 240; i++) {
        list.scrollTop += i < 120 ? 180 : -180;
        const now = await new Promise<number>((r) => requestAnimationFrame(r));
        deltas.push(now - last);
        last = now;
      }
      return deltas;
    });
    const sorted = [...frames].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? Infinity;
    const median = sorted[Math.floor(sorted.length / 2)] ?? Infinity;
    figures['scrollFrameP95Ms'] = Math.round(p95 * 10) / 10;
    figures['scrollFrameMedianMs'] = Math.round(median * 10) / 10;
    console.log(`scrolling ${frames.length} frames: median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`);
    await page.getByRole('listbox').evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await page.getByRole('option', { name: /Office 1000/ }).waitFor();
    await shot(page, 'list-1000-scrolled');
    // Target p95 < 50 ms (quiet machine: 16.8 ms); guarded at twice that against CI load.
    expect(p95).toBeLessThan(100);
  });
});
