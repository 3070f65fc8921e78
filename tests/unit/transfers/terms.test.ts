import { describe, expect, it } from 'vitest';
import { openLoan, applyPayment, owedToday, type LoanState } from '../../../src/domain/servicing/index.js';
import { DEFAULT_SETTINGS } from '../../../src/domain/settings.js';
import { checkBuyAmount, checkOfferTerms, offerUpkeep, transferFeeMinor, transferPriceMinor, transferability } from '../../../src/domain/transfers/index.js';
import { SETTINGS } from '../servicing/arbitraries.js';

const S = { ...DEFAULT_SETTINGS };

describe('offer and buy terms (docs/transfers.md)', () => {
  it('an offer: whole yuan of at least the minimum bid, or the whole outstanding; at most the outstanding', () => {
    expect(checkOfferTerms({ principalMinor: 10_000, priceBps: 10_000 }, 514_920, S)).toBeNull();
    expect(checkOfferTerms({ principalMinor: 514_920, priceBps: 10_000 }, 514_920, S)).toBeNull(); // the whole note, fen and all
    expect(checkOfferTerms({ principalMinor: 9_900, priceBps: 10_000 }, 514_920, S)).toMatchObject({ code: 'OFFER_AMOUNT_INVALID' });
    expect(checkOfferTerms({ principalMinor: 10_050, priceBps: 10_000 }, 514_920, S)).toMatchObject({ code: 'OFFER_AMOUNT_INVALID' });
    expect(checkOfferTerms({ principalMinor: 515_000, priceBps: 10_000 }, 514_920, S)).toMatchObject({ code: 'OFFER_AMOUNT_INVALID' });
    // A note with less than the minimum left can still be sold whole.
    expect(checkOfferTerms({ principalMinor: 5_000, priceBps: 10_000 }, 5_000, S)).toBeNull();
  });

  it('a crumb whose discounted price rounds to nothing is refused; at par it sells', () => {
    // ¥0.01 at 80 %: 0.8 fen rounds to 1 fen; at 50 % (the deepest discount an operator may allow), 0.5 fen rounds half-even to 0.
    expect(checkOfferTerms({ principalMinor: 1, priceBps: 8_000 }, 1, S)).toBeNull();
    const deep = { ...S, transferMaxDiscountBps: 5_000 };
    expect(checkOfferTerms({ principalMinor: 1, priceBps: 5_000 }, 1, deep)).toMatchObject({ code: 'OFFER_AMOUNT_INVALID' });
    expect(checkOfferTerms({ principalMinor: 1, priceBps: 10_000 }, 1, deep)).toBeNull();
  });

  it('a price within par − 20 % and par + 5 % by default, with the limits in the message', () => {
    expect(checkOfferTerms({ principalMinor: 10_000, priceBps: 8_000 }, 100_000, S)).toBeNull();
    expect(checkOfferTerms({ principalMinor: 10_000, priceBps: 10_500 }, 100_000, S)).toBeNull();
    expect(checkOfferTerms({ principalMinor: 10_000, priceBps: 7_999 }, 100_000, S)).toEqual({ ok: false, code: 'OFFER_PRICE_OUT_OF_RANGE', detail: 'the price must be within 80% and 105% of the principal' });
    expect(checkOfferTerms({ principalMinor: 10_000, priceBps: 10_501 }, 100_000, S)).toMatchObject({ code: 'OFFER_PRICE_OUT_OF_RANGE' });
    expect(checkOfferTerms({ principalMinor: 10_000, priceBps: 10_600 }, 100_000, { ...S, transferMaxPremiumBps: 600 })).toBeNull();
  });

  it('a buy: the rest, or whole yuan of at least the minimum that leaves at least the minimum', () => {
    expect(checkBuyAmount(10_000, 100_000, S)).toBeNull();
    expect(checkBuyAmount(100_000, 100_000, S)).toBeNull();
    expect(checkBuyAmount(90_000, 100_000, S)).toBeNull();
    expect(checkBuyAmount(95_000, 100_000, S)).toMatchObject({ code: 'OFFER_AMOUNT_INVALID', detail: 'leave at least ¥100 on the offer, or buy the whole ¥1,000 left' });
    expect(checkBuyAmount(9_000, 100_000, S)).toMatchObject({ code: 'OFFER_AMOUNT_INVALID' });
    expect(checkBuyAmount(10_001, 100_000, S)).toMatchObject({ code: 'OFFER_AMOUNT_INVALID' });
    expect(checkBuyAmount(100_100, 100_000, S)).toEqual({ ok: false, code: 'OFFER_REMAINING_EXCEEDED', detail: 'only ¥1,000 is left on this offer' });
    expect(checkBuyAmount(5_050, 5_050, S)).toBeNull(); // the rest, below the minimum and with fen
  });

  it('price and fee are rounded half-even once', () => {
    expect(transferPriceMinor(514_920, 10_300)).toBe(530_368); // 530,367.6
    expect(transferPriceMinor(10_000, 9_875)).toBe(9_875);
    expect(transferPriceMinor(1_000, 9_995)).toBe(1_000); // 999.5 → 1,000 (even)
    expect(transferPriceMinor(1_000, 9_985)).toBe(998); // 998.5 → 998 (even)
    expect(transferFeeMinor(530_368, 50)).toBe(2_652); // 2,651.84
    expect(transferFeeMinor(5_000, 50)).toBe(25);
    expect(transferFeeMinor(100, 50)).toBe(0); // 0.5 → 0
    expect(transferFeeMinor(123_456, 0)).toBe(0);
  });
});

describe('transferability', () => {
  const open = () => openLoan({ disbursedOn: '2025-01-15', termMonths: 3, repayment: 'equal_installment', notes: [{ noteId: 'note_a', principalMinor: 300_000, rateBps: 1200 }] });
  const pay = (s: LoanState, day: string, amount?: number) => {
    const r = applyPayment(s, amount ?? owedToday(s, day, SETTINGS).due.totalMinor, day, SETTINGS);
    if (!r.ok) throw new Error(r.code);
    return r.state;
  };

  it('the reasons, in order: past due, last installment, hold period', () => {
    const s = open();
    expect(transferability(s, s.notes[0]!, '2025-01-20', '2025-01-15', 0)).toMatchObject({ ok: true, currentIndex: 0, installmentsLeft: 3, transferableMinor: 300_000 });
    expect(transferability(s, s.notes[0]!, '2025-01-20', '2025-01-15', 30)).toMatchObject({ ok: false, reason: 'hold_period' });
    // Unpaid the day after its due date: past due (grace days do not matter here).
    expect(transferability(s, s.notes[0]!, '2025-02-16', '2025-01-15', 0)).toMatchObject({ ok: false, reason: 'past_due' });
    // On the due date itself nothing is past due yet: the installment due today stays with the seller.
    expect(transferability(s, s.notes[0]!, '2025-02-15', '2025-01-15', 0)).toMatchObject({ ok: true, currentIndex: 1, installmentsLeft: 2 });
    const paid2 = pay(pay(s, '2025-02-15'), '2025-03-15');
    expect(transferability(paid2, paid2.notes[0]!, '2025-03-20', '2025-01-15', 0)).toMatchObject({ ok: false, reason: 'last_installment' });
  });

  it('an offer of the whole note follows it down; an offer of part of it ends when the note has less left', () => {
    const s = open();
    const t = transferability(s, s.notes[0]!, '2025-02-15', '2025-01-15', 0);
    if (!t.ok) throw new Error(t.reason);
    expect(offerUpkeep({ remainingMinor: 300_000, wholeNote: true }, t)).toEqual({ action: 'trim', remainingMinor: t.transferableMinor });
    expect(offerUpkeep({ remainingMinor: 300_000, wholeNote: false }, t)).toEqual({ action: 'end', reason: 'repaid_below_offer' });
    expect(offerUpkeep({ remainingMinor: 100_000, wholeNote: false }, t)).toEqual({ action: 'keep' });
    expect(offerUpkeep({ remainingMinor: 100_000, wholeNote: false }, { ok: false, reason: 'past_due', detail: '' })).toEqual({ action: 'end', reason: 'past_due' });
  });
});
