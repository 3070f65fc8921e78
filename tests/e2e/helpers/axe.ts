/**
 * Accessibility check of a page as it is now: axe-core (WCAG 2.0/2.1 A and AA, and axe's best
 * practices) run inside the page, open shadow roots included (the widgets and the app's components).
 *
 *   await expectNoAxeViolations(page, 'lender: listing with the bid form');
 *
 * Any violation fails the test (a soft failure: the test goes on, so one run lists every page's
 * problems), except the rules in tests/e2e/axe-exceptions.json, each with its reason. The full result
 * of a failing page goes to test-results/e2e/axe/<context>.json.
 *
 * Call it once per page and state (a page, a dialog open, an error shown, the other language…), after
 * the page has rendered what the state is about: one run takes about a second.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frame, Page } from 'playwright-core';
import { expect } from 'vitest';
import { ARTIFACTS } from './browser.js';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The rule sets the app is held to. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] as const;

interface Exception {
  rule: string;
  reason: string;
}

const EXCEPTIONS_FILE = fileURLToPath(new URL('../axe-exceptions.json', import.meta.url));

/** The committed list of rules not enforced, each with its reason (an entry without one is refused). */
export function axeExceptions(): Exception[] {
  const list = JSON.parse(readFileSync(EXCEPTIONS_FILE, 'utf8')) as { exceptions: Exception[] };
  for (const e of list.exceptions) {
    if (typeof e.rule !== 'string' || typeof e.reason !== 'string' || e.reason.trim().length < 10) throw new Error(`${EXCEPTIONS_FILE}: every exception needs a rule and a reason (${JSON.stringify(e)})`);
  }
  return list.exceptions;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; html: string; failureSummary?: string }[];
}

export interface AxeOptions {
  /** CSS selectors to leave out, e.g. a third-party part of a partner's page that is not ours. */
  exclude?: string[];
}

/**
 * Runs axe on the page (or frame) and returns the violations of the enforced rules. Animations are
 * finished first (a row's flash or a badge's fade is not the colour the page rests at).
 */
export async function axeViolations(page: Page | Frame, opts: AxeOptions = {}): Promise<AxeViolation[]> {
  const injected = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  // Evaluated through the DevTools protocol: the app's CSP (scripts from 'self' only) does not apply.
  if (!injected) await page.evaluate(AXE_SOURCE);
  const skip = new Set(axeExceptions().map((e) => e.rule));
  const violations = await page.evaluate(
    async ({ tags, exclude }) => {
      for (const a of document.getAnimations()) {
        try {
          a.finish();
        } catch {
          /* an infinite animation (the live dot's pulse) cannot finish; its colours do not carry text */
        }
      }
      const axe = (window as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
      const context = exclude.length ? { include: [document], exclude: exclude.map((s) => [s]) } : document;
      const res = await axe.run(context, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      return res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 300), ...(n.failureSummary ? { failureSummary: n.failureSummary } : {}) })) }));
    },
    { tags: [...AXE_TAGS], exclude: opts.exclude ?? [] },
  );
  return violations.filter((v) => !skip.has(v.id));
}

/** One line per violation and node: what a failing test prints. */
export function describeViolations(violations: AxeViolation[]): string[] {
  return violations.flatMap((v) => v.nodes.map((n) => `${v.impact ?? ''} ${v.id}: ${v.help} — ${JSON.stringify(n.target)} ${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}`.trim()));
}

/** Fails the test (softly: it goes on) when axe finds a violation on the page in this state. */
export async function expectNoAxeViolations(page: Page | Frame, context: string, opts: AxeOptions = {}): Promise<void> {
  const violations = await axeViolations(page, opts);
  if (violations.length) {
    const dir = path.join(ARTIFACTS, 'axe');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${context.replace(/[^\w.-]+/g, '-')}.json`), JSON.stringify({ context, url: page.url(), violations }, null, 2));
  }
  expect.soft(describeViolations(violations), `axe: ${context}`).toEqual([]);
}
