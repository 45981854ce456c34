import { Controller, HttpCode, Inject, InternalServerErrorException, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WebhookEvent, WebhookReceiver, WebhookReceiverModule, type ReceivedWebhookEvent } from '../lib';

/** What the demo receiver's handlers saw, printed by the sample. */
export interface DemoDelivery {
  path: string;
  event_type: string;
  event_id: string;
}

const SEEN = 'DEMO_SEEN';

/**
 * A customer's endpoints, as a customer would write them with this package's receiver guard: every route is
 * `@WebhookReceiver()`, so a request reaches its handler only once its signature, timestamp and id check out.
 * `/ok` answers 204; `/fail` answers 500 every time (so retries and a dead letter show); `/ed25519` verifies
 * with a public key only.
 */
@Controller()
class DemoReceiverController {
  constructor(@Inject(SEEN) private readonly seen: DemoDelivery[]) {}

  @Post('ok')
  @WebhookReceiver()
  @HttpCode(204)
  ok(@WebhookEvent() event: ReceivedWebhookEvent): void {
    this.note('/ok', event);
  }

  @Post('fail')
  @WebhookReceiver()
  fail(@WebhookEvent() event: ReceivedWebhookEvent): never {
    this.note('/fail', event);
    throw new InternalServerErrorException('demo endpoint is down');
  }

  @Post('ed25519')
  @WebhookReceiver()
  @HttpCode(204)
  ed25519(@WebhookEvent() event: ReceivedWebhookEvent): void {
    this.note('/ed25519', event);
  }

  private note(path: string, event: ReceivedWebhookEvent): void {
    this.seen.push({ path, event_type: event.event_type ?? '?', event_id: event.event_id ?? '?' });
  }
}

/**
 * Starts the demo receiver: a NestJS app of its own (as a customer's would be) on 127.0.0.1:`port`, created
 * with `rawBody: true` so the guard verifies the bytes as sent. Each endpoint has its own subscription, so the
 * keys are looked up per request path (`secret_resolver`): a `whsec_` secret, or a `whpk_` public key.
 */
export async function startDemoReceiver(port: number, keys: () => Map<string, string>, seen: DemoDelivery[]): Promise<INestApplication> {
  @Module({
    imports: [WebhookReceiverModule.forRoot({ secret_resolver: (req: { path: string }) => keys().get(req.path) })],
    controllers: [DemoReceiverController],
    providers: [{ provide: SEEN, useValue: seen }],
  })
  class DemoReceiverModule {}

  const app = await NestFactory.create(DemoReceiverModule, { rawBody: true, logger: ['error', 'warn'] });
  await app.listen(port, '127.0.0.1');
  return app;
}
