import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import {
  WEBHOOK_DELIVERY_STORE,
  WebhookDeliveryService,
  WebhookReceiverModule,
  WebhookSubscriptionService,
  type DeliveryAttempt,
  type WebhookDeliveryStore,
} from '../../lib';
import { startOnStore } from '../support/app';
import { describeIfDatabase } from '../support/databases';
import { waitFor } from '../support/receiver';
import { startReceiverApp, type ReceiverApp } from './receiver-test-app';

/**
 * This package's sender (WebhookModule) delivering over real HTTP to a NestJS receiver guarded by
 * WebhookSignatureGuard, on the memory store and on PostgreSQL.
 */
function senderToReceiver(kind: 'memory' | 'postgres', label: string): void {
  describe(`sender on ${label} -> WebhookReceiverModule receiver`, () => {
    let sender: { module: TestingModule; close(): Promise<void> };
    let receiver: ReceiverApp;
    let subscriptions: WebhookSubscriptionService;
    let delivery: WebhookDeliveryService;
    let store: WebhookDeliveryStore;
    /** The keys the receiver verifies with, changed by the tests. */
    let keys: string[] = [];

    beforeAll(async () => {
      receiver = await startReceiverApp(WebhookReceiverModule.forRoot({ secret_resolver: () => keys }));
      sender = await startOnStore(kind, { secret_rotation_grace_hours: 1 }, { namespace: 'receiver_delivery' });
      subscriptions = sender.module.get(WebhookSubscriptionService);
      delivery = sender.module.get(WebhookDeliveryService);
      store = sender.module.get(WEBHOOK_DELIVERY_STORE);
    });
    afterAll(async () => {
      await sender?.close();
      await receiver?.close();
    });

    const attemptsOf = (event_id: string) => store.getAttempts({ event_id });
    const finalAttempt = (event_id: string, subscription_id?: string) =>
      waitFor(async () => (await attemptsOf(event_id)).find((a) => (!subscription_id || a.subscription_id === subscription_id) && (a.status === 'delivered' || a.status === 'dead_letter')), `a final attempt of ${event_id}`);

    it('delivers an HMAC-signed event that the guard accepts; the handler gets the envelope as dispatched', async () => {
      const sub = await subscriptions.create({ url: receiver.url('/hooks/in'), event_types: ['order.created'] });
      keys = [sub.secret];
      const occurred_at = new Date('2026-02-03T04:05:06.789Z');
      const { event_id } = await delivery.dispatch({ event_type: 'order.created', payload: { order_id: 'A-1', total: 42.5 }, occurred_at, source: 'shop' });
      const attempt = await finalAttempt(event_id);
      expect([attempt.status, attempt.status_code]).toEqual(['delivered', 200]);
      const calls = receiver.calls.events.filter((e) => e.event.event_id === event_id);
      expect(calls).toHaveLength(1);
      expect(calls[0].event).toMatchObject({ event_id, event_type: 'order.created', occurred_at, source: 'shop', payload: { order_id: 'A-1', total: 42.5 } });
      await subscriptions.delete(sub.subscription_id);
    });

    it('during a rotation, a receiver holding only the old secret, only the new one, or both accepts every delivery', async () => {
      const created = await subscriptions.create({ url: receiver.url('/hooks/in'), event_types: ['rotation.test'] });
      const rotated = await subscriptions.rotateSecret(created.subscription_id);
      expect(rotated.secret).not.toBe(created.secret);
      for (const held of [[created.secret], [rotated.secret], [rotated.secret, created.secret]]) {
        keys = held;
        const { event_id } = await delivery.dispatch({ event_type: 'rotation.test', payload: { held: held.length } });
        const attempt = await finalAttempt(event_id);
        expect([attempt.status, attempt.status_code]).toEqual(['delivered', 200]);
      }
      // and a receiver holding neither refuses, with the reason in the sender's attempt log
      keys = [(await subscriptions.create({ url: receiver.url('/hooks/other'), event_types: ['unused'] })).secret];
      const { event_id } = await delivery.dispatch({ event_type: 'rotation.test', payload: {} });
      const refused = await waitFor(async () => (await attemptsOf(event_id)).find((a) => a.status_code === 401), 'a refused attempt');
      expect(refused.error_message).toMatch(/no_matching_signature/);
      await subscriptions.delete(created.subscription_id);
    });

    it('retries a delivery whose handler failed, with the same webhook-id, and the guard lets the retry in', async () => {
      const sub = await subscriptions.create({ url: receiver.url('/hooks/fail'), event_types: ['flaky.test'] });
      keys = [sub.secret];
      receiver.plan.failures = 1;
      const { event_id } = await delivery.dispatch({ event_type: 'flaky.test', payload: { n: 1 } });
      const attempt = await finalAttempt(event_id);
      expect(attempt.status).toBe('delivered');
      const attempts: DeliveryAttempt[] = (await attemptsOf(event_id)).sort((a, b) => a.attempt_number - b.attempt_number);
      expect(attempts.map((a) => [a.attempt_number, a.status_code])).toEqual([
        [1, 500],
        [2, 200],
      ]);
      expect(receiver.calls.events.filter((e) => e.route === 'fail' && e.event.event_id === event_id)).toHaveLength(2);
      await subscriptions.delete(sub.subscription_id);
    });

    it('delivers one event to two subscriptions on the same receiver: one webhook-id, two keys, neither refused', async () => {
      const a = await subscriptions.create({ url: receiver.url('/hooks/in'), event_types: ['fan.out'] });
      const b = await subscriptions.create({ url: receiver.url('/hooks/other'), event_types: ['fan.out'] });
      keys = [a.secret, b.secret];
      const { event_id, delivery_count } = await delivery.dispatch({ event_type: 'fan.out', payload: {} });
      expect(delivery_count).toBe(2);
      for (const sub of [a, b]) {
        const attempt = await finalAttempt(event_id, sub.subscription_id);
        expect([attempt.status, attempt.status_code]).toEqual(['delivered', 200]);
      }
    });
  });
}

senderToReceiver('memory', 'the memory store');
describeIfDatabase('postgres', 'on PostgreSQL', () => senderToReceiver('postgres', 'PostgreSQL'));
