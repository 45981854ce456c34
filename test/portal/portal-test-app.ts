import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import type { WebhookModuleOptions } from '../../lib/config/webhook-config';
import type { WebhookDeliveryStore, WebhookSubscriptionStore } from '../../lib/domain/stores';
import { WebhookDeliveryService } from '../../lib/delivery/webhook-delivery.service';
import { WebhookPortalService } from '../../lib/portal';
import { WebhookSubscriptionService } from '../../lib/subscriptions/webhook-subscription.service';
import { WEBHOOK_DELIVERY_STORE, WEBHOOK_SUBSCRIPTION_STORE } from '../../lib/webhook.constants';
import { WebhookModule } from '../../lib/webhook.module';
import type { WebhookModuleExtras } from '../../lib/webhook.module-definition';
import { closeTestDataSource, createTestDataSource } from '../support/databases';

/** A portal secret of the required length. */
export const PORTAL_SECRET = 'portal-secret-for-tests-0123456789abcdef';

/** Fast retries and local receivers, as the other e2e suites use. */
export const PORTAL_FAST: WebhookModuleOptions = {
  allow_private_urls: true,
  retry_base_delay: 0.02,
  retry_max_delay: 0.1,
  retry_max_attempts: 2,
  delivery_timeout_seconds: 2,
  shutdown_timeout_seconds: 2,
};

/** A listening app with the portal, and the services the tests check the store through. */
export interface PortalApp {
  app: INestApplication;
  port: number;
  portal: WebhookPortalService;
  subscriptions: WebhookSubscriptionService;
  delivery: WebhookDeliveryService;
  deliveries: WebhookDeliveryStore;
  subscriptionStore: WebhookSubscriptionStore;
  close(): Promise<void>;
}

/** Options of {@link startPortalApp}. */
export interface PortalAppOptions {
  /** Memory (default) or PostgreSQL in this namespace. */
  postgres?: { namespace: string; dropSchema?: boolean };
  extra?: ModuleMetadata;
}

/** `WebhookModule.forRoot({ enable_portal: true, portal_secret, ...options })` listening on 127.0.0.1. */
export async function startPortalApp(options: WebhookModuleOptions & WebhookModuleExtras = {}, how: PortalAppOptions = {}): Promise<PortalApp> {
  let ds: DataSource | undefined;
  if (how.postgres) ds = await createTestDataSource('postgres', { namespace: how.postgres.namespace, dropSchema: how.postgres.dropSchema ?? true });
  const extra = how.extra ?? {};
  const ref = await Test.createTestingModule({
    ...extra,
    imports: [WebhookModule.forRoot({ enable_portal: true, portal_secret: PORTAL_SECRET, ...options, store_backend: ds ? 'typeorm' : 'memory' }), ...(extra.imports ?? [])],
    providers: [...(extra.providers ?? []), ...(ds ? [{ provide: getDataSourceToken(), useValue: ds }] : [])],
  })
    .compile()
    .catch(async (err: unknown) => {
      await closeTestDataSource(ds);
      throw err;
    });
  const app = ref.createNestApplication({ logger: false });
  try {
    await app.listen(0, '127.0.0.1');
  } catch (err) {
    await app.close().catch(() => undefined);
    await closeTestDataSource(ds);
    throw err;
  }
  return {
    app,
    port: (app.getHttpServer().address() as AddressInfo).port,
    // Absent with enable_portal: false (a test that checks no portal exists).
    portal: options.enable_portal === false ? (undefined as never) : app.get(WebhookPortalService),
    subscriptions: app.get(WebhookSubscriptionService),
    delivery: app.get(WebhookDeliveryService),
    deliveries: app.get<WebhookDeliveryStore>(WEBHOOK_DELIVERY_STORE),
    subscriptionStore: app.get<WebhookSubscriptionStore>(WEBHOOK_SUBSCRIPTION_STORE),
    close: async () => {
      await app.close();
      await closeTestDataSource(ds);
    },
  };
}

/** A reply: status, parsed JSON body (null when none) and headers. */
export interface Reply {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** Request options of {@link call}. */
export interface CallOptions {
  token?: string;
  headers?: Record<string, string>;
  /** Sent as JSON (with `Content-Type: application/json`). */
  json?: unknown;
  /** Sent as it is (set its Content-Type in `headers`). */
  raw?: string;
}

/** One real HTTP request with exactly these headers (plus Host, Content-Length), as a browser or client sends it. */
export function call(port: number, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const body = options.json === undefined ? options.raw : JSON.stringify(options.json);
  const headers: Record<string, string> = {
    ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let parsed: unknown = null;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          parsed = text;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The portal API path of `route` under the default prefix. */
export const api = (route: string): string => `/webhooks/portal/api${route}`;
