import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { InvalidSubscriptionError, WebhookError, type WebhookErrorCode } from '../domain/webhook.error';

const STATUS_BY_CODE: Partial<Record<WebhookErrorCode, HttpStatus>> = {
  SUBSCRIPTION_NOT_FOUND: HttpStatus.NOT_FOUND,
  DELIVERY_ATTEMPT_NOT_FOUND: HttpStatus.NOT_FOUND,
  INVALID_SUBSCRIPTION: HttpStatus.BAD_REQUEST,
  INVALID_WEBHOOK_URL: HttpStatus.BAD_REQUEST,
  INVALID_EVENT: HttpStatus.BAD_REQUEST,
  SUBSCRIPTION_INACTIVE: HttpStatus.CONFLICT,
  SECRET_ROTATION_FAILED: HttpStatus.CONFLICT,
  EVENT_PURGED: HttpStatus.GONE,
};

const REASON: Partial<Record<HttpStatus, string>> = {
  [HttpStatus.BAD_REQUEST]: 'Bad Request',
  [HttpStatus.NOT_FOUND]: 'Not Found',
  [HttpStatus.CONFLICT]: 'Conflict',
  [HttpStatus.GONE]: 'Gone',
  [HttpStatus.INTERNAL_SERVER_ERROR]: 'Internal Server Error',
};

/** The HTTP status the admin API answers a {@link WebhookError} with. */
export function adminStatusOf(error: WebhookError): HttpStatus {
  return STATUS_BY_CODE[error.code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
}

/**
 * Maps the module's errors to HTTP on the admin routes: not found 404, invalid input 400, inactive subscription
 * 409, purged event 410, as `{ statusCode, error, message, code }` (plus `fields` naming the subscription field
 * at fault, when one is). Other exceptions are left to Nest.
 */
@Catch(WebhookError)
export class WebhookAdminExceptionFilter implements ExceptionFilter {
  catch(error: WebhookError, host: ArgumentsHost): void {
    const status = adminStatusOf(error);
    const field = error instanceof InvalidSubscriptionError ? error.field : undefined;
    const body = { statusCode: status, error: REASON[status] ?? 'Error', message: error.message, code: error.code, ...(field ? { fields: [field] } : {}) };
    const res = host.switchToHttp().getResponse();
    // Express and Fastify both have status(); Express has json(), Fastify send().
    const reply = res.status(status);
    if (typeof reply.json === 'function') reply.json(body);
    else reply.send(body);
  }
}
