import { LitElement, css, html, nothing } from 'lit';
import { duration, serverNow, time } from '../lib/format.js';
import { LocaleController, t } from '../lib/i18n.js';
import { onTick } from './ticker.js';

/**
 * `<lb-countdown ends-at="…" original-ends-at="…" status="open">`: time left in an auction, ticking
 * every second on the server's clock. Soft-close extensions are visible: when `ends-at` is later than
 * `original-ends-at` a badge shows by how much, and the time flashes when the end moves. The last
 * `urgent-sec` seconds (default 120, the soft-close window) are highlighted.
 * Theming: --lb-text, --lb-bad, --lb-warn; ::part(time), ::part(extended).
 */
export class LbCountdown extends LitElement {
  static override properties = {
    endsAt: { type: String, attribute: 'ends-at' },
    originalEndsAt: { type: String, attribute: 'original-ends-at' },
    status: { type: String },
    urgentSec: { type: Number, attribute: 'urgent-sec' },
    compact: { type: Boolean },
  };
  declare endsAt: string;
  declare originalEndsAt: string;
  declare status: string;
  declare urgentSec: number;
  declare compact: boolean;
  private off: (() => void) | undefined;

  constructor() {
    super();
    this.endsAt = '';
    this.originalEndsAt = '';
    this.status = 'open';
    this.urgentSec = 120;
    this.compact = false;
    new LocaleController(this);
  }

  static override styles = css`
    :host { display: inline-block; font-variant-numeric: tabular-nums; }
    .wrap { display: inline-flex; align-items: baseline; gap: 0.4em; flex-wrap: wrap; }
    .time { font-weight: 600; color: var(--lb-text, inherit); border-radius: 0.25em; }
    .urgent .time { color: var(--lb-bad, #dc2626); }
    .ended .time { color: var(--lb-muted, #6b7280); font-weight: 500; }
    .extended {
      font-size: 0.78em; font-weight: 600; padding: 0.05em 0.4em; border-radius: 0.3em; white-space: nowrap;
      color: var(--lb-warn-text, #92400e); background: var(--lb-warn-bg, #fef3c7);
    }
    .moved .time { animation: moved 1.2s ease-out; }
    @keyframes moved { 0% { background: var(--lb-warn, #f59e0b); color: #000; } 100% { background: transparent; } }
    @media (prefers-reduced-motion: reduce) { .moved .time { animation: none; } }
  `;

  override connectedCallback(): void {
    super.connectedCallback();
    this.off = onTick(() => this.requestUpdate());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.off?.();
    this.off = undefined;
  }

  private moved = false;
  override willUpdate(changed: Map<string, unknown>): void {
    const before = changed.get('endsAt') as string | undefined;
    if (before && this.endsAt && before !== this.endsAt && Date.parse(this.endsAt) > Date.parse(before)) {
      this.moved = true;
      setTimeout(() => {
        this.moved = false;
        this.requestUpdate();
      }, 1300);
    }
  }

  override render() {
    const endMs = Date.parse(this.endsAt);
    if (Number.isNaN(endMs)) return nothing;
    const leftMs = endMs - serverNow();
    const open = this.status === 'open';
    const ended = !open || leftMs <= 0;
    const originalMs = Date.parse(this.originalEndsAt);
    const extendedMs = Number.isNaN(originalMs) ? 0 : endMs - originalMs;
    const urgent = open && !ended && leftMs <= this.urgentSec * 1000;
    const text = ended ? t('countdown.ended') : this.compact ? duration(leftMs) : t('countdown.left', { time: duration(leftMs) });
    return html`<span class="wrap ${urgent ? 'urgent' : ''} ${ended ? 'ended' : ''} ${this.moved ? 'moved' : ''}" role="timer" aria-live="off">
      <span class="time" part="time" title=${time(endMs)}>${text}</span>
      ${extendedMs > 0
        ? html`<span class="extended" part="extended" title=${t('countdown.extendedTitle', { from: time(originalMs) })}>${t('countdown.extended', { time: duration(extendedMs) })}</span>`
        : nothing}
    </span>`;
  }
}
if (!customElements.get('lb-countdown')) customElements.define('lb-countdown', LbCountdown);
