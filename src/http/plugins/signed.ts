import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { addRouteHook } from './route-hooks.js';
import { sql } from 'drizzle-orm';
import type { AppContext } from '../../context.js';
import { rows } from '../../db/client.js';
import { AppError } from '../../domain/errors.js';
import { SIGNATURE_WINDOW_SEC, verifySignedRequest } from '../../security/signature.js';
import { partnerSecrets } from '../../services/partners.js';

export const CUSTODIAN_KEY_ID = 'custodian';

/** Who signed an accepted request: the kind of key, its id, and the party it belongs to (if any). */
export interface Signer {
  kind: SignedAccess;
  keyId: string;
  /** The order system's partner id for `partner` and `core` keys; null for the custodian. */
  principalId: string | null;
  /** The core enterprise of a `core` key; null otherwise. */
  coreEnterpriseId: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signer: an order system, or (on `core` routes) a core enterprise under its order system. */
    partner: { partnerId: string; keyId: string; coreEnterpriseId: string | null } | null;
    signer: Signer | null;
  }
}

/** A kind of signed key: how its secrets (current and, during a rotation, previous) are found. */
export interface SignedKeyKind {
  lookup(ctx: AppContext, keyId: string): Promise<{ secrets: string[]; principalId: string | null; coreEnterpriseId: string | null } | undefined>;
}

/** Every route access that is a signature rather than a session, with how its keys are found. */
export const SIGNED_KEY_KINDS = {
  // A key signs only the routes of its kind: an order system's key is unknown on a core enterprise's
  // routes, and the reverse.
  partner: {
    async lookup(ctx, keyId) {
      const found = await partnerSecrets(ctx, keyId);
      return found?.kind === 'partner' ? { secrets: found.secrets, principalId: found.partnerId, coreEnterpriseId: null } : undefined;
    },
  },
  core: {
    async lookup(ctx, keyId) {
      const found = await partnerSecrets(ctx, keyId);
      return found?.kind === 'core' ? { secrets: found.secrets, principalId: found.partnerId, coreEnterpriseId: found.coreEnterpriseId } : undefined;
    },
  },
  custodian: {
    async lookup(ctx, keyId) {
      const secret = ctx.config.custodianSecret;
      return keyId === CUSTODIAN_KEY_ID && secret ? { secrets: [secret], principalId: null, coreEnterpriseId: null } : undefined;
    },
  },
} satisfies Record<string, SignedKeyKind>;

export type SignedAccess = keyof typeof SIGNED_KEY_KINDS;

export function isSignedAccess(access: unknown): access is SignedAccess {
  return typeof access === 'string' && Object.prototype.hasOwnProperty.call(SIGNED_KEY_KINDS, access);
}

/** Accepted signatures are remembered past the window's far end (and a margin for clocks that differ). */
const REMEMBER_SEC = SIGNATURE_WINDOW_SEC + 120;

/**
 * Verifies a signed request (the canonical string of security/signature.ts, with the path exactly as
 * sent) against the secrets of its key kind, then records the signature in the replay memory that
 * every node shares (a PostgreSQL table, kept for the whole window): the same signature twice is
 * refused, on any node. Throws the AppError to answer with; returns who signed.
 */
export async function acceptSignedRequest(ctx: AppContext, kind: SignedAccess, request: FastifyRequest): Promise<Signer> {
  const keyId = request.headers['x-lendbook-key'];
  const found = typeof keyId === 'string' && keyId.length <= 100 ? await SIGNED_KEY_KINDS[kind].lookup(ctx, keyId) : undefined;
  // Signature windows are about real time, whatever the settable clock shows.
  const check = verifySignedRequest(request.headers, { method: request.method, pathWithQuery: request.url, rawBody: request.rawBody ?? '' }, () => found?.secrets, Math.floor(Date.now() / 1000));
  if (!check.ok) throw new AppError(check.code, check.detail);
  const fresh = await rows<{ signature: string }>(
    ctx.db,
    sql`insert into signature_nonces (signature, key_id, expires_at) values (${check.signature}, ${check.keyId}, to_timestamp(${check.timestampSec + REMEMBER_SEC}))
        on conflict (signature) do nothing returning signature`,
  );
  if (fresh.length === 0) throw new AppError('SIGNATURE_REPLAYED', 'this signature was already used; sign each request anew');
  return { kind, keyId: check.keyId, principalId: found?.principalId ?? null, coreEnterpriseId: found?.coreEnterpriseId ?? null };
}

/**
 * Routes whose access is a signed key kind are HMAC-signed instead of logged in. A bad, stale, replayed
 * or unknown signature is refused before the handler runs, so nothing is stored.
 */
export const signedPlugin = fp(async (app: FastifyInstance) => {
  app.decorateRequest('partner', null);
  app.decorateRequest('signer', null);

  // Only signed routes get the check: the others (nearly every request) never enter it.
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (!isSignedAccess(access)) return;
    addRouteHook(route, 'preHandler', async (request: FastifyRequest) => {
      const signer = await acceptSignedRequest(app.ctx, access, request);
      request.signer = signer;
      request.partner = signer.kind !== 'custodian' && signer.principalId ? { partnerId: signer.principalId, keyId: signer.keyId, coreEnterpriseId: signer.coreEnterpriseId } : null;
    });
  });
});
