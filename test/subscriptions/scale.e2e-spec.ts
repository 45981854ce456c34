import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { WebhookDeliveryService, WebhookModule, WebhookSubscriptionService, type CreateSubscriptionInput } from '../../lib';
import { FAST } from '../support/app';
import { closeTestDataSource, createTestDataSource, describeIfDatabase } from '../support/databases';
import { ok, TestReceiver, waitFor } from '../support/receiver';

/** Subscriptions per tenant: each tenant-scoped event matches this many. */
const PER_TENANT = 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Dispatch cost does not grow with the subscriptions that cannot match: tenant-scoped dispatch latency with 50,000
 * subscriptions stays within a small factor of the 1,000 case, both measured in this run (not a timed target:
 * a ratio, so that a slow machine slows both).
 */
function suite(kind: 'memory' | 'postgres'): void {
  let module: TestingModule;
  let ds: DataSource | undefined;
  let receiver: TestReceiver;
  let delivery: WebhookDeliveryService;
  let subscriptions: WebhookSubscriptionService;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/scale', ok());
    if (kind === 'postgres') ds = await createTestDataSource('postgres', { namespace: 'webhook_scale' });
    module = await Test.createTestingModule({
      imports: [WebhookModule.forRoot({ ...FAST, store_backend: kind === 'memory' ? 'memory' : 'typeorm' })],
      providers: ds ? [{ provide: getDataSourceToken(), useValue: ds }] : [],
    }).compile();
    await module.init();
    delivery = module.get(WebhookDeliveryService);
    subscriptions = module.get(WebhookSubscriptionService);
  }, 60_000);

  afterAll(async () => {
    await module?.close();
    await closeTestDataSource(ds);
    await receiver?.close();
  });

  const tenants = (from: number, to: number): CreateSubscriptionInput[] =>
    Array.from({ length: (to - from) * PER_TENANT }, (_, i) => ({ url: receiver.url('/scale'), tenant_id: `t${from + Math.floor(i / PER_TENANT)}`, event_types: ['order.*'] }));

  async function dispatchLatency(tenantCount: number): Promise<number> {
    const ms: number[] = [];
    for (let i = 0; i < 300; i++) {
      const started = performance.now();
      const { delivery_count } = await delivery.dispatch({ event_type: 'order.paid', tenant_id: `t${(i * 7919) % tenantCount}`, payload: { i } });
      ms.push(performance.now() - started);
      expect(delivery_count).toBe(PER_TENANT);
    }
    return median(ms.slice(50));
  }

  it('tenant-scoped dispatch with 50,000 subscriptions costs about what it costs with 1,000', async () => {
    await subscriptions.createMany(tenants(0, 100));
    await waitFor(async () => (await delivery.dispatch({ event_type: 'order.warm', tenant_id: 't99', payload: {} })).delivery_count === PER_TENANT, 'the first 1,000', 10_000, 50);
    const small = await dispatchLatency(100);
    for (let from = 100; from < 5000; from += 700) await subscriptions.createMany(tenants(from, Math.min(from + 700, 5000)));
    await waitFor(async () => (await delivery.dispatch({ event_type: 'order.warm', tenant_id: 't4999', payload: {} })).delivery_count === PER_TENANT, 'all 50,000', 30_000, 100);
    const large = await dispatchLatency(5000);
    console.log(`${kind}: median tenant-scoped dispatch ${small.toFixed(3)} ms with 1,000 subscriptions, ${large.toFixed(3)} ms with 50,000 (${(large / small).toFixed(2)}x)`);
    expect(large / small).toBeLessThan(3);
  }, 240_000);
}

describe('scale: memory store', () => suite('memory'));
describeIfDatabase('postgres', 'scale: PostgreSQL', () => suite('postgres'));
