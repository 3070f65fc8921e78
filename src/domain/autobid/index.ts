/**
 * Autobid (docs/autobid.md): a lender's standing order, and the pure decision of which strategies bid on
 * a listing, how much and at what rate, in which order.
 *
 * Decisions where the rules are silent:
 * - A candidate is judged in this order: the lender checks of docs/market-rules.md §2 that do not depend
 *   on the amount (eligibility, self-dealing, an active bid already there), then the amount (each limit in
 *   the order the rules name them: amount per listing, the lender's listing cap, the per-borrower limit,
 *   the budget, the reserve; the code names the first limit that alone leaves less than a minimum bid),
 *   then the rate, then the share. A strategy skipped for its own reasons uses none of the share.
 * - The share is `AUTOBID_MAX_SHARE_PCT` of the listing's amount rounded down to whole yuan, less the
 *   autobid bids already active on it. Once a strategy reaches the share (bidding what is left, or
 *   nothing when that is below a minimum bid), every strategy after it is skipped with
 *   `AUTOBID_SHARE_FULL`, whatever else it would have met.
 * - A lender who never placed an autobid bid comes before any lender who did ("earliest last autobid").
 */
import { lenderEligibility } from '../auction/bid.js';
import type { ErrorCode } from '../errors.js';
import { GRADES, isGrade, type Grade, type RiskProfile } from '../grades.js';
import type { Settings } from '../settings.js';

export const AUTOBID_TERMS = [1, 2, 3, 6, 9, 12, 18, 24, 36] as const;
export const AUTOBID_PRODUCTS = ['credit', 'order', 'warehouse_receipt', 'claim'] as const;
export type AutobidProduct = (typeof AUTOBID_PRODUCTS)[number];

export interface Strategy {
  readonly enabled: boolean;
  readonly amountPerListingMinor: number;
  readonly maxPerBorrowerMinor: number;
  readonly budgetMinor: number;
  readonly reserveMinor: number;
  /** A grade that is absent is never bid on. */
  readonly minRateBpsByGrade: Readonly<Partial<Record<Grade, number>>>;
  /** Null: every term. A claim-backed listing has no term and matches only a strategy without this filter. */
  readonly termsMonths: readonly number[] | null;
  readonly products: readonly string[] | null;
}

/** What a lender who never saved a strategy gets: disabled, nothing bid on. */
export function defaultStrategy(settings: Pick<Settings, 'minBidMinor'>): Strategy {
  return { enabled: false, amountPerListingMinor: settings.minBidMinor, maxPerBorrowerMinor: settings.minBidMinor * 10, budgetMinor: settings.minBidMinor * 100, reserveMinor: 0, minRateBpsByGrade: {}, termsMonths: null, products: null };
}

export type StrategySettings = Pick<Settings, 'minBidMinor' | 'maxRateBps'>;

export interface FieldProblem {
  /** The request field, as a path under body/ (e.g. `body/minRateBpsByGrade/AA`). */
  field: string;
  message: string;
}

/**
 * The checks a saved strategy must pass beyond its schema (which refuses negatives, unknown grades and
 * unknown fields): the ones that depend on the settings of the moment.
 */
export function validateStrategy(s: Strategy, settings: StrategySettings): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const money = (field: keyof Strategy, v: number, min: number) => {
    if (!Number.isSafeInteger(v) || v < min) problems.push({ field: `body/${field}`, message: `must be at least ${min} minor units` });
    else if (v % 100 !== 0) problems.push({ field: `body/${field}`, message: 'must be whole yuan' });
  };
  money('amountPerListingMinor', s.amountPerListingMinor, settings.minBidMinor);
  money('maxPerBorrowerMinor', s.maxPerBorrowerMinor, 0);
  money('budgetMinor', s.budgetMinor, 0);
  money('reserveMinor', s.reserveMinor, 0);
  for (const [g, rate] of Object.entries(s.minRateBpsByGrade)) {
    if (!isGrade(g)) problems.push({ field: `body/minRateBpsByGrade/${g}`, message: `is not a grade (grades: ${GRADES.join(', ')})` });
    else if (!Number.isSafeInteger(rate) || rate! < 1 || rate! > settings.maxRateBps) problems.push({ field: `body/minRateBpsByGrade/${g}`, message: `must be within 1..${settings.maxRateBps} bps (the platform's maximum rate)` });
  }
  if (s.termsMonths) {
    s.termsMonths.forEach((t, i) => {
      if (!(AUTOBID_TERMS as readonly number[]).includes(t)) problems.push({ field: `body/termsMonths/${i}`, message: `must be one of ${AUTOBID_TERMS.join(', ')}` });
    });
  }
  if (s.products) {
    s.products.forEach((p, i) => {
      if (!(AUTOBID_PRODUCTS as readonly string[]).includes(p)) problems.push({ field: `body/products/${i}`, message: `must be one of ${AUTOBID_PRODUCTS.join(', ')}` });
    });
  }
  return problems;
}

export interface AutobidListing {
  readonly id: string;
  readonly grade: Grade;
  readonly termMonths: number | null;
  readonly product: string;
  readonly amountMinor: number;
  readonly maxRateBps: number;
  readonly borrowerUserId: string;
}

/** Whether a strategy wants this listing at all (grade present, term and product filters). */
export function strategyMatches(s: Strategy, l: AutobidListing): boolean {
  if (!s.enabled) return false;
  if (s.minRateBpsByGrade[l.grade] === undefined) return false;
  if (s.termsMonths && (l.termMonths === null || !s.termsMonths.includes(l.termMonths))) return false;
  if (s.products && !s.products.includes(l.product)) return false;
  return true;
}

export interface Candidate {
  readonly lenderId: string;
  readonly strategy: Strategy;
  /** Autobid bids placed in the last AUTOBID_LOOKBACK_DAYS days (rotation). */
  readonly recentAutobidCount: number;
  /** When its last autobid bid was placed (rotation); null if never. */
  readonly lastAutobidAtMs: number | null;
  readonly kycComplete: boolean;
  readonly riskProfile: RiskProfile | null;
  /** The same verified person as the listing's borrower. */
  readonly isBorrower: boolean;
  /** An active bid (of any source) of this lender on this listing. */
  readonly activeOnListingMinor: number;
  readonly hasActiveBid: boolean;
  /** Outstanding note principal on this borrower's loans plus active bid holds on its listings, manual included. */
  readonly borrowerExposureMinor: number;
  /** Outstanding principal of notes from autobid bids plus active autobid holds. */
  readonly strategyExposureMinor: number;
  readonly availableMinor: number;
}

export type PlacementSettings = Pick<Settings, 'minBidMinor' | 'lenderListingCapPct' | 'gradeFloorBps' | 'autobidMaxSharePct'>;

export interface PlacementInput {
  readonly listing: AutobidListing;
  readonly candidates: readonly Candidate[];
  /** Autobid bids already active on the listing. */
  readonly autobidCoveredMinor: number;
  readonly settings: PlacementSettings;
}

export type Decision =
  | { readonly lenderId: string; readonly outcome: 'placed'; readonly amountMinor: number; readonly rateBps: number }
  | { readonly lenderId: string; readonly outcome: 'skipped'; readonly code: ErrorCode };

/** Fewest recent autobid bids, then the earliest last autobid (never first), then the lender id. */
export function compareRotation(a: Pick<Candidate, 'lenderId' | 'recentAutobidCount' | 'lastAutobidAtMs'>, b: Pick<Candidate, 'lenderId' | 'recentAutobidCount' | 'lastAutobidAtMs'>): number {
  if (a.recentAutobidCount !== b.recentAutobidCount) return a.recentAutobidCount - b.recentAutobidCount;
  const la = a.lastAutobidAtMs ?? -Infinity;
  const lb = b.lastAutobidAtMs ?? -Infinity;
  if (la !== lb) return la < lb ? -1 : 1;
  return a.lenderId < b.lenderId ? -1 : a.lenderId > b.lenderId ? 1 : 0;
}

export function rotationOrder<C extends Pick<Candidate, 'lenderId' | 'recentAutobidCount' | 'lastAutobidAtMs'>>(candidates: readonly C[]): C[] {
  return [...candidates].sort(compareRotation);
}

const wholeYuanDown = (minor: number) => Math.floor(minor / 100) * 100;

/** The most all autobid bids on the listing may cover together. */
export function shareCapMinor(listingAmountMinor: number, sharePct: number): number {
  return wholeYuanDown(Math.floor((listingAmountMinor * sharePct) / 100));
}

/** The rate a strategy bids on a listing of this grade: its own, raised to the grade floor. */
export function strategyRateBps(s: Strategy, grade: Grade, gradeFloorBps: Settings['gradeFloorBps']): number | null {
  const own = s.minRateBpsByGrade[grade];
  if (own === undefined) return null;
  return Math.max(own, gradeFloorBps[grade] ?? 0);
}

/**
 * What one strategy would bid on the listing on its own (before the share): an amount and rate, or the
 * code of why not.
 */
export function candidateBid(c: Candidate, listing: AutobidListing, settings: PlacementSettings): { amountMinor: number; rateBps: number } | { code: ErrorCode } {
  const eligible = lenderEligibility({ kycComplete: c.kycComplete, riskProfile: c.riskProfile }, listing.grade);
  if (eligible) return { code: eligible.code };
  if (c.lenderId === listing.borrowerUserId || c.isBorrower) return { code: 'SELF_DEALING' };
  if (c.hasActiveBid) return { code: 'BID_EXISTS' };
  const s = c.strategy;
  const limits: [ErrorCode, number][] = [
    ['AUTOBID_AMOUNT_BELOW_MIN', s.amountPerListingMinor],
    ['LENDER_LISTING_CAP', Math.floor((listing.amountMinor * settings.lenderListingCapPct) / 100) - c.activeOnListingMinor],
    ['AUTOBID_BORROWER_LIMIT', s.maxPerBorrowerMinor - c.borrowerExposureMinor],
    ['AUTOBID_BUDGET_SPENT', s.budgetMinor - c.strategyExposureMinor],
    ['AUTOBID_RESERVE', c.availableMinor - s.reserveMinor],
  ];
  const binding = limits.find(([, v]) => wholeYuanDown(v) < settings.minBidMinor);
  if (binding) return { code: binding[0] };
  const amountMinor = wholeYuanDown(Math.min(...limits.map(([, v]) => v)));
  const rateBps = strategyRateBps(s, listing.grade, settings.gradeFloorBps);
  if (rateBps === null) return { code: 'AUTOBID_RATE_ABOVE_MAX' };
  if (rateBps > listing.maxRateBps) return { code: 'AUTOBID_RATE_ABOVE_MAX' };
  return { amountMinor, rateBps };
}

/**
 * The autobid pass of one listing: the matching strategies in rotation order, each placed or skipped
 * with its code. Candidates whose strategy does not match are left out (they have nothing to log).
 */
export function planPlacement(input: PlacementInput): Decision[] {
  const { listing, settings } = input;
  const ordered = rotationOrder(input.candidates.filter((c) => strategyMatches(c.strategy, listing)));
  let shareLeft = Math.max(0, shareCapMinor(listing.amountMinor, settings.autobidMaxSharePct) - input.autobidCoveredMinor);
  let full = false;
  const out: Decision[] = [];
  for (const c of ordered) {
    if (full) {
      out.push({ lenderId: c.lenderId, outcome: 'skipped', code: 'AUTOBID_SHARE_FULL' });
      continue;
    }
    const own = candidateBid(c, listing, settings);
    if ('code' in own) {
      out.push({ lenderId: c.lenderId, outcome: 'skipped', code: own.code });
      continue;
    }
    if (own.amountMinor < shareLeft) {
      out.push({ lenderId: c.lenderId, outcome: 'placed', amountMinor: own.amountMinor, rateBps: own.rateBps });
      shareLeft -= own.amountMinor;
      continue;
    }
    // This strategy reaches the share: it bids what is left of it (if a bid can be that small), and
    // the ones after it place nothing here.
    full = true;
    const rest = wholeYuanDown(shareLeft);
    if (rest >= settings.minBidMinor) out.push({ lenderId: c.lenderId, outcome: 'placed', amountMinor: rest, rateBps: own.rateBps });
    else out.push({ lenderId: c.lenderId, outcome: 'skipped', code: 'AUTOBID_SHARE_FULL' });
    shareLeft = 0;
  }
  return out;
}

export interface PreviewListing extends AutobidListing {
  /** Autobid bids already active on it. */
  readonly autobidCoveredMinor: number;
  /** This lender already has an active bid on it. */
  readonly lenderHasBid: boolean;
}

export interface PreviewLender {
  readonly lenderId: string;
  readonly kycComplete: boolean;
  readonly riskProfile: RiskProfile | null;
  readonly availableMinor: number;
  readonly strategyExposureMinor: number;
  /** Exposure per borrower user id. */
  readonly borrowerExposureMinor: Readonly<Record<string, number>>;
  /** Borrower user ids that are this lender under another account. */
  readonly selfBorrowerIds: readonly string[];
}

/**
 * "With these settings, N of the M listings open now would get a bid, ¥X in all": the strategy alone,
 * listing after listing in the order given, each bid taking from the wallet, the budget and the borrower
 * limit what it holds, as saving it would.
 */
export function previewStrategy(strategy: Strategy, lender: PreviewLender, open: readonly PreviewListing[], settings: PlacementSettings): { listingsOpen: number; listingsBid: number; totalMinor: number; bids: { listingId: string; amountMinor: number; rateBps: number }[] } {
  let available = lender.availableMinor;
  let strategyExposure = lender.strategyExposureMinor;
  const borrower = new Map(Object.entries(lender.borrowerExposureMinor));
  const bids: { listingId: string; amountMinor: number; rateBps: number }[] = [];
  const enabled = { ...strategy, enabled: true };
  for (const l of open) {
    const [d] = planPlacement({
      listing: l,
      autobidCoveredMinor: l.autobidCoveredMinor,
      settings,
      candidates: [
        {
          lenderId: lender.lenderId,
          strategy: enabled,
          recentAutobidCount: 0,
          lastAutobidAtMs: null,
          kycComplete: lender.kycComplete,
          riskProfile: lender.riskProfile,
          isBorrower: lender.selfBorrowerIds.includes(l.borrowerUserId),
          activeOnListingMinor: 0,
          hasActiveBid: l.lenderHasBid,
          borrowerExposureMinor: borrower.get(l.borrowerUserId) ?? 0,
          strategyExposureMinor: strategyExposure,
          availableMinor: available,
        },
      ],
    });
    if (d?.outcome !== 'placed') continue;
    bids.push({ listingId: l.id, amountMinor: d.amountMinor, rateBps: d.rateBps });
    available -= d.amountMinor;
    strategyExposure += d.amountMinor;
    borrower.set(l.borrowerUserId, (borrower.get(l.borrowerUserId) ?? 0) + d.amountMinor);
  }
  return { listingsOpen: open.length, listingsBid: bids.length, totalMinor: bids.reduce((s, b) => s + b.amountMinor, 0), bids };
}
