import { Controller, type Provider, type Type } from '@nestjs/common';
import { routedControllers } from '../admin/routed-controllers';
import type { WebhookConfig } from '../config/webhook-config';
import { WEBHOOK_CONFIG } from '../webhook.constants';
import { WebhookPortalDeliveriesController } from './portal-deliveries.controller';
import { WebhookPortalInfoController } from './portal-info.controller';
import { PortalScope } from './portal-scope';
import { WebhookPortalSubscriptionsController } from './portal-subscriptions.controller';
import { normalizePortalPrefix } from './portal.constants';
import { WebhookPortalGuard } from './portal.guard';
import { WebhookPortalStartupCheck } from './portal.startup-check';
import { PORTAL_PAGE, PortalUiController, renderPortalPage } from './ui';
import { WebhookPortalService } from './webhook-portal.service';

/** The module extras that decide whether and where the portal is routed. */
export interface PortalExtras {
  /** Register the portal. Default false. */
  enable_portal?: boolean;
  /** Its route prefix. Default `'webhooks/portal'`. */
  portal_prefix?: string;
}

/** What `enable_portal: true` adds to the module: routes, providers, and `WebhookPortalService` for the app. */
export interface PortalParts {
  /** The API controllers and the page's. */
  controllers: Type[];
  /** The service, guard, scope, revocation store, start-up check and rendered page. */
  providers: Provider[];
  /** What the app may inject: `WebhookPortalService`. */
  exports: Array<Type | symbol>;
}

const API_BASES: Array<Type<object>> = [WebhookPortalSubscriptionsController, WebhookPortalDeliveriesController, WebhookPortalInfoController];


const PROVIDERS: Provider[] = [
  WebhookPortalService,
  WebhookPortalGuard,
  WebhookPortalStartupCheck,
  PortalScope,
  {
    provide: PORTAL_PAGE,
    inject: [WEBHOOK_CONFIG],
    // The API is `api` relative to the page (`<prefix>/ui` -> `<prefix>/api`), so a host's global prefix applies to both.
    useFactory: (config: WebhookConfig) => renderPortalPage({ api_base: 'api', theme: config.portal_theme ?? {}, frame_ancestors: config.portal_frame_ancestors ?? [] }),
  },
];

/**
 * The portal's part of the module, nothing without `enable_portal`. The API controllers are routed under
 * `<portal_prefix>/api` with the portal guard (see `routedControllers`); the page under `<portal_prefix>`, public
 * (it holds no data).
 */
export function portalParts(extras: PortalExtras): PortalParts {
  if (extras.enable_portal !== true) return { controllers: [], providers: [], exports: [] };
  const prefix = normalizePortalPrefix(extras.portal_prefix);
  const api = routedControllers(API_BASES, `${prefix}/api`, WebhookPortalGuard);
  const Page = class extends PortalUiController {};
  Object.defineProperty(Page, 'name', { value: PortalUiController.name });
  Controller(prefix)(Page);
  return { controllers: [...api, Page], providers: PROVIDERS, exports: [WebhookPortalService] };
}
