import { applyDecorators, BadRequestException, createParamDecorator, InternalServerErrorException, UseGuards, type ExecutionContext } from '@nestjs/common';
import type { WebhookEvent as DomainWebhookEvent } from '../domain/types';
import { toReceivedEvent, type ReceivedWebhookEvent } from './received-event';
import { VERIFIED_WEBHOOK } from './webhook-receiver.constants';
import { WebhookSignatureGuard } from './webhook-signature.guard';
import type { VerifiedWebhook } from './webhook-signature.verifier';

/** Where the parsed event is kept, so that several `@WebhookEvent()` parameters parse the body once. */
const RECEIVED_EVENT = Symbol.for('nestjs-webhooks.received-event');

type RequestWithEvent = { [VERIFIED_WEBHOOK]?: VerifiedWebhook; [RECEIVED_EVENT]?: ReceivedWebhookEvent | null };

/**
 * Marks a route (or every route of a controller) as a webhook receiver: `WebhookSignatureGuard` verifies each
 * request before the handler runs. Import `WebhookReceiverModule.forRoot(...)` in the controller's module.
 */
export function WebhookReceiver(): MethodDecorator & ClassDecorator {
  return applyDecorators(UseGuards(WebhookSignatureGuard));
}

/**
 * The verified event of a `@WebhookReceiver()` route (see {@link ReceivedWebhookEvent}), or one of its fields:
 * `@WebhookEvent() event`, `@WebhookEvent('payload') payload`. A body that is not JSON is a 400.
 */
export const WebhookEvent = createParamDecorator((field: keyof ReceivedWebhookEvent | undefined, context: ExecutionContext) => {
  const req = context.switchToHttp().getRequest<RequestWithEvent>();
  const verified = req[VERIFIED_WEBHOOK];
  if (!verified) {
    throw new InternalServerErrorException('@WebhookEvent() is only available on a route verified by WebhookSignatureGuard: add @WebhookReceiver() to it');
  }
  if (req[RECEIVED_EVENT] === undefined) req[RECEIVED_EVENT] = toReceivedEvent(verified);
  const event = req[RECEIVED_EVENT];
  if (!event) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', reason: 'invalid_json', message: 'the webhook verified, but its body is not JSON' });
  return field ? event[field] : event;
});

/**
 * The event type this package sends (the envelope's fields). The same name as the decorator: the package root
 * exports both meanings from here, so `import { WebhookEvent }` keeps giving the type.
 */
export type WebhookEvent<TPayload = unknown> = DomainWebhookEvent<TPayload>;
