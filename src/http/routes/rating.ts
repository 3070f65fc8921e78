import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../domain/errors.js';
import { creditOf, ratingView } from '../../services/rating.js';
import { requireUser } from '../plugins/auth.js';
import { Bps, Errors, Grade, MinorUnits, Named, Nullable, Timestamp } from '../schemas.js';


/** A reason of the scorecard, in English and Chinese. */
const RatingReason = Type.Object({ code: Type.String(), text: Type.String(), textZh: Nullable(Type.String()) });

export const Rating = Named(
  'Rating',
  Type.Object(
    {
      score: Type.Integer({ description: 'scorecard points' }),
      grade: Grade,
      probabilityOfDefault: Type.Number({ description: 'probabilityOfDefaultBps / 10,000, for display' }),
      probabilityOfDefaultBps: Bps('probability of default within 12 months'),
      expectedLossBps: Bps('expected loss of the grade per year'),
      creditLineMinor: MinorUnits,
      creditLeftMinor: MinorUnits,
      capMinor: MinorUnits,
      capLeftMinor: MinorUnits,
      eligible: Type.Boolean({ description: 'the rating allows listing at all' }),
      mayListNow: Type.Boolean({ description: 'eligible, no open listing and at least a minimum listing of credit left' }),
      mayListReason: Nullable(Type.String({ description: 'the error code a listing would get now' })),
      ineligibleReason: Nullable(RatingReason),
      reasons: Type.Array(RatingReason),
      scorecardVersion: Type.Union([Type.String(), Type.Integer()]),
      ratedAt: Timestamp,
      currency: Type.Literal('CNY'),
    },
    { example: { score: 712, grade: 'B', probabilityOfDefault: 0.021, probabilityOfDefaultBps: 210, expectedLossBps: 120, creditLineMinor: 50_000_000, creditLeftMinor: 42_000_000, capMinor: 100_000_000, capLeftMinor: 92_000_000, eligible: true, mayListNow: true, mayListReason: null, ineligibleReason: null, reasons: [{ code: 'GMV_STABLE', text: 'Stable monthly sales', textZh: '月销售额稳定' }], scorecardVersion: 3, ratedAt: '2026-11-02T08:00:00.000Z', currency: 'CNY' } },
  ),
);

export const ratingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;
  app.get(
    '/me/rating',
    {
      config: { access: ['borrower'] },
      schema: {
        operationId: 'getMyRating',
        tags: ['rating'],
        summary: 'Your score, grade, credit line and the reasons behind them',
        response: { 200: Rating, ...Errors('MERCHANT_NOT_LINKED', 'NOT_RATED') },
      },
    },
    async (request) => {
      const user = requireUser(request);
      if (!user.merchantId) throw new AppError('MERCHANT_NOT_LINKED');
      const credit = await creditOf(ctx.db, user.merchantId, ctx.settings.get());
      if (!credit) throw new AppError('NOT_RATED', 'your order system has not sent enough data to rate you yet');
      return ratingView(credit);
    },
  );
};
