import { describe, expect, it } from '@jest/globals';
import { verify as octokitVerify } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, verifyWebhook, WebhookVerificationError } from '../../lib';
import { signBodyHmac, signStandardWebhooks } from '../../lib/signing/signature';
import { WebhookSigner } from '../../lib/signing/webhook-signer';
import { resolveWebhookConfig } from '../../lib/config/webhook-config';

// The Standard Webhooks specification's own example.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const headersFor = (id: string, ts: number, sig: string) => ({ 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sig });

describe('signatures', () => {
  it('matches the Standard Webhooks test vector', () => {
    expect(signStandardWebhooks(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('generates whsec_ secrets of the requested length that the official library accepts', () => {
    const secret = generateWebhookSecret(24);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    const ts = Math.floor(Date.now() / 1000);
    const body = '{"a":1}';
    expect(new Webhook(secret).verify(body, headersFor('m1', ts, signStandardWebhooks(secret, 'm1', ts, body)))).toEqual({ a: 1 });
    expect(() => generateWebhookSecret(8)).toThrow(/between 16 and 64/);
  });

  it('signs body-hmac as GitHub does, verified by @octokit/webhooks-methods', async () => {
    const secret = generateWebhookSecret();
    const body = '{"event_type":"x"}';
    const sig = signBodyHmac(secret, body);
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    await expect(octokitVerify(secret, body, sig)).resolves.toBe(true);
    await expect(octokitVerify('other', body, sig)).resolves.toBe(false);
    expect(signBodyHmac(secret, body, 'sha512')).toMatch(/^sha512=[0-9a-f]{128}$/);
  });

  it('puts one v1 signature per active secret during a rotation', () => {
    const config = resolveWebhookConfig({});
    const signer = new WebhookSigner(config);
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const now = new Date();
    const sub = { secret: newSecret, previous_secret: oldSecret, previous_secret_expires_at: new Date(now.getTime() + 60_000) } as any;
    const h = signer.headers(sub, 'evt_1', 'user.created', '{}', now);
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    for (const s of [oldSecret, newSecret]) expect(new Webhook(s).verify('{}', h)).toEqual({});
    const expired = signer.headers({ ...sub, previous_secret_expires_at: new Date(now.getTime() - 1) }, 'evt_1', 'x', '{}', now);
    expect(expired['webhook-signature'].split(' ')).toHaveLength(1);
    expect(() => new Webhook(oldSecret).verify('{}', expired)).toThrow();
  });
});

describe('verifyWebhook', () => {
  const now = new Date(VECTOR.timestamp * 1000);
  const headers = headersFor(VECTOR.id, VECTOR.timestamp, VECTOR.signature);

  it('accepts the vector, as string or Buffer, with one secret or several', () => {
    expect(verifyWebhook(VECTOR.body, headers, VECTOR.secret, { now })).toBe(true);
    expect(verifyWebhook(Buffer.from(VECTOR.body), headers, [generateWebhookSecret(), VECTOR.secret], { now })).toBe(true);
  });

  it.each([
    ['a changed body', VECTOR.body + ' ', headers, /no signature matches/],
    ['a wrong secret', VECTOR.body, headers, /no signature matches/, generateWebhookSecret()],
    ['a missing signature header', VECTOR.body, { ...headers, 'webhook-signature': undefined }, /missing webhook-signature/],
    ['a missing id', VECTOR.body, { ...headers, 'webhook-id': undefined }, /missing webhook-id/],
    ['a non-numeric timestamp', VECTOR.body, { ...headers, 'webhook-timestamp': 'soon' }, /unix seconds/],
    ['no v1 value', VECTOR.body, { ...headers, 'webhook-signature': 'v2,abc' }, /no v1 signature/],
  ])('rejects %s', (_what, body, h, message, secret = VECTOR.secret) => {
    expect(() => verifyWebhook(body, h as any, secret, { now })).toThrow(message);
    expect(() => verifyWebhook(body, h as any, secret, { now })).toThrow(WebhookVerificationError);
  });

  it('rejects stale and future timestamps beyond the tolerance (replay protection)', () => {
    expect(() => verifyWebhook(VECTOR.body, headers, VECTOR.secret, { now: new Date(now.getTime() + 301_000) })).toThrow(/too old/);
    expect(() => verifyWebhook(VECTOR.body, headers, VECTOR.secret, { now: new Date(now.getTime() - 301_000) })).toThrow(/future/);
    expect(verifyWebhook(VECTOR.body, headers, VECTOR.secret, { now: new Date(now.getTime() + 299_000) })).toBe(true);
    expect(() => verifyWebhook(VECTOR.body, headers, VECTOR.secret, { now: new Date(now.getTime() + 11_000), tolerance_seconds: 10 })).toThrow(/too old/);
  });

  it('verifies body-hmac signatures with either algorithm', () => {
    const secret = generateWebhookSecret();
    const body = '{"x":1}';
    expect(verifyWebhook(body, { 'webhook-signature': signBodyHmac(secret, body, 'sha512') }, secret, { signature_scheme: 'body-hmac', signature_algorithm: 'sha512' })).toBe(true);
    expect(() => verifyWebhook(body, { 'webhook-signature': signBodyHmac(secret, body) }, generateWebhookSecret(), { signature_scheme: 'body-hmac' })).toThrow(/no sha256= signature/);
  });

  it('reads fetch Headers and renamed headers', () => {
    const h = new Headers({ 'x-id': VECTOR.id, 'x-ts': String(VECTOR.timestamp), 'x-sig': VECTOR.signature });
    expect(verifyWebhook(VECTOR.body, h, VECTOR.secret, { now, event_id_header: 'x-id', timestamp_header: 'x-ts', signature_header: 'x-sig' })).toBe(true);
  });
});
