import { desc, eq, isNull, and } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/client.js';
import { partnerKeys, partners } from '../db/schema/index.js';
import { AppError } from '../domain/errors.js';
import { newId, randomToken } from '../ids.js';
import { webhookUrlProblem } from '../security/outbound.js';

export interface PartnerCredentials {
  partnerId: string;
  keyId: string;
  /** Shown once: only its sealed form is kept. */
  secret: string;
  /** The secret's number: 1 at creation, one more at each rotation (DELETE …/secrets/:n revokes it). */
  n: number;
}

function newSecret(): string {
  return `sk_${randomToken(32)}`;
}

/** Webhooks go to https URLs on public addresses (http://localhost only with LENDBOOK_ALLOW_HTTP_WEBHOOKS=on). */
function requireWebhookUrl(ctx: AppContext, url: string | null | undefined): void {
  if (!url) return;
  const problem = webhookUrlProblem(url, { allowLocalhost: ctx.config.allowHttpWebhooks });
  if (problem) throw new AppError('WEBHOOK_URL_INVALID', `the webhook URL ${problem}`);
}

export async function createPartner(ctx: AppContext, input: { name: string; webhookUrl?: string | undefined }, byUserId: string): Promise<PartnerCredentials> {
  requireWebhookUrl(ctx, input.webhookUrl);
  const partnerId = newId('prt');
  const keyId = newId('pk');
  const secret = newSecret();
  await ctx.transaction(async (tx) => {
    await tx.insert(partners).values({ id: partnerId, name: input.name, webhookUrl: input.webhookUrl ?? null, createdBy: byUserId });
    await tx.insert(partnerKeys).values({ keyId, partnerId, secretEnc: ctx.secrets.seal(secret) });
  });
  return { partnerId, keyId, secret, n: 1 };
}

/** A new secret; the previous one stays valid until the next rotation so the partner can roll over. */
export async function rotatePartnerKey(ctx: AppContext, keyId: string): Promise<PartnerCredentials> {
  const secret = newSecret();
  return ctx.transaction(async (tx) => {
    const [key] = await tx.select().from(partnerKeys).where(and(eq(partnerKeys.keyId, keyId), isNull(partnerKeys.revokedAt))).for('update');
    if (!key) throw new AppError('NOT_FOUND', 'no active key with this id');
    await tx
      .update(partnerKeys)
      .set({ previousSecretEnc: key.secretEnc, secretEnc: ctx.secrets.seal(secret), version: key.version + 1, rotatedAt: new Date() })
      .where(eq(partnerKeys.keyId, keyId));
    return { partnerId: key.partnerId, keyId, secret, n: key.version + 1 };
  });
}

/**
 * Revokes secret number n of a key at once: the previous one after a rotation, when the operator knows
 * the old secret leaked or the partner has rolled over. The current secret is replaced by rotating.
 */
export async function revokePartnerSecret(ctx: AppContext, keyId: string, n: number): Promise<void> {
  await ctx.transaction(async (tx) => {
    const [key] = await tx.select().from(partnerKeys).where(and(eq(partnerKeys.keyId, keyId), isNull(partnerKeys.revokedAt))).for('update');
    if (!key) throw new AppError('NOT_FOUND', 'no active key with this id');
    if (n === key.version) throw new AppError('PARTNER_SECRET_CURRENT', `secret ${n} is the key's current secret: rotate the key, then revoke ${n}`);
    if (n !== key.version - 1 || !key.previousSecretEnc) throw new AppError('NOT_FOUND', `secret ${n} of this key no longer signs anything`);
    await tx.update(partnerKeys).set({ previousSecretEnc: null }).where(eq(partnerKeys.keyId, keyId));
  });
}

export async function listPartners(ctx: AppContext) {
  const list = await ctx.db.select().from(partners).orderBy(desc(partners.createdAt));
  const keys = await ctx.db.select().from(partnerKeys).where(eq(partnerKeys.kind, 'partner'));
  return list.map((p) => ({
    id: p.id,
    name: p.name,
    webhookUrl: p.webhookUrl,
    createdAt: p.createdAt.toISOString(),
    keys: keys
      .filter((k) => k.partnerId === p.id)
      .map((k) => ({
        keyId: k.keyId,
        version: k.version,
        rotatedAt: k.rotatedAt?.toISOString() ?? null,
        revoked: k.revokedAt !== null,
        // The secrets that sign now, by number (never their values).
        secrets: k.revokedAt ? [] : [k.version, ...(k.previousSecretEnc ? [k.version - 1] : [])],
      })),
  }));
}

export async function setPartnerWebhook(ctx: AppContext, partnerId: string, webhookUrl: string | null): Promise<void> {
  requireWebhookUrl(ctx, webhookUrl);
  const updated = await ctx.db.update(partners).set({ webhookUrl }).where(eq(partners.id, partnerId)).returning({ id: partners.id });
  if (updated.length === 0) throw new AppError('NOT_FOUND');
}

export interface KeySecrets {
  partnerId: string;
  /** `partner`: the order system's own key; `core`: a core enterprise's, under that order system. */
  kind: 'partner' | 'core';
  coreEnterpriseId: string | null;
  secrets: string[];
}

/** The secrets a key may sign with (current, and previous during a rotation), opened from their seals. */
export async function partnerSecrets(ctx: AppContext, keyId: string): Promise<KeySecrets | undefined> {
  if (keyId.length > 100) return undefined;
  const [key] = await ctx.db.select().from(partnerKeys).where(and(eq(partnerKeys.keyId, keyId), isNull(partnerKeys.revokedAt)));
  if (!key) return undefined;
  const secrets = [ctx.secrets.open(key.secretEnc)];
  if (key.previousSecretEnc) secrets.push(ctx.secrets.open(key.previousSecretEnc));
  return { partnerId: key.partnerId, kind: key.kind, coreEnterpriseId: key.coreEnterpriseId, secrets };
}

/** A new signed key of kind `core` for a core enterprise, in the caller's transaction; the secret is shown once. */
export async function createCoreKey(ctx: AppContext, tx: Queryable, partnerId: string, coreEnterpriseId: string): Promise<{ keyId: string; secret: string }> {
  const keyId = newId('ck');
  const secret = newSecret();
  await tx.insert(partnerKeys).values({ keyId, partnerId, secretEnc: ctx.secrets.seal(secret), kind: 'core', coreEnterpriseId });
  return { keyId, secret };
}
