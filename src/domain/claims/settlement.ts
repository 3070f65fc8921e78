/**
 * Where a payment from outside lands: a core enterprise settling a payable (docs/supply-chain.md §2) and
 * an order system paying in an order's proceeds (§3). The loan the money backs is paid first, up to
 * what it owes today (the caller's payoff, from the servicing core); the holder of the claim, or the
 * merchant of the order, gets the rest. Every split adds up to what was paid, to the fen.
 */
import { assert, assertNonNegativeMinor } from '../assert.js';

export interface SettlingClaim {
  claimId: string;
  amountMinor: number;
  /** The loan this claim backs, if it backs one that is still owed anything. */
  loanId: string | null;
}

export interface ClaimPayout {
  claimId: string;
  loanId: string | null;
  toLoanMinor: number;
  toHolderMinor: number;
}

export interface Settlement {
  perClaim: ClaimPayout[];
  /** What each loan receives: one payment per loan, the sum of its claims' shares. */
  perLoan: Map<string, number>;
}

/**
 * Splits a payable over its claims, in the order given. A loan backed by several claims is paid by each
 * in turn until its payoff is met; each claim's holder gets what its claim did not pay into the loan.
 */
export function settlementSplit(claims: readonly SettlingClaim[], payoffMinor: ReadonlyMap<string, number>): Settlement {
  const left = new Map(payoffMinor);
  const perLoan = new Map<string, number>();
  const perClaim = claims.map((c): ClaimPayout => {
    assertNonNegativeMinor(c.amountMinor, 'claim amountMinor');
    const owed = c.loanId === null ? 0 : (left.get(c.loanId) ?? 0);
    assertNonNegativeMinor(owed, 'payoffMinor');
    const toLoanMinor = Math.min(c.amountMinor, owed);
    if (c.loanId !== null && toLoanMinor > 0) {
      left.set(c.loanId, owed - toLoanMinor);
      perLoan.set(c.loanId, (perLoan.get(c.loanId) ?? 0) + toLoanMinor);
    }
    return { claimId: c.claimId, loanId: c.loanId, toLoanMinor, toHolderMinor: c.amountMinor - toLoanMinor };
  });
  const total = claims.reduce((a, c) => a + c.amountMinor, 0);
  assert(perClaim.reduce((a, p) => a + p.toLoanMinor + p.toHolderMinor, 0) === total, 'a settlement pays out exactly the payable');
  return { perClaim, perLoan };
}

/** An order's proceeds: the loan it backs first (payoff, or null when it backs none), the merchant the rest. */
export function proceedsSplit(amountMinor: number, payoffMinor: number | null): { toLoanMinor: number; toMerchantMinor: number } {
  assertNonNegativeMinor(amountMinor, 'amountMinor');
  const toLoanMinor = payoffMinor === null ? 0 : Math.min(amountMinor, payoffMinor);
  assertNonNegativeMinor(toLoanMinor, 'toLoanMinor');
  return { toLoanMinor, toMerchantMinor: amountMinor - toLoanMinor };
}
