/**
 * Shapes of the API (src/http/routes/*.ts) as the web client reads them. Money in integer minor units
 * (`…Minor`), rates in basis points (`…Bps`), times as RFC 3339 strings, dates as YYYY-MM-DD.
 */

export type Role = 'lender' | 'borrower' | 'operator' | 'guarantor';
export type Grade = 'AA' | 'A' | 'B' | 'C' | 'D' | 'E' | 'HR';
export const GRADES: readonly Grade[] = ['AA', 'A', 'B', 'C', 'D', 'E', 'HR'];
export type RiskProfile = 'conservative' | 'balanced' | 'aggressive';
export type ListingStatus = 'pending_guarantee' | 'open' | 'cleared' | 'failed' | 'withdrawn';
export type Product = 'credit' | 'order' | 'warehouse_receipt' | 'claim';
export type Repayment = 'equal_installment' | 'equal_principal' | 'interest_only';
/** How a loan is repaid: a monthly kind the borrower chose, or a claim-backed loan's bullet. */
export type RepaymentKind = Repayment | 'bullet';
export type Pricing = 'uniform' | 'pay_as_bid';
export const TERMS = [1, 2, 3, 6, 9, 12, 18, 24, 36] as const;
export const PRODUCTS: readonly Product[] = ['credit', 'order', 'warehouse_receipt', 'claim'];
export const REPAYMENTS: readonly Repayment[] = ['equal_installment', 'equal_principal', 'interest_only'];

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PublicUser {
  id: string;
  email: string;
  role: Role;
  displayName: string;
  merchantId: string | null;
  kyc: { status: string; legalName: string | null; idNumberLast4: string | null; riskProfile: RiskProfile | null };
  createdAt: string;
}

export interface SessionResponse {
  token: string;
  expiresAt: string;
  user: PublicUser;
}

export interface Wallet {
  availableMinor: number;
  heldMinor: number;
  currency: 'CNY';
}

export interface Instruction {
  id: string;
  kind: 'deposit' | 'withdrawal';
  amountMinor: number;
  currency: 'CNY';
  status: 'pending' | 'completed' | 'failed';
  createdAt: string;
  completedAt: string | null;
  wallet: Wallet;
}

export interface LedgerLine {
  id: string;
  kind: string;
  direction: 'credit' | 'debit';
  amountMinor: number;
  currency: 'CNY';
  status: 'pending' | 'posted' | 'released';
  phase: string;
  holdId: string | null;
  reference: string | null;
  createdAt: string;
}

/** The public face of a listing: GET /listings items, `listings` channel events. */
export interface ListingSummary {
  id: string;
  title: string;
  purpose: string;
  merchantName: string;
  grade: Grade;
  score: number;
  expectedLossBps: number;
  amountMinor: number;
  currency: 'CNY';
  /** null for a claim-backed listing, which matures on `maturesOn`. */
  termMonths: number | null;
  repayment: RepaymentKind;
  maturesOn?: string | null;
  coreEnterpriseId?: string | null;
  /** The borrower's own grade, when the listing carries its core enterprise's. */
  borrowerGrade?: Grade | null;
  product: Product;
  pricing: Pricing;
  maxRateBps: number;
  minFundingPct: number;
  closeWhenFunded: boolean;
  status: ListingStatus;
  seq: number;
  endsAt: string;
  originalEndsAt: string;
  extended: boolean;
  createdAt: string;
  closedAt: string | null;
  coverageMinor: number;
  fundedPct: number;
  currentRateBps: number;
  bidCount: number;
  loanId: string | null;
  /** A third-party guarantor behind it (docs/guarantees.md); absent when none. */
  guarantee?: ListingGuarantee;
}

export interface BookLevelView {
  rateBps: number;
  amountMinor: number;
  bidCount: number;
}

export interface BidEntryView {
  bidId: string;
  amountMinor: number;
  rateBps: number;
  priority: number;
  fillMinor: number;
}

export interface SchedulePeriod {
  n: number;
  dueDate: string;
  principalMinor: number;
  interestMinor: number;
}

export interface RatingReason {
  code: string;
  text: string;
  textZh?: string | null;
}

export type ListingCollateral =
  | { kind: 'none' }
  | {
      kind: 'orders';
      valueMinor: number | null;
      limitMinor: number | null;
      orders: { orderId: string; amountMinor: number; status: string; placedAt: string; impaired: boolean }[];
    }
  | {
      kind: 'warehouse_receipt';
      valueMinor: number | null;
      limitMinor: number | null;
      receipt: { receiptId: string; goods: string; quantity: number; valueMinor: number } | null;
    }
  | {
      kind: 'claims';
      valueMinor: number | null;
      limitMinor: number | null;
      coreEnterprise: CoreEnterpriseRef;
      borrowerGrade: Grade | null;
      claims: { id: string; amountMinor: number; dueDate: string; tier: number; chain: ChainLink[]; payableStatus: string; toLoanMinor?: number; toHolderMinor?: number }[];
    };

export interface CoreEnterpriseRef {
  id: string;
  name: string;
  grade: Grade;
}

/** Issuer first (tier 0), then each holder in order. */
export interface ChainLink {
  merchantName: string;
  tier: number;
}

export type ClaimStatus = 'active' | 'due' | 'settled' | 'passed_on';

/** GET /me/claims items and the assign response. */
export interface Claim {
  id: string;
  payableRef: string;
  coreEnterprise: CoreEnterpriseRef;
  amountMinor: number;
  originalAmountMinor: number;
  currency: 'CNY';
  dueDate: string;
  tier: number;
  parentId: string | null;
  chain: ChainLink[];
  status: ClaimStatus;
  assignedTo: { claimId: string; merchantName: string; amountMinor: number; tier: number }[];
  pledgedTo?: { listingId: string; loanId: string | null };
  toLoanMinor?: number;
  toHolderMinor?: number;
  settledOn?: string | null;
  createdAt: string;
}

/** GET /admin/core-enterprises items. */
export interface CoreEnterpriseView {
  id: string;
  partnerId: string;
  partnerName: string;
  name: string;
  legalForm: string;
  grade: Grade;
  limitMinor: number;
  usedMinor: number;
  leftMinor: number;
  outstandingPayables: number;
  keyId: string | null;
  wallet: Wallet;
  createdAt: string;
}

/** GET /listings/:id, and the `listing:<id>` snapshot. */
export interface ListingDetail extends ListingSummary {
  book: BookLevelView[];
  bids: BidEntryView[];
  requiredCoverageMinor?: number;
  ratingReasons?: RatingReason[];
  collateral?: ListingCollateral;
  schedulePreview?: SchedulePeriod[];
  /** The listing's last events, newest first (the activity feed on load). */
  recentEvents?: { type: string; at: string; amountMinor?: number; rateBps?: number }[];
}

export interface SchedulePreview {
  schedule: SchedulePeriod[];
  totals: { principalMinor: number; interestMinor: number };
  currency: 'CNY';
  /** The fee on principal repaid ahead of schedule, and the highest maximum rate a listing may carry. */
  prepaymentFeeBps?: number;
  maxRateBps?: number;
}

export type BidStatus = 'winning' | 'outbid' | 'filled' | 'released';

export interface BidView {
  standing: 'winning' | 'winning_partial' | 'outbid' | 'filled' | 'partly_filled' | 'released';
  id: string;
  listingId: string;
  amountMinor: number;
  requestedAmountMinor: number;
  rateBps: number;
  fillMinor: number;
  status: BidStatus;
  priority: number;
  /** Placed by the lender, or by its autobid strategy. */
  source?: 'manual' | 'autobid';
  currency: 'CNY';
  createdAt: string;
  updatedAt: string;
}

export interface AutobidStrategy {
  enabled: boolean;
  amountPerListingMinor: number;
  maxPerBorrowerMinor: number;
  budgetMinor: number;
  reserveMinor: number;
  minRateBpsByGrade: Partial<Record<Grade, number>>;
  termsMonths: number[] | null;
  products: string[] | null;
  currency: 'CNY';
  updatedAt: string | null;
  stats: { bidsPlaced: number; heldMinor: number; outstandingMinor: number; lastPlacedAt: string | null };
}

export interface AutobidLogItem {
  id: string;
  listingId: string;
  listingTitle: string;
  at: string;
  outcome: 'placed' | 'skipped';
  trigger: 'opening' | 'saved';
  bidId?: string;
  code?: string;
  amountMinor?: number;
  rateBps?: number;
}

export interface AutobidPreview {
  listingsOpen: number;
  listingsBid: number;
  totalMinor: number;
  currency: 'CNY';
}

export interface ClearingRates {
  days: number;
  items: { grade: Grade; loans: number; rateBps: number | null }[];
}

export interface Rating {
  score: number;
  grade: Grade;
  probabilityOfDefault: number;
  probabilityOfDefaultBps: number;
  expectedLossBps: number;
  creditLineMinor: number;
  creditLeftMinor: number;
  capMinor: number;
  capLeftMinor: number;
  eligible: boolean;
  /** May post a listing now: the rating allows it, no listing is open, credit is left (the server decides). */
  mayListNow: boolean;
  mayListReason: string | null;
  ineligibleReason: { code: string; text: string; textZh?: string | null } | null;
  reasons: RatingReason[];
  scorecardVersion?: string | number;
  ratedAt: string;
  currency: 'CNY';
}

/** GET /me/collateral: what the borrower can pledge now. */
export interface CollateralOptions {
  orders: { orderId: string; amountMinor: number; placedAt: string; status: string }[];
  receipts: { receiptId: string; goods: string; quantity?: number; valueMinor: number }[];
  /** Advance rate on eligible order value for the borrower's grade (percent), or null when none. */
  orderAdvancePct?: number | null;
  /** Loan-to-value cap on a receipt's value (percent). */
  warehouseLtvPct?: number;
  /** Claims that could back a listing now, with the advance rate of their core enterprise's grade (null: never). */
  claims?: { id: string; amountMinor: number; dueDate: string; tier: number; coreEnterprise: CoreEnterpriseRef; advancePct: number | null }[];
  currency?: 'CNY';
}

export interface NewListing {
  title: string;
  purpose: string;
  amountMinor: number;
  termMonths?: number;
  maxRateBps: number;
  repayment?: Repayment;
  maturesOn?: string;
  product: Product;
  pricing?: Pricing;
  minFundingPct?: number;
  closeWhenFunded?: boolean;
  durationSec?: number;
  collateral?: { orderIds: string[] } | { receiptId: string } | { claimIds: string[] };
  guarantee?: { guarantorId: string; coveragePct: number; feeBps: number };
}

export type LoanStatus = 'active' | 'repaid' | 'defaulted';

/** A loan's standing as of today, as the server computes it (one place for every page). */
export type Standing = 'current' | 'late' | 'defaulted' | 'repaid';

export interface NoteRepayment {
  repaymentId: string;
  paidOn: string;
  source: string;
  afterDefault: boolean;
  principalMinor: number;
  interestMinor: number;
  penaltyMinor: number;
  prepaymentFeeMinor: number;
  totalMinor: number;
}

export interface RepaymentPreview {
  amountMinor: number;
  principalMinor: number;
  interestMinor: number;
  penaltyMinor: number;
  prepaymentFeeMinor: number;
  prepaymentFeeBps: number;
  prepaidPrincipalMinor: number;
  loanStatusAfter: string;
}

export interface LoanItem {
  id: string;
  listingId: string;
  principalMinor: number;
  outstandingMinor: number;
  rateBps: number;
  termMonths: number | null;
  repayment: RepaymentKind;
  maturesOn?: string | null;
  status: LoanStatus;
  nextDue: string | null;
  daysPastDue: number;
  currency: 'CNY';
  title: string;
  standing: Standing;
  nextDueAmountMinor: number;
}

export interface ScheduleRow {
  n: number;
  dueDate: string;
  principalMinor: number;
  interestMinor: number;
  feeMinor: number;
  paidMinor: number;
  status: 'paid' | 'partly_paid' | 'upcoming' | 'due' | 'overdue';
  leftMinor: number;
}

export interface LoanDetail {
  id: string;
  listingId: string;
  principalMinor: number;
  outstandingMinor: number;
  rateBps: number;
  termMonths: number | null;
  repayment: RepaymentKind;
  maturesOn?: string | null;
  pricing: Pricing;
  product: Product;
  grade: Grade;
  feeMinor: number;
  currency: 'CNY';
  status: LoanStatus;
  disbursedOn: string;
  daysPastDue: number;
  bucket: string;
  defaultedOn: string | null;
  nextDueDate: string | null;
  noteCount: number;
  schedule: ScheduleRow[];
  myNotes: { id: string; principalMinor: number; rateBps: number; outstandingMinor: number; receivedPrincipalMinor: number; receivedInterestMinor: number; receivedPenaltyMinor: number; receivedPrepaymentFeeMinor: number; status: string }[];
  title: string;
  standing: Standing;
  nextDue: { n: number; dueDate: string; amountMinor: number } | null;
}

export interface PartAmounts {
  penaltyMinor: number;
  interestMinor: number;
  principalMinor: number;
  totalMinor: number;
}

/** GET /loans/:id/owed: owedToday of docs/servicing.md §6, for the borrower or a note holder. */
export interface LoanOwed {
  loanId: string;
  date: string;
  status: LoanStatus;
  daysPastDue: number;
  bucket: string;
  due: PartAmounts;
  dueInstallments: { n: number; dueDate: string; penaltyMinor: number; interestMinor: number; principalMinor: number }[];
  accruedInterestMinor: number;
  principalNotDueMinor: number;
  payoffMinor: number;
  currency: 'CNY';
  prepaymentFeeMinor: number;
  prepaymentFeeBps: number;
}

export interface RepaymentResult {
  id: string;
  loanId: string;
  amountMinor: number;
  penaltyMinor: number;
  interestMinor: number;
  principalMinor: number;
  paidOn: string;
  source: string;
  afterDefault: boolean;
  earlyInterestMinor: number;
  prepaidPrincipalMinor: number;
  loanStatus: LoanStatus;
  outstandingMinor: number;
  currency: 'CNY';
  createdAt: string;
}

export interface NoteItem {
  id: string;
  loanId: string;
  listingId: string;
  grade: Grade;
  principalMinor: number;
  outstandingMinor: number;
  rateBps: number;
  receivedPrincipalMinor: number;
  receivedInterestMinor: number;
  receivedPenaltyMinor: number;
  status: NoteStatus;
  /** How it was acquired: at the auction, or bought from another lender (docs/transfers.md). */
  acquiredVia: 'auction' | 'transfer';
  acquiredAt: string;
  soldPrincipalMinor: number;
  openOfferId: string | null;
  /** May it be offered today (a hint: the offer checks again), and if not, why. */
  sellable: boolean;
  notSellableReason: string | null;
  currency: 'CNY';
  title: string;
  standing: Standing;
  daysPastDue: number;
  receivedPrepaymentFeeMinor: number;
}

/** A note sold whole to other lenders is `sold`. */
export type NoteStatus = LoanStatus | 'sold';

/** GET /me/portfolio. */
export interface Portfolio {
  asOf: string;
  currency: 'CNY';
  totals: {
    notes: number;
    activeNotes: number;
    repaidNotes: number;
    defaultedNotes: number;
    soldNotes: number;
    principalLentMinor: number;
    outstandingMinor: number;
    lateOutstandingMinor: number;
    defaultedOutstandingMinor: number;
    receivedPrincipalMinor: number;
    receivedInterestMinor: number;
    receivedPenaltyMinor: number;
    receivedPrepaymentFeeMinor: number;
    principalDays: number;
    /** What trades added to income (docs/transfers.md). */
    transferResultMinor: number;
    /** Net of losses, annualised over principal-days; null before any principal-day. */
    realisedYieldBps: number | null;
  };
  byGrade: { grade: Grade; notes: number; principalMinor: number; outstandingMinor: number }[];
  cashflow: { month: string; expectedMinor: number; receivedMinor: number }[];
  transfers: { boughtPrincipalMinor: number; soldPrincipalMinor: number; paidMinor: number; receivedMinor: number; feesMinor: number; items: NoteTransferItem[] };
}

// ---- the secondary market (docs/transfers.md) ----

/** An offer to sell part or all of a note (GET /note-offers). */
export interface NoteOffer {
  id: string;
  noteId: string;
  loanId: string;
  listingId: string;
  grade: Grade;
  rateBps: number;
  repayment: string;
  principalMinor: number;
  remainingMinor: number;
  soldMinor: number;
  priceBps: number;
  wholeNote: boolean;
  status: 'open' | 'filled' | 'cancelled' | 'expired';
  endReason: string | null;
  accruedPerRemainingMinor: number;
  monthsLeft: number;
  nextDueDate: string;
  yieldToMaturityBps: number;
  quotedOn: string;
  expiresAt: string;
  createdAt: string;
  endedAt: string | null;
  currency: 'CNY';
  /** On offer.filled events: the principal just bought. */
  filledMinor?: number;
}

/** What a trade costs and pays, as the previews show it. */
export interface TradeQuote {
  principalMinor: number;
  priceBps: number;
  priceMinor: number;
  accruedMinor: number;
  paidMinor: number;
  feeMinor: number;
  sellerReceivesMinor: number;
  yieldToMaturityBps: number;
  monthsLeft: number;
  nextDueDate: string;
  tradeDate: string;
  installments: { n: number; dueDate: string; principalMinor: number; interestMinor: number }[];
  currency: 'CNY';
}

/** GET /notes/:id/offer-preview. */
export interface SalePreview {
  noteId: string;
  loanId: string;
  eligible: boolean;
  reason: string | null;
  detail: string | null;
  transferableMinor: number;
  openOfferId: string | null;
  limits: { minPriceBps: number; maxPriceBps: number; minPrincipalMinor: number; maxPrincipalMinor: number; feeBps: number; offerTtlDays: number };
  quote: TradeQuote | null;
  currency: 'CNY';
}

/** GET /note-offers/:id/quote. */
export interface PurchaseQuote extends TradeQuote {
  offerId: string;
  remainingMinor: number;
  minPrincipalMinor: number;
}

/** POST /note-offers/:id/buy. */
export interface Purchase {
  transferId: string;
  offerId: string;
  loanId: string;
  noteId: string;
  principalMinor: number;
  priceBps: number;
  priceMinor: number;
  accruedMinor: number;
  paidMinor: number;
  yieldToMaturityBps: number;
  tradedOn: string;
  currency: 'CNY';
}

/** A transfer in (bought) or out (sold), as its party sees it. */
export interface NoteTransferItem {
  id: string;
  direction: 'in' | 'out';
  offerId: string;
  loanId: string;
  listingId: string;
  noteId: string;
  principalMinor: number;
  priceBps: number;
  priceMinor: number;
  accruedMinor: number;
  feeMinor: number;
  amountMinor: number;
  yieldToMaturityBps: number;
  tradedOn: string;
  createdAt: string;
  currency: 'CNY';
}

export interface GradeStats {
  grade: Grade;
  loans: number;
  outstandingPrincipalMinor: number;
  lateLoans: number;
  latePrincipalMinor: number;
  defaultedLoans: number;
  defaultedPrincipalMinor: number;
  lateRateBps: number;
  defaultRateBps: number;
}

export interface MonthStats {
  month: string;
  asOf: string;
  volumeLentMinor: number;
  loansDisbursed: number;
  outstandingPrincipalMinor: number;
  outstandingLoans: number;
  borrowers: number;
  lenders: number;
  borrowersToDate: number;
  lendersToDate: number;
  lateRateBps: number;
  defaultRateBps: number;
  byGrade: GradeStats[];
  lentToDateMinor: number;
  loansToDate: number;
  outstandingInterestMinor: number;
  top10ShareBps: number;
  largestShareBps: number;
  relatedPartyLoans: number;
  relatedPartyOutstandingMinor: number;
  overdueLoans: number;
  overduePrincipalMinor: number;
  overdue90Loans: number;
  overdue90PrincipalMinor: number;
  overdueLoanRateBps: number;
  overdueAmountRateBps: number;
  guarantorPaidToDateMinor: number;
  guarantorPaymentsToDate: number;
}

/** GET /stats: the public disclosure, month by month. */
export interface Stats {
  asOf: string;
  currency: 'CNY';
  feeSchedule: { platformFeeBps: number; prepaymentFeeBps: number; transferFeeBps: number; penaltyBpsPerDay: number };
  months: MonthStats[];
}

/** A listing's guarantee as everyone sees it (docs/guarantees.md). */
export interface ListingGuarantee {
  guarantorId: string;
  guarantorName: string;
  licenceNo: string;
  coveragePct: number;
  feeBps: number;
  status: GuaranteeStatus;
  overdue: boolean;
  owedMinor: number;
  paidMinor: number;
  payBy: string | null;
  paidOn: string | null;
}

export type GuaranteeStatus = 'pending' | 'declined' | 'active' | 'owed' | 'paid' | 'ended';

export interface GuarantorView {
  id: string;
  name: string;
  licenceNo: string;
  registeredCapitalMinor: number;
  capacityMinor: number;
  exposureMinor: number;
  leftMinor: number;
}

export interface GuarantorSelf extends GuarantorView {
  owedMinor: number;
  paidMinor: number;
  recoveredMinor: number;
  feesMinor: number;
  pendingRequests: number;
  overdue: number;
  wallet: Wallet;
}

export interface GuaranteeItem {
  id: string;
  listingId: string;
  loanId: string | null;
  listingTitle: string;
  merchantName: string;
  grade: string;
  amountMinor: number;
  listingStatus: string;
  coveragePct: number;
  feeBps: number;
  status: GuaranteeStatus;
  overdue: boolean;
  coveredMinor: number;
  loanOutstandingMinor: number | null;
  feeMinor: number;
  owedMinor: number;
  paidMinor: number;
  recoveredMinor: number;
  defaultedOn: string | null;
  payBy: string | null;
  paidOn: string | null;
  createdAt: string;
}

/** The documented range of a setting (of each value, for the per-grade ones). */
export interface SettingRange {
  min: number;
  max: number;
  unit: 'bps' | 'bpsPerDay' | 'minor' | 'sec' | 'pct' | 'days' | 'months' | 'count';
  multipleOf?: number;
}

export interface NotificationItem {
  id: string;
  kind: string;
  title: string;
  body: string;
  href: string | null;
  data: Record<string, unknown>;
  createdAt: string;
  readAt: string | null;
}

export interface NotificationPreferences {
  locale: string;
  emailAvailable: boolean;
  kinds: Record<string, { inApp: boolean; email: boolean }>;
}

export interface StatementLine {
  id: string;
  at: string;
  kind: string;
  amountMinor: number;
  availableEffectMinor: number;
  heldEffectMinor: number;
  availableAfterMinor: number;
  heldAfterMinor: number;
  holdStatus?: 'pending' | 'posted' | 'released';
  parts: number;
  refs: {
    listingId?: string;
    listingTitle?: string;
    bidId?: string;
    loanId?: string;
    noteId?: string;
    repaymentId?: string;
    reason?: string;
    source?: string;
    split?: { principalMinor: number; interestMinor: number; penaltyMinor: number; prepaymentFeeMinor: number };
  };
}

export interface WalletStatement {
  from: string;
  to: string;
  currency: 'CNY';
  opening: { availableMinor: number; heldMinor: number };
  closing: { availableMinor: number; heldMinor: number };
  lines: StatementLine[];
}

export interface AdminSettingsView {
  settings: Record<string, unknown>;
  bounds: Record<string, SettingRange>;
  overridden: string[];
  environment: Record<string, string>;
  gradeFloorBps: string;
  clock: { settable: boolean; nowMs: number; now: string; offsetMs: number };
}

export interface PartnerView {
  id: string;
  name: string;
  webhookUrl: string | null;
  createdAt: string;
  /** `secrets`: the numbers of the secrets that sign now (the current one, and the previous after a rotation). */
  keys: { keyId: string; version: number; rotatedAt: string | null; revoked: boolean; secrets: number[] }[];
}

export interface PartnerCredentials {
  partnerId: string;
  keyId: string;
  secret: string;
  n: number;
}

export interface InvariantReport {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
}

export interface WebhookDelivery {
  id: string;
  partnerId: string;
  eventId: string;
  type: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  replays: number;
  createdAt: string;
  deliveredAt: string | null;
  payload: unknown;
}

// ---- operators' pages ----

export interface PublishableKey {
  key: string;
  partnerId: string;
  allowedOrigins: string[];
  revoked: boolean;
  createdAt: string;
}

export interface UserSummary {
  id: string;
  email: string;
  displayName: string;
  role: string;
  kycStatus: string;
  kycReview: string | null;
  frozen: boolean;
  frozenReason: string | null;
  createdAt: string;
}
export interface AuditEntry {
  id: string;
  at: string;
  action: string;
  actor: string;
  reason: string;
}
export interface UserDetail extends UserSummary {
  legalName: string | null;
  idNumberLast4: string | null;
  riskProfile: string | null;
  kycVerifiedAt: string | null;
  sameIdentity: { id: string; email: string; role: string }[];
  wallet: { availableMinor: number; heldMinor: number } | null;
  audit: AuditEntry[];
}

export interface MerchantForOperators {
  id: string;
  ref: string;
  name: string;
  partnerName: string;
  borrowerEmail: string | null;
  relatedParty: boolean;
  activeLoans: number;
  outstandingPrincipalMinor: number;
}
