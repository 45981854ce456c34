import type { ModuleRef } from '@nestjs/core';
import type { WebhookConfig } from './config/webhook-config';
import type { StoreSignals, WebhookDeliveryStore, WebhookSubscriptionStore } from './domain/stores';
import { InvalidWebhookConfigError } from './domain/webhook.error';
import { SecretCipher } from './security/secret-cipher';
import { MemoryDeliveryStore } from './stores/memory/memory-delivery.store';
import { MemorySubscriptionStore } from './stores/memory/memory-subscription.store';

/** Injection token of the module's {@link WebhookStores} (internal). */
export const WEBHOOK_STORES = Symbol('WEBHOOK_STORES');

/** The two stores of one module instance, and their change signals when the backend has any. */
export interface WebhookStores {
  subscriptions: WebhookSubscriptionStore;
  deliveries: WebhookDeliveryStore;
  signals?: StoreSignals;
}

/** The packages the TypeORM backend loads, and how to add them. */
const TYPEORM_PACKAGES = ['typeorm', '@nestjs/typeorm'];

/**
 * The stores `store_backend` names. The TypeORM backend (and with it `typeorm` and `@nestjs/typeorm`, optional
 * peers) is loaded only here, only when chosen, so apps on the memory store need neither package.
 */
export async function createWebhookStores(config: WebhookConfig, moduleRef: ModuleRef): Promise<WebhookStores> {
  if (config.store_backend !== 'typeorm') {
    const subscriptions = new MemorySubscriptionStore();
    return { subscriptions, deliveries: new MemoryDeliveryStore(subscriptions.rateLimits) };
  }
  let backend: typeof import('./stores/typeorm/typeorm-backend.js');
  try {
    backend = await import('./stores/typeorm/typeorm-backend.js');
  } catch (err) {
    const missing = missingPackage(err);
    if (!missing) throw err;
    throw new InvalidWebhookConfigError(
      'store_backend',
      `'typeorm' needs the packages ${TYPEORM_PACKAGES.join(' and ')}, and ${missing} is not installed: npm install ${TYPEORM_PACKAGES.join(' ')} (plus your driver: pg, mysql2 or better-sqlite3), or use store_backend 'memory'`,
    );
  }
  // Encryption at rest is the database store's: the memory store keeps nothing at rest.
  return backend.createTypeOrmStores(moduleRef, config.typeorm_data_source, new SecretCipher(config.secret_encryption_keys));
}

/** Which TypeORM package a failed import could not find, if that is why it failed. */
function missingPackage(err: unknown): string | null {
  const e = err as { code?: string; message?: string } | null;
  if (e?.code !== 'MODULE_NOT_FOUND' && e?.code !== 'ERR_MODULE_NOT_FOUND') return null;
  return TYPEORM_PACKAGES.find((name) => e.message?.includes(`'${name}'`) || e.message?.includes(`"${name}"`)) ?? null;
}
