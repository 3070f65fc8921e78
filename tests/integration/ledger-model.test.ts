import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { CUSTODY_ACCOUNT, balance, hold, openWallet, post, transfer, voidHold } from '../../src/ledger/ledger.js';
import { expectInvariants } from './helpers/api.js';
import { createTestStorage, startApp, type TestApp, type TestStorage } from './helpers/env.js';
import { checkInvariants } from '../../src/services/invariants.js';

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

/** The pure model: each account's four sums, and each hold's state. */
interface ModelAccount {
  dPend: number;
  dPost: number;
  cPend: number;
  cPost: number;
  guarded: boolean;
}
interface ModelHold {
  id: string;
  debit: string;
  credit: string;
  amount: number;
  state: 'pending' | 'posted' | 'voided';
}

type Command =
  | { kind: 'deposit'; to: number; amount: number }
  | { kind: 'withdraw'; from: number; amount: number }
  | { kind: 'transfer'; from: number; to: number; amount: number }
  | { kind: 'hold'; from: number; to: number; amount: number }
  | { kind: 'post'; holdIndex: number; fraction: number }
  | { kind: 'void'; holdIndex: number }
  | { kind: 'replay' };

const WALLETS = 4;
const amount = fc.integer({ min: 1, max: 500_000 });
const wallet = fc.integer({ min: 0, max: WALLETS - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), to: wallet, amount }),
  fc.record({ kind: fc.constant('withdraw' as const), from: wallet, amount }),
  fc.record({ kind: fc.constant('transfer' as const), from: wallet, to: wallet, amount }),
  fc.record({ kind: fc.constant('hold' as const), from: wallet, to: wallet, amount }),
  fc.record({ kind: fc.constant('post' as const), holdIndex: fc.nat(), fraction: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ kind: fc.constant('void' as const), holdIndex: fc.nat() }),
  fc.constant({ kind: 'replay' as const }),
);

describe('ledger against a pure model', () => {
  it('after every step the database equals the model and the invariants hold', async () => {
    let sequences = 0;
    let commands = 0;
    let seqNo = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 40 }), async (cmds) => {
        sequences++;
        seqNo++;
        const db = t.app.ctx.db;
        const at = new Date();
        const ids = Array.from({ length: WALLETS }, (_, i) => `acc_w_model${seqNo}_${i}`);
        const model = new Map<string, ModelAccount>();
        for (let i = 0; i < WALLETS; i++) {
          await db.execute(sql`insert into ledger_accounts (id, kind, owner_user_id, debits_must_not_exceed_credits) values (${ids[i]}, 'wallet', ${`model${seqNo}_${i}`}, true)`);
          model.set(ids[i]!, { dPend: 0, dPost: 0, cPend: 0, cPost: 0, guarded: true });
        }
        const custodyBefore = await balance(db, CUSTODY_ACCOUNT);
        const custody = { dPend: 0, dPost: 0, cPend: 0, cPost: 0 };
        const holds: ModelHold[] = [];
        const available = (id: string) => {
          const a = model.get(id)!;
          return a.cPost - a.dPost - a.dPend;
        };
        let lastSingle: { id: string; from: string; to: string; amount: number } | undefined;
        let n = 0;
        for (const cmd of cmds) {
          commands++;
          n++;
          const tid = `xfr_model_${seqNo}_${n}`;
          let expected: 'ok' | 'INSUFFICIENT_FUNDS' | 'skip' = 'ok';
          let run: (() => Promise<unknown>) | undefined;
          switch (cmd.kind) {
            case 'deposit': {
              const to = ids[cmd.to]!;
              run = () => db.transaction((tx) => transfer(tx, { id: tid, debitAccountId: CUSTODY_ACCOUNT, creditAccountId: to, amountMinor: cmd.amount, kind: 'deposit', at }));
              model.get(to)!.cPost += cmd.amount;
              custody.dPost += cmd.amount;
              lastSingle = { id: tid, from: CUSTODY_ACCOUNT, to, amount: cmd.amount };
              break;
            }
            case 'withdraw':
            case 'transfer': {
              const from = ids[cmd.from]!;
              const to = cmd.kind === 'withdraw' ? CUSTODY_ACCOUNT : ids[cmd.to]!;
              if (from === to) {
                expected = 'skip';
                break;
              }
              run = () => db.transaction((tx) => transfer(tx, { id: tid, debitAccountId: from, creditAccountId: to, amountMinor: cmd.amount, kind: cmd.kind, at }));
              if (available(from) < cmd.amount) expected = 'INSUFFICIENT_FUNDS';
              else {
                model.get(from)!.dPost += cmd.amount;
                if (to === CUSTODY_ACCOUNT) custody.cPost += cmd.amount;
                else model.get(to)!.cPost += cmd.amount;
                lastSingle = { id: tid, from, to, amount: cmd.amount };
              }
              break;
            }
            case 'hold': {
              const from = ids[cmd.from]!;
              const to = ids[cmd.to]!;
              if (from === to) {
                expected = 'skip';
                break;
              }
              run = () => db.transaction((tx) => hold(tx, { id: tid, debitAccountId: from, creditAccountId: to, amountMinor: cmd.amount, kind: 'model_hold', at }));
              if (available(from) < cmd.amount) expected = 'INSUFFICIENT_FUNDS';
              else {
                model.get(from)!.dPend += cmd.amount;
                model.get(to)!.cPend += cmd.amount;
                holds.push({ id: tid, debit: from, credit: to, amount: cmd.amount, state: 'pending' });
              }
              break;
            }
            case 'post':
            case 'void': {
              if (holds.length === 0) {
                expected = 'skip';
                break;
              }
              const h = holds[cmd.holdIndex % holds.length]!;
              if (cmd.kind === 'post') {
                const amountToPost = Math.floor((h.amount * cmd.fraction) / 100);
                const result = h.state === 'pending' ? 'created' : h.state === 'posted' ? 'exists' : 'HOLD_NOT_PENDING';
                run = async () => {
                  const r = await db.transaction((tx) => post(tx, { id: `${tid}_p`, holdId: h.id, amountMinor: amountToPost, at }));
                  expect(r).toBe(result);
                };
                if (result === 'HOLD_NOT_PENDING') {
                  run = async () => {
                    await expect(db.transaction((tx) => post(tx, { id: `${tid}_p`, holdId: h.id, amountMinor: amountToPost, at }))).rejects.toMatchObject({ code: 'HOLD_NOT_PENDING' });
                  };
                } else if (result === 'created') {
                  model.get(h.debit)!.dPend -= h.amount;
                  model.get(h.credit)!.cPend -= h.amount;
                  model.get(h.debit)!.dPost += amountToPost;
                  model.get(h.credit)!.cPost += amountToPost;
                  h.state = 'posted';
                }
              } else {
                const result = h.state === 'pending' ? 'created' : h.state === 'voided' ? 'exists' : 'HOLD_NOT_PENDING';
                run = async () => {
                  if (result === 'HOLD_NOT_PENDING') {
                    await expect(db.transaction((tx) => voidHold(tx, { id: `${tid}_v`, holdId: h.id, at }))).rejects.toMatchObject({ code: 'HOLD_NOT_PENDING' });
                  } else {
                    expect(await db.transaction((tx) => voidHold(tx, { id: `${tid}_v`, holdId: h.id, at }))).toBe(result);
                  }
                };
                if (result === 'created') {
                  model.get(h.debit)!.dPend -= h.amount;
                  model.get(h.credit)!.cPend -= h.amount;
                  h.state = 'voided';
                }
              }
              break;
            }
            case 'replay': {
              // The same transfer id again: `exists` with the same fields, a conflict with others.
              if (!lastSingle) {
                expected = 'skip';
                break;
              }
              const last = lastSingle;
              run = async () => {
                const same = await db.transaction((tx) => transfer(tx, { id: last.id, debitAccountId: last.from, creditAccountId: last.to, amountMinor: last.amount, kind: last.from === CUSTODY_ACCOUNT ? 'deposit' : last.to === CUSTODY_ACCOUNT ? 'withdraw' : 'transfer', at }));
                expect(same).toBe('exists');
                await expect(db.transaction((tx) => transfer(tx, { id: last.id, debitAccountId: last.from, creditAccountId: last.to, amountMinor: last.amount + 1, kind: 'other', at }))).rejects.toMatchObject({ code: 'TRANSFER_CONFLICT' });
              };
              break;
            }
          }
          if (expected === 'skip' || !run) continue;
          if (expected === 'INSUFFICIENT_FUNDS') {
            await expect(run()).rejects.toBeInstanceOf(AppError);
          } else {
            await run();
          }
          for (const id of ids) {
            const b = await balance(db, id);
            const m = model.get(id)!;
            expect({ dPend: b.debitsPendingMinor, dPost: b.debitsPostedMinor, cPend: b.creditsPendingMinor, cPost: b.creditsPostedMinor }).toEqual({ dPend: m.dPend, dPost: m.dPost, cPend: m.cPend, cPost: m.cPost });
            expect(b.availableMinor).toBeGreaterThanOrEqual(0);
          }
          const c = await balance(db, CUSTODY_ACCOUNT);
          expect(c.debitsPostedMinor - custodyBefore.debitsPostedMinor).toBe(custody.dPost);
          expect(c.creditsPostedMinor - custodyBefore.creditsPostedMinor).toBe(custody.cPost);
        }
        const inv = await checkInvariants(db);
        expect(inv.checks.filter((x) => !x.ok)).toEqual([]);
      }),
      { numRuns: Number(process.env.LEDGER_MODEL_RUNS ?? 60), seed: Number(process.env.FC_SEED ?? 20261129) },
    );
    console.log(`ledger model: ${sequences} sequences, ${commands} commands, 0 invariant violations`);
    expect(sequences).toBeGreaterThan(0);
  });

  it('the database refuses an overdraft even if code tried one (CHECK constraint)', async () => {
    const db = t.app.ctx.db;
    const id = await openWallet(db, 'usr_check_constraint_test');
    const err = await db.execute(sql`update ledger_accounts set debits_posted_minor = 1 where id = ${id}`).then(
      () => undefined,
      (e: { cause?: { message?: string } }) => e,
    );
    expect(err?.cause?.message).toMatch(/ledger_accounts_no_overdraft/);
    const b = await balance(db, id);
    expect(b.debitsPostedMinor).toBe(0);
  });
});
