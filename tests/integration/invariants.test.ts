import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tx } from '../../src/db/client.js';
import { ledgerInvariants } from '../../src/ledger/invariants.js';
import { loanInvariants } from '../../src/services/loan-invariants.js';
import { marketInvariants } from '../../src/services/market-invariants.js';
import { call, expectInvariants, registerLender } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { acceptedBid, createListing, newPartner, ratedBorrower } from './helpers/market.js';
import { ADMIN_ENV } from './helpers/partner.js';

/**
 * The invariants are the last line of defence: each must notice the corruption it is about. Every case
 * breaks the data inside a transaction that is rolled back, so the database is never left broken.
 */
let storage: TestStorage;
let t: TestApp;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_WORKERS: 'off' } });
  const partner = await newPartner(t.app);
  const b1 = await ratedBorrower(t.app, partner);
  const b2 = await ratedBorrower(t.app, partner);
  const lender = await registerLender(t.app, { depositMinor: 2_000_000 });
  const other = await registerLender(t.app, { depositMinor: 2_000_000 });
  const cleared = await createListing(t.app, b1, { amountMinor: 200_000, closeWhenFunded: true });
  await acceptedBid(t.app, lender.token, cleared.id, 100_000, 1000);
  await acceptedBid(t.app, other.token, cleared.id, 100_000, 1100);
  expect((await call(t.app, 'GET', `/api/v1/listings/${cleared.id}`)).json().loanId).toMatch(/^loan_/);
  const open = await createListing(t.app, b2, { amountMinor: 500_000 });
  await acceptedBid(t.app, lender.token, open.id, 100_000, 1200);
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

class Rollback extends Error {}

/** Breaks the data, runs every check inside the same transaction, rolls back. Returns the failed checks. */
async function failedAfter(corrupt: (tx: Tx) => Promise<void>): Promise<string[]> {
  let failed: string[] = [];
  await t.app.ctx.db
    .transaction(async (tx) => {
      await corrupt(tx);
      const checks = [...(await ledgerInvariants(tx)), ...(await marketInvariants(tx)), ...(await loanInvariants(tx))];
      failed = checks.filter((c) => !c.ok).map((c) => c.name);
      throw new Rollback();
    })
    .catch((e: unknown) => {
      if (!(e instanceof Rollback)) throw e;
    });
  return failed;
}

describe('each invariant notices its corruption', () => {
  it('holds before any corruption', async () => {
    expect(await failedAfter(async () => undefined)).toEqual([]);
  });

  it.each([
    ['ledger.posted_balanced', sql`update ledger_accounts set credits_posted_minor = credits_posted_minor + 1 where kind = 'wallet' and id in (select id from ledger_accounts where kind = 'wallet' limit 1)`],
    ['ledger.sums_match_transfers', sql`update ledger_transfers set amount_minor = amount_minor + 1 where id in (select id from ledger_transfers where phase = 'single' limit 1)`],
    ['market.coverage_is_active_bids', sql`update listings set coverage_minor = coverage_minor + 100 where status = 'open'`],
    ['market.hold_per_bid', sql`update bids set status = 'outbid' where status = 'active'`],
    ['market.one_loan_per_cleared_listing', sql`update listings set status = 'failed' where loan_id is not null`],
    ['loans.outstanding_matches_notes', sql`update loans set outstanding_principal_minor = outstanding_principal_minor - 1`],
    ['loans.note_schedules_make_loan_schedule', sql`update loan_notes set installments = jsonb_set(installments, '{0,dueDate}', '"1999-01-01"') where id in (select id from loan_notes order by id desc limit 1)`],
  ])('%s', async (name, corruption) => {
    const failed = await failedAfter(async (tx) => {
      await tx.execute(corruption);
    });
    expect(failed).toContain(name);
  });
});
