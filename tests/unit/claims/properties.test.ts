/**
 * Properties of the claim rules over random histories: any sequence of issues, assignments (accepted or
 * refused) and settlements keeps every payable's claims adding up to it and the core enterprise's
 * unpaid claims within its limit; every settlement pays out exactly its payable, each backed loan
 * first (never more than its payoff) and each holder the rest.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../../../src/domain/dates.js';
import { assignClaim, checkIssue, settlementSplit, type ClaimState } from '../../../src/domain/claims/index.js';
import { DEFAULT_SETTINGS } from '../../../src/domain/settings.js';

type Op =
  | { kind: 'issue'; amountMinor: number; days: number }
  | { kind: 'assign'; claim: number; to: number; amountMinor: number }
  | { kind: 'settle'; payable: number; payoffs: number[] }
  | { kind: 'pledge'; claim: number };

const MERCHANTS = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6'];
const LIMIT = 50_000_000;

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('issue' as const), amountMinor: fc.integer({ min: 1, max: 20_000_000 }), days: fc.integer({ min: -2, max: 400 }) }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('assign' as const), claim: fc.nat(), to: fc.nat(), amountMinor: fc.oneof(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 100, max: 100_000 }).map((y) => y * 100)) }) },
  fc.record({ kind: fc.constant('settle' as const), payable: fc.nat(), payoffs: fc.array(fc.integer({ min: 0, max: 20_000_000 }), { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('pledge' as const), claim: fc.nat() }),
);

interface Payable {
  id: number;
  amountMinor: number;
  dueDate: string;
  status: 'outstanding' | 'settled';
}
interface Claim extends ClaimState {
  payable: number;
  loanId: string | null;
}

describe('claims over random histories', () => {
  it('a payable\'s claims always add up to it; unpaid claims stay within the limit; settlements add up to the fen', () => {
    fc.assert(
      fc.property(fc.array(arbOp, { minLength: 1, maxLength: 40 }), (ops) => {
        const today = '2031-04-01';
        const payables: Payable[] = [];
        const claims: Claim[] = [];
        for (const op of ops) {
          if (op.kind === 'issue') {
            const unpaidMinor = payables.filter((p) => p.status === 'outstanding').reduce((a, p) => a + p.amountMinor, 0);
            const dueDate = addDays(today, op.days);
            const r = checkIssue({ amountMinor: op.amountMinor, dueDate, today, unpaidMinor, limitMinor: LIMIT, settings: DEFAULT_SETTINGS });
            if (r.ok) {
              const id = payables.push({ id: payables.length, amountMinor: op.amountMinor, dueDate, status: 'outstanding' }) - 1;
              const holder = MERCHANTS[id % MERCHANTS.length]!;
              claims.push({ id: `c${claims.length}`, payable: id, holderMerchantId: holder, tier: 1, amountMinor: op.amountMinor, chain: [holder], pledged: false, loanId: null });
            }
          } else if (op.kind === 'assign' && claims.length > 0) {
            const claim = claims[op.claim % claims.length]!;
            const payable = payables[claim.payable]!;
            const r = assignClaim({ claim, payable, toMerchantId: MERCHANTS[op.to % MERCHANTS.length]!, amountMinor: op.amountMinor, today, settings: DEFAULT_SETTINGS });
            if (r.ok) {
              expect(r.assignment.keptMinor + r.assignment.child.amountMinor).toBe(claim.amountMinor);
              claim.amountMinor = r.assignment.keptMinor;
              claims.push({ id: `c${claims.length}`, payable: claim.payable, ...r.assignment.child, pledged: false, loanId: null });
            } else {
              expect(claim.amountMinor).toBeGreaterThanOrEqual(0);
            }
          } else if (op.kind === 'pledge' && claims.length > 0) {
            const claim = claims[op.claim % claims.length]!;
            claim.pledged = true;
            claim.loanId = `loan_${claim.id}`;
          } else if (op.kind === 'settle' && payables.length > 0) {
            const payable = payables[op.payable % payables.length]!;
            if (payable.status === 'settled') continue;
            const mine = claims.filter((c) => c.payable === payable.id);
            const payoff = new Map(mine.filter((c) => c.loanId).map((c, i) => [c.loanId!, op.payoffs[i] ?? 0]));
            const s = settlementSplit(mine.map((c) => ({ claimId: c.id, amountMinor: c.amountMinor, loanId: c.loanId })), payoff);
            // Exactly the payable, to the fen; each loan never above its payoff; a holder is paid only once its loan is.
            expect(s.perClaim.reduce((a, p) => a + p.toLoanMinor + p.toHolderMinor, 0)).toBe(payable.amountMinor);
            for (const [loanId, paid] of s.perLoan) expect(paid).toBeLessThanOrEqual(payoff.get(loanId)!);
            for (const p of s.perClaim) {
              expect(p.toLoanMinor).toBeGreaterThanOrEqual(0);
              expect(p.toHolderMinor).toBeGreaterThanOrEqual(0);
              if (p.loanId && p.toHolderMinor > 0) expect(s.perLoan.get(p.loanId) ?? 0).toBe(payoff.get(p.loanId));
            }
            payable.status = 'settled';
          }
          for (const p of payables) {
            expect(claims.filter((c) => c.payable === p.id).reduce((a, c) => a + c.amountMinor, 0)).toBe(p.amountMinor);
          }
          expect(payables.filter((p) => p.status === 'outstanding').reduce((a, p) => a + p.amountMinor, 0)).toBeLessThanOrEqual(LIMIT);
          for (const c of claims) {
            expect(c.chain).toHaveLength(c.tier);
            expect(c.tier).toBeLessThanOrEqual(DEFAULT_SETTINGS.claimMaxTier);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('settlement splits add up to the payable for any claims and payoffs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ amountMinor: fc.integer({ min: 0, max: 1e12 }), loan: fc.option(fc.integer({ min: 0, max: 3 })) }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 1e12 }), { minLength: 4, maxLength: 4 }),
        (parts, payoffs) => {
          const claims = parts.map((p, i) => ({ claimId: `c${i}`, amountMinor: p.amountMinor, loanId: p.loan === null ? null : `L${p.loan}` }));
          const s = settlementSplit(claims, new Map(payoffs.map((v, i) => [`L${i}`, v])));
          expect(s.perClaim.reduce((a, p) => a + p.toLoanMinor + p.toHolderMinor, 0)).toBe(parts.reduce((a, p) => a + p.amountMinor, 0));
          for (let i = 0; i < 4; i++) {
            const backing = claims.filter((c) => c.loanId === `L${i}`).reduce((a, c) => a + c.amountMinor, 0);
            expect(s.perLoan.get(`L${i}`) ?? 0).toBe(Math.min(backing, payoffs[i]!));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
