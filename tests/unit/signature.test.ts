import { describe, expect, it } from 'vitest';
import { SIGNATURE_WINDOW_SEC, checkSignature, signedHeaders } from '../../src/security/signature.js';

describe('checkSignature', () => {
  const secret = 'partner-secret';
  const body = '{"orders":[]}';
  const nowSec = 1_780_000_000;
  const check = (timestampSec: number, secrets = [secret], raw = body) =>
    checkSignature(signedHeaders('pk_test', secret, body, timestampSec), raw, () => secrets, nowSec);

  it('accepts a timestamp up to the window away on either side, and not one second more', () => {
    expect(SIGNATURE_WINDOW_SEC).toBe(300);
    for (const ts of [nowSec, nowSec - 300, nowSec + 300]) expect(check(ts)).toMatchObject({ ok: true, keyId: 'pk_test', timestampSec: ts });
    for (const ts of [nowSec - 301, nowSec + 301]) expect(check(ts)).toMatchObject({ ok: false, code: 'SIGNATURE_EXPIRED' });
  });

  it('matches either secret during a rotation; refuses an altered body, an unknown key and missing headers', () => {
    expect(check(nowSec, ['newer-secret', secret])).toMatchObject({ ok: true });
    expect(check(nowSec, [secret], body.replace('[]', '[1]'))).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    expect(check(nowSec, [])).toMatchObject({ ok: false, code: 'PARTNER_KEY_UNKNOWN' });
    expect(checkSignature({ 'x-lendbook-key': 'pk_test' }, body, () => [secret], nowSec)).toMatchObject({ ok: false, code: 'SIGNATURE_MISSING' });
  });
});
