/**
 * The demo's guarantor (docs/guarantees.md): a licensed guarantee company with its own login. One loan
 * it guaranteed at 80 % defaulted and it paid the note holders (the disclosure page shows the guarantor
 * payment); one guaranteed listing is at auction now with its badge; one request waits for its answer.
 * Everything goes through the services, the past on a clock set back, as the rest of the demo.
 */
import type { AppContext } from '../context.js';
import { isoDateOfMs } from '../domain/dates.js';
import { placeBids } from '../services/bidding.js';
import { closeListing } from '../services/clearing.js';
import { acceptGuarantee, myGuarantees, payGuarantee, registerGuarantor } from '../services/guarantees.js';
import { register, submitKyc } from '../services/identity.js';
import { createListing, listingDetail, type NewListingBody } from '../services/listings.js';
import { createInvite, upsertMerchant, upsertOrders } from '../services/merchants.js';
import { rateMerchant } from '../services/rating.js';
import { serviceLoan } from '../services/servicing.js';
import { deposit } from '../services/wallet.js';
import { DEMO_PASSWORD, residentIdFor } from './cast.js';
import { at, pastClock } from './seed.js';
import { generateHistory, type MerchantProfile } from './synthetic.js';

/** The guarantee company's login: its requests, exposure against capacity, what it owed and paid. */
export const GUARANTOR_LOGIN = 'guarantor@lendbook.demo';

const DAY_MS = 86_400_000;

const SHOPS: { ref: string; name: string; category: string; profile: Omit<MerchantProfile, 'asOf'> }[] = [
  { ref: 'guaranteed-1', name: '宁波小家电', category: 'appliances', profile: { seed: 8101, months: 20, baseMonthlySalesMinor: 20_000_000, growthPerMonth: 0.01, seasonal: true, averageOrderMinor: 400_000, refundProbability: 0.03, disputeProbability: 0.003, noise: 0.1 } },
  { ref: 'guaranteed-2', name: '义乌饰品坊', category: 'accessories', profile: { seed: 8102, months: 16, baseMonthlySalesMinor: 12_000_000, growthPerMonth: 0.02, seasonal: false, averageOrderMinor: 200_000, refundProbability: 0.02, disputeProbability: 0.002, noise: 0.1 } },
  { ref: 'guaranteed-3', name: '成都茶语', category: 'food', profile: { seed: 8103, months: 14, baseMonthlySalesMinor: 9_000_000, growthPerMonth: 0.02, seasonal: false, averageOrderMinor: 200_000, refundProbability: 0.02, disputeProbability: 0.002, noise: 0.12 } },
];

const GUARANTEED: Omit<NewListingBody, 'amountMinor' | 'guarantee'> = {
  title: '担保增信备货 Stock, backed by a guarantee company',
  purpose: 'Stock for the season; 安信融资担保 covers 80 % of what is owed if the shop defaults.',
  termMonths: 6,
  repayment: 'equal_principal',
  maxRateBps: 1100,
  product: 'credit',
};

export async function seedGuarantees(ctx: AppContext, opts: { partnerId: string; operatorId: string; lenderIds: string[] }): Promise<void> {
  const nowMs = ctx.clock.nowMs();
  const today = isoDateOfMs(nowMs);
  const clock = pastClock(nowMs - 150 * DAY_MS);
  const past = at(ctx, clock);
  const guarantor = await registerGuarantor(past, { name: '安信融资担保有限公司', licenceNo: 'DB-310000-2019-0042', registeredCapitalMinor: 5_000_000_000, email: GUARANTOR_LOGIN, password: DEMO_PASSWORD }, opts.operatorId);
  const users: string[] = [];
  for (const [i, s] of SHOPS.entries()) {
    const history = generateHistory({ ...s.profile, asOf: today });
    const { merchant } = await upsertMerchant(ctx, opts.partnerId, s.ref, { name: s.name, legalForm: 'legal_person', openedAt: history.openedAt, category: s.category });
    const orders = history.orders.map((o) => ({ orderId: o.orderId, amountMinor: o.amountMinor, status: o.status, placedAt: `${o.placedAt}T03:00:00Z` }));
    for (let k = 0; k < orders.length; k += 5000) await upsertOrders(ctx, opts.partnerId, s.ref, orders.slice(k, k + 5000));
    const { inviteCode } = await createInvite(ctx, opts.partnerId, s.ref);
    const userId = (await register(ctx, { email: `${s.ref}@merchants.lendbook.demo`, password: DEMO_PASSWORD, role: 'borrower', displayName: s.name, inviteCode })).id;
    await submitKyc(ctx, userId, { legalName: `法定代表人G${i + 1}`, idNumber: residentIdFor(950 + i, 'borrower'), riskProfile: 'balanced' });
    await rateMerchant(past, merchant.id);
    users.push(userId);
  }
  const lenders = opts.lenderIds.filter((_, i) => i >= 150 && i % 4 === 1).slice(0, 8);
  const requestOf = async (listingId: string) => (await myGuarantees(past, guarantor.userId, 'pending', 50, undefined)).items.find((g) => g.listingId === listingId)!;

  // 1. Past: guaranteed, lent, never repaid, defaulted; the guarantor paid the holders.
  clock.set(nowMs - 150 * DAY_MS + 3 * 3600_000);
  const defaulted = await createListing(past, users[0]!, { ...GUARANTEED, amountMinor: 6_000_000, durationSec: 3600, guarantee: { guarantorId: guarantor.id, coveragePct: 80, feeBps: 150 } }, 'demo-guaranteed-default');
  await acceptGuarantee(past, guarantor.userId, (await requestOf(defaulted.id)).id);
  const opened = Date.parse((await listingDetail(past.db, defaulted.id)).endsAt);
  await placeBids(past, defaulted.id, lenders.slice(0, 4).map((lenderId, k) => ({ lenderId, amountMinor: 1_500_000, rateBps: 900 + k * 40, clientRef: null })));
  clock.set(opened + 1000);
  await closeListing(past, defaulted.id);
  // 121 days later: the first installment is 91 days past due; the daily step defaults the loan.
  clock.set(nowMs - 24 * DAY_MS);
  const loanId = (await myGuarantees(past, guarantor.userId, 'active', 50, undefined)).items.find((g) => g.listingId === defaulted.id)?.loanId;
  if (loanId) await serviceLoan(past, loanId);
  clock.set(nowMs - 20 * DAY_MS);
  await deposit(past, guarantor.userId, 10_000_000, 'demo-guarantor-funds');
  const owed = (await myGuarantees(past, guarantor.userId, 'owed', 50, undefined)).items.find((g) => g.listingId === defaulted.id);
  if (owed) await payGuarantee(past, guarantor.userId, owed.id);
  else ctx.log.warn({ listingId: defaulted.id }, 'demo: the guaranteed loan did not default');

  // 2. Live: a guaranteed listing at auction with its badge, and a request waiting for the guarantor.
  const live = await createListing(ctx, users[1]!, { ...GUARANTEED, amountMinor: 8_000_000, durationSec: 2 * 86_400, guarantee: { guarantorId: guarantor.id, coveragePct: 90, feeBps: 200 } }, 'demo-guaranteed-live');
  await acceptGuarantee(ctx, guarantor.userId, (await requestOf(live.id)).id);
  await placeBids(ctx, live.id, lenders.slice(4, 7).map((lenderId, k) => ({ lenderId, amountMinor: 1_000_000, rateBps: 950 + k * 50, clientRef: null })));
  await createListing(ctx, users[2]!, { ...GUARANTEED, amountMinor: 4_000_000, guarantee: { guarantorId: guarantor.id, coveragePct: 70, feeBps: 120 } }, 'demo-guaranteed-pending');
}
