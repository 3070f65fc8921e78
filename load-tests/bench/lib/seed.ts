import { createHmac, randomBytes } from 'node:crypto';
import { residentIdCheckChar } from '../../../src/domain/kyc.js';
import { api, expectStatus } from './http.js';
import { mapLimit, sleep } from './stats.js';

/**
 * Borrowers, merchants and listings through the real API, as an order system and a merchant would
 * create them: a signed partner API call for the merchant and a year of orders, the rating job, an
 * invite, the borrower's registration, then listings.
 */

export const BENCH_ADMIN = { email: 'bench-operator@bench.lendbook.test', password: 'bench-operator-password-1' };

export interface PartnerKey {
  partnerId: string;
  keyId: string;
  secret: string;
}

export interface Borrower {
  index: number;
  merchantRef: string;
  token: string;
  userId: string;
  grade: string;
  creditLeftMinor: number;
}

export async function adminLogin(baseUrl: string): Promise<string> {
  const j = await expectStatus<{ token: string }>('operator login', api(baseUrl, 'POST', '/api/v1/auth/login', { body: BENCH_ADMIN }), 200);
  return j.token;
}

export async function createPartner(baseUrl: string, adminToken: string): Promise<PartnerKey> {
  return expectStatus<PartnerKey>('create partner', api(baseUrl, 'POST', '/api/v1/admin/partners', { token: adminToken, body: { name: `Bench order system ${randomBytes(3).toString('hex')}` } }), 201);
}

/** The partner signature: HMAC-SHA256 of timestamp, method, path with query and raw body, one per line. */
function signed(key: PartnerKey, method: string, path: string, raw: string): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  return {
    'x-lendbook-key': key.keyId,
    'x-lendbook-timestamp': String(ts),
    'x-lendbook-signature': createHmac('sha256', key.secret).update(`${ts}\n${method}\n${path}\n${raw}`).digest('hex'),
  };
}

async function partnerCall<T = any>(baseUrl: string, key: PartnerKey, method: string, path: string, body: unknown, ...ok: number[]): Promise<T> {
  const raw = JSON.stringify(body);
  return expectStatus<T>(`${method} ${path}`, api(baseUrl, method, path, { rawBody: raw, headers: signed(key, method, path, raw) }), ...ok);
}

/** A valid resident id number for the legal representative of bench merchant `i` of this run. */
function representativeId(tag: string, i: number): string {
  const first17 = `4403051980${String(1 + (parseInt(tag, 16) % 12)).padStart(2, '0')}${String(1 + Math.floor(i / 1000)).padStart(2, '0')}${String(i % 1000).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}

function monthKeyOffset(now: Date, offset: number): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Twelve full months of steady, settled sales before the current month. */
function yearOfOrders(monthlyYuan: number, orderYuan: number): { openedAt: string; orders: { orderId: string; amountMinor: number; status: string; placedAt: string }[] } {
  const now = new Date();
  const orders: { orderId: string; amountMinor: number; status: string; placedAt: string }[] = [];
  const perMonth = Math.floor(monthlyYuan / orderYuan);
  let n = 0;
  for (let m = -12; m < 0; m++) {
    const key = monthKeyOffset(now, m);
    for (let k = 0; k < perMonth; k++, n++) {
      orders.push({ orderId: `bench-${n}`, amountMinor: orderYuan * 100, status: 'settled', placedAt: `${key}-${String(1 + (k % 28)).padStart(2, '0')}T12:00:00Z` });
    }
  }
  return { openedAt: `${monthKeyOffset(now, -12)}-01`, orders };
}

/**
 * `count` merchants with a year of ¥700,000 a month (credit line ≥ ¥1,000,000 from grade B up), each with
 * its borrower account, rated by the server's own rating job.
 */
export async function seedBorrowers(baseUrl: string, key: PartnerKey, count: number, log: (s: string) => void): Promise<Borrower[]> {
  const history = yearOfOrders(700_000, 7_000);
  const tag = randomBytes(3).toString('hex');
  const started = Date.now();
  const partial = await mapLimit(
    Array.from({ length: count }, (_, i) => i),
    6,
    async (i) => {
      const ref = `bench-${tag}-${i}`;
      await partnerCall(baseUrl, key, 'PUT', `/api/v1/partner/merchants/${ref}`, { name: `Bench shop ${i}`, legalForm: 'legal_person', openedAt: history.openedAt, category: 'apparel' }, 200, 201);
      await partnerCall(baseUrl, key, 'POST', `/api/v1/partner/merchants/${ref}/orders`, { orders: history.orders }, 200);
      const { inviteCode } = await partnerCall<{ inviteCode: string }>(baseUrl, key, 'POST', `/api/v1/partner/merchants/${ref}/invites`, {}, 201);
      const reg = await expectStatus<{ token: string; user: { id: string } }>(
        'register borrower',
        api(baseUrl, 'POST', '/api/v1/auth/register', { body: { email: `bench-borrower-${tag}-${i}@bench.lendbook.test`, password: 'bench borrower password', role: 'borrower', displayName: `Bench shop ${i}`, inviteCode } }),
        201,
      );
      // A merchant lists once its legal representative's identity is verified.
      await expectStatus('borrower KYC', api(baseUrl, 'PUT', '/api/v1/me/kyc', { token: reg.token, body: { legalName: `法人${i}`, idNumber: representativeId(tag, i), riskProfile: 'balanced' } }), 200);
      if ((i + 1) % 25 === 0) log(`  ${i + 1}/${count} merchants pushed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return { index: i, merchantRef: ref, token: reg.token, userId: reg.user.id };
    },
  );
  // The rating job runs a couple of seconds after the orders arrive.
  const deadline = Date.now() + 120_000;
  return mapLimit(partial, 8, async (b) => {
    for (;;) {
      const r = await api<{ grade: string; creditLeftMinor: number; eligible: boolean }>(baseUrl, 'GET', '/api/v1/me/rating', { token: b.token });
      if (r.status === 200) {
        if (!r.json.eligible) throw new Error(`merchant ${b.merchantRef} was rated ${r.json.grade} and is not eligible to list: ${r.text.slice(0, 300)}`);
        return { ...b, grade: r.json.grade, creditLeftMinor: r.json.creditLeftMinor };
      }
      if (Date.now() > deadline) throw new Error(`merchant ${b.merchantRef} was not rated within 120 s: HTTP ${r.status} ${r.text.slice(0, 300)}`);
      await sleep(250);
    }
  });
}

export interface Listing {
  id: string;
  endsAt: string;
  amountMinor: number;
}

/** The largest listing a legal person may have (¥1,000,000): 10,000 bids of the ¥100 minimum fit in it. */
export const LISTING_AMOUNT_MINOR = 100_000_000;
export const MAX_RATE_BPS = 2400;

export async function createListing(baseUrl: string, borrower: Borrower, durationSec: number, title: string, extra: { minFundingPct?: number; pricing?: 'uniform' | 'pay_as_bid' } = {}): Promise<Listing> {
  const amountMinor = Math.min(LISTING_AMOUNT_MINOR, borrower.creditLeftMinor);
  if (amountMinor < LISTING_AMOUNT_MINOR) throw new Error(`borrower ${borrower.merchantRef} (grade ${borrower.grade}) may only list ${amountMinor} minor; the bench needs ${LISTING_AMOUNT_MINOR}`);
  return expectStatus<Listing>(
    'create listing',
    api(baseUrl, 'POST', '/api/v1/listings', {
      token: borrower.token,
      body: {
        title,
        purpose: 'Inventory for the season (bench)',
        amountMinor,
        termMonths: 12,
        maxRateBps: MAX_RATE_BPS,
        repayment: 'equal_installment',
        product: 'credit',
        pricing: 'uniform',
        closeWhenFunded: false,
        durationSec,
        ...extra,
      },
    }),
    201,
  );
}
