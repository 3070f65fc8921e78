/**
 * Every number in Lendbook's API is an integer (minor units, basis points, counts). JSON.parse would
 * turn `1e5` or `100.0` into a valid-looking integer and `-0` into a negative zero, so the raw text is
 * scanned first: a number literal with a fraction, an exponent, a negative zero or more digits than a
 * safe integer holds is refused with the path of the field that carries it.
 *
 * The same scan refuses text nested deeper than MAX_JSON_DEPTH before anything parses or walks it:
 * no request of the API nests beyond a few levels, and a walk over a hostile 5,000-deep array would
 * exhaust the stack. Nothing here recurses.
 */
export interface BadNumber {
  path: string;
  literal: string;
}

/** Arrays and objects nested deeper than this are refused (HTTP 400, WebSocket WS_MESSAGE_INVALID). */
export const MAX_JSON_DEPTH = 32;

export type JsonProblem = ({ kind: 'number' } & BadNumber) | { kind: 'depth'; depth: number };

const MAX_SAFE_DIGITS = 15; // 999,999,999,999,999 < 2^53

function isBadNumberLiteral(lit: string): boolean {
  if (/[.eE]/.test(lit)) return true;
  if (lit === '-0') return true;
  const digits = lit.startsWith('-') ? lit.slice(1) : lit;
  return digits.length > MAX_SAFE_DIGITS;
}

/**
 * The first problem of a JSON text about to be parsed: nesting beyond `maxDepth`, or a number literal
 * that is not a plain safe integer (with its JSON path, `/orders/3/amountMinor`). Malformed JSON is left
 * to the parser.
 */
export function findJsonProblem(text: string, maxDepth = MAX_JSON_DEPTH): JsonProblem | undefined {
  const marker = '\u0000lendbook-bad-number\u0000';
  let out = '';
  let last = 0;
  let found = false;
  let depth = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) {
          i++;
          break;
        } else i++;
      }
      continue;
    }
    if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > maxDepth) return { kind: 'depth', depth };
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) j++;
        else break;
      }
      const lit = text.slice(i, j);
      if (isBadNumberLiteral(lit)) {
        out += text.slice(last, i) + JSON.stringify(marker + lit);
        last = j;
        found = true;
      }
      i = j;
      continue;
    }
    i++;
  }
  if (!found) return undefined;
  out += text.slice(last);
  let parsed: unknown;
  try {
    parsed = JSON.parse(out);
  } catch {
    return undefined; // malformed anyway: the real parser reports it
  }
  const hit = locate(parsed, marker);
  return hit ? { kind: 'number', ...hit } : undefined;
}

/** Only the number part of findJsonProblem (a text nested too deep reports no number). */
export function findBadNumber(text: string): BadNumber | undefined {
  const problem = findJsonProblem(text, Number.MAX_SAFE_INTEGER);
  return problem?.kind === 'number' ? { path: problem.path, literal: problem.literal } : undefined;
}

/** A sentence for a client: the field at fault, or the nesting limit. */
export function jsonProblemText(problem: JsonProblem, prefix: string): string {
  return problem.kind === 'depth'
    ? `${prefix} is nested deeper than ${MAX_JSON_DEPTH} levels`
    : `${prefix}${problem.path === '/' ? '' : problem.path} must be an integer (got ${problem.literal.slice(0, 40)})`;
}

const pointerEscape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Depth-first, in document order, with an explicit stack: the first marked string and its path. */
function locate(root: unknown, marker: string): BadNumber | undefined {
  const stack: { value: unknown; path: string }[] = [{ value: root, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.startsWith(marker)) return { path: path || '/', literal: value.slice(marker.length) };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    const children: { value: unknown; path: string }[] = Array.isArray(value)
      ? value.map((v, k) => ({ value: v, path: `${path}/${k}` }))
      : Object.entries(value).map(([k, v]) => ({ value: v, path: `${path}/${pointerEscape(k)}` }));
    for (let k = children.length - 1; k >= 0; k--) stack.push(children[k]!);
  }
  return undefined;
}
