/**
 * The public surface of `nestjs-webhooks`: the module, its services, configuration and data types, errors, the
 * health indicator and the receiving side. Every name is listed on purpose; what is not here is internal and may
 * change in any release. Entities and migrations come from `nestjs-webhooks/typeorm`, test helpers from
 * `nestjs-webhooks/testing`. `npm run api:check` compares this surface with `api/nestjs-webhooks.api.md`.
 *
 * @packageDocumentation
 */

// The module and what a host app injects.
export { WebhookModule } from './webhook.module';
export type { WebhookModuleExtras } from './webhook.module-definition';
export { WebhookDeliveryService, type DispatchOptions, type DispatchResult } from './delivery/webhook-delivery.service';
export { WebhookSubscriptionService, type CreateSubscriptionInput, type SendTestOptions, type UpdateSubscriptionInput } from './subscriptions/webhook-subscription.service';
export { WebhookStatsService, type OverallStats, type StatsRangeInfo, type SubscriptionStats } from './observability/webhook-stats.service';
export { WebhookHealthIndicator, type WebhookHealthDetails, type WebhookHealthResult } from './observability/webhook-health.indicator';
export { EventCatalog, type EventCatalogOptions } from './catalog/event-catalog';
export type { ClassValidatorSchema, EventCatalogEntry, EventPayloadSchema, EventTypeDescription, JsonSchemaObject } from './catalog/event-catalog.types';
export {
  WEBHOOK_DELIVERY_STORE,
  WEBHOOK_HTTP_SERVICE,
  WEBHOOK_SUBSCRIPTION_STORE,
  InjectWebhookDeliveryStore,
  InjectWebhookSubscriptionStore,
} from './webhook.constants';

// Configuration.
export {
  DEFAULT_WEBHOOK_CONFIG,
  type HttpClientKind,
  type SignatureScheme,
  type TransactionHostLike,
  type WebhookConfig,
  type WebhookModuleOptions,
} from './config';

// Data types.
export {
  DELIVERY_STATUSES,
  SIGNATURE_TYPES,
  type DeliveryAttempt,
  type DeliveryStatus,
  type Result,
  type SignatureType,
  type WebhookEventInput,
  type WebhookSubscription,
} from './domain/types';
export type { FilterCondition, FilterOperators, FilterScalar, WebhookFilter } from './domain/filter/webhook-filter';
export type { SubscriptionFailingOutcome, WebhookOutcome } from './domain/outcome';
export { TEST_EVENT_TYPE, type TestEvent } from './domain/test-send';
export type { WebhookLogger } from './domain/logger';
export type { AttemptStats, AttemptStatsQuery, QueueSnapshot, StatsBucket } from './domain/stats';

// The stores behind WEBHOOK_SUBSCRIPTION_STORE and WEBHOOK_DELIVERY_STORE, and the types of their methods.
export type {
  AttemptCompletion,
  AttemptCursor,
  AttemptQuery,
  ClaimOptions,
  DeadLetterQuery,
  DeliveryLease,
  DeliveryLog,
  DeliveryQueue,
  DeliveryRetention,
  EnqueueItem,
  EnqueueOptions,
  FailureRun,
  NewDelivery,
  RateLimitedClaim,
  RedriveQuery,
  SubscriptionChange,
  SubscriptionCursor,
  SubscriptionIndexEntry,
  SubscriptionListQuery,
  WebhookDeliveryStore,
  WebhookSubscriptionStore,
} from './domain/stores';
export type { ClaimedDelivery, DeliveryRecord, DeliveryTransition, StoredEvent } from './domain/types';

// Errors: every one has a stable `code`.
export {
  DeliveryAttemptNotFoundError,
  EventPurgedError,
  InvalidEventError,
  InvalidSubscriptionError,
  InvalidTransactionError,
  InvalidWebhookConfigError,
  InvalidWebhookURLError,
  SecretDecryptionError,
  SecretRotationError,
  SubscriptionInactiveError,
  SubscriptionNotFoundError,
  WebhookError,
  WebhookVerificationError,
  type PayloadFieldError,
  type WebhookErrorCode,
} from './domain/webhook.error';
export { InvalidStatsWindowError } from './observability/stats-window';

// Secrets and signatures.
export { generateWebhookSecret } from './signing/secret';
export { ed25519PublicKey, generateEd25519KeyPair, type Ed25519KeyPair } from './signing/ed25519';
export { verifyWebhook, type HeaderBag, type VerifyWebhookOptions } from './signing/verify';

// The receiving side. `WebhookEvent` is both the event type and the receiver's parameter decorator.
export { WebhookReceiverModule } from './receiver/webhook-receiver.module';
export type { WebhookReceiverModuleExtras } from './receiver/webhook-receiver.module-definition';
export type { WebhookReceiverKeys, WebhookReceiverOptions, WebhookSecretResolver } from './receiver/webhook-receiver.options';
export { WebhookSignatureGuard } from './receiver/webhook-signature.guard';
export { WebhookEvent, WebhookReceiver } from './receiver/webhook-receiver.decorators';
export type { ReceivedWebhookEvent } from './receiver/received-event';
export type { WebhookRefusal, WebhookRefusalReason } from './receiver/webhook-refusal';
export type { ReceiverScheme } from './receiver/receiver-keys';
export type { WebhookReplayStore } from './receiver/webhook-replay.store';
export { MemoryReplayStore, type MemoryReplayStoreOptions } from './receiver/memory-replay.store';
export { InvalidWebhookReceiverOptionError } from './receiver/receiver-option.error';

// The customer portal (\`enable_portal: true\`): sessions for a tenant; its config keys are in WebhookConfig.
export { WebhookPortalService, type CreatePortalSessionInput, type PortalSession } from './portal/webhook-portal.service';
export { InvalidPortalSessionError } from './portal/portal.errors';
export type { PortalConfig, PortalTenantResolver, PortalTheme } from './config';
