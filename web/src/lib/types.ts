/**
 * The API's shapes as the web client reads them: names for the types generated from the server's
 * OpenAPI document (sdk/src/api-types.ts, `npm run generate -w @lendbook/partner`), never copies. A
 * change to a route's schema reaches every view through here, and the type check shows what it breaks.
 * Money in integer minor units (`…Minor`), rates in basis points (`…Bps`), times as RFC 3339 strings,
 * dates as YYYY-MM-DD.
 */
import type { components, operations } from '../../../sdk/src/api-types.js';

type S = components['schemas'];

// Enumerations, as the contract declares them
export type Grade = S['Grade'];
export type Role = S['PublicUser']['role'];
export type RiskProfile = NonNullable<S['PublicUser']['kyc']['riskProfile']>;
export type ListingStatus = S['Listing']['status'];
export type Product = S['Listing']['product'];
/** How a loan is repaid: a monthly kind the borrower chose, or a claim-backed loan's bullet. */
export type RepaymentKind = NonNullable<S['Listing']['repayment']>;
/** The monthly kinds a borrower chooses from. */
export type Repayment = Exclude<RepaymentKind, 'bullet'>;
export type Pricing = S['Listing']['pricing'];

// The values the forms offer (each typed by the contract's enumeration)
export const GRADES: readonly Grade[] = ['AA', 'A', 'B', 'C', 'D', 'E', 'HR'];
export const TERMS = [1, 2, 3, 6, 9, 12, 18, 24, 36] as const;
export const PRODUCTS: readonly Product[] = ['credit', 'order', 'warehouse_receipt', 'claim'];
export const REPAYMENTS: readonly Repayment[] = ['equal_installment', 'equal_principal', 'interest_only'];

/** A cursor-paginated list (every `GET` that takes `limit` and `cursor`). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

// Identity and wallet
export type PublicUser = S['PublicUser'];
export type SessionResponse = S['Session'];
export type Wallet = S['Wallet'];
export type Instruction = S['Instruction'];
export type LedgerLine = S['LedgerLine'];
export type StatementLine = S['StatementLine'];
export type WalletStatement = S['Statement'];
export type AnnualStatement = S['StatementAnnual'];
export type NotificationItem = S['Notification'];
export type NotificationList = S['NotificationList'];
export type NotificationPreferences = S['NotificationPreferences'];

// Market
export type ListingSummary = S['Listing'];
export type ListingDetail = S['ListingDetail'];
export type BookLevelView = ListingDetail['book'][number];
export type BidEntryView = ListingDetail['bids'][number];
export type ListingGuarantee = NonNullable<ListingSummary['guarantee']>;
export type ListingCollateral = S['Collateral'];
export type SchedulePeriod = S['SchedulePeriod'];
export type SchedulePreview = S['SchedulePreview'];
export type NewListing = operations['createListing']['requestBody']['content']['application/json'];
export type BidView = S['Bid'];
export type BidStatus = BidView['status'];
export type Watchlist = S['Watchlist'];
export type Rating = S['Rating'];
export type RatingReason = Rating['reasons'][number];
export type CollateralOptions = S['CollateralOptions'];
export type AutobidStrategy = S['AutobidStrategy'];
export type AutobidSaved = S['AutobidSaved'];
/** What PUT /me/autobid and POST /me/autobid/preview take. */
export type AutobidInput = operations['putAutobid']['requestBody']['content']['application/json'];
export type AutobidLogItem = S['AutobidLogEntry'];
export type AutobidPreview = S['AutobidPreview'];
export type ClearingRates = S['ClearingRates'];

// Supply-chain claims
export type Claim = S['Claim'];
export type ClaimStatus = Claim['status'];
export type CoreEnterpriseRef = Claim['coreEnterprise'];
/** Issuer first (tier 0), then each holder in order. */
export type ChainLink = Claim['chain'][number];
export type CoreEnterpriseView = S['CoreEnterpriseForOperators'];
export type CoreEnterpriseCredentials = S['CoreEnterpriseCredentials'];

// Loans, notes and servicing
export type LoanDetail = S['Loan'];
export type LoanItem = S['LoanSummary'];
export type LoanStatus = LoanDetail['status'];
export type Standing = NonNullable<LoanDetail['standing']>;
export type ScheduleRow = S['ScheduleInstallment'];
export type LoanOwed = S['Owed'];
export type PartAmounts = LoanOwed['due'];
export type RepaymentPreview = S['RepaymentPreview'];
export type RepaymentResult = S['Repayment'];
export type NoteItem = S['Note'];
export type NoteStatus = NoteItem['status'];
export type NoteRepayment = S['NoteRepayment'];
export type NoteRepayments = operations['listNoteRepayments']['responses'][200]['content']['application/json'];
export type Portfolio = S['Portfolio'];

// Note transfers
export type NoteOffer = S['NoteOffer'];
export type TradeQuote = S['NoteTransferQuote'];
export type SalePreview = S['SalePreview'];
export type PurchaseQuote = S['PurchaseQuote'];
export type Purchase = S['Purchase'];
export type NoteTransferItem = S['NoteTransfer'];

// Disclosure
export type Stats = S['Stats'];
export type MonthStats = S['DisclosureMonth'];
export type GradeStats = S['DisclosureGrade'];

// Guarantors
export type GuarantorView = S['Guarantor'];
export type GuarantorSelf = S['GuarantorSelf'];
export type GuaranteeItem = S['Guarantee'];
export type GuaranteeStatus = GuaranteeItem['status'];
export type GuarantorRegistered = S['GuarantorRegistered'];

// Operators
export type AdminSettingsView = S['SettingsView'];
/** The documented range of a setting (of each value, for the per-grade ones). */
export type SettingRange = AdminSettingsView['bounds'][string];
export type PartnerView = S['AdminPartner'];
export type PartnerCredentials = S['PartnerCredentials'];
export type InvariantReport = S['InvariantReport'];
export type WebhookDelivery = S['WebhookDelivery'];
export type WebhookReplay = S['WebhookReplay'];
export type PublishableKey = S['PublishableKey'];
export type PublishableKeyCreated = S['PublishableKeyCreated'];
export type UserSummary = S['AccountSummary'];
export type AuditEntry = S['AuditEntry'];
export type UserDetail = S['UserDetail'];
export type MerchantForOperators = S['AdminMerchant'];
export type ClockAdvance = S['ClockAdvance'];

// The embeddable widgets' data (GET /api/v1/widgets/…)
export type WidgetMerchant = S['WidgetMerchant'];
export type WidgetOrderOffer = S['WidgetOrderOffer'];
