// The walkthrough a new user clicks through, in Debian's Chromium against `codeflix up`: the admin
// builds and publishes a video in the console, a visitor finds it, is refused, signs up,
// subscribes and watches it; axe-core checks the main pages on the way.
//
//   BASE=http://127.0.0.1:8000 ADMIN_EMAIL=… ADMIN_PASSWORD=… CLIP=clip.mp4 \
//     [SCREENSHOTS=../docs/screenshots] [THUMBNAIL=poster.png] [POISON_KEY=…] node e2e/walkthrough.mjs
//
// With POISON_KEY, the key of a record the catalog cannot read (the test produces one), the admin
// also finds it among the catalog's dead letters and re-drives it.
//
// cli/tests/it/web.rs runs it under `codeflix up` in CI; it exits non-zero on the first failed
// step or on any serious accessibility violation.

import { accessibilityViolations, contentPolicyViolations, launch, screenshot } from './lib.mjs';
import { adminWalkthrough } from './admin.mjs';
import { viewerWalkthrough } from './viewer.mjs';

const need = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const base = need('BASE').replace(/\/$/, '');
const admin = { email: need('ADMIN_EMAIL'), password: need('ADMIN_PASSWORD') };
const clip = need('CLIP');
const poisonKey = process.env.POISON_KEY;
const thumbnail = process.env.THUMBNAIL;
const unique = Date.now().toString(36);
const catalog = {
  category: 'Drama',
  genre: 'Road movie',
  castMember: 'Fernanda Montenegro',
  plan: 'Premium',
  title: 'Central Station',
  description: 'A retired schoolteacher who writes letters for illiterate people crosses Brazil with a boy.',
};

const browser = await launch();
let failed = false;
try {
  await adminWalkthrough(browser, base, admin, catalog, clip, thumbnail, poisonKey);
  // The viewer is a stranger to the admin: a browser profile of their own.
  await browser.clearCookies();
  await browser.pages()[0]?.evaluate(() => sessionStorage.clear()).catch(() => undefined);
  await viewerWalkthrough(
    browser,
    base,
    { title: catalog.title, misspelt: 'Centrl Staton', planName: catalog.plan, thumbnail: Boolean(thumbnail) },
    { email: `viewer-${unique}@example.com`, name: 'Vera Viewer', password: `pw-${unique}-long-enough` },
  );
} catch (error) {
  failed = true;
  process.stderr.write(`\n${error.stack ?? error}\n`);
  // What the pages showed when it failed.
  for (const [index, page] of browser.pages().entries()) {
    await screenshot(page, `failure-${index}`).catch(() => undefined);
    process.stderr.write(`\npage ${index} (${page.url()}):\n${await page.locator('body').innerText().catch(() => '?')}\n`);
  }
} finally {
  await browser.close();
}
const blocked = contentPolicyViolations();
if (blocked.length > 0) {
  failed = true;
  process.stderr.write(`\nthe Content-Security-Policy blocked:\n${JSON.stringify(blocked, null, 2)}\n`);
}
const violations = accessibilityViolations();
if (violations.length > 0) {
  failed = true;
  process.stderr.write(`\nserious accessibility violations:\n${JSON.stringify(violations, null, 2)}\n`);
}
process.exit(failed ? 1 : 0);
