/**
 * `nestjs-webhooks/testing`: helpers for an app's tests, with no test framework needed. A recording HTTP endpoint
 * to deliver to, the signed headers a delivery carries (to test a receiving endpoint), and the contract a custom
 * `WebhookReplayStore` must keep. `npm run api:check` compares this surface with
 * `api/nestjs-webhooks-testing.api.md`.
 *
 * @packageDocumentation
 */
export { WebhookTestReceiver, type RecordedWebhookRequest, type WebhookTestReceiverOptions } from './testing/webhook-test-receiver';
export { signedWebhookHeaders, type SignedWebhookRequest } from './testing/signed-request';
export { checkReplayStore } from './testing/replay-store-contract';
export type { WebhookReplayStore } from './receiver/webhook-replay.store';
