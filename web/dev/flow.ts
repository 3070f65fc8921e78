/**
 * The outbid flow through the UI, by data-testid (dev check and a starting point for the
 * Playwright e2e tests): two lenders register in two browser contexts, verify and deposit; the first
 * bids and sees its bid in the book; the second outbids it; the first sees the outbid toast and the book
 * change without reloading. Needs an open listing with room: pass its id.
 *
 *   npx tsx web/dev/flow.ts http://localhost:3100 lst_…
 */
import { chromium, type Page } from 'playwright-core';

const base = process.argv[2] ?? 'http://localhost:3100';
const listingId = process.argv[3]!;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

function residentId(seq: number): string {
  const first17 = `11010519800101${String(seq % 1000).padStart(3, '0')}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * w[i]!;
  return first17 + '10X98765432'[sum % 11]!;
}

const errors: string[] = [];
async function lender(n: number): Promise<Page> {
  const ctx = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(`${n}: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`${n}: ${m.text()}`));
  await page.goto(`${base}/#/register`);
  await page.getByTestId('register-name').fill(`Flow lender ${n}`);
  await page.getByTestId('register-email').fill(`flow${n}-${Date.now().toString(36)}@example.com`);
  await page.getByTestId('register-password').fill('correct horse battery');
  await page.getByTestId('register-submit').click();
  await page.getByTestId('kyc-form').waitFor();
  await page.getByTestId('kyc-name').fill('测试出借人');
  await page.getByTestId('kyc-id').fill(residentId(Math.floor(Math.random() * 900) + n));
  await page.getByTestId('kyc-risk-aggressive').check();
  await page.getByTestId('kyc-submit').click();
  await page.getByTestId('kyc-status').filter({ hasText: /verified/i }).waitFor();
  await page.goto(`${base}/#/wallet`);
  await page.getByTestId('deposit-amount').fill('50000');
  await page.getByTestId('deposit-submit').click();
  await page.getByTestId('wallet-available').filter({ hasText: '¥50,000.00' }).waitFor();
  await page.getByTestId('connection-state').and(page.locator('[data-state="open"]')).waitFor();
  return page;
}

try {
  const a = await lender(1);
  const b = await lender(2);
  for (const p of [a, b]) await p.goto(`${base}/#/listing/${listingId}`);
  await a.getByTestId('bid-ticket').waitFor();
  const marginalText = await a.getByTestId('current-rate').textContent();
  console.log('current rate', marginalText);
  // A bids ¥1,000 at a rate it knows wins now
  await a.getByTestId('bid-amount').fill('1000');
  const rateA = await a.getByTestId('bid-rate').inputValue();
  console.log('A bids at', rateA, 'preview', await a.getByTestId('bid-preview').getAttribute('data-verdict'));
  await a.getByTestId('bid-submit').click();
  await a.getByTestId('book-row-mine').waitFor({ timeout: 10_000 });
  console.log('A sees its bid in the book');
  // B outbids with the whole remaining amount at a lower rate when the book is covered, or pushes A out otherwise
  const rowsBefore = await a.getByTestId('book-row').count();
  await b.getByTestId('bid-amount').fill('45000');
  const rateB = (Number(rateA) - 0.5).toFixed(2);
  await b.getByTestId('bid-rate').fill(rateB);
  console.log('B bids at', rateB, 'preview', await b.getByTestId('bid-preview').getAttribute('data-verdict'));
  await b.getByTestId('bid-submit').click();
  const toast = a.getByTestId('toast').and(a.locator('[data-kind="outbid"]'));
  await toast.waitFor({ timeout: 15_000 }).then(
    async () => console.log('A sees the outbid toast:', (await toast.textContent())?.replace(/\s+/g, ' ')),
    () => console.log('A saw no outbid toast (B did not push A out of the winning set)'),
  );
  console.log('book rows for A: before', rowsBefore, 'after', await a.getByTestId('book-row').count());
  await a.screenshot({ path: '/tmp/flow-a.png' });
} finally {
  await browser.close();
}
console.log(errors.length ? `errors:\n${errors.join('\n')}` : 'no page errors');
