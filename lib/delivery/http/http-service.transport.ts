import { HttpService } from '@nestjs/axios';
import axios, { type AxiosInstance, type AxiosRequestTransformer, type AxiosResponse, type RawAxiosRequestHeaders } from 'axios';
import { firstValueFrom } from 'rxjs';
import type { Agent } from 'undici';
import { createGuardedAgent, sendTimeoutMs } from './guarded-agent';
import { abortedResult, answerResult, errorResult, type HttpAnswer } from './send-result';
import type { HttpTransportConfig, SendResult, WebhookTransport } from './transport';
import { createUndiciAxiosAdapter, type BoundedRequestInfo } from './undici-axios.adapter';
import { UndiciExchange } from './undici-exchange';

/**
 * `http_client: 'http-service'`: every delivery goes through `HttpService.post()` (@nestjs/axios), so the
 * interceptors and defaults the app registers on {@link HttpServiceTransport.http}'s `axiosRef` apply to it. Under
 * axios, the same guarded keep-alive undici pool as {@link UndiciTransport} does the exchange (through
 * {@link createUndiciAxiosAdapter}), so with no interceptor the receiver sees the same request and `send()` returns
 * the same result. Two axios behaviours are turned off on this instance for that: its default headers, and
 * its rewriting of a JSON-typed string body (trimmed, or re-encoded when not valid JSON), which would no longer
 * match the body's signature. axios still adds `content-type: application/x-www-form-urlencoded` when the caller
 * gives no content-type (a delivery always has one).
 */
export class HttpServiceTransport implements WebhookTransport {
  /** The `HttpService` deliveries go through; register interceptors on `http.axiosRef`. */
  readonly http: HttpService;
  private readonly agent: Agent;
  /**
   * Given to every request so `HttpService` does not make a CancelToken per request and cancel it when the
   * observable completes: that builds an error with a stack trace per delivery (measured: the largest single cost
   * of a send). Cancellation goes through the AbortSignal instead; the adapter never reads this token.
   */
  private readonly neverCancelled = new axios.CancelToken(() => undefined);
  private readonly timeoutMs: number;

  constructor(config: Omit<HttpTransportConfig, 'http_client'>) {
    this.agent = createGuardedAgent(config);
    this.timeoutMs = sendTimeoutMs(config);
    const instance: AxiosInstance = axios.create({
      adapter: createUndiciAxiosAdapter(new UndiciExchange(this.agent, config.max_response_bytes)),
      maxRedirects: 0,
      validateStatus: () => true,
      responseType: 'text',
      timeout: this.timeoutMs,
      transformRequest: [sendBodyAsGiven],
    });
    // axios ships default headers (`Accept`, and a `Content-Type` placeholder that re-cases the caller's): this
    // instance starts with none, so a delivery carries the caller's headers only, as on the undici transport. These
    // buckets are this instance's own copies; headers the app sets on them later do apply.
    const defaultHeaders = instance.defaults.headers;
    for (const bucket of [defaultHeaders.common, defaultHeaders.post]) for (const name of Object.keys(bucket ?? {})) delete bucket[name];
    // @nestjs/axios 12 is ESM and sees axios's ESM typings; the instance is the same object.
    this.http = new HttpService(instance as unknown as ConstructorParameters<typeof HttpService>[0]);
  }

  /** See {@link WebhookTransport.send}. */
  async send(url: string, headers: Record<string, string>, body: string, signal?: AbortSignal, timeoutMs?: number): Promise<SendResult> {
    const started = performance.now();
    // axios would throw a CanceledError before sending; saying why is more useful.
    if (signal?.aborted) return abortedResult(started, signal, url);
    try {
      const res = await firstValueFrom(this.http.post<unknown>(url, body, { headers, signal, cancelToken: this.neverCancelled, timeout: timeoutMs ?? this.timeoutMs } as never));
      return answerResult(started, toAnswer(res as unknown as AxiosResponse<unknown>), url, signal);
    } catch (err) {
      return errorResult(started, err, url, signal);
    }
  }

  /** Destroys the pool: open connections are dropped, sends in flight fail. */
  async close(): Promise<void> {
    await this.agent.destroy().catch(() => undefined);
  }
}

/**
 * The instance's only request transform: a string or Buffer body is sent byte for byte (it is what was signed);
 * anything else (an object an interceptor put in `data`) goes through axios's own default transforms.
 */
function sendBodyAsGiven(this: unknown, data: unknown, headers: RawAxiosRequestHeaders): unknown {
  if (typeof data === 'string' || Buffer.isBuffer(data)) return data;
  const defaults = ([] as AxiosRequestTransformer[]).concat(axios.defaults.transformRequest ?? []);
  return defaults.reduce((d, transform) => transform.call(this as never, d, headers as never), data);
}

/** What `send()` reads of an axios response, defensively: a response interceptor may have replaced any of it. */
function toAnswer(res: AxiosResponse<unknown> | undefined): HttpAnswer {
  if (typeof res?.status !== 'number') throw new Error('an HttpService response interceptor returned no response (status missing)');
  return {
    status: res.status,
    headers: (res.headers ?? {}) as Record<string, unknown>,
    text: res.data,
    truncated: (res.request as BoundedRequestInfo | undefined)?.truncated === true,
  };
}
