/**
 * Second baseline of the bid scenarios: the least a durable bid server can do on this machine. Fastify +
 * `pg`; `POST /bid` takes `{ wallet, listing, id, amountMinor, rateBps }`; the bids that arrive while a
 * transaction runs are committed together in the next one (group commit, whatever their listing), in four
 * set-based statements: lock the listings in id order, debit the wallets from `unnest` arrays where the
 * available balance covers the amount, bump the listings, insert the bids. Then every request of the batch
 * is answered (201, or 409 when its wallet could not cover it). It works on the raw-SQL baseline's tables
 * (`bench_wallets`, `bench_listings`, `bench_bids`). No auction, no ledger, no outbox, no auth: the gap
 * between it and Lendbook is what Lendbook's own work costs.
 */
import Fastify from 'fastify';
import pg from 'pg';

const databaseUrl = process.argv[2];
if (!databaseUrl) throw new Error('usage: group-commit-server.ts <database url>');
const MAX_BATCH = 1000;

interface Pending {
  wallet: string;
  listing: string;
  id: string;
  amountMinor: number;
  rateBps: number;
  resolve: (ok: boolean) => void;
  reject: (err: unknown) => void;
}

const client = new pg.Client({ connectionString: databaseUrl, application_name: 'lendbook-bench-group-commit' });
let queue: Pending[] = [];
let running = false;

async function commitBatch(batch: Pending[]): Promise<void> {
  // One wallet may appear twice in a batch: it pays for all of its bids or none of them.
  const byWallet = new Map<string, number>();
  for (const b of batch) byWallet.set(b.wallet, (byWallet.get(b.wallet) ?? 0) + b.amountMinor);
  const wallets = [...byWallet.keys()].sort();
  await client.query('begin');
  try {
    const listingIds = [...new Set(batch.map((b) => b.listing))].sort();
    await client.query({ name: 'gc_lock', text: 'select id from bench_listings where id = any($1::text[]) order by id for update', values: [listingIds] });
    const debited = await client.query<{ id: string }>({
      name: 'gc_debit',
      text: `update bench_wallets w set debits_pending_minor = w.debits_pending_minor + v.amount
             from unnest($1::text[], $2::bigint[]) as v(id, amount)
             where w.id = v.id and w.credits_posted_minor - w.debits_posted_minor - w.debits_pending_minor >= v.amount
             returning w.id`,
      values: [wallets, wallets.map((w) => byWallet.get(w)!)],
    });
    const paid = new Set(debited.rows.map((r) => r.id));
    const accepted = batch.filter((b) => paid.has(b.wallet));
    const perListing = new Map<string, { n: number; amount: number }>();
    for (const b of accepted) {
      const l = perListing.get(b.listing) ?? { n: 0, amount: 0 };
      l.n++;
      l.amount += b.amountMinor;
      perListing.set(b.listing, l);
    }
    const ls = [...perListing.keys()].sort();
    await client.query({
      name: 'gc_bump',
      text: `update bench_listings l set seq = l.seq + v.n, coverage_minor = l.coverage_minor + v.amount, bid_count = l.bid_count + v.n
             from unnest($1::text[], $2::int[], $3::bigint[]) as v(id, n, amount) where l.id = v.id`,
      values: [ls, ls.map((l) => perListing.get(l)!.n), ls.map((l) => perListing.get(l)!.amount)],
    });
    await client.query({
      name: 'gc_insert',
      text: `insert into bench_bids (id, listing_id, lender_id, amount_minor, rate_bps, created_at)
             select id, listing, wallet, amount, rate, now() from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[]) as b(id, listing, wallet, amount, rate)`,
      values: [accepted.map((b) => b.id), accepted.map((b) => b.listing), accepted.map((b) => b.wallet), accepted.map((b) => b.amountMinor), accepted.map((b) => b.rateBps)],
    });
    await client.query('commit');
    for (const b of batch) b.resolve(paid.has(b.wallet));
  } catch (err) {
    await client.query('rollback').catch(() => {});
    for (const b of batch) b.reject(err);
  }
}

async function drain(): Promise<void> {
  running = true;
  try {
    while (queue.length) {
      const batch = queue.length > MAX_BATCH ? queue.splice(0, MAX_BATCH) : queue;
      if (batch === queue) queue = [];
      await commitBatch(batch);
    }
  } finally {
    running = false;
  }
}

function submit(p: Pending): void {
  queue.push(p);
  // Everything that arrives within this tick joins the batch; later arrivals wait for the next one.
  if (!running) {
    running = true;
    setImmediate(() => void drain());
  }
}

const app = Fastify({ logger: false });
app.post<{ Body: { wallet: string; listing: string; id: string; amountMinor: number; rateBps: number } }>(
  '/bid',
  {
    schema: {
      body: {
        type: 'object',
        required: ['wallet', 'listing', 'id', 'amountMinor', 'rateBps'],
        properties: { wallet: { type: 'string' }, listing: { type: 'string' }, id: { type: 'string' }, amountMinor: { type: 'integer' }, rateBps: { type: 'integer' } },
      },
    },
  },
  async (request, reply) => {
    const b = request.body;
    const ok = await new Promise<boolean>((resolve, reject) => submit({ ...b, resolve, reject }));
    return reply.code(ok ? 201 : 409).send(ok ? { ok: true } : { code: 'INSUFFICIENT_FUNDS' });
  },
);

client.on('error', (err) => {
  process.stderr.write(`pg: ${String(err)}\n`);
  process.exit(1);
});
client
  .connect()
  .then(() => app.listen({ port: 0, host: '127.0.0.1' }))
  .then(
    () => {
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      process.stdout.write(`Group-commit server: http://localhost:${port}\n`);
    },
    (err: unknown) => {
      process.stderr.write(String(err));
      process.exit(1);
    },
  );
process.on('SIGTERM', () => {
  void app.close().then(() => client.end()).then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
