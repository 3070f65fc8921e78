/**
 * Every user-facing string goes through t(): each key the code uses exists in English and in Chinese,
 * the two dictionaries have the same keys and placeholders, and every error code of the catalogue
 * (docs/errors.md) has a message.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/domain/errors.js';
import { core } from '../src/lib/i18n.js';
import { en } from '../src/messages/en.js';
import { zh } from '../src/messages/zh.js';

const EN = { ...core.en, ...en };
const ZH = { ...core.zh, ...zh };

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const code = sources(new URL('../src', import.meta.url).pathname).map((p) => readFileSync(p, 'utf8'));

/** Keys built at run time from these values. */
const DYNAMIC: Record<string, readonly string[]> = {
  'status.': ['open', 'cleared', 'failed', 'withdrawn'],
  'product.': ['credit', 'order', 'warehouse_receipt', 'claim'],
  'repayment.': ['equal_installment', 'equal_principal', 'interest_only', 'bullet'],
  'pricing.': ['uniform', 'pay_as_bid'],
  'bid.status.': ['winning', 'partial', 'outbid', 'filled', 'released'],
  'loan.status.': ['active', 'repaid', 'defaulted', 'sold'],
  'installment.': ['paid', 'partly_paid', 'upcoming', 'due', 'overdue'],
  'standing.': ['current', 'late', 'defaulted', 'repaid'],
  'bid.standing.': ['winning', 'winning_partial', 'outbid', 'filled', 'partly_filled', 'released'],
  'stmt.': ['deposit', 'withdrawal_requested', 'withdrawal_paid', 'withdrawal_refused', 'bid_hold', 'bid_filled', 'bid_unfilled_returned', 'bid_released', 'loan_disbursed', 'platform_fee', 'repayment_paid', 'repayment_received', 'recovery_received', 'other', 'reason.outbid', 'reason.withdrawn', 'reason.failed', 'reason.cleared'],
  'notify.': ['outbid', 'bid_filled', 'listing_withdrawn', 'listing_failed', 'loan_disbursed', 'installment_due', 'payment_received', 'loan_repaid', 'loan_defaulted', 'account_frozen'],
  'mayList.': ['OPEN_LISTING', 'NO_CREDIT_LEFT', 'SHORT_HISTORY', 'GRADE_TOO_LOW'],
  'users.review.': ['confirmed', 'rejected'],
  'users.action.': ['freeze', 'unfreeze', 'identity_confirmed', 'identity_rejected'],
  'span.': ['d', 'h', 'min', 's'],
  'order.': ['paid', 'shipped', 'delivered', 'settled', 'refunded', 'disputed'],
  'ledger.status.': ['pending', 'posted', 'released'],
  'kyc.': ['none', 'pending', 'verified', 'rejected'],
  'risk.': ['conservative', 'balanced', 'aggressive', 'conservative.hint', 'balanced.hint', 'aggressive.hint'],
  'role.': ['lender', 'borrower', 'operator'],
  'conn.': ['idle', 'connecting', 'open', 'reconnecting', 'closed', 'idle.title', 'connecting.title', 'open.title', 'reconnecting.title', 'closed.title'],
  'market.sort.': ['endsAt', 'rate', 'fundedPct', 'createdAt', 'expectedLoss'],
  'listing.': ['failedBanner', 'withdrawnBanner'],
  'rating.': ['NOT_RATED', 'MERCHANT_NOT_LINKED'],
  'wallet.': ['depositDone', 'withdrawDone'],
  'webhook.': ['pending', 'delivered', 'failed'],
  'newListing.': ['hours', 'days', 'uniformHint', 'payAsBidHint'],
  'nav.': ['listing', 'loan'],
  'setting.': ['maxRateBps', 'minBidMinor', 'auctionMinDurationSec', 'auctionMaxDurationSec', 'auctionDefaultDurationSec', 'lenderListingCapPct', 'softCloseSec', 'softCloseMaxExtensionSec', 'platformFeeBps', 'graceDays', 'penaltyBpsPerDay', 'defaultAfterDays', 'capLegalPersonMinor', 'capNaturalPersonMinor', 'minGradeToList', 'gradeFloorBps', 'minMonthsActive', 'orderAdvancePct', 'orderMaxAgeDays', 'warehouseLtvPct', 'expectedLossBps', 'prepaymentFeeBps', 'transferMaxDiscountBps', 'transferMaxPremiumBps', 'transferFeeBps', 'transferMinHoldDays', 'transferOfferTtlDays', 'claimMaxDays', 'claimMaxTier', 'claimAdvancePct', 'wsMaxSocketsPerAddress', 'wsMaxSocketsPerUser', 'wsMaxSubscriptionsPerAddress', 'wsMaxSubscriptionsPerUser', 'autobidMaxSharePct', 'autobidLookbackDays', 'autobidMinTimeLeftSec'],
  'settingRule.': ['durationOrder', 'defaultDuration', 'floorAboveMax', 'unfinanceableGrade'],
  'field.': ['generic', 'ofGrade', 'amountMinor', 'rateBps', 'maxRateBps'],
  'err.field.': ['range', 'max', 'min', 'wholeYuan', 'required', 'invalid'],
  'trade.reason.': ['defaulted', 'loan_repaid', 'past_due', 'last_installment', 'note_closed', 'hold_period', 'note_limit'],
  'trade.ended.': ['expired', 'past_due', 'defaulted', 'repaid_below_offer', 'last_installment', 'other'],
  'notes.sort.': ['yield', 'priceBps', 'monthsLeft'],
  'portfolio.direction.': ['in', 'out'],
  'claims.status.': ['active', 'due', 'settled', 'passed_on'],
};

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
}

describe('messages', () => {
  it('English and Chinese have the same keys and placeholders', () => {
    expect(Object.keys(ZH).sort()).toEqual(Object.keys(EN).sort());
    for (const key of Object.keys(EN)) expect(placeholders(ZH[key]!), key).toEqual(placeholders(EN[key]!));
  });

  it('every key the code passes to t() exists', () => {
    const used = new Set<string>();
    for (const src of code) {
      for (const m of src.matchAll(/\bt\(\s*'([^']+)'/g)) used.add(m[1]!);
      // keys chosen by a condition: t(cond ? 'a.b' : 'c.d')
      for (const m of src.matchAll(/\bt\([^)]*?\?\s*'([a-zA-Z]+\.[\w.]+)'\s*:\s*'([a-zA-Z]+\.[\w.]+)'/g)) {
        used.add(m[1]!);
        used.add(m[2]!);
      }
    }
    for (const [prefix, values] of Object.entries(DYNAMIC)) for (const v of values) used.add(prefix + v);
    const missing = [...used].filter((k) => !(k in EN));
    expect(missing).toEqual([]);
    expect(used.size).toBeGreaterThan(400);
  });

  it('every error code has a message', () => {
    const missing = Object.keys(ERROR_CATALOGUE).filter((c) => !(`err.${c}` in EN));
    expect(missing).toEqual([]);
  });
});
