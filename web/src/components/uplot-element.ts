import { LitElement } from 'lit';
import type uPlot from 'uplot';
import { adoptSheet, loadUPlot, type UPlotCtor } from './uplot-loader.js';

/**
 * What every chart element shares: uPlot loaded when the element connects (then a re-render), one plot
 * in the element's `.chart` box that follows the box's width, and both torn down on disconnect.
 */
export abstract class UPlotElement extends LitElement {
  declare height: number;
  protected plot: uPlot | null = null;
  /** uPlot itself, once loaded: until then the element shows its loading state. */
  protected ctor: UPlotCtor | null = null;
  private resizer: ResizeObserver | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    void loadUPlot().then(({ uPlot, sheet }) => {
      this.ctor = uPlot;
      adoptSheet(this.shadowRoot, sheet);
      this.requestUpdate();
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.destroyPlot();
  }

  /** The box the plot is drawn in, once rendered and uPlot is loaded. */
  protected chartBox(): HTMLElement | null {
    return this.ctor ? (this.renderRoot.querySelector('.chart') as HTMLElement | null) : null;
  }

  /** Draws a new plot in `host`, replacing any earlier one, and keeps it as wide as `host`. */
  protected mountPlot(opts: uPlot.Options, data: uPlot.AlignedData, host: HTMLElement): void {
    this.destroyPlot();
    this.plot = new this.ctor!(opts, data, host);
    this.resizer = new ResizeObserver(() => {
      const w = host.clientWidth;
      if (w > 0 && this.plot && Math.abs(this.plot.width - w) > 1) this.plot.setSize({ width: w, height: this.height });
    });
    this.resizer.observe(host);
  }

  protected destroyPlot(): void {
    this.resizer?.disconnect();
    this.resizer = null;
    this.plot?.destroy();
    this.plot = null;
  }
}
