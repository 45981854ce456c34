import { Inject, Injectable, InternalServerErrorException, Logger, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { VERIFIED_WEBHOOK } from './webhook-receiver.constants';
import { WebhookSignatureVerifier, type VerifiedWebhook } from './webhook-signature.verifier';

/** The request fields the guard reads (Express gives them; `rawBody` with Nest's `rawBody: true`). */
interface ReceiverRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody?: Buffer | string;
  [VERIFIED_WEBHOOK]?: VerifiedWebhook;
}

/** The response fields the guard watches (Express's `Response`; Fastify's reply exposes it as `raw`). */
interface ReceiverResponse {
  statusCode?: number;
  writableFinished?: boolean;
  once?(event: 'finish' | 'close', listener: () => void): unknown;
  raw?: ReceiverResponse;
}

/** How often, at most, the missing raw body is logged (it is the same mistake on every request). */
const MISCONFIGURED_LOG_EVERY_MS = 60_000;

/**
 * Verifies the signature of a received webhook over the raw request body, as `WebhookReceiverModule` is
 * configured; the handler runs only when it passes. A refused request gets a 401 whose JSON body says why
 * (`reason`, `message`). Apply it with `@WebhookReceiver()` (or `@UseGuards(WebhookSignatureGuard)`) on the
 * routes that receive webhooks: it is never global.
 *
 * It needs the raw body: create the app with `NestFactory.create(AppModule, { rawBody: true })`. Without it every
 * request fails with a 500 saying so (and a log line); a verdict on re-serialized JSON would be wrong.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  private readonly logger = new Logger('WebhookReceiver');
  private lastMisconfiguredLog = -Infinity;

  /** @internal Made by Nest's injector; its parameters are the module's internals. */
  constructor(@Inject(WebhookSignatureVerifier) private readonly verifier: WebhookSignatureVerifier) {}

  /** Verifies the request; a refused one gets a 401 whose body says why. */
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<ReceiverRequest>();
    const raw = typeof req.rawBody === 'string' ? Buffer.from(req.rawBody, 'utf8') : (req.rawBody ?? (hasNoBody(req) ? Buffer.alloc(0) : undefined));
    if (!Buffer.isBuffer(raw)) throw this.noRawBody(req);
    const verdict = await this.verifier.verify(raw, req.headers, req);
    if (!verdict.ok) {
      throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', reason: verdict.refusal.reason, message: `webhook refused: ${verdict.refusal.message}` });
    }
    req[VERIFIED_WEBHOOK] = verdict.value;
    this.releaseUnlessAnswered2xx(http.getResponse<ReceiverResponse>(), verdict.value);
    return true;
  }

  /** A request the handler fails will be retried by the sender: its replay ids must not refuse that retry. */
  private releaseUnlessAnswered2xx(response: ReceiverResponse | undefined, verified: VerifiedWebhook): void {
    const res = response?.raw ?? response;
    if (verified.replay_ids.length === 0 || typeof res?.once !== 'function') return;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      const status = res.statusCode ?? 0;
      if (res.writableFinished && status >= 200 && status < 300) return;
      this.verifier.release(verified.replay_ids).catch((err: unknown) => this.logger.warn(`could not release a failed request's replay ids: ${(err as Error).message}`));
    };
    res.once('finish', settle);
    res.once('close', settle);
  }

  private noRawBody(req: ReceiverRequest): InternalServerErrorException {
    const type = req.headers['content-type'];
    const message =
      'webhook receiver misconfigured: the raw request body is not available (req.rawBody is not set), so the signature cannot be checked. ' +
      'Create the app with NestFactory.create(AppModule, { rawBody: true }); Nest keeps the raw body of application/json and urlencoded requests' +
      (type ? ` (this one is ${String(type).slice(0, 80)})` : '');
    const now = Date.now();
    if (now - this.lastMisconfiguredLog >= MISCONFIGURED_LOG_EVERY_MS) {
      this.lastMisconfiguredLog = now;
      this.logger.error(message);
    }
    return new InternalServerErrorException({ statusCode: 500, error: 'Internal Server Error', reason: 'raw_body_unavailable', message });
  }
}

/** A request without a body, for which no parser keeps a raw one: its raw body is known to be empty. */
function hasNoBody(req: ReceiverRequest): boolean {
  const length = req.headers['content-length'];
  return length === '0' || (length === undefined && req.headers['transfer-encoding'] === undefined);
}
