import helmet, { type HelmetOptions } from 'helmet';

/** What helmet does to a response with given options: headers set (name as helmet spells it) and removed. */
export interface SecurityHeaders {
  set: ReadonlyArray<readonly [name: string, value: string]>;
  removed: readonly string[];
}

/**
 * Runs helmet's middleware once, against a response that only records what is done to it. Helmet stays the
 * source of the header values; what it cost was rebuilding its middleware (parsing the CSP directives
 * again) on every request. The answer is the same for every request only because no option depends on
 * the request (a CSP directive given as a function would): the request handed to helmet here throws on
 * any use, so such an option fails at startup instead of being frozen to one request's value.
 */
export function securityHeadersOf(options: HelmetOptions): SecurityHeaders {
  const set = new Map<string, readonly [string, string]>();
  const removed: string[] = [];
  const request = new Proxy(
    {},
    {
      get(_target, property) {
        throw new Error(`helmet read request.${String(property)}: its headers would differ per request and cannot be computed once`);
      },
    },
  );
  const recorder = {
    setHeader(name: string, value: unknown) {
      if (typeof value !== 'string') throw new Error(`helmet set ${name} to a non-string value`);
      set.set(name.toLowerCase(), [name, value]);
    },
    removeHeader(name: string) {
      set.delete(name.toLowerCase());
      removed.push(name);
    },
  };
  let finished = false;
  helmet(options)(request as never, recorder as never, (err?: unknown) => {
    if (err) throw err;
    finished = true;
  });
  // Helmet's middleware is synchronous; if a future version were not, the headers above would be partial.
  if (!finished) throw new Error('helmet did not finish synchronously');
  return { set: [...set.values()], removed };
}
