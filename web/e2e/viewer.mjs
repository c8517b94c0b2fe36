// The viewer's part of the walkthrough: a new visitor finds a subscribers' video by a misspelt
// search, is told why it does not play, signs up, subscribes and watches it.

import { checkAccessibility, eventually, registerAtProvider, screenshot, step } from './lib.mjs';

/** `video`: {title, misspelt, planName, thumbnail (whether it has one)}; `viewer`: {email, name,
 *  password}. */
export async function viewerWalkthrough(context, base, video, viewer) {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });

  await step('the viewer app opens', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'Codeflix' }).first().waitFor();
    await page.getByText(video.title).first().waitFor();
    if (video.thumbnail) {
      // The tile shows the uploaded thumbnail, fetched through the gateway.
      const tile = page.locator('.vw-card').filter({ hasText: video.title }).first();
      await eventually('the thumbnail to load', () =>
        tile.locator('img').evaluate((img) => img.complete && img.naturalWidth > 0).catch(() => false),
      );
    }
    await checkAccessibility(page, 'viewer home');
    await screenshot(page, 'viewer-home');
  });

  await step(`a misspelt search ("${video.misspelt}") finds "${video.title}"`, async () => {
    await page.getByLabel('Search videos').fill(video.misspelt);
    await page.getByLabel('Search videos').press('Enter');
    await page.waitForURL(/\/search\?/);
    await page.getByRole('heading', { name: 'Filters' }).waitFor();
    await page.getByRole('link', { name: video.title }).first().waitFor();
    await checkAccessibility(page, 'viewer search');
    await screenshot(page, 'viewer-search');
  });

  await step('the gated video explains why it does not play to a visitor', async () => {
    await page.getByRole('link', { name: video.title }).first().click();
    await page.getByRole('heading', { name: video.title, level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'This video is for subscribers' }).waitFor();
    const playing = await page.locator('video').count();
    if (playing !== 0) throw new Error('a player started for a visitor');
    await checkAccessibility(page, 'viewer video (gated)');
    await screenshot(page, 'viewer-gated');
  });

  const videoUrl = page.url();
  await step('the visitor signs up and comes back to the video, still refused: no plan yet', async () => {
    await page.getByRole('button', { name: 'Sign up' }).first().click();
    await page.getByRole('button', { name: 'Create account' }).waitFor();
    await registerAtProvider(page, viewer);
    await page.waitForURL((url) => url.href.startsWith(videoUrl));
    await page.getByRole('heading', { name: 'Subscribe to watch' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  });

  await step(`the viewer subscribes to ${video.planName} with a test card`, async () => {
    await page.getByRole('link', { name: 'See plans' }).click();
    await page.getByRole('heading', { name: 'Choose your plan' }).waitFor();
    await checkAccessibility(page, 'viewer plans');
    await screenshot(page, 'viewer-plans');
    await page.getByRole('button', { name: `Subscribe to ${video.planName}` }).click();
    await page.getByRole('button', { name: /Pay and subscribe|Start free trial/ }).click();
    await page.getByText(`You are subscribed to ${video.planName}`).waitFor();
  });

  await step('the player reaches playback (readyState 4, time advancing)', async () => {
    await page.goto(videoUrl);
    // The playback side learns of the subscription through Kafka Connect, a moment later.
    await eventually('the player to start', async () => {
      const retry = page.getByRole('button', { name: 'Try again' });
      if (await retry.isVisible()) await retry.click();
      return (await page.locator('video').count()) > 0;
    }, 60_000);
    await page.locator('video').evaluate((v) => {
      v.muted = true;
      return v.play().catch(() => undefined);
    });
    await eventually('the video to have enough data (readyState 4)', () =>
      page.locator('video').evaluate((v) => v.readyState === 4), 30_000);
    const first = await page.locator('video').evaluate((v) => v.currentTime);
    await eventually('the playback time to advance', async () =>
      (await page.locator('video').evaluate((v) => v.currentTime)) > first + 0.5, 20_000);
    await page.getByLabel('Quality').waitFor();
    await checkAccessibility(page, 'viewer video (playing)');
    await screenshot(page, 'viewer-player');
  });

  await step('the viewer app works on a phone-sized screen', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${base}/`);
    await page.getByText(video.title).first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    if (overflow) throw new Error('the home page scrolls sideways at 360 px');
    await checkAccessibility(page, 'viewer home (phone)');
    await screenshot(page, 'viewer-phone');
  });
  await page.close();
}
