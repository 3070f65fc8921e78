import { html, nothing } from 'lit';
import '../src/components/listing-status.js';
import type { ListingStatusData } from '../src/components/listing-status.js';
import type { Change, ListingLiveState } from '../src/lib/live.js';
import type { ListingSummary } from '../src/lib/types.js';
import { LISTING_PARTS, LendbookWidget, appUrl, widgetGet } from './core.js';

/** The public summary of a listing as the widgets report it in their events (no book, no bids). */
export type WidgetListing = ListingSummary;

const SUMMARY_KEYS: readonly (keyof ListingSummary)[] = [
  'id', 'title', 'purpose', 'merchantName', 'grade', 'score', 'expectedLossBps', 'amountMinor', 'currency', 'termMonths', 'repayment', 'product', 'pricing',
  'maxRateBps', 'minFundingPct', 'closeWhenFunded', 'status', 'seq', 'endsAt', 'originalEndsAt', 'extended', 'createdAt', 'closedAt', 'coverageMinor', 'fundedPct',
  'currentRateBps', 'bidCount', 'loanId',
];

/** The summary fields of a live listing state (the snapshot carries more: book, bids, reasons…). */
export function summaryOf(listing: ListingSummary): WidgetListing {
  const out: Record<string, unknown> = {};
  for (const k of SUMMARY_KEYS) if (k in listing) out[k] = listing[k];
  return out as unknown as WidgetListing;
}

const SHOWN: readonly (keyof ListingStatusData)[] = ['status', 'currentRateBps', 'fundedPct', 'bidCount', 'endsAt', 'coverageMinor', 'title', 'minFundingPct'];

/** Whether what a card shows differs between two versions of a listing. */
export function shownChanged(a: ListingStatusData | null, b: ListingStatusData): boolean {
  return !a || SHOWN.some((k) => a[k] !== b[k]);
}

/** The live channel's state, or null when the event says nothing about the listing shown. */
export function liveListing(state: ListingLiveState, change: Change): WidgetListing | null {
  if (change.type === 'error') return null;
  return summaryOf(state.listing);
}

/**
 * `<lendbook-listing listing-id="lst_…" data-key="pub_…">`: the live status of one listing — grade,
 * amount and term, current rate, funded %, bids, time left — updated over the public `listing:<id>`
 * channel. Attribute `compact` for a smaller card.
 *
 * Events: `lendbook-ready` {widget: 'listing', listingId, listing}, `lendbook-update` {widget,
 * listingId, listing, event}, `lendbook-error` {widget, code, status, message}.
 */
export class LendbookListing extends LendbookWidget {
  static override properties = {
    ...LendbookWidget.properties,
    listingId: { type: String, attribute: 'listing-id' },
    compact: { type: Boolean, reflect: true },
    listing: { state: true },
  };
  declare listingId: string;
  declare compact: boolean;
  declare listing: WidgetListing | null;
  readonly widget = 'listing' as const;

  constructor() {
    super();
    this.listingId = '';
    this.compact = false;
    this.listing = null;
  }

  protected target() {
    const id = this.listingId?.trim();
    return id ? { id } : { missing: ['listing-id'] };
  }

  protected reset(): void {
    this.listing = null;
  }

  protected async load(signal: AbortSignal, gen: number): Promise<void> {
    const listingId = this.listingId.trim();
    const listing = summaryOf(await widgetGet('/api/v1/widgets/listings/{id}', { id: listingId }, this.key.trim(), signal));
    if (gen !== this.generation) return;
    this.listing = listing;
    this.ready({ listingId, listing }, gen);
    this.own(
      this.live().listing(listingId, (state, change) => {
        if (gen !== this.generation) return;
        const next = liveListing(state, change);
        if (!next || (this.listing && next.seq < this.listing.seq)) return;
        const changed = shownChanged(this.listing, next);
        this.listing = next;
        if (changed) this.emit('lendbook-update', { widget: this.widget, listingId, listing: next, event: change.type === 'event' ? change.event : 'snapshot' }, gen);
      }),
    );
  }

  protected renderData() {
    const l = this.listing;
    if (!l) return nothing;
    return html`<lb-listing-status .listing=${l} href=${appUrl(`listing/${encodeURIComponent(l.id)}`)} target="_blank" ?compact=${this.compact} exportparts=${LISTING_PARTS}></lb-listing-status>
      ${this.renderBrand(appUrl(`listing/${encodeURIComponent(l.id)}`))}`;
  }
}
