import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import type { DataSource } from 'typeorm';
import { generateEd25519KeyPair, generateWebhookSecret, MemoryReplayStore, verifyWebhook, WebhookVerificationError, type WebhookReplayStore } from '../../lib';
import { checkReplayStore, signedWebhookHeaders, WebhookTestReceiver } from '../../lib/testing';
import { TypeOrmReplayStore, WEBHOOK_RECEIVER_ENTITIES, WEBHOOK_RECEIVER_MIGRATIONS } from '../../lib/typeorm';
import { createTestApp } from '../support/app';
import { closeTestDataSource, createTestDataSource, describeIfDatabase } from '../support/databases';

const post = (url: string, body: string, headers: Record<string, string> = {}) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('WebhookTestReceiver (nestjs-webhooks/testing)', () => {
  let receiver: WebhookTestReceiver;
  beforeAll(async () => {
    receiver = await WebhookTestReceiver.start({ max_body_bytes: 64 });
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('listens on 127.0.0.1, records each request as received and answers 200', async () => {
    expect(receiver.url('/a')).toBe(`http://127.0.0.1:${receiver.port}/a`);
    const res = await post(`${receiver.url('/a')}?q=1`, '{"n":1}', { 'x-custom': 'yes' });
    expect(res.status).toBe(200);
    const [got] = receiver.received('/a');
    expect(got).toMatchObject({ path: '/a', method: 'POST', body: '{"n":1}', status: 200 });
    expect(got.headers['x-custom']).toBe('yes');
  });

  it('fails the next requests to a path as told, in order, then answers 200 again; other paths are not affected', async () => {
    receiver.fail('/b', 2, 503).fail('/b', 1, 410);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(receiver.url('/b'), '{}')).status);
    expect(statuses).toEqual([503, 503, 410, 200]);
    expect((await post(receiver.url('/c'), '{}')).status).toBe(200);
    expect(receiver.received('/b').map((r) => r.status)).toEqual([503, 503, 410, 200]);
  });

  it('refuses a bad fail() call with a message naming the argument', () => {
    expect(() => receiver.fail('/b', 0)).toThrow(/times must be an integer >= 1 \(got 0\)/);
    expect(() => receiver.fail('/b', 1, 700)).toThrow(/status must be an HTTP status 100-599 \(got 700\)/);
  });

  it('answers 413 to a body over max_body_bytes and records it without the body', async () => {
    expect((await post(receiver.url('/big'), 'x'.repeat(65))).status).toBe(413);
    expect(receiver.received('/big')).toEqual([expect.objectContaining({ body: '', status: 413 })]);
  });

  it('waitForRequests resolves once enough requests came, and rejects saying how many came when they do not', async () => {
    const waiting = receiver.waitForRequests(2, { path: '/w' });
    await post(receiver.url('/w'), '1');
    await post(receiver.url('/w'), '2');
    expect((await waiting).map((r) => r.body)).toEqual(['1', '2']);
    await expect(receiver.waitForRequests(3, { path: '/w', timeout_ms: 50 })).rejects.toThrow('waited 50 ms for 3 request(s) to /w, got 2');
  });
});

describe('an app test with WebhookTestReceiver', () => {
  it('receives the module\'s signed deliveries, and a failure it was told to answer is retried', async () => {
    const receiver = await WebhookTestReceiver.start();
    const app = await createTestApp();
    try {
      const sub = await app.subscriptions.create({ url: receiver.url('/hooks'), event_types: ['invoice.paid'] });
      receiver.fail('/hooks', 1, 500);
      await app.delivery.dispatch({ event_type: 'invoice.paid', payload: { id: 'in_1' } });
      const [failed, delivered] = await receiver.waitForRequests(2, { path: '/hooks' });
      expect([failed.status, delivered.status]).toEqual([500, 200]);
      expect(delivered.body).toBe(failed.body);
      expect(verifyWebhook(delivered.body, delivered.headers, sub.secret)).toBe(true);
    } finally {
      await app.close();
      await receiver.close();
    }
  });
});

describe('signedWebhookHeaders (nestjs-webhooks/testing)', () => {
  const body = JSON.stringify({ type: 'invoice.paid', data: { id: 'in_1' } });

  it('signs as the module does: verifyWebhook and the official standardwebhooks library accept the headers', () => {
    const secret = generateWebhookSecret();
    const headers = signedWebhookHeaders({ secret, body, event_id: 'msg_1', timestamp: Math.floor(Date.now() / 1000) });
    expect(Object.keys(headers).sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    expect(headers['webhook-id']).toBe('msg_1');
    expect(verifyWebhook(body, headers, secret)).toBe(true);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => verifyWebhook(body, headers, generateWebhookSecret())).toThrow(WebhookVerificationError);
  });

  it('signs ed25519 (v1a) with a whsk_ key, verified with its whpk_ public key', () => {
    const { secret, public_key } = generateEd25519KeyPair();
    const headers = signedWebhookHeaders({ secret, body });
    expect(headers['webhook-signature']).toMatch(/^v1a,/);
    expect(headers['webhook-id']).toMatch(/^msg_[0-9a-f-]{36}$/);
    expect(verifyWebhook(body, headers, public_key)).toBe(true);
  });

  it('signs body-hmac with the given header and algorithm, and old timestamps are refused by the tolerance', () => {
    const headers = signedWebhookHeaders({ secret: 'a-github-style-secret', body, scheme: 'body-hmac', signature_algorithm: 'sha512', signature_header: 'x-hub-signature-512' });
    expect(Object.keys(headers)).toEqual(['x-hub-signature-512']);
    expect(verifyWebhook(body, headers, 'a-github-style-secret', { signature_scheme: 'body-hmac', signature_algorithm: 'sha512', signature_header: 'x-hub-signature-512' })).toBe(true);
    const secret = generateWebhookSecret();
    const stale = signedWebhookHeaders({ secret, body, timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(() => verifyWebhook(body, stale, secret)).toThrow(/timestamp/i);
  });
});

describe('checkReplayStore (nestjs-webhooks/testing)', () => {
  it('passes for MemoryReplayStore, also run twice on the same store', async () => {
    const store = new MemoryReplayStore();
    await checkReplayStore(store);
    await checkReplayStore(store);
  });

  it('names the broken rule of a store that always says new, or that is not atomic', async () => {
    const forgetful: WebhookReplayStore = { remember: async () => true };
    await expect(checkReplayStore(forgetful)).rejects.toThrow('remember(id) must be false while an earlier record has not expired');
    // Reads, then writes after an await: right one call at a time, wrong under concurrency.
    const expiries = new Map<string, number>();
    const racy: WebhookReplayStore = {
      async remember(id, expires_at) {
        const known = (expiries.get(id) ?? 0) > Date.now();
        await new Promise((resolve) => setImmediate(resolve));
        expiries.set(id, expires_at.getTime());
        return !known;
      },
    };
    await expect(checkReplayStore(racy)).rejects.toThrow(/of 8 concurrent remember\(id\) calls exactly one must be true \(got 8\)/);
  });

  it('names the rule a store without expiry breaks', async () => {
    const seen = new Set<string>();
    const forever: WebhookReplayStore = { remember: async (id) => !seen.has(id) && !!seen.add(id) };
    await expect(checkReplayStore(forever)).rejects.toThrow('remember(id) must be true again once the earlier record has expired');
  });

  for (const kind of ['sqlite', 'postgres', 'mariadb'] as const) {
    describeIfDatabase(kind, `on TypeOrmReplayStore (${kind})`, () => {
      let ds: DataSource;
      beforeAll(async () => {
        ds = await createTestDataSource(kind, { namespace: `testing_replay_contract_${kind}`, entities: WEBHOOK_RECEIVER_ENTITIES, migrations: WEBHOOK_RECEIVER_MIGRATIONS });
      });
      afterAll(async () => {
        await closeTestDataSource(ds);
      });

      it('passes', async () => {
        await checkReplayStore(new TypeOrmReplayStore(ds));
      });
    });
  }
});
