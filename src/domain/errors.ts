/**
 * The one catalogue of error codes. Every rejection the API returns carries one of these codes, with
 * the HTTP status it maps to. docs/errors.md documents each one; a test checks that every code thrown
 * anywhere in src/ is listed here and documented there.
 */
export const ERROR_CATALOGUE = {
  // Generic request errors
  VALIDATION_FAILED: { status: 400, title: 'The request does not match its schema' },
  INVALID_JSON: { status: 400, title: 'The request body is not valid JSON' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  FORBIDDEN: { status: 403, title: 'You may not do this' },
  NOT_FOUND: { status: 404, title: 'No such resource' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed on this resource' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  CONFLICT: { status: 409, title: 'The resource changed concurrently; retry' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'A dependency is unavailable' },
  INTERNAL: { status: 500, title: 'Internal error' },

  // Idempotency
  IDEMPOTENCY_KEY_REUSED: { status: 409, title: 'This Idempotency-Key was used with another request' },
  IDEMPOTENCY_KEY_INVALID: { status: 400, title: 'The Idempotency-Key header is malformed' },
  IDEMPOTENCY_REQUEST_IN_PROGRESS: { status: 409, title: 'A request with this Idempotency-Key is still running' },

  // Identity
  INVALID_CREDENTIALS: { status: 401, title: 'Email or password is wrong' },
  EMAIL_TAKEN: { status: 409, title: 'An account with this email exists' },
  INVITE_INVALID: { status: 422, title: 'The invite code is unknown or used' },
  KYC_REQUIRED: { status: 422, title: 'Complete KYC first' },
  KYC_LOCKED: { status: 409, title: 'Verified identity cannot be changed' },
  PASSWORD_WEAK: { status: 422, title: 'The password is too weak' },
  KYC_DUPLICATE: { status: 409, title: 'This identity is verified on another account' },
  ACCOUNT_FROZEN: { status: 403, title: 'An operator froze this account' },

  // Ledger and wallet
  INSUFFICIENT_FUNDS: { status: 422, title: 'Available balance is too low' },
  TRANSFER_CONFLICT: { status: 409, title: 'A transfer with this id exists with other fields' },
  HOLD_NOT_PENDING: { status: 409, title: 'The hold is already posted or voided' },
  AMOUNT_INVALID: { status: 422, title: 'The amount is not allowed' },
  WITHDRAWAL_NOT_PENDING: { status: 409, title: 'The withdrawal is not pending' },
  STATEMENT_TOO_LONG: { status: 422, title: 'The period has too many movements for one statement' },

  // Signed calls (partner API, custodian callbacks)
  SIGNATURE_MISSING: { status: 401, title: 'The request is not signed' },
  SIGNATURE_INVALID: { status: 401, title: 'The signature does not match' },
  SIGNATURE_EXPIRED: { status: 401, title: 'The signature timestamp is outside the allowed window' },
  SIGNATURE_REPLAYED: { status: 401, title: 'This signature was already used' },
  PARTNER_KEY_UNKNOWN: { status: 401, title: 'Unknown or revoked API key' },

  PARTNER_SECRET_CURRENT: { status: 409, title: "A key's current secret is replaced by rotating, not revoked" },
  WEBHOOK_URL_INVALID: { status: 422, title: 'The webhook URL must be https and reach a public address' },

  // Publishable (widget) keys
  PUBLISHABLE_KEY_INVALID: { status: 401, title: 'Unknown or revoked publishable key' },
  ORIGIN_NOT_ALLOWED: { status: 403, title: 'This origin may not use this key' },

  // Merchants, orders, rating
  MERCHANT_NOT_FOUND: { status: 404, title: 'No such merchant' },
  MERCHANT_NOT_LINKED: { status: 422, title: 'This account is not linked to a merchant' },
  ORDER_BATCH_TOO_LARGE: { status: 413, title: 'Too many orders in one batch' },
  RECEIPT_EXISTS: { status: 409, title: 'A receipt with this id exists with other fields' },
  NOT_RATED: { status: 422, title: 'The merchant has no rating yet' },

  // Listings (docs/market-rules.md §1)
  BORROWER_NOT_ELIGIBLE: { status: 422, title: 'The borrower may not list now' },
  OPEN_LISTING_EXISTS: { status: 409, title: 'The borrower already has an open listing' },
  LISTING_AMOUNT_INVALID: { status: 422, title: 'The listing amount is not allowed' },
  CREDIT_LINE_EXCEEDED: { status: 422, title: 'The amount exceeds the credit line left' },
  REGULATORY_CAP_EXCEEDED: { status: 422, title: 'The amount exceeds the regulatory cap left' },
  LISTING_RATE_INVALID: { status: 422, title: 'The maximum rate is not allowed' },
  LISTING_DURATION_INVALID: { status: 422, title: 'The auction duration is not allowed' },
  COLLATERAL_INVALID: { status: 422, title: 'The collateral cannot back this listing' },
  COLLATERAL_PLEDGED: { status: 409, title: 'The collateral already backs another listing or loan' },
  COLLATERAL_INSUFFICIENT: { status: 422, title: 'The collateral does not cover the amount' },
  LISTING_NOT_WITHDRAWABLE: { status: 409, title: 'Only an open listing can be withdrawn' },

  // Bids (docs/market-rules.md §2, in the order they are checked)
  LISTING_NOT_OPEN: { status: 409, title: 'The listing is not open' },
  LENDER_NOT_ELIGIBLE: { status: 422, title: 'KYC incomplete or the risk profile excludes this grade' },
  SELF_DEALING: { status: 422, title: 'A borrower cannot bid on its own listing' },
  BID_EXISTS: { status: 409, title: 'You already have an active bid on this listing; amend it' },
  BID_AMOUNT_INVALID: { status: 422, title: 'The bid amount is not allowed' },
  BID_RATE_INVALID: { status: 422, title: 'The bid rate is not allowed' },
  LENDER_LISTING_CAP: { status: 422, title: 'Your bids would exceed your cap on this listing' },
  BID_NOT_COMPETITIVE: { status: 422, title: 'The listing is covered and your rate is not below the marginal rate' },
  // Amending
  BID_NOT_ACTIVE: { status: 409, title: 'The bid is no longer active' },
  AMEND_RATE_NOT_LOWER: { status: 422, title: 'An amended rate must be lower than the current one' },

  // Autobid (docs/autobid.md): why a strategy placed nothing on a listing (its log shows the code)
  AUTOBID_SHARE_FULL: { status: 422, title: 'Autobid bids already cover their share of this listing' },
  AUTOBID_RATE_ABOVE_MAX: { status: 422, title: "The strategy's rate for this grade is above the listing's maximum rate" },
  AUTOBID_AMOUNT_BELOW_MIN: { status: 422, title: 'The amount per listing is below the minimum bid' },
  AUTOBID_BORROWER_LIMIT: { status: 422, title: 'The per-borrower limit leaves less than a minimum bid' },
  AUTOBID_BUDGET_SPENT: { status: 422, title: "The strategy's budget leaves less than a minimum bid" },
  AUTOBID_RESERVE: { status: 422, title: 'The available balance above the reserve is less than a minimum bid' },

  // Loans
  LOAN_NOT_ACTIVE: { status: 409, title: 'The loan is not being repaid' },
  REPAYMENT_EXCEEDS_OWED: { status: 422, title: 'The payment is more than what is owed' },

  // Note transfers (docs/transfers.md)
  NOTE_NOT_TRANSFERABLE: { status: 422, title: 'This note cannot change hands now' },
  OFFER_AMOUNT_INVALID: { status: 422, title: 'The principal is not allowed for this offer' },
  OFFER_PRICE_OUT_OF_RANGE: { status: 422, title: 'The price is outside the allowed discount and premium' },
  OFFER_EXISTS: { status: 409, title: 'This note already has an open offer' },
  OFFER_NOT_OPEN: { status: 409, title: 'The offer is no longer open' },
  OFFER_REMAINING_EXCEEDED: { status: 409, title: 'Less is left on the offer than you asked for' },

  // Settings
  SETTING_INVALID: { status: 422, title: 'A setting value is not allowed' },

  // Supply-chain finance: core enterprises, payables and claims, order proceeds (docs/supply-chain.md)
  CORE_LIMIT_EXCEEDED: { status: 422, title: "The core enterprise's unpaid claims would exceed its issuance limit" },
  PAYABLE_EXISTS: { status: 409, title: 'A payable with this reference exists with other fields' },
  PAYABLE_DUE_DATE_INVALID: { status: 422, title: 'The due date of the payable is not allowed' },
  PAYABLE_NOT_DUE: { status: 409, title: 'The payable is not due yet' },
  PAYABLE_SETTLING: { status: 409, title: 'A listing backed by this payable is still closing; retry shortly' },
  CLAIM_NOT_ACTIVE: { status: 409, title: 'The claim is settled, due or empty' },
  CLAIM_PLEDGED: { status: 409, title: 'The claim backs a listing or a loan' },
  CLAIM_AMOUNT_INVALID: { status: 422, title: 'The amount to assign is not allowed' },
  CLAIM_TIER_EXCEEDED: { status: 422, title: 'The claim is at the deepest tier that may be assigned' },
  LISTING_MATURITY_INVALID: { status: 422, title: 'The maturity date of the listing is not allowed' },
  MERCHANT_NO_ACCOUNT: { status: 422, title: 'The merchant has no Lendbook account yet' },
  ORDER_NOT_FOUND: { status: 404, title: 'No such order of this merchant' },
  ORDER_REFUNDED: { status: 409, title: 'A refunded order has no proceeds' },
  PROCEEDS_EXISTS: { status: 409, title: "This order's proceeds were paid in with another amount" },

  // WebSocket requests
  WS_MESSAGE_INVALID: { status: 400, title: 'The message is not a valid request' },
  WS_CHANNEL_FORBIDDEN: { status: 403, title: 'You may not subscribe to this channel' },
  WS_CHANNEL_UNKNOWN: { status: 404, title: 'No such channel' },
  WS_LIMIT_REACHED: { status: 429, title: 'Too many sockets or subscriptions from this address or account' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code);
}

/**
 * Figures a rejection is about (`maxMinor`, `maxRateBps`, …), in the API's units: clients turn them into
 * a sentence in yuan or percent ("The rate can be at most 24.00 %"), never the detail's minor units.
 */
export type RejectionFigures = Record<string, number | string>;

/** An expected rejection: returned by the domain as a result, thrown by services as AppError. */
export interface Rejection {
  ok: false;
  code: ErrorCode;
  detail: string;
  extra?: RejectionFigures;
}

export function reject(code: ErrorCode, detail: string, extra?: RejectionFigures): Rejection {
  return extra ? { ok: false, code, detail, extra } : { ok: false, code, detail };
}

/** The AppError a service throws for a domain rejection, its figures kept. */
export function rejectionError(r: Pick<Rejection, 'code' | 'detail' | 'extra'>): AppError {
  return new AppError(r.code, r.detail, r.extra);
}

/** Thrown by services and mapped to problem+json at the edge. */
export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(detail ?? ERROR_CATALOGUE[code].title);
    this.status = ERROR_CATALOGUE[code].status;
  }
}
