import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * Prefixed, time-ordered ids (`lst_01j…`): 48 bits of milliseconds then 80 random bits, in base32, so
 * that ids sort by creation time and cursor pagination by id is stable.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  const { bytes, at } = randomTen();
  return idOf(prefix, timePart(nowMs), bytes, at);
}

// Random bits for single ids come from a pool refilled 4 KiB at a time: a system call per id was a
// measurable part of a bid's CPU. Each id's 10 bytes are used once and never handed out again.
const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let poolAt = 0;

function randomTen(): { bytes: Uint8Array; at: number } {
  if (poolAt + 10 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += 10;
  return { bytes: pool, at };
}

/**
 * `count` ids as newId makes them, with one call for their random bits: a set-based write of thousands
 * of rows (an autobid pass's log) would otherwise ask the system for random bytes once per row.
 */
export function newIds(prefix: string, count: number, nowMs: number = Date.now()): string[] {
  const time = timePart(nowMs);
  const rand = randomBytes(10 * count);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(idOf(prefix, time, rand, i * 10));
  return ids;
}

function timePart(nowMs: number): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  return time;
}

/** The prefix, the time, then 80 random bits (rand[at..at+10]) in base32. */
function idOf(prefix: string, time: string, rand: Uint8Array, at: number): string {
  let bits = 0;
  let value = 0;
  let tail = '';
  for (let k = at; k < at + 10; k++) {
    value = (value << 8) | rand[k]!;
    bits += 8;
    while (bits >= 5) {
      tail += ALPHABET[(value >>> (bits - 5)) & 31]!;
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return `${prefix}_${time}${tail}`;
}

/** An opaque random token (sessions, invite codes), base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export const ID_PATTERN = '^[a-z]{2,5}_[0-9a-z]{10,40}$';

/**
 * A deterministic id for something created on behalf of an idempotent request: the same seed (user and
 * Idempotency-Key) always gives the same id, so a retried or taken-over request finds what the first
 * one created instead of creating it again.
 */
export function idFromSeed(prefix: string, seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of digest.subarray(0, 16)) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]!;
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return `${prefix}_${out}`;
}
