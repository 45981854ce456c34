import { HttpService } from '@nestjs/axios';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import axios, { type AxiosResponse } from 'axios';
import { firstValueFrom } from 'rxjs';
import { Agent } from 'undici';
import type { WebhookConfig } from '../config/webhook-config';
import { createGuardedConnector } from '../security/ssrf';
import { InjectWebhookConfig } from '../webhook.constants';
import { parseRetryAfter } from './retry-policy';
import { describeSendError } from './send-error';
import { createUndiciAxiosAdapter, type BoundedRequestInfo } from './undici-axios.adapter';

/** How one HTTP attempt went. */
export interface SendResult {
  /** 2xx. */
  ok: boolean;
  status_code: number | null;
  duration_ms: number;
  /** What went wrong, for the attempt log (`HTTP 503: <start of body>`, `timeout after 30s`, ...). */
  error_message: string | null;
  /** `Retry-After` of a 429 or 503, ms from now. */
  retry_after_ms: number | null;
  /** 410 Gone: the receiver asks to stop sending. */
  gone: boolean;
}

/**
 * Given to every request so `HttpService` does not make a CancelToken per request and cancel it when the
 * observable completes: that builds an error with a stack trace per delivery (measured: the largest single
 * cost of a send). Cancellation goes through the AbortSignal instead.
 */
const NEVER_CANCELLED = new axios.CancelToken(() => undefined);

/** Characters of a failing response body kept in `error_message`. */
export const ERROR_BODY_PREVIEW_CHARS = 200;

/**
 * Sends deliveries through `HttpService` (@nestjs/axios) over an undici keep-alive pool it owns; the pool is
 * closed on shutdown. A 3xx is a failure (redirects are not followed) and only 2xx is success.
 */
@Injectable()
export class WebhookHttpClient implements OnApplicationShutdown {
  readonly http: HttpService;
  private readonly agent: Agent;
  private readonly timeoutMs: number;

  constructor(@InjectWebhookConfig() config: WebhookConfig) {
    this.timeoutMs = Math.round(config.delivery_timeout_seconds * 1000);
    // The SSRF guard sits in the connector, so the address that is checked is the one connected to.
    this.agent = new Agent({
      keepAliveTimeout: 10_000,
      connect: createGuardedConnector(config, { timeout: this.timeoutMs }),
    });
    // @nestjs/axios 12 is ESM and sees axios's ESM typings; the instance is the same object.
    this.http = new HttpService(
      axios.create({
        adapter: createUndiciAxiosAdapter(this.agent, config.max_response_bytes),
        maxRedirects: 0,
        validateStatus: () => true,
        responseType: 'text',
        timeout: this.timeoutMs,
      }) as unknown as ConstructorParameters<typeof HttpService>[0],
    );
  }

  /** POSTs `body` to `url`. Never throws: every failure is described in the result. */
  async send(url: string, headers: Record<string, string>, body: string, signal?: AbortSignal): Promise<SendResult> {
    const started = performance.now();
    try {
      const res: AxiosResponse<string> = await firstValueFrom(this.http.post<string>(url, body, { headers, signal: signal as any, cancelToken: NEVER_CANCELLED as any }));
      const duration_ms = Math.round(performance.now() - started);
      const status = res.status;
      if (status >= 200 && status < 300) {
        return { ok: true, status_code: status, duration_ms, error_message: null, retry_after_ms: null, gone: false };
      }
      const retryAfter = status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after'] as string | undefined, new Date()) : null;
      return {
        ok: false,
        status_code: status,
        duration_ms,
        error_message: describeHttpFailure(status, res.data, res.headers['location'] as string | undefined, (res.request as BoundedRequestInfo | undefined)?.truncated ?? false),
        retry_after_ms: retryAfter,
        gone: status === 410,
      };
    } catch (err) {
      return {
        ok: false,
        status_code: null,
        duration_ms: Math.round(performance.now() - started),
        error_message: describeSendError(err, url),
        retry_after_ms: null,
        gone: false,
      };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    // The worker has already drained or aborted its sends; nothing here is worth waiting for.
    await this.agent.destroy().catch(() => undefined);
  }
}

function describeHttpFailure(status: number, body: unknown, location: string | undefined, truncated: boolean): string {
  if (status >= 300 && status < 400) return `HTTP ${status}: redirect${location ? ` to ${location.slice(0, 200)}` : ''} not followed`;
  const text = typeof body === 'string' ? body.replace(/\s+/g, ' ').trim() : '';
  if (!text) return `HTTP ${status}`;
  const preview = text.length > ERROR_BODY_PREVIEW_CHARS ? text.slice(0, ERROR_BODY_PREVIEW_CHARS) + '...' : text;
  return `HTTP ${status}: ${preview}${truncated && text.length <= ERROR_BODY_PREVIEW_CHARS ? '...' : ''}`;
}
