import { describe, expect, it } from 'vitest';
import {
  assignClaim,
  chainView,
  checkIssue,
  claimAdvancePct,
  claimFinancingLimit,
  proceedsSplit,
  settlementSplit,
  validateClaimCollateral,
  type ClaimCollateralInput,
  type ClaimState,
} from '../../../src/domain/claims/index.js';
import { DEFAULT_SETTINGS, checkSettings } from '../../../src/domain/settings.js';

const S = DEFAULT_SETTINGS;
const tier1: ClaimState = { id: 'clm_1', holderMerchantId: 'mer_t1', tier: 1, amountMinor: 100_000_000, chain: ['mer_t1'], pledged: false };
const OUTSTANDING = { status: 'outstanding' as const, dueDate: '2031-07-01' };

describe('issuing a payable', () => {
  const base = { amountMinor: 100_000_000, dueDate: '2031-07-01', today: '2031-04-01', unpaidMinor: 0, limitMinor: 500_000_000, settings: S };
  it('takes a due date 1..CLAIM_MAX_DAYS days ahead', () => {
    expect(checkIssue(base)).toEqual({ ok: true });
    expect(checkIssue({ ...base, dueDate: '2031-04-02' })).toEqual({ ok: true });
    expect(checkIssue({ ...base, dueDate: '2031-04-01' })).toMatchObject({ code: 'PAYABLE_DUE_DATE_INVALID' });
    expect(checkIssue({ ...base, dueDate: '2032-03-31' })).toEqual({ ok: true }); // 365 days
    expect(checkIssue({ ...base, dueDate: '2032-04-01' })).toMatchObject({ code: 'PAYABLE_DUE_DATE_INVALID' });
    expect(checkIssue({ ...base, dueDate: '2031-02-30' })).toMatchObject({ code: 'PAYABLE_DUE_DATE_INVALID' });
  });
  it('keeps unpaid claims within the limit, to the fen', () => {
    expect(checkIssue({ ...base, unpaidMinor: 400_000_000 })).toEqual({ ok: true });
    expect(checkIssue({ ...base, unpaidMinor: 400_000_001 })).toMatchObject({ code: 'CORE_LIMIT_EXCEEDED' });
  });
});

describe('assigning part of a claim', () => {
  const base = { claim: tier1, payable: OUTSTANDING, toMerchantId: 'mer_t2', amountMinor: 40_000_000, today: '2031-04-01', settings: S };
  it('shrinks the claim and makes a child one tier down with the chain', () => {
    const r = assignClaim(base);
    expect(r).toEqual({ ok: true, assignment: { keptMinor: 60_000_000, child: { holderMerchantId: 'mer_t2', tier: 2, amountMinor: 40_000_000, chain: ['mer_t1', 'mer_t2'] } } });
    expect(assignClaim({ ...base, amountMinor: 100_000_000 })).toMatchObject({ ok: true, assignment: { keptMinor: 0 } });
  });
  it('checks in order: active, pledged, tier, amount, chain', () => {
    expect(assignClaim({ ...base, payable: { ...OUTSTANDING, status: 'settled' }, claim: { ...tier1, pledged: true } })).toMatchObject({ code: 'CLAIM_NOT_ACTIVE' });
    expect(assignClaim({ ...base, today: '2031-07-01' })).toMatchObject({ code: 'CLAIM_NOT_ACTIVE' });
    expect(assignClaim({ ...base, claim: { ...tier1, amountMinor: 0 } })).toMatchObject({ code: 'CLAIM_NOT_ACTIVE' });
    expect(assignClaim({ ...base, claim: { ...tier1, pledged: true }, amountMinor: 1 })).toMatchObject({ code: 'CLAIM_PLEDGED' });
    const deep: ClaimState = { ...tier1, tier: 5, chain: ['a', 'b', 'c', 'd', 'mer_t1'] };
    expect(assignClaim({ ...base, claim: deep, amountMinor: 1 })).toMatchObject({ code: 'CLAIM_TIER_EXCEEDED' });
    expect(assignClaim({ ...base, claim: deep, settings: { ...S, claimMaxTier: 6 } })).toMatchObject({ ok: true, assignment: { child: { tier: 6 } } });
    for (const amountMinor of [9_900, 10_050, 100_000_100, 0, -100]) expect(assignClaim({ ...base, amountMinor })).toMatchObject({ code: 'CLAIM_AMOUNT_INVALID' });
    expect(assignClaim({ ...base, amountMinor: 10_000 })).toMatchObject({ ok: true });
    expect(assignClaim({ ...base, toMerchantId: 'mer_t1' })).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('chains', () => {
  it('name the issuer, then every holder in order', () => {
    const names: Record<string, string> = { a: '一级 Tier One', b: '二级 Tier Two', c: '三级 Tier Three' };
    expect(chainView('核心 Core', ['a', 'b', 'c'], (id) => names[id]!)).toEqual([
      { merchantName: '核心 Core', tier: 0 },
      { merchantName: '一级 Tier One', tier: 1 },
      { merchantName: '二级 Tier Two', tier: 2 },
      { merchantName: '三级 Tier Three', tier: 3 },
    ]);
  });
});

describe('claim-backed listings', () => {
  const claim = { id: 'clm_3', holderMerchantId: 'mer_t3', tier: 3, amountMinor: 15_000_000, chain: ['mer_t1', 'mer_t2', 'mer_t3'], pledged: false, coreEnterpriseId: 'ce_1', payable: OUTSTANDING };
  const base: ClaimCollateralInput = {
    amountMinor: 13_500_000,
    claimIds: ['clm_3'],
    claims: [claim],
    coreGrades: new Map([['ce_1', 'AA' as const]]),
    maturesOn: '2031-07-01',
    firstMaturity: '2031-04-09',
    today: '2031-04-01',
    settings: S,
  };
  it('lend up to the advance rate of the core enterprise grade: ¥150,000 of AA claims back ¥135,000', () => {
    expect(validateClaimCollateral(base)).toEqual({ ok: true, collateral: { coreEnterpriseId: 'ce_1', grade: 'AA', advancePct: 90, valueMinor: 15_000_000, limitMinor: 13_500_000, lastMaturity: '2031-07-01' } });
    expect(validateClaimCollateral({ ...base, amountMinor: 13_500_100 })).toMatchObject({ code: 'COLLATERAL_INSUFFICIENT' });
    expect(claimFinancingLimit('D', 15_000_099, S)).toBe(9_000_000);
  });
  it('E and HR claims never back a listing, whatever the table says', () => {
    expect(claimAdvancePct('E', S)).toBeNull();
    expect(claimAdvancePct('HR', { claimAdvancePct: { HR: 50 } })).toBeNull();
    expect(validateClaimCollateral({ ...base, coreGrades: new Map([['ce_1', 'E' as const]]) })).toMatchObject({ code: 'COLLATERAL_INVALID' });
    expect(checkSettings({ ...S, claimAdvancePct: { ...S.claimAdvancePct, E: 40 } })).toMatchObject({ ok: false, name: 'claimAdvancePct' });
  });
  it('mature by the first due date and after the auction', () => {
    expect(validateClaimCollateral({ ...base, maturesOn: '2031-07-02' })).toMatchObject({ code: 'LISTING_MATURITY_INVALID' });
    expect(validateClaimCollateral({ ...base, maturesOn: '2031-04-08' })).toMatchObject({ code: 'LISTING_MATURITY_INVALID' });
    expect(validateClaimCollateral({ ...base, maturesOn: '2031-04-09' })).toMatchObject({ ok: true });
  });
  it('refuse claims not held, repeated, pledged, inactive or on two core enterprises', () => {
    expect(validateClaimCollateral({ ...base, claimIds: [] })).toMatchObject({ code: 'COLLATERAL_INVALID' });
    expect(validateClaimCollateral({ ...base, claimIds: ['clm_3', 'clm_3'] })).toMatchObject({ code: 'COLLATERAL_INVALID' });
    expect(validateClaimCollateral({ ...base, claimIds: ['clm_x'] })).toMatchObject({ code: 'COLLATERAL_INVALID' });
    expect(validateClaimCollateral({ ...base, claims: [{ ...claim, pledged: true }] })).toMatchObject({ code: 'COLLATERAL_PLEDGED' });
    expect(validateClaimCollateral({ ...base, claims: [{ ...claim, payable: { ...OUTSTANDING, status: 'settled' } }] })).toMatchObject({ code: 'CLAIM_NOT_ACTIVE' });
    const other = { ...claim, id: 'clm_4', coreEnterpriseId: 'ce_2' };
    expect(validateClaimCollateral({ ...base, claimIds: ['clm_3', 'clm_4'], claims: [claim, other], coreGrades: new Map([['ce_1', 'AA' as const], ['ce_2', 'AA' as const]]) })).toMatchObject({ code: 'COLLATERAL_INVALID' });
  });
});

describe('where outside money lands', () => {
  it('a settlement pays each backed loan first and its holder the rest', () => {
    const r = settlementSplit(
      [
        { claimId: 'clm_1', amountMinor: 60_000_000, loanId: null },
        { claimId: 'clm_2', amountMinor: 25_000_000, loanId: null },
        { claimId: 'clm_3', amountMinor: 15_000_000, loanId: 'loan_3' },
      ],
      new Map([['loan_3', 13_833_000]]),
    );
    expect(r.perClaim).toEqual([
      { claimId: 'clm_1', loanId: null, toLoanMinor: 0, toHolderMinor: 60_000_000 },
      { claimId: 'clm_2', loanId: null, toLoanMinor: 0, toHolderMinor: 25_000_000 },
      { claimId: 'clm_3', loanId: 'loan_3', toLoanMinor: 13_833_000, toHolderMinor: 1_167_000 },
    ]);
    expect([...r.perLoan]).toEqual([['loan_3', 13_833_000]]);
  });
  it('a claim short of its loan pays what it has; a second claim on the same loan pays the rest', () => {
    const r = settlementSplit(
      [
        { claimId: 'a', amountMinor: 100, loanId: 'L' },
        { claimId: 'b', amountMinor: 100, loanId: 'L' },
      ],
      new Map([['L', 150]]),
    );
    expect(r.perClaim.map((p) => [p.toLoanMinor, p.toHolderMinor])).toEqual([[100, 0], [50, 50]]);
  });
  it('order proceeds: the loan first, the merchant the rest; an order backing nothing pays the merchant', () => {
    expect(proceedsSplit(50_000, 30_000)).toEqual({ toLoanMinor: 30_000, toMerchantMinor: 20_000 });
    expect(proceedsSplit(50_000, 80_000)).toEqual({ toLoanMinor: 50_000, toMerchantMinor: 0 });
    expect(proceedsSplit(50_000, null)).toEqual({ toLoanMinor: 0, toMerchantMinor: 50_000 });
  });
});
