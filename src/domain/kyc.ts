/**
 * Lender KYC checks that need no outside service: the mainland resident identity number (GB 11643-1999,
 * 18 characters: region, birth date, sequence, ISO 7064 MOD 11-2 check character).
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

export function residentIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

export function isValidResidentId(idNumber: string): boolean {
  if (!/^[1-9]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[0-9X]$/.test(idNumber)) return false;
  const year = Number(idNumber.slice(6, 10));
  const month = Number(idNumber.slice(10, 12));
  const day = Number(idNumber.slice(12, 14));
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day > days) return false;
  return residentIdCheckChar(idNumber.slice(0, 17)) === idNumber[17];
}

/** Adults only: the birth date in the id number is at least 18 years before `today` (YYYY-MM-DD). */
export function isAdultOn(idNumber: string, today: string): boolean {
  const birth = `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
  const adultFrom = `${String(Number(birth.slice(0, 4)) + 18).padStart(4, '0')}${birth.slice(4)}`;
  return adultFrom <= today;
}
