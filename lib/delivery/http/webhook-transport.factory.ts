import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { WebhookError } from '../../domain/webhook.error';
import { HttpServiceTransport } from './http-service.transport';
import type { HttpTransportConfig, WebhookTransport } from './transport';
import { UndiciTransport } from './undici.transport';

/** What {@link createWebhookTransport} builds: the transport deliveries go through, and the `HttpService` to offer the app. */
export interface WebhookTransportSetup {
  transport: WebhookTransport;
  /**
   * With `'http-service'`, the one deliveries go through (interceptors on its `axiosRef` apply). With `'undici'`, a
   * stand-in that refuses interceptors and requests, so nobody believes they hook into deliveries.
   */
  http: HttpService;
}

/** Why an interceptor or a request is refused with `http_client: 'undici'`. */
export const UNDICI_HTTP_SERVICE_MESSAGE =
  "webhook deliveries use http_client: 'undici' (the default) and do not go through HttpService, so its interceptors would never run; " +
  "set http_client: 'http-service' in the WebhookModule options to send every delivery through HttpService with its interceptors";

/**
 * Builds the one HTTP path `http_client` selects. For `'undici'` the returned `HttpService` is a stand-in whose
 * `axiosRef.interceptors.request.use` and `.response.use` throw a {@link WebhookError} saying to set
 * `http_client: 'http-service'`: an interceptor registered there would otherwise be silently ignored. This is done
 * by replacing `use` on the interceptor managers of that one axios instance, which this module creates and owns:
 * the global axios and every other instance are untouched, and no flag is kept anywhere. Requests made through the
 * stand-in are refused too (with the same error) rather than sent around the SSRF guard by axios's default adapter.
 */
export function createWebhookTransport(config: HttpTransportConfig): WebhookTransportSetup {
  if (config.http_client === 'http-service') {
    const transport = new HttpServiceTransport(config);
    return { transport, http: transport.http };
  }
  return { transport: new UndiciTransport(config), http: refusingHttpService() };
}

function refusingHttpService(): HttpService {
  const instance = axios.create({
    adapter: () => Promise.reject(new WebhookError(UNDICI_HTTP_SERVICE_MESSAGE)),
  });
  const refuse = (): never => {
    throw new WebhookError(UNDICI_HTTP_SERVICE_MESSAGE);
  };
  const managers = [instance.interceptors.request, instance.interceptors.response] as Array<{ use: unknown }>;
  for (const manager of managers) manager.use = refuse;
  // @nestjs/axios 12 is ESM and sees axios's ESM typings; the instance is the same object.
  return new HttpService(instance as unknown as ConstructorParameters<typeof HttpService>[0]);
}
