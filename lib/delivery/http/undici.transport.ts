import type { Agent } from 'undici';
import { createGuardedAgent, sendTimeoutMs } from './guarded-agent';
import { abortedResult, answerResult, errorResult } from './send-result';
import type { HttpTransportConfig, SendResult, WebhookTransport } from './transport';
import { UndiciExchange } from './undici-exchange';

/**
 * `http_client: 'undici'` (the default): each delivery is one {@link UndiciExchange} on a keep-alive undici pool
 * guarded against SSRF. No axios: the receiver gets exactly the headers the caller gives (plus the `host`,
 * `content-length` and `connection` undici adds) and the body's bytes as given.
 */
export class UndiciTransport implements WebhookTransport {
  private readonly agent: Agent;
  private readonly exchange: UndiciExchange;
  private readonly timeoutMs: number;

  constructor(config: Omit<HttpTransportConfig, 'http_client'>) {
    this.agent = createGuardedAgent(config);
    this.exchange = new UndiciExchange(this.agent, config.max_response_bytes);
    this.timeoutMs = sendTimeoutMs(config);
  }

  /** See {@link WebhookTransport.send}. */
  async send(url: string, headers: Record<string, string>, body: string, signal?: AbortSignal, timeoutMs: number = this.timeoutMs): Promise<SendResult> {
    const started = performance.now();
    if (signal?.aborted) return abortedResult(started, signal, url);
    try {
      const answer = await this.exchange.run({ url, method: 'POST', headers, body, timeoutMs, signal });
      return answerResult(started, answer, url, signal);
    } catch (err) {
      return errorResult(started, err, url, signal);
    }
  }

  /** Destroys the pool: open connections are dropped, sends in flight fail. */
  async close(): Promise<void> {
    // The caller has already drained or aborted its sends; nothing here is worth waiting for.
    await this.agent.destroy().catch(() => undefined);
  }
}
