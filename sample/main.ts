import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  generateWebhookSecret,
  signStandardWebhooks,
  WEBHOOK_DELIVERY_STORE,
  WebhookDeliveryService,
  WebhookSubscriptionService,
  type CreateSubscriptionInput,
  type DeliveryAttempt,
  type WebhookDeliveryStore,
  type WebhookSubscription,
} from '../lib';
import { WebhookPortalService } from '../lib/portal';
import { SAMPLE_ADMIN_KEY } from './api-key.guard';
import { AppModule, SAMPLE_DB } from './app.module';
import { startDemoReceiver, type DemoDelivery } from './demo-receiver';

const RECEIVER_PORT = Number(process.env.SAMPLE_RECEIVER_PORT ?? 4599);
const HTTP_PORT = Number(process.env.SAMPLE_PORT ?? 3000);
const SERVE = process.argv.includes('--serve');

/**
 * `npm run sample`: a NestJS app with the webhook module on an SQLite file, a demo receiver on localhost,
 * one healthy and one failing subscription, a few events, and a readable account of what happened.
 * Run it twice: the second run finds the first run's subscriptions and history. `-- --serve` keeps it running
 * with the admin dashboard.
 */
async function main(): Promise<void> {
  const keys = new Map<string, string>();
  const seen: DemoDelivery[] = [];
  const receiver = await startDemoReceiver(RECEIVER_PORT, () => keys, seen);
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(HTTP_PORT, '127.0.0.1');

  const subscriptions = app.get(WebhookSubscriptionService);
  const delivery = app.get(WebhookDeliveryService);
  const store = app.get<WebhookDeliveryStore>(WEBHOOK_DELIVERY_STORE);

  line(`Webhook sample: data in ${SAMPLE_DB}`);
  const earlier = await subscriptions.list({ active_only: false, limit: 1000 });
  const earlierAttempts = await store.getAttempts({ limit: 1000 });
  if (earlier.length > 0) {
    line(`Found ${earlier.length} subscription(s) and ${earlierAttempts.length}${earlierAttempts.length === 1000 ? '+' : ''} logged attempt(s) from earlier runs: history survived the restart.`);
  } else line('First run: no subscriptions yet.');

  const healthy = await findOrCreate(subscriptions, earlier, `http://127.0.0.1:${RECEIVER_PORT}/ok`, ['order.*'], 'sample: healthy endpoint');
  const failing = await findOrCreate(subscriptions, earlier, `http://127.0.0.1:${RECEIVER_PORT}/fail`, ['order.paid'], 'sample: always failing endpoint');
  keys.set('/ok', healthy.secret);
  keys.set('/fail', failing.secret);
  const paths = new Map([
    [healthy.subscription_id, '/ok'],
    [failing.subscription_id, '/fail'],
  ]);
  // An ed25519 subscription: the receiver holds only its public key, which cannot sign.
  const signed = await findOrCreate(subscriptions, earlier, `http://127.0.0.1:${RECEIVER_PORT}/ed25519`, ['order.*'], 'sample: ed25519 endpoint', { signature_type: 'ed25519' });
  keys.set('/ed25519', signed.public_key!);
  paths.set(signed.subscription_id, '/ed25519');
  // Three events to /ok and /ed25519 each, one to /fail (dead-lettered after its tries).
  const expectedFinal = 7;

  // The app's own table, written in the same transaction as the event about it.
  const dataSource = app.get<DataSource>(getDataSourceToken());
  await dataSource.query('CREATE TABLE IF NOT EXISTS sample_orders (order_id varchar PRIMARY KEY, total real NOT NULL)');
  const orderId = `A-${Date.now()}`;
  const events: Array<{ event_type: string; payload: Record<string, unknown> }> = [
    { event_type: 'order.created', payload: { order_id: orderId, total: 42.5 } },
    { event_type: 'order.paid', payload: { order_id: orderId, method: 'card' } },
    { event_type: 'order.shipped', payload: { order_id: orderId, carrier: 'DHL' } },
  ];
  line('\nDispatching 3 events...');
  const ids: string[] = [];
  const shown = (event_type: string, res: { event_id: string; delivery_count: number }) =>
    line(`  ${event_type.padEnd(14)} -> ${res.delivery_count} deliver${res.delivery_count === 1 ? 'y' : 'ies'} (event ${res.event_id.slice(0, 8)}...)`);
  // order.created: stored in the same transaction as the order row, so it exists exactly when the order does.
  await dataSource.transaction(async (manager) => {
    await manager.query('INSERT INTO sample_orders (order_id, total) VALUES (?, ?)', [orderId, 42.5]);
    const res = await delivery.dispatch({ ...events[0], source: 'sample-shop' }, { manager });
    ids.push(res.event_id);
    shown(events[0].event_type, res);
  });
  for (const e of events.slice(1)) {
    const res = await delivery.dispatch({ ...e, source: 'sample-shop' });
    ids.push(res.event_id);
    shown(e.event_type, res);
  }
  // A refund whose transaction rolls back: its event is never stored, so never sent.
  await dataSource
    .transaction(async (manager) => {
      await delivery.dispatch({ event_type: 'order.refunded', payload: { order_id: orderId }, source: 'sample-shop' }, { manager });
      throw new Error('refund refused by the payment provider');
    })
    .catch((err: Error) => line(`  order.refunded -> rolled back (${err.message}): not stored, never sent`));

  // Wait until every delivery of these events is delivered or dead-lettered (3 tries to the failing one).
  const finished = async () => {
    const attempts = (await Promise.all(ids.map((id) => store.getAttempts({ event_id: id })))).flat();
    const final = attempts.filter((a) => a.status === 'delivered' || a.status === 'dead_letter');
    return final.length >= expectedFinal ? attempts : null;
  };
  let attempts: DeliveryAttempt[] | null = null;
  for (let i = 0; i < 100 && !(attempts = await finished()); i++) await new Promise((r) => setTimeout(r, 100));

  line('\nWhat the receiver\'s handlers saw (each request verified by @WebhookReceiver() first):');
  for (const d of seen) line(`  POST ${d.path.padEnd(8)} ${d.event_type.padEnd(14)} event ${d.event_id.slice(0, 8)}...`);
  line(`  ${await forgedRequest()}`);
  line('\nAttempt log (oldest first):');
  for (const a of [...(attempts ?? [])].sort((x, y) => x.attempted_at.getTime() - y.attempted_at.getTime() || x.attempt_number - y.attempt_number)) {
    const target = (paths.get(a.subscription_id) ?? '?').padEnd(8);
    line(`  ${a.event_type.padEnd(14)} ${target} try ${a.attempt_number}  ${a.status.padEnd(11)} ${String(a.status_code ?? '-').padEnd(4)} ${String(a.duration_ms).padStart(4)} ms  ${a.error_message ?? ''}${a.next_retry_at ? `  (retry at ${a.next_retry_at.toISOString().slice(11, 23)})` : ''}`);
  }
  const dead = await store.getDeadLetters({ limit: 5 });
  line(`\nDead letters: ${await store.countDeadLetters()} in total. Latest: ${dead[0] ? `${dead[0].event_type} to /fail, "${dead[0].error_message}"` : 'none'}`);
  line(`Redeliver one with WebhookDeliveryService.redeliver('${dead[0]?.attempt_id ?? '<attempt id>'}')`);
  line(`Admin dashboard (guarded): http://127.0.0.1:${HTTP_PORT}/webhooks/ui?key=${SAMPLE_ADMIN_KEY}`);

  if (SERVE) {
    // The customer portal of a demo tenant: an endpoint of its own, and a link that signs the customer in.
    await findOrCreate(subscriptions, earlier, `http://127.0.0.1:${RECEIVER_PORT}/ok`, ['order.*'], 'sample: demo tenant endpoint', { tenant_id: 'demo-tenant' });
    const portal = await app.get(WebhookPortalService).createSession({ tenant_id: 'demo-tenant', expires_in_seconds: 8 * 3600 });
    line(`Customer portal of demo-tenant (valid 8 h): http://127.0.0.1:${HTTP_PORT}${portal.url}`);
    line('\nServing; press Ctrl+C to stop.');
    return;
  }
  await app.close();
  await receiver.close();
  line('\nDone. Run `npm run sample` again to see the history kept in SQLite.');
}

/** A request the receiver must refuse: signed with a key it does not hold. Says what the guard answered. */
async function forgedRequest(): Promise<string> {
  const body = JSON.stringify({ event_type: 'order.paid', payload: { order_id: 'forged' } });
  const id = 'msg_forged';
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(`http://127.0.0.1:${RECEIVER_PORT}/ok`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhooks(generateWebhookSecret(), id, ts, body) },
    body,
  });
  const answer = (await res.json()) as { reason?: string };
  return `POST /ok      a forged request -> ${res.status} ${answer.reason ?? ''} (its handler never ran)`;
}

async function findOrCreate(
  service: WebhookSubscriptionService,
  existing: WebhookSubscription[],
  url: string,
  event_types: string[],
  description: string,
  extra: Partial<CreateSubscriptionInput> = {},
): Promise<WebhookSubscription> {
  const found = existing.find((s) => s.description === description);
  if (found) {
    line(`  reusing subscription ${found.subscription_id.slice(0, 8)}... (${description}, created ${found.created_at.toISOString()})`);
    return found.active ? found : service.activate(found.subscription_id);
  }
  const created = await service.create({ url, event_types, description, ...extra });
  line(`  created subscription ${created.subscription_id.slice(0, 8)}... (${description}) for ${event_types.join(', ')}`);
  return created;
}

function line(text: string): void {
  process.stdout.write(text + '\n');
}

main().catch((err) => {
  new Logger('sample').error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
