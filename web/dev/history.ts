/**
 * Gives the dev data a past (dev tool; needs LENDBOOK_CLOCK=settable): the first lender wins a share of
 * every open listing, the clock moves on so the auctions clear into loans, borrowers repay month by month
 * (one never pays and defaults, one pays late), then fresh listings open so the market is alive again.
 *
 *   npx tsx web/dev/history.ts [adminEmail] [adminPassword]
 */
import { readFileSync, writeFileSync } from 'node:fs';

const seed = JSON.parse(readFileSync('/tmp/lbdev-seed.json', 'utf8')) as {
  base: string;
  lenders: { email: string; token: string }[];
  borrowers: { email: string; token: string }[];
  listings: string[];
};
const ADMIN = { email: process.argv[2] ?? 'ops@example.com', password: process.argv[3] ?? 'operator-password' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call<T = any>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const res = await fetch(`${seed.base}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 200)}`);
  return (text ? JSON.parse(text) : null) as T;
}

const admin = (await call<{ token: string }>('POST', '/auth/login', undefined, ADMIN)).token;
const advance = async (days: number) => {
  const r = await call('POST', '/admin/clock', admin, { advanceMs: days * 86_400_000 });
  console.log(`clock → ${r.now}`);
  await sleep(9000); // the sweeper and the daily jobs catch up
};

// 1. the first lender takes a share of every open listing
const lender = seed.lenders[0]!;
const open = (await call<{ items: any[] }>('GET', '/listings?status=open&limit=50')).items;
for (const l of open) {
  const d = await call('GET', `/listings/${l.id}`);
  const covered = d.coverageMinor >= d.amountMinor;
  const marginal = Math.max(0, ...d.bids.filter((b: any) => b.fillMinor > 0).map((b: any) => b.rateBps));
  const rateBps = covered ? marginal - 15 : d.maxRateBps - 60;
  const amountMinor = Math.max(10_000, Math.floor(d.amountMinor / 8 / 10_000) * 10_000);
  try {
    await call('POST', `/listings/${l.id}/bids`, lender.token, { amountMinor, rateBps });
    console.log(`lender1 bids ¥${amountMinor / 100} @ ${rateBps} on ${l.title}`);
  } catch (err) {
    console.log(String(err).slice(0, 160));
  }
}

// 2. the auctions end and clear
await advance(1);
await advance(1);

// 3. months pass; borrowers repay (the 4th never pays, the 3rd pays late)
for (let month = 1; month <= 5; month++) {
  await advance(31);
  for (const [i, b] of seed.borrowers.entries()) {
    if (i === 3) continue;
    if (i === 2 && month % 2 === 1) continue;
    const loans = (await call<{ items: any[] }>('GET', '/me/loans', b.token)).items.filter((l) => l.status === 'active');
    for (const loan of loans) {
      const owed = await call('GET', `/loans/${loan.id}/owed`, b.token);
      if (owed.due.totalMinor <= 0) continue;
      try {
        await call('POST', `/loans/${loan.id}/repayments`, b.token, { amountMinor: owed.due.totalMinor });
        console.log(`month ${month}: borrower ${i + 1} repays ¥${owed.due.totalMinor / 100}`);
      } catch (err) {
        console.log(String(err).slice(0, 160));
      }
    }
  }
}

// 4. fresh listings with bids, so the market is alive
const titles = [
  ['年货节备货：坚果礼盒', '为年货节采购坚果礼盒原料，预计 30 天内售罄。'],
  ['Packaging line upgrade', 'A second packaging line to double daily shipments.'],
  ['直播带货样品采购', '为下月直播活动采购样品与道具。'],
  ['Cold-chain boxes for spring', 'Insulated boxes for the spring fresh-produce season.'],
  ['跨境物流预付款', '预付海外仓物流费用，锁定旺季舱位。'],
  ['Bulk linen purchase', 'Linen at a 12% discount for paying the mill upfront.'],
];
const fresh: string[] = [];
for (const [i, b] of seed.borrowers.entries()) {
  try {
    const rating = await call('GET', '/me/rating', b.token);
    const amountMinor = Math.min(4_000_000 + i * 500_000, Math.floor(Math.min(rating.creditLeftMinor, rating.capLeftMinor) / 100_000) * 100_000);
    if (!rating.eligible || amountMinor < 100_000) continue;
    const l = await call('POST', '/listings', b.token, { title: titles[i]![0], purpose: titles[i]![1], amountMinor, termMonths: [6, 12, 3, 9, 6, 18][i], maxRateBps: 1300 + i * 150, repayment: 'equal_installment', product: 'credit', durationSec: 3600 + i * 1800 });
    fresh.push(l.id);
    for (let k = 0; k < 3 + (i % 3); k++) {
      const lend = seed.lenders[1 + ((i * 2 + k) % (seed.lenders.length - 1))]!;
      await call('POST', `/listings/${l.id}/bids`, lend.token, { amountMinor: Math.max(10_000, Math.floor((amountMinor * (10 + k * 7)) / 100 / 10_000) * 10_000), rateBps: l.maxRateBps - 20 - k * 35 }).catch((err) => console.log(String(err).slice(0, 120)));
    }
    console.log(`new listing ${l.id} ${l.title}`);
  } catch (err) {
    console.log(String(err).slice(0, 160));
  }
}
writeFileSync('/tmp/lbdev-seed.json', JSON.stringify({ ...seed, listings: [...fresh, ...seed.listings] }, null, 2));
