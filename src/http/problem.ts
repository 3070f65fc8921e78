import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AssertionError } from '../domain/assert.js';
import { AppError, ERROR_CATALOGUE, type ErrorCode } from '../domain/errors.js';

/** RFC 9457 problem details, with the stable `code` of the catalogue. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  /** For VALIDATION_FAILED: every field at fault, as a JSON pointer into the request part. */
  errors?: FieldError[];
  [extra: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problemOf(code: ErrorCode, detail?: string, extra?: Record<string, unknown>): Problem {
  const entry = ERROR_CATALOGUE[code];
  return {
    type: `https://lendbook.dev/errors/${code.toLowerCase().replace(/_/g, '-')}`,
    title: entry.title,
    status: entry.status,
    detail: detail ?? entry.title,
    code,
    ...(extra ?? {}),
  };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  /** With ajv's `verbose`: the schema holding the failed keyword (its other bound, for a range). */
  parentSchema?: Record<string, unknown>;
}

/** A field at fault: where, why, and for a number out of range the range it must lie in. */
export interface FieldError {
  field: string;
  message: string;
  keyword?: string;
  min?: number;
  max?: number;
  multipleOf?: number;
}

const RANGE_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']);

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Turns ajv errors into fields a client can act on: `body/amountMinor must be within 1..3600`. */
function validationProblem(errors: AjvError[], context: string): Problem {
  const fields = errors.slice(0, 20).map((e): FieldError => {
    let field = `${context}${e.instancePath}`;
    let message = e.message ?? e.keyword;
    if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
      field = `${field}/${e.params.additionalProperty}`;
      message = 'is not an allowed field';
    } else if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') {
      field = `${field}/${e.params.missingProperty}`;
      message = 'is required';
    } else if (RANGE_KEYWORDS.has(e.keyword) && e.parentSchema) {
      // Name the whole range, not just the bound that failed: the reader learns what is allowed.
      const min = num(e.parentSchema.minimum);
      const max = num(e.parentSchema.maximum);
      const multipleOf = num(e.parentSchema.multipleOf);
      const range = min !== undefined && max !== undefined ? `within ${min}..${max}` : min !== undefined ? `at least ${min}` : max !== undefined ? `at most ${max}` : '';
      message = e.keyword === 'multipleOf' ? `must be a multiple of ${multipleOf}${range ? `, ${range}` : ''}` : `must be ${range}`;
      return { field, message, keyword: e.keyword, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), ...(multipleOf !== undefined ? { multipleOf } : {}) };
    }
    return { field, message, keyword: e.keyword };
  });
  const first = fields[0];
  return problemOf('VALIDATION_FAILED', first ? `${first.field} ${first.message}` : 'invalid request', { errors: fields });
}

/** Maps anything thrown in a request to problem+json; internals never reach the client. */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) {
      return sendProblem(reply, problemOf(error.code, error.message, error.extra));
    }
    const fe = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
    if (fe.validation) {
      return sendProblem(reply, validationProblem(fe.validation, fe.validationContext ?? 'body'));
    }
    switch (fe.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendProblem(reply, problemOf('INVALID_JSON', 'the body is not valid JSON'));
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendProblem(reply, problemOf('PAYLOAD_TOO_LARGE'));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return sendProblem(reply, problemOf('UNSUPPORTED_MEDIA_TYPE'));
      case 'FST_ERR_RATE_LIMIT':
        return sendProblem(reply, problemOf('RATE_LIMITED'));
    }
    if (fe.statusCode === 429) return sendProblem(reply, problemOf('RATE_LIMITED'));
    // Two concurrent commands raced for the same unique row: one won, the other may simply retry.
    const pgCode = (error as { code?: string }).code ?? ((error as { cause?: { code?: string } }).cause?.code);
    if (pgCode === '23505') return sendProblem(reply, problemOf('CONFLICT', 'a concurrent request created the same thing; retry'));
    if (pgCode === '40P01' || pgCode === '40001') return sendProblem(reply, problemOf('CONFLICT', 'a concurrent request conflicted; retry'));
    // secure-json-parse refuses __proto__ / constructor keys with a SyntaxError and a 400
    if (error instanceof SyntaxError || fe.statusCode === 400) {
      return sendProblem(reply, problemOf('INVALID_JSON', 'the body is not acceptable JSON'));
    }
    if (fe.statusCode === 413) return sendProblem(reply, problemOf('PAYLOAD_TOO_LARGE'));
    if (fe.statusCode === 415) return sendProblem(reply, problemOf('UNSUPPORTED_MEDIA_TYPE'));
    if (fe.statusCode === 503) return sendProblem(reply, problemOf('SERVICE_UNAVAILABLE'));
    // Anything else is a bug or a dependency failure: log it whole, tell the client nothing of it.
    request.log.error({ err: error, assertion: error instanceof AssertionError }, 'request failed');
    return sendProblem(reply, problemOf('INTERNAL', 'internal error; the request id is in the x-request-id header'));
  });

  app.setNotFoundHandler((request, reply) => {
    sendProblem(reply, problemOf('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}
