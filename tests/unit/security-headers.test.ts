import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet, { type HelmetOptions } from 'helmet';
import { describe, expect, it } from 'vitest';
import { securityHeadersOf } from '../../src/http/security-headers.js';

/** The headers helmet's own middleware leaves on a real response, names as written. */
function helmetOnRealResponse(options: HelmetOptions): [string, string][] {
  const req = new IncomingMessage(new Socket());
  const res = new ServerResponse(req);
  res.setHeader('X-Powered-By', 'something');
  helmet(options)(req, res, (err?: unknown) => {
    if (err) throw err;
  });
  // Node has the names as set since v15 (its types here do not say so).
  const rawNames = (res as unknown as { getRawHeaderNames(): string[] }).getRawHeaderNames();
  return rawNames.map((name) => [name, String(res.getHeader(name))]);
}

const appLike: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'self'"], connectSrc: ["'self'", 'ws://localhost:3000'], frameAncestors: ["'none'"] } },
  referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  xFrameOptions: { action: 'deny' },
  crossOriginResourcePolicy: false,
};

describe('securityHeadersOf', () => {
  it('gives exactly the headers helmet sets on a response, with the same names and values', () => {
    for (const options of [appLike, {}]) {
      const computed = securityHeadersOf(options);
      expect(computed.set.map(([name, value]) => [name, value])).toEqual(helmetOnRealResponse(options));
      expect(computed.removed).toEqual(['X-Powered-By']);
    }
  });

  it('refuses options whose headers depend on the request, instead of freezing one request’s values', () => {
    const perRequest: HelmetOptions = { contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'self'"], scriptSrc: [(req) => `'nonce-${(req as { url?: string }).url}'`] } } };
    expect(() => securityHeadersOf(perRequest)).toThrow(/helmet read request/);
  });
});
