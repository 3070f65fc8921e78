/**
 * Every number in Lendbook's API is an integer (minor units, basis points, counts). JSON.parse would
 * turn `1e5` or `100.0` into a valid-looking integer and `-0` into a negative zero, so the raw text is
 * scanned first: a number literal with a fraction, an exponent, a negative zero or more digits than a
 * safe integer holds is refused with the path of the field that carries it.
 */
export interface BadNumber {
  path: string;
  literal: string;
}

const MAX_SAFE_DIGITS = 15; // 999,999,999,999,999 < 2^53

function isBadNumberLiteral(lit: string): boolean {
  if (/[.eE]/.test(lit)) return true;
  if (lit === '-0') return true;
  const digits = lit.startsWith('-') ? lit.slice(1) : lit;
  return digits.length > MAX_SAFE_DIGITS;
}

/**
 * Returns the first bad number literal with its JSON path (`/orders/3/amountMinor`), or undefined.
 * Only called on text that is otherwise about to be parsed; malformed JSON is left to the parser.
 */
export function findBadNumber(text: string): BadNumber | undefined {
  // Fast path: most bodies contain no '.', 'e' or 'E' outside strings and no long digit runs.
  const marker = '\u0000lendbook-bad-number\u0000';
  let out = '';
  let last = 0;
  let found = false;
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
    if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
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
  return locate(parsed, '', marker);
}

function locate(value: unknown, path: string, marker: string): BadNumber | undefined {
  if (typeof value === 'string') return value.startsWith(marker) ? { path: path || '/', literal: value.slice(marker.length) } : undefined;
  if (Array.isArray(value)) {
    for (let k = 0; k < value.length; k++) {
      const hit = locate(value[k], `${path}/${k}`, marker);
      if (hit) return hit;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const hit = locate(v, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, marker);
      if (hit) return hit;
    }
  }
  return undefined;
}
