import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { InvalidSubscriptionError, InvalidWebhookConfigError, WebhookModule, type CreateSubscriptionInput } from '../../lib';
import { createTestApp, type TestApp } from '../support/app';
import { hang, TestReceiver, waitFor } from '../support/receiver';
import { storeSubscriptionDirectly, waitForAttempts } from '../hardening/helpers';

/** Issue 18: a subscription's own overrides cannot go past the module's ceilings. */
describe('override ceilings through WebhookSubscriptionService', () => {
  let receiver: TestReceiver;
  let t: TestApp | undefined;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(async () => {
    await receiver.close();
  });

  const url = () => receiver.url('/hook');

  // Defaults with max_concurrent_deliveries 64: 25 attempts, 60 s, 32 in flight (a long lease, so that only the
  // ceiling bounds a timeout).
  it.each<[keyof CreateSubscriptionInput, number, number, string]>([
    ['max_concurrent_per_endpoint', 64, 32, 'max_concurrent_per_endpoint 64 is over the ceiling 32 (max_concurrent_per_endpoint_ceiling; by default half of max_concurrent_deliveries)'],
    ['retry_max_attempts', 26, 25, 'retry_max_attempts 26 is over the ceiling 25 (retry_max_attempts_ceiling; by default 25, or retry_max_attempts if higher)'],
    ['delivery_timeout_seconds', 61, 60, 'delivery_timeout_seconds 61 is over the ceiling 60 (delivery_timeout_seconds_ceiling; by default 60, or delivery_timeout_seconds if higher)'],
  ])('%s %d is refused by create, update and createMany naming the field and the ceiling; nothing is stored', async (field, over, ceiling, message) => {
    t = await createTestApp({ max_concurrent_deliveries: 64, lease_seconds: 300 });
    const err = await t.subscriptions.create({ url: url(), [field]: over }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidSubscriptionError);
    expect((err as InvalidSubscriptionError).field).toBe(field);
    expect((err as Error).message).toContain(message);
    expect(await t.subscriptionStore.count()).toBe(0);

    const many = await t.subscriptions.createMany([{ url: url() }, { url: url(), [field]: over }]).catch((e: unknown) => e);
    expect(many).toBeInstanceOf(InvalidSubscriptionError);
    expect((many as Error).message).toContain(`subscription [1]: ${message}`);
    expect(await t.subscriptionStore.count()).toBe(0);

    // the ceiling itself is fine
    const sub = await t.subscriptions.create({ url: url(), [field]: ceiling });
    expect(sub[field]).toBe(ceiling);
    const update = await t.subscriptions.update(sub.subscription_id, { [field]: over, description: 'changed' }).catch((e: unknown) => e);
    expect(update).toBeInstanceOf(InvalidSubscriptionError);
    expect((update as Error).message).toContain(message);
    expect(await t.subscriptions.get(sub.subscription_id)).toMatchObject({ [field]: ceiling, description: null });
  });

  it('honours ceilings set in the module config', async () => {
    t = await createTestApp({ max_concurrent_per_endpoint_ceiling: 4, retry_max_attempts_ceiling: 3, delivery_timeout_seconds_ceiling: 1.5 });
    await expect(t.subscriptions.create({ url: url(), max_concurrent_per_endpoint: 5 })).rejects.toThrow('max_concurrent_per_endpoint 5 is over the ceiling 4 (max_concurrent_per_endpoint_ceiling;');
    await expect(t.subscriptions.create({ url: url(), retry_max_attempts: 4 })).rejects.toThrow('retry_max_attempts 4 is over the ceiling 3 (retry_max_attempts_ceiling;');
    await expect(t.subscriptions.create({ url: url(), delivery_timeout_seconds: 1.6 })).rejects.toThrow('delivery_timeout_seconds 1.6 is over the ceiling 1.5 (delivery_timeout_seconds_ceiling;');
    expect(await t.subscriptionStore.count()).toBe(0);
    expect(await t.subscriptions.create({ url: url(), max_concurrent_per_endpoint: 4, retry_max_attempts: 3, delivery_timeout_seconds: 1.5 })).toMatchObject({ max_concurrent_per_endpoint: 4, retry_max_attempts: 3, delivery_timeout_seconds: 1.5 });
  });

  it('a max_concurrent_per_endpoint_ceiling above max_concurrent_deliveries stops the app at start-up', async () => {
    const compiling = Test.createTestingModule({ imports: [WebhookModule.forRoot({ max_concurrent_deliveries: 16, max_concurrent_per_endpoint_ceiling: 17 })] }).compile();
    await expect(compiling).rejects.toBeInstanceOf(InvalidWebhookConfigError);
    await expect(
      Test.createTestingModule({ imports: [WebhookModule.forRoot({ max_concurrent_deliveries: 16, max_concurrent_per_endpoint_ceiling: 17 })] }).compile(),
    ).rejects.toThrow('invalid webhook config "max_concurrent_per_endpoint_ceiling": must be <= max_concurrent_deliveries (16)');
  });
});

/** Overrides stored before the ceilings existed (or under higher ones) are cut to them where the engine reads them. */
describe('override ceilings: values already stored above them', () => {
  let receiver: TestReceiver;
  let t: TestApp | undefined;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('max_concurrent_per_endpoint 64 stored, ceiling 4 (max_concurrent_deliveries 8): never more than 4 requests open', async () => {
    t = await createTestApp({ max_concurrent_deliveries: 8, max_concurrent_per_endpoint: 2 });
    let open = 0;
    let most = 0;
    receiver.on('/greedy', (_req, res) => {
      most = Math.max(most, ++open);
      setTimeout(() => {
        open--;
        res.writeHead(200).end();
      }, 150);
    });
    await storeSubscriptionDirectly(t.subscriptionStore, receiver.url('/greedy'), { max_concurrent_per_endpoint: 64 });
    await Promise.all(Array.from({ length: 24 }, (_, i) => t!.delivery.dispatch({ event_type: 'a.b', payload: { i } })));
    await waitFor(() => receiver.received('/greedy').length >= 24, 'all 24 delivered', 20_000);
    // 8 (every slot of the process) before the ceiling; its own 64 is cut to 4, not to the module's 2
    expect(most).toBe(4);
  });

  it('retry_max_attempts 1000 stored, ceiling 3: dead-lettered after 3 attempts', async () => {
    t = await createTestApp({ retry_max_attempts: 2, retry_max_attempts_ceiling: 3 });
    receiver.on('/down', (_req, res) => void res.writeHead(500).end('down'));
    const sub = await storeSubscriptionDirectly(t.subscriptionStore, receiver.url('/down'), { retry_max_attempts: 1000 });
    const { event_id } = await t.delivery.dispatch({ event_type: 'a.b', payload: {} });
    const dead = await waitFor(async () => (await t!.deliveries.getDeadLetters({ subscription_id: sub.subscription_id }))[0], 'the dead letter');
    expect(dead.event_id).toBe(event_id);
    expect((await waitForAttempts(t, event_id, 3)).map((a) => a.status).sort()).toEqual(['dead_letter', 'failed', 'failed']);
  });

  it('delivery_timeout_seconds 3600 stored, ceiling 1: the request is cut after 1 s (deliveries and test sends)', async () => {
    t = await createTestApp({ retry_max_attempts: 1, delivery_timeout_seconds_ceiling: 1, lease_seconds: 30 });
    receiver.on('/hang', hang());
    const sub = await storeSubscriptionDirectly(t.subscriptionStore, receiver.url('/hang'), { delivery_timeout_seconds: 3600 });
    const { event_id } = await t.delivery.dispatch({ event_type: 'a.b', payload: {} });
    const [attempt] = await waitForAttempts(t, event_id, 1);
    expect(attempt).toMatchObject({ status: 'dead_letter', error_message: 'timeout after 1s' });
    expect(attempt.duration_ms).toBeLessThan(5000);
    const started = Date.now();
    expect(await t.subscriptions.sendTest(sub.subscription_id)).toMatchObject({ status: 'failed', error_message: 'timeout after 1s' });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
