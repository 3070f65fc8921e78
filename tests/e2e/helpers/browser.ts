import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const repo = fileURLToPath(new URL('../../..', import.meta.url));
/** Screenshots and other artifacts of the e2e run (git-ignored). */
export const ARTIFACTS = path.join(repo, 'test-results', 'e2e');

/** Headless Debian Chromium with the flags of STACK.md. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A fresh context (its own cookies and storage: another user) at desktop size, English. */
export async function newContext(browser: Browser, opts: { locale?: string; width?: number; height?: number } = {}): Promise<BrowserContext> {
  const ctx = await browser.newContext({ locale: opts.locale ?? 'en-US', viewport: { width: opts.width ?? 1280, height: opts.height ?? 860 } });
  ctx.setDefaultTimeout(15_000);
  return ctx;
}

/** Collects page errors and console errors of a page, for the assertion at the end of a test. */
export function watchErrors(page: Page, into: string[], name = 'page', ignore: RegExp[] = []): void {
  page.on('pageerror', (e) => into.push(`${name}: pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (ignore.some((r) => r.test(text))) return;
    into.push(`${name}: console.error: ${text}`);
  });
}

export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** The README's screenshots: an artifact copied to docs/screenshots/<name>.png. */
export function publish(file: string, name: string): void {
  const dir = path.join(repo, 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  copyFileSync(file, path.join(dir, `${name}.png`));
}

/** A new context logged in as `email` through the login form, its errors collected into `errors`. */
export async function loginPage(browser: Browser, appUrl: string, email: string, password: string, errors: string[], name: string, opts: { locale?: string; width?: number; ignore?: RegExp[] } = {}): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await newContext(browser, { height: 900, ...(opts.width ? { width: opts.width } : {}), ...(opts.locale ? { locale: opts.locale } : {}) });
  const page = await ctx.newPage();
  watchErrors(page, errors, name, opts.ignore ?? []);
  await page.goto(`${appUrl}/#/login`);
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('logout').waitFor();
  return { ctx, page };
}
