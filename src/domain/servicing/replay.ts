/**
 * Re-derivation of the servicing state (docs/market-rules.md §5–6; docs/architecture.md "Consistency"): the state is a pure
 * function of the loan terms, the accepted payments in order and the last serviced date. Replaying closes
 * the days before each payment, applies it, then closes the days up to `servicedThrough` — exactly what
 * applyPayment and accrueDay do incrementally, in whatever order the job and the payments interleaved.
 */
import { assert } from '../assert.js';
import type { IsoDate } from '../dates.js';
import { applyPayment } from './allocation.js';
import { accrueDay } from './daily.js';
import { openLoan, type LoanState, type LoanTerms, type ServicingSettings } from './state.js';

export interface PaymentRecord {
  amountMinor: number;
  paidOn: IsoDate;
  /** The prepayment fee rate the payment was made under (kept with it); the settings' when absent. */
  prepaymentFeeBps?: number;
}

/** The settings a recorded payment was applied under: its own prepayment fee rate when it kept one. */
export function settingsOfPayment(p: PaymentRecord, settings: ServicingSettings): ServicingSettings {
  return p.prepaymentFeeBps === undefined ? settings : { ...settings, prepaymentFeeBps: p.prepaymentFeeBps };
}

export function replay(terms: LoanTerms, payments: readonly PaymentRecord[], servicedThrough: IsoDate, settings: ServicingSettings): LoanState {
  let state = openLoan(terms);
  for (const p of payments) {
    const result = applyPayment(state, p.amountMinor, p.paidOn, settingsOfPayment(p, settings));
    assert(result.ok, `replay: a recorded payment was refused (${result.ok ? '' : result.code})`);
    state = result.state;
  }
  return accrueDay(state, servicedThrough, settings).state;
}
