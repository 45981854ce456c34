import { Logger, type Provider } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { WebhookConfig } from '../config/webhook-config';
import type { StoreCapabilities } from '../domain/store-backend';
import type { WebhookDeliveryStore } from '../domain/stores';
import { WebhookSigner } from '../signing/webhook-signer';
import { AutoDisable } from '../subscriptions/auto-disable';
import { SubscriptionCache } from '../subscriptions/subscription-cache';
import { WEBHOOK_CONFIG, WEBHOOK_DELIVERY_STORE, WEBHOOK_HTTP_SERVICE, WEBHOOK_TELEMETRY, WEBHOOK_TEST_SENDER } from '../webhook.constants';
import { WEBHOOK_STORE_CAPABILITIES } from '../webhook-stores';
import { AttemptSender } from './engine/attempt-sender';
import { DeliveryEngine } from './engine/delivery-engine';
import { HostSchedulerRegistry } from './host-scheduler-registry';
import { createWebhookTransport, type WebhookTransport, type WebhookTransportSetup } from './http';
import { RetentionProcessor } from './retention.processor';
import { RetryProcessor } from './retry.processor';
import type { WebhookTelemetry } from './telemetry.port';
import { WebhookTestSender } from './test-sender';
import { TransactionHostRef } from './transaction-host.ref';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookRuntimeHost } from './webhook-runtime.host';
import { WEBHOOK_TRANSPORT } from './webhook-transport.token';

/** Injection token of the {@link WebhookTransportSetup} `http_client` chose (internal: inject its parts). */
const WEBHOOK_TRANSPORT_SETUP = Symbol('WEBHOOK_TRANSPORT_SETUP');

/** Identifies this process's leases in the store: host, pid and a random part (two engines in one process differ). */
function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** The HTTP transport `http_client` selects, and the `HttpService` offered beside it (`WEBHOOK_HTTP_SERVICE`). */
function transportProviders(): Provider[] {
  return [
    { provide: WEBHOOK_TRANSPORT_SETUP, inject: [WEBHOOK_CONFIG], useFactory: (config: WebhookConfig) => createWebhookTransport(config) },
    { provide: WEBHOOK_TRANSPORT, inject: [WEBHOOK_TRANSPORT_SETUP], useFactory: (setup: WebhookTransportSetup) => setup.transport },
    { provide: WEBHOOK_HTTP_SERVICE, inject: [WEBHOOK_TRANSPORT_SETUP], useFactory: (setup: WebhookTransportSetup) => setup.http },
  ];
}

/** The attempt sender (signs and sends; shared by deliveries and test sends) and the engine that runs deliveries. */
function engineProviders(): Provider[] {
  return [
    {
      provide: AttemptSender,
      inject: [WEBHOOK_CONFIG, WEBHOOK_TRANSPORT],
      useFactory: (config: WebhookConfig, transport: WebhookTransport) => new AttemptSender(new WebhookSigner(config), transport),
    },
    {
      provide: DeliveryEngine,
      inject: [WEBHOOK_CONFIG, WEBHOOK_DELIVERY_STORE, AttemptSender, SubscriptionCache, AutoDisable, WEBHOOK_TELEMETRY, WEBHOOK_STORE_CAPABILITIES],
      useFactory: (
        config: WebhookConfig,
        store: WebhookDeliveryStore,
        sender: AttemptSender,
        subscriptions: SubscriptionCache,
        health: AutoDisable,
        telemetry: WebhookTelemetry,
        capabilities: StoreCapabilities,
      ) =>
        new DeliveryEngine({
          workerId: newWorkerId(),
          config,
          queue: store,
          sender,
          subscriptions,
          health,
          telemetry,
          logger: new Logger(DeliveryEngine.name),
          immediateWrites: !capabilities.groupCommit,
        }),
    },
  ];
}

/**
 * The delivery side of the module: transport, sender, engine, the cron jobs, dispatch, test sends, and the
 * runtime host that starts and stops them.
 */
export function deliveryProviders(): Provider[] {
  return [
    ...transportProviders(),
    ...engineProviders(),
    HostSchedulerRegistry,
    RetryProcessor,
    RetentionProcessor,
    TransactionHostRef,
    WebhookDeliveryService,
    // The port through which WebhookSubscriptionService sends tests, implemented on the delivery side.
    WebhookTestSender,
    { provide: WEBHOOK_TEST_SENDER, useExisting: WebhookTestSender },
    WebhookRuntimeHost,
  ];
}
