/**
 * One truth per status (docs/market-rules.md §6): a loan's standing as of a date, and an installment paid
 * early in part reads "partly paid" with what is left, its figures adding up.
 */
import { describe, expect, it } from 'vitest';
import { accrueDay, applyPayment, loanStanding, openLoan, owedToday, scheduleView } from '../../../src/domain/servicing/index.js';
import { SETTINGS } from './arbitraries.js';

const loan = () => openLoan({ disbursedOn: '2025-01-15', termMonths: 12, repayment: 'equal_installment', notes: [{ noteId: 'note_a', principalMinor: 1_000_000, rateBps: 1200 }] });

describe('standings', () => {
  it('current before the due date, late the day after the grace days with the days past due counted to the date, repaid once paid off', () => {
    const s = loan();
    expect(loanStanding(s, '2025-02-10', SETTINGS)).toMatchObject({ standing: 'current', daysPastDue: 0, nextDue: { n: 1, dueDate: '2025-02-15', amountMinor: 88_849 } });
    const late = accrueDay(s, '2025-02-22', SETTINGS).state;
    const on23 = loanStanding(late, '2025-02-23', SETTINGS);
    expect(on23).toMatchObject({ standing: 'late', daysPastDue: 8, lateInstallments: [1] });
    // The same as the days the daily job closed, plus today: what every page shows is this one figure.
    expect(on23.daysPastDue).toBe(late.daysPastDue + 1);
    const payoff = owedToday(late, '2025-02-23').payoffMinor;
    const paid = applyPayment(late, payoff, '2025-02-23', SETTINGS);
    expect(paid.ok && loanStanding(paid.state, '2025-02-23', SETTINGS)).toMatchObject({ standing: 'repaid', daysPastDue: 0, nextDue: null });
  });

  it('an installment paid in part ahead of its due date is partly paid, and principal + interest + fees = paid + left', () => {
    const first = applyPayment(loan(), 88_849, '2025-02-15', SETTINGS);
    expect(first.ok).toBe(true);
    const early = first.ok ? applyPayment(first.state, 88_849, '2025-02-20', SETTINGS) : first;
    expect(early.ok).toBe(true);
    if (!early.ok) return;
    const row = scheduleView(early.state, '2025-02-20')[1]!;
    expect(row.status).toBe('partly_paid');
    expect(row.leftMinor).toBeGreaterThan(0);
    expect(row.principalMinor + row.interestMinor + row.feeMinor).toBe(row.paidMinor + row.leftMinor);
    expect(loanStanding(early.state, '2025-02-20', SETTINGS).nextDue).toMatchObject({ n: 2, amountMinor: row.leftMinor });
  });
});
