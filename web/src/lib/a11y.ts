/**
 * Accessibility plumbing shared by the app's views (docs/accessibility.md):
 *
 * * `Announcer`: a polite live region that speaks only when the state it reports has changed, at most
 *   once per `gapMs` (5 s for the market's live figures), the latest state winning — a busy auction
 *   must not talk over the person using it.
 * * `wireForms(root)`: a field's hint and error describe it (aria-describedby) instead of being read as
 *   part of its name; the ¥ and % affixes are not read; a region that scrolls can be reached by the
 *   keyboard. Applied by the shell to every page, so a new view gets it without doing anything.
 * * `keepFocus(root)`: when a live update removes the element that had focus, focus goes to the
 *   closest part of the page that is still there instead of falling back to <body>.
 *
 * No I/O; the announcer's clock and timers are injectable (web/test/a11y.test.ts).
 */

/** The least time between two announcements of one live region about the market. */
export const ANNOUNCE_GAP_MS = 5000;

export interface AnnouncerOptions {
  /** At most one announcement per this many ms (0: no limit). */
  gapMs?: number;
  /** Wait until the text has not changed for this long (typing, a burst of events). */
  settleMs?: number;
  now?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (id: unknown) => void;
}

export class Announcer {
  private spoken: string | null = null;
  private spokenAtMs = Number.NEGATIVE_INFINITY;
  private pending: string | null = null;
  private timer: unknown;
  private readonly gapMs: number;
  private readonly settleMs: number;
  private readonly now: () => number;
  private readonly set: (fn: () => void, ms: number) => unknown;
  private readonly clear: (id: unknown) => void;

  /** `write` puts the text in the live region (and so has it read). */
  constructor(
    private readonly write: (text: string) => void,
    opts: AnnouncerOptions = {},
  ) {
    this.gapMs = opts.gapMs ?? ANNOUNCE_GAP_MS;
    this.settleMs = opts.settleMs ?? 0;
    this.now = opts.now ?? (() => Date.now());
    this.set = opts.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
    this.clear = opts.clearTimeout ?? ((id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>));
  }

  /** The state as it is now, without announcing it (what the page showed when it loaded). */
  prime(text: string): void {
    if (this.spoken === null) this.spoken = text;
  }

  get primed(): boolean {
    return this.spoken !== null;
  }

  /** Reports the current state; it is announced if it differs from the last one announced. */
  say(text: string): void {
    if (this.spoken === null) {
      this.spoken = text; // the first state is what the page shows: nothing changed yet
      return;
    }
    if (text === this.pending && this.timer !== undefined) return; // already on its way: renders repeat it
    this.pending = text;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) this.clear(this.timer);
    this.timer = undefined;
    if (this.pending === null || this.pending === this.spoken) {
      this.pending = null;
      return;
    }
    const wait = Math.max(this.settleMs, this.spokenAtMs + this.gapMs - this.now());
    if (wait <= 0) this.flush();
    else this.timer = this.set(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = undefined;
    const text = this.pending;
    this.pending = null;
    if (text === null || text === this.spoken) return;
    this.spoken = text;
    this.spokenAtMs = this.now();
    try {
      this.write(text);
    } catch {
      /* a region gone with its page */
    }
  }

  dispose(): void {
    if (this.timer !== undefined) this.clear(this.timer);
    this.timer = undefined;
    this.pending = null;
  }
}

let uid = 0;
function idOf(el: Element, prefix: string): string {
  if (!el.id) el.id = `${prefix}-${++uid}`;
  return el.id;
}

function addToken(el: Element, attr: string, token: string): void {
  const list = (el.getAttribute(attr) ?? '').split(/\s+/).filter(Boolean);
  if (!list.includes(token)) el.setAttribute(attr, [...list, token].join(' '));
}

/** The control a <label> names: its `for`, or the first field inside it. */
function controlOf(label: HTMLLabelElement): HTMLElement | null {
  return (label.control as HTMLElement | null) ?? label.querySelector<HTMLElement>('input, select, textarea');
}

/**
 * Hints and errors inside a <label> describe its field rather than lengthen its name; affixes are
 * decoration; regions that scroll are focusable (and named by their table's heading when they have one).
 */
export function wireForms(root: ParentNode): void {
  for (const note of root.querySelectorAll<HTMLElement>('label .hint, label .field-error')) {
    const label = note.closest('label') as HTMLLabelElement | null;
    const control = label ? controlOf(label) : null;
    if (!control) continue;
    note.setAttribute('aria-hidden', 'true'); // read once, as the description
    addToken(control, 'aria-describedby', idOf(note, 'hint'));
  }
  for (const affix of root.querySelectorAll<HTMLElement>('.input-affix > span')) affix.setAttribute('aria-hidden', 'true');
  for (const region of root.querySelectorAll<HTMLElement>('.table-wrap, .tape, .scroll-region')) {
    const scrolls = region.scrollWidth > region.clientWidth + 1 || region.scrollHeight > region.clientHeight + 1;
    const focusableInside = region.querySelector('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])') !== null;
    if (scrolls && !focusableInside) {
      if (!region.hasAttribute('tabindex')) region.setAttribute('tabindex', '0');
      if (!region.hasAttribute('role')) region.setAttribute('role', 'region');
      if (!region.hasAttribute('aria-label') && !region.hasAttribute('aria-labelledby')) {
        const heading = region.closest('.panel, section, dialog')?.querySelector('h1, h2, h3, caption, legend');
        if (heading) region.setAttribute('aria-labelledby', idOf(heading, 'heading'));
      }
    } else if (region.getAttribute('tabindex') === '0' && region.getAttribute('role') === 'region') {
      region.removeAttribute('tabindex');
      region.removeAttribute('role');
    }
  }
}

const FOCUSABLE = 'a[href], button, input, select, textarea, summary, [tabindex]';
const CONTROLS = 'a[href], button, input, select, textarea, summary';

/**
 * Watches `root` (the page's main content): after each change, wires its forms, and if the focused
 * element was removed, focuses the nearest ancestor that is still on the page (made focusable for
 * the purpose) — never <body>.
 */
export function keepFocus(root: HTMLElement): () => void {
  let last: Element | null = null;
  // The focused element's ancestors when it got focus: a removed element no longer knows its parent.
  let ancestors: Element[] = [];
  const onFocus = (e: FocusEvent) => {
    if (!(e.target instanceof Element)) return;
    last = e.target;
    ancestors = [];
    for (let p = e.target.parentElement; p && ancestors.length < 64; p = p.parentElement) ancestors.push(p);
  };
  document.addEventListener('focusin', onFocus);
  let scheduled = false;
  const check = () => {
    scheduled = false;
    try {
      wireForms(root);
      const active = document.activeElement;
      if (last && !last.isConnected && (active === null || active === document.body)) {
        const node = ancestors.find((a) => a.isConnected);
        let target = node instanceof HTMLElement ? node : root;
        if (!root.contains(target)) target = root;
        // A focusable ancestor, else the closest panel or section, else the main region.
        const home = (target.closest(CONTROLS) ?? target.closest('.panel, section, form, table, main') ?? root) as HTMLElement;
        if (!home.matches(FOCUSABLE)) home.setAttribute('tabindex', '-1');
        home.focus({ preventScroll: true });
        last = home;
      }
    } catch {
      /* never break the page over this */
    }
  };
  const observer = new MutationObserver(() => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(check);
  });
  observer.observe(root, { childList: true, subtree: true });
  const onResize = () => wireForms(root);
  window.addEventListener('resize', onResize);
  return () => {
    observer.disconnect();
    document.removeEventListener('focusin', onFocus);
    window.removeEventListener('resize', onResize);
  };
}
