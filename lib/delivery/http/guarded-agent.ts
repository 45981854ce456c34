import { Agent } from 'undici';
import type { WebhookConfig } from '../../config/webhook-config';
import { createGuardedConnector } from '../../security/guarded-lookup';

/** How long an idle keep-alive connection to a receiver is kept, ms. */
export const KEEP_ALIVE_TIMEOUT_MS = 10_000;

/** Whole-exchange timeout of one send, ms (`delivery_timeout_seconds`). */
export function sendTimeoutMs(config: Pick<WebhookConfig, 'delivery_timeout_seconds'>): number {
  return Math.round(config.delivery_timeout_seconds * 1000);
}

/**
 * A keep-alive undici pool whose connector applies the SSRF guard, so the address that is checked is the address
 * connected to (no DNS-rebinding window). Each transport owns one and destroys it in `close()`.
 */
export function createGuardedAgent(config: Pick<WebhookConfig, 'delivery_timeout_seconds' | 'allow_private_urls' | 'allowed_hosts'>): Agent {
  return new Agent({
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connect: createGuardedConnector(config, { timeout: sendTimeoutMs(config) }),
  });
}
