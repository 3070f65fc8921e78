/** A small HTTP client for load generators: JSON in and out, failures as values, never thrown. */
export interface HttpResult {
  status: number;
  body: any;
}

export async function http(base: () => string, method: string, path: string, token?: string, body?: unknown, timeoutMs = 5000): Promise<HttpResult> {
  try {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  } catch (err) {
    return { status: 0, body: String(err) };
  }
}

export function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s % n;
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
