import { describe, expect, it } from '@jest/globals';
import { createHmac, createPublicKey, sign, verify } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ed25519PublicKey, generateEd25519KeyPair, generateWebhookSecret, verifyWebhook, WebhookVerificationError, type WebhookSubscription } from '../../lib';
import { signBodyHmac, signStandardWebhooks } from '../../lib/signing/signature';
import { signEd25519StandardWebhooks } from '../../lib/signing/ed25519';
import { WebhookSigner } from '../../lib/signing/webhook-signer';
import { resolveWebhookConfig } from '../../lib/config/webhook-config';
import { AttemptSender } from '../../lib/delivery/engine/attempt-sender';
import type { WebhookTransport } from '../../lib/delivery/http/transport';
import { ed25519PrivateKeyObject, ed25519SigningKeyProblem } from '../../lib/signing/ed25519';

const b64 = (bytes: Buffer | number[]) => Buffer.from(bytes).toString('base64');
const headersFor = (id: string, ts: number, sig: string) => ({ 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sig });

/**
 * How a receiver in another stack checks a `v1a` signature, with node:crypto alone and only the `whpk_` key: the
 * ten lines the README shows (no tolerance check here: the tests give fixed timestamps).
 */
function verifyV1aWithNodeCrypto(body: string, headers: Record<string, string>, publicKey: string): boolean {
  const raw = Buffer.from(publicKey.slice('whpk_'.length), 'base64');
  // An SPKI wrapper around the 32 raw bytes (RFC 8410), or JWK: { kty: 'OKP', crv: 'Ed25519', x: base64url }.
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  const signed = Buffer.from(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`);
  return headers['webhook-signature']
    .split(' ')
    .filter((s) => s.startsWith('v1a,'))
    .some((s) => verify(null, signed, key, Buffer.from(s.slice(4), 'base64')));
}

// RFC 8032, section 7.1, test 1: a known seed, its public key, and its signature of the empty message.
const RFC8032 = {
  seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};
const rfcSecret = 'whsk_' + b64(Buffer.from(RFC8032.seed + RFC8032.public, 'hex'));
const rfcPublic = 'whpk_' + b64(Buffer.from(RFC8032.public, 'hex'));

describe('ed25519 keys', () => {
  it('reads a whsk_ key as seed then public key (the RFC 8032 vector signs as specified)', () => {
    expect(ed25519PublicKey(rfcSecret)).toBe(rfcPublic);
    expect(ed25519SigningKeyProblem(rfcSecret)).toBeNull();
    expect(sign(null, Buffer.alloc(0), ed25519PrivateKeyObject(rfcSecret)).toString('hex')).toBe(RFC8032.signature);
  });

  it('generates pairs of 64 and 32 bytes whose halves agree', () => {
    const a = generateEd25519KeyPair();
    const b = generateEd25519KeyPair();
    expect(a.secret).toMatch(/^whsk_[A-Za-z0-9+/]{86}==$/);
    expect(a.public_key).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.secret.slice(5), 'base64')).toHaveLength(64);
    expect(ed25519PublicKey(a.secret)).toBe(a.public_key);
    expect(ed25519SigningKeyProblem(a.secret)).toBeNull();
    expect(b.secret).not.toBe(a.secret);
    // A seed with another key's public half is caught.
    const mixed = 'whsk_' + b64(Buffer.concat([Buffer.from(a.secret.slice(5), 'base64').subarray(0, 32), Buffer.from(b.public_key.slice(5), 'base64')]));
    expect(ed25519SigningKeyProblem(mixed)).toMatch(/not the one of its seed/);
    expect(ed25519SigningKeyProblem('whsk_' + b64(Buffer.alloc(63)))).toMatch(/base64 of 64 bytes/);
    expect(() => ed25519PublicKey('whsec_' + b64(Buffer.alloc(64)))).toThrow(TypeError);
  });
});

describe('v1a signatures', () => {
  const body = '{"event_type":"invoice.paid","payload":{"amount":1200}}';
  const ts = 1_700_000_000;
  const now = new Date(ts * 1000);

  it('verify with node:crypto alone given only the whpk_ key, and with verifyWebhook', () => {
    const { secret, public_key } = generateEd25519KeyPair();
    const h = headersFor('msg_1', ts, signEd25519StandardWebhooks(secret, 'msg_1', ts, body));
    expect(h['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(verifyV1aWithNodeCrypto(body, h, public_key)).toBe(true);
    expect(verifyV1aWithNodeCrypto(body + ' ', h, public_key)).toBe(false);
    expect(verifyV1aWithNodeCrypto(body, h, generateEd25519KeyPair().public_key)).toBe(false);
    expect(verifyWebhook(body, h, public_key, { now })).toBe(true);
    expect(verifyWebhook(Buffer.from(body), h, [generateWebhookSecret(), generateEd25519KeyPair().public_key, public_key], { now })).toBe(true);
    expect(() => verifyWebhook(body + ' ', h, public_key, { now })).toThrow(/no signature matches/);
    expect(() => verifyWebhook(body, h, generateEd25519KeyPair().public_key, { now })).toThrow(/no signature matches/);
    expect(() => verifyWebhook(body, h, public_key, { now: new Date(now.getTime() + 301_000) })).toThrow(/too old/);
  });

  it('never cross kinds: v1 is checked only with whsec_ secrets, v1a only with whpk_ keys (no key confusion)', () => {
    const { secret, public_key } = generateEd25519KeyPair();
    // A forger who knows the public key signs v1 with its bytes as the HMAC key (and with the whpk_ text too).
    const publicBytes = Buffer.from(public_key.slice(5), 'base64');
    const forged = [signStandardWebhooks(publicBytes, 'msg_1', ts, body), signStandardWebhooks(public_key, 'msg_1', ts, body)];
    const forgedHeaders = headersFor('msg_1', ts, forged.join(' '));
    expect(() => verifyWebhook(body, forgedHeaders, public_key, { now })).toThrow(/holds no v1a signature: it is signed with HMAC \(v1\), so verify with the whsec_ secret/);
    // Also beside a genuine v1a from another key: the forged v1 values are not looked at with a whpk_ key.
    const other = signEd25519StandardWebhooks(generateEd25519KeyPair().secret, 'msg_1', ts, body);
    expect(() => verifyWebhook(body, headersFor('msg_1', ts, `${forged.join(' ')} ${other}`), public_key, { now })).toThrow(/no signature matches/);
    // The other way: a v1a value is never taken for a v1 one by a whsec_ secret.
    const hmacSecret = generateWebhookSecret();
    const v1a = signEd25519StandardWebhooks(secret, 'msg_1', ts, body);
    expect(() => verifyWebhook(body, headersFor('msg_1', ts, v1a), hmacSecret, { now })).toThrow(/holds no v1 signature: it is signed with ed25519 \(v1a\), so verify with the whpk_ public key/);
    expect(() => verifyWebhook(body, headersFor('msg_1', ts, 'v2,abc'), [hmacSecret, public_key], { now })).toThrow(/holds no v1 or v1a signature/);
    expect(() => verifyWebhook(body, headersFor('msg_1', ts, 'v1a,not-base64!'), public_key, { now })).toThrow(/no signature matches/);
  });

  it('refuses a whsk_ signing key, and ed25519 keys with the body-hmac scheme', () => {
    const { secret, public_key } = generateEd25519KeyPair();
    const h = headersFor('msg_1', ts, signEd25519StandardWebhooks(secret, 'msg_1', ts, body));
    expect(() => verifyWebhook(body, h, secret, { now })).toThrow(/whsk_ key, the signing key that stays with the sender: verify with its whpk_ public key/);
    expect(() => verifyWebhook(body, h, [public_key, secret], { now })).toThrow(/key \[1\] is a whsk_ key/);
    // Under body-hmac a whpk_ key would be an HMAC key everybody knows.
    const forged = signBodyHmac(public_key, body);
    for (const key of [public_key, secret]) {
      expect(() => verifyWebhook(body, { 'webhook-signature': forged }, key, { signature_scheme: 'body-hmac' })).toThrow(/ed25519 key .*body-hmac scheme is HMAC only/);
    }
  });
});

describe('weak keys (issue 18, item 7)', () => {
  const body = '{"a":1}';
  const ts = 1_700_000_000;
  const now = new Date(ts * 1000);
  // What a forger sends for a receiver whose secret came from an empty environment variable: an HMAC with no key.
  const emptyKeyHeaders = headersFor('msg_1', ts, 'v1,' + createHmac('sha256', Buffer.alloc(0)).update(`msg_1.${ts}.${body}`).digest('base64'));

  it.each([
    ['whsec_ (empty)', 'whsec_'],
    ['whsec_!!!! (not base64)', 'whsec_!!!!'],
    ['whsec_ + 8 bytes', 'whsec_' + b64(Buffer.alloc(8, 1))],
    ['whsec_ + 15 bytes', 'whsec_' + b64(Buffer.alloc(15, 1))],
    ['whsec_ + base64 without its padding', 'whsec_' + b64(Buffer.alloc(16, 1)).replace(/=+$/, '')],
    ['whsec_ + base64 with a space inside', 'whsec_' + b64(Buffer.alloc(24, 1)).replace(/^(.{8})/, '$1 ')],
    ['whsec_ + base64url', 'whsec_' + Buffer.alloc(24, 0xfb).toString('base64url')],
    ['bare !!!!', '!!!!'],
    ['bare base64 of 8 bytes', b64(Buffer.alloc(8, 1))],
    ['whpk_ + 31 bytes', 'whpk_' + b64(Buffer.alloc(31, 1))],
    ['whpk_ (empty)', 'whpk_'],
  ])('%s throws WebhookVerificationError "malformed" (never a verdict)', (_what, key) => {
    expect(() => verifyWebhook(body, emptyKeyHeaders, key, { now })).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(body, emptyKeyHeaders, key, { now })).toThrow(/is malformed/);
    // Also when the request carries no signature at all: the key is checked first.
    expect(() => verifyWebhook(body, {}, key, { now })).toThrow(/is malformed/);
    // And in an array beside a good key, naming the bad one.
    expect(() => verifyWebhook(body, emptyKeyHeaders, [generateWebhookSecret(), key], { now })).toThrow(/key \[1\] is malformed/);
  });

  it('the message never quotes the key', () => {
    const key = 'whsec_' + b64(Buffer.from('short-secret'));
    expect(() => verifyWebhook(body, emptyKeyHeaders, key, { now })).toThrow(/malformed/);
    try {
      verifyWebhook(body, emptyKeyHeaders, key, { now });
    } catch (err) {
      expect((err as Error).message).not.toContain(key.slice(6));
    }
  });

  it('keeps accepting 16 bytes and more, prefixed or bare, and the specification vector', () => {
    for (const key of ['whsec_' + b64(Buffer.alloc(16, 7)), b64(Buffer.alloc(16, 7)), 'whsec_' + b64(Buffer.alloc(64, 7))]) {
      const h = headersFor('msg_1', ts, signStandardWebhooks(key, 'msg_1', ts, body));
      expect(verifyWebhook(body, h, key, { now })).toBe(true);
    }
  });

  it('body-hmac: secrets shorter than 16 characters are refused as malformed', () => {
    for (const key of ['', 'whsec_', 'x'.repeat(15)]) {
      expect(() => verifyWebhook(body, { 'webhook-signature': signBodyHmac(key, body) }, key, { signature_scheme: 'body-hmac' })).toThrow(key === '' ? /no key given/ : /malformed: a body-hmac secret has at least 16 characters/);
    }
    const ok = 'x'.repeat(16);
    expect(verifyWebhook(body, { 'webhook-signature': signBodyHmac(ok, body) }, ok, { signature_scheme: 'body-hmac' })).toBe(true);
  });
});

describe('WebhookSigner with ed25519 subscriptions', () => {
  const config = resolveWebhookConfig({});
  const body = '{"x":1}';
  const now = new Date();
  const sub = (fields: Partial<WebhookSubscription>) => ({ subscription_id: 'sub_1', url: 'https://h.example/', headers: {}, ...fields }) as WebhookSubscription;

  it('signs v1a with a whsk_ key; during a rotation both keys sign, each verifiable with its own public key', () => {
    const signer = new WebhookSigner(config);
    const fresh = generateEd25519KeyPair();
    const old = generateEd25519KeyPair();
    const single = signer.headers(sub({ secret: fresh.secret, signature_type: 'ed25519' }), 'evt_1', 'x', body, now);
    expect(single['webhook-signature']).toMatch(/^v1a,\S+$/);
    const h = signer.headers(sub({ secret: fresh.secret, signature_type: 'ed25519', previous_secret: old.secret, previous_secret_expires_at: new Date(now.getTime() + 60_000) }), 'evt_1', 'x', body, now);
    const values = h['webhook-signature'].split(' ');
    expect(values).toHaveLength(2);
    expect(values.every((v) => v.startsWith('v1a,'))).toBe(true);
    for (const [i, key] of [fresh.public_key, old.public_key].entries()) {
      expect(verifyWebhook(body, { ...h, 'webhook-signature': values[i] }, key)).toBe(true);
      expect(verifyV1aWithNodeCrypto(body, h, key)).toBe(true);
    }
    expect(() => verifyWebhook(body, { ...h, 'webhook-signature': values[0] }, old.public_key)).toThrow(/no signature matches/);
  });

  it('after a change of signature_type, the old HMAC secret keeps signing v1 beside the new v1a (the official library reads its v1)', () => {
    const signer = new WebhookSigner(config);
    const pair = generateEd25519KeyPair();
    const hmac = generateWebhookSecret();
    const h = signer.headers(sub({ secret: pair.secret, signature_type: 'ed25519', previous_secret: hmac, previous_secret_expires_at: new Date(now.getTime() + 60_000) }), 'evt_1', 'x', body, now);
    expect(h['webhook-signature']).toMatch(/^v1a,\S+ v1,\S+$/);
    expect(new Webhook(hmac).verify(body, h)).toEqual({ x: 1 });
    expect(verifyWebhook(body, h, pair.public_key)).toBe(true);
    expect(verifyWebhook(body, h, hmac)).toBe(true);
  });

  it('refuses to sign a key whose halves disagree, without quoting it; body-hmac refuses ed25519; the sender reports "not sent"', async () => {
    const a = generateEd25519KeyPair();
    const b = generateEd25519KeyPair();
    const mixed = 'whsk_' + b64(Buffer.concat([Buffer.from(a.secret.slice(5), 'base64').subarray(0, 32), Buffer.from(b.public_key.slice(5), 'base64')]));
    const signer = new WebhookSigner(config);
    expect(() => signer.headers(sub({ secret: mixed, signature_type: 'ed25519' }), 'evt_1', 'x', body, now)).toThrow(/holds a public key that is not the one of its seed: rotate its secret/);
    const bodyHmac = new WebhookSigner(resolveWebhookConfig({ signature_scheme: 'body-hmac' }));
    expect(() => bodyHmac.headers(sub({ secret: a.secret, signature_type: 'ed25519' }), 'evt_1', 'x', body, now)).toThrow(/body-hmac scheme cannot carry/);

    const sent: unknown[] = [];
    const transport: WebhookTransport = { send: async (...args: unknown[]) => (sent.push(args), { ok: true, status_code: 200, duration_ms: 1, error_message: null, retry_after_ms: null, gone: false }) } as unknown as WebhookTransport;
    const result = await new AttemptSender(signer, transport).send(sub({ secret: mixed, signature_type: 'ed25519' }), { event_id: 'evt_1', event_type: 'x', body, occurred_at: now, source: null, created_at: now }, now);
    expect(result).toMatchObject({ ok: false, status_code: null, error_message: expect.stringMatching(/^not sent: an ed25519 signing key of this subscription/) });
    expect(result.error_message).not.toContain(mixed.slice(5, 30));
    expect(sent).toHaveLength(0);
  });
});
