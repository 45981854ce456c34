import { randomUUID } from 'node:crypto';
import type { Server as NetServer, Socket } from 'node:net';
import { generateWebhookSecret, type DeliveryAttempt, type WebhookSubscription, type WebhookSubscriptionStore } from '../../lib';
import type { TestApp } from '../support/app';
import { waitFor } from '../support/receiver';

/**
 * Stores a subscription directly, bypassing `WebhookSubscriptionService` and its URL checks: stands in for a
 * subscription whose host later started resolving somewhere else, or one written by an older version.
 */
export async function storeSubscriptionDirectly(store: WebhookSubscriptionStore, url: string, overrides: Partial<WebhookSubscription> = {}): Promise<WebhookSubscription> {
  return store.create({
    subscription_id: randomUUID(),
    url,
    secret: generateWebhookSecret(32),
    event_types: null,
    active: true,
    description: null,
    tenant_id: null,
    created_at: new Date(),
    metadata: {},
    previous_secret: null,
    previous_secret_expires_at: null,
    disabled_reason: null,
    ...overrides,
  });
}

/** Attempts of one event, oldest first. */
export async function attemptsOldestFirst(t: TestApp, eventId: string): Promise<DeliveryAttempt[]> {
  return (await t.deliveries.getAttempts({ event_id: eventId, limit: 1000 })).reverse();
}

/** Waits until the event has at least `n` logged attempts; returns them oldest first. */
export async function waitForAttempts(t: TestApp, eventId: string, n: number, timeoutMs = 15_000): Promise<DeliveryAttempt[]> {
  return waitFor(async () => {
    const list = await attemptsOldestFirst(t, eventId);
    return list.length >= n && list;
  }, `${n} attempt(s) of ${eventId}`, timeoutMs);
}

/** Tracks a raw server's sockets so `close()` can destroy them (jest must exit by itself). */
export function trackSockets(server: NetServer): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    // A client that gives up (timeout, read bound) resets the socket: not a test failure.
    s.on('error', () => undefined);
  });
  // TLS servers report accepted sockets on 'secureConnection' only after the handshake; raw TCP ones too.
  server.on('tlsClientError', () => undefined);
  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

export { sleep } from '../support/receiver';

/** Nearest-rank percentile of `values` (0 < p <= 100). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
