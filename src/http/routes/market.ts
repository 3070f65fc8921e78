import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../domain/errors.js';
import { GRADES } from '../../domain/grades.js';
import { BULLET, MAX_BULLET_DAYS, previewSchedule } from '../../domain/servicing/index.js';
import { daysBetween, isIsoDate, isoDateOfMs } from '../../domain/dates.js';
import { amendBid, placeBid } from '../../services/bidding.js';
import { createListing, listListings, listingDetail, withdraw } from '../../services/listings.js';
import { requireUser } from '../plugins/auth.js';
import { ReadCache } from '../../services/read-cache.js';
import { unwatch, watch, watched } from '../../services/watchlist.js';
import { collateralOf, myBids, myListings } from '../../services/market-reads.js';
import { AmountMinor, Id, IdempotencyHeaders, IsoDate, Pagination, Problem, QueryInt, RateBps, Strict, parseLimit } from '../schemas.js';

const ListingId = Id('lst');
const Terms = Type.Union([1, 2, 3, 6, 9, 12, 18, 24, 36].map((n) => Type.Literal(n)));
const Repayment = Type.Union([Type.Literal('equal_installment'), Type.Literal('equal_principal'), Type.Literal('interest_only')]);
const Product = Type.Union([Type.Literal('credit'), Type.Literal('order'), Type.Literal('warehouse_receipt'), Type.Literal('claim')]);
const Pricing = Type.Union([Type.Literal('uniform'), Type.Literal('pay_as_bid')]);
const Ref = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });

const BidResponse = Type.Object({
  id: Type.String(),
  listingId: Type.String(),
  amountMinor: Type.Integer(),
  requestedAmountMinor: Type.Integer(),
  rateBps: Type.Integer(),
  fillMinor: Type.Integer(),
  status: Type.String({ description: 'winning | outbid | filled | released' }),
  standing: Type.String({ description: 'winning | winning_partial | outbid | filled | partly_filled | released' }),
  priority: Type.Integer(),
  source: Type.Union([Type.Literal('manual'), Type.Literal('autobid')], { description: 'placed by the lender, or by its autobid strategy' }),
  currency: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const marketRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;
  const marketCache = new ReadCache(ctx, 'listings');

  app.post(
    '/listings',
    {
      config: { access: ['borrower'], idempotent: true },
      schema: {
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
        }),
        response: { 201: Type.Any(), 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await createListing(ctx, requireUser(request).id, request.body, request.idempotencyKey)),
  );

  app.get(
    '/listings',
    {
      config: { access: 'public' },
      schema: {
        tags: ['listings'],
        summary: 'The market: listings with filters and sorting (public)',
        querystring: Strict({
          status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('cleared'), Type.Literal('failed'), Type.Literal('withdrawn')])),
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
      },
    },
    async (request, reply) => {
      const q = request.query;
      const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
      const key = JSON.stringify([q.status, q.grade, q.termMonths, q.product, q.minRateBps, q.maxRateBps, q.minAmountMinor, q.maxAmountMinor, q.sort, q.limit, q.cursor]);
      const body = await marketCache.get(key, () =>
        listListings(ctx.db, {
          status: q.status,
          grade: q.grade,
          termMonths: num(q.termMonths),
          product: q.product,
          minRateBps: num(q.minRateBps),
          maxRateBps: num(q.maxRateBps),
          minAmountMinor: num(q.minAmountMinor),
          maxAmountMinor: num(q.maxAmountMinor),
          sort: q.sort,
          limit: parseLimit(q.limit),
          cursor: q.cursor,
        }),
      );
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );

  app.get(
    '/listings/:id',
    {
      config: { access: 'public' },
      schema: { tags: ['listings'], summary: 'A listing with its anonymised book by rate, collateral and schedule preview (public)', params: Strict({ id: ListingId }) },
    },
    async (request) => listingDetail(ctx.db, request.params.id),
  );

  app.get(
    '/schedule-preview',
    {
      config: { access: 'public' },
      schema: {
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
      return { schedule, totals, currency: 'CNY', prepaymentFeeBps: settings.prepaymentFeeBps, maxRateBps: settings.maxRateBps };
    },
  );

  app.post(
    '/listings/:id/withdraw',
    {
      config: { access: ['borrower'] },
      schema: { tags: ['listings'], summary: 'Withdraw your open listing; every hold on it is released', params: Strict({ id: ListingId }), response: { 200: Type.Any(), 409: Problem } },
    },
    async (request) => withdraw(ctx, requireUser(request).id, request.params.id),
  );

  app.post(
    '/listings/:id/bids',
    {
      config: { access: ['lender'], idempotent: true, rateLimit: { max: 600, timeWindow: '1 minute', keyGenerator: (req) => `bid:${req.user?.id ?? req.ip}`, hook: 'preHandler' } },
      schema: {
        tags: ['bids'],
        summary: 'Bid: the amount you lend and the lowest rate you accept (docs/market-rules.md §2). Firm once accepted',
        headers: IdempotencyHeaders,
        params: Strict({ id: ListingId }),
        body: Strict({ amountMinor: AmountMinor, rateBps: RateBps }),
        response: { 201: BidResponse, 409: Problem, 422: Problem },
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
        tags: ['bids'],
        summary: "Lower a bid's rate (the only change a firm bid allows); it takes a new priority",
        params: Strict({ id: Id('bid') }),
        body: Strict({ rateBps: RateBps }),
        response: { 200: BidResponse, 409: Problem, 422: Problem },
      },
    },
    async (request) => amendBid(ctx, requireUser(request).id, request.params.id, request.body.rateBps),
  );

  app.get(
    '/me/bids',
    {
      config: { access: ['lender'] },
      schema: {
        tags: ['bids'],
        summary: 'Your bids, newest first, each with its status and (for winning bids) what it would fill now',
        querystring: Strict({ status: Type.Optional(Type.Union([Type.Literal('winning'), Type.Literal('outbid'), Type.Literal('filled'), Type.Literal('released')])), ...Pagination }),
      },
    },
    async (request) => myBids(ctx, requireUser(request).id, request.query.status, parseLimit(request.query.limit), request.query.cursor),
  );

  app.get(
    '/me/watchlist',
    {
      config: { access: ['lender', 'borrower'] },
      schema: { tags: ['listings'], summary: 'The listings on your watchlist, most recently added first, as they stand now', response: { 200: Type.Object({ listingIds: Type.Array(Type.String()), items: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) } },
    },
    async (request) => watched(ctx, requireUser(request).id),
  );

  app.put(
    '/me/watchlist/:id',
    { config: { access: ['lender', 'borrower'] }, schema: { tags: ['listings'], summary: 'Add a listing to your watchlist', params: Strict({ id: ListingId }), response: { 204: Type.Null(), 404: Problem, 409: Problem } } },
    async (request, reply) => {
      await watch(ctx, requireUser(request).id, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/me/watchlist/:id',
    { config: { access: ['lender', 'borrower'] }, schema: { tags: ['listings'], summary: 'Take a listing off your watchlist', params: Strict({ id: ListingId }), response: { 204: Type.Null() } } },
    async (request, reply) => {
      await unwatch(ctx, requireUser(request).id, [request.params.id]);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/me/collateral',
    {
      config: { access: ['borrower'] },
      schema: { tags: ['listings'], summary: 'Orders, warehouse receipts and claims that could back a listing now (not pledged)' },
    },
    async (request) => collateralOf(ctx, requireUser(request).merchantId),
  );

  app.get(
    '/me/listings',
    {
      config: { access: ['borrower'] },
      schema: { tags: ['listings'], summary: 'Your listings, newest first', querystring: Strict(Pagination) },
    },
    async (request) => myListings(ctx, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );
};
