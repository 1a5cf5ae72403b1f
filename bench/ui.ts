/**
 * `npm run bench:ui` (root): the UI's side of the numbers.
 *   1. From a helper state event to the DOM showing it (target ≤ 50 ms): a WireGuard lab profile is
 *      connected and disconnected several times through the real services; for each `connection`
 *      AppEvent that reaches the bridge with state connected/disconnected, the time until a
 *      MutationObserver in the page sees the connection panel's words change to it. Same clock
 *      (wall time, sub-millisecond: timeOrigin + performance.now()) on both sides. Median and max.
 *   2. The production renderer bundle, gzipped (target ≤ 300 KB).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundleCli } from '../build/bundle.js';
import { buildRenderer } from '../electron/dev-bridge/index.js';
import type { AppEvent } from '../shared/ipc/app-api.js';
import { launchBrowser, openApp, RENDERER_DIR, startStack, stateWords } from '../test/e2e/harness.js';
import { median } from './stats.js';

const SAMPLES = Number(process.env['BENCH_UI_CYCLES'] ?? 5);
const LABELS: Record<string, string> = { connected: 'Connected', disconnected: 'Disconnected' };

declare global {
  interface Window {
    __stateChanges?: Array<{ at: number; text: string }>;
  }
}

const now = () => performance.timeOrigin + performance.now();

function bundleSize(dir: string): { raw: number; gzip: number; files: string[] } {
  let raw = 0;
  let gzip = 0;
  const files: string[] = [];
  for (const name of readdirSync(join(dir, 'assets'))) {
    if (!/\.(js|css)$/.test(name)) continue;
    const bytes = readFileSync(join(dir, 'assets', name));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
    files.push(name);
  }
  const html = readFileSync(join(dir, 'index.html'));
  return { raw: raw + html.length, gzip: gzip + gzipSync(html, { level: 9 }).length, files };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:ui needs root (lab servers and the helper): sudo npm run bench:ui');
  await bundleCli();
  await buildRenderer(RENDERER_DIR);
  const size = bundleSize(RENDERER_DIR);

  const stack = await startStack('wireguard-split');
  const browser = await launchBrowser();
  try {
    const lab = stack.lab;
    if (!lab) throw new Error('no lab');
    const { handlers, events } = stack.services;
    const prepared = await handlers['profiles:prepare-import']({ source: { kind: 'text', text: readFileSync(lab.profile, 'utf8'), fileName: basename(lab.profile) } });
    if (!prepared.ok) throw new Error(prepared.error.message.en);
    const committed = await handlers['profiles:commit-import']({ importId: prepared.value.importId, names: ['Bench'] });
    if (!committed.ok) throw new Error(committed.error.message.en);
    const id = committed.value.ids[0] ?? '';

    const page = await openApp(browser, stack.bridge);
    await page.getByRole('option', { name: /Bench/ }).click();
    await stateWords(page).waitFor();
    await page.evaluate(() => {
      const changes: Array<{ at: number; text: string }> = [];
      window.__stateChanges = changes;
      const panel = document.querySelector('.connection');
      if (!panel) throw new Error('no connection panel');
      let last = panel.querySelector('.state-words')?.textContent ?? '';
      new MutationObserver(() => {
        const text = panel.querySelector('.state-words')?.textContent ?? '';
        if (text !== last) {
          last = text;
          changes.push({ at: performance.timeOrigin + performance.now(), text });
        }
      }).observe(panel, { childList: true, subtree: true, characterData: true });
    });

    const arrivals: Array<{ at: number; text: string }> = [];
    let previous = 'disconnected';
    const off = events.on((event: AppEvent) => {
      if (event.type !== 'connection' || event.connection.profileId !== id) return;
      // Connection events repeat a state (stats, prompts): only a change of state is a sample.
      const status = event.connection.state.status;
      const label = status !== previous ? LABELS[status] : undefined;
      previous = status;
      if (label) arrivals.push({ at: now(), text: label });
    });
    for (let i = 0; i < SAMPLES; i++) {
      const connected = await handlers['connections:connect']({ id });
      if (!connected.ok) throw new Error(connected.error.message.en);
      await stateWords(page).filter({ hasText: /^Connected$/ }).waitFor({ timeout: 60_000 });
      const disconnected = await handlers['connections:disconnect']({ id });
      if (!disconnected.ok) throw new Error(disconnected.error.message.en);
      await stateWords(page).filter({ hasText: /^Disconnected$/ }).waitFor({ timeout: 60_000 });
    }
    off();
    const changes = await page.evaluate(() => window.__stateChanges ?? []);
    const latencies: number[] = [];
    for (const arrival of arrivals) {
      const shown = changes.find((c) => c.text === arrival.text && c.at >= arrival.at - 1);
      if (shown) latencies.push(Math.max(0, shown.at - arrival.at));
    }
    const result = {
      eventToDom: { samples: latencies.length, medianMs: Number(median(latencies).toFixed(1)), maxMs: Number(Math.max(...latencies).toFixed(1)), targetMs: 50 },
      bundle: { gzipKB: Number((size.gzip / 1024).toFixed(1)), rawKB: Number((size.raw / 1024).toFixed(1)), targetGzipKB: 300, files: size.files },
    };
    console.log(`helper state event → DOM: median ${result.eventToDom.medianMs} ms, max ${result.eventToDom.maxMs} ms over ${latencies.length} samples (target ≤ 50 ms)`);
    console.log(`renderer bundle: ${result.bundle.gzipKB} KB gzipped, ${result.bundle.rawKB} KB raw (target ≤ 300 KB gzipped)`);
    console.log(JSON.stringify(result));
    if (result.eventToDom.medianMs > 50 || result.bundle.gzipKB > 300) process.exitCode = 1;
  } finally {
    await browser.close();
    await stack.stop();
  }
}

await main();
