import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext, type INestApplication, type ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { WebhookDeliveryStore } from '../../lib/domain/stores';
import type { DeliveryAttempt } from '../../lib/domain/types';
import { WebhookDeliveryService } from '../../lib/delivery/webhook-delivery.service';
import { WebhookSubscriptionService } from '../../lib/subscriptions/webhook-subscription.service';
import { WEBHOOK_DELIVERY_STORE } from '../../lib/webhook.constants';
import { WebhookModule } from '../../lib/webhook.module';
import { waitFor } from '../support/receiver';

/** The token {@link TestAdminGuard} accepts in `x-admin-token`. */
export const ADMIN_TOKEN = 'let-me-in';

/** Test auth guard: no `x-admin-token` header is 401, a wrong one 403 (returns false), the right one passes. */
@Injectable()
export class TestAdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    const token = req.headers['x-admin-token'];
    if (token === undefined) throw new UnauthorizedException('missing x-admin-token header');
    return token === ADMIN_TOKEN;
  }
}

/** Options of the fast-retry test module (real HTTP to 127.0.0.1 allowed). */
export const FAST_RETRY_OPTIONS = {
  allow_private_urls: true,
  retry_base_delay: 0.05,
  retry_max_delay: 0.2,
  retry_max_attempts: 2,
} as const;

/** A started app and the services the tests drive it with. */
export interface AdminTestApp {
  app: INestApplication;
  delivery: WebhookDeliveryService;
  subscriptions: WebhookSubscriptionService;
  store: WebhookDeliveryStore;
}

/** Compiles and initializes an app importing `module` (plus `extra` metadata), logging off. */
export async function startApp(module: ReturnType<typeof WebhookModule.forRoot>, extra: ModuleMetadata = {}, listen = false): Promise<AdminTestApp> {
  const ref = await Test.createTestingModule({ ...extra, imports: [module, ...(extra.imports ?? [])] }).compile();
  const app = ref.createNestApplication({ logger: false });
  try {
    if (listen) await app.listen(0, '127.0.0.1');
    else await app.init();
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  return {
    app,
    delivery: app.get(WebhookDeliveryService),
    subscriptions: app.get(WebhookSubscriptionService),
    store: app.get<WebhookDeliveryStore>(WEBHOOK_DELIVERY_STORE),
  };
}

/** Polls the attempt log until an attempt matching `match` is logged. */
export function waitForAttempt(store: WebhookDeliveryStore, match: (a: DeliveryAttempt) => boolean, what: string): Promise<DeliveryAttempt> {
  return waitFor(async () => (await store.getAttempts({ limit: 1000 })).find(match), what, 10_000, 20);
}
