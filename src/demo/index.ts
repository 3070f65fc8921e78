import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import type { AppContext } from '../context.js';
import type { App } from '../http/app.js';
import { rows } from '../db/client.js';
import { listings, merchants, partners, publishableKeys, users } from '../db/schema/index.js';
import { financeableOrders } from '../services/merchants.js';
import { DEMO_LOGINS, DEMO_PASSWORD } from './cast.js';
import { seedDemo, simulationCast, type DemoWorld } from './seed.js';
import { startSimulation } from './simulator.js';
import { startWidgetHost, type WidgetHost } from './widget-host.js';

export interface DemoHandle {
  world: DemoWorld;
  widgetHost: WidgetHost | null;
  stop(): Promise<void>;
}

/** The world of a demo seeded earlier (the database keeps it across restarts). */
async function loadWorld(app: App): Promise<DemoWorld | null> {
  const db = app.ctx.db;
  const [partner] = await db.select().from(partners).where(eq(partners.name, '演示商城 Demo Mall'));
  if (!partner) return null;
  const [key] = await db.select().from(publishableKeys).where(eq(publishableKeys.partnerId, partner.id)).orderBy(asc(publishableKeys.createdAt)).limit(1);
  const refs = await db.select({ ref: merchants.ref }).from(merchants).where(eq(merchants.partnerId, partner.id)).orderBy(asc(merchants.ref));
  const borrowers = await rows<{ id: string }>(db, sql`select u.id from users u join merchants m on m.id = u.merchant_id where m.partner_id = ${partner.id} order by m.ref`);
  const lenders = await db.select({ id: users.id }).from(users).where(eq(users.role, 'lender')).orderBy(asc(users.createdAt));
  return { partnerId: partner.id, publishableKey: key?.key ?? '', merchantRefs: refs.map((r) => r.ref), borrowerIds: borrowers.map((b) => b.id), lenderIds: lenders.map((l) => l.id), ...(await simulationCast(app.ctx)) };
}

/**
 * The live demo of `npm start`: seeds an empty database (before the server takes traffic, so that the
 * history it writes on a past clock is not raced by the real one), then keeps the market moving, and
 * serves the widget demo page on the next port (another origin, as a partner's page would be).
 */
export async function prepareDemo(app: App, widgetPort: number, onSeeding?: () => void): Promise<{ start(lendbookUrl: string): Promise<DemoHandle> } | null> {
  const ctx = app.ctx;
  if (!ctx.config.demo) return null;
  const widgetOrigin = `http://localhost:${widgetPort}`;
  const seeded = (await seedDemo(ctx, { widgetOrigins: [widgetOrigin, `http://127.0.0.1:${widgetPort}`], ...(onSeeding ? { onSeeding } : {}) })) ?? (await loadWorld(app));
  if (!seeded) return null;
  const world = seeded;
  return {
    async start(lendbookUrl: string) {
      const stopSimulation = ctx.config.demoSimulation ? startSimulation(ctx, world) : () => undefined;
      let widgetHost: WidgetHost | null = null;
      try {
        const [merchant] = await ctx.db.select().from(merchants).where(eq(merchants.ref, world.merchantRefs[0] ?? '')).limit(1);
        const orders = merchant ? await financeableOrders(ctx.db, merchant.id, ctx.clock.nowMs(), ctx.settings.get()) : [];
        widgetHost = await startWidgetHost({
          lendbookUrl,
          port: widgetPort,
          publishableKey: world.publishableKey,
          merchantRef: world.merchantRefs[0] ?? '',
          listingId: '',
          featuredListing: () => featuredListing(ctx),
          orderId: orders[0]?.orderId ?? '',
          // The same interface as the app: HOST=127.0.0.1 keeps both off the network.
          listenHost: ctx.config.host,
          shopName: merchant?.name ?? 'Demo shop',
          ...(orders[0] ? { orderAmountMinor: orders[0].amountMinor } : {}),
        });
      } catch (err) {
        ctx.log.warn({ err }, 'demo: the widget page could not start');
      }
      return {
        world,
        widgetHost,
        async stop() {
          stopSimulation();
          await widgetHost?.close();
        },
      };
    },
  };
}

/**
 * The listing the partner page's live panel shows: the open listing ending soonest among those with at
 * least a minute and a half left (something happens soon, and it is not about to end), else the one
 * ending last. Null when none is open.
 */
export async function featuredListing(ctx: AppContext): Promise<string | null> {
  const now = ctx.clock.nowMs();
  const [soon] = await ctx.db.select({ id: listings.id }).from(listings).where(and(eq(listings.status, 'open'), gt(listings.endsAt, new Date(now + FEATURED_MIN_LEFT_MS)))).orderBy(asc(listings.endsAt)).limit(1);
  if (soon) return soon.id;
  const [last] = await ctx.db.select({ id: listings.id }).from(listings).where(and(eq(listings.status, 'open'), gt(listings.endsAt, new Date(now)))).orderBy(desc(listings.endsAt)).limit(1);
  return last?.id ?? null;
}

const FEATURED_MIN_LEFT_MS = 90_000;

export { DEMO_LOGINS, DEMO_PASSWORD };
