import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AUTOBID_PRODUCTS, AUTOBID_TERMS } from '../../domain/autobid/index.js';
import { GRADES } from '../../domain/grades.js';
import { autobidLogOf, clearingRatesByGrade, getStrategy, previewOf, saveStrategy } from '../../services/autobid.js';
import { requireUser } from '../plugins/auth.js';
import { Bps, Errors, Grade, Id, MAX_AMOUNT_MINOR, MinorUnits, Named, Nullable, Page, Pagination, parseLimit, Strict, Timestamp } from '../schemas.js';

/** A non-negative amount: the limits may be zero (a zero reserve keeps nothing back). */
const LimitMinor = Type.Integer({ minimum: 0, maximum: MAX_AMOUNT_MINOR, description: 'integer minor units (fen), whole yuan' });
const GradeRates = Type.Object(Object.fromEntries(GRADES.map((g) => [g, Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: `lowest rate for grade ${g}, bps per year; at most the platform's maximum rate` }))])), {
  additionalProperties: false,
  description: 'the lowest rate per grade (bps); a grade that is absent is never bid on',
});
const Terms = Type.Array(Type.Union(AUTOBID_TERMS.map((n) => Type.Literal(n))), { maxItems: AUTOBID_TERMS.length, description: 'term filter (months); absent, null or empty: every term' });
const Products = Type.Array(Type.Union(AUTOBID_PRODUCTS.map((p) => Type.Literal(p))), { maxItems: AUTOBID_PRODUCTS.length, description: 'product filter; absent, null or empty: every product' });

const StrategyBody = Strict({
  enabled: Type.Boolean(),
  amountPerListingMinor: LimitMinor,
  maxPerBorrowerMinor: LimitMinor,
  budgetMinor: LimitMinor,
  reserveMinor: LimitMinor,
  minRateBpsByGrade: GradeRates,
  termsMonths: Type.Optional(Type.Union([Terms, Type.Null()])),
  products: Type.Optional(Type.Union([Products, Type.Null()])),
});


const GradeRatesOut = Type.Object(Object.fromEntries(GRADES.map((g) => [g, Type.Optional(Bps(`lowest rate for grade ${g}, per year`))])), {
  description: 'the lowest rate per grade; a grade that is absent is never bid on',
});
const strategyFields = {
  enabled: Type.Boolean(),
  amountPerListingMinor: MinorUnits,
  maxPerBorrowerMinor: MinorUnits,
  budgetMinor: MinorUnits,
  reserveMinor: MinorUnits,
  minRateBpsByGrade: GradeRatesOut,
  termsMonths: Nullable(Type.Array(Type.Integer(), { description: 'term filter (months); null: every term' })),
  products: Nullable(Type.Array(Type.Unsafe<string>(Type.Union(AUTOBID_PRODUCTS.map((p) => Type.Literal(p)))), { description: 'product filter; null: every product' })),
  currency: Type.Literal('CNY'),
  updatedAt: Nullable(Timestamp),
  stats: Type.Object({
    bidsPlaced: Type.Integer({ description: 'autobid bids placed, ever' }),
    heldMinor: Type.Integer({ description: 'holds of active autobid bids (fen)' }),
    outstandingMinor: Type.Integer({ description: 'outstanding principal of notes from autobid bids (fen)' }),
    lastPlacedAt: Nullable(Timestamp),
  }),
};
const STRATEGY_EXAMPLE = {
  enabled: true,
  amountPerListingMinor: 100_000,
  maxPerBorrowerMinor: 500_000,
  budgetMinor: 10_000_000,
  reserveMinor: 0,
  minRateBpsByGrade: { A: 900, B: 1200, C: 1500 },
  termsMonths: [3, 6, 12],
  products: null,
  currency: 'CNY',
  updatedAt: '2026-11-02T08:00:00.000Z',
  stats: { bidsPlaced: 12, heldMinor: 300_000, outstandingMinor: 900_000, lastPlacedAt: '2026-11-05T10:30:00.000Z' },
};
const AutobidStrategy = Named('AutobidStrategy', Type.Object(strategyFields, { description: 'A lender\'s autobid strategy (updatedAt null: never saved, the defaults) and what it has placed', example: STRATEGY_EXAMPLE }));
const AutobidSaved = Named(
  'AutobidSaved',
  Type.Object(
    { ...strategyFields, placedNow: Type.Object({ bids: Type.Integer(), amountMinor: MinorUnits }, { description: 'bids placed on listings open now by this save' }) },
    { description: 'The strategy as saved, with what the save placed at once', example: { ...STRATEGY_EXAMPLE, placedNow: { bids: 2, amountMinor: 200_000 } } },
  ),
);
const AutobidLogEntry = Named(
  'AutobidLogEntry',
  Type.Object(
    {
      id: Type.String({ description: 'id, abl_…' }),
      listingId: Type.String({ description: 'id, lst_…' }),
      listingTitle: Type.String(),
      at: Timestamp,
      outcome: Type.Union([Type.Literal('placed'), Type.Literal('skipped')]),
      trigger: Type.Union([Type.Literal('opening'), Type.Literal('saved')], { description: "the listing's opening, or a save of the strategy" }),
      bidId: Type.Optional(Type.String({ description: 'id, bid_…: the bid placed' })),
      code: Type.Optional(Type.String({ description: 'why it was skipped: a code of docs/errors.md' })),
      amountMinor: Type.Optional(MinorUnits),
      rateBps: Type.Optional(Bps('rate of the bid placed, per year')),
    },
    { example: { id: 'abl_0kx3m9z8y7x6', listingId: 'lst_0kx3m2p9q7r1', listingTitle: 'Spring stock for the Tmall shop', at: '2026-11-02T08:00:01.000Z', outcome: 'placed', trigger: 'opening', bidId: 'bid_0kx3m4a1b2c3', amountMinor: 100_000, rateBps: 1200 } },
  ),
);
const AutobidPreview = Named(
  'AutobidPreview',
  Type.Object(
    {
      listingsOpen: Type.Integer({ description: 'listings open now with enough time left' }),
      listingsBid: Type.Integer({ description: 'of those, the ones these settings would bid on' }),
      totalMinor: MinorUnits,
      currency: Type.Literal('CNY'),
      bids: Type.Array(Type.Object({ listingId: Type.String({ description: 'id, lst_…' }), amountMinor: MinorUnits, rateBps: Bps('rate of the bid, per year') })),
    },
    { example: { listingsOpen: 5, listingsBid: 2, totalMinor: 200_000, currency: 'CNY', bids: [{ listingId: 'lst_0kx3m2p9q7r1', amountMinor: 100_000, rateBps: 1200 }] } },
  ),
);
const ClearingRates = Named(
  'ClearingRates',
  Type.Object(
    {
      days: Type.Integer({ description: 'the window, in days up to now' }),
      items: Type.Array(Type.Object({ grade: Grade, loans: Type.Integer({ description: 'loans made in the window' }), rateBps: Nullable(Bps('principal-weighted rate of the loans made; null: none')) })),
    },
    { example: { days: 30, items: [{ grade: 'A', loans: 4, rateBps: 980 }, { grade: 'HR', loans: 0, rateBps: null }] } },
  ),
);

export const autobidRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.get(
    '/me/autobid',
    {
      config: { access: ['lender'] },
      schema: {
        operationId: 'getAutobid',
        tags: ['autobid'],
        summary: 'Your autobid strategy (defaults, disabled, if you never saved one) and what it has placed',
        response: { 200: AutobidStrategy },
      },
    },
    async (request) => getStrategy(ctx, requireUser(request).id),
  );

  app.put(
    '/me/autobid',
    {
      config: { access: ['lender'] },
      schema: {
        operationId: 'putAutobid',
        tags: ['autobid'],
        summary: 'Save your whole strategy (KYC first). Saved enabled, it bids once on the listings open now with enough time left',
        body: StrategyBody,
        response: { 200: AutobidSaved, ...Errors('KYC_REQUIRED', 'ACCOUNT_FROZEN', 'CONFLICT') },
      },
    },
    async (request) => saveStrategy(ctx, requireUser(request).id, request.body),
  );

  app.post(
    '/me/autobid/preview',
    {
      config: { access: ['lender'] },
      schema: {
        operationId: 'previewAutobid',
        tags: ['autobid'],
        summary: 'What a strategy (not saved) would bid on the listings open now: how many of them, and how much in all',
        body: StrategyBody,
        response: { 200: AutobidPreview },
      },
    },
    async (request) => previewOf(ctx, requireUser(request).id, request.body),
  );

  app.get(
    '/me/autobid/log',
    {
      config: { access: ['lender'] },
      schema: {
        operationId: 'listAutobidLog',
        tags: ['autobid'],
        summary: 'What autobid did for you, newest first: each bid placed, and each listing skipped with its reason code',
        querystring: Strict({ ...Pagination, cursor: Type.Optional(Id('abl')) }),
        response: { 200: Page(AutobidLogEntry) },
      },
    },
    async (request) => autobidLogOf(ctx.db, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );

  app.get(
    '/autobid/clearing-rates',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'getClearingRatesByGrade',
        tags: ['autobid'],
        summary: 'The rates loans of each grade were made at over the last 30 days (shown beside the rate inputs of a strategy)',
        response: { 200: ClearingRates },
      },
    },
    async () => clearingRatesByGrade(ctx.db, ctx.clock.nowMs()),
  );
};
