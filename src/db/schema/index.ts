export * from './system.js';
export * from './identity.js';
export * from './ledger.js';
export * from './wallet.js';
export * from './merchants.js';
export * from './webhooks.js';
export * from './market.js';
export * from './loans.js';
