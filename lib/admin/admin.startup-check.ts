import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { isClass } from '../catalog/catalog-entries';
import { CLASS_VALIDATOR_JSONSCHEMA, loadClassJsonSchemaSupport } from '../catalog/class-json-schema';
import { EventCatalog } from '../catalog/event-catalog';
import type { WebhookConfig } from '../config/webhook-config';
import { InvalidWebhookConfigError } from '../domain/webhook.error';
import { InjectWebhookConfig } from '../webhook.constants';
import { normalizeAdminPrefix } from './admin.prefix';

/** How many catalogued types an error message names. */
const NAMES_SHOWN = 5;

/**
 * At start-up (on the resolved config, so for `forRoot` and `forRootAsync` alike), stops the app when the admin
 * routes would be open to anyone or could not serve the event catalog: `admin_guards` must hold guards, unless
 * `admin_allow_unguarded: true` (then a warning is logged), and a catalog with class-validator classes needs the
 * optional class-validator-jsonschema for `GET /<prefix>/event-types`. Every schema is rendered here once, so
 * that route never fails later.
 */
@Injectable()
export class WebhookAdminStartupCheck implements OnModuleInit {
  private readonly logger = new Logger('WebhookAdmin');

  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @Inject(EventCatalog) private readonly catalog: EventCatalog,
  ) {}

  async onModuleInit(): Promise<void> {
    this.checkGuards();
    await this.checkCatalog();
  }

  private checkGuards(): void {
    const guards = this.config.admin_guards ?? [];
    guards.forEach((g, i) => {
      const ok = typeof g === 'function' || (g !== null && typeof g === 'object' && typeof (g as { canActivate?: unknown }).canActivate === 'function');
      if (!ok) throw new InvalidWebhookConfigError('admin_guards', `entry ${i} is neither a guard class nor an object with canActivate()`);
    });
    if (guards.length > 0) return;
    const prefix = normalizeAdminPrefix(this.config.admin_prefix);
    if (this.config.admin_allow_unguarded !== true) {
      throw new InvalidWebhookConfigError(
        'admin_guards',
        `enable_admin is true but admin_guards is empty, so anyone who can reach this app could read and change webhook subscriptions under /${prefix}: pass admin_guards: [YourAuthGuard] (a CanActivate class or instance) to WebhookModule.forRoot (or return it from the forRootAsync factory), or set admin_allow_unguarded: true if the routes are protected in front of Nest`,
      );
    }
    this.logger.warn(
      `Admin routes under /${prefix} are enabled with no admin_guards: anyone who can reach this app can read and change webhook subscriptions. Pass admin_guards: [YourAuthGuard].`,
    );
  }

  private checkCatalog(): Promise<void> {
    return checkCatalogRenders(this.catalog, `the admin API (enable_admin) serves GET /${normalizeAdminPrefix(this.config.admin_prefix)}/event-types`);
  }
}

/**
 * Stops the start when the catalog's schemas cannot all be shown as JSON Schema by an `event-types` route
 * (`served` says which, for the message): class-validator classes need the optional class-validator-jsonschema.
 * Renders (and keeps) every schema now, so the route never fails later.
 */
export async function checkCatalogRenders(catalog: EventCatalog, served: string): Promise<void> {
  const classTypes = catalog.eventTypes.filter((t) => isClass(catalog.get(t)?.schema));
  if (classTypes.length > 0) {
    try {
      await loadClassJsonSchemaSupport();
    } catch (err) {
      if (!(err instanceof InvalidWebhookConfigError)) throw err;
      const named = classTypes.slice(0, NAMES_SHOWN).join(', ') + (classTypes.length > NAMES_SHOWN ? `, and ${classTypes.length - NAMES_SHOWN} more` : '');
      throw new InvalidWebhookConfigError(
        'event_catalog',
        `${served}, which shows class-validator schemas (here of ${named}) as JSON Schema with the optional package ${CLASS_VALIDATOR_JSONSCHEMA}; it is not installed: npm install ${CLASS_VALIDATOR_JSONSCHEMA} (or give those entries a JSON Schema object)`,
      );
    }
  }
  await catalog.describe();
}
