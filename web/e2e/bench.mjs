// The web apps' budgets in Debian's Chromium (cli/benches/web.rs runs it and writes the figures
// into docs/benchmarks.md): time from navigation to the first video frame of a free video's
// ladder, and the console's video list page, over ROUNDS fresh navigations each. Prints JSON.
//
//   BASE=… VIDEO=<id> ADMIN_EMAIL=… ADMIN_PASSWORD=… ROUNDS=5 node e2e/bench.mjs

import { launch, signInAtProvider } from './lib.mjs';

const base = process.env.BASE.replace(/\/$/, '');
const rounds = Number(process.env.ROUNDS ?? 5);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const browser = await launch();
const result = {};
try {
  // First frame: the moment the <video> has its first frame (loadeddata), from the navigation's
  // start, with a cold page each round (the browser's HTTP cache is cleared in between).
  const frames = [];
  for (let round = 0; round < rounds; round += 1) {
    const page = await browser.newPage();
    const cdp = await browser.newCDPSession(page);
    await cdp.send('Network.clearBrowserCache');
    await page.addInitScript(() => {
      document.addEventListener('loadeddata', () => {
        window.firstFrame ??= performance.now();
      }, true);
    });
    await page.goto(`${base}/videos/${process.env.VIDEO}`);
    await page.waitForFunction(() => window.firstFrame !== undefined, null, { timeout: 30_000 });
    frames.push(await page.evaluate(() => window.firstFrame));
    await page.close();
  }
  result.first_frame_ms = { median: median(frames), all: frames };

  // The console's video list: one tab signed in, then fresh navigations to /admin/videos; the
  // page is ready when its table has rows. Also the list request alone, as the page makes it.
  const page = await browser.newPage();
  await page.goto(`${base}/admin/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signInAtProvider(page, process.env.ADMIN_EMAIL, process.env.ADMIN_PASSWORD);
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
  // Every round from the network, as a first visit (no 304s from the browser's cache).
  const cdp = await browser.newCDPSession(page);
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  // When the first row is in the document, as the page itself sees it (Playwright's polling
  // would add its own interval).
  await page.addInitScript(() => {
    new MutationObserver(() => {
      if (window.rowsAt === undefined && document.querySelector('table tbody tr')) window.rowsAt = performance.now();
    }).observe(document, { subtree: true, childList: true });
  });
  const lists = [];
  const requests = [];
  for (let round = 0; round < rounds; round += 1) {
    await page.goto(`${base}/admin/videos`);
    await page.locator('table tbody tr').first().waitFor();
    lists.push(await page.evaluate(() => window.rowsAt));
    requests.push(await page.evaluate(() => {
      const entry = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/query/admin/videos?'));
      return entry.responseEnd - entry.requestStart;
    }));
  }
  result.console_list_ms = { median: median(lists), all: lists };
  result.console_list_request_ms = { median: median(requests), all: requests };
  result.console_rows = await page.locator('table tbody tr').count();
} finally {
  await browser.close();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
