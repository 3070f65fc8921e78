/**
 * Simulated lenders for trying the live screens (dev tool): every 0.5–2 s one of the seeded lenders
 * bids on an open listing a little under its current rate, or lowers its bid. Stops after the given
 * number of seconds.
 *
 *   npx tsx web/dev/bots.ts [seconds=120]
 */
import { readFileSync } from 'node:fs';

const seed = JSON.parse(readFileSync('/tmp/lbdev-seed.json', 'utf8')) as { base: string; lenders: { email: string; token: string }[] };
const seconds = Number(process.argv[2] ?? 120);
const until = Date.now() + seconds * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

async function call<T>(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; data: T }> {
  const res = await fetch(`${seed.base}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, data: (text ? JSON.parse(text) : null) as T };
}

interface L {
  id: string;
  amountMinor: number;
  maxRateBps: number;
  coverageMinor: number;
  currentRateBps: number;
  title: string;
}
let n = 0;
while (Date.now() < until) {
  const { data } = await call<{ items: L[] }>('GET', '/listings?status=open&limit=50');
  if (!data.items.length) {
    await sleep(2000);
    continue;
  }
  const only = process.env.BOT_LISTING;
  const l = only ? data.items.find((x) => x.id === only) : pick(data.items);
  if (!l) break;
  const lender = pick(seed.lenders.slice(6));
  const bids = await call<{ items: { id: string; listingId: string; rateBps: number; status: string }[] }>('GET', '/me/bids?status=winning&limit=100', lender.token);
  const mine = bids.data.items.find((b) => b.listingId === l.id);
  const covered = l.coverageMinor >= l.amountMinor;
  if (mine) {
    const to = mine.rateBps - 1 - Math.floor(Math.random() * 30);
    const r = await call('PATCH', `/bids/${mine.id}`, lender.token, { rateBps: to });
    console.log(`${++n} amend ${l.title.slice(0, 24)} → ${to} bps: ${r.status}`);
  } else {
    const rateBps = covered ? l.currentRateBps - 1 - Math.floor(Math.random() * 40) : l.maxRateBps - Math.floor(Math.random() * 250);
    const amountMinor = Math.max(10_000, Math.min(l.amountMinor, (1 + Math.floor(Math.random() * 8)) * Math.max(10_000, Math.floor(l.amountMinor / 2000) * 100)));
    const r = await call('POST', `/listings/${l.id}/bids`, lender.token, { amountMinor, rateBps });
    console.log(`${++n} bid ${l.title.slice(0, 24)} ¥${amountMinor / 100} @ ${rateBps} bps: ${r.status}`);
  }
  await sleep(500 + Math.random() * 1500);
}
