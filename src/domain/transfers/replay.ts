/**
 * Re-derivation of a loan's servicing state when notes have changed hands: the loan terms (the notes as
 * cleared), then the payments and transfers in the order they were made, then the days up to the last
 * closed one — exactly what the payments, the trades and the daily step did one by one.
 */
import { assert } from '../assert.js';
import type { IsoDate } from '../dates.js';
import { accrueDay, applyPayment, openLoan, settingsOfPayment, type LoanState, type LoanTerms, type PaymentRecord, type ServicingSettings } from '../servicing/index.js';
import { transferNote, type TransferInput } from './split.js';

export type ServicingRecord = ({ kind?: 'payment' } & PaymentRecord) | ({ kind: 'transfer' } & TransferInput);

export function replayWithTransfers(terms: LoanTerms, log: readonly ServicingRecord[], servicedThrough: IsoDate, settings: ServicingSettings): LoanState {
  let state = openLoan(terms);
  for (const r of log) {
    if (r.kind === 'transfer') {
      state = transferNote(state, r, settings).state;
      continue;
    }
    const result = applyPayment(state, r.amountMinor, r.paidOn, settingsOfPayment(r, settings));
    assert(result.ok, `replay: a recorded payment was refused (${result.ok ? '' : result.code})`);
    state = result.state;
  }
  return accrueDay(state, servicedThrough, settings).state;
}
