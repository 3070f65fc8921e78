import { describe, expect, it } from 'vitest';
import { jobToEnqueue } from '../../src/services/outbox.js';

describe('jobToEnqueue', () => {
  it('leaves a job without a coalescing window as it was written', () => {
    const job = { name: 'listing.close', id: 'close-lst_1-0', data: { listingId: 'lst_1' }, runAtMs: 5_000 };
    expect(jobToEnqueue(job, 123_456)).toEqual(job);
  });

  it('gives a coalesced job the window of the dispatch and runs it at that window’s end', () => {
    const job = { name: 'rating.recompute', id: 'rate-mer_1', data: { merchantId: 'mer_1' }, coalesceMs: 2000 };
    const early = jobToEnqueue(job, 10_000);
    const late = jobToEnqueue(job, 11_999);
    // Dispatches in one window share one run, after every one of them.
    expect(early).toEqual({ name: 'rating.recompute', id: 'rate-mer_1-5', data: { merchantId: 'mer_1' }, runAtMs: 12_000 });
    expect(late).toEqual(early);
    // A dispatch once that window's run is due gets a run of its own, later still.
    expect(jobToEnqueue(job, 12_000)).toMatchObject({ id: 'rate-mer_1-6', runAtMs: 14_000 });
  });
});
