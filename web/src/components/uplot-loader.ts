/**
 * uPlot, loaded on first use (it is not part of the first page load), with its stylesheet as a
 * constructable sheet that each chart adopts into its own shadow root.
 */
import type uPlot from 'uplot';

export type UPlotCtor = typeof uPlot;

let loading: Promise<{ uPlot: UPlotCtor; sheet: CSSStyleSheet | null }> | undefined;

export function loadUPlot(): Promise<{ uPlot: UPlotCtor; sheet: CSSStyleSheet | null }> {
  loading ??= Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css?inline')]).then(([mod, css]) => {
    let sheet: CSSStyleSheet | null = null;
    try {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(css.default);
    } catch {
      sheet = null; // very old browsers: charts still draw, without the cursor styles
    }
    return { uPlot: mod.default, sheet };
  });
  return loading;
}

export function adoptSheet(root: ShadowRoot | null, sheet: CSSStyleSheet | null): void {
  if (!root || !sheet || root.adoptedStyleSheets.includes(sheet)) return;
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

/** A CSS custom property of `el` (resolved through the page's theme), or the fallback. */
export function cssVar(el: Element, name: string, fallback: string): string {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v || fallback;
}

/** A colour with transparency for canvas fills: #rgb / #rrggbb → rgba(); anything else as given. */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
  if (!hex) {
    const rgb = /^rgba?\(([^)]+)\)$/i.exec(color.trim());
    if (rgb) {
      const [r, g, b] = rgb[1]!.split(/[\s,/]+/);
      return `rgba(${r}, ${g}, ${b}, ${alpha})`;
    }
    return color;
  }
  const h = hex[1]!.length === 3 ? hex[1]!.replace(/./g, (c) => c + c) : hex[1]!;
  const n = parseInt(h, 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
