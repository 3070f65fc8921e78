/**
 * The wallet statement (docs/wallet.md): a period's opening balances, its lines with their signed effect
 * on available and held and the running balances, its closing balances; the annual statement; the CSV.
 * Reads only. The meaning of each transfer for the wallet is decided by src/domain/statement.
 */
import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import { rows, type Queryable } from '../db/client.js';
import { AppError } from '../domain/errors.js';
import { buildStatement, totalsByKind, type Balances, type StatementLine, type WalletTransfer } from '../domain/statement/index.js';
import { formatYuan } from '../domain/servicing/index.js';
import { walletAccountId } from '../ledger/ledger.js';
import { csv } from './statements.js';

/** A statement reads at most this many transfers: a longer period is refused (choose a shorter one). */
export const MAX_STATEMENT_TRANSFERS = 20_000;
/** The longest period one statement covers. */
export const MAX_STATEMENT_DAYS = 366;

/** Balances of the wallet just before `at`: every transfer before it, read with the statement's rules. */
async function balancesBefore(q: Queryable, account: string, at: Date): Promise<Balances> {
  const [r] = await rows<{ available: number | string; held: number | string }>(
    q,
    sql`select
          coalesce(sum(case
            when t.phase = 'single' and t.credit_account_id = ${account} then t.amount_minor
            when t.phase = 'single' then -t.amount_minor
            when t.phase = 'pending' and t.debit_account_id = ${account} then -t.amount_minor
            when t.phase = 'post' and t.debit_account_id = ${account} then h.amount_minor - t.amount_minor
            when t.phase = 'post' then t.amount_minor
            when t.phase = 'void' and t.debit_account_id = ${account} then h.amount_minor
            else 0 end), 0)::bigint as available,
          coalesce(sum(case
            when t.phase = 'pending' and t.debit_account_id = ${account} then t.amount_minor
            when t.phase in ('post', 'void') and t.debit_account_id = ${account} then -h.amount_minor
            else 0 end), 0)::bigint as held
        from ledger_transfers t left join ledger_transfers h on h.id = t.pending_id
        where (t.debit_account_id = ${account} or t.credit_account_id = ${account}) and t.created_at < ${at.toISOString()}::timestamptz`,
  );
  return { availableMinor: Number(r?.available ?? 0), heldMinor: Number(r?.held ?? 0) };
}

interface TransferRow {
  id: string;
  at: Date | string;
  kind: string;
  phase: WalletTransfer['phase'];
  amount_minor: number | string;
  debit_account_id: string;
  hold_amount: number | string | null;
  resolution: 'post' | 'void' | null;
  bid_id: string | null;
  bid_status: string | null;
  listing_id: string | null;
  listing_title: string | null;
  listing_status: string | null;
  loan_id: string | null;
  note_id: string | null;
  repayment_id: string | null;
  repayment_source: string | null;
  split: Record<string, unknown> | string | null;
}

/** The transfers of the period touching the wallet, in ledger order, with what each refers to. */
async function transfersOf(q: Queryable, account: string, from: Date, to: Date): Promise<WalletTransfer[]> {
  const found = await rows<TransferRow>(
    q,
    sql`select t.id, t.created_at as at, t.kind, t.phase, t.amount_minor, t.debit_account_id, h.amount_minor as hold_amount,
               (select r.phase from ledger_transfers r where r.pending_id = t.id) as resolution,
               b.id as bid_id, b.status as bid_status,
               coalesce(b.listing_id, nlo.listing_id, fl.id) as listing_id,
               coalesce(bl.title, nl.title, fl.title) as listing_title,
               coalesce(bl.status, fl.status) as listing_status,
               coalesce(bl.loan_id, n.loan_id) as loan_id,
               n.id as note_id, rp.id as repayment_id, rp.source as repayment_source,
               case when t.debit_account_id = ${account} then jsonb_build_object('principalMinor', rp.principal_minor, 'interestMinor', rp.interest_minor, 'penaltyMinor', rp.penalty_minor, 'prepaymentFeeMinor', rp.prepayment_fee_minor)
                    else (select x from jsonb_array_elements(rp.breakdown->'perNote') x where x->>'noteId' = n.id limit 1) end as split
        from ledger_transfers t
        left join ledger_transfers h on h.id = t.pending_id
        left join bids b on t.kind in ('bid_hold', 'bid_fill', 'bid_release') and b.id = t.reference
        left join listings bl on bl.id = b.listing_id
        left join listings fl on t.kind = 'platform_fee' and fl.id = t.reference
        left join loan_notes n on t.kind = 'repayment' and n.id = t.reference
        left join loans nlo on nlo.id = n.loan_id
        left join listings nl on nl.id = nlo.listing_id
        left join repayments rp on t.kind = 'repayment' and rp.loan_id = n.loan_id and t.id = 'xfr_' || rp.id || '_' || n.id
        where (t.debit_account_id = ${account} or t.credit_account_id = ${account})
          and t.created_at >= ${from.toISOString()}::timestamptz and t.created_at < ${to.toISOString()}::timestamptz
        order by t.created_at, case when t.phase in ('post', 'void') then 1 else 0 end, t.id
        limit ${MAX_STATEMENT_TRANSFERS + 1}`,
  );
  if (found.length > MAX_STATEMENT_TRANSFERS) {
    throw new AppError('STATEMENT_TOO_LONG', `more than ${MAX_STATEMENT_TRANSFERS} movements in the period; choose a shorter one`, { maxLines: MAX_STATEMENT_TRANSFERS });
  }
  return found.map((r): WalletTransfer => {
    const side = r.debit_account_id === account ? 'debit' : 'credit';
    const refs: WalletTransfer['refs'] = {
      ...(r.listing_id ? { listingId: r.listing_id } : {}),
      ...(r.listing_title ? { listingTitle: r.listing_title } : {}),
      ...(r.bid_id ? { bidId: r.bid_id } : {}),
      ...(r.loan_id ? { loanId: r.loan_id } : {}),
      ...(r.note_id ? { noteId: r.note_id } : {}),
      ...(r.repayment_id ? { repaymentId: r.repayment_id } : {}),
      ...(r.repayment_source ? { source: r.repayment_source } : {}),
      ...(r.repayment_id && r.split ? { split: splitOf(typeof r.split === 'string' ? (JSON.parse(r.split) as Record<string, unknown>) : r.split) } : {}),
      ...(r.kind === 'bid_release' ? { reason: r.bid_status === 'outbid' ? 'outbid' : (r.listing_status ?? 'released') } : {}),
    };
    // One line per event: a loan's disbursement (its notes' fills), one repayment over its notes.
    const groupKey = r.kind === 'bid_fill' && side === 'credit' && r.listing_id ? `disbursement:${r.listing_id}` : r.kind === 'repayment' && side === 'debit' && r.repayment_id ? `repayment:${r.repayment_id}` : null;
    return {
      id: r.id,
      at: new Date(r.at).toISOString(),
      kind: r.kind,
      phase: r.phase,
      amountMinor: Number(r.amount_minor),
      side,
      ...(r.hold_amount !== null ? { holdAmountMinor: Number(r.hold_amount) } : {}),
      ...(r.phase === 'pending' ? { holdOutcome: r.resolution === null ? 'pending' : r.resolution === 'post' ? 'posted' : 'released' } : {}),
      groupKey,
      refs,
    };
  });
}

function splitOf(x: Record<string, unknown>) {
  const n = (k: string) => Number(x[k] ?? 0);
  return { principalMinor: n('principalMinor'), interestMinor: n('interestMinor'), penaltyMinor: n('penaltyMinor'), prepaymentFeeMinor: n('prepaymentFeeMinor') };
}

export interface StatementPeriod {
  from: Date;
  to: Date;
}

/** Checks and completes a period: `to` defaults to now, `from` to the start of to's month. */
export function periodOf(nowMs: number, from?: string, to?: string): StatementPeriod {
  const end = to ? new Date(`${to}T00:00:00Z`) : new Date(nowMs + 1);
  const start = from ? new Date(`${from}T00:00:00Z`) : new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), 1));
  const bad = (field: string, message: string) => new AppError('VALIDATION_FAILED', `querystring/${field} ${message}`, { errors: [{ field: `querystring/${field}`, message }] });
  if (Number.isNaN(start.getTime())) throw bad('from', 'is not a date');
  if (Number.isNaN(end.getTime())) throw bad('to', 'is not a date');
  if (end <= start) throw bad('to', 'must be after from');
  if (end.getTime() - start.getTime() > MAX_STATEMENT_DAYS * 86_400_000) throw bad('to', `must be within ${MAX_STATEMENT_DAYS} days of from`);
  return { from: start, to: end };
}

export interface WalletStatement {
  from: string;
  to: string;
  currency: 'CNY';
  opening: Balances;
  closing: Balances;
  lines: StatementLine[];
}

/** The statement of a period (docs/wallet.md): opening, lines with effects and running balances, closing. */
export async function walletStatement(ctx: AppContext, userId: string, period: StatementPeriod): Promise<WalletStatement> {
  const account = walletAccountId(userId);
  // One snapshot: the opening and the lines agree with each other whatever commits meanwhile.
  return ctx.db.transaction(async (tx) => {
    if (ctx.config.databaseUrl) await tx.execute(sql`set transaction isolation level repeatable read`);
    const opening = await balancesBefore(tx, account, period.from);
    const { lines, closing } = buildStatement(opening, await transfersOf(tx, account, period.from, period.to));
    return { from: period.from.toISOString(), to: period.to.toISOString(), currency: 'CNY' as const, opening, closing, lines };
  });
}

/** The annual statement: the year's statement with totals by kind of line. */
export async function annualStatement(ctx: AppContext, userId: string, year: number) {
  const statement = await walletStatement(ctx, userId, { from: new Date(Date.UTC(year, 0, 1)), to: new Date(Date.UTC(year + 1, 0, 1)) });
  return { year, ...statement, totals: totalsByKind(statement.lines) as Record<string, number> };
}

/** The statement as CSV: one row per line, money in yuan with two decimals, the balances after each. */
export async function statementCsv(ctx: AppContext, userId: string, period: StatementPeriod): Promise<string> {
  const s = await walletStatement(ctx, userId, period);
  const opening = ['', 'opening', '', '', '', formatYuan(s.opening.availableMinor), formatYuan(s.opening.heldMinor), '', '', '', '', ''];
  const lines = s.lines.map((l) => [
    l.at,
    l.kind,
    l.refs.listingTitle ?? '',
    formatYuan(l.availableEffectMinor),
    formatYuan(l.heldEffectMinor),
    formatYuan(l.availableAfterMinor),
    formatYuan(l.heldAfterMinor),
    l.holdStatus ?? '',
    l.refs.listingId ?? '',
    l.refs.loanId ?? '',
    l.refs.repaymentId ?? '',
    l.id,
  ]);
  const closing = ['', 'closing', '', '', '', formatYuan(s.closing.availableMinor), formatYuan(s.closing.heldMinor), '', '', '', '', ''];
  return csv(['at', 'kind', 'listing', 'available_change_yuan', 'held_change_yuan', 'available_after_yuan', 'held_after_yuan', 'hold_status', 'listing_id', 'loan_id', 'repayment_id', 'transfer_id'], [opening, ...lines, closing]);
}
