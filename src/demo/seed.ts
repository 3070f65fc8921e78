import { sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { AppContext } from '../context.js';
import { rows } from '../db/client.js';
import { users } from '../db/schema/index.js';
import { addDays, isoDateOfMs } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import { owedToday, type ServicingSettings } from '../domain/servicing/index.js';
import { servicingSettings } from '../services/servicing-store.js';
import { newId } from '../ids.js';
import { openWallet } from '../ledger/ledger.js';
import { hashPassword } from '../security/passwords.js';
import { updateSettings } from '../services/admin-settings.js';
import { placeBids } from '../services/bidding.js';
import { closeListing } from '../services/clearing.js';
import { register, submitKyc } from '../services/identity.js';
import { createListing } from '../services/listings.js';
import { loadLoan } from '../services/loans.js';
import { createInvite, upsertMerchant, upsertOrders } from '../services/merchants.js';
import { createPartner } from '../services/partners.js';
import { creditOf, rateMerchant } from '../services/rating.js';
import { recordRecovery, repayLoan, serviceDueLoans } from '../services/servicing.js';
import { currentState } from '../services/statements.js';
import { createOffer } from '../services/transfers.js';
import { deposit } from '../services/wallet.js';
import { createPublishableKey } from '../services/widgets.js';
import { DEMO_MERCHANTS, DEMO_PASSWORD, DEMO_LOGINS, residentIdFor, SIMULATED_BORROWER_DOMAIN, SIMULATED_LENDER_DOMAIN, simulatedBorrowerEmail, simulatedLenderEmail, type DemoMerchant } from './cast.js';
import { generateHistory } from './synthetic.js';
import { seedGuarantees } from './guarantees.js';
import { seedSupplyChain } from './supply-chain.js';

export interface DemoWorld {
  partnerId: string;
  publishableKey: string;
  merchantRefs: string[];
  borrowerIds: string[];
  lenderIds: string[];
  /** Lenders the simulation drives: its own cast, never the demo login. */
  botLenderIds: string[];
  /** Borrowers the simulation lists for, with their shop's ref: its own cast, never the demo login. */
  botBorrowers: { userId: string; merchantRef: string }[];
}

const DAY_MS = 86_400_000;
const LENDERS = 200;

/** A clock fixed at a moment of the past, moved by hand: the demo writes history through the services. */
export function pastClock(startMs: number): Clock & { set(ms: number): void } {
  let now = startMs;
  return { nowMs: () => now, settable: true, offsetMs: () => now - Date.now(), setOffsetMs: () => undefined, set: (ms) => (now = ms) };
}

export function at(ctx: AppContext, clock: Clock): AppContext {
  return { ...ctx, clock };
}

async function isEmpty(ctx: AppContext): Promise<boolean> {
  const [r] = await rows<{ n: number }>(ctx.db, sql`select count(*)::int as n from merchants`);
  return (r?.n ?? 0) === 0;
}

/**
 * A believable market in an empty database: merchants of every quality with 6–24 months of orders, rated;
 * 200 lenders with balances; a history of loans in every state (current, late, defaulted with a
 * recovery, repaid); a few notes on offer to other lenders; and auctions open now. Everything goes
 * through the same services as real traffic, the past ones on a clock set in the past. Returns null
 * when the database already has a market.
 */
export async function seedDemo(ctx: AppContext, opts: { widgetOrigins: string[]; onSeeding?: () => void }): Promise<DemoWorld | null> {
  if (!(await isEmpty(ctx))) return null;
  opts.onSeeding?.();
  const log = ctx.log;
  const started = Date.now();
  const operatorId = await ensureUser(ctx, DEMO_LOGINS.operator, 'operator', 'Demo operator');
  // Short auctions and a short soft close, so that a visitor sees auctions end and clear.
  await updateSettings(ctx, { auctionMinDurationSec: 60, auctionDefaultDurationSec: 420, softCloseSec: 30, softCloseMaxExtensionSec: 180 }, operatorId);
  const partner = await createPartner(ctx, { name: '演示商城 Demo Mall' }, operatorId);
  const key = await createPublishableKey(ctx, partner.partnerId, opts.widgetOrigins);

  // Merchants with their trading history, rated as of today.
  const today = isoDateOfMs(ctx.clock.nowMs());
  const merchantIds: string[] = [];
  for (const m of DEMO_MERCHANTS) {
    const history = generateHistory({ ...m.profile, asOf: today });
    const { merchant } = await upsertMerchant(ctx, partner.partnerId, m.ref, { name: m.name, legalForm: m.legalForm, openedAt: history.openedAt, category: m.category });
    for (let i = 0; i < history.orders.length; i += 5000) {
      await upsertOrders(
        ctx,
        partner.partnerId,
        m.ref,
        history.orders.slice(i, i + 5000).map((o) => ({ orderId: o.orderId, amountMinor: o.amountMinor, status: o.status, placedAt: `${o.placedAt}T0${2 + (o.amountMinor % 8)}:${String(o.amountMinor % 60).padStart(2, '0')}:00Z` })),
      );
    }
    merchantIds.push(merchant.id);
  }
  // Borrower accounts (the first one is the demo login).
  const borrowerIds: string[] = [];
  for (const [i, m] of DEMO_MERCHANTS.entries()) {
    const { inviteCode } = await createInvite(ctx, partner.partnerId, m.ref);
    const email = i === 0 ? DEMO_LOGINS.borrower : simulatedBorrowerEmail(m.ref);
    const user = await register(ctx, { email, password: DEMO_PASSWORD, role: 'borrower', displayName: m.name, inviteCode });
    // The legal representative's identity is verified before a merchant lists.
    await submitKyc(ctx, user.id, { legalName: `法定代表人${i + 1}`, idNumber: residentIdFor(i, 'borrower'), riskProfile: 'balanced' });
    borrowerIds.push(user.id);
  }
  // Lenders: one password hash for all (hashing 200 times would take seconds), KYC through the service.
  const lenderIds = await seedLenders(ctx);
  log.info({ ms: Date.now() - started }, 'demo: merchants, borrowers and lenders seeded');

  await writeHistory(ctx, DEMO_MERCHANTS, merchantIds, borrowerIds, lenderIds, operatorId);
  for (const id of merchantIds) await rateMerchant(ctx, id);
  const offers = await offerSomeNotes(ctx, lenderIds[0]!);
  log.info({ ms: Date.now() - started, offers }, 'demo: loan history written, notes on offer');
  await seedSupplyChain(ctx, { partnerId: partner.partnerId, operatorId, lenderIds });
  log.info({ ms: Date.now() - started }, 'demo: supply chain seeded');
  await seedGuarantees(ctx, { partnerId: partner.partnerId, operatorId, lenderIds });
  log.info({ ms: Date.now() - started }, 'demo: guarantor seeded');

  // Auctions open now, some bids already in.
  const cast = await simulationCast(ctx);
  return { partnerId: partner.partnerId, publishableKey: key.key, merchantRefs: DEMO_MERCHANTS.map((m) => m.ref), borrowerIds, lenderIds, ...cast };
}

/**
 * Who the simulation may act as: the accounts of its own e-mail domains, read from the database (the
 * same answer after a restart), so the printed logins and anyone who registers later are never in it.
 */
export async function simulationCast(ctx: AppContext): Promise<Pick<DemoWorld, 'botLenderIds' | 'botBorrowers'>> {
  const lenders = await rows<{ id: string }>(ctx.db, sql`select id from users where role = 'lender' and lower(email) like ${`%@${SIMULATED_LENDER_DOMAIN}`} order by id`);
  const borrowers = await rows<{ id: string; ref: string }>(
    ctx.db,
    sql`select u.id, m.ref from users u join merchants m on m.id = u.merchant_id where u.role = 'borrower' and lower(u.email) like ${`%@${SIMULATED_BORROWER_DOMAIN}`} order by m.ref`,
  );
  return { botLenderIds: lenders.map((l) => l.id), botBorrowers: borrowers.map((b) => ({ userId: b.id, merchantRef: b.ref })) };
}

async function ensureUser(ctx: AppContext, email: string, role: 'operator', displayName: string): Promise<string> {
  const [existing] = await rows<{ id: string }>(ctx.db, sql`select id from users where lower(email) = lower(${email})`);
  if (existing) return existing.id;
  const id = newId('usr');
  await ctx.db.insert(users).values({ id, email, passwordHash: await hashPassword(DEMO_PASSWORD), role, displayName });
  return id;
}

async function seedLenders(ctx: AppContext): Promise<string[]> {
  const hash = await hashPassword(DEMO_PASSWORD);
  const ids: string[] = [];
  const profiles = ['aggressive', 'balanced', 'conservative', 'aggressive'] as const;
  for (let i = 0; i < LENDERS; i++) {
    const id = newId('usr');
    const email = i === 0 ? DEMO_LOGINS.lender : simulatedLenderEmail(i);
    await ctx.db.insert(users).values({ id, email, passwordHash: hash, role: 'lender', displayName: i === 0 ? 'Demo lender' : `Lender ${i}` });
    await openWallet(ctx.db, id);
    await submitKyc(ctx, id, { legalName: i === 0 ? '演示出借人' : `出借人${i}`, idNumber: residentIdFor(i), riskProfile: i === 0 ? 'aggressive' : profiles[i % profiles.length]! });
    await deposit(ctx, id, (i === 0 ? 500_000 : 80_000 + ((i * 7919) % 40) * 10_000) * 100, `demo-initial-${i}`);
    ids.push(id);
  }
  return ids;
}

type Behaviour = 'on_time' | 'late' | 'early' | 'default' | 'repaid';

/**
 * Loans from the last ten months, written in time order through the services on a clock set in the past:
 * each listing is bid on and cleared on its day, then its borrower pays — on time, late, early, or not
 * at all (a default, then a partial recovery) — so portfolios, statements and the disclosure page have
 * a past.
 */
async function writeHistory(ctx: AppContext, merchants: readonly DemoMerchant[], merchantIds: string[], borrowerIds: string[], lenderIds: string[], operatorId: string): Promise<void> {
  const nowMs = ctx.clock.nowMs();
  const clock = pastClock(nowMs - 300 * DAY_MS);
  const past = at(ctx, clock);
  const plans: { loanId: string; borrowerId: string; behaviour: Behaviour }[] = [];
  const recovered = new Set<string>();
  const behaviours: Behaviour[] = ['on_time', 'late', 'repaid', 'early', 'default', 'on_time', 'on_time', 'late', 'repaid', 'on_time', 'default', 'on_time'];
  let slot = 0;
  for (const [i, m] of merchants.entries()) {
    if (!m.history) continue;
    const behaviour = behaviours[slot % behaviours.length]!;
    clock.set(nowMs - (280 - slot * 18) * DAY_MS);
    slot++;
    await rateMerchant(past, merchantIds[i]!);
    const credit = await creditOf(ctx.db, merchantIds[i]!, ctx.settings.get());
    if (!credit?.eligibility.eligible || credit.line.creditLeftMinor < 200_000) continue;
    const amountMinor = Math.min(credit.line.creditLeftMinor, m.loanYuan * 100) - (Math.min(credit.line.creditLeftMinor, m.loanYuan * 100) % 100);
    const listing = await createListing(past, borrowerIds[i]!, {
      title: m.listingTitle,
      purpose: m.purpose,
      amountMinor,
      termMonths: behaviour === 'repaid' ? 3 : 12,
      maxRateBps: 1500 + (slot % 5) * 150,
      repayment: behaviour === 'repaid' ? 'interest_only' : 'equal_installment',
      product: 'credit',
      pricing: slot % 3 === 0 ? 'pay_as_bid' : 'uniform',
      durationSec: 3600,
    }, `demo-history-${m.ref}`);
    // Lenders bid in slices until it is covered; the demo login always takes part, so its portfolio has a past.
    const slice = Math.max(10_000, Math.ceil(amountMinor / 8 / 100) * 100);
    const bidders = [lenderIds[0]!, ...lenderIds.slice(1 + slot * 7, 1 + slot * 7 + 9)];
    await placeBids(past, listing.id, bidders.map((lenderId, k) => ({ lenderId, amountMinor: slice, rateBps: 900 + ((k * 137 + slot * 53) % 500), clientRef: null })));
    clock.set(Date.parse(listing.endsAt) + 1000);
    if ((await closeListing(past, listing.id)) !== 'cleared') continue;
    const [row] = await rows<{ id: string }>(ctx.db, sql`select id from loans where listing_id = ${listing.id}`);
    // The borrower's shop pays into its wallet what the loan will ask for.
    await deposit(past, borrowerIds[i]!, amountMinor * 2, `demo-float-${m.ref}`);
    plans.push({ loanId: row!.id, borrowerId: borrowerIds[i]!, behaviour });
  }
  // Walk the days; on each, borrowers pay what their behaviour says.
  for (let day = nowMs - 280 * DAY_MS; day <= nowMs - DAY_MS; day += DAY_MS) {
    clock.set(day + 10 * 3600_000);
    const date = isoDateOfMs(day);
    for (const plan of plans) {
      const loaded = await loadLoan(ctx.db, plan.loanId);
      if (!loaded || loaded.state.status === 'repaid' || date < loaded.state.disbursedOn) continue;
      const state = currentState(past, loaded.state, date);
      const amount = paymentToday(plan.behaviour, state, date, servicingSettings(ctx.settings.get()));
      if (amount > 0) await repayLoan(past, plan.borrowerId, plan.loanId, amount, `demo-${plan.loanId}-${date}`);
      if (plan.behaviour === 'default' && state.status === 'defaulted' && !recovered.has(plan.loanId)) {
        recovered.add(plan.loanId);
        const owed = owedToday(state, date, servicingSettings(ctx.settings.get())).payoffMinor;
        await recordRecovery(past, operatorId, plan.loanId, Math.floor(owed * 0.3), 'Sale of seized stock (demo)', `demo-recovery-${plan.loanId}`);
      }
    }
  }
  await serviceDueLoans(ctx, 'inline');
}

/**
 * A few notes on the secondary market (docs/transfers.md), offered by simulated lenders through the
 * same service as the app: at par, at a discount and at a premium, of whole notes and of parts, one
 * note per loan. The demo login sells nothing, so that it has offers to buy.
 */
async function offerSomeNotes(ctx: AppContext, demoLenderId: string): Promise<number> {
  const found = await rows<{ id: string; lender_id: string; outstanding: number | string }>(
    ctx.db,
    sql`select distinct on (n.loan_id) n.id, n.lender_id, n.outstanding_principal_minor as outstanding
        from loan_notes n join loans l on l.id = n.loan_id
        where l.status = 'active' and l.days_past_due = 0 and n.status = 'active' and n.lender_id <> ${demoLenderId}
        order by n.loan_id, n.id`,
  );
  const prices = [10_000, 9_700, 10_200, 9_850, 10_000];
  let made = 0;
  for (const note of found) {
    if (made >= prices.length) break;
    const outstanding = Number(note.outstanding);
    const half = Math.floor(outstanding / 2 / 100) * 100;
    const principalMinor = made % 2 === 0 || half < ctx.settings.get().minBidMinor ? outstanding : half;
    try {
      await createOffer(ctx, note.lender_id, note.id, { principalMinor, priceBps: prices[made]! }, `demo-offer-${note.id}`);
      made++;
    } catch (err) {
      if (!(err instanceof AppError)) throw err; // a note the rules keep off the market (its last installment): the next one
    }
  }
  return made;
}

/** What a borrower of each behaviour pays on a given day. */
function paymentToday(behaviour: Behaviour, state: Parameters<typeof owedToday>[0], date: string, settings: ServicingSettings): number {
  if (state.status !== 'active') return 0;
  const owed = owedToday(state, date, settings);
  const dueToday = state.notes[0]!.installments.some((x) => x.dueDate === date);
  switch (behaviour) {
    case 'on_time':
    case 'repaid':
      return dueToday ? owed.due.totalMinor : 0;
    case 'early': {
      const paid = state.notes[0]!.installments.filter((x) => x.dueDate < date).length;
      if (paid >= 3 && dueToday) return owed.payoffMinor;
      return dueToday ? owed.due.totalMinor : 0;
    }
    case 'late': {
      // Pays each installment 12 days after it fell due.
      const lateDue = state.notes[0]!.installments.some((x) => addDays(x.dueDate, 12) === date);
      return lateDue ? owed.due.totalMinor : 0;
    }
    case 'default': {
      const due = state.notes[0]!.installments.filter((x) => x.dueDate <= date).length;
      return due <= 2 && dueToday ? owed.due.totalMinor : 0;
    }
  }
}
