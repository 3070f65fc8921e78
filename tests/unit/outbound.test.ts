import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { guardedLookup, isPublicAddress, postGuarded, webhookUrlProblem } from '../../src/security/outbound.js';

const strict = { allowLocalhost: false };
const dev = { allowLocalhost: true };

describe('webhook URLs', () => {
  it('https to a public name or address only; http only for localhost in development', () => {
    expect(webhookUrlProblem('https://hooks.shop.example/lendbook', strict)).toBeUndefined();
    expect(webhookUrlProblem('https://93.184.216.34/hooks', strict)).toBeUndefined();
    for (const url of ['http://hooks.shop.example/x', 'ftp://hooks.shop.example/', 'https://user:pw@hooks.shop.example/', 'https://localhost/x', 'http://localhost:8080/x', 'https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://192.168.1.1/x', 'https://172.16.0.1/x', 'https://169.254.169.254/latest/meta-data', 'https://[::1]/x', 'https://[fd00::1]/x', 'https://[::ffff:10.0.0.1]/x', 'https://0.0.0.0/x', 'https://100.64.0.1/x']) {
      expect(webhookUrlProblem(url, strict), url).toBeDefined();
    }
    expect(webhookUrlProblem('http://localhost:8080/x', dev)).toBeUndefined();
    expect(webhookUrlProblem('http://127.0.0.1:8080/x', dev)).toBeDefined(); // localhost by name only
    expect(webhookUrlProblem('http://hooks.shop.example/x', dev)).toBeDefined();
  });

  it('classifies addresses: only public unicast passes', () => {
    expect(['8.8.8.8', '93.184.216.34', '2001:4860:4860::8888'].map(isPublicAddress)).toEqual([true, true, true]);
    expect(['10.0.0.1', '127.0.0.1', '169.254.1.1', '::1', 'fe80::1', 'fc00::1', '::ffff:192.168.0.1', '224.0.0.1', 'not-an-ip'].some(isPublicAddress)).toBe(false);
  });
});

describe('the guarded lookup', () => {
  const resolverOf = (addresses: LookupAddress[]) => (_host: string, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => cb(null, addresses);
  const lookup = (addresses: LookupAddress[], policy = strict, host = 'hooks.shop.example', all = false) =>
    new Promise<{ err: Error | null; address: unknown }>((resolve) => guardedLookup(policy, resolverOf(addresses))(host, { all }, (err, address) => resolve({ err, address })));

  it('a name that resolves to a private, loopback or link-local address is refused before connecting', async () => {
    for (const address of ['10.0.0.7', '127.0.0.1', '169.254.169.254', '::1']) {
      const r = await lookup([{ address, family: address.includes(':') ? 6 : 4 }]);
      expect(r.err?.message, address).toMatch(/not a public address/);
    }
    // One bad address among good ones is enough to refuse: the connection could pick it.
    expect((await lookup([{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }])).err).not.toBeNull();
  });

  it('public addresses pass, one or all as asked; loopback passes for localhost only in development', async () => {
    expect(await lookup([{ address: '93.184.216.34', family: 4 }])).toEqual({ err: null, address: '93.184.216.34' });
    expect((await lookup([{ address: '93.184.216.34', family: 4 }], strict, 'hooks.shop.example', true)).address).toEqual([{ address: '93.184.216.34', family: 4 }]);
    expect((await lookup([{ address: '127.0.0.1', family: 4 }], dev, 'localhost')).err).toBeNull();
    expect((await lookup([{ address: '127.0.0.1', family: 4 }], dev, 'evil.example')).err).not.toBeNull();
  });

  it('postGuarded sends nothing to a name resolving to a private address', async () => {
    const resolve = resolverOf([{ address: '10.0.0.7', family: 4 }]);
    await expect(postGuarded('https://hooks.shop.example/x', {}, '{}', { policy: strict, timeoutMs: 1000, resolve })).rejects.toThrow(/not a public address/);
  });
});
