import http from 'node:http';

export interface HttpResult {
  status: number;
  body: string;
}

/**
 * A keep-alive HTTP/1.1 client on node:http: the cheapest client Node has (no fetch machinery), so the
 * load generator spends its CPU on requests rather than on itself.
 */
export class HttpTarget {
  readonly agent: http.Agent;
  readonly host: string;
  readonly port: number;

  constructor(baseUrl: string, maxSockets: number) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo' });
  }

  request(method: string, path: string, headers: Record<string, string>, body?: string): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const h: Record<string, string | number> = { ...headers };
      if (body !== undefined) {
        h['content-type'] = 'application/json';
        h['content-length'] = Buffer.byteLength(body);
      }
      const req = http.request({ agent: this.agent, host: this.host, port: this.port, method, path, headers: h }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (body !== undefined) req.end(body);
      else req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Problem code of an error response, for the tally of rejections. */
export function problemCode(r: HttpResult): string {
  try {
    const j = JSON.parse(r.body) as { code?: unknown };
    return typeof j.code === 'string' ? `${r.status} ${j.code}` : String(r.status);
  } catch {
    return String(r.status);
  }
}

/** A JSON API call for seeding and checks (fetch: convenience over speed here). */
export async function api<T = any>(baseUrl: string, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {}): Promise<{ status: number; json: T; text: string }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const raw = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (raw !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(raw !== undefined ? { body: raw } : {}) });
  const text = await res.text();
  let json: any = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json: json as T, text };
}

export async function expectStatus<T = any>(what: string, p: Promise<{ status: number; json: T; text: string }>, ...ok: number[]): Promise<T> {
  const r = await p;
  if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${r.text.slice(0, 500)}`);
  return r.json;
}

/** A JSON GET with no timeout at all (node:http), for answers that may take minutes (the invariants). */
export function slowGetJson<T>(baseUrl: string, path: string, token: string): Promise<{ status: number; json: T; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, baseUrl);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'GET', headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json: json as T, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
