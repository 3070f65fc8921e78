/**
 * Listing titles by id, for toasts and lists that only carry a listing id (me events, my bids).
 * Fed by every listing the app reads; unknown ids are fetched once.
 */
import { api } from './api.js';
import { Store } from './store.js';
import type { ListingSummary } from './types.js';

export const titles = new Store<ReadonlyMap<string, ListingSummary>>(new Map());
const asked = new Set<string>();

export function rememberListings(items: Iterable<ListingSummary>): void {
  let changed = false;
  const next = new Map(titles.value);
  for (const l of items) {
    const before = next.get(l.id);
    if (!before || before.title !== l.title || before.status !== l.status || before.seq !== l.seq) {
      next.set(l.id, l);
      changed = true;
    }
  }
  if (changed) titles.set(next);
}

export function listingOf(id: string): ListingSummary | undefined {
  const known = titles.value.get(id);
  if (!known && !asked.has(id)) {
    asked.add(id);
    void api
      .listing(id)
      .then((l) => rememberListings([l]))
      .catch(() => undefined);
  }
  return known;
}

export function titleOf(id: string): string {
  return listingOf(id)?.title ?? id;
}
