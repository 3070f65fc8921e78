/**
 * What becomes of an open offer when its loan is serviced (docs/transfers.md: "ended by the platform …
 * at once when its loan falls past due, defaults, or is repaid below the offered principal"). Conventions
 * where the rules are silent (docs/transfers.md): an offer of the whole note follows the note down (it
 * is trimmed to what is left, the seller wanted out entirely); an offer of part of it is ended when the
 * note has less than the offer left (the seller meant to keep the rest); an offer whose loan has fewer
 * than two installments left ends, like any offer the rules would no longer allow.
 */
import type { NotTransferableReason, Transferability } from './eligibility.js';

export type OfferEndReason = NotTransferableReason | 'repaid_below_offer' | 'seller' | 'expired';

export type OfferUpkeep = { action: 'keep' } | { action: 'trim'; remainingMinor: number } | { action: 'end'; reason: OfferEndReason };

export function offerUpkeep(offer: { remainingMinor: number; wholeNote: boolean }, now: Transferability): OfferUpkeep {
  if (!now.ok) return now.reason === 'hold_period' || now.reason === 'note_limit' ? { action: 'keep' } : { action: 'end', reason: now.reason };
  if (now.transferableMinor >= offer.remainingMinor) return { action: 'keep' };
  return offer.wholeNote ? { action: 'trim', remainingMinor: now.transferableMinor } : { action: 'end', reason: 'repaid_below_offer' };
}
