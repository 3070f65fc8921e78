/**
 * The demo's supply chain (docs/supply-chain.md): a garment group (the core enterprise) that owes its
 * fabric supplier, who passes part of the claim to its dye works, who passes part to a small weaving
 * workshop — too young to borrow on its own record — which finances its part at auction on the group's
 * credit. One such loan was settled by the group on its due date; one is at auction now. And an order
 * loan of the dye works repaid from its orders' proceeds, paid in by the order system.
 * Everything goes through the services, the past on a clock set back, as the rest of the demo.
 */
import type { AppContext } from '../context.js';
import { addDays, isoDateOfMs } from '../domain/dates.js';
import { placeBids } from '../services/bidding.js';
import { assignClaimTo, issuePayable, registerCoreEnterprise, type CoreCaller } from '../services/claims.js';
import { closeListing } from '../services/clearing.js';
import { register, submitKyc } from '../services/identity.js';
import { createListing, type NewListingBody } from '../services/listings.js';
import { createInvite, upsertMerchant, upsertOrders } from '../services/merchants.js';
import { rateMerchant } from '../services/rating.js';
import { payOrderProceeds, settlePayable } from '../services/settlement.js';
import { depositInto } from '../services/wallet.js';
import { DEMO_PASSWORD, residentIdFor } from './cast.js';
import { at, pastClock } from './seed.js';
import { generateHistory, type MerchantProfile } from './synthetic.js';

/** The tier-3 workshop's login: its claims, their chain, and its claim-backed listing. */
export const SUPPLIER_LOGIN = 'supplier@lendbook.demo';

const DAY_MS = 86_400_000;

const CORE = { name: '鸿运服饰集团 Hongyun Apparel Group', grade: 'AA' as const, limitMinor: 2_000_000_000 };

/** Tier 1, 2 and 3: a fabric supplier, its dye works, and a young weaving workshop. */
const SUPPLIERS: { ref: string; name: string; category: string; profile: Omit<MerchantProfile, 'asOf'> }[] = [
  { ref: 'supplier-1', name: '华东纺织原料', category: 'textiles', profile: { seed: 7101, months: 24, baseMonthlySalesMinor: 30_000_000, growthPerMonth: 0.01, seasonal: true, averageOrderMinor: 600_000, refundProbability: 0.01, disputeProbability: 0.001, noise: 0.08 } },
  { ref: 'supplier-2', name: '苏州印染厂', category: 'textiles', profile: { seed: 7102, months: 18, baseMonthlySalesMinor: 15_000_000, growthPerMonth: 0.01, seasonal: false, averageOrderMinor: 300_000, refundProbability: 0.02, disputeProbability: 0.002, noise: 0.1 } },
  { ref: 'supplier-3', name: '昆山小织坊', category: 'textiles', profile: { seed: 7103, months: 5, baseMonthlySalesMinor: 4_000_000, growthPerMonth: 0.05, seasonal: false, averageOrderMinor: 100_000, refundProbability: 0.02, disputeProbability: 0.002, noise: 0.2 } },
];

const CLAIM_LISTING: Omit<NewListingBody, 'amountMinor' | 'maturesOn' | 'collateral'> = {
  title: '织机订单周转 Looms running until the group pays',
  purpose: 'Yarn and wages for the group’s autumn order, repaid when 鸿运服饰集团 pays its payable.',
  maxRateBps: 1200,
  product: 'claim',
};

export interface SupplyChainWorld {
  coreEnterpriseId: string;
  supplierRefs: string[];
  liveListingId: string;
}

/**
 * Seeds the chain into a demo market that already has its partner, lenders and history. `lenderIds`
 * are the lenders that may bid; the first (the demo lender) takes part in the settled loan.
 */
const LEGAL_REPRESENTATIVES = ['林国栋', '陈美华', '周小织'];

export async function seedSupplyChain(ctx: AppContext, opts: { partnerId: string; operatorId: string; lenderIds: string[] }): Promise<SupplyChainWorld> {
  const nowMs = ctx.clock.nowMs();
  const today = isoDateOfMs(nowMs);
  const clock = pastClock(nowMs - 130 * DAY_MS);
  const past = at(ctx, clock);
  const { partnerId } = opts;

  const userIds: string[] = [];
  const merchantIds: string[] = [];
  for (const [i, s] of SUPPLIERS.entries()) {
    const history = generateHistory({ ...s.profile, asOf: today });
    merchantIds.push((await upsertMerchant(ctx, partnerId, s.ref, { name: s.name, legalForm: 'legal_person', openedAt: history.openedAt, category: s.category })).merchant.id);
    await upsertOrders(ctx, partnerId, s.ref, history.orders.map((o) => ({ orderId: o.orderId, amountMinor: o.amountMinor, status: o.status, placedAt: `${o.placedAt}T03:00:00Z` })));
    const { inviteCode } = await createInvite(ctx, partnerId, s.ref);
    const email = i === 2 ? SUPPLIER_LOGIN : `${s.ref}@merchants.lendbook.demo`;
    const userId = (await register(ctx, { email, password: DEMO_PASSWORD, role: 'borrower', displayName: s.name, inviteCode })).id;
    // Each supplier's legal representative is verified before it lists (numbers apart from the other demo merchants').
    await submitKyc(ctx, userId, { legalName: LEGAL_REPRESENTATIVES[i]!, idNumber: residentIdFor(900 + i, 'borrower'), riskProfile: 'balanced' });
    userIds.push(userId);
  }
  const [tier1, tier2, tier3] = userIds as [string, string, string];

  const core = await registerCoreEnterprise(past, { partnerId, name: CORE.name, legalForm: 'legal_person', grade: CORE.grade, limitMinor: CORE.limitMinor }, opts.operatorId);
  const caller: CoreCaller = { partnerId, coreEnterpriseId: core.id };
  // The demo lender and lenders of the aggressive profile (every fourth): they may bid on any grade.
  const lenders = [opts.lenderIds[0]!, ...opts.lenderIds.filter((_, i) => i >= 150 && i % 4 === 0)];

  /** ¥1,000,000 (or `amountMinor`) to tier 1, split ¥400,000 → tier 2 → ¥150,000 → tier 3; the tier-3 claim's id. */
  async function chain(ref: string, amountMinor: number, dueDate: string, toTier2: number, toTier3: number): Promise<string> {
    const issued = await issuePayable(past, caller, { payableRef: ref, supplierMerchantRef: 'supplier-1', amountMinor, dueDate, orderIds: [`${ref}-PO`] });
    const c2 = await assignClaimTo(past, tier1, issued.claimId, { toMerchantRef: 'supplier-2', amountMinor: toTier2 }, `demo-${ref}-t2`);
    const c3 = await assignClaimTo(past, tier2, c2.id, { toMerchantRef: 'supplier-3', amountMinor: toTier3 }, `demo-${ref}-t3`);
    return c3.id;
  }

  /** Lenders bid `slices` of the amount; the auction ends and clears. */
  async function fund(listingId: string, amountMinor: number, bidders: string[], endsAtIso: string): Promise<void> {
    const slice = Math.ceil(amountMinor / bidders.length / 100) * 100;
    await placeBids(past, listingId, bidders.map((lenderId, k) => ({ lenderId, amountMinor: slice, rateBps: 800 + k * 45, clientRef: null })));
    clock.set(Date.parse(endsAtIso) + 1000);
    const outcome = await closeListing(past, listingId);
    if (outcome !== 'cleared') ctx.log.warn({ listingId, outcome }, 'demo: a supply-chain listing did not clear');
  }

  // 1. Settled: issued 130 days ago, financed by tier 3 at once, paid by the group on its due date.
  clock.set(nowMs - 130 * DAY_MS + 2 * 3600_000);
  for (const id of merchantIds) await rateMerchant(past, id);
  const settledDue = isoDateOfMs(nowMs - 40 * DAY_MS);
  const settledClaim = await chain('HY-2024-0815', 100_000_000, settledDue, 40_000_000, 15_000_000);
  const settledListing = await createListing(past, tier3, { ...CLAIM_LISTING, amountMinor: 13_500_000, maturesOn: settledDue, durationSec: 3600, collateral: { claimIds: [settledClaim] } }, 'demo-claim-settled');
  await fund(settledListing.id, 13_500_000, lenders.slice(0, 6), settledListing.endsAt);
  clock.set(Date.parse(`${settledDue}T02:00:00Z`));
  await depositInto(past, core.id, 100_000_000, 'demo-core-settle-0815');
  await settlePayable(past, caller, 'HY-2024-0815');

  // 2. Order financing repaid from proceeds: the dye works pledges five orders, the order system pays
  //    three of them in straight to the loan.
  clock.set(nowMs - 60 * DAY_MS + 3 * 3600_000);
  const placedAt = new Date(nowMs - 61 * DAY_MS).toISOString();
  const orderIds = ['dye-7001', 'dye-7002', 'dye-7003', 'dye-7004', 'dye-7005'];
  await upsertOrders(past, partnerId, 'supplier-2', orderIds.map((orderId) => ({ orderId, amountMinor: 2_000_000, status: 'shipped' as const, placedAt })));
  const orderListing = await createListing(
    past,
    tier2,
    { title: '染料备货 Dye stock for the group’s order', purpose: 'Five shipped orders to the group, financed until they settle.', amountMinor: 5_000_000, termMonths: 3, repayment: 'interest_only', maxRateBps: 1300, product: 'order', durationSec: 3600, collateral: { orderIds } },
    'demo-order-proceeds',
  );
  await fund(orderListing.id, 5_000_000, lenders.slice(6, 10), orderListing.endsAt);
  clock.set(nowMs - 45 * DAY_MS + 4 * 3600_000);
  await depositInto(past, partnerId, 6_000_000, 'demo-partner-proceeds');
  for (const orderId of orderIds.slice(0, 3)) await payOrderProceeds(past, partnerId, 'supplier-2', orderId, 2_000_000);

  // 3. Live now: a new payable down the same chain, tier 3's part at auction for three days.
  clock.set(nowMs - 5 * DAY_MS);
  const liveDue = addDays(today, 85);
  const liveClaim = await chain('HY-2025-0301', 60_000_000, liveDue, 25_000_000, 10_000_000);
  for (const id of merchantIds) await rateMerchant(ctx, id);
  const live = await createListing(ctx, tier3, { ...CLAIM_LISTING, amountMinor: 9_000_000, maturesOn: liveDue, durationSec: 3 * 86_400, collateral: { claimIds: [liveClaim] } }, 'demo-claim-live');
  await placeBids(ctx, live.id, lenders.slice(10, 13).map((lenderId, k) => ({ lenderId, amountMinor: 1_500_000, rateBps: 900 + k * 60, clientRef: null })));
  return { coreEnterpriseId: core.id, supplierRefs: SUPPLIERS.map((s) => s.ref), liveListingId: live.id };
}
