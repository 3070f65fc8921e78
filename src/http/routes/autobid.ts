import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AUTOBID_PRODUCTS, AUTOBID_TERMS } from '../../domain/autobid/index.js';
import { GRADES } from '../../domain/grades.js';
import { autobidLogOf, clearingRatesByGrade, getStrategy, previewOf, saveStrategy } from '../../services/autobid.js';
import { requireUser } from '../plugins/auth.js';
import { Id, MAX_AMOUNT_MINOR, Page, Pagination, Problem, Strict, parseLimit } from '../schemas.js';

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

const GradeRatesOut = Type.Object(Object.fromEntries(GRADES.map((g) => [g, Type.Optional(Type.Integer())])));
const StrategyView = Type.Object({
  enabled: Type.Boolean(),
  amountPerListingMinor: Type.Integer(),
  maxPerBorrowerMinor: Type.Integer(),
  budgetMinor: Type.Integer(),
  reserveMinor: Type.Integer(),
  minRateBpsByGrade: GradeRatesOut,
  termsMonths: Type.Union([Type.Array(Type.Integer()), Type.Null()]),
  products: Type.Union([Type.Array(Type.String()), Type.Null()]),
  currency: Type.Literal('CNY'),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null: never saved (the defaults)' }),
  stats: Type.Object({
    bidsPlaced: Type.Integer({ description: 'autobid bids placed, ever' }),
    heldMinor: Type.Integer({ description: 'holds of active autobid bids' }),
    outstandingMinor: Type.Integer({ description: 'outstanding principal of notes from autobid bids' }),
    lastPlacedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  }),
});
const SavedView = Type.Object({
  ...StrategyView.properties,
  placedNow: Type.Object({ bids: Type.Integer(), amountMinor: Type.Integer() }, { description: 'bids placed on listings open now by this save' }),
});
const LogItem = Type.Object({
  id: Type.String(),
  listingId: Type.String(),
  listingTitle: Type.String(),
  at: Type.String({ format: 'date-time' }),
  outcome: Type.Union([Type.Literal('placed'), Type.Literal('skipped')]),
  trigger: Type.Union([Type.Literal('opening'), Type.Literal('saved')], { description: "the listing's opening, or a save of the strategy" }),
  bidId: Type.Optional(Type.String()),
  code: Type.Optional(Type.String({ description: 'why it was skipped: a code of docs/errors.md' })),
  amountMinor: Type.Optional(Type.Integer()),
  rateBps: Type.Optional(Type.Integer()),
});
const Preview = Type.Object({
  listingsOpen: Type.Integer({ description: 'listings open now with enough time left' }),
  listingsBid: Type.Integer({ description: 'of those, the ones these settings would bid on' }),
  totalMinor: Type.Integer(),
  currency: Type.Literal('CNY'),
  bids: Type.Array(Type.Object({ listingId: Type.String(), amountMinor: Type.Integer(), rateBps: Type.Integer() })),
});
const ClearingRates = Type.Object({
  days: Type.Integer(),
  items: Type.Array(Type.Object({ grade: Type.String(), loans: Type.Integer(), rateBps: Type.Union([Type.Integer(), Type.Null()], { description: 'principal-weighted rate of the loans made; null: none' }) })),
});

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
        response: { 200: StrategyView, 401: Problem, 403: Problem },
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
        response: { 200: SavedView, 400: Problem, 401: Problem, 403: Problem, 422: Problem },
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
        response: { 200: Preview, 400: Problem, 401: Problem, 403: Problem },
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
        response: { 200: Page(LogItem), 400: Problem, 401: Problem, 403: Problem },
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
