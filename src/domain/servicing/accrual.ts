/**
 * Interest inside the current period, docs/market-rules.md §6 ("interest accrues only to the payment date"), and the
 * two events that change a note's remaining schedule: an early repayment of principal (recomputation) and
 * default (acceleration). Conventions are in docs/servicing.md ("Early repayment", "Default").
 */
import { assert } from '../assert.js';
import { compareIsoDate, daysBetween, type IsoDate } from '../dates.js';
import { BULLET, actual365InterestMinor, amortise, periodInterestMinor, type RepaymentKind } from './schedule.js';
import { outstandingPrincipalFrom, unpaidPart, type Installment, type NoteState } from './state.js';

/**
 * Interest on `outstandingMinor` for `days` days of the installment's period, by the period's own
 * accrual: a bullet's actual/365, or a monthly period's interest shared out by days.
 */
export function interestForDaysMinor(inst: Installment, outstandingMinor: number, rateBps: number, days: number): number {
  if (inst.accrual === 'actual_365') return actual365InterestMinor(outstandingMinor, rateBps, days);
  return periodInterestMinor(outstandingMinor, rateBps, days, daysBetween(inst.fromDate, inst.dueDate));
}

/**
 * Interest the note has earned in period `index` up to `date`: what was locked by earlier prepayments in
 * the period, plus the period's interest on the outstanding principal pro rata to the days since
 * (days elapsed / days in the period) — the convention of Apache Fineract's progressive loans with 30/360
 * day count and interest recalculation on pre-closure ("calculate till pre-closure date").
 */
export function accruedInterestToDate(note: NoteState, index: number, date: IsoDate): number {
  const inst = note.installments[index]!;
  assert(compareIsoDate(date, inst.accrualFrom) >= 0, `accrual asked before ${inst.accrualFrom}: ${date}`);
  assert(compareIsoDate(date, inst.dueDate) < 0, 'accrual is for the current (not yet due) period');
  const outstandingMinor = outstandingPrincipalFrom(note, index);
  return inst.interestLockedMinor + interestForDaysMinor(inst, outstandingMinor, note.rateBps, daysBetween(inst.accrualFrom, date));
}

/** Interest earned to `date` in period `index` and not yet paid. */
export function accruedUnpaidInterest(note: NoteState, index: number, date: IsoDate): number {
  const owed = accruedInterestToDate(note, index, date) - note.installments[index]!.interestPaidMinor;
  assert(owed >= 0, 'interest paid in the current period never exceeds what it has earned');
  return owed;
}

/**
 * Records `principalMinor` prepaid on `date` in the current period `index` and recomputes the note's
 * schedule (docs/servicing.md §7). The interest earned so far is locked (it was paid first). The prepaid
 * principal first settles this installment's own principal; only an excess changes the later periods,
 * which are re-amortised by the note's repayment kind over the periods left after this one. This period's
 * interest becomes the locked part plus interest on the new outstanding for the days left in it.
 */
export function prepayPrincipal(note: NoteState, index: number, date: IsoDate, principalMinor: number, kind: RepaymentKind): void {
  const inst = note.installments[index]!;
  const accruedMinor = accruedInterestToDate(note, index, date);
  assert(inst.interestPaidMinor === accruedMinor, 'interest earned to date is paid before principal is prepaid');
  const outstandingMinor = outstandingPrincipalFrom(note, index) - principalMinor;
  assert(principalMinor > 0 && outstandingMinor >= 0, 'prepayment within the outstanding principal');
  const currentUnpaidMinor = unpaidPart(inst, 'principal');
  inst.principalPaidMinor += principalMinor;
  inst.interestLockedMinor = accruedMinor;
  inst.accrualFrom = date;
  if (principalMinor > currentUnpaidMinor) {
    inst.principalDueMinor = inst.principalPaidMinor; // settled; the excess comes off the later periods
    reamortiseAfter(note, index, outstandingMinor, kind);
  }
  const daysLeft = daysBetween(date, inst.dueDate);
  inst.interestDueMinor = accruedMinor + interestForDaysMinor(inst, outstandingMinor, note.rateBps, daysLeft);
}

/** A fresh schedule of `outstandingMinor` over the periods after `index` (none of them paid yet). */
function reamortiseAfter(note: NoteState, index: number, outstandingMinor: number, kind: RepaymentKind): void {
  const periods = note.installments.length - index - 1;
  if (periods === 0) {
    assert(outstandingMinor === 0, 'nothing is outstanding after the last period');
    return;
  }
  assert(kind !== BULLET, 'a bullet has one period: nothing comes after it');
  amortise(outstandingMinor, note.rateBps, periods, kind).forEach((row, k) => {
    const later = note.installments[index + 1 + k]!;
    assert(later.principalPaidMinor === 0 && later.interestPaidMinor === 0, 'future installments are unpaid');
    later.principalDueMinor = row.principalMinor;
    later.interestDueMinor = row.interestMinor;
  });
}

/**
 * Acceleration on default (docs/market-rules.md §6): the current period `index` falls due on `date` carrying all the
 * outstanding principal and the interest earned up to `date`; later periods are emptied and also dated
 * `date`, so nothing is left in the future and no further interest accrues. Returns the principal
 * accelerated.
 */
export function accelerateNote(note: NoteState, index: number, date: IsoDate): number {
  const inst = note.installments[index]!;
  const outstandingMinor = outstandingPrincipalFrom(note, index);
  const accruedMinor = accruedInterestToDate(note, index, date);
  for (let k = index + 1; k < note.installments.length; k++) {
    const later = note.installments[k]!;
    assert(later.principalPaidMinor === 0 && later.interestPaidMinor === 0, 'future installments are unpaid');
    Object.assign(later, { fromDate: date, dueDate: date, accrualFrom: date, principalDueMinor: 0, interestDueMinor: 0 });
  }
  inst.principalDueMinor = inst.principalPaidMinor + outstandingMinor;
  inst.interestDueMinor = accruedMinor;
  inst.interestLockedMinor = accruedMinor;
  inst.accrualFrom = date;
  inst.dueDate = date;
  return outstandingMinor;
}
