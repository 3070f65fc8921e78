import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';

/** Client → server messages of docs/realtime.md, validated without coercion like every HTTP body. */
const Ref = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
export const Channel = Type.String({ minLength: 1, maxLength: 80, pattern: '^(listings|note-offers|me|listing:lst_[0-9a-z]{10,40})$' });

export const ClientMessage = Type.Union([
  Type.Object({ op: Type.Literal('subscribe'), channel: Channel }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('unsubscribe'), channel: Channel }, { additionalProperties: false }),
  Type.Object(
    {
      op: Type.Literal('bid'),
      ref: Ref,
      listingId: Type.String({ pattern: '^lst_[0-9a-z]{10,40}$' }),
      amountMinor: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 }),
      rateBps: Type.Integer({ minimum: 1, maximum: 100_000 }),
    },
    { additionalProperties: false },
  ),
  Type.Object({ op: Type.Literal('amend'), ref: Ref, bidId: Type.String({ pattern: '^bid_[0-9a-z]{10,40}$' }), rateBps: Type.Integer({ minimum: 1, maximum: 100_000 }) }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('ping') }, { additionalProperties: false }),
]);
export type ClientMessage = Static<typeof ClientMessage>;

const validator = Compile(ClientMessage);

export function parseClientMessage(raw: string): ClientMessage | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { error: 'not JSON' };
  }
  if (validator.Check(value)) return value;
  const first = validator.Errors(value)[0];
  return { error: first ? `${first.instancePath || '/'} ${first.message}` : 'not a client message' };
}

const EventItem = Type.Object({ seq: Type.Integer({ minimum: 1 }), event: Type.String({ pattern: '^[a-z_]+\\.[a-z_.]+$' }), data: Type.Unknown() }, { additionalProperties: false });

/**
 * Server → client messages of docs/realtime.md. The hub sends nothing else: its sender is typed with
 * this, and docs/asyncapi.yaml is checked against it (tests/unit/asyncapi.test.ts).
 */
export const ServerMessage = Type.Union([
  Type.Object({ type: Type.Literal('snapshot'), channel: Channel, seq: Type.Integer({ minimum: 0 }), data: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('event'), channel: Channel, seq: Type.Integer({ minimum: 1 }), event: EventItem.properties.event, data: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('batch'), channel: Channel, items: Type.Array(EventItem, { minItems: 1 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('ack'), ref: Ref, data: Type.Unknown() }, { additionalProperties: false }),
  // An error carries the figures it is about (e.g. the rate to beat), as the HTTP problem's extensions do.
  Type.Object({ type: Type.Literal('error'), ref: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), channel: Type.Optional(Channel), code: Type.String({ pattern: '^[A-Z][A-Z0-9_]*$' }), detail: Type.String() }, { additionalProperties: true }),
  Type.Object({ type: Type.Literal('pong') }, { additionalProperties: false }),
]);
export type ServerMessage = Static<typeof ServerMessage>;

/** Close codes of docs/realtime.md. */
export const CLOSE = {
  goingAway: 1001,
  tooBig: 1009,
  internalError: 1011,
  unauthorized: 4001,
  forbidden: 4003,
  flood: 4008,
  slowReader: 4009,
  tooMany: 4029,
} as const;
