export { createPartnerClient, createLendbookClient, type LendbookClient, type PartnerClientOptions } from './client.js';
export { createTransport, backoffMs, retryAfterMs, retryableStatus, RequestTimeoutError, type RetryOptions, type TransportOptions } from './transport.js';
export { SIGNATURE_HEADERS, SIGNATURE_WINDOW_SEC, canonicalString, plainPath, signRequest, signatureHeaders, unsignablePath, type CanonicalRequest } from './signing.js';
export { WEBHOOK_HEADERS, parseWebhook, signWebhook, verifyWebhook, WebhookVerificationError, type VerifyWebhookOptions, type WebhookEvent, type WebhookHeaders, type WebhookType, type WebhookVerification } from './webhooks.js';
export type { components, operations, paths } from './api-types.js';
