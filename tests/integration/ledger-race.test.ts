import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { CUSTODY_ACCOUNT, balance, hold, lockAccounts, openWallet, post, transfer, voidHold } from '../../src/ledger/ledger.js';
import { expectInvariants } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';

let storage: TestStorage;
let t: TestApp;
beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage);
});
afterAll(async () => {
  if (t) await expectInvariants(t.app);
  await t?.close();
  await storage?.dispose();
});

/** A deterministic pseudo-random stream, so a failure reproduces. */
function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s % n;
  };
}

describe('concurrent debits', () => {
  it('20 clients × 60 operations on 5 wallets: no overdraft, no lost update, no deadlock', async () => {
    const db = t.app.ctx.db;
    const wallets = await Promise.all(Array.from({ length: 5 }, (_, i) => openWallet(db, `race_${i}`)));
    const at = new Date();
    const START = 1_000_000;
    for (const [i, w] of wallets.entries()) {
      await db.transaction((tx) => transfer(tx, { id: `xfr_race_seed_${i}`, debitAccountId: CUSTODY_ACCOUNT, creditAccountId: w, amountMinor: START, kind: 'deposit', at }));
    }
    // What each successful operation did, to recompute the balances independently.
    const expected = new Map(wallets.map((w) => [w, { dPost: 0, cPost: START, dPend: 0, cPend: 0 }]));
    const counts = { ok: 0, insufficient: 0, other: [] as string[] };
    const CLIENTS = 20;
    const OPS = 60;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        const r = rng(1000 + c);
        for (let k = 0; k < OPS; k++) {
          const from = wallets[r(5)]!;
          let to = wallets[r(5)]!;
          if (to === from) to = wallets[(wallets.indexOf(from) + 1) % 5]!;
          const amount = 1 + r(400_000);
          const id = `xfr_race_${c}_${k}`;
          const op = r(3);
          try {
            await db.transaction(async (tx) => {
              // The service discipline: lock the accounts in id order first.
              await lockAccounts(tx, [from, to]);
              if (op === 0) {
                await transfer(tx, { id, debitAccountId: from, creditAccountId: to, amountMinor: amount, kind: 'transfer', at });
              } else {
                await hold(tx, { id, debitAccountId: from, creditAccountId: to, amountMinor: amount, kind: 'race_hold', at });
                if (op === 1) await post(tx, { id: `${id}_p`, holdId: id, amountMinor: Math.floor(amount / 2), at });
                else await voidHold(tx, { id: `${id}_v`, holdId: id, at });
              }
            });
            counts.ok++;
            const posted = op === 0 ? amount : op === 1 ? Math.floor(amount / 2) : 0;
            expected.get(from)!.dPost += posted;
            expected.get(to)!.cPost += posted;
          } catch (err) {
            if (err instanceof AppError && err.code === 'INSUFFICIENT_FUNDS') counts.insufficient++;
            else counts.other.push(String((err as Error).message ?? err));
          }
        }
      }),
    );
    console.log(`ledger race: ${counts.ok + counts.insufficient} operations, ${counts.ok} applied, ${counts.insufficient} refused for funds, ${counts.other.length} other errors`);
    expect(counts.other).toEqual([]);
    expect(counts.ok + counts.insufficient).toBe(CLIENTS * OPS);
    expect(counts.ok).toBeGreaterThan(100);
    let total = 0;
    for (const w of wallets) {
      const b = await balance(db, w);
      const e = expected.get(w)!;
      expect({ dPost: b.debitsPostedMinor, cPost: b.creditsPostedMinor, dPend: b.debitsPendingMinor, cPend: b.creditsPendingMinor }).toEqual(e);
      expect(b.availableMinor).toBeGreaterThanOrEqual(0);
      total += b.availableMinor;
    }
    expect(total).toBe(5 * START);
  });
});
