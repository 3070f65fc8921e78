import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The 10,000 most common passwords (common-passwords.txt, most frequent first: the ranked list of
 * leaked passwords that zxcvbn ships, taken from @zxcvbn-ts/language-common 4.1.3, MIT). Read once.
 */
let common: Set<string> | undefined;

export function isCommonPassword(lowercased: string): boolean {
  common ??= new Set(
    readFileSync(path.join(import.meta.dirname, 'common-passwords.txt'), 'utf8')
      .split('\n')
      .map((line) => line.trim().toLowerCase())
      .filter(Boolean),
  );
  return common.has(lowercased);
}
