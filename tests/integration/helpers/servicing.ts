import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { rows } from '../../../src/db/client.js';
import { replay, type LoanState, type LoanTerms, type PaymentRecord, type ServicingSettings } from '../../../src/domain/servicing/index.js';
import { replayWithTransfers, type ServicingRecord } from '../../../src/domain/transfers/index.js';
import type { App } from '../../../src/http/app.js';
import { loadLoan } from '../../../src/services/loans.js';
import { serviceDueLoans } from '../../../src/services/servicing.js';
import { call } from './api.js';
import { advanceClock } from './market.js';

export const SETTINGS: ServicingSettings = { graceDays: 3, penaltyBpsPerDay: 5, defaultAfterDays: 90 };

/** Moves the settable clock forward to `iso` (an instant; the clock then runs on at real speed). */
export async function setClock(app: App, iso: string): Promise<void> {
  const ahead = Date.parse(iso) - app.ctx.clock.nowMs();
  expect(ahead, `the clock only moves forward (to ${iso})`).toBeGreaterThan(0);
  await advanceClock(app, ahead);
}

/** Moves the clock to 01:00 UTC of `date` and runs the daily step for every due loan, as the job would. */
export async function dayOf(app: App, date: string): Promise<void> {
  await setClock(app, `${date}T01:00:00Z`);
  await serviceDueLoans(app.ctx, 'inline');
}

export async function loanOf(app: App, loanId: string) {
  const loaded = await loadLoan(app.ctx.db, loanId);
  expect(loaded).toBeDefined();
  return loaded!;
}

/** The loan's terms as the pure core takes them: the notes as cleared (ids and rates from the database). */
export async function termsOf(app: App, loanId: string): Promise<LoanTerms> {
  const { loan, notes } = await loanOf(app, loanId);
  return {
    disbursedOn: loan.disbursedOn,
    termMonths: loan.termMonths,
    repayment: loan.repayment,
    maturesOn: loan.maturesOn,
    notes: notes.filter((n) => n.acquiredVia === 'auction').map((n) => ({ noteId: n.id, principalMinor: n.principalMinor + n.soldPrincipalMinor, rateBps: n.rateBps })),
  };
}

/** The loan's payments and note transfers, in the order they were made (for replayWithTransfers). */
export async function servicingLogOf(app: App, loanId: string): Promise<ServicingRecord[]> {
  const found = await rows<{ kind: 'payment' | 'transfer'; amount_minor: number; on: string; from_note: string | null; to_note: string | null; fee_bps: number | null }>(
    app.ctx.db,
    sql`select 'payment' as kind, amount_minor, to_char(paid_on, 'YYYY-MM-DD') as on, null as from_note, null as to_note, (breakdown->>'prepaymentFeeBps')::int as fee_bps, created_at, id from repayments where loan_id = ${loanId}
        union all
        select 'transfer', principal_minor, to_char(traded_on, 'YYYY-MM-DD'), seller_note_id, buyer_note_id, null, created_at, id from note_transfers where loan_id = ${loanId}
        order by created_at, id`,
  );
  return found.map((r): ServicingRecord =>
    r.kind === 'payment'
      ? { amountMinor: Number(r.amount_minor), paidOn: r.on, ...(r.fee_bps === null ? {} : { prepaymentFeeBps: Number(r.fee_bps) }) }
      : { kind: 'transfer', fromNoteId: r.from_note!, toNoteId: r.to_note!, principalMinor: Number(r.amount_minor), tradeDate: r.on },
  );
}

export async function paymentsOf(app: App, loanId: string): Promise<PaymentRecord[]> {
  const found = await rows<{ amount_minor: number; paid_on: string; fee_bps: number | null }>(
    app.ctx.db,
    sql`select amount_minor, to_char(paid_on, 'YYYY-MM-DD') as paid_on, (breakdown->>'prepaymentFeeBps')::int as fee_bps from repayments where loan_id = ${loanId} order by created_at, id`,
  );
  return found.map((r) => ({ amountMinor: Number(r.amount_minor), paidOn: r.paid_on, ...(r.fee_bps === null ? {} : { prepaymentFeeBps: Number(r.fee_bps) }) }));
}

/** The stored state equals a replay of the terms and the recorded payments (and trades) through the same day. */
export async function expectReplayed(app: App, loanId: string): Promise<LoanState> {
  const { state } = await loanOf(app, loanId);
  const log = await servicingLogOf(app, loanId);
  const replayed = log.some((r) => r.kind === 'transfer')
    ? replayWithTransfers(await termsOf(app, loanId), log, state.servicedThrough, SETTINGS)
    : replay(await termsOf(app, loanId), await paymentsOf(app, loanId), state.servicedThrough, SETTINGS);
  expect(state).toEqual(replayed);
  return state;
}

export async function repay(app: App, token: string, loanId: string, amountMinor: number, idempotencyKey?: string) {
  return call(app, 'POST', `/api/v1/loans/${loanId}/repayments`, { token, body: { amountMinor }, ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}) });
}

export async function repayOk(app: App, token: string, loanId: string, amountMinor: number, idempotencyKey?: string) {
  const res = await repay(app, token, loanId, amountMinor, idempotencyKey);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

export async function owed(app: App, token: string, loanId: string) {
  const res = await call(app, 'GET', `/api/v1/loans/${loanId}/owed`, { token });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** `me` events (and other messages) written to the outbox for a channel, oldest first. */
export async function messagesTo(app: App, channel: string, type: string): Promise<Record<string, unknown>[]> {
  const found = await rows<{ data: Record<string, unknown> | string }>(
    app.ctx.db,
    sql`select m->'data' as data from outbox o cross join lateral jsonb_array_elements(o.messages) as m
        where m->>'channel' = ${channel} and m->>'type' = ${type} order by o.id`,
  );
  return found.map((r) => (typeof r.data === 'string' ? JSON.parse(r.data) : r.data));
}

export async function webhooksOf(app: App, partnerId: string, type: string): Promise<Record<string, unknown>[]> {
  const found = await rows<{ data: Record<string, unknown> | string }>(
    app.ctx.db,
    sql`select payload->'data' as data from webhook_deliveries where partner_id = ${partnerId} and type = ${type} order by created_at, id`,
  );
  return found.map((r) => (typeof r.data === 'string' ? JSON.parse(r.data) : r.data));
}

/** Ledger transfers of kind `repayment` credited for a note. */
export async function repaymentTransfersOf(app: App, noteId: string): Promise<{ id: string; debit: string; credit: string; amountMinor: number }[]> {
  const found = await rows<{ id: string; debit_account_id: string; credit_account_id: string; amount_minor: number }>(
    app.ctx.db,
    sql`select id, debit_account_id, credit_account_id, amount_minor from ledger_transfers where kind = 'repayment' and reference = ${noteId} order by created_at, id`,
  );
  return found.map((r) => ({ id: r.id, debit: r.debit_account_id, credit: r.credit_account_id, amountMinor: Number(r.amount_minor) }));
}
