import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as realCrypto from 'node:crypto';
import type * as Domain from '../../lib/domain';
import type * as Signing from '../../lib/signing';

/**
 * Issue 5.6: signatures are compared in constant time. Timing cannot be measured reliably on a shared machine,
 * so this checks the mechanism instead: every signature comparison the verifier makes goes through
 * crypto.timingSafeEqual, and no early exit skips it when a candidate of the right length differs.
 */
const timingSafeEqual = jest.fn(realCrypto.timingSafeEqual);
jest.unstable_mockModule('node:crypto', () => ({ ...realCrypto, default: realCrypto, timingSafeEqual }));

// Loaded after the mock is registered (a static import would be evaluated first); the paths are variables so
// the type checker treats these as the plain dynamic imports they are.
const SIGNING = '../../lib/signing';
const DOMAIN = '../../lib/domain';
let verifyWebhook: typeof Signing.verifyWebhook;
let signStandardWebhooks: typeof Signing.signStandardWebhooks;
let signBodyHmac: typeof Signing.signBodyHmac;
let WebhookVerificationError: typeof Domain.WebhookVerificationError;
let secret: string;

beforeAll(async () => {
  const signing = (await import(SIGNING)) as typeof Signing;
  ({ verifyWebhook, signStandardWebhooks, signBodyHmac } = signing);
  ({ WebhookVerificationError } = (await import(DOMAIN)) as typeof Domain);
  secret = signing.generateWebhookSecret(32);
});

describe('constant-time signature comparison', () => {
  const body = JSON.stringify({ hello: 'world' });
  const now = new Date();
  const ts = Math.floor(now.getTime() / 1000);
  const headers = (signature: string) => ({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': signature });

  it('standard-webhooks: a valid signature is found with timingSafeEqual', () => {
    timingSafeEqual.mockClear();
    expect(verifyWebhook(body, headers(signStandardWebhooks(secret, 'msg_1', ts, body)), secret, { now })).toBe(true);
    expect(timingSafeEqual).toHaveBeenCalled();
  });

  it('standard-webhooks: a same-length forgery differing only in its last character is compared with timingSafeEqual', () => {
    const good = signStandardWebhooks(secret, 'msg_1', ts, body);
    const forged = good.slice(0, -2) + (good.at(-2) === 'A' ? 'B' : 'A') + good.at(-1);
    timingSafeEqual.mockClear();
    expect(() => verifyWebhook(body, headers(forged), secret, { now })).toThrow(WebhookVerificationError);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    const [a, b] = timingSafeEqual.mock.calls[0] as unknown as [Buffer, Buffer];
    expect(a.length).toBe(b.length);
  });

  it('standard-webhooks: every candidate against every secret during a rotation', () => {
    const other = realCrypto.randomBytes(32).toString('base64');
    const sig1 = signStandardWebhooks(`whsec_${realCrypto.randomBytes(32).toString('base64')}`, 'msg_1', ts, body);
    const sig2 = signStandardWebhooks(`whsec_${realCrypto.randomBytes(32).toString('base64')}`, 'msg_1', ts, body);
    timingSafeEqual.mockClear();
    expect(() => verifyWebhook(body, headers(`${sig1} ${sig2}`), [secret, other], { now })).toThrow(WebhookVerificationError);
    expect(timingSafeEqual).toHaveBeenCalledTimes(4);
  });

  it('body-hmac: compared with timingSafeEqual too', () => {
    const good = signBodyHmac(secret, body);
    const forged = good.slice(0, -1) + (good.at(-1) === '0' ? '1' : '0');
    timingSafeEqual.mockClear();
    expect(() => verifyWebhook(body, { 'webhook-signature': forged }, secret, { signature_scheme: 'body-hmac' })).toThrow(WebhookVerificationError);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    timingSafeEqual.mockClear();
    expect(verifyWebhook(body, { 'webhook-signature': good }, secret, { signature_scheme: 'body-hmac' })).toBe(true);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
  });
});
