import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import {
  InvalidSubscriptionError,
  InvalidWebhookConfigError,
  verifyWebhook,
  WEBHOOK_DELIVERY_STORE,
  WEBHOOK_SUBSCRIPTION_STORE,
  WebhookDeliveryService,
  WebhookSubscriptionService,
  type DeliveryAttempt,
  type WebhookDeliveryStore,
  type WebhookSubscriptionStore,
} from '../../lib';
import { createTestApp, startOnStore } from '../support/app';
import { describeIfDatabase, type DatabaseKind } from '../support/databases';
import { ok, TestReceiver, waitFor, type Behaviour, type ReceivedRequest } from '../support/receiver';

/** A customer's endpoint that checks each request with `verifyWebhook` and the keys it holds: 200, or 401 saying why. */
function verifying(keys: () => string[]): Behaviour {
  return (req, res, body, n) => {
    try {
      verifyWebhook(body, req.headers, keys());
    } catch (err) {
      return ok(401, (err as Error).message)(req, res, body, n);
    }
    return ok(200)(req, res, body, n);
  };
}

const signatures = (r: ReceivedRequest) => String(r.headers['webhook-signature']).split(' ');
const only = (r: ReceivedRequest, signature: string): IncomingHttpHeaders => ({ ...r.headers, 'webhook-signature': signature });

const STORES: Array<'memory' | DatabaseKind> = ['memory', 'sqlite', 'postgres'];

for (const kind of STORES) {
  const describeOn = kind === 'memory' ? (name: string, fn: () => void) => describe(name, fn) : (name: string, fn: () => void) => describeIfDatabase(kind, name, fn);

  describeOn(`ed25519 subscriptions, ${kind} store, to a receiver that holds only the public key`, () => {
    let receiver: TestReceiver;
    let app: Awaited<ReturnType<typeof startOnStore>>;
    let subscriptions: WebhookSubscriptionService;
    let delivery: WebhookDeliveryService;
    let attempts: WebhookDeliveryStore;
    let store: WebhookSubscriptionStore;
    /** The keys each receiver path verifies with (what its owner configured). */
    const keys = new Map<string, string[]>();

    const attemptsOf = async (subscriptionId: string, count: number): Promise<DeliveryAttempt[]> =>
      waitFor(async () => {
        const got = await attempts.getAttempts({ subscription_id: subscriptionId, limit: 100 });
        return got.length >= count ? got : null;
      }, `${count} attempts to ${subscriptionId}`);

    beforeAll(async () => {
      receiver = await TestReceiver.start();
      for (const path of ['/ed', '/hmac']) receiver.on(path, verifying(() => keys.get(path) ?? []));
      app = await startOnStore(kind, { secret_rotation_grace_hours: 1 }, { namespace: `ed25519_e2e_${kind}` });
      subscriptions = app.module.get(WebhookSubscriptionService);
      delivery = app.module.get(WebhookDeliveryService);
      attempts = app.module.get(WEBHOOK_DELIVERY_STORE);
      store = app.module.get(WEBHOOK_SUBSCRIPTION_STORE);
    });
    afterAll(async () => {
      await app?.close();
      await receiver?.close();
    });

    it('signs v1a; the receiver verifies with the whpk_ key; rotation signs with both keys; sendTest and redeliver sign the same way', async () => {
      const sub = await subscriptions.create({ url: receiver.url('/ed'), event_types: ['order.*'], signature_type: 'ed25519' });
      expect(sub).toMatchObject({ signature_type: 'ed25519', secret: expect.stringMatching(/^whsk_[A-Za-z0-9+/]{86}==$/), public_key: expect.stringMatching(/^whpk_[A-Za-z0-9+/]{43}=$/) });
      // Stored as such, and read back with its public key.
      expect(await store.get(sub.subscription_id)).toMatchObject({ signature_type: 'ed25519', secret: sub.secret });
      expect(await subscriptions.get(sub.subscription_id)).toMatchObject({ signature_type: 'ed25519', public_key: sub.public_key });
      expect((await subscriptions.list({ active_only: false })).find((s) => s.subscription_id === sub.subscription_id)?.public_key).toBe(sub.public_key);
      keys.set('/ed', [sub.public_key!]);

      await delivery.dispatch({ event_type: 'order.paid', payload: { order: 1 } });
      const [first] = await attemptsOf(sub.subscription_id, 1);
      expect(first).toMatchObject({ status: 'delivered', status_code: 200 });
      const sent = receiver.received('/ed')[0];
      expect(signatures(sent)).toEqual([expect.stringMatching(/^v1a,[A-Za-z0-9+/]{86}==$/)]);

      // A rotation: a new pair; both keys sign during the grace period, each value checks with its own key.
      const rotated = await subscriptions.rotateSecret(sub.subscription_id);
      expect(rotated.secret).toMatch(/^whsk_/);
      expect(rotated.public_key).not.toBe(sub.public_key);
      await delivery.dispatch({ event_type: 'order.shipped', payload: { order: 1 } });
      await attemptsOf(sub.subscription_id, 2);
      const during = receiver.received('/ed')[1];
      const [fresh, old] = signatures(during);
      expect([fresh, old].every((s) => s.startsWith('v1a,'))).toBe(true);
      expect(verifyWebhook(during.body, only(during, fresh), rotated.public_key!)).toBe(true);
      expect(verifyWebhook(during.body, only(during, old), sub.public_key!)).toBe(true);
      expect(() => verifyWebhook(during.body, only(during, fresh), sub.public_key!)).toThrow(/no signature matches/);
      // A receiver that holds either key alone accepts the whole request.
      expect(verifyWebhook(during.body, during.headers, sub.public_key!)).toBe(true);
      expect(verifyWebhook(during.body, during.headers, rotated.public_key!)).toBe(true);

      // sendTest and redelivery go through the same signer.
      keys.set('/ed', [rotated.public_key!]);
      const test = await subscriptions.sendTest(sub.subscription_id);
      expect(test).toMatchObject({ status: 'delivered', status_code: 200 });
      const testRequest = receiver.received('/ed').at(-1)!;
      expect(JSON.parse(testRequest.body)).toMatchObject({ event_type: 'webhook.test' });
      expect(signatures(testRequest)).toHaveLength(2);
      const result = await delivery.redeliver(first.attempt_id);
      expect(result).toEqual({ ok: true });
      await waitFor(() => receiver.received('/ed').length >= 4, 'the redelivery');
      const again = receiver.received('/ed')[3];
      expect(JSON.parse(again.body)).toMatchObject({ event_type: 'order.paid' });
      expect(verifyWebhook(again.body, again.headers, rotated.public_key!)).toBe(true);
      expect(signatures(again).every((s) => s.startsWith('v1a,'))).toBe(true);
      expect((await attempts.getAttempts({ subscription_id: sub.subscription_id, limit: 100 })).every((a) => a.status === 'delivered')).toBe(true);
    });

    it('HMAC subscriptions still verify with the official libraries, and a change to ed25519 keeps the old secret signing v1 for the grace period', async () => {
      const sub = await subscriptions.create({ url: receiver.url('/hmac'), event_types: ['invoice.*'] });
      expect(sub).toMatchObject({ signature_type: 'hmac-sha256', secret: expect.stringMatching(/^whsec_/), public_key: null });
      keys.set('/hmac', [sub.secret]);
      await delivery.dispatch({ event_type: 'invoice.paid', payload: { invoice: 1 } });
      await attemptsOf(sub.subscription_id, 1);
      const plain = receiver.received('/hmac')[0];
      expect(signatures(plain)).toEqual([expect.stringMatching(/^v1,/)]);
      expect(new StandardWebhook(sub.secret).verify(plain.body, plain.headers as Record<string, string>)).toMatchObject({ event_type: 'invoice.paid' });
      expect(() => new SvixWebhook(sub.secret).verify(plain.body, plain.headers as Record<string, string>)).not.toThrow();

      const changed = await subscriptions.update(sub.subscription_id, { signature_type: 'ed25519' });
      expect(changed).toMatchObject({ signature_type: 'ed25519', secret: expect.stringMatching(/^whsk_/), public_key: expect.stringMatching(/^whpk_/), previous_secret: sub.secret });
      // The same type again changes nothing.
      expect((await subscriptions.update(sub.subscription_id, { signature_type: 'ed25519' })).secret).toBe(changed.secret);
      await delivery.dispatch({ event_type: 'invoice.voided', payload: { invoice: 1 } });
      await attemptsOf(sub.subscription_id, 2);
      const mixed = receiver.received('/hmac')[1];
      expect(signatures(mixed)).toEqual([expect.stringMatching(/^v1a,/), expect.stringMatching(/^v1,/)]);
      // Receivers not yet switched keep verifying with the secret they hold (the official libraries skip v1a).
      expect(new StandardWebhook(sub.secret).verify(mixed.body, mixed.headers as Record<string, string>)).toMatchObject({ event_type: 'invoice.voided' });
      expect(() => new SvixWebhook(sub.secret).verify(mixed.body, mixed.headers as Record<string, string>)).not.toThrow();
      expect(verifyWebhook(mixed.body, mixed.headers, changed.public_key!)).toBe(true);
      expect(verifyWebhook(mixed.body, mixed.headers, [sub.secret, changed.public_key!])).toBe(true);

      // And back: HMAC again, with a new whsec_ secret.
      const back = await subscriptions.update(sub.subscription_id, { signature_type: 'hmac-sha256' });
      expect(back).toMatchObject({ signature_type: 'hmac-sha256', secret: expect.stringMatching(/^whsec_/), public_key: null });
      expect(await store.get(sub.subscription_id)).toMatchObject({ signature_type: 'hmac-sha256' });
    });
  });
}

describe('signature_type input', () => {
  it('defaults to the module config, and is refused naming the field when invalid', async () => {
    const t = await createTestApp({ signature_type: 'ed25519' });
    try {
      const sub = await t.subscriptions.create({ url: 'https://hooks.example.com/a' });
      expect(sub).toMatchObject({ signature_type: 'ed25519', secret: expect.stringMatching(/^whsk_/), public_key: expect.stringMatching(/^whpk_/) });
      const hmac = await t.subscriptions.create({ url: 'https://hooks.example.com/b', signature_type: 'hmac-sha256' });
      expect(hmac.secret).toMatch(/^whsec_/);
      for (const bad of ['rsa', null, 1, 'ED25519']) {
        await expect(t.subscriptions.create({ url: 'https://hooks.example.com/c', signature_type: bad as never })).rejects.toMatchObject({ field: 'signature_type', message: expect.stringContaining("signature_type must be one of 'hmac-sha256', 'ed25519'") });
        await expect(t.subscriptions.update(sub.subscription_id, { signature_type: bad as never })).rejects.toThrow(InvalidSubscriptionError);
      }
      // A rejected update changed nothing.
      expect((await t.subscriptions.get(sub.subscription_id)).secret).toBe(sub.secret);
    } finally {
      await t.close();
    }
  });

  it('body-hmac refuses ed25519: at start-up as the module default, and per subscription', async () => {
    await expect(createTestApp({ signature_scheme: 'body-hmac', signature_type: 'ed25519' })).rejects.toThrow(InvalidWebhookConfigError);
    const t = await createTestApp({ signature_scheme: 'body-hmac' });
    try {
      await expect(t.subscriptions.create({ url: 'https://hooks.example.com/a', signature_type: 'ed25519' })).rejects.toMatchObject({ field: 'signature_type', message: expect.stringContaining('body-hmac scheme is HMAC only') });
      const sub = await t.subscriptions.create({ url: 'https://hooks.example.com/a' });
      expect(sub.signature_type).toBe('hmac-sha256');
      await expect(t.subscriptions.update(sub.subscription_id, { signature_type: 'ed25519' })).rejects.toMatchObject({ field: 'signature_type' });
    } finally {
      await t.close();
    }
  });
});
