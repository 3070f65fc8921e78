import { and, eq, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { rows } from '../db/client.js';
import { listings } from '../db/schema/index.js';
import { computeBook } from '../domain/auction/index.js';
import { AppError } from '../domain/errors.js';
import { amendBid, placeBid } from '../services/bidding.js';
import { saveStrategy } from '../services/autobid.js';
import { autobidStrategies } from '../db/schema/index.js';
import { activeBidOf, activeBids, createListing } from '../services/listings.js';
import { creditOf } from '../services/rating.js';
import { DEMO_MERCHANTS } from './cast.js';
import type { DemoWorld } from './seed.js';

/**
 * Simulated lenders and borrowers that keep the demo market alive: listings keep arriving, and lenders
 * bid with different strategies — undercutting the marginal rate, sniping in the last seconds, sitting
 * at the maximum rate, or lowering their own bids. Everything goes through the real services.
 */
type Strategy = 'undercut' | 'snipe' | 'passive' | 'amend';
const STRATEGIES: Strategy[] = ['undercut', 'undercut', 'snipe', 'passive', 'amend'];
const OPEN_TARGET = 8;

export function startSimulation(ctx: AppContext, world: DemoWorld, opts: { tickMs?: number } = {}): () => void {
  let stopped = false;
  let tick = 0;
  const random = (n: number) => Math.floor(Math.random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[random(xs.length)]!;

  const step = async () => {
    tick++;
    if (tick % 4 === 1) await keepListingsOpen(ctx, world);
    const open = await ctx.db.select().from(listings).where(and(eq(listings.status, 'open'), sql`${listings.endsAt} > now()`));
    if (open.length === 0) return;
    if (world.botLenderIds.length === 0) return;
    const burst = 1 + random(3);
    for (let k = 0; k < burst; k++) {
      const lenderIndex = random(world.botLenderIds.length);
      const strategy = STRATEGIES[lenderIndex % STRATEGIES.length]!;
      await act(ctx, world.botLenderIds[lenderIndex]!, strategy, pick(open)).catch((err: unknown) => {
        if (!(err instanceof AppError)) ctx.log.warn({ err }, 'demo: a simulated bid failed');
      });
    }
  };

  const loop = async () => {
    while (!stopped) {
      try {
        await step();
      } catch (err) {
        ctx.log.warn({ err }, 'demo: simulation step failed');
      }
      await new Promise((r) => setTimeout(r, (opts.tickMs ?? 1200) + random(800)));
    }
  };
  void keepStrategies(ctx, world)
    .catch((err: unknown) => ctx.log.warn({ err }, 'demo: autobid strategies not set'))
    .finally(() => void loop());
  return () => {
    stopped = true;
  };
}

async function act(ctx: AppContext, lenderId: string, strategy: Strategy, listing: typeof listings.$inferSelect): Promise<void> {
  const left = listing.endsAt.getTime() - ctx.clock.nowMs();
  const active = await activeBids(ctx.db, listing.id);
  const mine = active.find((b) => b.lenderId === lenderId);
  const book = computeBook(listing, active.map(activeBidOf));
  const covered = book.coverageMinor >= listing.amountMinor;
  const marginal = book.entries.find((e) => e.id === book.marginalBidId);
  if (mine) {
    // Already in: lower the rate a little when the book is competitive, as a trader tightens a quote.
    if (strategy === 'amend' || (covered && Math.random() < 0.3)) {
      const to = Math.max(100, mine.rateBps - 5 - Math.floor(Math.random() * 40));
      if (to < mine.rateBps) await amendBid(ctx, lenderId, mine.id, to);
    }
    return;
  }
  if (strategy === 'snipe' && left > 45_000) return;
  const unit = Math.max(10_000, Math.round(listing.amountMinor / 40 / 100) * 100);
  const amountMinor = Math.min(listing.amountMinor, unit * (1 + Math.floor(Math.random() * 6)));
  let rateBps: number;
  if (strategy === 'passive') rateBps = listing.maxRateBps - Math.floor(Math.random() * 30);
  else if (covered && marginal) rateBps = marginal.rateBps - 1 - Math.floor(Math.random() * 25);
  else rateBps = listing.maxRateBps - 50 - Math.floor(Math.random() * 400);
  await placeBid(ctx, listing.id, { lenderId, amountMinor, rateBps: Math.max(100, rateBps), clientRef: null });
}

/** Rates per grade around which simulated strategies ask (bps), before each lender's own margin. */
const AUTOBID_RATES = { AA: 800, A: 950, B: 1100, C: 1300, D: 1550 } as const;

/**
 * Some simulated lenders (one in eight of the cast, never the demo logins) keep autobid strategies, so
 * every new listing opens with a burst of autobid bids. A restart keeps the strategies already saved.
 */
async function keepStrategies(ctx: AppContext, world: DemoWorld): Promise<void> {
  const chosen = world.botLenderIds.filter((_, i) => i % 8 === 3);
  const existing = new Set((await ctx.db.select({ id: autobidStrategies.lenderId }).from(autobidStrategies)).map((r) => r.id));
  for (const [k, lenderId] of chosen.entries()) {
    if (existing.has(lenderId)) continue;
    const margin = (k % 5) * 40;
    await saveStrategy(ctx, lenderId, {
      enabled: true,
      amountPerListingMinor: (5 + (k % 4) * 5) * 10_000,
      maxPerBorrowerMinor: 5_000_000,
      budgetMinor: 30_000_000,
      reserveMinor: 100_000,
      minRateBpsByGrade: Object.fromEntries(Object.entries(AUTOBID_RATES).map(([g, r]) => [g, r + margin])),
      termsMonths: k % 3 === 0 ? [3, 6, 12] : null,
    }).catch((err: unknown) => {
      if (!(err instanceof AppError)) throw err;
    });
  }
}

/** New listings keep arriving: eligible borrowers without an open listing ask for a loan now and then. */
async function keepListingsOpen(ctx: AppContext, world: DemoWorld): Promise<void> {
  const [count] = await rows<{ n: number }>(ctx.db, sql`select count(*)::int as n from listings where status = 'open'`);
  if ((count?.n ?? 0) >= OPEN_TARGET) return;
  const busy = new Set((await rows<{ borrower_user_id: string }>(ctx.db, sql`select borrower_user_id from listings where status = 'open'`)).map((r) => r.borrower_user_id));
  const candidates = world.botBorrowers
    .map((b) => ({ id: b.userId, m: DEMO_MERCHANTS.find((m) => m.ref === b.merchantRef) }))
    .filter((c): c is { id: string; m: (typeof DEMO_MERCHANTS)[number] } => c.m !== undefined && !busy.has(c.id));
  for (const c of candidates.sort(() => Math.random() - 0.5).slice(0, OPEN_TARGET - (count?.n ?? 0))) {
    const [merchant] = await rows<{ id: string }>(ctx.db, sql`select merchant_id as id from users where id = ${c.id}`);
    const credit = merchant ? await creditOf(ctx.db, merchant.id, ctx.settings.get()) : undefined;
    if (!credit?.eligibility.eligible || credit.line.creditLeftMinor < 100_000) continue;
    const wanted = Math.min(credit.line.creditLeftMinor, (20_000 + Math.floor(Math.random() * 180_000)) * 100);
    const terms = [3, 6, 12, 12, 18, 24] as const;
    await createListing(ctx, c.id, {
      title: c.m.listingTitle,
      purpose: c.m.purpose,
      amountMinor: wanted - (wanted % 100),
      termMonths: terms[Math.floor(Math.random() * terms.length)]!,
      maxRateBps: 1200 + Math.floor(Math.random() * 10) * 100,
      repayment: Math.random() < 0.7 ? 'equal_installment' : Math.random() < 0.5 ? 'equal_principal' : 'interest_only',
      product: 'credit',
      pricing: Math.random() < 0.3 ? 'pay_as_bid' : 'uniform',
      closeWhenFunded: Math.random() < 0.15,
      durationSec: 180 + Math.floor(Math.random() * 360),
    }, null).catch((err: unknown) => {
      if (!(err instanceof AppError)) throw err;
    });
  }
}

