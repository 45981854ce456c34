import { Get, Inject } from '@nestjs/common';
import { EventCatalog } from '../catalog/event-catalog';
import type { EventTypeDescription } from '../catalog/event-catalog.types';

/** The event catalog route of the admin API (routed under the admin prefix by `WebhookModule`). */
export class WebhookAdminEventTypesController {
  constructor(@Inject(EventCatalog) private readonly catalog: EventCatalog) {}

  /**
   * `[{ event_type, description, schema, example }]` in configuration order, each schema as JSON Schema (a class's
   * generated with class-validator-jsonschema, which must then be installed: `WebhookAdminStartupCheck` stops the
   * app at start-up otherwise, and renders every schema then); `[]` without a catalog.
   */
  @Get('event-types')
  list(): Promise<EventTypeDescription[]> {
    return this.catalog.describe();
  }
}
