import { Inject, type Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { WebhookConfig } from './config/webhook-config';
import type { StoreBackend } from './domain/store-backend';
import { InvalidWebhookConfigError } from './domain/webhook.error';
import { SecretCipher } from './security/secret-cipher';
import { createMemoryStores } from './stores/memory/memory-backend';
import { WEBHOOK_CONFIG, WEBHOOK_DELIVERY_STORE, WEBHOOK_SUBSCRIPTION_STORE } from './webhook.constants';

/** Injection token of the module's {@link WebhookStores} (internal). */
export const WEBHOOK_STORES = Symbol('WEBHOOK_STORES');
/** Injection token of the backend's {@link StoreCapabilities} (internal). */
export const WEBHOOK_STORE_CAPABILITIES = Symbol('WEBHOOK_STORE_CAPABILITIES');
/** Injection token of the backend's `StoreSignals`, or null when it has none (internal). */
export const WEBHOOK_STORE_SIGNALS = Symbol('WEBHOOK_STORE_SIGNALS');

/** Injection token of the backend's portal session cut-offs (`PortalRevocationStore`, internal). */
export const WEBHOOK_PORTAL_REVOCATIONS = Symbol('WEBHOOK_PORTAL_REVOCATIONS');

/** Injects what the store backend can do. */
export const InjectStoreCapabilities = (): ParameterDecorator => Inject(WEBHOOK_STORE_CAPABILITIES);

/** The two stores of one module instance, their change signals when the backend has any, and what it can do. */
export type WebhookStores = StoreBackend;

/** The packages the TypeORM backend loads, and how to add them. */
const TYPEORM_PACKAGES = ['typeorm', '@nestjs/typeorm'];

/**
 * The stores `store_backend` names (the one place that reads it: each backend declares its capabilities). The
 * TypeORM backend (and with it `typeorm` and `@nestjs/typeorm`, optional peers) is loaded only here, only when
 * chosen, so apps on the memory store need neither package.
 */
export async function createWebhookStores(config: WebhookConfig, moduleRef: ModuleRef): Promise<WebhookStores> {
  if (config.store_backend !== 'typeorm') return createMemoryStores();
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

/** The stores (created once), each under its own token: the two stores, their capabilities, their signals, the portal's cut-offs. */
export function storeProviders(): Provider[] {
  return [
    { provide: WEBHOOK_STORES, inject: [WEBHOOK_CONFIG, ModuleRef], useFactory: createWebhookStores },
    { provide: WEBHOOK_SUBSCRIPTION_STORE, inject: [WEBHOOK_STORES], useFactory: (stores: WebhookStores) => stores.subscriptions },
    { provide: WEBHOOK_DELIVERY_STORE, inject: [WEBHOOK_STORES], useFactory: (stores: WebhookStores) => stores.deliveries },
    { provide: WEBHOOK_STORE_CAPABILITIES, inject: [WEBHOOK_STORES], useFactory: (stores: WebhookStores) => stores.capabilities },
    { provide: WEBHOOK_STORE_SIGNALS, inject: [WEBHOOK_STORES], useFactory: (stores: WebhookStores) => stores.signals },
    { provide: WEBHOOK_PORTAL_REVOCATIONS, inject: [WEBHOOK_STORES], useFactory: (stores: WebhookStores) => stores.portalRevocations },
  ];
}
