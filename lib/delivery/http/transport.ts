import type { WebhookConfig } from '../../config/webhook-config';

/** The configuration keys the HTTP transports read. */
export type HttpTransportConfig = Pick<WebhookConfig, 'delivery_timeout_seconds' | 'max_response_bytes' | 'allow_private_urls' | 'allowed_hosts' | 'http_client' | 'keep_alive_max_timeout_seconds'>;

/** How one HTTP attempt went. */
export interface SendResult {
  /** 2xx (a 3xx is a failure: redirects are not followed). */
  ok: boolean;
  /** The response status; null when no response arrived. */
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
 * Sends one delivery. Implemented by {@link UndiciTransport} (`http_client: 'undici'`) and
 * {@link HttpServiceTransport} (`http_client: 'http-service'`); both give the same result for the same exchange.
 */
export interface WebhookTransport {
  /**
   * POSTs `body` to `url` with exactly `headers` (the caller sets content-type, user-agent and signatures). Never
   * throws: every failure is described in the result. An abort through `signal` reports its reason. `timeoutMs`
   * (whole exchange) replaces `delivery_timeout_seconds` for this send.
   */
  send(url: string, headers: Record<string, string>, body: string, signal?: AbortSignal, timeoutMs?: number): Promise<SendResult>;
  /** Drops the connection pool; sends still in flight fail. Safe to call twice. */
  close(): Promise<void>;
}

