import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../domain/errors.js';
import { GRADES } from '../../domain/grades.js';
import { BULLET, MAX_BULLET_DAYS, previewSchedule } from '../../domain/servicing/index.js';
import { daysBetween, isIsoDate, isoDateOfMs } from '../../domain/dates.js';
import { LISTING_STATUSES } from '../../domain/auction/index.js';
import { GUARANTEE_STATUSES, ORDER_STATUSES } from '../../db/schema/index.js';
import { amendBid, placeBid } from '../../services/bidding.js';
import { createListing, listListings, listingDetail, withdraw } from '../../services/listings.js';
import { requireUser } from '../plugins/auth.js';
import { ReadCache } from '../../services/read-cache.js';
import { unwatch, watch, watched } from '../../services/watchlist.js';
import { collateralOf, myBids, myListings } from '../../services/market-reads.js';
import { AmountMinor, Bps, Errors, Grade, Id, IdempotencyHeaders, IsoDate, MinorUnits, Named, NoContent, Nullable, OneOf, Page, Pagination, parseLimit, QueryInt, RateBps, RefOf, Strict, Timestamp } from '../schemas.js';

const ListingId = Id('lst');
const JSON_UTF8 = 'application/json; charset=utf-8';
const numberOrUndefined = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const Terms = Type.Union([1, 2, 3, 6, 9, 12, 18, 24, 36].map((n) => Type.Literal(n)));
const Repayment = Type.Union([Type.Literal('equal_installment'), Type.Literal('equal_principal'), Type.Literal('interest_only')]);
const Product = Type.Union([Type.Literal('credit'), Type.Literal('order'), Type.Literal('warehouse_receipt'), Type.Literal('claim')]);
const Pricing = Type.Union([Type.Literal('uniform'), Type.Literal('pay_as_bid')]);
const Ref = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });

/** One of a list of words: a union of literals, typed as the union of the words. */

/** A guarantor standing behind a listing's loan (docs/guarantees.md), as lenders see it. */
const ListingGuaranteeView = Type.Object(
  {
    guarantorId: RefOf('gtr_…'),
    guarantorName: Type.String(),
    licenceNo: Type.String(),
    coveragePct: Type.Integer({ description: 'percent of what is owed at default that the guarantor pays' }),
    feeBps: Bps("the guarantor's fee on the principal"),
    status: OneOf(GUARANTEE_STATUSES),
    overdue: Type.Boolean({ description: 'owed and not paid by its payBy date' }),
    owedMinor: MinorUnits,
    paidMinor: MinorUnits,
    payBy: Nullable(IsoDate),
    paidOn: Nullable(IsoDate),
  },
  { description: "the listing's guarantee; absent when it has none" },
);

const listingFields = {
  id: RefOf('lst_…'),
  title: Type.String(),
  purpose: Type.String(),
  merchantName: Type.String({ description: "the borrower's shop name (the only identity shown)" }),
  grade: Grade,
  score: Type.Integer({ description: 'scorecard points at listing time' }),
  expectedLossBps: Bps('expected loss of the grade per year'),
  amountMinor: MinorUnits,
  currency: Type.Literal('CNY'),
  termMonths: Nullable(Type.Integer({ description: 'months; null for a claim-backed listing (it matures on maturesOn)' })),
  repayment: OneOf(['equal_installment', 'equal_principal', 'interest_only', 'bullet'] as const),
  maturesOn: Nullable(IsoDate),
  coreEnterpriseId: Nullable(RefOf('cor_…, the core enterprise of a claim-backed listing')),
  borrowerGrade: Nullable(Grade),
  product: OneOf(['credit', 'order', 'warehouse_receipt', 'claim'] as const),
  pricing: OneOf(['uniform', 'pay_as_bid'] as const),
  maxRateBps: Bps('highest rate the borrower accepts, per year'),
  minFundingPct: Type.Integer({ description: 'percent of the amount that must be covered for the listing to clear' }),
  closeWhenFunded: Type.Boolean(),
  status: OneOf(LISTING_STATUSES),
  seq: Type.Integer({ description: "the sequence number of the listing's last event" }),
  endsAt: Timestamp,
  originalEndsAt: Timestamp,
  extended: Type.Boolean({ description: 'the soft close moved the end' }),
  createdAt: Timestamp,
  closedAt: Nullable(Timestamp),
  coverageMinor: MinorUnits,
  fundedPct: Type.Integer({ description: 'percent of the amount covered by winning bids' }),
  currentRateBps: Bps('the rate the loan would clear at now, per year'),
  bidCount: Type.Integer(),
  loanId: Nullable(RefOf('loan_…, once cleared')),
  guarantee: Type.Optional(ListingGuaranteeView),
};

export const LISTING_EXAMPLE = {
  id: 'lst_0kx3m2p9q7r1',
  title: 'Spring stock for the Tmall shop',
  purpose: 'Buying 4,000 units of spring stock ahead of the March campaign',
  merchantName: 'Hangzhou Leaf Tea Co.',
  grade: 'B',
  score: 712,
  expectedLossBps: 120,
  amountMinor: 20_000_000,
  currency: 'CNY',
  termMonths: 6,
  repayment: 'equal_installment',
  maturesOn: null,
  coreEnterpriseId: null,
  borrowerGrade: null,
  product: 'credit',
  pricing: 'uniform',
  maxRateBps: 1800,
  minFundingPct: 80,
  closeWhenFunded: false,
  status: 'open',
  seq: 14,
  endsAt: '2026-11-09T08:00:00.000Z',
  originalEndsAt: '2026-11-09T08:00:00.000Z',
  extended: false,
  createdAt: '2026-11-02T08:00:00.000Z',
  closedAt: null,
  coverageMinor: 16_000_000,
  fundedPct: 80,
  currentRateBps: 1650,
  bidCount: 7,
  loanId: null,
};

export const Listing = Named('Listing', Type.Object(listingFields, { description: "A listing as the market shows it: no borrower identity beyond the shop's name", example: LISTING_EXAMPLE }));

const CoreEnterpriseRef = Type.Object({ id: RefOf('cor_…'), name: Type.String(), grade: Grade }, { description: 'the core enterprise whose payables the claims are on' });
const ChainLink = Type.Object({ merchantName: Type.String(), tier: Type.Integer({ description: '0: the core enterprise; 1…: each holder down the chain' }) });
const claimFields = {
  id: RefOf('clm_…'),
  amountMinor: MinorUnits,
  dueDate: IsoDate,
  tier: Type.Integer({ description: 'depth of the claim in the supply chain, 1 = a direct supplier' }),
  chain: Type.Array(ChainLink),
  payableStatus: OneOf(['outstanding', 'settled'] as const),
  toLoanMinor: Type.Optional(Type.Integer({ description: 'once settled: the part that repaid the loan (fen)' })),
  toHolderMinor: Type.Optional(Type.Integer({ description: 'once settled: the part paid on to the holder (fen)' })),
};
const CollateralClaim = Named('CollateralClaim', Type.Object(claimFields, { description: 'a claim pledged to a claim-backed listing' }));

export const Collateral = Named(
  'Collateral',
  Type.Union(
    [
      Type.Object({
        kind: Type.Literal('claims'),
        valueMinor: Nullable(MinorUnits),
        limitMinor: Nullable(MinorUnits),
        coreEnterprise: CoreEnterpriseRef,
        borrowerGrade: Nullable(Grade),
        claims: Type.Array(CollateralClaim),
      }),
      Type.Object({
        kind: Type.Literal('orders'),
        valueMinor: Nullable(MinorUnits),
        limitMinor: Nullable(MinorUnits),
        orders: Type.Array(
          Type.Object({ orderId: Type.String(), amountMinor: MinorUnits, status: Type.String({ description: 'the order system\'s status: paid | shipped | delivered | settled | refunded | disputed' }), placedAt: Timestamp, impaired: Type.Boolean({ description: 'refunded or disputed since it was pledged' }) }),
        ),
      }),
      Type.Object({
        kind: Type.Literal('warehouse_receipt'),
        valueMinor: Nullable(MinorUnits),
        limitMinor: Nullable(MinorUnits),
        receipt: Nullable(Type.Object({ receiptId: Type.String(), goods: Type.String(), quantity: Type.Integer(), valueMinor: MinorUnits })),
      }),
      Type.Object({ kind: Type.Literal('none') }),
    ],
    { description: "what backs the listing, by kind: claims, orders, a warehouse receipt, or none (a credit listing); valueMinor and limitMinor are the value and the advance limit at listing time" },
  ),
);

/** One period of a repayment schedule. */
export const SchedulePeriod = Named(
  'SchedulePeriod',
  Type.Object(
    { n: Type.Integer({ description: 'period number, from 1' }), dueDate: IsoDate, principalMinor: MinorUnits, interestMinor: MinorUnits },
    { example: { n: 1, dueDate: '2026-12-09', principalMinor: 3_250_000, interestMinor: 275_000 } },
  ),
);

export const ListingDetail = Named(
  'ListingDetail',
  Type.Object(
    {
      ...listingFields,
      book: Type.Array(Type.Object({ rateBps: Bps('rate of the level'), amountMinor: MinorUnits, bidCount: Type.Integer() }), { description: 'the anonymised book by rate level' }),
      bids: Type.Array(
        Type.Object({
          bidId: RefOf('bid_…'),
          amountMinor: MinorUnits,
          rateBps: Bps('lowest rate the bid accepts'),
          priority: Type.Integer(),
          fillMinor: Type.Integer({ description: 'what the bid would lend if the listing cleared now; once cleared, what it lent (fen)' }),
          source: OneOf(['manual', 'autobid'] as const),
        }),
        { description: 'the bids of the book (no lender identity): active while open, as they stood at the close after' },
      ),
      recentEvents: Type.Array(
        Type.Object({
          type: Type.String({ description: 'bid.accepted | bid.outbid | listing.cleared | listing.failed | listing.withdrawn…' }),
          at: Timestamp,
          amountMinor: Type.Optional(MinorUnits),
          rateBps: Type.Optional(Bps('rate of the event')),
          bidId: Type.Optional(RefOf('bid_…')),
        }),
        { description: 'the last events, newest first' },
      ),
      requiredCoverageMinor: Type.Integer({ description: 'the coverage the listing needs to clear (fen)' }),
      ratingReasons: Type.Array(Type.Object({ code: Type.String(), text: Type.String(), textZh: Type.Optional(Type.String()) }), { description: "the reasons of the borrower's rating, written for lenders" }),
      collateral: Collateral,
      claims: Type.Optional(Type.Array(Type.Object({ ...claimFields, coreEnterprise: CoreEnterpriseRef }), { description: 'a claim-backed listing: its claims, each with its core enterprise' })),
      schedulePreview: Type.Array(SchedulePeriod, { description: 'the schedule at the current rate, disbursed at the end of the auction (empty for a bullet past its maturity)' }),
    },
    {
      description: 'A listing with its anonymised book, recent events, collateral and schedule preview',
      example: {
        ...LISTING_EXAMPLE,
        book: [{ rateBps: 1500, amountMinor: 10_000_000, bidCount: 4 }, { rateBps: 1650, amountMinor: 6_000_000, bidCount: 3 }],
        bids: [{ bidId: 'bid_0kx3m4a1b2c3', amountMinor: 2_500_000, rateBps: 1500, priority: 3, fillMinor: 2_500_000, source: 'manual' }],
        recentEvents: [{ type: 'bid.accepted', at: '2026-11-03T09:12:00.000Z', amountMinor: 2_500_000, rateBps: 1500, bidId: 'bid_0kx3m4a1b2c3' }],
        requiredCoverageMinor: 16_000_000,
        ratingReasons: [{ code: 'VOLATILE_SALES', text: "The shop's monthly sales vary more than those of the steadiest shops.", textZh: '该店铺月销售额的波动大于最稳定的店铺。' }],
        collateral: { kind: 'none' },
        schedulePreview: [{ n: 1, dueDate: '2026-12-09', principalMinor: 3_250_000, interestMinor: 275_000 }],
      },
    },
  ),
);

export const SchedulePreview = Named(
  'SchedulePreview',
  Type.Object(
    {
      schedule: Type.Array(SchedulePeriod),
      totals: Type.Object({ principalMinor: MinorUnits, interestMinor: MinorUnits }),
      currency: Type.Literal('CNY'),
      prepaymentFeeBps: Bps('fee on principal repaid ahead of schedule, in force now'),
      maxRateBps: Bps('the highest rate a listing may ask, in force now'),
    },
    { example: { schedule: [{ n: 1, dueDate: '2026-12-09', principalMinor: 10_000_000, interestMinor: 150_000 }], totals: { principalMinor: 10_000_000, interestMinor: 150_000 }, currency: 'CNY', prepaymentFeeBps: 100, maxRateBps: 2400 } },
  ),
);

export const Bid = Named(
  'Bid',
  Type.Object(
    {
      id: RefOf('bid_…'),
      listingId: RefOf('lst_…'),
      amountMinor: MinorUnits,
      requestedAmountMinor: Type.Integer({ description: 'the amount asked for, before any cap (fen)' }),
      rateBps: Bps('lowest rate accepted, per year'),
      fillMinor: Type.Integer({ description: 'winning: what it would lend if the listing cleared now; filled: what it lent (fen)' }),
      status: OneOf(['winning', 'outbid', 'filled', 'released'] as const),
      standing: OneOf(['winning', 'winning_partial', 'outbid', 'filled', 'partly_filled', 'released'] as const, { description: 'the label every page shows (docs/market-rules.md §3)' }),
      priority: Type.Integer(),
      source: OneOf(['manual', 'autobid'] as const, { description: 'placed by the lender, or by its autobid strategy' }),
      currency: Type.Literal('CNY'),
      createdAt: Timestamp,
      updatedAt: Timestamp,
    },
    {
      example: { id: 'bid_0kx3m4a1b2c3', listingId: 'lst_0kx3m2p9q7r1', amountMinor: 2_500_000, requestedAmountMinor: 2_500_000, rateBps: 1500, fillMinor: 2_500_000, status: 'winning', standing: 'winning', priority: 3, source: 'manual', currency: 'CNY', createdAt: '2026-11-03T09:12:00.000Z', updatedAt: '2026-11-03T09:12:00.000Z' },
    },
  ),
);

export const Watchlist = Named(
  'Watchlist',
  Type.Object({ listingIds: Type.Array(RefOf('lst_…'), { description: 'most recently added first' }), items: Type.Array(Listing) }),
);

export const CollateralOptions = Named(
  'CollateralOptions',
  Type.Object(
    {
      orders: Type.Array(Type.Object({ orderId: Type.String(), amountMinor: MinorUnits, placedAt: IsoDate, status: OneOf(ORDER_STATUSES) })),
      receipts: Type.Array(Type.Object({ receiptId: Type.String(), goods: Type.String(), quantity: Type.Integer(), valueMinor: MinorUnits })),
      orderAdvancePct: Nullable(Type.Integer({ description: "percent of the orders' value that may be lent at your grade; null: not rated" })),
      warehouseLtvPct: Type.Integer({ description: "percent of a receipt's value that may be lent" }),
      claims: Type.Array(
        Type.Object({
          id: RefOf('clm_…'),
          amountMinor: MinorUnits,
          dueDate: IsoDate,
          tier: Type.Integer(),
          coreEnterprise: CoreEnterpriseRef,
          advancePct: Nullable(Type.Integer({ description: "percent of the claim that may be lent; null: the core enterprise's grade cannot back a listing" })),
        }),
      ),
      currency: Type.Literal('CNY'),
    },
    { description: 'Orders, warehouse receipts and claims that could back a listing now (none pledged)' },
  ),
);

const BID_ERRORS = ['NOT_FOUND', 'ACCOUNT_FROZEN', 'LISTING_NOT_OPEN', 'LENDER_NOT_ELIGIBLE', 'SELF_DEALING', 'BID_EXISTS', 'BID_AMOUNT_INVALID', 'BID_RATE_INVALID', 'LENDER_LISTING_CAP', 'BID_NOT_COMPETITIVE', 'INSUFFICIENT_FUNDS', 'CONFLICT'] as const;

export const marketRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;
  const marketCache = new ReadCache<Awaited<ReturnType<typeof listListings>>>(ctx, 'listings');

  app.post(
    '/listings',
    {
      config: { access: ['borrower'], idempotent: true },
      schema: {
        operationId: 'createListing',
        tags: ['listings'],
        summary: 'List a loan request (docs/market-rules.md §1); a claim-backed one takes maturesOn instead of termMonths and repayment',
        headers: IdempotencyHeaders,
        body: Strict({
          title: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
          purpose: Type.String({ minLength: 1, maxLength: 1000, pattern: '\\S' }),
          amountMinor: AmountMinor,
          termMonths: Type.Optional(Terms),
          maxRateBps: RateBps,
          repayment: Type.Optional(Repayment),
          maturesOn: Type.Optional(IsoDate),
          product: Product,
          pricing: Type.Optional(Pricing),
          minFundingPct: Type.Optional(Type.Integer({ minimum: 50, maximum: 100 })),
          closeWhenFunded: Type.Optional(Type.Boolean()),
          durationSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000 })),
          collateral: Type.Optional(
            Type.Union([Strict({ orderIds: Type.Array(Ref, { minItems: 1, maxItems: 500 }) }), Strict({ receiptId: Ref }), Strict({ claimIds: Type.Array(Id('clm'), { minItems: 1, maxItems: 50 }) })]),
          ),
          guarantee: Type.Optional(
            Type.Object(
              {
                guarantorId: Id('gtr'),
                coveragePct: Type.Integer({ minimum: 1, maximum: 100, description: 'percent of what is owed at default that the guarantor pays' }),
                feeBps: Type.Integer({ minimum: 0, maximum: 1000, description: "the guarantor's fee, bps of the principal, from the disbursement" }),
              },
              { additionalProperties: false, description: 'a third-party guarantor asked to stand behind the loan: the listing waits in pending_guarantee until it accepts' },
            ),
          ),
        }),
        response: {
          201: Listing,
          ...Errors(
            'MERCHANT_NOT_LINKED',
            'ACCOUNT_FROZEN',
            'KYC_REQUIRED',
            'NOT_RATED',
            'BORROWER_NOT_ELIGIBLE',
            'OPEN_LISTING_EXISTS',
            'LISTING_AMOUNT_INVALID',
            'LISTING_RATE_INVALID',
            'LISTING_DURATION_INVALID',
            'LISTING_MATURITY_INVALID',
            'CREDIT_LINE_EXCEEDED',
            'REGULATORY_CAP_EXCEEDED',
            'COLLATERAL_INVALID',
            'COLLATERAL_PLEDGED',
            'COLLATERAL_INSUFFICIENT',
            'CLAIM_NOT_ACTIVE',
            'GUARANTEE_INVALID',
            'GUARANTOR_NOT_FOUND',
            'CONFLICT',
          ),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await createListing(ctx, requireUser(request).id, request.body, request.idempotencyKey)),
  );

  app.get(
    '/listings',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'listListings',
        tags: ['listings'],
        summary: 'The market: listings with filters and sorting (public)',
        querystring: Strict({
          status: Type.Optional(Type.Union([Type.Literal('pending_guarantee'), Type.Literal('open'), Type.Literal('cleared'), Type.Literal('failed'), Type.Literal('withdrawn')])),
          grade: Type.Optional(Type.Union(GRADES.map((g) => Type.Literal(g)))),
          termMonths: Type.Optional(QueryInt(36)),
          product: Type.Optional(Product),
          minRateBps: Type.Optional(QueryInt(100_000)),
          maxRateBps: Type.Optional(QueryInt(100_000)),
          minAmountMinor: Type.Optional(QueryInt(1_000_000_000_000)),
          maxAmountMinor: Type.Optional(QueryInt(1_000_000_000_000)),
          sort: Type.Optional(Type.Union([Type.Literal('endsAt'), Type.Literal('rate'), Type.Literal('fundedPct'), Type.Literal('createdAt')])),
          ...Pagination,
        }),
        response: { 200: Page(Listing) },
      },
    },
    (request, reply) => {
      const q = request.query;
      const key = JSON.stringify([q.status, q.grade, q.termMonths, q.product, q.minRateBps, q.maxRateBps, q.minAmountMinor, q.maxAmountMinor, q.sort, q.limit, q.cursor]);
      // A page already kept is sent at once, without a promise (the market's readers mostly ask for the same pages).
      const kept = marketCache.peek(key);
      if (kept !== undefined) {
        reply.type(JSON_UTF8).send(kept as never);
        return;
      }
      // Encoded by this route's own serialiser (its 200 schema), checked like any answer in tests.
      const encode = (page: Awaited<ReturnType<typeof listListings>>): string => {
        app.checkAnswer(request, 200, page);
        return reply.serialize(page) as string;
      };
      const compute = () =>
        listListings(ctx.db, {
          status: q.status,
          grade: q.grade,
          termMonths: numberOrUndefined(q.termMonths),
          product: q.product,
          minRateBps: numberOrUndefined(q.minRateBps),
          maxRateBps: numberOrUndefined(q.maxRateBps),
          minAmountMinor: numberOrUndefined(q.minAmountMinor),
          maxAmountMinor: numberOrUndefined(q.maxAmountMinor),
          sort: q.sort,
          limit: parseLimit(q.limit),
          cursor: q.cursor,
        }, isoDateOfMs(ctx.clock.nowMs()));
      // The typed reply wants the value; these are its bytes, from its own serialiser (a Buffer is sent as is).
      return marketCache.get(key, compute, encode).then(async (body) => reply.type(JSON_UTF8).send(body as never));
    },
  );

  app.get(
    '/listings/:id',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'getListing',
        tags: ['listings'],
        summary: 'A listing with its anonymised book by rate, collateral and schedule preview (public)',
        params: Strict({ id: ListingId }),
        response: { 200: ListingDetail, ...Errors('NOT_FOUND') },
      },
    },
    async (request) => listingDetail(ctx.db, request.params.id, isoDateOfMs(ctx.clock.nowMs())),
  );

  app.get(
    '/schedule-preview',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'previewSchedule',
        tags: ['listings'],
        summary: 'The repayment schedule of a loan before it exists (the borrower sees it at the maximum rate)',
        querystring: Strict({
          amountMinor: QueryInt(1_000_000_000_000),
          termMonths: Type.Optional(QueryInt(36)),
          rateBps: QueryInt(100_000),
          repayment: Type.Optional(Repayment),
          maturesOn: Type.Optional(IsoDate),
          disbursedOn: Type.Optional(IsoDate),
        }),
        response: { 200: SchedulePreview },
      },
    },
    async (request) => {
      const q = request.query;
      const principalMinor = Number(q.amountMinor);
      const rateBps = Number(q.rateBps);
      const field = (name: string, message: string) => new AppError('VALIDATION_FAILED', `querystring/${name} ${message}`, { errors: [{ field: `querystring/${name}`, message }] });
      if (principalMinor < 1) throw field('amountMinor', 'must be at least 1');
      if (rateBps > 100_000) throw field('rateBps', 'must be at most 100000');
      const disbursedOn = q.disbursedOn ?? isoDateOfMs(ctx.clock.nowMs());
      if (!isIsoDate(disbursedOn)) throw field('disbursedOn', 'is not a date');
      // A bullet (a claim-backed loan) matures on a date; the monthly kinds run for a term.
      const schedule = q.maturesOn !== undefined ? bulletPreview(q.maturesOn) : monthlyPreview();
      function bulletPreview(maturesOn: string) {
        if (q.termMonths !== undefined || q.repayment !== undefined) throw field('maturesOn', 'takes no termMonths or repayment');
        const days = isIsoDate(maturesOn) ? daysBetween(disbursedOn, maturesOn) : 0;
        if (days < 1 || days > MAX_BULLET_DAYS) throw field('maturesOn', `must be a date 1 to ${MAX_BULLET_DAYS} days after disbursedOn`);
        return previewSchedule({ principalMinor, rateBps, termMonths: null, repayment: BULLET, disbursedOn, maturesOn });
      }
      function monthlyPreview() {
        const termMonths = Number(q.termMonths);
        if (![1, 2, 3, 6, 9, 12, 18, 24, 36].includes(termMonths)) throw field('termMonths', 'must be one of 1, 2, 3, 6, 9, 12, 18, 24, 36');
        if (q.repayment === undefined) throw field('repayment', 'is required with termMonths');
        return previewSchedule({ principalMinor, rateBps, termMonths, repayment: q.repayment, disbursedOn });
      }
      const totals = schedule.reduce((a, p) => ({ principalMinor: a.principalMinor + p.principalMinor, interestMinor: a.interestMinor + p.interestMinor }), { principalMinor: 0, interestMinor: 0 });
      const settings = ctx.settings.get();
      // The form's own checks and its note on early repayment use the rules in force.
      return { schedule, totals, currency: 'CNY' as const, prepaymentFeeBps: settings.prepaymentFeeBps, maxRateBps: settings.maxRateBps };
    },
  );

  app.post(
    '/listings/:id/withdraw',
    {
      config: { access: ['borrower'] },
      schema: {
        operationId: 'withdrawListing',
        tags: ['listings'],
        summary: 'Withdraw your open listing; every hold on it is released',
        params: Strict({ id: ListingId }),
        response: { 200: Listing, ...Errors('NOT_FOUND', 'LISTING_NOT_WITHDRAWABLE', 'CONFLICT') },
      },
    },
    async (request) => withdraw(ctx, requireUser(request).id, request.params.id),
  );

  app.post(
    '/listings/:id/bids',
    {
      config: { access: ['lender'], idempotent: true, rateLimit: { max: 600, timeWindow: '1 minute', keyGenerator: (req) => `bid:${req.user?.id ?? req.ip}`, hook: 'preHandler' } },
      schema: {
        operationId: 'placeBid',
        tags: ['bids'],
        summary: 'Bid: the amount you lend and the lowest rate you accept (docs/market-rules.md §2). Firm once accepted',
        headers: IdempotencyHeaders,
        params: Strict({ id: ListingId }),
        body: Strict({ amountMinor: AmountMinor, rateBps: RateBps }),
        response: { 201: Bid, ...Errors(...BID_ERRORS) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const { bid } = await placeBid(ctx, request.params.id, { lenderId: user.id, amountMinor: request.body.amountMinor, rateBps: request.body.rateBps, clientRef: request.idempotencyKey ? `http:${request.idempotencyKey}` : null });
      return reply.code(201).send(bid);
    },
  );

  app.patch(
    '/bids/:id',
    {
      config: { access: ['lender'] },
      schema: {
        operationId: 'amendBid',
        tags: ['bids'],
        summary: "Lower a bid's rate (the only change a firm bid allows); it takes a new priority",
        params: Strict({ id: Id('bid') }),
        body: Strict({ rateBps: RateBps }),
        response: { 200: Bid, ...Errors('NOT_FOUND', 'ACCOUNT_FROZEN', 'LISTING_NOT_OPEN', 'BID_NOT_ACTIVE', 'BID_RATE_INVALID', 'AMEND_RATE_NOT_LOWER', 'CONFLICT') },
      },
    },
    async (request) => amendBid(ctx, requireUser(request).id, request.params.id, request.body.rateBps),
  );

  app.get(
    '/me/bids',
    {
      config: { access: ['lender'] },
      schema: {
        operationId: 'listMyBids',
        tags: ['bids'],
        summary: 'Your bids, newest first, each with its status and (for winning bids) what it would fill now',
        querystring: Strict({ status: Type.Optional(Type.Union([Type.Literal('winning'), Type.Literal('outbid'), Type.Literal('filled'), Type.Literal('released')])), ...Pagination }),
        response: { 200: Page(Bid) },
      },
    },
    async (request) => myBids(ctx, requireUser(request).id, request.query.status, parseLimit(request.query.limit), request.query.cursor),
  );

  app.get(
    '/me/watchlist',
    {
      config: { access: ['lender', 'borrower'] },
      schema: { operationId: 'getMyWatchlist', tags: ['listings'], summary: 'The listings on your watchlist, most recently added first, as they stand now', response: { 200: Watchlist } },
    },
    async (request) => watched(ctx, requireUser(request).id),
  );

  app.put(
    '/me/watchlist/:id',
    { config: { access: ['lender', 'borrower'] }, schema: { operationId: 'watchListing', tags: ['listings'], summary: 'Add a listing to your watchlist', params: Strict({ id: ListingId }), response: { 204: NoContent, ...Errors('NOT_FOUND', 'CONFLICT') } } },
    async (request, reply) => {
      await watch(ctx, requireUser(request).id, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/me/watchlist/:id',
    { config: { access: ['lender', 'borrower'] }, schema: { operationId: 'unwatchListing', tags: ['listings'], summary: 'Take a listing off your watchlist', params: Strict({ id: ListingId }), response: { 204: NoContent } } },
    async (request, reply) => {
      await unwatch(ctx, requireUser(request).id, [request.params.id]);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/me/collateral',
    {
      config: { access: ['borrower'] },
      schema: {
        operationId: 'getMyCollateral',
        tags: ['listings'],
        summary: 'Orders, warehouse receipts and claims that could back a listing now (not pledged)',
        response: { 200: CollateralOptions, ...Errors('MERCHANT_NOT_LINKED') },
      },
    },
    async (request) => collateralOf(ctx, requireUser(request).merchantId),
  );

  app.get(
    '/me/listings',
    {
      config: { access: ['borrower'] },
      schema: { operationId: 'listMyListings', tags: ['listings'], summary: 'Your listings, newest first', querystring: Strict(Pagination), response: { 200: Page(Listing) } },
    },
    async (request) => myListings(ctx, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );
};
