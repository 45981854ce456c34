import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { checkCatalogRenders } from '../admin/admin.startup-check';
import { EventCatalog } from '../catalog/event-catalog';
import type { WebhookConfig } from '../config/webhook-config';
import { InjectWebhookConfig } from '../webhook.constants';
import { normalizePortalPrefix } from './portal.constants';

/**
 * At start-up, stops the app when the portal's `GET api/event-types` could not show the event catalog (as the admin
 * check does for the admin route), so that the page's event type picker never meets a 500.
 */
@Injectable()
export class WebhookPortalStartupCheck implements OnModuleInit {
  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @Inject(EventCatalog) private readonly catalog: EventCatalog,
  ) {}

  onModuleInit(): Promise<void> {
    return checkCatalogRenders(this.catalog, `the customer portal (enable_portal) serves GET /${normalizePortalPrefix(this.config.portal_prefix)}/api/event-types`);
  }
}
