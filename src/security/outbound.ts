import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Requests Lendbook sends to addresses that others chose (partners' webhook URLs). A URL is checked when
 * it is set, and the address it resolves to is checked again at the moment of connecting (the lookup of
 * the connection itself, so a name that changes between the check and the request gains nothing): never
 * a private, loopback, link-local or otherwise non-public address — Lendbook's own network is not a
 * partner's to reach.
 */

/** Public unicast only: ipaddr.js names every special range (private, loopback, linkLocal, uniqueLocal, …). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

function isLoopback(address: string): boolean {
  return ipaddr.isValid(address) && ipaddr.process(address).range() === 'loopback';
}

export interface OutboundPolicy {
  /** LENDBOOK_ALLOW_HTTP_WEBHOOKS=on: `http://localhost` (and loopback) for development. */
  allowLocalhost: boolean;
}

function isLocalhostName(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost');
}

/** Why a webhook URL is refused, or undefined: https only (http://localhost in development). */
export function webhookUrlProblem(raw: string, policy: OutboundPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const localhost = isLocalhostName(host);
  if (url.protocol === 'http:') {
    if (!(policy.allowLocalhost && localhost)) return policy.allowLocalhost ? 'must use https (http only for localhost)' : 'must use https';
  } else if (url.protocol !== 'https:') return 'must use https';
  if (localhost && !policy.allowLocalhost) return 'must reach a public address, not localhost';
  if (isIP(host) && !isPublicAddress(host)) return 'must reach a public address, not a private, loopback or link-local one';
  return undefined;
}

export class AddressRefusedError extends Error {
  override name = 'AddressRefusedError';
  readonly code = 'EADDRNOTPUBLIC';
}

type Resolver = (hostname: string, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;
const systemResolver: Resolver = (hostname, callback) => dnsLookup(hostname, { all: true }, callback);

/** A lookup for outbound connections that refuses every non-public address (loopback only when allowed). */
export function guardedLookup(policy: OutboundPolicy, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const refused = addresses.find((a) => !isPublicAddress(a.address) && !(policy.allowLocalhost && isLocalhostName(hostname) && isLoopback(a.address)));
      if (refused || addresses.length === 0) {
        return callback(new AddressRefusedError(`${hostname} resolves to ${refused?.address ?? 'nothing'}, which is not a public address: not sent`), '', 0);
      }
      const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, wanted);
      const first = wanted[0] ?? addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/**
 * POSTs a body and returns the status, through the guarded lookup; redirects are not followed. An IP
 * literal in the URL skips DNS, so it is checked here.
 */
export function postGuarded(rawUrl: string, headers: Record<string, string>, body: string, opts: { policy: OutboundPolicy; timeoutMs: number; resolve?: Resolver }): Promise<number> {
  const url = new URL(rawUrl);
  const problem = webhookUrlProblem(rawUrl, opts.policy);
  if (problem) return Promise.reject(new AddressRefusedError(`the URL ${problem}: not sent`));
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup: guardedLookup(opts.policy, opts.resolve), signal: AbortSignal.timeout(opts.timeoutMs) },
      (res) => {
        res.resume(); // the answer's body is not read: only its status counts
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
