/**
 * Dev data for trying the web app against a running server (not part of the build or the tests):
 *
 *   LENDBOOK_DEMO=off LENDBOOK_CLOCK=settable LENDBOOK_AUCTION_MIN_DURATION_SEC=30 … npx tsx src/server.ts
 *   npx tsx web/dev/seed.ts http://localhost:3100 ops@example.com operator-password
 *
 * Creates a partner, merchants with order histories (rated by the server's job), their borrowers with
 * open listings, lenders with deposits and bids, one listing that clears into a loan and a repayment.
 * Prints the logins. Then `npx tsx web/dev/bots.ts …` keeps bidding.
 */
import { signedHeaders } from '../../src/security/signature.js';
import { generateHistory, GOOD_MERCHANT } from '../../tests/unit/rating/synthetic.js';

const BASE = process.argv[2] ?? 'http://localhost:3100';
const ADMIN_EMAIL = process.argv[3] ?? 'ops@example.com';
const ADMIN_PASSWORD = process.argv[4] ?? 'operator-password';
const PASSWORD = 'correct horse battery';

async function call<T = unknown>(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${BASE}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

let tsCounter = 0;
async function partner<T = unknown>(key: { keyId: string; secret: string }, method: string, path: string, body?: unknown): Promise<T> {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const ts = Math.floor(Date.now() / 1000) - (tsCounter++ % 200);
  return call<T>(method, path, { ...(body === undefined ? {} : { raw }), headers: signedHeaders(key.keyId, key.secret, raw, ts) });
}

function residentId(seq: number): string {
  const first17 = `11010519850307${String(seq % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * weights[i]!;
  return first17 + '10X98765432'[sum % 11]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const MERCHANTS = [
  { name: '杭州云裳服饰', title: '双11备货：秋冬外套', purpose: '为双11大促采购秋冬外套库存，预计45天内售出。', base: 30_000_000, refund: 0.02, dispute: 0.001, amount: 8_000_000, maxRate: 1400, term: 6, product: 'credit' },
  { name: 'Shenzhen Lumen Electronics', title: 'Inventory: smart lamps for Q4', purpose: 'Stock of 2,000 smart lamps ahead of the holiday season; supplier pays net 30.', base: 18_000_000, refund: 0.04, dispute: 0.004, amount: 5_000_000, maxRate: 1600, term: 12, product: 'credit' },
  { name: '成都川味食品', title: '春节礼盒原料采购', purpose: '采购春节礼盒所需的腊肉与调料原料。', base: 9_000_000, refund: 0.06, dispute: 0.01, amount: 2_000_000, maxRate: 1800, term: 3, product: 'credit' },
  { name: 'Ningbo Home Goods', title: 'Working capital for a new warehouse', purpose: 'Rent deposit and racking for a second warehouse near the port.', base: 12_000_000, refund: 0.08, dispute: 0.015, amount: 3_000_000, maxRate: 2000, term: 9, product: 'credit' },
  { name: '义乌小商品贸易', title: '跨境订单备货', purpose: '为已确认的跨境订单备货，回款周期约60天。', base: 6_000_000, refund: 0.1, dispute: 0.02, amount: 1_000_000, maxRate: 2200, term: 2, product: 'credit' },
  { name: 'Suzhou Silk Studio', title: 'Silk scarves for the spring collection', purpose: 'Raw silk and printing for the spring scarf collection.', base: 22_000_000, refund: 0.03, dispute: 0.002, amount: 6_000_000, maxRate: 1300, term: 18, product: 'credit' },
] as const;

async function main(): Promise<void> {
  const admin = await call<{ token: string }>('POST', '/auth/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  const key = await call<{ keyId: string; secret: string; partnerId: string }>('POST', '/admin/partners', { token: admin.token, body: { name: 'Demo order system' } });
  const asOf = new Date().toISOString().slice(0, 10);
  const stamp = Date.now().toString(36);

  const borrowers: { email: string; token: string; spec: (typeof MERCHANTS)[number]; ref: string }[] = [];
  for (const [i, spec] of MERCHANTS.entries()) {
    const ref = `m-${stamp}-${i}`;
    const history = generateHistory({ ...GOOD_MERCHANT, seed: 1000 + i, asOf, months: 14, baseMonthlySalesMinor: spec.base, refundProbability: spec.refund, disputeProbability: spec.dispute });
    await partner(key, 'PUT', `/partner/merchants/${ref}`, { name: spec.name, legalForm: 'legal_person', openedAt: history.openedAt, category: 'retail' });
    for (let k = 0; k < history.orders.length; k += 4000) {
      const batch = history.orders.slice(k, k + 4000).map((o) => ({ orderId: o.orderId, amountMinor: o.amountMinor, status: o.status, placedAt: `${o.placedAt}T12:00:00Z` }));
      await partner(key, 'POST', `/partner/merchants/${ref}/orders`, { orders: batch });
    }
    if (i === 0) await partner(key, 'POST', '/partner/warehouse-receipts', { receiptId: `wr-${stamp}`, merchantRef: ref, goods: '羊毛大衣', quantity: 1200, valueMinor: 30_000_000 });
    const { inviteCode } = await partner<{ inviteCode: string }>(key, 'POST', `/partner/merchants/${ref}/invites`, {});
    const email = `borrower${i + 1}-${stamp}@example.com`;
    const reg = await call<{ token: string }>('POST', '/auth/register', { body: { email, password: PASSWORD, role: 'borrower', displayName: spec.name, inviteCode } });
    borrowers.push({ email, token: reg.token, spec, ref });
    console.log(`merchant ${spec.name}: ${history.orders.length} orders`);
  }

  // wait for the rating jobs
  for (let tries = 0; tries < 60; tries++) {
    const rated = await Promise.all(borrowers.map((b) => call('GET', '/me/rating', { token: b.token }).then(() => true, () => false)));
    if (rated.every(Boolean)) break;
    await sleep(1000);
  }

  const lenders: { email: string; token: string }[] = [];
  for (let i = 0; i < 12; i++) {
    const email = `lender${i + 1}-${stamp}@example.com`;
    const reg = await call<{ token: string }>('POST', '/auth/register', { body: { email, password: PASSWORD, role: 'lender', displayName: `Lender ${i + 1}` } });
    await call('PUT', '/me/kyc', { token: reg.token, body: { legalName: `出借人${i + 1}`, idNumber: residentId(Number(stamp.slice(-3).replace(/\D/g, '1')) + i * 7), riskProfile: 'aggressive' } });
    await call('POST', '/wallet/deposits', { token: reg.token, body: { amountMinor: 20_000_000 + i * 1_000_000 }, headers: { 'idempotency-key': `seed-${stamp}-${i}` } });
    lenders.push({ email, token: reg.token });
  }

  const listings: string[] = [];
  for (const [i, b] of borrowers.entries()) {
    const rating = await call<{ grade: string; creditLeftMinor: number; eligible: boolean }>('GET', '/me/rating', { token: b.token });
    if (!rating.eligible) {
      console.log(`${b.spec.name}: grade ${rating.grade}, not eligible`);
      continue;
    }
    const amountMinor = Math.min(b.spec.amount, Math.floor(rating.creditLeftMinor / 100_000) * 100_000);
    if (amountMinor < 100_000) continue;
    // the first listing is short: it clears into a loan while you watch
    const durationSec = i === 0 ? 45 : 1800 + i * 1500;
    const l = await call<{ id: string }>('POST', '/listings', {
      token: b.token,
      headers: { 'idempotency-key': `seed-l-${stamp}-${i}` },
      body: { title: b.spec.title, purpose: b.spec.purpose, amountMinor, termMonths: b.spec.term, maxRateBps: b.spec.maxRate, repayment: i % 3 === 1 ? 'equal_principal' : 'equal_installment', product: 'credit', durationSec, ...(i === 3 ? { minFundingPct: 70, pricing: 'pay_as_bid' } : {}) },
    });
    listings.push(l.id);
    console.log(`listing ${l.id} ${b.spec.title} grade ${rating.grade} ¥${amountMinor / 100}`);
  }

  // bids: a few per listing, rates spread under the max
  let n = 0;
  for (const [li, id] of listings.entries()) {
    const detail = await call<{ amountMinor: number; maxRateBps: number }>('GET', `/listings/${id}`);
    const count = li === 0 ? 6 : 2 + (li % 4);
    for (let k = 0; k < count; k++) {
      const lender = lenders[(li * 3 + k) % lenders.length]!;
      const share = li === 0 ? Math.ceil(detail.amountMinor / 5 / 100_000) * 100_000 : Math.max(100_000, Math.floor((detail.amountMinor * (8 + ((k * 7) % 17))) / 100 / 100_000) * 100_000);
      const rateBps = detail.maxRateBps - 40 - ((k * 37 + li * 11) % 300);
      try {
        await call('POST', `/listings/${id}/bids`, { token: lender.token, body: { amountMinor: Math.min(share, detail.amountMinor), rateBps }, headers: { 'idempotency-key': `seed-b-${stamp}-${n++}` } });
      } catch (err) {
        console.log(`bid refused: ${(err as Error).message.slice(0, 120)}`);
      }
    }
  }

  console.log('\nLogins (password for all but the operator: "correct horse battery"):');
  console.log(`  operator  ${ADMIN_EMAIL} / ${ADMIN_PASSWORD}`);
  console.log(`  lender    ${lenders[0]!.email}`);
  console.log(`  lender    ${lenders[1]!.email}`);
  console.log(`  borrower  ${borrowers[0]!.email}  (its listing ${listings[0]} ends in 45 s)`);
  console.log(`  borrower  ${borrowers[1]!.email}`);
  await import('node:fs').then((fs) =>
    fs.writeFileSync('/tmp/lbdev-seed.json', JSON.stringify({ base: BASE, lenders, borrowers: borrowers.map((b) => ({ email: b.email, token: b.token, ref: b.ref })), listings, partner: key }, null, 2)),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
