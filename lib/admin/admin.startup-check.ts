import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { WebhookConfig } from '../config/webhook-config';
import { InvalidWebhookConfigError } from '../domain/webhook.error';
import { InjectWebhookConfig } from '../webhook.constants';
import { normalizeAdminPrefix } from './admin.prefix';

/** At start-up, checks `admin_guards` and warns loudly when the admin routes are open to anyone. */
@Injectable()
export class WebhookAdminStartupCheck implements OnModuleInit {
  private readonly logger = new Logger('WebhookAdmin');

  constructor(@InjectWebhookConfig() private readonly config: WebhookConfig) {}

  onModuleInit(): void {
    const guards = this.config.admin_guards ?? [];
    guards.forEach((g, i) => {
      const ok = typeof g === 'function' || (g !== null && typeof g === 'object' && typeof (g as { canActivate?: unknown }).canActivate === 'function');
      if (!ok) throw new InvalidWebhookConfigError('admin_guards', `entry ${i} is neither a guard class nor an object with canActivate()`);
    });
    if (guards.length === 0) {
      const prefix = normalizeAdminPrefix(this.config.admin_prefix);
      this.logger.warn(
        `Admin routes under /${prefix} are enabled with no admin_guards: anyone who can reach this app can read and change webhook subscriptions. Pass admin_guards: [YourAuthGuard].`,
      );
    }
  }
}
