import { createHash, randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import pg from 'pg';

/**
 * The bench owns its database: it creates it, seeds bulk lenders straight into the tables (argon2id per
 * registration would take minutes through the API), keeps the ledger balanced while doing so, and drops
 * it at the end.
 */

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Ids shaped like the server's (`usr_` + 10 time characters + 16 random, Crockford base32). */
export function benchId(prefix: string, nowMs = Date.now()): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  let tail = '';
  for (const b of randomBytes(16)) tail += ALPHABET[b % 32]!;
  return `${prefix}_${time}${tail}`;
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl, application_name: 'lendbook-bench' });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

export async function createDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  await adminQuery(adminUrl, `create database "${name}"`);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  await adminQuery(adminUrl, `drop database if exists "${name}" with (force)`);
}

export interface SeededLender {
  id: string;
  token: string;
}

/** The hash every bulk lender shares (argon2id with the server's parameters): they could log in too. */
export const BENCH_LENDER_PASSWORD = 'bench lender password';

/**
 * Inserts `count` verified lenders with a session each and a wallet funded by a deposit, exactly as the
 * server would leave them: users, sessions (sha256 of a token we choose), wallet accounts, completed
 * custodian instructions, and one single-phase transfer custody → wallet each, with both accounts' sums
 * moved in the same transaction, so the ledger invariants hold afterwards.
 */
export async function seedLenders(databaseUrl: string, count: number, depositMinor: number): Promise<SeededLender[]> {
  const passwordHash = await hash(BENCH_LENDER_PASSWORD, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'lendbook-bench-seed' });
  client.on('error', () => {});
  await client.connect();
  const lenders: SeededLender[] = [];
  const runTag = randomBytes(4).toString('hex');
  try {
    const CHUNK = 2000;
    for (let start = 0; start < count; start += CHUNK) {
      const n = Math.min(CHUNK, count - start);
      const ids: string[] = [];
      const emails: string[] = [];
      const idHashes: string[] = [];
      const sessionIds: string[] = [];
      const tokenHashes: string[] = [];
      const instructionIds: string[] = [];
      for (let k = 0; k < n; k++) {
        const i = start + k;
        const id = benchId('usr');
        const token = `bench_${randomBytes(24).toString('base64url')}`;
        ids.push(id);
        emails.push(`bench-lender-${runTag}-${i}@bench.lendbook.test`);
        idHashes.push(sha256Hex(`bench-id-number-${runTag}-${i}`));
        sessionIds.push(benchId('ses'));
        tokenHashes.push(sha256Hex(token));
        instructionIds.push(benchId('ci'));
        lenders.push({ id, token });
      }
      await client.query('begin');
      await client.query(
        `insert into users (id, email, password_hash, role, display_name, kyc_status, legal_name, id_number_last4, id_number_hash, risk_profile, kyc_verified_at, password_changed_at, created_at)
         select u.id, u.email, $4, 'lender', 'Bench lender', 'verified', '测试', '0000', u.idh, 'aggressive', now(), now(), now()
         from unnest($1::text[], $2::text[], $3::text[]) as u(id, email, idh)`,
        [ids, emails, idHashes, passwordHash],
      );
      await client.query(
        `insert into sessions (id, token_hash, user_id, expires_at, user_agent)
         select s.id, s.th, s.uid, now() + interval '1 day', 'lendbook-bench' from unnest($1::text[], $2::text[], $3::text[]) as s(id, th, uid)`,
        [sessionIds, tokenHashes, ids],
      );
      await client.query(
        `insert into ledger_accounts (id, kind, owner_user_id, debits_must_not_exceed_credits, credits_posted_minor)
         select 'acc_w_' || u.id, 'wallet', u.id, true, $2 from unnest($1::text[]) as u(id)`,
        [ids, depositMinor],
      );
      await client.query(
        `insert into custodian_instructions (id, user_id, kind, amount_minor, status, transfer_id, external_ref, created_at, completed_at)
         select c.id, c.uid, 'deposit', $3, 'completed', 'xfr_dep_' || c.id, 'bench-seed', now(), now() from unnest($1::text[], $2::text[]) as c(id, uid)`,
        [instructionIds, ids, depositMinor],
      );
      await client.query(
        `insert into ledger_transfers (id, debit_account_id, credit_account_id, amount_minor, phase, pending_id, kind, reference, created_at)
         select 'xfr_dep_' || c.id, 'acc_custody', 'acc_w_' || c.uid, $3, 'single', null, 'deposit', c.id, now() from unnest($1::text[], $2::text[]) as c(id, uid)`,
        [instructionIds, ids, depositMinor],
      );
      const moved = await client.query(`update ledger_accounts set debits_posted_minor = debits_posted_minor + $1 where id = 'acc_custody' returning id`, [n * depositMinor]);
      if (moved.rowCount !== 1) throw new Error('the custody account acc_custody does not exist: did the server start on this database?');
      await client.query('commit');
    }
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
  return lenders;
}

/**
 * The raw-SQL baseline's own tables, shaped like the real ones but with nothing else: a guarded wallet
 * (CHECK against overdraft), a bid table with its primary key and listing index (no foreign keys: the
 * minimum a durable bid needs), and a listing row that every bid updates (the hot row).
 */
export async function createBaselineTables(databaseUrl: string, wallets: number, listings: number, creditMinor: number): Promise<void> {
  const c = new pg.Client({ connectionString: databaseUrl, application_name: 'lendbook-bench-seed' });
  await c.connect();
  try {
    await c.query(`
      drop table if exists bench_bids, bench_wallets, bench_listings;
      create table bench_wallets (
        id text primary key,
        credits_posted_minor bigint not null,
        debits_posted_minor bigint not null default 0,
        debits_pending_minor bigint not null default 0,
        check (debits_posted_minor + debits_pending_minor <= credits_posted_minor)
      );
      create table bench_listings (
        id text primary key,
        seq integer not null default 0,
        coverage_minor bigint not null default 0,
        bid_count integer not null default 0
      );
      create table bench_bids (
        id text primary key,
        listing_id text not null,
        lender_id text not null,
        amount_minor bigint not null,
        rate_bps integer not null,
        created_at timestamptz not null
      );
      create index bench_bids_listing_idx on bench_bids (listing_id);`);
    await c.query(`insert into bench_wallets (id, credits_posted_minor) select 'w' || g, $2 from generate_series(0, $1 - 1) g`, [wallets, creditMinor]);
    await c.query(`insert into bench_listings (id) select 'l' || g from generate_series(0, $1 - 1) g`, [listings]);
    await c.query('analyze bench_wallets; analyze bench_listings');
  } finally {
    await c.end();
  }
}

export async function dropBaselineTables(databaseUrl: string): Promise<void> {
  const c = new pg.Client({ connectionString: databaseUrl, application_name: 'lendbook-bench' });
  await c.connect();
  try {
    await c.query('drop table if exists bench_bids, bench_wallets, bench_listings');
  } finally {
    await c.end();
  }
}

/** One bid of the baseline, the minimal durable SQL: conditional wallet debit, bid insert, listing update. */
export async function baselineBid(c: pg.Client, walletId: string, listingId: string, bidId: string, amountMinor: number, rateBps: number): Promise<boolean> {
  await c.query('begin');
  try {
    const w = await c.query({
      name: 'bench_wallet',
      text: `update bench_wallets set debits_pending_minor = debits_pending_minor + $2
             where id = $1 and credits_posted_minor - debits_posted_minor - debits_pending_minor >= $2`,
      values: [walletId, amountMinor],
    });
    if (w.rowCount !== 1) {
      await c.query('rollback');
      return false;
    }
    await c.query({ name: 'bench_bid', text: 'insert into bench_bids (id, listing_id, lender_id, amount_minor, rate_bps, created_at) values ($1, $2, $3, $4, $5, now())', values: [bidId, listingId, walletId, amountMinor, rateBps] });
    await c.query({
      name: 'bench_listing',
      text: 'update bench_listings set seq = seq + 1, coverage_minor = coverage_minor + $2, bid_count = bid_count + 1 where id = $1',
      values: [listingId, amountMinor],
    });
    await c.query('commit');
    return true;
  } catch (err) {
    await c.query('rollback').catch(() => {});
    throw err;
  }
}

/**
 * Completes a listing's book in the database, writing exactly what the server's placeBids writes for
 * accepted bids that outbid no one: the bid rows (priority = the listing's next seq), one pending hold
 * transfer each (lender wallet → borrower wallet) with both accounts' pending sums moved, and the
 * listing's seq, coverage and book summary (computed by the server's own pure computeBook). Only used
 * when placing 10,000 bids through the API would not fit the bench's time budget; the invariants check
 * at the end covers these rows too. No outbox events are written: nobody watches this listing.
 */
export async function seedBids(databaseUrl: string, listingId: string, bids: { lenderId: string; amountMinor: number; rateBps: number }[]): Promise<void> {
  const { computeBook } = await import('../../../src/domain/auction/index.js');
  const c = new pg.Client({ connectionString: databaseUrl, application_name: 'lendbook-bench-seed' });
  c.on('error', () => {});
  await c.connect();
  try {
    await c.query('begin');
    const l = (
      await c.query<{ seq: number; amount_minor: string; max_rate_bps: number; pricing: 'uniform' | 'pay_as_bid'; borrower_user_id: string; open: boolean }>(
        `select seq, amount_minor, max_rate_bps, pricing, borrower_user_id, (status = 'open' and ends_at > now()) as open from listings where id = $1 for update`,
        [listingId],
      )
    ).rows[0];
    if (!l?.open) throw new Error(`listing ${listingId} is no longer open: too late to complete its book`);
    const existing = (await c.query<{ id: string; lender_id: string; amount_minor: string; rate_bps: number; priority: number }>(`select id, lender_id, amount_minor, rate_bps, priority from bids where listing_id = $1 and status = 'active'`, [listingId])).rows;
    const rows = bids.map((b, i) => ({ id: benchId('bid'), lenderId: b.lenderId, amountMinor: b.amountMinor, rateBps: b.rateBps, priority: l.seq + 1 + i }));
    const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
    await c.query(
      `insert into bids (id, listing_id, lender_id, amount_minor, requested_amount_minor, rate_bps, priority, status, fill_minor, hold_id, client_ref, created_at, updated_at)
       select b.id, $1, b.lender, b.amount, b.amount, b.rate, b.priority, 'active', 0, 'xfr_hold_' || b.id, null, now(), now()
       from unnest($2::text[], $3::text[], $4::bigint[], $5::int[], $6::int[]) as b(id, lender, amount, rate, priority)`,
      [listingId, col('id'), col('lenderId'), col('amountMinor'), col('rateBps'), col('priority')],
    );
    await c.query(
      `insert into ledger_transfers (id, debit_account_id, credit_account_id, amount_minor, phase, pending_id, kind, reference, created_at)
       select 'xfr_hold_' || b.id, 'acc_w_' || b.lender, 'acc_w_' || $1::text, b.amount, 'pending', null, 'bid_hold', b.id, now()
       from unnest($2::text[], $3::text[], $4::bigint[]) as b(id, lender, amount)`,
      [l.borrower_user_id, col('id'), col('lenderId'), col('amountMinor')],
    );
    const moved = await c.query(
      `update ledger_accounts a set debits_pending_minor = a.debits_pending_minor + v.amount
       from (select 'acc_w_' || lender as id, sum(amount) as amount from unnest($1::text[], $2::bigint[]) as x(lender, amount) group by lender) v
       where a.id = v.id and a.credits_posted_minor - a.debits_posted_minor - a.debits_pending_minor >= v.amount`,
      [col('lenderId'), col('amountMinor')],
    );
    if (moved.rowCount !== new Set(col('lenderId')).size) throw new Error('a bench lender cannot cover its hold');
    const total = rows.reduce((s, r) => s + r.amountMinor, 0);
    await c.query(`update ledger_accounts set credits_pending_minor = credits_pending_minor + $2 where id = 'acc_w_' || $1::text`, [l.borrower_user_id, total]);
    const book = computeBook(
      { amountMinor: Number(l.amount_minor), maxRateBps: l.max_rate_bps, pricing: l.pricing },
      [...existing.map((b) => ({ id: b.id, lenderId: b.lender_id, amountMinor: Number(b.amount_minor), rateBps: b.rate_bps, priority: b.priority })), ...rows.map((r) => ({ id: r.id, lenderId: r.lenderId, amountMinor: r.amountMinor, rateBps: r.rateBps, priority: r.priority }))],
    );
    if (book.entries.some((e) => !e.winning)) throw new Error('the seeded bids would outbid others: the bench only seeds books that fit the listing');
    await c.query(`update listings set seq = $2, coverage_minor = $3, current_rate_bps = $4, funded_pct = $5, bid_count = $6 where id = $1`, [
      listingId,
      l.seq + rows.length,
      book.coverageMinor,
      book.currentRateBps,
      book.fundedPct,
      book.bidCount,
    ]);
    await c.query('commit');
  } catch (err) {
    await c.query('rollback').catch(() => {});
    throw err;
  } finally {
    await c.end();
  }
}
