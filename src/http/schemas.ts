import { Type, type TSchema } from 'typebox';

/** Shared request and response schemas: one definition gives validation, types and OpenAPI. */

/** Largest amount any single request may carry: ¥10 billion in fen, far inside the safe integers. */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;

export const AmountMinor = Type.Integer({ minimum: 1, maximum: MAX_AMOUNT_MINOR, description: 'integer minor units (fen)' });
export const MinorUnits = Type.Integer({ description: 'integer minor units (fen)' });
export const RateBps = Type.Integer({ minimum: 1, maximum: 100_000, description: 'basis points per year (1250 = 12.50%)' });
export const Currency = Type.Literal('CNY');
export const Id = (prefix: string) => Type.String({ pattern: `^${prefix}_[0-9a-z]{10,40}$`, maxLength: 60 });
export const Timestamp = Type.String({ format: 'date-time' });
export const IsoDate = Type.String({ format: 'date', description: 'YYYY-MM-DD' });

/** Query strings arrive as text; integers are declared as digit patterns (no coercion anywhere). */
export const QueryInt = (max: number) => Type.String({ pattern: `^(0|[1-9][0-9]{0,${String(max).length - 1}})$` });

export const Pagination = {
  limit: Type.Optional(QueryInt(200)),
  cursor: Type.Optional(Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_.:-]*$' })),
};

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
  },
  { additionalProperties: true },
);

export const IdempotencyHeaders = Type.Object(
  { 'idempotency-key': Type.Optional(Type.String({ description: 'replays return the first response; 8-128 chars' })) },
  { additionalProperties: true },
);

export function parseLimit(raw: string | undefined, fallback = 50, max = 200): number {
  const n = raw === undefined ? fallback : Number(raw);
  return Math.min(Math.max(n, 1), max);
}

/** A request object that refuses unknown fields (mass assignment of `status`, `lenderId`, …). */
export function Strict<P extends Record<string, TSchema>>(properties: P) {
  return Type.Object(properties, { additionalProperties: false });
}
