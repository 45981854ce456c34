import type { HttpService } from '@nestjs/axios';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { WebhookConfig } from '../config/webhook-config';
import { InjectWebhookConfig } from '../webhook.constants';
import { createWebhookTransport, type WebhookTransport } from './http';

/**
 * The Nest host of the HTTP transport chosen by `http_client`: builds it, offers its `HttpService` (injectable as
 * `WEBHOOK_HTTP_SERVICE`, where interceptors are registered with `http_client: 'http-service'`), and closes its
 * connection pool when the app shuts down (after the delivery worker has drained or aborted its sends).
 */
@Injectable()
export class WebhookHttpClient implements OnApplicationShutdown {
  readonly transport: WebhookTransport;
  readonly http: HttpService;

  constructor(@InjectWebhookConfig() config: WebhookConfig) {
    ({ transport: this.transport, http: this.http } = createWebhookTransport(config));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }
}
