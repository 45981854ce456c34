import { Body, Controller, HttpCode, Inject, InternalServerErrorException, Module, Post, type DynamicModule, type INestApplication, type LoggerService, type ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookEvent, WebhookReceiver, WebhookReceiverModule, type ReceivedWebhookEvent } from '../../lib';

/** What the receiver's handlers saw: one entry per handler call (a refused request adds none). */
export class HandlerCalls {
  readonly events: Array<{ route: string; event: ReceivedWebhookEvent; payload: unknown }> = [];
  /** Calls per route. */
  count(route: string): number {
    return this.events.filter((e) => e.route === route).length;
  }
}

/** `/hooks/fail` fails this many times before it succeeds (to see the sender retry). */
export class FailPlan {
  failures = 0;
}

const CALLS = 'RECEIVER_TEST_CALLS';
const FAIL_PLAN = 'RECEIVER_TEST_FAIL_PLAN';

/** The receiver under test: guarded routes, and one open route that shows the guard is not global. */
@Controller('hooks')
class HooksController {
  constructor(
    @Inject(CALLS) private readonly calls: HandlerCalls,
    @Inject(FAIL_PLAN) private readonly plan: FailPlan,
  ) {}

  @Post('in')
  @WebhookReceiver()
  @HttpCode(200)
  receive(@WebhookEvent() event: ReceivedWebhookEvent, @WebhookEvent('payload') payload: unknown): { received: string | null } {
    this.calls.events.push({ route: 'in', event, payload });
    return { received: event.event_id };
  }

  @Post('fail')
  @WebhookReceiver()
  @HttpCode(200)
  flaky(@WebhookEvent() event: ReceivedWebhookEvent): { received: string | null } {
    this.calls.events.push({ route: 'fail', event, payload: event.payload });
    if (this.plan.failures > 0) {
      this.plan.failures--;
      throw new InternalServerErrorException('handler failed');
    }
    return { received: event.event_id };
  }

  @Post('other')
  @WebhookReceiver()
  @HttpCode(200)
  other(@WebhookEvent() event: ReceivedWebhookEvent): { received: string | null } {
    this.calls.events.push({ route: 'other', event, payload: event.payload });
    return { received: event.event_id };
  }

  @Post('open')
  @HttpCode(200)
  open(@Body() body: unknown): { open: true; body: unknown } {
    this.calls.events.push({ route: 'open', event: null as never, payload: body });
    return { open: true, body };
  }
}

/** A running receiver app on 127.0.0.1. */
export interface ReceiverApp {
  app: INestApplication;
  calls: HandlerCalls;
  plan: FailPlan;
  url(path: string): string;
  close(): Promise<void>;
}

/** Options of {@link startReceiverApp}. */
export interface ReceiverAppOptions {
  /** Default true: `rawBody: true`, as the guard needs. */
  rawBody?: boolean;
  logger?: LoggerService | false;
  /** More modules for the app (a TypeOrmModule, say). */
  imports?: ModuleMetadata['imports'];
  /** Runs on the app before it listens (to set a body parser, say). */
  prepare?: (app: INestApplication) => void;
}

/**
 * A NestJS receiver app importing `receiverModule` (a `WebhookReceiverModule.forRoot(...)` or `forRootAsync(...)`),
 * listening on 127.0.0.1 on a free port.
 */
export async function startReceiverApp(receiverModule: DynamicModule, options: ReceiverAppOptions = {}): Promise<ReceiverApp> {
  const calls = new HandlerCalls();
  const plan = new FailPlan();
  @Module({
    imports: [...(options.imports ?? []), receiverModule],
    controllers: [HooksController],
    providers: [
      { provide: CALLS, useValue: calls },
      { provide: FAIL_PLAN, useValue: plan },
    ],
  })
  class ReceiverTestModule {}
  const ref = await Test.createTestingModule({ imports: [ReceiverTestModule] }).compile();
  const app = ref.createNestApplication({ rawBody: options.rawBody ?? true, logger: options.logger ?? false, forceCloseConnections: true });
  options.prepare?.(app);
  try {
    await app.listen(0, '127.0.0.1');
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return { app, calls, plan, url: (path) => `http://127.0.0.1:${port}${path}`, close: () => app.close() };
}

/** A plain receiver module with these options (for tests that only vary the options). */
export function receiverModule(options: Parameters<typeof WebhookReceiverModule.forRoot>[0]): DynamicModule {
  return WebhookReceiverModule.forRoot(options);
}

/** An HTTP answer: status and the body (parsed when JSON). */
export interface Answer {
  status: number;
  body: any;
}

/** POSTs `body` (sent byte for byte) with `headers` over a fresh connection (no keep-alive left behind). */
export function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
