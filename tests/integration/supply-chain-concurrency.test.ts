import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { expectInvariants, uniq } from './helpers/api.js';
import { assign, coreCall, issue, registerCore } from './helpers/claims.js';
import { createTestStorage, startApp, usingPostgres, type TestApp, type TestStorage } from './helpers/env.js';
import { ratedBorrower, type Borrower } from './helpers/market.js';
import { ADMIN_ENV, createPartner, type PartnerKey } from './helpers/partner.js';
import { setClock } from './helpers/servicing.js';

/**
 * Races on claims (real PostgreSQL runs them in parallel; the embedded database one at a time): many
 * assignments of one claim at once never hand out more than it holds, and payables issued at once
 * never take a core enterprise past its limit.
 */
let storage: TestStorage;
let t: TestApp;
let partner: PartnerKey;
let suppliers: Borrower[];

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage, { env: { ...ADMIN_ENV, LENDBOOK_CLOCK: 'settable' } });
  await setClock(t.app, '2031-03-02T01:00:00Z');
  partner = await createPartner(t.app);
  suppliers = [];
  for (let i = 0; i < 4; i++) suppliers.push(await ratedBorrower(t.app, partner));
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

describe(`claims under concurrency (${usingPostgres ? 'PostgreSQL' : 'embedded'})`, () => {
  it('20 assignments racing on one claim of ¥1,550 at ¥100 each: 15 succeed, never more than it holds', async () => {
    const core = await registerCore(t.app, partner);
    const { claimId } = await issue(t.app, core, { supplierMerchantRef: suppliers[0]!.merchantRef, amountMinor: 155_000, dueDate: '2031-06-01' });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => assign(t.app, suppliers[0]!.token, claimId, suppliers[1 + (i % 3)]!.merchantRef, 10_000)));
    const ok = results.filter((r) => r.statusCode === 201);
    const refused = results.filter((r) => r.statusCode !== 201);
    expect(ok).toHaveLength(15);
    expect(refused.map((r) => r.json().code)).toEqual(Array(5).fill('CLAIM_AMOUNT_INVALID'));
    const [left] = await rows<{ amount_minor: number }>(t.app.ctx.db, sql`select amount_minor from claims where id = ${claimId}`);
    expect(Number(left!.amount_minor)).toBe(5_000);
    const [children] = await rows<{ n: number; s: number }>(t.app.ctx.db, sql`select count(*)::int as n, sum(amount_minor)::bigint as s from claims where parent_id = ${claimId}`);
    expect([children!.n, Number(children!.s)]).toEqual([15, 150_000]);
    await expectInvariants(t.app);
  });

  it('20 payables of ¥100,000 racing a limit of ¥1,000,000: exactly 10 are issued', async () => {
    const core = await registerCore(t.app, partner, { limitMinor: 100_000_000 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        coreCall(t.app, core, 'POST', '/api/v1/core/payables', { payableRef: uniq(`R${i}-`), supplierMerchantRef: suppliers[i % 4]!.merchantRef, amountMinor: 10_000_000, dueDate: '2031-06-01' }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(10);
    expect(results.filter((r) => r.statusCode !== 201).map((r) => r.json().code)).toEqual(Array(10).fill('CORE_LIMIT_EXCEEDED'));
    const [used] = await rows<{ s: number }>(t.app.ctx.db, sql`select sum(amount_minor)::bigint as s from payables where core_enterprise_id = ${core.id} and status = 'outstanding'`);
    expect(Number(used!.s)).toBe(100_000_000);
    const view = await coreCall(t.app, core, 'GET', '/api/v1/core/wallet');
    expect(view.json().coreEnterprise).toMatchObject({ limitMinor: 100_000_000, usedMinor: 100_000_000, leftMinor: 0 });
    await expectInvariants(t.app);
  });

  it('the same payable sent 10 times at once is issued once', async () => {
    const core = await registerCore(t.app, partner);
    const body = { payableRef: uniq('SAME-'), supplierMerchantRef: suppliers[1]!.merchantRef, amountMinor: 5_000_000, dueDate: '2031-06-01' };
    const results = await Promise.all(Array.from({ length: 10 }, () => coreCall(t.app, core, 'POST', '/api/v1/core/payables', body)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.json().claimId)).size).toBe(1);
    const other = await coreCall(t.app, core, 'POST', '/api/v1/core/payables', { ...body, amountMinor: 5_000_100 });
    expect([other.statusCode, other.json().code]).toEqual([409, 'PAYABLE_EXISTS']);
  });
});
