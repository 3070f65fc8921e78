import type { Queryable } from '../db/client.js';
import { ledgerInvariants, type InvariantCheck } from '../ledger/invariants.js';
import { loanInvariants } from './loan-invariants.js';
import { marketInvariants } from './market-invariants.js';
import { transferInvariants } from './transfer-invariants.js';
import { claimInvariants } from './claim-invariants.js';
import { guaranteeInvariants } from './guarantee-invariants.js';

export type { InvariantCheck };

/** Checks of one area (ledger, market, loans, note transfers), each recomputed from the tables. */
export type InvariantSource = (q: Queryable) => Promise<InvariantCheck[]>;

const sources: readonly InvariantSource[] = [ledgerInvariants, marketInvariants, loanInvariants, transferInvariants, claimInvariants, guaranteeInvariants];

/** Every invariant of docs/architecture.md, read in one repeatable-read snapshot so the sums agree with each other. */
export async function checkInvariants(db: { transaction: Queryable['transaction'] }): Promise<{ ok: boolean; checks: InvariantCheck[] }> {
  const checks = await db.transaction(
    async (tx) => {
      const all: InvariantCheck[] = [];
      for (const source of sources) all.push(...(await source(tx)));
      return all;
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
  return { ok: checks.every((c) => c.ok), checks };
}
