import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sql } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import { AppError } from '../../domain/errors.js';
import { checkSignature } from '../../security/signature.js';
import { sha256Hex } from '../../security/crypto.js';
import { partnerSecrets } from '../../services/partners.js';

export const CUSTODIAN_KEY_ID = 'custodian';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signer: an order system, or (on `core` routes) a core enterprise under its order system. */
    partner: { partnerId: string; keyId: string; coreEnterpriseId: string | null } | null;
  }
}

/**
 * Routes with access `partner`, `core` or `custodian` are HMAC-signed instead of logged in. A bad, stale
 * or unknown signature is refused before the handler runs, so nothing is stored; an accepted signature
 * is remembered past the time window, so replaying it is refused too. A key signs only the routes of
 * its kind: an order system's key is unknown on a core enterprise's routes, and the reverse.
 */
export const signedPlugin = fp(async (app: FastifyInstance) => {
  app.decorateRequest('partner', null);

  app.addHook('preHandler', async (request: FastifyRequest) => {
    const access = request.routeOptions.config?.access;
    if (access !== 'partner' && access !== 'core' && access !== 'custodian') return;
    const raw = request.rawBody ?? '';
    let partnerId: string | undefined;
    let coreEnterpriseId: string | null = null;
    let secrets: string[] | undefined;
    const keyId = request.headers['x-lendbook-key'];
    if ((access === 'partner' || access === 'core') && typeof keyId === 'string') {
      const found = await partnerSecrets(app.ctx, keyId);
      if (found?.kind === access) {
        partnerId = found.partnerId;
        coreEnterpriseId = found.coreEnterpriseId;
        secrets = found.secrets;
      }
    } else if (access === 'custodian' && keyId === CUSTODIAN_KEY_ID && app.ctx.config.custodianSecret) {
      secrets = [app.ctx.config.custodianSecret];
    }
    // Signature windows are about real time, whatever the settable clock shows.
    const check = checkSignature(request.headers, raw, () => secrets, Math.floor(Date.now() / 1000));
    if (!check.ok) throw new AppError(check.code, check.detail);
    // A replay is the same signed request again: same method, path and signature. (The signature covers
    // timestamp and body only, so two different requests with equal bodies may share one.)
    const nonce = sha256Hex(`${request.method} ${request.url}\n${check.signature}`);
    const fresh = await rows<{ signature: string }>(
      app.ctx.db,
      sql`insert into signature_nonces (signature, key_id, expires_at) values (${nonce}, ${check.keyId}, to_timestamp(${check.timestampSec + 900}))
          on conflict (signature) do nothing returning signature`,
    );
    if (fresh.length === 0) throw new AppError('SIGNATURE_REPLAYED', 'this signature was already used; sign each request anew');
    request.partner = partnerId ? { partnerId, keyId: check.keyId, coreEnterpriseId } : null;
  });
});
