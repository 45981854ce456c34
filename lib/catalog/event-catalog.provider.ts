import { Logger, type Provider } from '@nestjs/common';
import { WEBHOOK_CONFIG } from '../webhook.constants';
import { EventCatalog } from './event-catalog';
import type { EventCatalogEntry } from './event-catalog.types';

/** What the catalog reads of the module config (`WebhookConfig`, which imports this folder's types). */
interface CatalogConfig {
  event_catalog: readonly EventCatalogEntry[];
  allow_unlisted_event_types: boolean;
}

/**
 * The module's {@link EventCatalog}, built from `event_catalog` and `allow_unlisted_event_types` while the app
 * starts: a bad entry (a schema that cannot be compiled, an example that fails it) stops the start-up.
 */
export const EVENT_CATALOG_PROVIDER: Provider = {
  provide: EventCatalog,
  inject: [WEBHOOK_CONFIG],
  useFactory: (config: CatalogConfig): Promise<EventCatalog> =>
    EventCatalog.create(config.event_catalog, { allow_unlisted_event_types: config.allow_unlisted_event_types, logger: new Logger(EventCatalog.name) }),
};
