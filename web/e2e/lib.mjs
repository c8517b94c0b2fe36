// What the browser tests share: Debian's Chromium driven by playwright-core (never a downloaded
// browser), accessibility checks with axe-core inside the page, screenshots, and signing in at the
// identity provider's pages.

import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Chromium with the flags this machine needs (no background networking, no sandbox as root). */
export async function launch() {
  const executablePath = process.env.CODEFLIX_CHROMIUM || '/usr/bin/chromium';
  const profile = mkdtempSync(join(tmpdir(), 'codeflix-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  // Anything the pages' Content-Security-Policy blocks is a bug: collect it for the run's end.
  await context.exposeFunction('reportPolicyViolation', (violation) => policyViolations.push(violation));
  // axe-core in every page from its start: an inline <script> added later would be refused by
  // the pages' Content-Security-Policy (init scripts come from the browser, not the page).
  await context.addInitScript({ content: axeSource });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      // eslint-disable-next-line no-undef
      reportPolicyViolation({ page: location.pathname, directive: e.violatedDirective, blocked: e.blockedURI });
    });
  });
  return context;
}

const policyViolations = [];

/** What the Content-Security-Policy blocked during the run. */
export function contentPolicyViolations() {
  return policyViolations;
}

/** A step's name and how long it took, on standard error (the Rust test shows it on failure). */
export async function step(name, action) {
  const started = Date.now();
  process.stderr.write(`- ${name} … `);
  try {
    const result = await action();
    process.stderr.write(`ok (${Date.now() - started} ms)\n`);
    return result;
  } catch (error) {
    process.stderr.write('FAILED\n');
    throw new Error(`${name}: ${error.message}`, { cause: error });
  }
}

const violations = [];

/** Runs axe-core on the page; serious and critical violations are collected and fail the run. */
export async function checkAccessibility(page, name) {
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const run = await axe.run(document, { resultTypes: ['violations'] });
    return run.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of serious) violations.push({ page: name, ...v });
  process.stderr.write(`  axe ${name}: ${result.length} violation(s), ${serious.length} serious\n`);
  return result;
}

export function accessibilityViolations() {
  return violations;
}

/** A screenshot into `SCREENSHOTS` (when set), named for the page. */
export async function screenshot(page, name) {
  const dir = process.env.SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
}

/** Signs in at the provider's page the app sent the browser to. */
export async function signInAtProvider(page, email, password) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Creates an account at the provider's registration page. */
export async function registerAtProvider(page, { email, name, password }) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password again').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** Waits until `check` holds, polling; `what` names it in the failure. */
export async function eventually(what, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not happen within ${timeoutMs / 1000} s${last ? `: ${last.message}` : ''}`);
}
