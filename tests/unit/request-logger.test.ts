import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { lazyRequestLogger } from '../../src/http/request-logger.js';

function appWithLines(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = Fastify({ logger: { level, stream }, disableRequestLogging: true, childLoggerFactory: lazyRequestLogger });
  app.get('/quiet', async (request) => {
    request.log.debug({ detail: 1 }, 'below the level');
    return { ok: true };
  });
  app.get('/loud', async (request) => {
    request.log.warn({ n: 1 }, 'first');
    request.log.error('second');
    return { ok: true };
  });
  return { app, lines };
}

describe('request logger without a child per request', () => {
  it('a request that writes nothing makes no child; lines below the level make none either', async () => {
    const { app, lines } = appWithLines('info');
    const child = vi.spyOn(app.log, 'child');
    for (let i = 0; i < 3; i++) expect((await app.inject({ url: '/quiet' })).statusCode).toBe(200);
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
    await app.close();
  });

  it('a request that writes makes one child, and every line carries its request id', async () => {
    const { app, lines } = appWithLines('info');
    const child = vi.spyOn(app.log, 'child');
    const res = await app.inject({ url: '/loud' });
    expect(res.statusCode).toBe(200);
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map((l) => [l.msg, l.level])).toEqual([
      ['first', 40],
      ['second', 50],
    ]);
    expect(lines[0]!.n).toBe(1);
    expect(new Set(lines.map((l) => l.reqId)).size).toBe(1);
    expect(lines[0]!.reqId).toEqual(expect.any(String));
    await app.close();
  });

  it('debug lines are written when the level allows them', async () => {
    const { app, lines } = appWithLines('debug');
    await app.inject({ url: '/quiet' });
    expect(lines.map((l) => l.msg)).toEqual(['below the level']);
    expect(lines[0]!.detail).toBe(1);
    await app.close();
  });
});
