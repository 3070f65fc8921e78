/**
 * Merchant rating, credit line and collateral rules: pure functions of the merchant's data
 * and a date. Services store the inputs, the result and SCORECARD_VERSION together.
 */
export * from './features.js';
export * from './scorecard.js';
export * from './creditLine.js';
export * from './collateral.js';
export * from './assess.js';
export * from './markdown.js';
export { floorToWholeYuan } from './arith.js';
