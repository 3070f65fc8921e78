import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { GRADES } from '../../domain/grades.js';
import { NOT_TRANSFERABLE_REASONS } from '../../domain/transfers/index.js';
import { listOffers, myOffers, offerDetail, purchaseQuote, saleQuote, transfersOf } from '../../services/transfer-reads.js';
import { buyNote, cancelOffer, createOffer } from '../../services/transfers.js';
import { requireUser } from '../plugins/auth.js';
import { AmountMinor, Currency, Id, IdempotencyHeaders, IsoDate, MinorUnits, Page, Pagination, Problem, QueryInt, Strict, Timestamp, parseLimit } from '../schemas.js';

const OfferId = Id('nof');
const NoteId = Id('note');
const Bps = Type.Integer({ description: 'basis points' });
/** A price in bps of the principal: 10000 = par (the settings narrow it further). */
const PriceBps = Type.Integer({ minimum: 1, maximum: 20_000, description: 'price in bps of the principal (10000 = par)' });
const Reason = Type.String({ description: `why the note cannot change hands now: ${NOT_TRANSFERABLE_REASONS.join(' | ')}` });
const EndReason = Type.Union([Type.String({ description: 'seller | expired | past_due | defaulted | last_installment | loan_repaid | note_closed | repaid_below_offer' }), Type.Null()]);

const Offer = Type.Object({
  id: Type.String(),
  noteId: Type.String(),
  loanId: Type.String(),
  listingId: Type.String(),
  grade: Type.String(),
  rateBps: Type.Integer(),
  repayment: Type.String(),
  principalMinor: MinorUnits,
  remainingMinor: MinorUnits,
  soldMinor: MinorUnits,
  priceBps: Type.Integer(),
  wholeNote: Type.Boolean({ description: "offers the note's whole outstanding principal: trimmed as the loan is repaid" }),
  status: Type.Union([Type.Literal('open'), Type.Literal('filled'), Type.Literal('cancelled'), Type.Literal('expired')]),
  endReason: EndReason,
  accruedPerRemainingMinor: Type.Integer({ description: 'the accrued interest a buyer of all that is left pays on top of the price, as of quotedOn' }),
  monthsLeft: Type.Integer(),
  nextDueDate: IsoDate,
  yieldToMaturityBps: Type.Integer({ description: "the buyer's yield on price + accrued, payments on time, as of quotedOn" }),
  quotedOn: IsoDate,
  expiresAt: Timestamp,
  createdAt: Timestamp,
  endedAt: Type.Union([Timestamp, Type.Null()]),
  currency: Currency,
});

const Installment = Type.Object({ n: Type.Integer(), dueDate: IsoDate, principalMinor: MinorUnits, interestMinor: MinorUnits });

const Quote = {
  principalMinor: MinorUnits,
  priceBps: Type.Integer(),
  priceMinor: MinorUnits,
  accruedMinor: MinorUnits,
  paidMinor: Type.Integer({ description: 'what the buyer pays: price + accrued' }),
  feeMinor: Type.Integer({ description: "the seller's fee (TRANSFER_FEE_BPS of the price)" }),
  sellerReceivesMinor: Type.Integer({ description: 'price + accrued − fee' }),
  yieldToMaturityBps: Bps,
  monthsLeft: Type.Integer(),
  nextDueDate: IsoDate,
  tradeDate: IsoDate,
  installments: Type.Array(Installment, { description: "the buyer's share of each installment not yet due" }),
  currency: Currency,
};

const SalePreview = Type.Object({
  noteId: Type.String(),
  loanId: Type.String(),
  eligible: Type.Boolean(),
  reason: Type.Union([Reason, Type.Null()]),
  detail: Type.Union([Type.String(), Type.Null()]),
  transferableMinor: MinorUnits,
  openOfferId: Type.Union([Type.String(), Type.Null()]),
  limits: Type.Object({
    minPriceBps: Type.Integer(),
    maxPriceBps: Type.Integer(),
    minPrincipalMinor: MinorUnits,
    maxPrincipalMinor: MinorUnits,
    feeBps: Type.Integer(),
    offerTtlDays: Type.Integer(),
  }),
  quote: Type.Union([Type.Object(Quote), Type.Null()]),
  currency: Currency,
});

const PurchaseQuote = Type.Object({ offerId: Type.String(), remainingMinor: MinorUnits, minPrincipalMinor: MinorUnits, ...Quote });

const Purchase = Type.Object({
  transferId: Type.String(),
  offerId: Type.String(),
  loanId: Type.String(),
  noteId: Type.String({ description: "the buyer's new note" }),
  principalMinor: MinorUnits,
  priceBps: Type.Integer(),
  priceMinor: MinorUnits,
  accruedMinor: MinorUnits,
  paidMinor: MinorUnits,
  yieldToMaturityBps: Bps,
  tradedOn: IsoDate,
  currency: Currency,
});

const TransferItem = Type.Object({
  id: Type.String(),
  direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
  offerId: Type.String(),
  loanId: Type.String(),
  listingId: Type.String(),
  noteId: Type.String({ description: 'your note: the one bought (in) or the one sold from (out)' }),
  principalMinor: MinorUnits,
  priceBps: Type.Integer(),
  priceMinor: MinorUnits,
  accruedMinor: MinorUnits,
  feeMinor: Type.Integer({ description: 'the fee you paid (sales only)' }),
  amountMinor: Type.Integer({ description: 'what moved through your wallet: −(price + accrued) in, price + accrued − fee out' }),
  yieldToMaturityBps: Bps,
  tradedOn: IsoDate,
  createdAt: Timestamp,
  currency: Currency,
});

/** Per user: trades like bids; previews (each solves a yield) a little less often. */
const perUser = (what: string, max: number) => ({ max, timeWindow: '1 minute', keyGenerator: (req: { user?: { id: string } | null; ip: string }) => `${what}:${req.user?.id ?? req.ip}`, hook: 'preHandler' as const });

/** Signed integers in a query string (a yield may be negative). */
const QuerySignedInt = Type.String({ pattern: '^-?(0|[1-9][0-9]{0,5})$' });

export const transferRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.post(
    '/notes/:id/offers',
    {
      config: { access: ['lender'], idempotent: true, rateLimit: perUser('offer', 120) },
      schema: {
        tags: ['note transfers'],
        summary: 'Offer part or all of your note to other lenders (docs/transfers.md)',
        params: Strict({ id: NoteId }),
        headers: IdempotencyHeaders,
        body: Strict({ principalMinor: AmountMinor, priceBps: PriceBps }),
        response: { 201: Offer, 404: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await createOffer(ctx, requireUser(request).id, request.params.id, request.body, request.idempotencyKey)),
  );

  app.get(
    '/notes/:id/offer-preview',
    {
      config: { access: ['lender'], rateLimit: perUser('quote', 300) },
      schema: {
        tags: ['note transfers'],
        summary: 'May your note be offered now, within which limits, and (with a principal and a price) what the sale would bring',
        params: Strict({ id: NoteId }),
        querystring: Strict({ principalMinor: Type.Optional(QueryInt(1_000_000_000_000)), priceBps: Type.Optional(QueryInt(20_000)) }),
        response: { 200: SalePreview, 404: Problem, 422: Problem },
      },
    },
    async (request) => {
      const q = request.query;
      return saleQuote(ctx, requireUser(request).id, request.params.id, {
        ...(q.principalMinor !== undefined ? { principalMinor: Number(q.principalMinor) } : {}),
        ...(q.priceBps !== undefined ? { priceBps: Number(q.priceBps) } : {}),
      });
    },
  );

  app.delete(
    '/note-offers/:id',
    {
      config: { access: ['lender'] },
      schema: {
        tags: ['note transfers'],
        summary: 'Cancel what is left of your offer',
        params: Strict({ id: OfferId }),
        response: { 200: Offer, 404: Problem, 409: Problem },
      },
    },
    async (request) => cancelOffer(ctx, requireUser(request).id, request.params.id),
  );

  app.get(
    '/note-offers',
    {
      config: { access: 'public' },
      schema: {
        tags: ['note transfers'],
        summary: 'Notes for sale (public): open offers, best yield first by default',
        querystring: Strict({
          grade: Type.Optional(Type.Union(GRADES.map((g) => Type.Literal(g)))),
          minYieldBps: Type.Optional(QuerySignedInt),
          maxMonthsLeft: Type.Optional(QueryInt(600)),
          sort: Type.Optional(Type.Union([Type.Literal('yield'), Type.Literal('priceBps'), Type.Literal('monthsLeft')])),
          ...Pagination,
        }),
        response: { 200: Page(Offer), 400: Problem },
      },
    },
    async (request) => {
      const q = request.query;
      return listOffers(ctx.db, ctx.clock.nowMs(), {
        ...(q.grade ? { grade: q.grade } : {}),
        ...(q.minYieldBps !== undefined ? { minYieldBps: Number(q.minYieldBps) } : {}),
        ...(q.maxMonthsLeft !== undefined ? { maxMonthsLeft: Number(q.maxMonthsLeft) } : {}),
        ...(q.sort ? { sort: q.sort } : {}),
        limit: parseLimit(q.limit),
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
    },
  );

  app.get(
    '/note-offers/:id',
    {
      config: { access: 'public' },
      schema: { tags: ['note transfers'], summary: 'One offer (public)', params: Strict({ id: OfferId }), response: { 200: Offer, 404: Problem } },
    },
    async (request) => offerDetail(ctx.db, request.params.id),
  );

  app.get(
    '/note-offers/:id/quote',
    {
      config: { access: ['lender'], rateLimit: perUser('quote', 300) },
      schema: {
        tags: ['note transfers'],
        summary: 'What buying principal of an offer would cost now (all that is left by default): price, accrued, yield',
        params: Strict({ id: OfferId }),
        querystring: Strict({ principalMinor: Type.Optional(QueryInt(1_000_000_000_000)) }),
        response: { 200: PurchaseQuote, 404: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request) => purchaseQuote(ctx, request.params.id, request.query.principalMinor === undefined ? undefined : Number(request.query.principalMinor)),
  );

  app.post(
    '/note-offers/:id/buy',
    {
      config: { access: ['lender'], idempotent: true, rateLimit: perUser('buy', 600) },
      schema: {
        tags: ['note transfers'],
        summary: 'Buy all or part of what is left on an offer: you pay price + accrued, and a note of your own is born',
        params: Strict({ id: OfferId }),
        headers: IdempotencyHeaders,
        body: Strict({ principalMinor: AmountMinor }),
        response: { 201: Purchase, 404: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await buyNote(ctx, requireUser(request).id, request.params.id, request.body.principalMinor, request.idempotencyKey)),
  );

  app.get(
    '/me/note-offers',
    {
      config: { access: ['lender'] },
      schema: { tags: ['note transfers'], summary: 'Your offers, newest first, open and ended', querystring: Strict(Pagination), response: { 200: Page(Offer) } },
    },
    async (request) => myOffers(ctx.db, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );

  app.get(
    '/me/note-transfers',
    {
      config: { access: ['lender'] },
      schema: {
        tags: ['note transfers'],
        summary: 'Your transfers in and out, newest first, with price, accrued and fee',
        querystring: Strict(Pagination),
        response: { 200: Page(TransferItem), 400: Problem },
      },
    },
    async (request) => transfersOf(ctx.db, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );
};
