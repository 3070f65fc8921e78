/**
 * A wallet statement a person can reconcile (docs/wallet.md): from an opening balance, each line moves
 * the wallet's *available* and *held* balances by a signed amount, and the running balances after the
 * last line are the wallet. Pure: the shell reads the ledger transfers that touch the wallet, in ledger
 * order, with what each refers to; this module decides what each means for the wallet's owner.
 *
 * The ledger's rules (TigerBeetle's model) seen from one wallet W:
 * * a posted transfer out of W lowers available; into W raises it;
 * * a hold out of W (a pending transfer: a bid, a withdrawal) moves the amount from available to held;
 * * posting a hold of h for p ≤ h takes p out of held (it leaves the wallet) and gives h − p back to
 *   available: two lines, the money that left and the money that came back;
 * * voiding a hold gives it all back to available;
 * * a hold *into* W (a lender's bid on W's listing) is not W's money until posted: no line.
 * Lines of one event are shown as one (a loan's disbursement from many notes; one repayment paid to many
 * note holders), with their parts kept for the detail.
 */

/** Kinds of statement lines. New kinds (note sales, …) are added here and in LINE_RULES. */
export const LINE_KINDS = [
  'deposit',
  'withdrawal_requested',
  'withdrawal_paid',
  'withdrawal_refused',
  'bid_hold',
  'bid_filled',
  'bid_unfilled_returned',
  'bid_released',
  'loan_disbursed',
  'platform_fee',
  'repayment_paid',
  'repayment_received',
  'recovery_received',
  'other',
] as const;
export type LineKind = (typeof LINE_KINDS)[number];

export interface Balances {
  availableMinor: number;
  heldMinor: number;
}

/** One ledger transfer touching the wallet, as the shell read it. */
export interface WalletTransfer {
  id: string;
  /** RFC 3339 time of the transfer. */
  at: string;
  /** The ledger's kind: deposit, withdrawal, bid_hold, bid_fill, bid_release, platform_fee, repayment, … */
  kind: string;
  phase: 'single' | 'pending' | 'post' | 'void';
  amountMinor: number;
  /** debit: out of this wallet; credit: into it. */
  side: 'debit' | 'credit';
  /** For a post or void: the amount of the hold it resolves. */
  holdAmountMinor?: number;
  /** For a hold: how it ended so far. */
  holdOutcome?: 'pending' | 'posted' | 'released';
  /** Transfers of one event share it (a disbursement, a repayment): they become one line. */
  groupKey?: string | null;
  /** What it refers to, for the line's description and detail. */
  refs?: StatementRefs;
}

export interface StatementRefs {
  listingId?: string;
  listingTitle?: string;
  bidId?: string;
  loanId?: string;
  noteId?: string;
  repaymentId?: string;
  /** Why a bid's hold was released: outbid, the listing withdrawn or failed. */
  reason?: string;
  /** The repayment's source: borrower, order_sweep, recovery. */
  source?: string;
  /** A repayment's parts: the whole payment on the payer's line, the note's share on a holder's line. */
  split?: { principalMinor: number; interestMinor: number; penaltyMinor: number; prepaymentFeeMinor: number };
}

export interface StatementLine {
  id: string;
  at: string;
  kind: LineKind;
  /** The money the line is about, positive (the effects below carry the signs). */
  amountMinor: number;
  availableEffectMinor: number;
  heldEffectMinor: number;
  availableAfterMinor: number;
  heldAfterMinor: number;
  /** For a hold line: pending while it stands, then posted (filled, paid out) or released. */
  holdStatus?: 'pending' | 'posted' | 'released';
  /** How many transfers the line sums (several notes of one disbursement or repayment). */
  parts: number;
  refs: StatementRefs;
}

interface Effect {
  kind: LineKind;
  amountMinor: number;
  available: number;
  held: number;
}

/** What a transfer means for the wallet: zero, one or two lines (a partly posted hold gives two). */
export function effectsOf(t: WalletTransfer): Effect[] {
  const a = t.amountMinor;
  const debit = t.side === 'debit';
  switch (t.phase) {
    case 'single':
      if (t.kind === 'deposit') return [{ kind: 'deposit', amountMinor: a, available: a, held: 0 }];
      if (t.kind === 'platform_fee') return [{ kind: 'platform_fee', amountMinor: a, available: -a, held: 0 }];
      if (t.kind === 'repayment') {
        if (debit) return [{ kind: 'repayment_paid', amountMinor: a, available: -a, held: 0 }];
        return [{ kind: t.refs?.source === 'recovery' ? 'recovery_received' : 'repayment_received', amountMinor: a, available: a, held: 0 }];
      }
      return [{ kind: 'other', amountMinor: a, available: debit ? -a : a, held: 0 }];
    case 'pending':
      // A hold on someone else's money, pending into this wallet, is not this wallet's yet.
      if (!debit) return [];
      return [{ kind: t.kind === 'withdrawal' ? 'withdrawal_requested' : t.kind === 'bid_hold' ? 'bid_hold' : 'other', amountMinor: a, available: -a, held: a }];
    case 'post': {
      const h = t.holdAmountMinor ?? a;
      if (!debit) return [{ kind: t.kind === 'bid_fill' ? 'loan_disbursed' : 'other', amountMinor: a, available: a, held: 0 }];
      const out: Effect[] = [];
      if (a > 0) out.push({ kind: t.kind === 'bid_fill' ? 'bid_filled' : t.kind === 'withdrawal' ? 'withdrawal_paid' : 'other', amountMinor: a, available: 0, held: -a });
      if (h - a > 0) out.push({ kind: 'bid_unfilled_returned', amountMinor: h - a, available: h - a, held: -(h - a) });
      return out;
    }
    case 'void': {
      if (!debit) return [];
      const h = t.holdAmountMinor ?? a;
      return [{ kind: t.kind === 'withdrawal' ? 'withdrawal_refused' : t.kind === 'bid_release' ? 'bid_released' : 'other', amountMinor: h, available: h, held: -h }];
    }
  }
}

/**
 * The statement of a period: its opening balances and its transfers in ledger order. Each line carries
 * its effect and the balances after it; transfers of one event (same group key, same instant) are one
 * line. The closing balances are the opening plus every effect.
 */
export function buildStatement(opening: Balances, transfers: readonly WalletTransfer[]): { lines: StatementLine[]; closing: Balances } {
  const lines: StatementLine[] = [];
  let available = opening.availableMinor;
  let held = opening.heldMinor;
  for (const t of transfers) {
    effectsOf(t).forEach((e, i) => {
      available += e.available;
      held += e.held;
      const last = lines[lines.length - 1];
      if (t.groupKey && last && i === 0 && last.kind === e.kind && last.at === t.at && groupOf(last) === t.groupKey) {
        last.amountMinor += e.amountMinor;
        last.availableEffectMinor += e.available;
        last.heldEffectMinor += e.held;
        last.availableAfterMinor = available;
        last.heldAfterMinor = held;
        last.parts++;
        return;
      }
      const line: StatementLine = {
        id: i === 0 ? t.id : `${t.id}:${i}`,
        at: t.at,
        kind: e.kind,
        amountMinor: e.amountMinor,
        availableEffectMinor: e.available,
        heldEffectMinor: e.held,
        availableAfterMinor: available,
        heldAfterMinor: held,
        parts: 1,
        refs: { ...(t.refs ?? {}) },
      };
      if (t.phase === 'pending') line.holdStatus = t.holdOutcome ?? 'pending';
      if (t.groupKey) groups.set(line, t.groupKey);
      lines.push(line);
    });
  }
  return { lines, closing: { availableMinor: available, heldMinor: held } };
}

const groups = new WeakMap<StatementLine, string>();
function groupOf(line: StatementLine): string | undefined {
  return groups.get(line);
}

/** Totals of a period by kind (the annual statement's summary): Σ amounts of the lines of each kind. */
export function totalsByKind(lines: readonly StatementLine[]): Partial<Record<LineKind, number>> {
  const out: Partial<Record<LineKind, number>> = {};
  for (const l of lines) out[l.kind] = (out[l.kind] ?? 0) + l.amountMinor;
  return out;
}
