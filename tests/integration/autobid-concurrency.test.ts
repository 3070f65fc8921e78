/**
 * A listing's autobid pass happens once (docs/autobid.md): the opening processed twice at once, on two
 * server instances sharing the database, and a crash after the pass committed but before its events were
 * dispatched, followed by the job running again.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.js';
import { rows } from '../../src/db/client.js';
import { AUTOBID_JOB, runOpeningPass } from '../../src/services/autobid.js';
import { call, expectInvariants, registerLender, type Session } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { createListing, newPartner, ratedBorrower } from './helpers/market.js';
import { ADMIN_ENV, type PartnerKey } from './helpers/partner.js';
import { waitFor } from './helpers/wait.js';
import { eventsOf, openSocket } from './helpers/ws.js';

let storage: TestStorage;
let a: TestApp;
let b: TestApp;
let partner: PartnerKey;
let lenders: Session[];

// The opening job does nothing here: the tests run the pass themselves, as racing nodes would.
const noJob = { jobHandlers: { [AUTOBID_JOB]: async () => {} } };

beforeAll(async () => {
  storage = await createTestStorage();
  a = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_AUCTION_MIN_DURATION_SEC: '60' }, listen: true, ...noJob });
  b = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_AUCTION_MIN_DURATION_SEC: '60' }, ...noJob });
  partner = await newPartner(a.app);
  lenders = [];
  for (let i = 0; i < 12; i++) {
    const l = await registerLender(a.app, { depositMinor: 2_000_000 });
    const res = await call(a.app, 'PUT', '/api/v1/me/autobid', {
      token: l.token,
      body: { enabled: true, amountPerListingMinor: 100_000, maxPerBorrowerMinor: 1_000_000, budgetMinor: 10_000_000, reserveMinor: 0, minRateBpsByGrade: Object.fromEntries(['AA', 'A', 'B', 'C', 'D', 'E', 'HR'].map((g) => [g, 1100 + i * 10])) },
    });
    expect(res.statusCode, res.body).toBe(200);
    lenders.push(l);
  }
}, 180_000);
afterAll(async () => {
  if (a) await expectInvariants(a.app);
  await b?.close();
  await a?.close();
  await storage?.dispose();
});

async function passFigures(listingId: string) {
  const [p] = await rows<{ passes: number; bids: number; logs: number; distinct_lenders: number }>(
    a.app.ctx.db,
    sql`select (select count(*)::int from autobid_passes where listing_id = ${listingId}) as passes,
               (select count(*)::int from bids where listing_id = ${listingId} and source = 'autobid') as bids,
               (select count(*)::int from autobid_log where listing_id = ${listingId}) as logs,
               (select count(distinct lender_id)::int from autobid_log where listing_id = ${listingId}) as distinct_lenders`,
  );
  return p!;
}

describe('one autobid pass per listing', () => {
  it('an opening processed three times at once on two instances gives one pass and no duplicate bid', async () => {
    const borrower = await ratedBorrower(a.app, partner);
    const l = await createListing(a.app, borrower, { amountMinor: 1_000_000, maxRateBps: 1500 });
    const results = await Promise.all([runOpeningPass(a.app.ctx, l.id), runOpeningPass(b.app.ctx, l.id), runOpeningPass(a.app.ctx, l.id), runOpeningPass(b.app.ctx, l.id)]);
    expect(results.filter((r) => r.ran)).toHaveLength(1);
    // 60 % of ¥10,000 at ¥1,000 each: six bids, the other six strategies skipped.
    expect(results.find((r) => r.ran)).toMatchObject({ placed: 6, placedMinor: 600_000 });
    expect(await passFigures(l.id)).toEqual({ passes: 1, bids: 6, logs: 12, distinct_lenders: 12 });
    // Later runs (a retry) change nothing.
    expect(await runOpeningPass(b.app.ctx, l.id)).toMatchObject({ ran: false });
    expect(await passFigures(l.id)).toEqual({ passes: 1, bids: 6, logs: 12, distinct_lenders: 12 });
  }, 60_000);

  it('a crash after the pass committed, before its events left: the job runs again, one pass, each bid.accepted once', async () => {
    const borrower = await ratedBorrower(a.app, partner);
    const l = await createListing(a.app, borrower, { amountMinor: 1_000_000, maxRateBps: 1500 });
    const watcher = await openSocket(a.url);
    watcher.send({ op: 'subscribe', channel: `listing:${l.id}` });
    await watcher.next((m) => m.type === 'snapshot');
    // The node commits the pass, then dies before anything after the commit (cache, dispatch kick).
    const crashing: AppContext = Object.assign(Object.create(a.app.ctx) as AppContext, {
      async transaction<T>(fn: (tx: never) => Promise<T>): Promise<T> {
        await a.app.ctx.db.transaction(fn as never);
        throw new Error('crashed after commit');
      },
    });
    await expect(runOpeningPass(crashing, l.id)).rejects.toThrow('crashed after commit');
    // The queue retries the job, on any node.
    expect(await runOpeningPass(b.app.ctx, l.id)).toMatchObject({ ran: false });
    expect(await runOpeningPass(a.app.ctx, l.id)).toMatchObject({ ran: false });
    expect(await passFigures(l.id)).toEqual({ passes: 1, bids: 6, logs: 12, distinct_lenders: 12 });
    // The events were in the outbox with the bids: the dispatcher delivers them, each once.
    await waitFor(() => eventsOf(watcher.messages, `listing:${l.id}`).filter((e) => e.event === 'bid.accepted').length >= 6, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    const accepted = eventsOf(watcher.messages, `listing:${l.id}`).filter((e) => e.event === 'bid.accepted');
    expect(accepted).toHaveLength(6);
    expect(new Set(accepted.map((e) => e.data.bidId)).size).toBe(6);
    expect(accepted.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    watcher.close();
  }, 60_000);
});
