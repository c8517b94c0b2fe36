// The admin's part of the walkthrough: sign in to the console, create a category, a genre, a cast
// member, a plan and a subscribers' video, upload its clip, watch it encode, publish it.

import { basename } from 'node:path';
import { checkAccessibility, eventually, screenshot, signInAtProvider, step } from './lib.mjs';

/** `admin`: {email, password}; `catalog`: names; `clip`: path of an mp4; `thumbnail`: path of
 *  an image, when there is one; `poisonKey`: the key of a record the catalog could not read, when
 *  there is one. Answers the video's URL. */
export async function adminWalkthrough(context, base, admin, catalog, clip, thumbnail, poisonKey) {
  const page = await context.newPage();

  await step('the console asks to sign in, and the admin signs in at the provider', async () => {
    await page.goto(`${base}/admin/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await checkAccessibility(page, 'console sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await signInAtProvider(page, admin.email, admin.password);
    await page.waitForURL(`${base}/admin/**`);
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    await screenshot(page, 'console-dashboard');
  });

  const nav = (name) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });

  await step(`a category "${catalog.category}": the empty name is refused beside the field, then created`, async () => {
    await nav('Categories').click();
    await page.getByRole('button', { name: 'New category' }).click();
    await page.getByRole('button', { name: 'Create category' }).click();
    // The API's rule for the field, shown next to it.
    await page.locator('#category-name[aria-invalid="true"]').waitFor();
    await page.getByLabel('Name', { exact: true }).fill(catalog.category);
    await page.getByRole('button', { name: 'Create category' }).click();
    await page.getByRole('cell', { name: catalog.category, exact: true }).waitFor();
    // Found by the start of its name, whatever the case.
    await page.getByLabel('Name starts with').fill(catalog.category.slice(0, 3).toLowerCase());
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await page.getByText(`Names starting with “${catalog.category.slice(0, 3).toLowerCase()}”, A–Z.`).waitFor();
    await page.getByRole('cell', { name: catalog.category, exact: true }).waitFor();
    await checkAccessibility(page, 'console categories');
    await screenshot(page, 'console-categories');
  });

  await step(`a genre "${catalog.genre}" in that category`, async () => {
    await nav('Genres').click();
    await page.getByRole('button', { name: 'New genre' }).click();
    await page.getByLabel('Name', { exact: true }).fill(catalog.genre);
    await page.getByRole('checkbox', { name: catalog.category }).check();
    await page.getByRole('button', { name: 'Create genre' }).click();
    await page.getByRole('cell', { name: catalog.genre, exact: true }).waitFor();
  });

  await step(`a cast member "${catalog.castMember}"`, async () => {
    await nav('Cast members').click();
    await page.getByRole('button', { name: 'New cast member' }).click();
    await page.getByLabel('Name', { exact: true }).fill(catalog.castMember);
    await page.getByRole('button', { name: 'Create cast member' }).click();
    await page.getByRole('cell', { name: catalog.castMember, exact: true }).waitFor();
  });

  await step(`a plan "${catalog.plan}"`, async () => {
    await nav('Plans').click();
    await page.getByRole('button', { name: 'New plan' }).click();
    await page.getByLabel('Name', { exact: true }).fill(catalog.plan);
    await page.getByLabel('Price per period').fill('29.90');
    await page.getByLabel('Currency').fill('BRL');
    await page.getByLabel('Trial (days)').fill('0');
    await page.getByRole('button', { name: 'Create plan' }).click();
    await page.getByRole('cell', { name: catalog.plan, exact: true }).waitFor();
  });

  await step(`a video "${catalog.title}" for subscribers, with its category, genre and cast`, async () => {
    await nav('Videos').click();
    await page.getByRole('link', { name: 'New video' }).click();
    await page.getByLabel('Title').fill(catalog.title);
    await page.getByLabel('Description').fill(catalog.description);
    await page.getByLabel('Launch year').fill('1998');
    await page.getByLabel('Duration (minutes)').fill('113');
    await page.getByLabel('Rating').selectOption('14');
    await page.getByRole('checkbox', { name: catalog.category }).check();
    await page.getByRole('checkbox', { name: catalog.genre }).check();
    await page.getByRole('checkbox', { name: catalog.castMember }).check();
    await screenshot(page, 'console-video-form');
    await page.getByRole('button', { name: 'Create video' }).click();
    await page.getByRole('heading', { name: catalog.title, level: 1 }).waitFor();
    await page.getByText('Draft', { exact: true }).first().waitFor();
  });
  const videoUrl = page.url();

  await step('publishing before the media is encoded is refused with the reason', async () => {
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByRole('alert').filter({ hasText: /encod|media|VIDEO/i }).first().waitFor();
  });

  await step('the clip uploads through tus with a progress bar', async () => {
    const video = page.getByRole('region', { name: 'Video', exact: true });
    // The upload of a small clip is quick: record every progress the bar showed.
    await page.evaluate(() => {
      window.uploadProgress = [];
      new MutationObserver(() => {
        const bar = document.querySelector('progress[aria-label="Uploading the video"]');
        if (bar) window.uploadProgress.push(Number(bar.value) / Number(bar.max));
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await video.getByLabel('Video file').setInputFiles(clip);
    await video.getByText(`Uploaded “${basename(clip)}”`).first().waitFor({ timeout: 60_000 });
    const progress = await page.evaluate(() => window.uploadProgress);
    if (progress.length === 0) throw new Error('no upload progress was shown');
    process.stderr.write(`  progress shown: ${progress.map((p) => `${Math.round(p * 100)}%`).join(', ')}\n`);
  });

  await step('the encoding status goes live to Completed', async () => {
    const video = page.getByRole('region', { name: 'Video', exact: true });
    const seen = new Set();
    await eventually('the video media to be Completed', async () => {
      for (const status of ['Pending', 'Processing', 'Completed', 'Error']) {
        if (await video.getByText(status, { exact: true }).isVisible()) seen.add(status);
      }
      if (seen.has('Error')) throw new Error(`encoding failed: ${await video.innerText()}`);
      return seen.has('Completed');
    }, 180_000);
    process.stderr.write(`  statuses seen: ${[...seen].join(' → ')}\n`);
    await checkAccessibility(page, 'console video');
    await screenshot(page, 'console-video');
  });

  if (thumbnail) {
    await step('a thumbnail uploads and is ready at once (images are not encoded)', async () => {
      const slot = page.getByRole('region', { name: 'Thumbnail', exact: true });
      await slot.getByLabel('Thumbnail file').setInputFiles(thumbnail);
      await slot.getByText(`Uploaded “${basename(thumbnail)}”`).first().waitFor({ timeout: 60_000 });
      await eventually('the thumbnail to be Completed', () => slot.getByText('Completed', { exact: true }).isVisible(), 30_000);
    });
  }

  await step('the admin publishes the video', async () => {
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByRole('button', { name: 'Unpublish' }).waitFor();
    await page.getByText('Published', { exact: true }).first().waitFor();
  });

  await step('the videos list shows it published', async () => {
    await nav('Videos').click();
    await page.getByRole('link', { name: catalog.title }).waitFor();
    await checkAccessibility(page, 'console videos');
    await screenshot(page, 'console-videos');
  });

  if (poisonKey) {
    await step('the catalog set the unreadable record aside; the admin re-drives it', async () => {
      await nav('Dead letters').click();
      const consumers = page.getByRole('region', { name: 'Consumers' });
      await consumers.getByRole('link', { name: 'catalog', exact: true }).click();
      await page.getByLabel('Key').fill(poisonKey);
      await page.getByRole('button', { name: 'Apply filters' }).click();
      const letters = page.getByRole('region', { name: 'Dead letters' });
      await letters.getByText('codeflix.catalog.category.events').waitFor();
      await letters.getByText(/Confluent wire format/).first().waitFor();
      await checkAccessibility(page, 'console dead letters');
      await screenshot(page, 'console-dead-letters');
      await page.getByRole('button', { name: /^Re-drive \d+ waiting of catalog$/ }).click();
      await page.getByRole('button', { name: 'Re-drive', exact: true }).click();
      await page.getByRole('status').filter({ hasText: /Sent \d+ dead letters? back to catalog/ }).waitFor();
      // Still unreadable: the catalog sets it aside again, now from its redrive topic.
      await eventually('the re-driven record to come back as a dead letter', async () => {
        await page.reload();
        await letters.getByText('Re-driven', { exact: true }).first().waitFor();
        return letters.getByText('codeflix.projector.catalog.redrive').isVisible();
      }, 60_000);
    });
  }

  await page.close();
  return videoUrl;
}
