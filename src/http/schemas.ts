import { Type, type Static, type TSchema, type TUnsafe } from 'typebox';
import { ERROR_CATALOGUE, type ErrorCode } from '../domain/errors.js';
import { GRADES, type Grade as GradeName } from '../domain/grades.js';

/** Shared request and response schemas: one definition gives validation, types and OpenAPI. */

/** Largest amount any single request may carry: ¥10 billion in fen, far inside the safe integers. */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;

export const AmountMinor = Type.Integer({ minimum: 1, maximum: MAX_AMOUNT_MINOR, description: 'integer minor units (fen)' });
export const MinorUnits = Type.Integer({ description: 'integer minor units (fen)' });
export const RateBps = Type.Integer({ minimum: 1, maximum: 100_000, description: 'basis points per year (1250 = 12.50%)' });
export const Currency = Type.Literal('CNY');
export const Id = (prefix: string) => Type.String({ pattern: `^${prefix}_[0-9a-z]{10,40}$`, maxLength: 60, description: `id: \`${prefix}_\` and 10 to 40 lower-case base-36 characters` });
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 instant, UTC' });
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

/** A rate or price in a response, in basis points, with what it is. */
export const Bps = (description: string) => Type.Integer({ description: `${description}, basis points` });

/** A whole percentage in a response, with what it is of. */
export const Pct = (description: string) => Type.Integer({ description: `${description}, per cent` });

/** One of a list of strings, typed as that union (Type.Union over a mapped list types as never). */
export const OneOf = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** An id in a response, described by its prefix (`RefOf('lst_…')`); requests validate ids with Id(). */
export const RefOf = (what: string) => Type.String({ description: `id, ${what}` });

/** A value or null (an absent figure, never a zero in disguise). */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** Response schemas by name: each becomes a component of the OpenAPI document and a generated type. */
const named = new Map<string, TSchema>();

/**
 * A response shape with a domain name (`Listing`, `Loan`…): registered once as a shared schema, used
 * by reference, typed as its definition. Response shapes only: request bodies stay inline and strict.
 */
export function Named<T extends TSchema>(name: string, schema: T): TUnsafe<Static<T>> {
  if (named.has(name)) throw new Error(`response schema ${name} is defined twice`);
  named.set(name, { ...schema, $id: name, title: name } as TSchema);
  return Type.Unsafe<Static<T>>({ $ref: `${name}#` });
}

/** Every named response schema, for app.addSchema (serialisation and the document). */
export function namedSchemas(): TSchema[] {
  return [...named.values()];
}

/** The problem+json body of one status with the codes it may carry. */
export function problemSchemaOf(codes: readonly ErrorCode[]) {
  return Type.Object(
    {
      type: Type.String({ description: 'a URL naming the error' }),
      title: Type.String(),
      status: Type.Integer(),
      detail: Type.String({ description: 'for developers: may speak minor units and field paths' }),
      code: Type.Unsafe<ErrorCode>({ type: 'string', enum: [...codes], description: 'the stable code of docs/errors.md' }),
      errors: Type.Optional(
        Type.Array(Type.Object({ field: Type.String(), message: Type.String() }, { additionalProperties: true }), { description: 'VALIDATION_FAILED: every field at fault' }),
      ),
    },
    { additionalProperties: true, description: codes.map((c) => `\`${c}\`: ${ERROR_CATALOGUE[c].title}`).join('; ') },
  );
}

/**
 * The errors a route's service can return, as response schemas by status: spread into `response`.
 * The errors every route of its kind shares (validation, authentication, signatures, idempotency,
 * rate limits) are added to the document from its config (contract.ts).
 */
export function Errors(...codes: ErrorCode[]): Record<number, ReturnType<typeof problemSchemaOf>> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_CATALOGUE[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, problemSchemaOf(list)]));
}

/** The codes an error response schema lists (none for a schema that is not a problem). */
export function codesOf(schema: unknown): string[] {
  const code = (schema as { properties?: { code?: { enum?: unknown } } } | undefined)?.properties?.code?.enum;
  return Array.isArray(code) ? code.filter((c): c is string => typeof c === 'string') : [];
}

/** A 204: the action is done and there is nothing to say. */
export const NoContent = Type.Null({ description: 'No content' });

/** A CSV download (UTF-8, with a header row). */
export const CsvText = { description: 'CSV, UTF-8, with a header row', content: { 'text/csv': { schema: Type.String() } } };

/** A rating grade, AA (best) to HR (high risk). */
export const Grade = Named('Grade', Type.Unsafe<GradeName>({ type: 'string', enum: [...GRADES], description: 'rating grade, AA (best) to HR (high risk)' }));
