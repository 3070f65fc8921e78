/**
 * Loan servicing commands (docs/market-rules.md §6, docs/servicing.md): repayments, the daily step, order sweeps and
 * recoveries. Each is one transaction: lock the loan row, then the wallets in id order, close the days
 * that are over, call the pure core, write rows, ledger transfers and outbox. Nothing here ever pays from
 * a platform account: money moves from the payer (borrower wallet, or the custodian for proceeds from
 * outside) to the note holders' wallets, one transfer per note per payment.
 */
import { and, asc, eq, gt, inArray, isNull, lt, or } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import type { Tx } from '../db/client.js';
import { guarantees, listings, loans, orders, repayments, type OutboxMessage } from '../db/schema/index.js';
import { assert } from '../domain/assert.js';
import { addDays, compareIsoDate, isoDateOfMs, type IsoDate } from '../domain/dates.js';
import { AppError, rejectionError } from '../domain/errors.js';
import { recoverySplit } from '../domain/guarantees/index.js';
import { accrueDay, applyNotePayments, applyPayment, dueReminders, outstandingPrincipalFrom, owedToday, type LoanState, type LoanStatus, type PaymentBreakdown } from '../domain/servicing/index.js';
import { idFromSeed, newId } from '../ids.js';
import { CUSTODY_ACCOUNT, balance, lockAccounts, transfer, walletAccountId } from '../ledger/ledger.js';
import { loadLoan, type LoadedLoan } from './loans.js';
import { writeOutbox } from './outbox.js';
import { announceReminders, announceServicing, closedBefore, partiesOf, releaseLoanCollateral, saveState, servicingSettings, type LoanParties } from './servicing-store.js';
import { endGuaranteeOfRepaidLoan, guaranteeOverdue, subrogationOf } from './guarantee-hooks.js';
import { upkeepOffers } from './transfers.js';
import { walletChanged } from './wallet.js';
import { queueWebhook } from './webhooks.js';

export const SERVICE_JOB = 'loan.service';
export const SERVICE_DUE_JOB = 'loan.service-due';
export const ORDER_SWEEP_JOB = 'order.sweep';
/** How often the scheduler looks for loans whose day is not closed yet (a settable clock may jump days). */
export const SERVICE_DUE_EVERY_MS = 15_000;
const DUE_BATCH = 1000;

export type RepaymentSource = 'borrower' | 'order_sweep' | 'recovery' | 'payable_settlement' | 'order_proceeds' | 'guarantor';
export type RepaymentRow = typeof repayments.$inferSelect;

function today(ctx: AppContext): IsoDate {
  return isoDateOfMs(ctx.clock.nowMs());
}

// ---- payments ----

export interface PaymentInput {
  repaymentId: string;
  amountMinor: number;
  source: RepaymentSource;
  /**
   * Where the money comes from: the borrower's wallet, the custodian (proceeds from outside), or the
   * custodian account of the core enterprise or order system paying on the borrower's behalf.
   */
  debitAccountId: string;
  /** Extra facts kept with the breakdown (the swept order). */
  note?: Record<string, unknown>;
  /** A payment whose split over the notes is given (a guarantor paying each holder its coverage). */
  perNote?: readonly { noteId: string; amountMinor: number }[];
}

/**
 * A payment into a locked loan, dated today: the days before are closed, the pure core allocates it
 * (refusing more than the payoff), each note holder gets one transfer for its share.
 */
export async function pay(ctx: AppContext, tx: Tx, loaded: LoadedLoan, input: PaymentInput): Promise<RepaymentRow> {
  const at = new Date(ctx.clock.nowMs());
  const parties = await partiesOf(tx, loaded);
  const paidOn = isoDateOfMs(at.getTime());
  // After its guarantor paid, what comes in is shared with it pro rata (docs/guarantees.md): the loan row
  // is locked, the guarantee row next, the wallets last.
  const sub = input.source === 'guarantor' ? undefined : await subrogationOf(tx, loaded.loan.listingId);
  const guarantorWallet = sub ? [walletAccountId(sub.guarantor.userId)] : [];
  await lockAccounts(tx, [input.debitAccountId, ...[...parties.lenderOf.values()].map(walletAccountId), ...guarantorWallet]);
  let toHoldersMinor = input.amountMinor;
  let toGuarantorMinor = 0;
  if (sub) {
    const closedNow = closedBefore(ctx, loaded, paidOn);
    const split = recoverySplit(input.amountMinor, payoffOf(ctx, closedNow.state, paidOn), sub.leftMinor);
    if (!split.ok) throw rejectionError(split);
    ({ toHoldersMinor, toGuarantorMinor } = split);
  }
  const { closed, paid } = toHoldersMinor > 0 ? allocate(ctx, loaded, toHoldersMinor, paidOn, input.perNote) : nothingToHolders(ctx, loaded, paidOn);
  await requireFunds(tx, input);
  await postTransfers(tx, parties, input, paid.breakdown, at);
  if (sub && toGuarantorMinor > 0) {
    await transfer(tx, { id: `xfr_${input.repaymentId}_gtr`, debitAccountId: input.debitAccountId, creditAccountId: walletAccountId(sub.guarantor.userId), amountMinor: toGuarantorMinor, kind: 'guarantor_recovery', reference: sub.g.id, at });
    await tx.update(guarantees).set({ recoveredMinor: sub.g.recoveredMinor + toGuarantorMinor }).where(eq(guarantees.id, sub.g.id));
  }
  const [row] = await tx.insert(repayments).values(repaymentRow(loaded, input, paid.breakdown, closed.state.status === 'defaulted', at, toGuarantorMinor)).returning();
  await saveState(tx, loaded, paid.state, paid.breakdown.paidOn, at);
  const messages: OutboxMessage[] = [];
  await announceServicing(ctx, tx, loaded, parties, closed.state, closed.events, messages);
  await upkeepOffers(ctx, tx, loaded, paid.state, paid.breakdown.paidOn, at, messages);
  await announcePayment(ctx, tx, loaded, parties, row!, paid.breakdown, paid.state, messages);
  if (sub && toGuarantorMinor > 0) {
    const data = { guaranteeId: sub.g.id, loanId: loaded.loan.id, repaymentId: row!.id, paidOn, source: row!.source, amountMinor: toGuarantorMinor, recoveredMinor: sub.g.recoveredMinor + toGuarantorMinor, paidMinor: sub.g.paidMinor, currency: 'CNY' };
    messages.push({ channel: `user:${sub.guarantor.userId}`, type: 'guarantee.recovered', data });
    await walletChanged(tx, sub.guarantor.userId, 'guarantee.recovered');
  }
  if (paid.state.status === 'repaid') {
    await releaseLoanCollateral(tx, loaded, at);
    await endGuaranteeOfRepaidLoan(tx, loaded.loan.listingId, at);
  }
  await writeOutbox(tx, { messages });
  return row!;
}

/** A recovery whose share for the holders rounds to nothing: the days before are closed, no note is paid. */
function nothingToHolders(ctx: AppContext, loaded: LoadedLoan, paidOn: IsoDate) {
  const closed = closedBefore(ctx, loaded, paidOn);
  const breakdown: PaymentBreakdown = { paidOn, amountMinor: 0, perNote: [], perInstallment: [], earlyInterestMinor: 0, prepaidPrincipalMinor: 0, prepaymentFeeMinor: 0, prepaymentFeeBps: 0, recomputedNoteIds: [], lines: [] };
  return { closed, paid: { state: closed.state, breakdown } };
}

/** The pure step of a payment: close the days before `paidOn`, then allocate; a refusal carries the payoff. */
function allocate(ctx: AppContext, loaded: LoadedLoan, amountMinor: number, paidOn: IsoDate, perNote?: PaymentInput['perNote']) {
  const closed = closedBefore(ctx, loaded, paidOn);
  const settings = servicingSettings(ctx.settings.get());
  const paid = perNote ? applyNotePayments(closed.state, perNote, paidOn, settings) : applyPayment(closed.state, amountMinor, paidOn, settings);
  if (!paid.ok) {
    const extra = paid.code === 'REPAYMENT_EXCEEDS_OWED' || paid.code === 'LOAN_NOT_ACTIVE' ? { payoffMinor: payoffOf(ctx, closed.state, paidOn) } : undefined;
    throw new AppError(paid.code, paid.detail, extra);
  }
  return { closed, paid };
}

/** One transfer per note that received anything; its id comes from the repayment's, so a retry cannot pay twice. */
async function postTransfers(tx: Tx, parties: LoanParties, input: PaymentInput, b: PaymentBreakdown, at: Date): Promise<void> {
  for (const n of b.perNote) {
    if (n.totalMinor === 0) continue;
    const creditAccountId = walletAccountId(parties.lenderOf.get(n.noteId)!);
    await transfer(tx, { id: `xfr_${input.repaymentId}_${n.noteId}`, debitAccountId: input.debitAccountId, creditAccountId, amountMinor: n.totalMinor, kind: 'repayment', reference: n.noteId, at });
  }
}

export function payoffOf(ctx: AppContext, state: LoanState, day: IsoDate): number {
  return state.status === 'repaid' ? 0 : owedToday(state, day, servicingSettings(ctx.settings.get())).payoffMinor;
}

async function requireFunds(tx: Tx, input: PaymentInput): Promise<void> {
  if (input.debitAccountId === CUSTODY_ACCOUNT) return;
  const available = (await balance(tx, input.debitAccountId)).availableMinor;
  if (available < input.amountMinor) throw new AppError('INSUFFICIENT_FUNDS', `available ${available} < ${input.amountMinor} to pay`, { neededMinor: input.amountMinor, availableMinor: available });
}

function repaymentRow(loaded: LoadedLoan, input: PaymentInput, b: PaymentBreakdown, afterDefault: boolean, at: Date, guarantorShareMinor: number): typeof repayments.$inferInsert {
  const sum = (f: (n: PaymentBreakdown['perNote'][number]) => number) => b.perNote.reduce((a, n) => a + f(n), 0);
  return {
    id: input.repaymentId,
    loanId: loaded.loan.id,
    amountMinor: input.amountMinor,
    principalMinor: sum((n) => n.principalMinor),
    interestMinor: sum((n) => n.interestMinor),
    penaltyMinor: sum((n) => n.penaltyMinor),
    prepaymentFeeMinor: b.prepaymentFeeMinor,
    guarantorShareMinor,
    paidOn: b.paidOn,
    source: input.source,
    afterDefault,
    // Without `lines` (notes × installments × parts): perNote is what the ledger posted, perInstallment what the borrower sees.
    breakdown: {
      perNote: b.perNote,
      perInstallment: b.perInstallment,
      earlyInterestMinor: b.earlyInterestMinor,
      prepaidPrincipalMinor: b.prepaidPrincipalMinor,
      prepaymentFeeMinor: b.prepaymentFeeMinor,
      prepaymentFeeBps: b.prepaymentFeeBps,
      recomputedNoteIds: b.recomputedNoteIds,
      ...(input.note ?? {}),
    },
    createdAt: at,
  };
}

async function announcePayment(ctx: AppContext, tx: Tx, loaded: LoadedLoan, parties: LoanParties, row: RepaymentRow, b: PaymentBreakdown, state: LoanState, messages: OutboxMessage[]): Promise<void> {
  const loanId = loaded.loan.id;
  for (const n of b.perNote) {
    if (n.totalMinor === 0) continue;
    const data = { loanId, listingId: loaded.loan.listingId, noteId: n.noteId, repaymentId: row.id, paidOn: row.paidOn, source: row.source, afterDefault: row.afterDefault, principalMinor: n.principalMinor, interestMinor: n.interestMinor, penaltyMinor: n.penaltyMinor, prepaymentFeeMinor: n.prepaymentFeeMinor, totalMinor: n.totalMinor, currency: 'CNY' };
    messages.push({ channel: `user:${parties.lenderOf.get(n.noteId)!}`, type: 'payment.received', data });
  }
  messages.push({ channel: `user:${parties.borrowerUserId}`, type: 'repayment.accepted', data: repaymentView(row, { status: state.status, outstandingPrincipalMinor: sumOutstanding(state) }) });
  if (state.status === 'repaid') {
    const data = { loanId, listingId: loaded.loan.listingId, repaidOn: row.paidOn, principalMinor: loaded.loan.principalMinor, currency: 'CNY' };
    for (const userId of new Set([parties.borrowerUserId, ...parties.holders])) messages.push({ channel: `user:${userId}`, type: 'loan.repaid', data });
    if (parties.merchant) await queueWebhook(ctx, tx, parties.merchant.partnerId, 'loan.repaid', { merchantRef: parties.merchant.ref, ...data });
  }
  for (const lenderId of new Set(b.perNote.filter((n) => n.totalMinor > 0).map((n) => parties.lenderOf.get(n.noteId)!))) await walletChanged(tx, lenderId, 'payment.received');
  // Only the borrower's own money or a sweep from its wallet changes the borrower's wallet.
  if (row.source === 'borrower' || row.source === 'order_sweep') await walletChanged(tx, parties.borrowerUserId, row.source === 'order_sweep' ? 'order.swept' : 'repayment');
}

function sumOutstanding(state: LoanState): number {
  return state.notes.reduce((a, note) => a + outstandingPrincipalFrom(note, 0), 0);
}

/** A repayment as the API shows it (to the borrower): parts and installments, not the split over notes. */
export function repaymentView(row: RepaymentRow, loan: { status: LoanStatus; outstandingPrincipalMinor: number }) {
  const breakdown = row.breakdown as Partial<Pick<PaymentBreakdown, 'perInstallment' | 'earlyInterestMinor' | 'prepaidPrincipalMinor' | 'prepaymentFeeBps'>>;
  return {
    id: row.id,
    loanId: row.loanId,
    amountMinor: row.amountMinor,
    principalMinor: row.principalMinor,
    interestMinor: row.interestMinor,
    penaltyMinor: row.penaltyMinor,
    prepaymentFeeMinor: row.prepaymentFeeMinor,
    prepaymentFeeBps: breakdown.prepaymentFeeBps ?? 0,
    guarantorShareMinor: row.guarantorShareMinor,
    paidOn: row.paidOn,
    source: row.source,
    afterDefault: row.afterDefault,
    installments: breakdown.perInstallment ?? [],
    earlyInterestMinor: breakdown.earlyInterestMinor ?? 0,
    prepaidPrincipalMinor: breakdown.prepaidPrincipalMinor ?? 0,
    loanStatus: loan.status,
    outstandingMinor: loan.outstandingPrincipalMinor,
    currency: 'CNY' as const,
    createdAt: row.createdAt.toISOString(),
  };
}
export type RepaymentView = ReturnType<typeof repaymentView>;

async function existingRepayment(tx: Tx, id: string, loanId: string, amountMinor: number): Promise<RepaymentRow | undefined> {
  const [row] = await tx.select().from(repayments).where(eq(repayments.id, id));
  if (row && (row.loanId !== loanId || row.amountMinor !== amountMinor)) throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another payment');
  return row;
}

/** Pays into a loan the caller may pay into, once per repayment id: a retry returns the first payment. */
async function payOnce(ctx: AppContext, loanId: string, input: PaymentInput, mayPay: (loan: LoadedLoan['loan']) => boolean): Promise<RepaymentView> {
  return ctx.transaction(async (tx) => {
    const loaded = await loadLoan(tx, loanId, true);
    if (!loaded || !mayPay(loaded.loan)) throw new AppError('NOT_FOUND', 'no such loan of yours');
    const row = (await existingRepayment(tx, input.repaymentId, loanId, input.amountMinor)) ?? (await pay(ctx, tx, loaded, input));
    const [loan] = await tx.select({ status: loans.status, outstandingPrincipalMinor: loans.outstandingPrincipalMinor }).from(loans).where(eq(loans.id, loanId));
    return repaymentView(row, loan!);
  });
}

/**
 * The borrower repays (POST /loans/:id/repayments) from its wallet. The repayment id comes from the
 * Idempotency-Key, so a retry finds the first payment instead of paying twice.
 */
export async function repayLoan(ctx: AppContext, userId: string, loanId: string, amountMinor: number, idempotencyKey: string | null): Promise<RepaymentView> {
  const repaymentId = idempotencyKey ? idFromSeed('rep', `repayment:${userId}:${loanId}:${idempotencyKey}`) : newId('rep', ctx.clock.nowMs());
  return payOnce(ctx, loanId, { repaymentId, amountMinor, source: 'borrower', debitAccountId: walletAccountId(userId) }, (loan) => loan.borrowerUserId === userId);
}

/**
 * Proceeds from outside the platform (a collateral sale, a collection), recorded by an operator: the
 * custodian credits the note holders directly, split like any payment. Never platform money.
 */
export async function recordRecovery(ctx: AppContext, operatorId: string, loanId: string, amountMinor: number, reference: string, idempotencyKey: string | null): Promise<RepaymentView> {
  const repaymentId = idempotencyKey ? idFromSeed('rep', `recovery:${operatorId}:${loanId}:${idempotencyKey}`) : newId('rep', ctx.clock.nowMs());
  return payOnce(ctx, loanId, { repaymentId, amountMinor, source: 'recovery', debitAccountId: CUSTODY_ACCOUNT, note: { reference, recordedBy: operatorId } }, () => true);
}

/**
 * What a payment of `amountMinor` today would do, without making it (the repayment dialog): the same
 * allocation as the payment, on a copy — principal, interest, late fees and the prepayment fee.
 */
export async function previewRepayment(ctx: AppContext, userId: string, loanId: string, amountMinor: number) {
  const loaded = await loadLoan(ctx.db, loanId);
  if (!loaded || loaded.loan.borrowerUserId !== userId) throw new AppError('NOT_FOUND', 'no such loan of yours');
  const paidOn = today(ctx);
  if (compareIsoDate(paidOn, loaded.state.servicedThrough) <= 0) throw new AppError('CONFLICT', `the loan is serviced through ${loaded.state.servicedThrough}; retry`);
  const { paid } = allocate(ctx, loaded, amountMinor, paidOn);
  const b = paid.breakdown;
  const sum = (f: (n: PaymentBreakdown['perNote'][number]) => number) => b.perNote.reduce((a, n) => a + f(n), 0);
  return {
    loanId,
    paidOn,
    amountMinor,
    principalMinor: sum((n) => n.principalMinor),
    interestMinor: sum((n) => n.interestMinor),
    penaltyMinor: sum((n) => n.penaltyMinor),
    prepaymentFeeMinor: b.prepaymentFeeMinor,
    prepaymentFeeBps: b.prepaymentFeeBps,
    earlyInterestMinor: b.earlyInterestMinor,
    prepaidPrincipalMinor: b.prepaidPrincipalMinor,
    installments: b.perInstallment,
    loanStatusAfter: paid.state.status,
    currency: 'CNY' as const,
  };
}

// ---- order financing ----

/**
 * The job of a settled pledged order (docs/market-rules.md §6 "Order financing"): its proceeds are swept from the
 * borrower's wallet into repayment of the loan its listing became, once. The sweep takes the order's
 * amount, at most the payoff today, at most what the wallet has available: one attempt when the order
 * settles; what it could not take stays owed under the schedule.
 */
export async function sweepOrder(ctx: AppContext, merchantId: string, orderId: string): Promise<'swept' | 'nothing_to_sweep' | 'not_applicable'> {
  const [found] = await ctx.db
    .select({ loanId: listings.loanId })
    .from(orders)
    .innerJoin(listings, eq(listings.id, orders.pledgedListingId))
    .where(and(eq(orders.merchantId, merchantId), eq(orders.orderId, orderId)));
  if (!found?.loanId) return 'not_applicable';
  const loanId = found.loanId;
  const nowMs = ctx.clock.nowMs();
  return ctx.transaction(async (tx) => {
    const loaded = await loadLoan(tx, loanId, true);
    assert(loaded, `the listing's loan ${loanId} exists`);
    // The loan row first, then the order: the one lock order of every servicing command.
    const [order] = await tx.select().from(orders).where(and(eq(orders.merchantId, merchantId), eq(orders.orderId, orderId))).for('update');
    if (!order || order.sweptAt || order.status !== 'settled' || order.pledgedListingId !== loaded.loan.listingId || loaded.state.status === 'repaid') return 'not_applicable';
    const wallet = walletAccountId(loaded.loan.borrowerUserId);
    await lockAccounts(tx, [wallet]);
    const payoffMinor = payoffOf(ctx, closedBefore(ctx, loaded, isoDateOfMs(nowMs)).state, isoDateOfMs(nowMs));
    const amountMinor = Math.min(order.amountMinor, payoffMinor, (await balance(tx, wallet)).availableMinor);
    await tx.update(orders).set({ sweptAt: new Date(nowMs), updatedAt: new Date(nowMs) }).where(and(eq(orders.merchantId, merchantId), eq(orders.orderId, orderId)));
    if (amountMinor <= 0) return 'nothing_to_sweep';
    const repaymentId = idFromSeed('rep', `order_sweep:${merchantId}:${orderId}`);
    await pay(ctx, tx, loaded, { repaymentId, amountMinor, source: 'order_sweep', debitAccountId: wallet, note: { orderId, orderAmountMinor: order.amountMinor } });
    return 'swept';
  });
}

// ---- the daily step ----

/**
 * Closes the loan's days up to yesterday (penalties, days past due, buckets, default with acceleration)
 * and sends today's due reminders, once per day. Idempotent: a second run the same day changes nothing;
 * a run after missed days catches them all up (accrueDay closes day by day).
 */
export async function serviceLoan(ctx: AppContext, loanId: string): Promise<'serviced' | 'up_to_date' | 'closed'> {
  const nowMs = ctx.clock.nowMs();
  const day = isoDateOfMs(nowMs);
  return ctx.transaction(async (tx) => {
    const loaded = await loadLoan(tx, loanId, true);
    if (!loaded || loaded.state.status === 'repaid') return 'closed';
    const closed = accrueDay(loaded.state, addDays(day, -1), servicingSettings(ctx.settings.get()));
    const remind = closed.state.status === 'active' && (loaded.loan.remindedThrough === null || compareIsoDate(loaded.loan.remindedThrough, day) < 0);
    if (closed.state.servicedThrough === loaded.state.servicedThrough && !remind) return 'up_to_date';
    await saveState(tx, loaded, closed.state, day, new Date(nowMs), remind ? day : undefined);
    const parties = await partiesOf(tx, loaded);
    const messages: OutboxMessage[] = [];
    await announceServicing(ctx, tx, loaded, parties, closed.state, closed.events, messages);
    await guaranteeOverdue(ctx, tx, loaded.loan, parties.holders, parties.merchant, loaded.state.servicedThrough, closed.state.servicedThrough, messages);
    // Offers on the loan end when it falls past due or defaults, and get today's quote otherwise.
    await upkeepOffers(ctx, tx, loaded, closed.state, day, new Date(nowMs), messages);
    if (remind) await announceReminders(ctx, tx, loaded, parties, dueReminders(closed.state, day), messages);
    await writeOutbox(tx, { messages });
    return 'serviced';
  });
}

/**
 * Loans whose yesterday is not closed, or whose reminders of today are not sent: every active loan once a
 * day, and defaulted ones while their days are being closed. Re-derivable: a lost job leaves the loan in
 * this list until a later run catches it up.
 */
async function dueLoanIds(ctx: AppContext, day: IsoDate, afterId: string): Promise<string[]> {
  const yesterday = addDays(day, -1);
  const found = await ctx.db
    .select({ id: loans.id })
    .from(loans)
    .where(
      and(
        inArray(loans.status, ['active', 'defaulted']),
        gt(loans.id, afterId),
        or(lt(loans.servicedThrough, yesterday), and(eq(loans.status, 'active'), or(isNull(loans.remindedThrough), lt(loans.remindedThrough, day)))),
      ),
    )
    .orderBy(asc(loans.id))
    .limit(DUE_BATCH);
  return found.map((r) => r.id);
}

/**
 * Services every loan that is due: `enqueue` (the scheduler job) gives each loan its job for the day,
 * `service-<loanId>-<YYYY-MM-DD>`, so any number of runs enqueue it once; `inline` runs the same step
 * here (tests, after moving the settable clock). Returns how many loans were due.
 */
export async function serviceDueLoans(ctx: AppContext, mode: 'enqueue' | 'inline' = 'inline'): Promise<number> {
  const day = today(ctx);
  let count = 0;
  for (let after = ''; ; ) {
    const ids = await dueLoanIds(ctx, day, after);
    if (ids.length === 0) return count;
    count += ids.length;
    after = ids[ids.length - 1]!;
    if (mode === 'enqueue') await ctx.queue.enqueue(ids.map((loanId) => ({ name: SERVICE_JOB, id: `service-${loanId}-${day}`, data: { loanId, day } })));
    else for (const loanId of ids) await serviceLoan(ctx, loanId);
  }
}
