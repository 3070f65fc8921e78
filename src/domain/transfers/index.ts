/**
 * Public API of the pure note-transfer rules (docs/transfers.md, the secondary market). docs/transfers.md
 * explains them; docs/servicing.md has the yield-to-maturity convention and its worked table.
 */
export { PAR_BPS, checkBuyAmount, checkOfferTerms, priceLimits, transferFeeMinor, transferPriceMinor, type PriceLimits, type TransferSettings } from './terms.js';
export { NOT_TRANSFERABLE_REASONS, loanPastDue, transferability, type NotTransferableReason, type Transferability } from './eligibility.js';
export { buyerShare, transferNote, type BoughtInstallment, type BuyerShare, type TransferInput, type TransferResult } from './split.js';
export { yieldToMaturityBps, type YieldInput } from './yield.js';
export { quoteTrade, type TradeQuote } from './quote.js';
export { offerUpkeep, type OfferEndReason, type OfferUpkeep } from './upkeep.js';
export { replayWithTransfers, type ServicingRecord } from './replay.js';
