import { Agent } from 'undici';
import type { WebhookConfig } from '../../config/webhook-config';
import { createGuardedConnector } from '../../security/guarded-lookup';

/**
 * How long an idle keep-alive connection to a receiver is kept when the receiver sends no `Keep-Alive: timeout=`
 * hint, ms (at most `keep_alive_max_timeout_seconds`).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 10_000;

/** Whole-exchange timeout of one send, ms (`delivery_timeout_seconds`). */
export function sendTimeoutMs(config: Pick<WebhookConfig, 'delivery_timeout_seconds'>): number {
  return Math.round(config.delivery_timeout_seconds * 1000);
}

/**
 * A keep-alive undici pool whose connector applies the SSRF guard, so the address that is checked is the address
 * connected to (no DNS-rebinding window). Each transport owns one and destroys it in `close()`. An idle socket is
 * closed after `keep_alive_max_timeout_seconds` at most, whatever `Keep-Alive: timeout=` the receiver sends
 * (undici would otherwise keep it up to 10 minutes on the receiver's word).
 */
export function createGuardedAgent(config: Pick<WebhookConfig, 'delivery_timeout_seconds' | 'allow_private_urls' | 'allowed_hosts' | 'keep_alive_max_timeout_seconds'>): Agent {
  const maxIdleMs = Math.max(1, Math.round(config.keep_alive_max_timeout_seconds * 1000));
  return new Agent({
    keepAliveTimeout: Math.min(KEEP_ALIVE_TIMEOUT_MS, maxIdleMs),
    keepAliveMaxTimeout: maxIdleMs,
    connect: createGuardedConnector(config, { timeout: sendTimeoutMs(config) }),
  });
}
