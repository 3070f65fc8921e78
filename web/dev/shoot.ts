/**
 * Screenshots of the app's views in headless Chromium, desktop and phone width, with every console
 * error and page error printed (dev tool, not part of the build or the tests):
 *
 *   npx tsx web/dev/shoot.ts [base] [outDir] [role:email] [route…]
 *   e.g. npx tsx web/dev/shoot.ts http://localhost:3100 /tmp/shots lender:lender1-…@example.com market listing/lst_… portfolio
 */
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.argv[2] ?? 'http://localhost:3100';
const out = process.argv[3] ?? '/tmp/shots';
const who = process.argv[4] ?? 'anonymous';
const routes = process.argv.slice(5);
const password = process.env.SHOOT_PASSWORD ?? 'correct horse battery';
const locale = process.env.SHOOT_LOCALE ?? 'en';
const widths = (process.env.SHOOT_WIDTHS ?? '1440,390').split(',').map(Number);

mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let problems = 0;
try {
  for (const width of widths) {
    const phone = width < 600;
    const context = await browser.newContext({ viewport: { width, height: phone ? 844 : 900 }, deviceScaleFactor: phone ? 2 : 1, locale: locale === 'zh' ? 'zh-CN' : 'en-US' });
    await context.addInitScript(
      ([l, loggedIn]) => {
        localStorage.setItem('lendbook.locale', l);
        if (loggedIn) localStorage.setItem('lendbook.session', '1');
      },
      [locale, who !== 'anonymous'] as const,
    );
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') {
        problems++;
        console.log(`[${width}] console.${msg.type()}: ${msg.text()}`);
      }
    });
    page.on('pageerror', (err) => {
      problems++;
      console.log(`[${width}] pageerror: ${err.message}`);
    });
    if (who !== 'anonymous') {
      const email = who.slice(who.indexOf(':') + 1);
      const res = await page.request.post(`${base}/api/v1/auth/login`, { data: { email, password: email.startsWith('ops@') ? 'operator-password' : password } });
      if (!res.ok()) throw new Error(`login failed: ${res.status()} ${await res.text()}`);
    }
    for (const route of routes) {
      await page.goto(`${base}/#/${route}`, { waitUntil: 'networkidle' });
      await page.waitForTimeout(Number(process.env.SHOOT_WAIT_MS ?? 1800));
      const file = `${out}/${who.split(':')[0]}-${route.replace(/[^a-z0-9]+/gi, '_').slice(0, 40)}-${width}.png`;
      await page.screenshot({ path: file, fullPage: process.env.SHOOT_FULL !== '0' });
      console.log(file);
    }
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(`${problems} console problems`);
