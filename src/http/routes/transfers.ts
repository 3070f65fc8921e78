import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { GRADES } from '../../domain/grades.js';
import { NOT_TRANSFERABLE_REASONS, type NotTransferableReason } from '../../domain/transfers/index.js';
import { listOffers, myOffers, offerDetail, purchaseQuote, saleQuote, transfersOf } from '../../services/transfer-reads.js';
import { buyNote, cancelOffer, createOffer } from '../../services/transfers.js';
import { requireUser } from '../plugins/auth.js';
import { AmountMinor, Bps, Currency, Errors, Grade, Id, IdempotencyHeaders, IsoDate, MinorUnits, Named, Nullable, Page, Pagination, parseLimit, QueryInt, Strict, Timestamp } from '../schemas.js';

const OfferId = Id('nof');
const NoteId = Id('note');
/** A price in bps of the principal: 10000 = par (the settings narrow it further). */
const PriceBps = Type.Integer({ minimum: 1, maximum: 20_000, description: 'price in bps of the principal (10000 = par)' });
const PriceOut = Bps('price of the principal (10000 = par)');
const Reason = Type.Unsafe<NotTransferableReason>({ type: 'string', enum: [...NOT_TRANSFERABLE_REASONS], description: 'why the note cannot change hands now' });
const EndReason = Nullable(Type.String({ description: 'why it ended: seller | expired | past_due | defaulted | last_installment | loan_repaid | note_closed | repaid_below_offer; null while open' }));
const Repayment = Type.Union([Type.Literal('equal_installment'), Type.Literal('equal_principal'), Type.Literal('interest_only'), Type.Literal('bullet')]);
const today = '2026-11-02';
const at = '2026-11-02T08:00:00.000Z';

export const NoteOffer = Named(
  'NoteOffer',
  Type.Object(
    {
      id: Type.String({ description: 'id, nof_…' }),
      noteId: Type.String({ description: "the seller's note, note_…" }),
      loanId: Type.String({ description: 'id, loan_…' }),
      listingId: Type.String({ description: 'id, lst_…' }),
      grade: Grade,
      rateBps: Bps("the note's interest rate per year"),
      repayment: Repayment,
      principalMinor: MinorUnits,
      remainingMinor: MinorUnits,
      soldMinor: MinorUnits,
      priceBps: PriceOut,
      wholeNote: Type.Boolean({ description: "offers the note's whole outstanding principal: trimmed as the loan is repaid" }),
      status: Type.Union([Type.Literal('open'), Type.Literal('filled'), Type.Literal('cancelled'), Type.Literal('expired')]),
      endReason: EndReason,
      accruedPerRemainingMinor: Type.Integer({ description: 'the accrued interest a buyer of all that is left pays on top of the price, as of quotedOn, integer minor units (fen)' }),
      monthsLeft: Type.Integer(),
      nextDueDate: IsoDate,
      yieldToMaturityBps: Type.Integer({ description: "the buyer's yield on price + accrued, payments on time, as of quotedOn, basis points per year" }),
      quotedOn: IsoDate,
      expiresAt: Timestamp,
      createdAt: Timestamp,
      endedAt: Nullable(Timestamp),
      currency: Currency,
    },
    {
      description: 'An offer of a note to other lenders (no seller: lenders stay anonymous to each other)',
      example: {
        id: 'nof_0k3h8w1q2e5r',
        noteId: 'note_0k3h8w1q2e5s',
        loanId: 'loan_0k3h8w1q2e5t',
        listingId: 'lst_0k3h8w1q2e5u',
        grade: 'B',
        rateBps: 1250,
        repayment: 'equal_installment',
        principalMinor: 500_000,
        remainingMinor: 500_000,
        soldMinor: 0,
        priceBps: 9900,
        wholeNote: true,
        status: 'open',
        endReason: null,
        accruedPerRemainingMinor: 1712,
        monthsLeft: 9,
        nextDueDate: '2026-12-01',
        yieldToMaturityBps: 1480,
        quotedOn: today,
        expiresAt: '2026-11-16T08:00:00.000Z',
        createdAt: at,
        endedAt: null,
        currency: 'CNY',
      },
    },
  ),
);

const Installment = Type.Object({ n: Type.Integer(), dueDate: IsoDate, principalMinor: MinorUnits, interestMinor: MinorUnits });

const quoteFields = {
  principalMinor: MinorUnits,
  priceBps: PriceOut,
  priceMinor: MinorUnits,
  accruedMinor: MinorUnits,
  paidMinor: Type.Integer({ description: 'what the buyer pays: price + accrued, integer minor units (fen)' }),
  feeMinor: Type.Integer({ description: "the seller's fee (TRANSFER_FEE_BPS of the price), integer minor units (fen)" }),
  sellerReceivesMinor: Type.Integer({ description: 'price + accrued − fee, integer minor units (fen)' }),
  yieldToMaturityBps: Bps("the buyer's yield to maturity per year"),
  monthsLeft: Type.Integer(),
  nextDueDate: IsoDate,
  tradeDate: IsoDate,
  installments: Type.Array(Installment, { description: "the buyer's share of each installment not yet due" }),
  currency: Currency,
};
const quoteExample = {
  principalMinor: 500_000,
  priceBps: 9900,
  priceMinor: 495_000,
  accruedMinor: 1712,
  paidMinor: 496_712,
  feeMinor: 2475,
  sellerReceivesMinor: 494_237,
  yieldToMaturityBps: 1480,
  monthsLeft: 1,
  nextDueDate: '2026-12-01',
  tradeDate: today,
  installments: [{ n: 12, dueDate: '2026-12-01', principalMinor: 500_000, interestMinor: 5208 }],
  currency: 'CNY',
};

export const NoteTransferQuote = Named('NoteTransferQuote', Type.Object(quoteFields, { description: 'What a trade would bring, as of tradeDate', example: quoteExample }));

export const SalePreview = Named(
  'SalePreview',
  Type.Object(
    {
      noteId: Type.String({ description: 'id, note_…' }),
      loanId: Type.String({ description: 'id, loan_…' }),
      eligible: Type.Boolean({ description: 'the note may be offered now' }),
      reason: Nullable(Reason),
      detail: Nullable(Type.String()),
      transferableMinor: MinorUnits,
      openOfferId: Nullable(Type.String({ description: 'its open offer, nof_…' })),
      limits: Type.Object({
        minPriceBps: Bps('lowest price allowed (10000 = par)'),
        maxPriceBps: Bps('highest price allowed (10000 = par)'),
        minPrincipalMinor: MinorUnits,
        maxPrincipalMinor: MinorUnits,
        feeBps: Bps("the seller's fee, of the price"),
        offerTtlDays: Type.Integer(),
      }),
      quote: Nullable(NoteTransferQuote),
      currency: Currency,
    },
    {
      description: 'May a note be offered now, within which limits, and what a sale would bring',
      example: {
        noteId: 'note_0k3h8w1q2e5s',
        loanId: 'loan_0k3h8w1q2e5t',
        eligible: true,
        reason: null,
        detail: null,
        transferableMinor: 500_000,
        openOfferId: null,
        limits: { minPriceBps: 8000, maxPriceBps: 10_500, minPrincipalMinor: 50_000, maxPrincipalMinor: 500_000, feeBps: 50, offerTtlDays: 14 },
        quote: quoteExample,
        currency: 'CNY',
      },
    },
  ),
);

export const PurchaseQuote = Named(
  'PurchaseQuote',
  Type.Object(
    { offerId: Type.String({ description: 'id, nof_…' }), remainingMinor: MinorUnits, minPrincipalMinor: MinorUnits, ...quoteFields },
    { description: 'What buying from an offer would cost now', example: { offerId: 'nof_0k3h8w1q2e5r', remainingMinor: 500_000, minPrincipalMinor: 50_000, ...quoteExample } },
  ),
);

export const Purchase = Named(
  'Purchase',
  Type.Object(
    {
      transferId: Type.String({ description: 'id, xfr_…' }),
      offerId: Type.String({ description: 'id, nof_…' }),
      loanId: Type.String({ description: 'id, loan_…' }),
      noteId: Type.String({ description: "the buyer's new note, note_…" }),
      principalMinor: MinorUnits,
      priceBps: PriceOut,
      priceMinor: MinorUnits,
      accruedMinor: MinorUnits,
      paidMinor: MinorUnits,
      yieldToMaturityBps: Bps("the buyer's yield to maturity per year"),
      tradedOn: IsoDate,
      currency: Currency,
    },
    {
      description: 'A purchase of a note: what was paid and the note born of it',
      example: { transferId: 'xfr_0k3h8w1q2e5v', offerId: 'nof_0k3h8w1q2e5r', loanId: 'loan_0k3h8w1q2e5t', noteId: 'note_0k3h8w1q2e5v', principalMinor: 500_000, priceBps: 9900, priceMinor: 495_000, accruedMinor: 1712, paidMinor: 496_712, yieldToMaturityBps: 1480, tradedOn: today, currency: 'CNY' },
    },
  ),
);

export const NoteTransfer = Named(
  'NoteTransfer',
  Type.Object(
    {
      id: Type.String({ description: 'id, xfr_…' }),
      direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
      offerId: Type.String({ description: 'id, nof_…' }),
      loanId: Type.String({ description: 'id, loan_…' }),
      listingId: Type.String({ description: 'id, lst_…' }),
      noteId: Type.String({ description: 'your note: the one bought (in) or the one sold from (out), note_…' }),
      principalMinor: MinorUnits,
      priceBps: PriceOut,
      priceMinor: MinorUnits,
      accruedMinor: MinorUnits,
      feeMinor: Type.Integer({ description: 'the fee you paid (sales only), integer minor units (fen)' }),
      amountMinor: Type.Integer({ description: 'what moved through your wallet: −(price + accrued) in, price + accrued − fee out; integer minor units (fen)' }),
      yieldToMaturityBps: Bps("the buyer's yield to maturity per year"),
      tradedOn: IsoDate,
      createdAt: Timestamp,
      currency: Currency,
    },
    {
      description: 'A trade of a note, as one of its parties sees it',
      example: { id: 'xfr_0k3h8w1q2e5v', direction: 'in', offerId: 'nof_0k3h8w1q2e5r', loanId: 'loan_0k3h8w1q2e5t', listingId: 'lst_0k3h8w1q2e5u', noteId: 'note_0k3h8w1q2e5v', principalMinor: 500_000, priceBps: 9900, priceMinor: 495_000, accruedMinor: 1712, feeMinor: 0, amountMinor: -496_712, yieldToMaturityBps: 1480, tradedOn: today, createdAt: at, currency: 'CNY' },
    },
  ),
);

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
        operationId: 'createNoteOffer',
        tags: ['note transfers'],
        summary: 'Offer part or all of your note to other lenders (docs/transfers.md)',
        params: Strict({ id: NoteId }),
        headers: IdempotencyHeaders,
        body: Strict({ principalMinor: AmountMinor, priceBps: PriceBps }),
        response: { 201: NoteOffer, ...Errors('NOT_FOUND', 'ACCOUNT_FROZEN', 'OFFER_EXISTS', 'NOTE_NOT_TRANSFERABLE', 'OFFER_AMOUNT_INVALID', 'OFFER_PRICE_OUT_OF_RANGE', 'CONFLICT') },
      },
    },
    async (request, reply) => reply.code(201).send(await createOffer(ctx, requireUser(request).id, request.params.id, request.body, request.idempotencyKey)),
  );

  app.get(
    '/notes/:id/offer-preview',
    {
      config: { access: ['lender'], rateLimit: perUser('quote', 300) },
      schema: {
        operationId: 'previewNoteSale',
        tags: ['note transfers'],
        summary: 'May your note be offered now, within which limits, and (with a principal and a price) what the sale would bring',
        params: Strict({ id: NoteId }),
        querystring: Strict({ principalMinor: Type.Optional(QueryInt(1_000_000_000_000)), priceBps: Type.Optional(QueryInt(20_000)) }),
        response: { 200: SalePreview, ...Errors('NOT_FOUND', 'NOTE_NOT_TRANSFERABLE', 'OFFER_AMOUNT_INVALID', 'OFFER_PRICE_OUT_OF_RANGE') },
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
        operationId: 'cancelNoteOffer',
        tags: ['note transfers'],
        summary: 'Cancel what is left of your offer',
        params: Strict({ id: OfferId }),
        response: { 200: NoteOffer, ...Errors('NOT_FOUND', 'OFFER_NOT_OPEN') },
      },
    },
    async (request) => cancelOffer(ctx, requireUser(request).id, request.params.id),
  );

  app.get(
    '/note-offers',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'listNoteOffers',
        tags: ['note transfers'],
        summary: 'Notes for sale (public): open offers, best yield first by default',
        querystring: Strict({
          grade: Type.Optional(Type.Union(GRADES.map((g) => Type.Literal(g)))),
          minYieldBps: Type.Optional(QuerySignedInt),
          maxMonthsLeft: Type.Optional(QueryInt(600)),
          sort: Type.Optional(Type.Union([Type.Literal('yield'), Type.Literal('priceBps'), Type.Literal('monthsLeft')])),
          ...Pagination,
        }),
        response: { 200: Page(NoteOffer) },
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
      schema: { operationId: 'getNoteOffer', tags: ['note transfers'], summary: 'One offer (public)', params: Strict({ id: OfferId }), response: { 200: NoteOffer, ...Errors('NOT_FOUND') } },
    },
    async (request) => offerDetail(ctx.db, request.params.id),
  );

  app.get(
    '/note-offers/:id/quote',
    {
      config: { access: ['lender'], rateLimit: perUser('quote', 300) },
      schema: {
        operationId: 'quoteNotePurchase',
        tags: ['note transfers'],
        summary: 'What buying principal of an offer would cost now (all that is left by default): price, accrued, yield',
        params: Strict({ id: OfferId }),
        querystring: Strict({ principalMinor: Type.Optional(QueryInt(1_000_000_000_000)) }),
        response: { 200: PurchaseQuote, ...Errors('NOT_FOUND', 'OFFER_NOT_OPEN', 'NOTE_NOT_TRANSFERABLE', 'OFFER_REMAINING_EXCEEDED', 'OFFER_AMOUNT_INVALID') },
      },
    },
    async (request) => purchaseQuote(ctx, request.params.id, request.query.principalMinor === undefined ? undefined : Number(request.query.principalMinor)),
  );

  app.post(
    '/note-offers/:id/buy',
    {
      config: { access: ['lender'], idempotent: true, rateLimit: perUser('buy', 600) },
      schema: {
        operationId: 'buyNote',
        tags: ['note transfers'],
        summary: 'Buy all or part of what is left on an offer: you pay price + accrued, and a note of your own is born',
        params: Strict({ id: OfferId }),
        headers: IdempotencyHeaders,
        body: Strict({ principalMinor: AmountMinor }),
        response: {
          201: Purchase,
          ...Errors('NOT_FOUND', 'ACCOUNT_FROZEN', 'OFFER_NOT_OPEN', 'LENDER_NOT_ELIGIBLE', 'SELF_DEALING', 'OFFER_REMAINING_EXCEEDED', 'OFFER_AMOUNT_INVALID', 'NOTE_NOT_TRANSFERABLE', 'INSUFFICIENT_FUNDS', 'CONFLICT'),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await buyNote(ctx, requireUser(request).id, request.params.id, request.body.principalMinor, request.idempotencyKey)),
  );

  app.get(
    '/me/note-offers',
    {
      config: { access: ['lender'] },
      schema: { operationId: 'listMyNoteOffers', tags: ['note transfers'], summary: 'Your offers, newest first, open and ended', querystring: Strict(Pagination), response: { 200: Page(NoteOffer) } },
    },
    async (request) => myOffers(ctx.db, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );

  app.get(
    '/me/note-transfers',
    {
      config: { access: ['lender'] },
      schema: {
        operationId: 'listMyNoteTransfers',
        tags: ['note transfers'],
        summary: 'Your transfers in and out, newest first, with price, accrued and fee',
        querystring: Strict(Pagination),
        response: { 200: Page(NoteTransfer) },
      },
    },
    async (request) => transfersOf(ctx.db, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );
};
