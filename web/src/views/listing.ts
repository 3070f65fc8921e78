import '../components/guarantee-badge.js';
import { Announcer } from '../lib/a11y.js';
import { html, nothing, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import '../components/countdown.js';
import '../components/depth-chart.js';
import '../components/funded-bar.js';
import '../components/grade.js';
import { api, ApiError, errorText, IdempotentAction } from '../lib/api.js';
import { bpsToInput, date, dateTime, minorToInput, money, parseMoney, parseRate, rate, serverNow, term, time } from '../lib/format.js';
import { chainOf } from '../components/claim-chain.js';
import { locale, t } from '../lib/i18n.js';
import type { Change, ListingLiveState, LiveBid } from '../lib/live.js';
import { LiveError } from '../lib/live.js';
import { connection, live, session } from '../lib/session.js';
import { simulateAmend, simulateBid, type Simulation } from '../lib/simulate.js';
import { rememberListings } from '../lib/titles.js';
import { problemText } from '../lib/problem-text.js';
import { toast } from '../lib/toasts.js';
import { REPAYMENTS, type BidView, type ListingGuarantee, type Repayment, type SchedulePeriod, type SchedulePreview } from '../lib/types.js';
import type { LiveListing } from '../lib/live.js';
import { View, errorBox } from './view.js';

/** The schedule terms of a listing for the preview: its months and repayment, or a claim-backed bullet's maturity. */
function termsOf(l: LiveListing): { disbursedOn: string } & ({ maturesOn: string } | { termMonths: number; repayment: Repayment }) {
  const disbursedOn = l.endsAt.slice(0, 10);
  if (l.maturesOn) return { maturesOn: l.maturesOn, disbursedOn };
  const repayment = REPAYMENTS.find((r) => r === l.repayment);
  // Only a claim-backed listing (with maturesOn) is repaid in one bullet; the callers show no preview then.
  if (!repayment || l.termMonths === null) throw new Error(`listing ${l.id} has no monthly terms`);
  return { termMonths: l.termMonths, repayment, disbursedOn };
}

interface TapeItem {
  key: number;
  at: number;
  text: string;
  tone: '' | 'good' | 'bad' | 'warn';
  amount?: string;
  mine?: boolean;
}

/** One of the snapshot's recent events as a line of the activity feed. */
function recentItem(e: { type: string; amountMinor?: number; rateBps?: number }): Omit<TapeItem, 'key' | 'at'> {
  const amount = e.amountMinor !== undefined && e.rateBps !== undefined ? `${money(e.amountMinor, { trimZeroFen: true })} @ ${rate(e.rateBps)}` : undefined;
  switch (e.type) {
    case 'bid.accepted':
      return { text: t('tape.accepted'), tone: 'good', ...(amount ? { amount } : {}) };
    case 'bid.outbid':
      return { text: t('tape.outbid'), tone: 'bad', ...(amount ? { amount } : {}) };
    case 'listing.cleared':
      return { text: t('tape.cleared', { rate: rate(e.rateBps ?? 0) }), tone: 'good' };
    case 'listing.failed':
      return { text: t('tape.failed'), tone: 'bad' };
    default:
      return { text: t('tape.withdrawn'), tone: 'bad' };
  }
}

/** Earnings of a candidate: the note's schedule at the rate it would get. */
interface Earnings {
  key: string;
  preview: SchedulePreview | null;
  error: unknown;
}

/**
 * One listing, live: the book as a depth chart and by level, the current rate, funded %, time left with
 * soft-close extensions, an event tape, the borrower's rating reasons, collateral and the schedule; and
 * the bid ticket, which shows before sending whether the bid would win now and what it would earn.
 */
export class ListingView extends View {
  static override properties = {
    ...View.properties,
    detail: { state: true },
    liveState: { state: true },
    error: { state: true },
    myBid: { state: true },
    mine: { state: true },
    amountText: { state: true },
    rateText: { state: true },
    amendText: { state: true },
    sending: { state: true },
    ticketError: { state: true },
    earnings: { state: true },
    schedule: { state: true },
  };
  declare detail: LiveListing | null;
  declare liveState: ListingLiveState | null;
  declare error: unknown;
  declare myBid: BidView | null;
  declare mine: boolean;
  declare amountText: string;
  declare rateText: string;
  declare amendText: string;
  declare sending: boolean;
  declare ticketError: unknown;
  declare earnings: Earnings | null;
  declare schedule: SchedulePreview | null;

  private tape: TapeItem[] = [];
  private rateMoves = 0;
  /** Until the lender types a rate, the ticket follows the book with a rate that would be accepted. */
  private rateTouched = false;
  private tapeKey = 0;
  private levelFlash = new Map<number, number>();
  private offLive: (() => void) | undefined;
  private subscribedId = '';
  private earningsTimer: ReturnType<typeof setTimeout> | undefined;
  private earningsAbort: AbortController | undefined;
  private scheduleRateBps = -1;
  private readonly bidAction = new IdempotentAction<{ listingId: string; amountMinor: number; rateBps: number }>();
  // What a screen reader hears of the live page: one polite region each, state changes only, at most one
  // announcement per 5 s (a busy auction would otherwise talk over the lender filling in the ticket).
  private readonly rateAnnouncer = new Announcer((text) => this.announce('rate', text));
  private readonly bookAnnouncer = new Announcer((text) => this.announce('book', text));
  private unspokenEvents = 0;
  private readonly activityAnnouncer = new Announcer((text) => {
    this.unspokenEvents = 0;
    this.announce('activity', text);
  });
  /** The ticket's verdict, once the lender stops typing. */
  private readonly verdictAnnouncer = new Announcer((text) => this.announce('verdict', text), { gapMs: 0, settleMs: 700 });

  constructor() {
    super();
    this.detail = null;
    this.liveState = null;
    this.error = null;
    this.myBid = null;
    this.mine = false;
    this.amountText = '';
    this.rateText = '';
    this.amendText = '';
    this.sending = false;
    this.ticketError = null;
    this.earnings = null;
    this.schedule = null;
  }

  private get listingId(): string {
    return this.params.id ?? '';
  }

  private announce(region: string, text: string): void {
    const el = this.querySelector(`[data-testid="announce-${region}"]`);
    if (el) el.textContent = text;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.own(() => {
      for (const a of [this.rateAnnouncer, this.bookAnnouncer, this.activityAnnouncer, this.verdictAnnouncer]) a.dispose();
      this.offLive?.();
      clearTimeout(this.earningsTimer);
      this.earningsAbort?.abort();
    });
    // While the socket is down, keep the page fresh over HTTP.
    const poll = setInterval(() => {
      if (connection.value.state !== 'open' || !this.liveState) void this.fetch(true);
    }, 5000);
    this.own(() => clearInterval(poll));
    this.own(live.me((_s, change) => this.onMe(change)));
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('params') && this.listingId && this.listingId !== this.subscribedId) this.open();
  }

  private open(): void {
    this.offLive?.();
    this.subscribedId = this.listingId;
    this.detail = null;
    this.liveState = null;
    this.error = null;
    this.tape = [];
    this.rateTouched = false;
    this.rateText = '';
    this.myBid = null;
    this.mine = false;
    void this.fetch(false);
    void this.fetchMine();
    this.offLive = live.listing(this.listingId, (state, change) => this.onLive(state, change));
  }

  private async fetch(quiet: boolean): Promise<void> {
    try {
      const d = await api.listing(this.listingId);
      if (d.id !== this.subscribedId) return;
      if (!this.liveState || connection.value.state !== 'open') this.detail = d;
      // The channel's snapshot predates the loan: its loanId (null) must not hide the one HTTP now has.
      else this.detail = { ...d, ...this.liveState.listing, loanId: this.liveState.listing.loanId ?? d.loanId, ratingReasons: d.ratingReasons, collateral: d.collateral, schedulePreview: d.schedulePreview };
      rememberListings([d]);
      // The activity feed opens with the listing's last events, then follows it live.
      if (this.tape.length === 0 && d.recentEvents?.length) this.tape = d.recentEvents.map((e) => ({ key: ++this.tapeKey, at: Date.parse(e.at), ...recentItem(e) }));
      this.error = null;
      if (!this.amountText) this.amountText = minorToInput(Math.min(d.amountMinor, 100_000));
      if (!this.rateText) this.rateText = bpsToInput(this.suggestedRate(d));
      document.title = `${d.title} · Lendbook`;
    } catch (err) {
      if (!quiet || !this.detail) this.error = err;
    }
  }

  /** A rate that would be accepted now: under the marginal rate of a covered book, else a little under the maximum. */
  private suggestedRate(l: LiveListing): number {
    const bids = l.bids ?? [];
    const covered = l.coverageMinor >= l.amountMinor;
    const marginal = covered ? bids.filter((b) => b.fillMinor > 0).reduce((m, b) => Math.max(m, b.rateBps), 0) : 0;
    return Math.max(1, covered && marginal ? marginal - 5 : l.maxRateBps - 50);
  }

  /** The lender's active bid on this listing, or whether this is the borrower's own listing. */
  private async fetchMine(): Promise<void> {
    const user = session.value.user;
    try {
      if (user?.role === 'lender') {
        const page = await api.myBids({ status: 'winning', limit: 100 });
        const mine = page.items.find((b) => b.listingId === this.listingId) ?? null;
        if (mine && (!this.myBid || this.myBid.id !== mine.id || this.myBid.rateBps !== mine.rateBps)) this.amendText = bpsToInput(Math.max(1, mine.rateBps - 1));
        this.myBid = mine;
      } else if (user?.role === 'borrower') {
        const page = await api.myListings();
        this.mine = page.items.some((l) => l.id === this.listingId);
      }
    } catch {
      /* the page works without it */
    }
  }

  private get effective(): LiveListing | null {
    if (this.liveState) return { ...(this.detail ?? {}), ...this.liveState.listing, loanId: this.liveState.listing.loanId ?? this.detail?.loanId ?? null } as LiveListing;
    return this.detail;
  }

  private liveBids(): LiveBid[] {
    if (this.liveState) return [...this.liveState.bids.values()];
    return (this.detail?.bids ?? []).map((b) => ({ bidId: b.bidId, amountMinor: b.amountMinor, rateBps: b.rateBps, priority: b.priority }));
  }

  private onLive(state: ListingLiveState, change: Change): void {
    if (change.type === 'error') {
      if (change.code === 'NOT_FOUND' || change.code === 'WS_CHANNEL_UNKNOWN') this.error = new ApiError(404, 'NOT_FOUND', change.detail);
      return;
    }
    const before = this.liveState;
    if (before && before.listing.currentRateBps !== state.listing.currentRateBps) this.rateMoves++;
    this.liveState = state;
    rememberListings([state.listing]);
    if (!this.rateTouched) this.rateText = bpsToInput(this.suggestedRate(state.listing));
    if (change.type === 'event') this.onEvent(change.event, change.data, state);
    else if (before && before.seq !== state.seq) this.pushTape({ text: t('tape.resynced'), tone: '' });
    this.scheduleEarnings();
    const l = state.listing;
    this.rateAnnouncer.say(t('announce.rate', { rate: rate(l.currentRateBps), funded: l.fundedPct }));
    const levels = new Set([...state.bids.values()].map((b) => b.rateBps)).size;
    this.bookAnnouncer.say(t('announce.book', { levels, bids: state.bids.size, coverage: money(state.book.coverageMinor, { trimZeroFen: true }) }));
  }

  private pushTape(item: Omit<TapeItem, 'key' | 'at'>): void {
    this.tape = [{ ...item, key: ++this.tapeKey, at: Date.now() }, ...this.tape].slice(0, 60);
    this.unspokenEvents++;
    const latest = `${item.text}${item.amount ? ` ${item.amount}` : ''}`;
    // The key keeps two like events apart: each is news. The region reads only the text.
    this.activityAnnouncer.say(this.unspokenEvents > 1 ? t('announce.activityMany', { n: this.unspokenEvents, latest }) : t('announce.activity', { latest }));
  }

  private onEvent(event: string, data: unknown, state: ListingLiveState): void {
    const d = (data ?? {}) as Record<string, unknown>;
    const n = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : 0);
    const mine = this.myBid !== null && d.bidId === this.myBid.id;
    const flash = (r: number) => this.levelFlash.set(r, (this.levelFlash.get(r) ?? 0) + 1);
    switch (event) {
      case 'bid.accepted':
        flash(n('rateBps'));
        this.pushTape({ text: mine ? t('tape.yourBid') : t('tape.accepted'), amount: `${money(n('amountMinor'), { trimZeroFen: true })} @ ${rate(n('rateBps'))}`, tone: 'good', mine });
        break;
      case 'bid.outbid':
        this.pushTape({ text: mine ? t('tape.yourOutbid') : t('tape.outbid'), amount: `${money(n('amountMinor'), { trimZeroFen: true })} @ ${rate(n('rateBps'))}`, tone: 'bad', mine });
        if (mine) void this.fetchMine();
        break;
      case 'bid.amended':
        flash(n('toRateBps'));
        this.pushTape({ text: t('tape.amended', { from: rate(n('fromRateBps')), to: rate(n('toRateBps')) }), amount: money(n('amountMinor'), { trimZeroFen: true }), tone: '', mine });
        break;
      case 'listing.extended':
        this.pushTape({ text: t('tape.extended', { time: time(String(d.endsAt ?? state.listing.endsAt)) }), tone: 'warn' });
        break;
      case 'listing.cleared':
        this.pushTape({ text: t('tape.cleared', { rate: rate(n('borrowerRateBps')) }), amount: money(n('principalMinor'), { trimZeroFen: true }), tone: 'good' });
        void this.fetch(true);
        void this.fetchMine();
        break;
      case 'listing.failed':
        this.pushTape({ text: t('tape.failed'), tone: 'bad' });
        break;
      case 'listing.withdrawn':
        this.pushTape({ text: t('tape.withdrawn'), tone: 'bad' });
        break;
      default:
        break;
    }
  }

  private onMe(change: Change): void {
    if (change.type !== 'event') return;
    const d = (change.data ?? {}) as Record<string, unknown>;
    if (d.listingId === this.listingId && (change.event === 'bid.outbid' || change.event === 'bid.filled' || change.event === 'bid.released' || change.event === 'autobid.placed')) void this.fetchMine();
  }

  // ---- the ticket ----

  private lenderContext() {
    const user = session.value.user;
    if (!user || user.role !== 'lender') return undefined;
    return {
      kycVerified: user.kyc.status === 'verified',
      riskProfile: user.kyc.riskProfile,
      availableMinor: session.value.wallet?.availableMinor ?? null,
      activeBidId: this.myBid && this.myBid.status === 'winning' ? this.myBid.id : null,
    };
  }

  private simulation(): { sim: Simulation | null; amountMinor: number | null; rateBps: number | null; amend: boolean } {
    const l = this.effective;
    if (!l) return { sim: null, amountMinor: null, rateBps: null, amend: false };
    const lender = this.lenderContext();
    const base = { listing: l, bids: this.liveBids(), nowMs: serverNow(), ...(lender ? { lender } : {}) };
    if (lender?.activeBidId) {
      const rateBps = parseRate(this.amendText);
      if (rateBps === null) return { sim: null, amountMinor: null, rateBps: null, amend: true };
      return { sim: simulateAmend(base, lender.activeBidId, rateBps), amountMinor: this.myBid?.amountMinor ?? null, rateBps, amend: true };
    }
    const amountMinor = parseMoney(this.amountText);
    const rateBps = parseRate(this.rateText);
    if (amountMinor === null || rateBps === null) return { sim: null, amountMinor, rateBps, amend: false };
    return { sim: simulateBid(base, { amountMinor, rateBps }), amountMinor, rateBps, amend: false };
  }

  /** Fetches the schedule the candidate would get (debounced): its fill at the rate it would get. */
  private scheduleEarnings(): void {
    clearTimeout(this.earningsTimer);
    this.earningsTimer = setTimeout(() => void this.loadEarnings(), 250);
  }

  private async loadEarnings(): Promise<void> {
    const l = this.effective;
    if (!l) return;
    // the listing's own schedule preview follows its current rate
    if (l.currentRateBps !== this.scheduleRateBps) {
      this.scheduleRateBps = l.currentRateBps;
      try {
        this.schedule = await api.schedulePreview({ amountMinor: l.amountMinor, rateBps: l.currentRateBps, ...termsOf(l) });
      } catch {
        this.scheduleRateBps = -1;
      }
    }
    const { sim } = this.simulation();
    if (!sim || sim.verdict === 'reject' || sim.fillMinor <= 0) {
      this.earnings = null;
      return;
    }
    const key = `${sim.fillMinor}:${sim.rateBps}:${term(l)}:${l.repayment}`;
    if (this.earnings?.key === key) return;
    this.earningsAbort?.abort();
    const abort = new AbortController();
    this.earningsAbort = abort;
    try {
      const preview = await api.schedulePreview({ amountMinor: sim.fillMinor, rateBps: sim.rateBps, ...termsOf(l) }, abort.signal);
      this.earnings = { key, preview, error: null };
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      this.earnings = { key, preview: null, error: err };
    }
  }

  private onTicketInput(): void {
    this.ticketError = null;
    this.scheduleEarnings();
  }

  private async submitBid(e: Event): Promise<void> {
    e.preventDefault();
    const l = this.effective;
    const { sim, amountMinor, rateBps, amend } = this.simulation();
    if (this.sending) return;
    // The button stays reachable when the bid cannot go (aria-disabled): pressing it goes to the field to fix.
    if (!l || !sim || sim.verdict === 'reject' || rateBps === null || (!amend && amountMinor === null) || l.status !== 'open') {
      const field = this.querySelector<HTMLInputElement>('[data-testid="bid-ticket"] input[aria-invalid="true"]') ?? this.querySelector<HTMLInputElement>('[data-testid="bid-ticket"] input');
      field?.focus();
      return;
    }
    this.sending = true;
    this.ticketError = null;
    try {
      if (amend && this.myBid) {
        const bidId = this.myBid.id;
        const result = connection.value.state === 'open' ? await live.amend({ bidId, rateBps }) : await api.amendBid(bidId, rateBps);
        this.adoptBid(result);
        toast({ tone: 'good', kind: 'amended', title: t('ticket.amended', { rate: rate(rateBps) }) }, 4000);
      } else {
        const body = { listingId: l.id, amountMinor: amountMinor!, rateBps };
        const key = this.bidAction.keyFor(body);
        // Over the socket when it is up (ref = the idempotency key, so a retry never bids twice).
        const result = connection.value.state === 'open' ? await live.bid(body, `bid-${key}`.slice(0, 64)) : await api.placeBid(l.id, { amountMinor: body.amountMinor, rateBps }, key);
        this.bidAction.done();
        this.adoptBid(result);
        toast({ tone: 'good', kind: 'bid', title: t('ticket.placed'), body: `${money(body.amountMinor, { trimZeroFen: true })} @ ${rate(rateBps)}` }, 4000);
      }
      void this.fetchMine();
      // Focus goes to what changed: the bid as it now stands (the ticket turned into the amend form).
      void this.focusAfterRender('[data-testid="my-bid"]');
    } catch (err) {
      this.ticketError = err instanceof LiveError ? { code: err.code, detail: err.detail, extra: err.extra } : err;
      void this.focusAfterRender('[data-testid="bid-error"]');
    } finally {
      this.sending = false;
    }
  }

  private async focusAfterRender(selector: string): Promise<void> {
    await this.updateComplete;
    const el = this.querySelector<HTMLElement>(selector);
    if (!el) return;
    if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
    el.focus({ preventScroll: false });
  }

  private adoptBid(result: unknown): void {
    const b = result as Partial<BidView> | null;
    if (b && typeof b.id === 'string' && b.listingId === this.listingId) {
      this.myBid = { ...(this.myBid ?? {}), ...b } as BidView;
      this.amendText = bpsToInput(Math.max(1, (b.rateBps ?? 2) - 1));
    }
  }

  private async withdraw(): Promise<void> {
    if (!confirm(t('listing.withdrawConfirm'))) return;
    try {
      await api.withdrawListing(this.listingId);
      toast({ tone: 'info', kind: 'withdrawn', title: t('listing.withdrawn') });
      void this.fetch(true);
    } catch (err) {
      toast({ tone: 'bad', kind: 'error', title: errorText(err) });
    }
  }

  // ---- rendering ----

  private renderTicket(l: LiveListing): TemplateResult {
    const user = this.user;
    if (!user) {
      return html`<div class="panel ticket" data-testid="bid-ticket"><h2>${t('ticket.title')}</h2><p class="muted" style="margin-bottom:0.75rem">${t('ticket.loginHint')}</p>
        <a class="btn primary block" href="#/login?next=${encodeURIComponent(`/listing/${l.id}`)}" data-testid="ticket-login">${t('ticket.login')}</a></div>`;
    }
    if (user.role !== 'lender') {
      return html`<div class="panel"><h2>${t('ticket.title')}</h2><p class="muted">${t('ticket.lendersOnly')}</p>
        ${this.mine && l.status === 'open' ? html`<button class="danger block" style="margin-top:0.75rem" data-testid="withdraw-listing" @click=${() => void this.withdraw()}>${t('listing.withdraw')}</button>` : nothing}</div>`;
    }
    if (user.kyc.status !== 'verified') {
      return html`<div class="panel ticket" data-testid="bid-ticket"><h2>${t('ticket.title')}</h2><p class="notice">${t('ticket.kycFirst')}</p><a class="btn primary block" style="margin-top:0.75rem" href="#/account">${t('ticket.doKyc')}</a></div>`;
    }
    const { sim, amend } = this.simulation();
    const open = l.status === 'open';
    const refused = sim?.verdict === 'reject' ? (sim.code ?? '') : '';
    const rateInvalid = ['BID_RATE_INVALID', 'BID_NOT_COMPETITIVE', 'AMEND_RATE_NOT_LOWER'].includes(refused);
    const amountInvalid = ['BID_AMOUNT_INVALID', 'INSUFFICIENT_FUNDS'].includes(refused);
    const blocked = !open || this.sending || !sim || sim.verdict === 'reject';
    this.verdictAnnouncer.say(this.verdictText(sim));
    const wallet = session.value.wallet;
    const marginal = this.liveState?.book.entries.find((e) => e.id === this.liveState?.book.marginalBidId);
    const covered = (this.liveState?.book.coverageMinor ?? l.coverageMinor) >= l.amountMinor;
    const beat = covered && marginal ? marginal.rateBps - 1 : null;
    return html`<form class="panel ticket form" data-testid="bid-ticket" @submit=${(e: Event) => void this.submitBid(e)} novalidate>
      <div class="panel-head" style="margin:0"><h2>${amend ? t('ticket.amendTitle') : t('ticket.title')}</h2>
        ${wallet ? html`<span class="small muted">${t('ticket.available', { amount: money(wallet.availableMinor) })}</span>` : nothing}</div>
      ${amend && this.myBid
        ? html`<div class="preview" data-testid="my-bid">
            <div class="line"><span>${t('ticket.yourBid')}</span><span>${money(this.myBid.amountMinor, { trimZeroFen: true })} @ ${rate(this.myBid.rateBps)}</span></div>
            <div class="line"><span>${t('ticket.fillNow')}</span><span>${money(this.liveState?.book.entries.find((e) => e.id === this.myBid!.id)?.fillMinor ?? this.myBid.fillMinor)}</span></div>
            <p class="hint">${t('ticket.firm')}</p>
          </div>
          <label>${t('ticket.newRate')}
            <span class="input-affix suffix"><input inputmode="decimal" autocomplete="off" .value=${this.amendText} @input=${(e: Event) => { this.amendText = (e.target as HTMLInputElement).value; this.onTicketInput(); }} data-testid="amend-rate" aria-invalid=${rateInvalid ? 'true' : 'false'} aria-describedby=${rateInvalid ? 'amend-hint bid-reject-reason' : 'amend-hint'} /><span>%</span></span>
            <span class="hint" id="amend-hint">${t('ticket.amendHint')}</span>
          </label>`
        : html`<label>${t('ticket.amount')}
            <span class="input-affix"><span>¥</span><input inputmode="decimal" autocomplete="off" .value=${this.amountText} @input=${(e: Event) => { this.amountText = (e.target as HTMLInputElement).value; this.onTicketInput(); }} data-testid="bid-amount" aria-invalid=${amountInvalid ? 'true' : 'false'} aria-describedby=${amountInvalid ? 'amount-hint bid-reject-reason' : 'amount-hint'} /></span>
            <span class="hint" id="amount-hint">${t('ticket.amountHint', { max: money(l.amountMinor, { trimZeroFen: true }) })}</span>
          </label>
          <div class="quick" role="group" aria-label=${t('ticket.quickAmounts')}>
            ${[100_000, 500_000, 1_000_000].filter((a) => a <= l.amountMinor).map((a) => html`<button type="button" class="chip" @click=${() => { this.amountText = minorToInput(a); this.onTicketInput(); }}>${money(a, { trimZeroFen: true })}</button>`)}
            ${l.amountMinor - Math.min(l.coverageMinor, l.amountMinor) > 0 && !covered ? html`<button type="button" class="chip" @click=${() => { this.amountText = minorToInput(Math.max(10_000, l.amountMinor - l.coverageMinor - ((l.amountMinor - l.coverageMinor) % 100))); this.onTicketInput(); }}>${t('ticket.remaining')}</button>` : nothing}
          </div>
          <label>${t('ticket.rate')}
            <span class="input-affix suffix"><input inputmode="decimal" autocomplete="off" .value=${this.rateText} @input=${(e: Event) => { this.rateText = (e.target as HTMLInputElement).value; this.rateTouched = true; this.onTicketInput(); }} data-testid="bid-rate" aria-invalid=${rateInvalid ? 'true' : 'false'} aria-describedby=${rateInvalid ? 'rate-hint bid-reject-reason' : 'rate-hint'} /><span>%</span></span>
            <span class="hint" id="rate-hint">${t('ticket.rateHint', { max: rate(l.maxRateBps) })}</span>
          </label>
          <div class="quick">
            ${beat !== null && beat >= 1 ? html`<button type="button" class="chip" @click=${() => { this.rateText = bpsToInput(beat); this.rateTouched = true; this.onTicketInput(); }}>${t('ticket.beat', { rate: rate(beat) })}</button>` : nothing}
            <button type="button" class="chip" @click=${() => { this.rateText = bpsToInput(l.maxRateBps); this.rateTouched = true; this.onTicketInput(); }}>${t('ticket.atMax')}</button>
          </div>`}
      ${this.renderVerdict(sim, l)}
      ${this.ticketError ? errorBox(this.ticketError, 'bid-error') : nothing}
      <button class="primary block" type="submit" aria-disabled=${blocked ? 'true' : 'false'} aria-describedby="bid-preview" data-testid=${amend ? 'amend-submit' : 'bid-submit'}>
        ${this.sending ? t('common.sending') : amend ? t('ticket.amendSubmit') : t('ticket.submit')}
      </button>
      <p class="hint">${l.pricing === 'uniform' ? t('ticket.uniformNote') : t('ticket.payAsBidNote')}</p>
      <p class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announce-verdict"></p>
    </form>`;
  }

  /** The verdict in one sentence, for the screen reader (the preview shows it in full). */
  private verdictText(sim: Simulation | null): string {
    if (!sim) return '';
    if (sim.verdict === 'reject') return `${t('ticket.wouldReject')}: ${problemText({ code: sim.code ?? 'UNKNOWN', ...(sim.extra ? { extra: sim.extra } : {}) })}`;
    return t('announce.verdict', { verdict: sim.verdict === 'win' ? t('ticket.wouldWin') : t('ticket.wouldPartial'), fill: money(sim.fillMinor), rate: rate(sim.rateBps) });
  }

  private renderVerdict(sim: Simulation | null, l: LiveListing): TemplateResult {
    if (!sim) return html`<div class="preview" id="bid-preview" data-testid="bid-preview" data-verdict="none"><span class="muted">${t('ticket.enter')}</span></div>`;
    if (sim.verdict === 'reject') {
      return html`<div class="preview" id="bid-preview" data-testid="bid-preview" data-verdict="reject">
        <span class="verdict bad">${t('ticket.wouldReject')}</span>
        <span class="small" id="bid-reject-reason" data-testid="bid-reject-reason">${problemText({ code: sim.code ?? 'UNKNOWN', ...(sim.extra ? { extra: sim.extra } : {}) })}</span>
      </div>`;
    }
    const e = this.earnings;
    const totals = e?.preview?.totals;

    const first: SchedulePeriod | undefined = e?.preview?.schedule[0];
    return html`<div class="preview" id="bid-preview" data-testid="bid-preview" data-verdict=${sim.verdict}>
      <span class="verdict ${sim.verdict === 'win' ? 'good' : 'warn'}">${sim.verdict === 'win' ? t('ticket.wouldWin') : t('ticket.wouldPartial')}</span>
      <div class="line"><span>${t('ticket.fill')}</span><span data-testid="preview-fill">${money(sim.fillMinor)}</span></div>
      <div class="line"><span>${t('ticket.rateYouGet')}</span><span data-testid="preview-rate">${rate(sim.rateBps)}</span></div>
      <div class="line"><span>${t('ticket.listingRate')}</span><span>${rate(sim.currentRateBefore)} → ${rate(sim.currentRateAfter)}</span></div>
      <div class="line"><span>${t('ticket.fundedAfter')}</span><span>${sim.fundedPctAfter}%</span></div>
      ${sim.outbid.count ? html`<div class="line"><span>${t('ticket.pushesOut')}</span><span>${t('ticket.pushesOutValue', { n: sim.outbid.count, amount: money(sim.outbid.amountMinor, { trimZeroFen: true }) })}</span></div>` : nothing}
      ${sim.clearsNow ? html`<div class="line"><span class="warn">${t('ticket.clearsNow')}</span><span></span></div>` : nothing}
      <div class="line"><span>${l.maturesOn ? t('ticket.interestUntil', { date: date(l.maturesOn) }) : t('ticket.interest', { n: e?.preview?.schedule.length ?? l.termMonths ?? 0 })}</span><span data-testid="preview-interest">${totals ? money(totals.interestMinor) : e?.error ? '—' : '…'}</span></div>
      <div class="line"><span>${t('ticket.totalBack')}</span><span>${totals ? money(totals.principalMinor + totals.interestMinor) : '…'}</span></div>
      ${first ? html`<div class="line"><span class="muted">${t('ticket.firstPayment', { date: date(first.dueDate) })}</span><span class="muted">${money(first.principalMinor + first.interestMinor)}</span></div>` : nothing}
    </div>`;
  }

  private renderBook(l: LiveListing): TemplateResult {
    const book = this.liveState?.book;
    const levels = l.book ?? [];
    const myRate = this.myBid?.status === 'winning' ? (book?.entries.find((e) => e.id === this.myBid!.id)?.rateBps ?? this.myBid.rateBps) : null;
    const marginalRate = book?.entries.find((e) => e.id === book.marginalBidId)?.rateBps ?? null;
    let cum = 0;
    return html`<div class="panel">
      <div class="panel-head"><h2>${t('listing.book')}</h2><span class="small muted">${t('listing.bookHint')}</span></div>
      <div class="table-wrap">
        <table class="data book-table" data-testid="book-table">
          <thead><tr><th class="num">${t('depth.rate')}</th><th class="num">${t('listing.amount')}</th><th class="num">${t('listing.cumulative')}</th><th class="num">${t('listing.bids')}</th></tr></thead>
          <tbody>
            ${repeat(
              levels,
              (lv) => lv.rateBps,
              (lv) => {
                cum += lv.amountMinor;
                const f = this.levelFlash.get(lv.rateBps) ?? 0;
                const marginal = marginalRate === lv.rateBps && cum >= l.amountMinor;
                return html`<tr data-testid="book-row" data-rate-bps=${lv.rateBps} class="${f ? `flash-${f % 2}` : ''} ${marginal ? 'marginal' : ''}" title=${marginal ? t('listing.marginal') : ''}>
                  <td class="num"><strong>${rate(lv.rateBps)}</strong>${myRate === lv.rateBps ? html` <span class="badge info" data-testid="book-row-mine">${t('listing.yours')}</span>` : nothing}${myRate === lv.rateBps && this.myBid?.source === 'autobid' ? html` <span class="badge" data-testid="book-row-autobid">${t('autobid.badge')}</span>` : nothing}</td>
                  <td class="num">${money(lv.amountMinor, { trimZeroFen: true })}</td>
                  <td class="num cum">${money(cum, { trimZeroFen: true })}</td>
                  <td class="num">${lv.bidCount}</td>
                </tr>`;
              },
            )}
          </tbody>
        </table>
      </div>
      ${levels.length === 0 ? html`<p class="empty">${t('depth.empty')}</p>` : nothing}
    </div>`;
  }

  private renderTape(): TemplateResult {
    return html`<div class="panel">
      <div class="panel-head"><h2>${t('listing.tape')}</h2><span class="small muted">${connection.value.state === 'open' ? t('listing.tapeLive') : t('listing.tapePolling')}</span></div>
      <div class="tape" data-testid="tape">
        ${this.tape.length === 0 ? html`<p class="muted small">${t('listing.tapeEmpty')}</p>` : nothing}
        ${repeat(
          this.tape,
          (i) => i.key,
          (i) => html`<div class="${Date.now() - i.at < 1500 ? 'ev-new' : ''}"><time>${time(i.at)}</time><span class=${i.tone}>${i.text}${i.mine ? html` <span class="badge info">${t('listing.yours')}</span>` : nothing}</span><span class="num">${i.amount ?? ''}</span></div>`,
        )}
      </div>
    </div>`;
  }

  private renderBorrower(l: LiveListing): TemplateResult {
    const zh = locale() === 'zh';
    // A claim-backed listing carries its core enterprise's grade; the borrower's own is shown here.
    const ownGrade = l.borrowerGrade ?? l.grade;
    return html`<div class="panel">
      <div class="panel-head"><h2>${t('listing.borrower')}</h2><span class="row"><lb-grade grade=${ownGrade} data-testid="borrower-grade"></lb-grade><span class="small muted">${t('listing.score', { score: l.score })}</span></span></div>
      ${l.borrowerGrade ? html`<p class="small muted" style="margin-bottom:0.6rem">${t('claims.ownGradeNote')}</p>` : nothing}
      <p style="margin-bottom:0.6rem">${l.merchantName}</p>
      <p class="muted small" style="margin-bottom:0.6rem">${l.purpose}</p>
      ${l.ratingReasons?.length
        ? html`<h3 style="margin-bottom:0.4rem">${t('listing.reasons')}</h3><ul class="reasons" data-testid="rating-reasons">${l.ratingReasons.map((r) => html`<li>${zh && r.textZh ? r.textZh : r.text}</li>`)}</ul>`
        : html`<p class="muted small">${t('listing.noReasons')}</p>`}
    </div>`;
  }

  /** The guarantee behind the listing (docs/guarantees.md): who, how much, its state, and that the platform does not guarantee. */
  private renderGuarantee(g: ListingGuarantee): TemplateResult {
    const state =
      g.status === 'pending'
        ? t('guarantee.pendingText')
        : g.overdue
          ? t('guarantee.overdueText', { amount: money(g.owedMinor), date: date(g.payBy ?? '') })
          : g.status === 'owed'
            ? t('guarantee.owedText', { amount: money(g.owedMinor), date: date(g.payBy ?? '') })
            : g.status === 'paid'
              ? t('guarantee.paidText', { amount: money(g.paidMinor), date: date(g.paidOn ?? '') })
              : t(`gtr.status.${g.status}`);
    return html`<div class="panel" data-testid="listing-guarantee">
      <div class="panel-head"><h2>${t('guarantee.title')}</h2><lb-guarantee-badge .guarantee=${g}></lb-guarantee-badge></div>
      <dl class="facts">
        <dt>${t('guarantee.guarantor')}</dt><dd data-testid="guarantor-name">${g.guarantorName}</dd>
        <dt>${t('guarantee.licence')}</dt><dd class="mono">${g.licenceNo}</dd>
        <dt>${t('guarantee.coverage')}</dt><dd>${t('guarantee.coverageText', { pct: g.coveragePct })}</dd>
        <dt>${t('guarantee.fee')}</dt><dd>${t('guarantee.feeText', { rate: rate(g.feeBps) })}</dd>
        <dt>${t('guarantee.state')}</dt><dd data-testid="guarantee-state" class=${g.overdue ? 'bad' : ''}>${state}</dd>
      </dl>
      <p class="small notice" style="margin-top:0.5rem" data-testid="no-platform-guarantee">${t('guarantee.notPlatform')}</p>
    </div>`;
  }

  private renderCollateral(l: LiveListing): TemplateResult {
    const c = l.collateral;
    return html`<div class="panel">
      <h2>${t('listing.collateral')}</h2>
      ${!c || c.kind === 'none'
        ? html`<p class="muted">${t('listing.noCollateral')}</p>`
        : html`<dl class="facts">
              <dt>${t('listing.collateralKind')}</dt><dd>${t(`product.${l.product}`)}</dd>
              ${c.valueMinor !== null ? html`<dt>${t('listing.collateralValue')}</dt><dd>${money(c.valueMinor)}</dd>` : nothing}
              ${c.limitMinor !== null ? html`<dt>${t('listing.collateralLimit')}</dt><dd>${money(c.limitMinor)}</dd>` : nothing}
            </dl>
            ${c.kind === 'orders'
              ? html`<div class="table-wrap" style="margin-top:0.6rem"><table class="data"><thead><tr><th>${t('collateral.order')}</th><th>${t('collateral.placed')}</th><th>${t('collateral.status')}</th><th class="num">${t('listing.amount')}</th></tr></thead>
                  <tbody>${c.orders.slice(0, 50).map((o) => html`<tr><td class="mono">${o.orderId}</td><td class="date">${date(o.placedAt)}</td><td>${o.impaired ? html`<span class="badge bad">${t(`order.${o.status}`)}</span>` : t(`order.${o.status}`)}</td><td class="num">${money(o.amountMinor)}</td></tr>`)}</tbody></table></div>
                  ${c.orders.length > 50 ? html`<p class="muted small">${t('common.andMore', { n: c.orders.length - 50 })}</p>` : nothing}`
              : c.kind === 'claims'
                ? this.renderClaims(c)
                : c.receipt
                  ? html`<dl class="facts" style="margin-top:0.6rem"><dt>${t('collateral.receipt')}</dt><dd class="mono">${c.receipt.receiptId}</dd><dt>${t('collateral.goods')}</dt><dd>${c.receipt.goods} × ${c.receipt.quantity}</dd></dl>`
                  : nothing}`}
    </div>`;
  }

  /** Each claim with its due date and chain: the core enterprise that owes it, then every holder. */
  private renderClaims(c: Extract<NonNullable<LiveListing['collateral']>, { kind: 'claims' }>): TemplateResult {
    return html`<div style="margin-top:0.6rem" data-testid="listing-claims">
      ${c.claims.map(
        (x) => html`<div class="claim-card">
          <div class="row small"><strong>${money(x.amountMinor)}</strong><span class="muted">${t('claims.dueOn', { date: date(x.dueDate) })}</span><span class="muted">${t('claims.tier', { n: x.tier })}</span>
            ${x.payableStatus === 'settled' ? html`<span class="badge good">${t('claims.status.settled')}</span>` : nothing}</div>
          ${chainOf(x.chain)}
        </div>`,
      )}
    </div>`;
  }

  /**
   * A claim-backed listing says, before anyone bids, who repays it and what happens if they do not: the
   * core enterprise's grade is the listing's, and the borrower still owes the loan if the payment is late.
   */
  private renderBacking(l: LiveListing, c: Extract<NonNullable<LiveListing['collateral']>, { kind: 'claims' }>): TemplateResult {
    return html`<div class="panel" data-testid="claim-backing">
      <div class="panel-head"><h2>${t('claims.backedBy', { core: c.coreEnterprise.name })}</h2>
        <span class="row small"><span class="muted">${t('claims.coreGrade')}</span><lb-grade grade=${c.coreEnterprise.grade} data-testid="core-grade"></lb-grade>
          <span class="muted">${t('claims.borrowerGrade')}</span>${c.borrowerGrade ? html`<lb-grade grade=${c.borrowerGrade}></lb-grade>` : '—'}</span></div>
      <p class="small">${t('claims.gradeWhy', { core: c.coreEnterprise.name, merchant: l.merchantName })}</p>
      <p class="small notice" style="margin-top:0.5rem">${t('claims.lateNote', { core: c.coreEnterprise.name, merchant: l.merchantName, date: date(l.maturesOn ?? '') })}</p>
    </div>`;
  }

  private renderSchedule(l: LiveListing): TemplateResult {
    const rows = this.schedule?.schedule ?? l.schedulePreview ?? [];
    const rateBps = this.schedule ? this.scheduleRateBps : l.currentRateBps;
    const totals = rows.reduce((a, r) => ({ p: a.p + r.principalMinor, i: a.i + r.interestMinor }), { p: 0, i: 0 });
    return html`<div class="panel">
      <div class="panel-head"><h2>${t('listing.schedule')}</h2><span class="small muted">${t('listing.scheduleHint', { rate: rate(rateBps), repayment: t(`repayment.${l.repayment}`) })}</span></div>
      <div class="table-wrap">
        <table class="data" data-testid="schedule-table">
          <thead><tr><th>#</th><th>${t('schedule.due')}</th><th class="num">${t('schedule.principal')}</th><th class="num">${t('schedule.interest')}</th><th class="num">${t('schedule.payment')}</th></tr></thead>
          <tbody>${rows.map((r) => html`<tr><td>${r.n}</td><td class="date">${date(r.dueDate)}</td><td class="num">${money(r.principalMinor)}</td><td class="num">${money(r.interestMinor)}</td><td class="num">${money(r.principalMinor + r.interestMinor)}</td></tr>`)}</tbody>
          <tfoot><tr><td colspan="2">${t('schedule.total')}</td><td class="num">${money(totals.p)}</td><td class="num">${money(totals.i)}</td><td class="num">${money(totals.p + totals.i)}</td></tr></tfoot>
        </table>
      </div>
    </div>`;
  }

  override render() {
    if (this.error && !this.detail) {
      return html`<section class="page"><a href="#/market">← ${t('nav.market')}</a>${errorBox(this.error, 'listing-error')}</section>`;
    }
    const l = this.effective;
    if (!l) return html`<p class="muted">${t('common.loading')}</p>`;
    const { sim } = this.simulation();
    const bidding = this.user?.role === 'lender' && this.user.kyc.status === 'verified' && l.status === 'open';
    const candidate = bidding && sim && sim.verdict !== 'reject' && !this.myBid ? { rateBps: parseRate(this.rateText) ?? 0, amountMinor: sim.holdMinor } : null;
    const cleared = this.liveState?.cleared;
    return html`<section class="page" data-testid="listing-view" data-listing-id=${l.id}>
      <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announce-rate"></div>
      <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announce-book"></div>
      <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announce-activity"></div>
      <div class="listing-head">
        <a href="#/market" class="small">← ${t('nav.market')}</a>
        <div class="page-head">
          <div>
            <h1>${l.title}</h1>
            <div class="row small" style="margin-top:0.3rem">
              <lb-grade grade=${l.grade}></lb-grade><lb-guarantee-badge .guarantee=${l.guarantee}></lb-guarantee-badge><span>${l.merchantName}</span><span>·</span><span>${t(`product.${l.product}`)}</span><span>·</span><span>${t(`repayment.${l.repayment}`)}</span><span>·</span><span>${t(`pricing.${l.pricing}`)}</span>
              <span>·</span><span>${t('listing.el', { rate: rate(l.expectedLossBps) })}</span>
              ${l.minFundingPct < 100 ? html`<span>·</span><span>${t('listing.minFunding', { pct: l.minFundingPct })}</span>` : nothing}
              ${l.closeWhenFunded ? html`<span class="badge warn">${t('listing.closeWhenFunded')}</span>` : nothing}
            </div>
          </div>
          <span class="badge ${l.status === 'open' ? 'good' : l.status === 'cleared' ? 'info' : 'muted'}" data-testid="listing-state" data-status=${l.status}>${t(`status.${l.status}`)}</span>
        </div>
      </div>
      ${l.status === 'cleared'
        ? html`<div class="ok-box" data-testid="cleared-banner">${t('listing.clearedBanner', { rate: rate(cleared?.borrowerRateBps ?? l.currentRateBps), amount: money(cleared?.principalMinor ?? Math.min(l.coverageMinor, l.amountMinor), { trimZeroFen: true }) })}
            ${l.loanId && this.user ? html` <a href="#/loan/${l.loanId}" data-testid="cleared-loan-link">${t('listing.viewLoan')}</a>` : nothing}</div>`
        : l.status !== 'open'
          ? html`<div class="notice">${t(`listing.${l.status}Banner`)}</div>`
          : nothing}
      <div class="headline">
        <div class="kpi"><small>${t('listing.rate')}</small><strong class="rate ${this.rateMoves ? `flash-${this.rateMoves % 2}` : ''}" data-testid="current-rate">${rate(l.currentRateBps)}</strong><span class="sub">${t('market.maxRate', { rate: rate(l.maxRateBps) })}</span></div>
        <div class="kpi"><small>${t('market.col.funded')}</small><strong data-testid="funded-pct">${l.fundedPct}%</strong><lb-funded-bar pct=${l.fundedPct} min-pct=${l.minFundingPct}></lb-funded-bar><span class="sub">${money(l.coverageMinor, { trimZeroFen: true })} / ${money(l.amountMinor, { trimZeroFen: true })}</span></div>
        <div class="kpi"><small>${t('listing.timeLeft')}</small><strong style="font-size:1.15rem"><lb-countdown ends-at=${l.endsAt} original-ends-at=${l.originalEndsAt} status=${l.status} data-testid="countdown"></lb-countdown></strong>
          <span class="sub">${t('listing.endsAt', { at: dateTime(l.endsAt) })}${l.extended ? html` · ${t('listing.originalEnd', { at: time(l.originalEndsAt) })}` : nothing}</span></div>
        <div class="kpi"><small>${t('listing.bids')}</small><strong data-testid="bid-count">${l.bidCount}</strong><span class="sub">${l.maturesOn ? t('listing.amountUntil', { amount: money(l.amountMinor, { trimZeroFen: true }), date: date(l.maturesOn) }) : t('listing.termAmount', { amount: money(l.amountMinor, { trimZeroFen: true }), n: l.termMonths ?? 0 })}</span></div>
      </div>
      <div class="split">
        <div class="stack">
          <div class="panel">
            <div class="panel-head"><h2>${t('depth.title')}</h2><span class="small muted">${t('listing.depthHint')}</span></div>
            <lb-depth-chart data-testid="depth-chart" .levels=${l.book ?? []} amount-minor=${l.amountMinor} max-rate-bps=${l.maxRateBps} current-rate-bps=${l.currentRateBps} .candidate=${candidate}></lb-depth-chart>
          </div>
          <div class="grid-2">${this.renderBook(l)}${this.renderTape()}</div>
          ${l.collateral?.kind === 'claims' ? this.renderBacking(l, l.collateral) : nothing}
          ${l.guarantee ? this.renderGuarantee(l.guarantee) : nothing}
          <div class="grid-2">${this.renderBorrower(l)}${this.renderCollateral(l)}</div>
          ${this.renderSchedule(l)}
        </div>
        <div class="stack sticky ticket-col">${this.renderTicket(l)}</div>
      </div>
    </section>`;
  }
}
customElements.define('lb-listing-view', ListingView);
