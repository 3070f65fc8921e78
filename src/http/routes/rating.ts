import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../domain/errors.js';
import { creditOf, ratingView } from '../../services/rating.js';
import { requireUser } from '../plugins/auth.js';

export const ratingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;
  app.get(
    '/me/rating',
    {
      config: { access: ['borrower'] },
      schema: { tags: ['rating'], summary: 'Your score, grade, credit line and the reasons behind them' },
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
