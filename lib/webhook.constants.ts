import { Inject } from '@nestjs/common';

/** Injection token of the {@link WebhookSubscriptionStore} in use. */
export const WEBHOOK_SUBSCRIPTION_STORE = Symbol('WEBHOOK_SUBSCRIPTION_STORE');
/** Injection token of the {@link WebhookDeliveryStore} in use. */
export const WEBHOOK_DELIVERY_STORE = Symbol('WEBHOOK_DELIVERY_STORE');
/** Injection token of the resolved {@link WebhookConfig} (defaults filled in). */
export const WEBHOOK_CONFIG = Symbol('WEBHOOK_CONFIG');
/** Injection token of the `HttpService` deliveries are sent with. */
export const WEBHOOK_HTTP_SERVICE = Symbol('WEBHOOK_HTTP_SERVICE');
/** Injection token of the tracing of dispatches and attempts (OpenTelemetry when installed, else a no-op). */
export const WEBHOOK_TELEMETRY = Symbol('WEBHOOK_TELEMETRY');

/** Injection token of the {@link SubscriptionTestSender} behind `WebhookSubscriptionService.sendTest`. */
export const WEBHOOK_TEST_SENDER = Symbol('WEBHOOK_TEST_SENDER');

/** Injects the subscription store. */
export const InjectWebhookSubscriptionStore = (): ParameterDecorator => Inject(WEBHOOK_SUBSCRIPTION_STORE);
/** Injects the delivery store. */
export const InjectWebhookDeliveryStore = (): ParameterDecorator => Inject(WEBHOOK_DELIVERY_STORE);
/** Injects the tracing of dispatches and attempts. */
export const InjectWebhookTelemetry = (): ParameterDecorator => Inject(WEBHOOK_TELEMETRY);
/** Injects the resolved configuration. */
export const InjectWebhookConfig = (): ParameterDecorator => Inject(WEBHOOK_CONFIG);
