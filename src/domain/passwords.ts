/**
 * What makes a password acceptable, as pure rules (the list of common passwords is passed in). NIST SP
 * 800-63B's advice: length over composition rules, and no password that attackers try first — the most
 * common ones, the same ones with digits added, a character repeated, a keyboard or alphabet run.
 */
export const MIN_PASSWORD_LENGTH = 10;

export type PasswordWeakness = 'too_short' | 'email' | 'common' | 'common_with_digits' | 'repetitive' | 'sequence';

export interface PasswordVerdict {
  ok: boolean;
  weakness?: PasswordWeakness;
  /** A sentence for the user (English; the web app shows its own translation of the code). */
  detail?: string;
}

const DETAILS: Record<PasswordWeakness, string> = {
  too_short: `use at least ${MIN_PASSWORD_LENGTH} characters`,
  email: 'the password must not be your email address',
  common: 'this is one of the 10,000 most common passwords; choose another',
  common_with_digits: 'this is a common password with digits or symbols added; choose another',
  repetitive: 'this password repeats too few characters; choose another',
  sequence: 'this password is a run of consecutive characters; choose another',
};

const MIN_DISTINCT_CHARACTERS = 4;

function isRun(s: string): boolean {
  if (s.length < 3) return false;
  const step = s.charCodeAt(1) - s.charCodeAt(0);
  if (step !== 1 && step !== -1) return false;
  for (let i = 2; i < s.length; i++) if (s.charCodeAt(i) - s.charCodeAt(i - 1) !== step) return false;
  return true;
}

export function checkPassword(password: string, email: string, isCommon: (lowercased: string) => boolean): PasswordVerdict {
  const verdict = (weakness: PasswordWeakness): PasswordVerdict => ({ ok: false, weakness, detail: DETAILS[weakness] });
  if ([...password].length < MIN_PASSWORD_LENGTH) return verdict('too_short');
  const lower = password.toLowerCase();
  const mail = email.toLowerCase();
  if (lower === mail || lower === mail.split('@')[0]) return verdict('email');
  if (isCommon(lower)) return verdict('common');
  // `password12`, `dragon2024!`: a common word with digits or symbols at either end.
  const core = lower.replace(/^[^a-z]+|[^a-z]+$/g, '');
  if (core !== lower && core.length > 0 && isCommon(core)) return verdict('common_with_digits');
  if (new Set(lower).size < MIN_DISTINCT_CHARACTERS) return verdict('repetitive');
  if (isRun(lower)) return verdict('sequence');
  return { ok: true };
}
