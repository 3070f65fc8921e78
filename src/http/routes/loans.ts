import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { loanView, myLoans, myNotes } from '../../services/loan-reads.js';
import { requireUser } from '../plugins/auth.js';
import { Id, Pagination, Strict, parseLimit } from '../schemas.js';

export const loanRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.get(
    '/loans/:id',
    {
      config: { access: ['borrower', 'lender'] },
      schema: { tags: ['loans'], summary: 'A loan with its schedule (its borrower, or a lender holding one of its notes)', params: Strict({ id: Id('loan') }) },
    },
    async (request) => loanView(ctx, requireUser(request).id, request.params.id),
  );

  app.get(
    '/me/loans',
    { config: { access: ['borrower'] }, schema: { tags: ['loans'], summary: 'Your loans, newest first, each with its standing as of today', querystring: Strict(Pagination) } },
    async (request) => myLoans(ctx, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );

  app.get(
    '/me/notes',
    { config: { access: ['lender'] }, schema: { tags: ['loans'], summary: 'Your notes (portfolio), newest first, each with its loan\'s standing as of today', querystring: Strict(Pagination) } },
    async (request) => myNotes(ctx, requireUser(request).id, parseLimit(request.query.limit), request.query.cursor),
  );
};
