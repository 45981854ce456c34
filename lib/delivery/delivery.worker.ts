import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { WebhookConfig } from '../config/webhook-config';
import type { WebhookDeliveryStore } from '../domain/stores';
import { WebhookSigner } from '../signing/webhook-signer';
import { AutoDisable } from '../subscriptions/auto-disable';
import { SubscriptionCache } from '../subscriptions/subscription-cache';
import { InjectWebhookConfig, InjectWebhookDeliveryStore, InjectWebhookTelemetry } from '../webhook.constants';
import { AttemptSender } from './engine/attempt-sender';
import { DeliveryEngine } from './engine/delivery-engine';
import type { WebhookTelemetry } from './telemetry.port';
import { WebhookHttpClient } from './webhook-http.host';

/**
 * The Nest host of the {@link DeliveryEngine}: builds it from the module's config, store, transport and
 * subscriptions, starts it when the app has bootstrapped (work left by an earlier run or another replica starts
 * at once), and stops it before the app shuts down (sends in flight get `shutdown_timeout_seconds`).
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly engine: DeliveryEngine;
  /** Signs and sends one attempt (shared with test sends). */
  readonly sender: AttemptSender;

  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @InjectWebhookDeliveryStore() store: WebhookDeliveryStore,
    @Inject(WebhookHttpClient) http: WebhookHttpClient,
    @Inject(SubscriptionCache) cache: SubscriptionCache,
    @Inject(AutoDisable) autoDisable: AutoDisable,
    @InjectWebhookTelemetry() telemetry: WebhookTelemetry,
  ) {
    this.sender = new AttemptSender(new WebhookSigner(config), http.transport);
    this.engine = new DeliveryEngine({
      workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      config,
      queue: store,
      sender: this.sender,
      subscriptions: cache,
      health: autoDisable,
      telemetry,
      logger: new Logger(DeliveryWorker.name),
      immediateWrites: config.store_backend === 'memory',
    });
  }

  /** Identifies this process's leases in the store. */
  get workerId(): string {
    return this.engine.workerId;
  }

  onApplicationBootstrap(): void {
    this.engine.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.engine.stop(this.config.shutdown_timeout_seconds * 1000);
  }
}
