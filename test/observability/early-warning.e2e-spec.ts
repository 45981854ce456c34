import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { WebhookDeliveryService, WebhookModule, WebhookSubscriptionService, WEBHOOK_DELIVERY_STORE, type WebhookDeliveryStore, type WebhookOutcome } from '../../lib';
import { FAST } from '../support/app';
import { ok, TestReceiver, waitFor } from '../support/receiver';

/** Keeps what the module logs. */
class CapturingLogger implements LoggerService {
  readonly warnings: string[] = [];
  log(): void {}
  error(): void {}
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
}

describe('early warning: subscription_failing at 50% and 90% of disable_after_consecutive_failures', () => {
  let receiver: TestReceiver;
  let module: TestingModule;
  let delivery: WebhookDeliveryService;
  let store: WebhookDeliveryStore;
  const logger = new CapturingLogger();
  const outcomes: WebhookOutcome[] = [];

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    module = await Test.createTestingModule({
      imports: [WebhookModule.forRoot({ ...FAST, retry_max_attempts: 1, disable_after_consecutive_failures: 10 })],
    }).compile();
    module.useLogger(logger);
    await module.init();
    delivery = module.get(WebhookDeliveryService);
    store = module.get(WEBHOOK_DELIVERY_STORE);
    delivery.outcomes$.subscribe((o) => outcomes.push(o));
  });

  afterAll(async () => {
    await module?.close();
    await receiver?.close();
  });

  const failing = () => outcomes.filter((o): o is Extract<WebhookOutcome, { type: 'subscription_failing' }> => o.type === 'subscription_failing');

  /** Dispatches `n` events at once and waits until each has its attempt logged. */
  async function send(subscriptionId: string, n: number): Promise<void> {
    const before = (await store.getAttempts({ subscription_id: subscriptionId, limit: 1000 })).length;
    await Promise.all(Array.from({ length: n }, (_, i) => delivery.dispatch({ event_type: 'order.paid', payload: { i } })));
    await waitFor(async () => (await store.getAttempts({ subscription_id: subscriptionId, limit: 1000 })).length >= before + n, `${n} attempts`);
    // the outcomes of the last attempt follow its record
    await new Promise((r) => setTimeout(r, 50));
  }

  it('warns once per level and run, starts afresh after a success, and disables at the threshold', async () => {
    const sub = await module.get(WebhookSubscriptionService).create({ url: receiver.url('/hook'), event_types: ['order.*'] });
    receiver.on('/hook', ok(500, 'down for maintenance'));
    // 9 failures at once (up to 8 in flight): counts come back in any order, each level is reported once
    await send(sub.subscription_id, 9);
    expect(failing().map((o) => [o.level, o.consecutive_failures >= (o.level === 50 ? 5 : 9)])).toEqual([
      [50, true],
      [90, true],
    ]);
    expect(failing()[0]).toEqual({ type: 'subscription_failing', subscription_id: sub.subscription_id, consecutive_failures: expect.any(Number), threshold: 10, level: 50 });
    const logged = logger.warnings.filter((w) => w.includes('is failing'));
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatch(new RegExp(`subscription ${sub.subscription_id} is failing: \\d+ consecutive failures, 50% of disable_after_consecutive_failures \\(10\\)`));
    expect(logged[1]).toContain('90% of disable_after_consecutive_failures (10)');

    // a success ends the run; the next run is reported again, one failure at a time
    receiver.on('/hook', ok(200));
    await send(sub.subscription_id, 1);
    receiver.on('/hook', ok(500));
    for (let i = 1; i <= 9; i++) await send(sub.subscription_id, 1);
    expect(failing().slice(2).map((o) => [o.level, o.consecutive_failures])).toEqual([
      [50, 5],
      [90, 9],
    ]);
    expect(outcomes.some((o) => o.type === 'subscription_disabled')).toBe(false);
    await send(sub.subscription_id, 1);
    await waitFor(() => outcomes.find((o) => o.type === 'subscription_disabled'), 'the subscription disabled');
    expect(failing()).toHaveLength(4);
  });
});
